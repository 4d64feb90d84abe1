//! E-mail addresses as typed (`domain::contact::EmailAddress`): an accepted address displays
//! to one that is accepted again unchanged, holds one `@`, nothing a header could split on,
//! and a person's name never holds a control character.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    if let Some(shown) = creneau::fuzzing::email(raw) {
        assert_eq!(creneau::fuzzing::email(&shown).as_deref(), Some(shown.as_str()), "{raw:?}");
        assert_eq!(shown.matches('@').count(), 1, "{shown:?}");
        assert!(
            !shown.chars().any(|c| c.is_control() || c.is_whitespace() || "<>,;\"".contains(c)),
            "{shown:?}"
        );
        assert!(shown.len() <= 254, "{shown:?}");
    }
    if let Some(name) = creneau::fuzzing::person_name(raw) {
        assert!(!name.chars().any(char::is_control), "{name:?}");
        assert_eq!(creneau::fuzzing::person_name(&name).as_deref(), Some(name.as_str()));
    }
});
