//! Créneau: workshops and appointments for a town's digital-inclusion programme.
//!
//! Features live in folders named for them (`workshops/`, `appointments/`, `notifications/`,
//! `pages/`, `auth/`, `places/`, `calls/`, `organisation/`); pure rules in `domain/`; the HTTP
//! edge in `http/`; what every feature stands on (configuration, database, clock, tokens, logs)
//! in `platform/`.
pub mod appointments;
pub mod auth;
pub mod bookings;
pub mod calls;
pub mod demo;
pub mod domain;
pub mod exports;
pub mod french;
pub mod http;
pub mod notifications;
pub(crate) mod organisation;
pub mod pages;
pub mod places;
pub mod platform;
pub mod records;
pub mod retention;
pub mod statistics;
pub mod survey;
pub mod workshops;

/// What the cargo-fuzz targets (`fuzz/`) call: the parsers of text that comes from outside,
/// which stay `pub(crate)` for the rest of the code. Not an interface: no stability promised.
#[doc(hidden)]
pub mod fuzzing {
    use chrono::{DateTime, NaiveDate, Utc};

    pub use crate::domain::contact::PhoneKind;
    use crate::{
        domain::contact::{EmailAddress, PersonName, PhoneNumber, Voice},
        pages::{forms, params},
    };

    /// A phone number as typed: its E.164 form and kind, when accepted.
    pub fn phone(raw: &str) -> Option<(String, PhoneKind)> {
        PhoneNumber::parse(raw).ok().map(|p| (p.as_str().to_string(), p.kind()))
    }

    /// An e-mail address as typed: as it is displayed, when accepted.
    pub fn email(raw: &str) -> Option<String> {
        EmailAddress::parse(raw).ok().map(|e| e.to_string())
    }

    /// A person's name as typed, when accepted.
    pub fn person_name(raw: &str) -> Option<String> {
        PersonName::parse(raw).ok().map(|n| n.as_str().to_string())
    }

    /// A form body's fields, in order.
    pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
        forms::FormData::parse(body).pairs().to_vec()
    }

    /// What a booking form's contact fields give: the contact's (name, e-mail, E.164 phone),
    /// or the fields that carry an error, each with its French message.
    #[allow(clippy::type_complexity)]
    pub fn form_contact(body: &[u8]) -> Result<(String, Option<String>, Option<String>), Vec<(String, String)>> {
        let form = forms::FormData::parse(body);
        let mut errors = forms::FormErrors::default();
        match forms::contact(&form, Voice::Resident, &mut errors) {
            Some(c) if errors.is_empty() => Ok((
                c.name.as_str().to_string(),
                c.email.map(|e| e.to_string()),
                c.phone.map(|p| p.as_str().to_string()),
            )),
            _ => Err(errors.by_field.into_iter().collect()),
        }
    }

    /// A date in a page's URL (`?jour=`).
    pub fn page_date(raw: &str) -> Option<NaiveDate> {
        params::parse_date(raw)
    }

    /// A slot's start in a page's URL or form, and how a link writes it back.
    pub fn page_slot(raw: &str) -> Option<DateTime<Utc>> {
        params::parse_slot_param(raw)
    }

    pub fn slot_param(at: DateTime<Utc>) -> String {
        params::slot_param(at)
    }

    /// The years a date from a request may fall in.
    pub fn years() -> std::ops::RangeInclusive<i32> {
        crate::domain::dates::YEARS
    }

    /// `CRENEAU_SMTP_URL`: how the mailer describes itself in the logs, when accepted.
    pub fn smtp_url(raw: &str) -> Option<String> {
        let files = std::path::Path::new("outbox-mail");
        crate::notifications::smtp::Mailer::from_url(Some(raw), files)
            .ok()
            .map(|m| m.describe())
    }

    /// `CRENEAU_SMS_URL`: the gateway's `sendsms` address, when accepted.
    pub fn sms_url(raw: &str) -> Option<String> {
        crate::notifications::sms::provider::Kannel::from_url(raw)
            .ok()
            .map(|k| k.endpoint().to_string())
    }
}
