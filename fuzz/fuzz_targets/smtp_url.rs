//! `CRENEAU_SMTP_URL` (`notifications::smtp::Mailer::from_url`): any text is accepted or
//! refused without a panic, and what the logs say of an accepted URL never holds its password.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let Some(described) = creneau::fuzzing::smtp_url(raw) else {
        return;
    };
    assert!(!described.is_empty());
    if let Ok(u) = url::Url::parse(raw.trim())
        && let Some(password) = u.password()
        // A short or all-digit password could be part of the host, port or pool size, and
        // a percent-encoded user is shown decoded: neither proves anything.
        && password.len() >= 6
        && !password.bytes().all(|b| b.is_ascii_digit())
        && !u.username().contains('%')
        && !u.username().contains(password)
        && !u.host_str().unwrap_or("").contains(password)
    {
        assert!(!described.contains(password), "{described:?} shows the password of {raw:?}");
    }
});
