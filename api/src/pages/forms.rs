//! Reading posted forms and reporting their errors: each message stated next to its field
//! and repeated in a summary at the top of the page that links to the field.
use std::collections::BTreeMap;

use poem::{FromRequest, Request, RequestBody};
use serde::{Deserialize, Deserializer, Serialize, de::DeserializeOwned};

use super::PageError;
use crate::domain::{
    contact::{Contact, ContactError, EmailAddress, PersonName, PhoneNumber, Voice},
    email_typo,
};

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

    /// Every field, in the order sent.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
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

    /// The form read into `T`, each field from its first value as [`FormData::get`] reads
    /// it; a field left out takes `T`'s default and fields `T` does not name are ignored.
    pub(crate) fn typed<T: DeserializeOwned>(&self) -> Result<T, PageError> {
        let mut first: Vec<(&str, &str)> = Vec::with_capacity(self.0.len());
        for (k, v) in &self.0 {
            if !first.iter().any(|(seen, _)| seen == k) {
                first.push((k, v));
            }
        }
        T::deserialize(serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(
            first.into_iter(),
        ))
        .map_err(|_| unreadable())
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
            return Err(unreadable().into());
        }
        let bytes = body.take()?.into_bytes().await?;
        Ok(FormData::parse(&bytes))
    }
}

fn unreadable() -> PageError {
    PageError::BadRequest("Ce formulaire n'a pas pu être lu.".into())
}

/// For a typed form's `Option` field (`#[serde(default, deserialize_with = "present")]`):
/// `Some` whenever the field was sent, even empty, as a ticked check-box is.
pub(crate) fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
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

/// The answer to the SMS question of a booking form; `None` when the form did not ask it.
pub(crate) fn sms_choice(form: &FormData) -> Option<bool> {
    sms_answer(form.opt("sms_asked"), form.checked("sms"))
}

/// The SMS answer from the form's `sms_asked` field (`None`: not asked) and its `sms` box.
pub(crate) fn sms_answer(asked: Option<&str>, ticked: bool) -> Option<bool> {
    asked.map(str::trim).filter(|v| !v.is_empty()).map(|_| ticked)
}

/// The contact fields of a form as posted: `name`, `email`, `phone`, and the answer to the
/// question about a likely typo in the e-mail (`email_checked`, `email_fix`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ContactFields {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub email_checked: String,
    pub email_fix: String,
}

impl ContactFields {
    pub(crate) fn of(form: &FormData) -> ContactFields {
        ContactFields {
            name: form.get("name").into(),
            email: form.get("email").into(),
            phone: form.get("phone").into(),
            email_checked: form.get("email_checked").into(),
            email_fix: form.get("email_fix").into(),
        }
    }
}

/// A field trimmed, when not blank (as [`FormData::opt`]).
fn filled(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|v| !v.is_empty())
}

/// Reads a name and a way to reach the person from the fields `name`, `email` and `phone`,
/// recording every problem at once (not only the first), each in the voice of whoever fills
/// in the form.
pub(crate) fn contact(form: &FormData, voice: Voice, errors: &mut FormErrors) -> Option<Contact> {
    read_contact(&ContactFields::of(form), voice, errors)
}

/// [`contact`], from the fields of a typed form.
pub(crate) fn read_contact(form: &ContactFields, voice: Voice, errors: &mut FormErrors) -> Option<Contact> {
    let mut refuse = |field: &str, e: ContactError| errors.add(field, e.message(voice));
    let name = PersonName::parse(&form.name).map_err(|e| refuse("name", e)).ok();
    let email = match filled(&form.email).map(EmailAddress::parse) {
        Some(Ok(e)) => Some(Some(e)),
        Some(Err(e)) => {
            refuse("email", e);
            None
        }
        None => Some(None),
    };
    let phone = match filled(&form.phone).map(PhoneNumber::parse) {
        Some(Ok(p)) => Some(Some(p)),
        Some(Err(e)) => {
            refuse("phone", e);
            None
        }
        None => Some(None),
    };
    if filled(&form.email).is_none() && filled(&form.phone).is_none() {
        refuse("phone", ContactError::NoWayToReach);
    }
    match (name, email, phone) {
        (Some(name), Some(email), Some(phone)) if email.is_some() || phone.is_some() => {
            Some(Contact { name, email, phone })
        }
        _ => None,
    }
}

/// The question a likely typo in an e-mail's domain raises, as the form shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct EmailCheck {
    pub typed: String,
    pub suggested: String,
}

/// Before a confirmation goes to a likely mistyped address (`josette@gmial.com`), the form
/// comes back asking "Vouliez-vous dire josette@gmail.com ?", unless the person already
/// answered for this very address: `email_fix=oui` takes the suggested address, `non` keeps
/// theirs. Answers the question to show, if any.
pub(crate) fn check_email(form: &FormData, contact: &mut Contact, errors: &mut FormErrors) -> Option<EmailCheck> {
    check_typed_email(&ContactFields::of(form), contact, errors)
}

/// [`check_email`], from the fields of a typed form.
pub(crate) fn check_typed_email(
    form: &ContactFields,
    contact: &mut Contact,
    errors: &mut FormErrors,
) -> Option<EmailCheck> {
    let typed = contact.email.as_ref()?.as_str().to_string();
    let suggested = email_typo::suggestion(&typed)?;
    let answered = form.email_checked.trim().eq_ignore_ascii_case(&typed);
    match (answered, form.email_fix.as_str()) {
        (true, "non") => None,
        (true, "oui") => {
            if let Ok(e) = EmailAddress::parse(&suggested) {
                contact.email = Some(e);
            }
            None
        }
        _ => {
            errors.add(
                "email",
                format!("Vérifiez votre adresse e-mail : vouliez-vous dire {suggested} ?"),
            );
            Some(EmailCheck { typed, suggested })
        }
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

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(default)]
    struct Sample {
        name: String,
        #[serde(deserialize_with = "present")]
        consent: Option<String>,
        #[serde(deserialize_with = "present")]
        newsletter: Option<String>,
    }

    #[test]
    fn a_typed_form_reads_first_values_and_knows_a_box_sent_empty_from_one_left_out() {
        let f = FormData::parse(b"name=Jeanne&name=Autre&consent=&csrf=x");
        let s: Sample = f.typed().unwrap();
        assert_eq!(s.name, f.get("name"));
        assert_eq!(s.consent.as_deref(), Some(""));
        assert_eq!(s.newsletter, None);
        let empty: Sample = FormData::default().typed().unwrap();
        assert_eq!(empty.name, "");
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
        assert!(contact(&f, Voice::Resident, &mut e).is_none());
        let fields: Vec<_> = e.list.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "phone"]);
        assert_eq!(e.by_field["name"], "Indiquez votre nom.");

        let mut e = FormErrors::default();
        let f = FormData::from_pairs(&[("name", "Jeanne"), ("email", ""), ("phone", "")]);
        assert!(contact(&f, Voice::Resident, &mut e).is_none());
        assert!(e.has("phone"), "phone or e-mail is asked for");

        let mut e = FormErrors::default();
        let f = FormData::from_pairs(&[("name", "Ahmed"), ("phone", "06 12 34 56 78")]);
        let c = contact(&f, Voice::Resident, &mut e).expect("a phone alone is enough");
        assert_eq!(c.phone.unwrap().as_str(), "+33612345678");
        assert!(e.is_empty());
    }

    #[test]
    fn an_agent_is_asked_for_the_persons_name_not_their_own() {
        let mut e = FormErrors::default();
        let f = FormData::from_pairs(&[("name", ""), ("phone", "")]);
        assert!(contact(&f, Voice::Staff, &mut e).is_none());
        assert_eq!(e.by_field["name"], "Indiquez le nom de la personne.");
        assert!(e.by_field["phone"].ends_with("pour joindre la personne."));
    }

    #[test]
    fn a_likely_typo_in_the_email_domain_is_asked_about_until_answered_for_that_address() {
        let typed = [("name", "Josette"), ("email", "josette@gmial.com")];
        let mut e = FormErrors::default();
        let f = FormData::from_pairs(&typed);
        let mut c = contact(&f, Voice::Resident, &mut e).unwrap();
        let check = check_email(&f, &mut c, &mut e).expect("asked");
        assert_eq!(check.suggested, "josette@gmail.com");
        assert!(e.by_field["email"].contains("vouliez-vous dire josette@gmail.com ?"));

        let fix = |answer: &str, checked: &str| {
            let f = FormData::from_pairs(&[typed[0], typed[1], ("email_checked", checked), ("email_fix", answer)]);
            let mut e = FormErrors::default();
            let mut c = contact(&f, Voice::Resident, &mut e).unwrap();
            let asked = check_email(&f, &mut c, &mut e);
            (c.email.unwrap().as_str().to_string(), asked.is_some(), e.is_empty())
        };
        assert_eq!(
            fix("oui", "josette@gmial.com"),
            ("josette@gmail.com".into(), false, true)
        );
        assert_eq!(
            fix("non", "josette@gmial.com"),
            ("josette@gmial.com".into(), false, true)
        );
        // An answer about another address does not count.
        assert_eq!(
            fix("non", "josette@gmal.com"),
            ("josette@gmial.com".into(), true, false)
        );

        let mut e = FormErrors::default();
        let f = FormData::from_pairs(&[("name", "Lucienne"), ("email", "lucienne@orange.fr")]);
        let mut c = contact(&f, Voice::Resident, &mut e).unwrap();
        assert_eq!(check_email(&f, &mut c, &mut e), None);
        assert!(e.is_empty());
    }
}
