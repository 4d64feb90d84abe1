//! Who a booking is for: a name and at least one way to reach them. Parsed once at the
//! edge; past that point an `EmailAddress` or a `PhoneNumber` is known good.
use std::fmt;

/// Who a message about a person's details speaks to: the resident filling in their own
/// form ("Indiquez votre nom."), or the agent filling it in for someone ("Indiquez le nom de
/// la personne.").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    Resident,
    Staff,
}

/// `Display` is the resident's voice; [`ContactError::message`] chooses.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContactError {
    #[error("Indiquez votre nom.")]
    NameMissing,
    #[error("Le nom est trop long : 100 caractères au plus.")]
    NameTooLong,
    #[error("Le nom ne peut contenir ni retour à la ligne ni caractère de contrôle.")]
    NameControl,
    #[error("Cette adresse e-mail n'est pas valide (exemple : prenom.nom@exemple.fr).")]
    EmailInvalid,
    #[error("Ce numéro de téléphone n'est pas valide (exemple : 06 12 34 56 78).")]
    PhoneInvalid,
    #[error("Ce numéro n'a pas le bon nombre de chiffres (exemple : 06 12 34 56 78).")]
    PhoneWrongLength,
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
    /// The message in the voice of whoever fills in the form.
    pub(crate) fn message(&self, voice: Voice) -> String {
        match (self, voice) {
            (ContactError::NameMissing, Voice::Staff) => "Indiquez le nom de la personne.".into(),
            (ContactError::NoWayToReach, Voice::Staff) => {
                "Indiquez une adresse e-mail ou un numéro de téléphone pour joindre la personne.".into()
            }
            _ => self.to_string(),
        }
    }

    /// The request field the error is about.
    pub(crate) fn field(&self) -> &'static str {
        match self {
            ContactError::NameMissing | ContactError::NameTooLong | ContactError::NameControl => "name",
            ContactError::EmailInvalid => "email",
            ContactError::PhoneInvalid | ContactError::PhoneWrongLength => "phone",
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
        if name.is_empty() {
            return Err(ContactError::NameMissing);
        }
        if name.chars().count() > 100 {
            return Err(ContactError::NameTooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(ContactError::NameControl);
        }
        Ok(PersonName(name.to_string()))
    }
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
    /// The name as "one booking per person" compares it: case, accents, punctuation and
    /// spacing ignored ("Zoé  Lefèvre" and "zoe lefevre" are one person; "Zoé" and "Marc"
    /// sharing a phone are two).
    pub(crate) fn key(&self) -> String {
        name_key(&self.0)
    }
}

/// Lower-cased, accents folded, every run of non-alphanumeric characters made one space.
/// The migration that back-filled `registration.name_key` holds a frozen copy of this.
pub(crate) fn name_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'æ' => "ae",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
            'œ' => "oe",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'ß' => "ss",
            c if c.is_alphanumeric() => {
                if gap && !out.is_empty() {
                    out.push(' ');
                }
                gap = false;
                out.push(c);
                continue;
            }
            _ => {
                gap = true;
                continue;
            }
        };
        if gap && !out.is_empty() {
            out.push(' ');
        }
        gap = false;
        out.push_str(folded);
    }
    out
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

/// What kind of line a number reaches: only a mobile can receive an SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    Mobile,
    /// A fixed line; also numbers that may be either (as in North America).
    Landline,
    /// Free, premium, VoIP, shared-cost… numbers: reachable by a call only.
    Other,
}

/// A phone number in E.164 form (`+33612345678`), checked against libphonenumber's metadata
/// (the `phonenumber` crate). French numbers are accepted as people write them (`06 12 34 56
/// 78`, spaces, dots and dashes ignored); foreign ones start with `+` (or `00`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    e164: String,
    kind: PhoneKind,
}

impl PhoneNumber {
    pub(crate) fn parse(raw: &str) -> Result<PhoneNumber, ContactError> {
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')' | '/' | '\u{a0}'))
            .collect();
        let international = match compact.strip_prefix("00") {
            Some(rest) => Some(format!("+{rest}")),
            None => compact.starts_with('+').then(|| compact.clone()),
        };
        // Digits only past the `+`: libphonenumber would also read letters as keypad digits.
        let digits = international.as_deref().map_or(compact.as_str(), |i| &i[1..]);
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() > 17 {
            return Err(ContactError::PhoneInvalid);
        }
        let parsed = match &international {
            Some(i) => phonenumber::parse(None, i),
            None => phonenumber::parse(Some(phonenumber::country::Id::FR), &compact),
        }
        .map_err(|_| ContactError::PhoneInvalid)?;
        let db = &*phonenumber::metadata::DATABASE;
        let Some(meta) = parsed.metadata(db) else {
            return Err(ContactError::PhoneInvalid);
        };
        if !parsed.is_valid_with(db) {
            // Counted on what was typed: libphonenumber keeps the national 0 of a number that
            // matches no pattern, so its own national number is one digit off.
            let len = match &international {
                Some(_) => digits.len().saturating_sub(parsed.code().value().to_string().len()),
                None => digits.strip_prefix('0').unwrap_or(digits).len(),
            };
            // The general description's lengths, else (as the metadata often leaves them
            // out) those of every kind of line.
            let d = meta.descriptors();
            let mut lengths: Vec<u16> = d.general().possible_length().to_vec();
            if lengths.is_empty() {
                let kinds = [
                    d.fixed_line(),
                    d.mobile(),
                    d.toll_free(),
                    d.premium_rate(),
                    d.shared_cost(),
                ];
                let more = [d.personal_number(), d.voip(), d.uan(), d.voicemail()];
                for k in kinds.into_iter().chain(more).flatten() {
                    lengths.extend_from_slice(k.possible_length());
                }
            }
            return Err(if lengths.iter().any(|l| usize::from(*l) == len) {
                ContactError::PhoneInvalid
            } else {
                ContactError::PhoneWrongLength
            });
        }
        let kind = match parsed.number_type(db) {
            phonenumber::Type::Mobile => PhoneKind::Mobile,
            phonenumber::Type::FixedLine | phonenumber::Type::FixedLineOrMobile => PhoneKind::Landline,
            _ => PhoneKind::Other,
        };
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        Ok(PhoneNumber { e164, kind })
    }
    pub(crate) fn as_str(&self) -> &str {
        &self.e164
    }
    pub fn kind(&self) -> PhoneKind {
        self.kind
    }
    /// Whether an SMS can reach this number.
    pub fn is_mobile(&self) -> bool {
        self.kind == PhoneKind::Mobile
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
    fn a_number_one_digit_short_is_refused_for_its_length() {
        assert_eq!(
            PhoneNumber::parse("+33 6 12 34 56 7"),
            Err(ContactError::PhoneWrongLength)
        );
        assert_eq!(PhoneNumber::parse("06 12 34 56 7"), Err(ContactError::PhoneWrongLength));
        assert_eq!(
            PhoneNumber::parse("06 12 34 56 789"),
            Err(ContactError::PhoneWrongLength)
        );
        // Ten digits in a range France has not opened: invalid, not too short.
        assert_eq!(PhoneNumber::parse("07 12 34 56 78"), Err(ContactError::PhoneInvalid));
    }

    #[test]
    fn mobiles_and_landlines_are_told_apart_in_france_and_abroad() {
        assert!(PhoneNumber::parse("06 12 34 56 78").unwrap().is_mobile());
        assert!(PhoneNumber::parse("07 81 23 45 67").unwrap().is_mobile());
        let landline = PhoneNumber::parse("04 90 49 39 39").unwrap();
        assert_eq!(landline.kind(), PhoneKind::Landline);
        assert_eq!(landline.as_str(), "+33490493939");
        let german = PhoneNumber::parse("+49 151 23456789").unwrap();
        assert!(german.is_mobile());
        assert_eq!(german.as_str(), "+4915123456789");
        assert_eq!(
            PhoneNumber::parse("+32 2 555 12 12").unwrap().kind(),
            PhoneKind::Landline
        );
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
    fn a_name_key_ignores_case_accents_and_punctuation() {
        assert_eq!(name_key("  Zoé   LEFÈVRE "), "zoe lefevre");
        assert_eq!(name_key("Jean-Pierre O'Brien"), "jean pierre o brien");
        assert_eq!(name_key("Jean Pierre O’Brien"), "jean pierre o brien");
        assert_ne!(name_key("Zoé Lefèvre"), name_key("Marc Lefèvre"));
    }

    #[test]
    fn a_name_with_a_line_break_is_refused_so_it_cannot_forge_a_mail_header() {
        assert_eq!(
            PersonName::parse("Jeanne\r\nBcc: x@y.fr"),
            Err(ContactError::NameControl)
        );
    }

    #[test]
    fn an_empty_name_says_what_is_missing_in_the_voice_asked_and_a_long_one_gives_the_limit() {
        let empty = PersonName::parse("  ").unwrap_err();
        assert_eq!(empty.message(Voice::Resident), "Indiquez votre nom.");
        assert_eq!(empty.message(Voice::Staff), "Indiquez le nom de la personne.");
        assert_eq!(empty.to_string(), "Indiquez votre nom.");
        let long = PersonName::parse(&"a".repeat(101)).unwrap_err();
        assert_eq!(long, ContactError::NameTooLong);
        assert!(long.message(Voice::Staff).contains("100 caractères"));
        assert!(
            ContactError::NoWayToReach
                .message(Voice::Staff)
                .ends_with("pour joindre la personne.")
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
