//! Form bodies as browsers (or anyone) post them (`pages::forms`): the fields survive being
//! encoded again, and a booking form's contact is either accepted with no error or refused
//! with a French message beside at least one field.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let fields = creneau::fuzzing::form_fields(body);
    let again = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter())
        .finish();
    assert_eq!(creneau::fuzzing::form_fields(again.as_bytes()), fields);

    match creneau::fuzzing::form_contact(body) {
        Ok((name, email, phone)) => {
            assert!(!name.trim().is_empty());
            assert!(email.is_some() || phone.is_some(), "a contact needs a way to reach them");
            if let Some(e) = &email {
                assert_eq!(creneau::fuzzing::email(e).as_deref(), Some(e.as_str()));
            }
            if let Some(p) = &phone {
                assert_eq!(creneau::fuzzing::phone(p).map(|(e164, _)| e164).as_deref(), Some(p.as_str()));
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a refused form says why");
            for (field, message) in &errors {
                assert!(["name", "email", "phone"].contains(&field.as_str()), "{field}");
                assert!(!message.is_empty(), "{field}");
            }
        }
    }
});
