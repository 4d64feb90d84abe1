//! What an outbox row carries: a snapshot of everything its message needs, taken in the
//! transaction that made the change. The worker renders it later without reading the booking
//! again, so a message says what was true when it was decided.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why a resident hears from us.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    RegistrationConfirmed,
    RegistrationWaitlisted,
    RegistrationPromoted,
    RegistrationCancelled,
    SessionCancelled,
    SessionMoved,
    AppointmentConfirmed,
    AppointmentRescheduled,
    AppointmentCancelled,
    Reminder,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::RegistrationConfirmed => "registration_confirmed",
            Event::RegistrationWaitlisted => "registration_waitlisted",
            Event::RegistrationPromoted => "registration_promoted",
            Event::RegistrationCancelled => "registration_cancelled",
            Event::SessionCancelled => "session_cancelled",
            Event::SessionMoved => "session_moved",
            Event::AppointmentConfirmed => "appointment_confirmed",
            Event::AppointmentRescheduled => "appointment_rescheduled",
            Event::AppointmentCancelled => "appointment_cancelled",
            Event::Reminder => "reminder",
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BookingKind {
    Registration,
    Appointment,
}

impl BookingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingKind::Registration => "registration",
            BookingKind::Appointment => "appointment",
        }
    }
}

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
    pub waitlist_position: Option<i32>,
    /// Why staff cancelled, when they said.
    pub reason: Option<String>,
    /// For a move: where and when it was before.
    pub previous_starts_at: Option<DateTime<Utc>>,
}
