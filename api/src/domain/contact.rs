//! Who a booking is for: a name and at least one way to reach them. Parsed once at the
//! edge; past that point an `EmailAddress` or a `PhoneNumber` is known good.
use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContactError {
    #[error("Indiquez votre nom (100 caractères au plus).")]
    NameMissing,
    #[error("Le nom ne peut contenir ni retour à la ligne ni caractère de contrôle.")]
    NameControl,
    #[error("Cette adresse e-mail n'est pas valide (exemple : prenom.nom@exemple.fr).")]
    EmailInvalid,
    #[error("Ce numéro de téléphone n'est pas valide (exemple : 06 12 34 56 78).")]
    PhoneInvalid,
    #[error("Indiquez une adresse e-mail ou un numéro de téléphone pour être joint.")]
    NoWayToReach,
    #[error("Le texte est trop long ({0} caractères au plus).")]
    TooLong(usize),
    #[error("{}", super::text::CONTROL_MESSAGE)]
    Control,
}

impl super::refusal::DomainError for ContactError {
    fn refusal(&self) -> super::refusal::Refusal {
        super::refusal::Refusal::Invalid { field: self.field() }
    }

    fn code(&self) -> &'static str {
        "validation"
    }
}

impl ContactError {
    /// The request field the error is about.
    pub(crate) fn field(&self) -> &'static str {
        match self {
            ContactError::NameMissing | ContactError::NameControl => "name",
            ContactError::EmailInvalid => "email",
            ContactError::PhoneInvalid => "phone",
            ContactError::NoWayToReach => "email",
            ContactError::TooLong(_) | ContactError::Control => "note",
        }
    }
}

/// A person's name as they gave it: trimmed, 1 to 100 characters, no control characters
/// (a CR/LF in a name must never reach a mail header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub(crate) fn parse(raw: &str) -> Result<PersonName, ContactError> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ContactError::NameMissing);
        }
        if name.chars().any(char::is_control) {
            return Err(ContactError::NameControl);
        }
        Ok(PersonName(name.to_string()))
    }
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, lower-cased: simple structural checks, no network look-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub(crate) fn parse(raw: &str) -> Result<EmailAddress, ContactError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>(),;:\\\"[]".contains(c))
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && local.len() <= 64
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if valid {
            Ok(EmailAddress(email))
        } else {
            Err(ContactError::EmailInvalid)
        }
    }
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in E.164 form (`+33612345678`). French national numbers (`06 12 34 56 78`)
/// are accepted as people write them: spaces, dots and dashes are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub(crate) fn parse(raw: &str) -> Result<PhoneNumber, ContactError> {
        let compact: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        let (plus, digits) = match compact.strip_prefix('+') {
            Some(rest) => (true, rest.to_string()),
            None => match compact.strip_prefix("00") {
                Some(rest) => (true, rest.to_string()),
                None => (false, compact.clone()),
            },
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(ContactError::PhoneInvalid);
        }
        let e164 = if plus {
            if !(8..=15).contains(&digits.len()) {
                return Err(ContactError::PhoneInvalid);
            }
            // "+33 0612…" is a common slip: the national 0 does not belong after +33.
            match digits.strip_prefix("330") {
                Some(rest) if rest.len() == 9 => format!("+33{rest}"),
                _ => format!("+{digits}"),
            }
        } else if digits.len() == 10 && digits.starts_with('0') && !digits.starts_with("00") {
            format!("+33{}", &digits[1..])
        } else {
            return Err(ContactError::PhoneInvalid);
        };
        Ok(PhoneNumber(e164))
    }
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name and at least one of e-mail or phone: the only states a booking may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: PersonName,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
}

impl Contact {
    /// Empty strings count as absent: forms send them for fields left blank.
    pub fn parse(name: &str, email: Option<&str>, phone: Option<&str>) -> Result<Contact, ContactError> {
        let name = PersonName::parse(name)?;
        let present = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let email = present(email).map(|e| EmailAddress::parse(&e)).transpose()?;
        let phone = present(phone).map(|p| PhoneNumber::parse(&p)).transpose()?;
        if email.is_none() && phone.is_none() {
            return Err(ContactError::NoWayToReach);
        }
        Ok(Contact { name, email, phone })
    }
}

/// A free-text field (note, accessibility needs, a reason): trimmed, bounded, kept as data,
/// several lines allowed but no other control character (see `domain::text`). It is
/// escaped wherever it is shown, never interpreted.
pub(crate) fn free_text(raw: Option<&str>, max: usize) -> Result<Option<String>, ContactError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max => Err(ContactError::TooLong(max)),
        Some(v) if !super::text::acceptable(v, true) => Err(ContactError::Control),
        Some(v) => Ok(Some(v.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_french_mobile_number_written_with_spaces_becomes_e164() {
        assert_eq!(PhoneNumber::parse("06 12 34 56 78").unwrap().as_str(), "+33612345678");
        assert_eq!(
            PhoneNumber::parse("+33 6 12 34 56 78").unwrap().as_str(),
            "+33612345678"
        );
        assert_eq!(
            PhoneNumber::parse("+33 06.12.34.56.78").unwrap().as_str(),
            "+33612345678"
        );
        assert_eq!(PhoneNumber::parse("0033612345678").unwrap().as_str(), "+33612345678");
    }

    #[test]
    fn a_phone_number_with_letters_or_too_few_digits_is_refused() {
        assert!(PhoneNumber::parse("06 12 34").is_err());
        assert!(PhoneNumber::parse("06a2345678").is_err());
        assert!(PhoneNumber::parse("").is_err());
    }

    #[test]
    fn an_email_is_lower_cased_and_checked_for_shape() {
        assert_eq!(
            EmailAddress::parse(" Jeanne.Martin@Exemple.FR ").unwrap().as_str(),
            "jeanne.martin@exemple.fr"
        );
        for bad in [
            "jeanne",
            "jeanne@",
            "@exemple.fr",
            "jeanne@exemple",
            "a b@exemple.fr",
            "a@b@c.fr",
            "x@exemple.fr\r\nBcc: y@z.fr",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_name_with_a_line_break_is_refused_so_it_cannot_forge_a_mail_header() {
        assert_eq!(
            PersonName::parse("Jeanne\r\nBcc: x@y.fr"),
            Err(ContactError::NameControl)
        );
    }

    #[test]
    fn a_contact_needs_an_email_or_a_phone_and_blank_fields_count_as_absent() {
        assert_eq!(
            Contact::parse("Jeanne", Some(""), Some("  ")),
            Err(ContactError::NoWayToReach)
        );
        let phone_only = Contact::parse("Jeanne", None, Some("0612345678")).unwrap();
        assert!(phone_only.email.is_none());
    }
}
