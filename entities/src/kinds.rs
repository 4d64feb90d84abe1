//! The closed sets of values kept in text columns: statuses, roles, kinds. Each is one enum,
//! stored as its snake_case (or upper-case) text, published as the same strings in the API,
//! and read back strictly: a value the enum does not know is a database error, never
//! silently taken for another one.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a workshop session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "lowercase")]
pub enum SessionStatus {
    Scheduled,
    Cancelled,
}

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "lowercase")]
pub enum RegistrationStatus {
    Confirmed,
    Waitlisted,
    Cancelled,
}

/// Whether a registered person came, as staff recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "lowercase")]
pub enum Attendance {
    Present,
    Absent,
    Unknown,
}

/// Where an appointment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum AppointmentStatus {
    /// Upcoming (or under way), not yet marked.
    Booked,
    /// The resident came.
    Honoured,
    /// The resident did not come.
    NoShow,
    /// The resident did not come but had warned.
    Excused,
    /// Cancelled by the resident or by staff; the desk is free again.
    Cancelled,
}

impl AppointmentStatus {
    /// Every status but `cancelled` keeps its desk busy: an honoured or missed appointment
    /// did occupy the agent.
    pub fn holds_the_desk(self) -> bool {
        self != AppointmentStatus::Cancelled
    }
}

/// Who made a booking: the resident online, or staff on their behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
pub enum BookedBy {
    Resident,
    Staff,
}

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "lowercase")]
pub enum Role {
    /// Everything, staff accounts included.
    Admin,
    /// All of the organisation's places, sessions and appointments.
    Coordinator,
    /// Reads everything; changes attendance of their own sessions only.
    Facilitator,
}

/// What a place is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum PlaceKind {
    /// A media library running workshops.
    Library,
    /// A digital-mediation point taking appointments.
    MediationPoint,
    /// The association house.
    AssociationHouse,
}

/// What a calendar feed covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "lowercase")]
pub enum FeedKind {
    /// Everything happening at one place: workshop sessions with their registrants and
    /// appointments with the resident's details.
    Place,
    /// One staff member's agenda: the sessions they facilitate and the appointments they booked.
    Staff,
}

/// Where a message of the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting to be sent (now, at a retry time, or at a reminder's due time).
    Pending,
    /// Handed to the mail server.
    Sent,
    /// Given up after a permanent error or the last attempt; staff may retry it.
    Failed,
    /// Superseded before it was due (a reminder of a booking since cancelled or moved).
    Cancelled,
    /// The resident left no e-mail address: nothing to send, staff reach them by phone.
    NoEmail,
    /// Came due too late (a reminder of a booking that had started): never sent.
    Expired,
    /// An SMS the gateway reported as delivered to the phone.
    Delivered,
    /// An SMS the gateway reported as not delivered (number unreachable, refused).
    Undelivered,
    /// An SMS to a number that answered "STOP": never sent, staff reach the person by phone.
    OptedOut,
    /// An SMS that would have passed the organisation's monthly budget of segments: never
    /// sent, staff reach the person by phone.
    OverBudget,
}

/// How an outbox row reaches the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, poem_openapi::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

/// Why a resident hears from us: the outbox row's `kind`, and its payload's `event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
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
    /// The satisfaction survey's link, after a workshop or an appointment attended.
    SurveyInvitation,
}

/// Which kind of booking a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum BookingKind {
    Registration,
    Appointment,
}

/// The iCalendar method a message's invite carries (RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "UPPERCASE")]
pub enum CalendarMethod {
    /// Create or update the event in the attendee's calendar.
    Request,
    /// Remove the event from the attendee's calendar.
    Cancel,
}

impl CalendarMethod {
    /// The value of the `METHOD` property and of the `method=` MIME parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            CalendarMethod::Request => "REQUEST",
            CalendarMethod::Cancel => "CANCEL",
        }
    }
}

impl std::fmt::Display for CalendarMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Logs and pages show a value as it is stored.
macro_rules! display_as_stored {
    ($($kind:ty),*) => {$(
        impl std::fmt::Display for $kind {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&sea_orm::ActiveEnum::to_value(self))
            }
        }
    )*};
}

display_as_stored!(
    SessionStatus,
    RegistrationStatus,
    Attendance,
    AppointmentStatus,
    BookedBy,
    Role,
    PlaceKind,
    FeedKind,
    OutboxStatus,
    Channel,
    Event,
    BookingKind
);

#[cfg(test)]
mod tests {
    use sea_orm::ActiveEnum;

    use super::*;

    #[test]
    fn every_value_is_stored_as_the_text_the_database_already_holds() {
        assert_eq!(RegistrationStatus::Waitlisted.to_value(), "waitlisted");
        assert_eq!(AppointmentStatus::NoShow.to_value(), "no_show");
        assert_eq!(OutboxStatus::NoEmail.to_value(), "no_email");
        assert_eq!(PlaceKind::MediationPoint.to_value(), "mediation_point");
        assert_eq!(Event::RegistrationPromoted.to_value(), "registration_promoted");
        assert_eq!(CalendarMethod::Request.to_value(), "REQUEST");
        assert_eq!(CalendarMethod::Cancel.to_value(), CalendarMethod::Cancel.as_str());
        assert_eq!(BookedBy::Staff.to_value(), "staff");
        assert_eq!(Role::Coordinator.to_value(), "coordinator");
    }

    #[test]
    fn an_unknown_stored_value_is_an_error_not_another_status() {
        assert!(RegistrationStatus::try_from_value(&"annulée".to_string()).is_err());
        assert!(OutboxStatus::try_from_value(&"".to_string()).is_err());
    }

    #[test]
    fn a_value_is_displayed_as_it_is_stored() {
        assert_eq!(OutboxStatus::NoEmail.to_string(), "no_email");
        assert_eq!(Role::Admin.to_string(), "admin");
    }

    #[test]
    fn the_payload_s_event_and_the_row_s_kind_are_the_same_text() {
        let json = serde_json::to_string(&Event::SessionMoved).unwrap();
        assert_eq!(json, format!("\"{}\"", Event::SessionMoved.to_value()));
    }
}
