//! What an outbox row carries: a snapshot of everything its message needs, taken in the
//! transaction that made the change. The worker renders it later without reading the booking
//! again, so a message says what was true when it was decided.
use chrono::{DateTime, Utc};
pub use entities::kinds::{BookingKind, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Payload {
    pub event: Event,
    pub booking: BookingKind,
    pub organisation_name: String,
    pub organisation_email: String,
    pub organisation_phone: Option<String>,
    pub timezone: String,
    /// Workshop title or appointment reason.
    pub title: String,
    pub place_name: String,
    pub place_address: String,
    pub place_phone: Option<String>,
    pub place_access: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// What to bring (an appointment reason's instructions).
    pub instructions: Option<String>,
    /// The manage page, when the change was made with the token in hand. A sent message
    /// keeps no token: the worker blanks it once delivered.
    pub manage_url: Option<String>,
    /// The booking's manage key: the worker rebuilds the manage link from it and the server
    /// secret at send time, so the outbox never holds a working link. (Rows queued before
    /// keys existed carry `manage_url` instead.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manage_key: Option<String>,
    pub waitlist_position: Option<i32>,
    /// Why staff cancelled, when they said.
    pub reason: Option<String>,
    /// For a move: where and when it was before.
    pub previous_starts_at: Option<DateTime<Utc>>,
    /// The sender name of the organisation's SMS (at most 11 letters or digits).
    #[serde(default)]
    pub sms_sender: Option<String>,
    /// The booking's code as stored (`K7P4QX`); rows written before codes existed have none.
    #[serde(default)]
    pub booking_code: Option<String>,
    /// A survey invitation's "no more surveys" link; blanked once sent, like the manage link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_stop_url: Option<String>,
}

#[cfg(test)]
impl Payload {
    /// A registration confirmed for a workshop at the Médiathèque: the one fixture the
    /// renderers' tests start from.
    pub(crate) fn sample() -> Payload {
        use chrono::{TimeZone, Utc};
        Payload {
            event: Event::RegistrationConfirmed,
            booking: BookingKind::Registration,
            organisation_name: "Ville d'Arles".into(),
            organisation_email: "contact@arles.example".into(),
            organisation_phone: None,
            timezone: "Europe/Paris".into(),
            title: "Créer mon compte citoyen".into(),
            place_name: "Médiathèque".into(),
            place_address: "Place Félix Rey, 13200 Arles".into(),
            place_phone: None,
            place_access: None,
            starts_at: Utc.with_ymd_and_hms(2027, 1, 12, 13, 0, 0).unwrap(),
            ends_at: Utc.with_ymd_and_hms(2027, 1, 12, 15, 0, 0).unwrap(),
            instructions: None,
            manage_url: Some("https://arles.example/inscription/abc".into()),
            waitlist_position: None,
            reason: Some("Travaux".into()),
            previous_starts_at: None,
            sms_sender: None,
            booking_code: Some("K7P4QX".into()),
            survey_stop_url: None,
            manage_key: None,
        }
    }
}
