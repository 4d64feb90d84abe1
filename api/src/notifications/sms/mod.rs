//! SMS, the outbox's second channel: who can receive them, what they say, when they may go,
//! and the gateways that carry them.
pub mod brevo;
pub mod budget;
pub mod gsm;
pub mod inbound;
pub mod provider;
pub mod quiet;
pub(crate) mod reports;
pub mod text;

use entities::{organisation, outbox};

use crate::domain::{contact::PhoneNumber, sender_name::SenderName};

pub use provider::{OutgoingSms, ReportAddress, SmsError, SmsProvider};

/// Whether a stored (E.164) number is a mobile, as libphonenumber types it (French 06 and 07,
/// and the mobile ranges of other countries).
pub fn is_mobile(e164: &str) -> bool {
    PhoneNumber::parse(e164).is_ok_and(|p| p.is_mobile())
}

/// Whether the person accepted SMS when asked nothing explicitly: yes when they gave a
/// mobile and no e-mail (SMS is then the only way to reach them).
pub fn default_consent(email: Option<&str>, phone: Option<&str>) -> bool {
    email.is_none() && phone.is_some_and(is_mobile)
}

/// The number to text for a booking: its phone, when a mobile and the person accepted.
pub fn number_to_text(phone: Option<&str>, consent: bool) -> Option<String> {
    phone.filter(|p| consent && is_mobile(p)).map(str::to_string)
}

/// A valid sender name as it stands: 1 to 11 ASCII letters or digits (see [`SenderName`]).
pub fn is_valid_sender(s: &str) -> bool {
    SenderName::parse(s).is_ok_and(|n| n.as_str() == s)
}

/// The organisation's sender name: its setting when valid, else the letters and digits of
/// its name, transliterated, cut at 11.
pub fn sender(org: &organisation::Model) -> String {
    if let Some(s) = org.sms_sender.as_deref().map(str::trim).filter(|s| is_valid_sender(s)) {
        return s.to_string();
    }
    sender_from_name(&org.name)
}

pub(crate) fn sender_from_name(name: &str) -> String {
    let s: String = gsm::transliterate(name)
        .chars()
        .map(|c| match c {
            'é' | 'è' => 'e',
            'É' => 'E',
            'à' | 'ä' => 'a',
            'ù' | 'ü' => 'u',
            'ì' => 'i',
            'ò' | 'ö' => 'o',
            'Ç' => 'C',
            c => c,
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .take(11)
        .collect();
    if s.is_empty() { "Creneau".into() } else { s }
}

/// Where the gateway reports on the SMS of a row: the row and its secret.
pub(crate) fn report_address(public_url: &str, row: &outbox::Model) -> ReportAddress {
    ReportAddress {
        public_url: public_url.to_string(),
        id: row.id,
        secret: row.sms_secret.clone().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_06_and_07_and_foreign_mobiles_are_mobiles_landlines_are_not() {
        assert!(is_mobile("+33612345678"));
        assert!(is_mobile("+33781234567"));
        assert!(!is_mobile("+33490493939"));
        assert!(!is_mobile("+33912345678"));
        assert!(is_mobile("+32470123456"));
    }

    #[test]
    fn sms_are_accepted_by_default_only_with_a_mobile_and_no_e_mail() {
        assert!(default_consent(None, Some("+33612345678")));
        assert!(!default_consent(Some("a@b.fr"), Some("+33612345678")));
        assert!(!default_consent(None, Some("+33490493939")));
        assert_eq!(number_to_text(Some("+33490493939"), true), None);
        assert_eq!(number_to_text(Some("+33612345678"), false), None);
    }

    #[test]
    fn the_sender_is_the_setting_when_valid_else_the_organisation_s_name_cut_at_eleven() {
        assert_eq!(sender_from_name("Ville d'Arles"), "VilledArles");
        assert_eq!(sender_from_name("Mairie de Saint-Étienne"), "MairiedeSai");
        assert_eq!(sender_from_name("«»"), "Creneau");
        assert!(is_valid_sender("Arles13"));
        assert!(!is_valid_sender("Ville d'Arles"));
        assert!(!is_valid_sender("ABCDEFGHIJKL"));
    }
}
