//! `CRENEAU_SMS_URL` (`kannel://USER:PASSWORD@HOST:PORT`): any text is accepted or refused
//! without a panic, and an accepted one gives a `sendsms` address that is itself a valid
//! HTTP URL of that path, with no credentials in it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let Some(endpoint) = creneau::fuzzing::sms_url(raw) else {
        return;
    };
    let parsed = url::Url::parse(&endpoint).unwrap_or_else(|e| panic!("{raw:?} gave {endpoint:?}: {e}"));
    assert_eq!(parsed.scheme(), "http", "{endpoint:?}");
    assert_eq!(parsed.path(), "/cgi-bin/sendsms", "{raw:?} gave {endpoint:?}");
    assert_eq!(parsed.query(), None, "{raw:?} gave {endpoint:?}");
    assert!(parsed.username().is_empty() && parsed.password().is_none(), "{endpoint:?}");
});
