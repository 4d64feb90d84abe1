//! Phone numbers as residents and agents type them (`domain::contact::PhoneNumber`): an
//! accepted number's E.164 form is accepted again, as the same number of the same kind.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    if let Some((e164, kind)) = creneau::fuzzing::phone(raw) {
        assert!(e164.starts_with('+'), "{raw:?} gave {e164:?}");
        assert!(e164[1..].bytes().all(|b| b.is_ascii_digit()), "{raw:?} gave {e164:?}");
        assert!(e164.len() <= 16, "E.164 has at most 15 digits: {raw:?} gave {e164:?}");
        assert_eq!(
            creneau::fuzzing::phone(&e164),
            Some((e164.clone(), kind)),
            "{raw:?} gave {e164:?}, which does not parse back to itself"
        );
    }
});
