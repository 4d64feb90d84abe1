//! Reading posted forms and reporting their errors: each message stated next to its field
//! and repeated in a summary at the top of the page that links to the field.
use std::collections::BTreeMap;

use poem::{FromRequest, Request, RequestBody};
use serde::Serialize;

use super::PageError;
use crate::domain::contact::{Contact, ContactError, EmailAddress, PersonName, PhoneNumber};

/// The hidden field that carries a form's CSRF token (checked by `pages::csrf`).
pub(crate) const CSRF_FIELD: &str = "csrf";

/// An `application/x-www-form-urlencoded` body, in order, repeated names kept (check-boxes).
#[derive(Debug, Clone, Default)]
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    pub(crate) fn parse(body: &[u8]) -> FormData {
        FormData(url::form_urlencoded::parse(body).into_owned().collect())
    }

    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> FormData {
        FormData(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// The first value of `name`, or "".
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The first value of `name`, trimmed, when not blank.
    pub(crate) fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name).trim()).filter(|v| !v.is_empty())
    }

    /// Every value of `name`.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A check-box is sent only when ticked.
    pub(crate) fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The values to show back in the form (everything but the CSRF field).
    pub(crate) fn values(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (k, v) in &self.0 {
            if k != CSRF_FIELD {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        out
    }
}

impl<'a> FromRequest<'a> for FormData {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let form = req
            .content_type()
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if !form {
            return Err(PageError::BadRequest("Ce formulaire n'a pas pu être lu.".into()).into());
        }
        let bytes = body.take()?.into_bytes().await?;
        Ok(FormData::parse(&bytes))
    }
}

/// One problem, about a field (its `id`) or about the whole form (`field` empty).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub field: String,
    pub message: String,
}

/// The errors of one submitted form, in the order of the fields.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct FormErrors {
    /// For the summary at the top: each links to `#field`.
    pub list: Vec<FieldError>,
    /// For the message next to each field.
    pub by_field: BTreeMap<String, String>,
}

impl FormErrors {
    /// Records a problem; only the first one per field is kept.
    pub(crate) fn add(&mut self, field: &str, message: impl Into<String>) {
        if !field.is_empty() && self.by_field.contains_key(field) {
            return;
        }
        let message = message.into();
        if !field.is_empty() {
            self.by_field.insert(field.to_string(), message.clone());
        }
        self.list.push(FieldError {
            field: field.to_string(),
            message,
        });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn has(&self, field: &str) -> bool {
        self.by_field.contains_key(field)
    }

    /// A single error about the whole form.
    pub(crate) fn form(message: impl Into<String>) -> FormErrors {
        let mut e = FormErrors::default();
        e.add("", message);
        e
    }
}

/// Reads a name and a way to reach the person from the fields `name`, `email` and `phone`,
/// recording every problem at once (not only the first).
/// The answer to the SMS question of a booking form; `None` when the form did not ask it.
pub(crate) fn sms_choice(form: &FormData) -> Option<bool> {
    form.opt("sms_asked").map(|_| form.checked("sms"))
}

pub(crate) fn contact(form: &FormData, errors: &mut FormErrors) -> Option<Contact> {
    let name = PersonName::parse(form.get("name"))
        .map_err(|e| errors.add("name", e.to_string()))
        .ok();
    let email = match form.opt("email") {
        Some(e) => match EmailAddress::parse(e) {
            Ok(e) => Some(Some(e)),
            Err(err) => {
                errors.add("email", err.to_string());
                None
            }
        },
        None => Some(None),
    };
    let phone = match form.opt("phone") {
        Some(p) => match PhoneNumber::parse(p) {
            Ok(p) => Some(Some(p)),
            Err(err) => {
                errors.add("phone", err.to_string());
                None
            }
        },
        None => Some(None),
    };
    if form.opt("email").is_none() && form.opt("phone").is_none() {
        errors.add("email", ContactError::NoWayToReach.to_string());
    }
    match (name, email, phone) {
        (Some(name), Some(email), Some(phone)) if email.is_some() || phone.is_some() => {
            Some(Contact { name, email, phone })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_are_kept_and_blank_values_count_as_absent() {
        let f = FormData::parse(b"present=3&present=5&name=+Jeanne+&email=&csrf=x");
        assert_eq!(f.all("present").collect::<Vec<_>>(), ["3", "5"]);
        assert_eq!(f.opt("name"), Some("Jeanne"));
        assert_eq!(f.opt("email"), None);
        assert!(f.checked("present"));
        assert!(!f.checked("consent"));
        assert!(!f.values().contains_key("csrf"), "the token is not echoed as a value");
    }

    #[test]
    fn errors_keep_field_order_and_one_message_per_field() {
        let mut e = FormErrors::default();
        e.add("name", "Indiquez votre nom.");
        e.add("email", "Adresse invalide.");
        e.add("name", "Autre");
        assert_eq!(e.list.len(), 2);
        assert_eq!(e.list[0].field, "name");
        assert_eq!(e.by_field["name"], "Indiquez votre nom.");
    }

    #[test]
    fn every_contact_problem_is_reported_at_once() {
        let mut e = FormErrors::default();
        let f = FormData::from_pairs(&[("name", " "), ("email", "pas-une-adresse"), ("phone", "12")]);
        assert!(contact(&f, &mut e).is_none());
        let fields: Vec<_> = e.list.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "phone"]);

        let mut e = FormErrors::default();
        let f = FormData::from_pairs(&[("name", "Jeanne"), ("email", ""), ("phone", "")]);
        assert!(contact(&f, &mut e).is_none());
        assert!(e.has("email"), "e-mail or phone is asked for");

        let mut e = FormErrors::default();
        let f = FormData::from_pairs(&[("name", "Ahmed"), ("phone", "06 12 34 56 78")]);
        let c = contact(&f, &mut e).expect("a phone alone is enough");
        assert_eq!(c.phone.unwrap().as_str(), "+33612345678");
        assert!(e.is_empty());
    }
}
