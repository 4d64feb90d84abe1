//! Request and response shapes of the workshop API (kept apart from the entities).
use chrono::{DateTime, FixedOffset};
pub(crate) use entities::kinds::{Attendance, RegistrationStatus, SessionStatus};
use entities::{registration, workshop};
use poem_openapi::{Enum, Object};

/// A catalogue entry: what a workshop teaches.
#[derive(Object, Debug, Clone)]
pub(crate) struct Workshop {
    pub id: i32,
    pub title: String,
    pub summary: String,
    pub description: String,
    /// e.g. "Débutant".
    pub level: String,
    /// Who it is for, e.g. "Adultes, aucune connaissance requise".
    pub audience: String,
    pub default_duration_minutes: i32,
    pub default_capacity: i32,
    pub active: bool,
}

impl From<workshop::Model> for Workshop {
    fn from(w: workshop::Model) -> Workshop {
        Workshop {
            id: w.id,
            title: w.title,
            summary: w.summary,
            description: w.description,
            level: w.level,
            audience: w.audience,
            default_duration_minutes: w.default_duration_minutes,
            default_capacity: w.default_capacity,
            active: w.active,
        }
    }
}

/// One dated session of a workshop.
#[derive(Object, Debug, Clone)]
pub struct Session {
    pub id: i32,
    pub workshop_id: i32,
    pub workshop_title: String,
    pub place_id: i32,
    pub place_name: String,
    /// Start, with the organisation's UTC offset.
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub capacity: i32,
    pub seats_left: i32,
    pub waitlist_count: i32,
    pub status: SessionStatus,
    pub registration_closes_at: DateTime<FixedOffset>,
    /// True while a resident can register online right now.
    pub registration_open: bool,
    #[oai(skip_serializing_if_is_none)]
    pub facilitator_id: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub cancel_reason: Option<String>,
    /// At a mediation point, the desks it occupies (no appointment there meanwhile).
    #[oai(skip_serializing_if_is_none)]
    pub desks: Option<Vec<i32>>,
}

#[derive(Object, Debug, Clone)]
pub(crate) struct RegistrationRequest {
    /// The participant's name, as they want to be called.
    #[oai(validator(max_length = 200))]
    pub name: crate::domain::text::Line,
    /// An e-mail address, to receive the confirmation and calendar invite.
    #[oai(validator(max_length = 254))]
    pub email: Option<crate::domain::text::Line>,
    /// A phone number; enough on its own when the person has no e-mail.
    #[oai(validator(max_length = 40))]
    pub phone: Option<crate::domain::text::Line>,
    /// No longer asked and ignored: the details serve only the registration asked for
    /// (see `/donnees-personnelles`). Accepted so that older clients keep working.
    #[oai(deprecated)]
    pub consent: Option<bool>,
    /// Receive the confirmation and the reminders by SMS (a mobile number is needed).
    /// Left out: yes when a mobile and no e-mail are given.
    pub sms: Option<bool>,
}

#[derive(Object, Debug, Clone)]
pub(crate) struct StaffRegistrationRequest {
    #[oai(validator(max_length = 200))]
    pub name: crate::domain::text::Line,
    #[oai(validator(max_length = 254))]
    pub email: Option<crate::domain::text::Line>,
    #[oai(validator(max_length = 40))]
    pub phone: Option<crate::domain::text::Line>,
    /// Receive the confirmation and the reminders by SMS (a mobile number is needed).
    /// Left out: yes when a mobile and no e-mail are given.
    pub sms: Option<bool>,
    /// "+1 place" at the counter: when the session is full, one seat is added for this
    /// person (the waiting list keeps its order). Default false: the waiting list.
    #[oai(default)]
    pub extra_seat: bool,
}

/// Answer to a new registration. `manage_token` is given this once.
#[derive(Object, Debug, Clone)]
pub(crate) struct RegistrationCreated {
    pub id: i32,
    /// The booking code to quote on the phone or at `/retrouver` (with the phone or e-mail
    /// given), e.g. `K7P-4QX`.
    pub booking_code: String,
    pub status: RegistrationStatus,
    /// Position on the waiting list (1 = next), when waitlisted.
    #[oai(skip_serializing_if_is_none)]
    pub waitlist_position: Option<i32>,
    /// Secret for `/api/v1/registrations/{token}`; keep it, it is not shown again.
    pub manage_token: String,
    /// The page where the resident can see or cancel the registration.
    pub manage_url: String,
    pub session: Session,
}

/// What the holder of a manage token sees of their registration.
#[derive(Object, Debug, Clone)]
pub(crate) struct RegistrationView {
    pub id: i32,
    /// The booking code to quote on the phone or at `/retrouver` (with the phone or e-mail
    /// given), e.g. `K7P-4QX`.
    pub booking_code: String,
    pub name: String,
    pub status: RegistrationStatus,
    #[oai(skip_serializing_if_is_none)]
    pub waitlist_position: Option<i32>,
    /// True while the resident may still cancel.
    pub can_cancel: bool,
    pub session: Session,
}

/// A registration as staff see it.
#[derive(Object, Debug, Clone)]
pub(crate) struct StaffRegistration {
    pub id: i32,
    /// The booking code to quote on the phone or at `/retrouver` (with the phone or e-mail
    /// given), e.g. `K7P-4QX`.
    pub booking_code: String,
    pub session_id: i32,
    pub name: String,
    #[oai(skip_serializing_if_is_none)]
    pub email: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub phone: Option<String>,
    pub status: RegistrationStatus,
    #[oai(skip_serializing_if_is_none)]
    pub waitlist_position: Option<i32>,
    pub attendance: Attendance,
    /// "resident" or "staff".
    pub booked_by: String,
    pub created_at: DateTime<FixedOffset>,
}

impl StaffRegistration {
    pub(crate) fn new(r: registration::Model, waitlist_position: Option<i32>, tz: chrono_tz::Tz) -> StaffRegistration {
        StaffRegistration {
            id: r.id,
            booking_code: crate::domain::booking_code::display(&r.booking_code),
            session_id: r.session_id,
            name: r.name,
            email: r.email,
            phone: r.phone,
            status: r.status,
            waitlist_position,
            attendance: r.attendance,
            booked_by: r.booked_by.to_string(),
            created_at: crate::platform::time::local(tz, r.created_at),
        }
    }
}

#[derive(Object, Debug, Clone)]
pub(crate) struct AttendanceUpdate {
    pub attendance: Attendance,
}

#[derive(Object, Debug, Clone)]
pub(crate) struct WorkshopInput {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: crate::domain::text::Line,
    #[oai(validator(max_length = 500))]
    pub summary: crate::domain::text::Lines,
    #[oai(validator(max_length = 5000))]
    pub description: crate::domain::text::Lines,
    #[oai(validator(max_length = 100))]
    pub level: crate::domain::text::Line,
    #[oai(validator(max_length = 200))]
    pub audience: crate::domain::text::Line,
    #[oai(validator(minimum(value = "15"), maximum(value = "600")))]
    pub default_duration_minutes: i32,
    #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
    pub default_capacity: i32,
    #[oai(default = "default_true")]
    pub active: bool,
}

fn default_true() -> bool {
    true
}

#[derive(Object, Debug, Clone)]
pub(crate) struct SessionInput {
    pub workshop_id: i32,
    pub place_id: i32,
    /// RFC 3339 with an offset, e.g. `2027-01-12T14:00:00+01:00`.
    pub starts_at: crate::domain::text::Instant,
    pub ends_at: crate::domain::text::Instant,
    /// Defaults to the workshop's capacity.
    #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
    pub capacity: Option<i32>,
    pub facilitator_id: Option<i32>,
    /// Defaults to the start.
    pub registration_closes_at: Option<crate::domain::text::Instant>,
    /// At a mediation point, the desks the session occupies: their appointment slots close
    /// while it runs, and a session over appointments booked on them is refused (409
    /// `appointments_in_the_way`, their times and desks in `details`). Left out: all the
    /// place's desks; `[]`: none. Elsewhere, leave it out.
    #[oai(validator(max_items = 20))]
    pub desks: Option<Vec<i32>>,
    /// Create it despite the warnings: a French public holiday at a place that closes on
    /// holidays, another session at the same place and time. Without it, such a request
    /// answers 409 `planning_warnings`, the warnings in French in `details`.
    #[oai(default)]
    pub confirm_warnings: bool,
}

#[derive(Object, Debug, Clone)]
pub(crate) struct SessionUpdate {
    pub place_id: Option<i32>,
    pub starts_at: Option<crate::domain::text::Instant>,
    pub ends_at: Option<crate::domain::text::Instant>,
    #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
    pub capacity: Option<i32>,
    pub facilitator_id: Option<i32>,
    pub registration_closes_at: Option<crate::domain::text::Instant>,
    /// At a mediation point, the desks the session occupies, as at creation (`[]`: none).
    /// Left out: the desks it has when it stays at its place; all the new place's desks when
    /// it moves to another mediation point.
    #[oai(validator(max_items = 20))]
    pub desks: Option<Vec<i32>>,
    /// Save the new time or place despite the warnings (a public holiday at a place that
    /// closes on holidays, another session at the same place and time). Without it, such a
    /// change answers 409 `planning_warnings`, the warnings in French in `details`.
    #[oai(default)]
    pub confirm_warnings: bool,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub(crate) enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl From<Weekday> for chrono::Weekday {
    fn from(w: Weekday) -> chrono::Weekday {
        match w {
            Weekday::Monday => chrono::Weekday::Mon,
            Weekday::Tuesday => chrono::Weekday::Tue,
            Weekday::Wednesday => chrono::Weekday::Wed,
            Weekday::Thursday => chrono::Weekday::Thu,
            Weekday::Friday => chrono::Weekday::Fri,
            Weekday::Saturday => chrono::Weekday::Sat,
            Weekday::Sunday => chrono::Weekday::Sun,
        }
    }
}

/// "Every Tuesday 14:00–16:00 from D1 to D2", in the organisation's wall time.
#[derive(Object, Debug, Clone)]
pub(crate) struct SeriesInput {
    pub workshop_id: i32,
    pub place_id: i32,
    pub weekday: Weekday,
    /// Wall time, `HH:MM`.
    #[oai(validator(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub start_time: crate::domain::text::Line,
    #[oai(validator(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub end_time: crate::domain::text::Line,
    pub first_date: chrono::NaiveDate,
    pub last_date: chrono::NaiveDate,
    #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
    pub capacity: Option<i32>,
    pub facilitator_id: Option<i32>,
    /// Skip French public holidays at a place that closes on them (default true). When false,
    /// such dates are warnings to confirm with `confirm_warnings`.
    #[oai(default = "default_true")]
    pub skip_public_holidays: bool,
    /// At a mediation point, the desks every session occupies (as for one session). Dates
    /// over appointments booked on them are skipped and listed in `skipped_for_appointments`.
    #[oai(validator(max_items = 20))]
    pub desks: Option<Vec<i32>>,
    /// Create the sessions falling on public holidays kept at a place that closes on them;
    /// without it, such a request answers 409 `planning_warnings`.
    #[oai(default)]
    pub confirm_warnings: bool,
}

/// A date of a series and what to know about it, in French.
#[derive(Object, Debug, Clone)]
pub(crate) struct SeriesNote {
    pub date: chrono::NaiveDate,
    pub message: String,
}

#[derive(Object, Debug, Clone)]
pub(crate) struct SkippedDate {
    pub date: chrono::NaiveDate,
    /// e.g. "Armistice 1918".
    pub holiday: String,
}

#[derive(Object, Debug, Clone)]
pub(crate) struct SeriesCreated {
    pub sessions: Vec<Session>,
    /// Public holidays left out.
    pub skipped: Vec<SkippedDate>,
    /// Sessions created although another session shares the place and time: to check.
    pub overlaps: Vec<SeriesNote>,
    /// Dates left out because appointments are booked on the desks (time and desk).
    pub skipped_for_appointments: Vec<SeriesNote>,
    /// e.g. "13 séances créées, 2 jours fériés sautés, 1 chevauchement à vérifier."
    pub summary: String,
}

#[derive(Object, Debug, Clone)]
pub(crate) struct CancelSession {
    /// Told to every registered resident, e.g. "Animateur malade".
    #[oai(validator(max_length = 500))]
    pub reason: Option<crate::domain::text::Lines>,
}

/// Where to move a registrant: another session of the same workshop.
#[derive(Object, Debug, Clone)]
pub(crate) struct MoveRegistration {
    pub session_id: i32,
}

/// Why staff take a registrant off a session: written in the message to the person.
#[derive(Object, Debug, Clone)]
pub(crate) struct RemoveRegistration {
    #[oai(validator(min_length = 1, max_length = 500))]
    pub reason: crate::domain::text::Lines,
}

/// Giving a waiting person a seat by hand.
#[derive(Object, Debug, Clone)]
pub(crate) struct PromoteRegistration {
    /// Add one seat for them when none is free (at most 500 in all).
    #[oai(default)]
    pub extra_seat: bool,
}

/// Cancelling a weekly series from a day on.
#[derive(Object, Debug, Clone)]
pub(crate) struct CancelSeriesFrom {
    /// The first day cancelled, in the organisation's time zone; sessions already started
    /// are never cancelled.
    pub from: chrono::NaiveDate,
    /// Told to every registered resident.
    #[oai(validator(max_length = 500))]
    pub reason: Option<crate::domain::text::Lines>,
}
