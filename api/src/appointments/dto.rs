//! Request and response shapes of the appointment API (kept apart from the entities).
//! Instants are RFC 3339 with the organisation's UTC offset; opening hours are wall times
//! `HH:MM` of the place.
use chrono::{DateTime, FixedOffset, NaiveDate};
pub(crate) use entities::kinds::AppointmentStatus;
use poem_openapi::{Enum, Object};

pub(crate) use crate::workshops::dto::Weekday;

pub(crate) fn weekday_out(w: chrono::Weekday) -> Weekday {
    match w {
        chrono::Weekday::Mon => Weekday::Monday,
        chrono::Weekday::Tue => Weekday::Tuesday,
        chrono::Weekday::Wed => Weekday::Wednesday,
        chrono::Weekday::Thu => Weekday::Thursday,
        chrono::Weekday::Fri => Weekday::Friday,
        chrono::Weekday::Sat => Weekday::Saturday,
        chrono::Weekday::Sun => Weekday::Sunday,
    }
}

fn default_true() -> bool {
    true
}
fn default_notice() -> i32 {
    120
}
fn default_horizon() -> i32 {
    60
}

/// A reason for an appointment, as residents see it.
#[derive(Object, Debug, Clone)]
pub(crate) struct Motif {
    /// Identifier, for `motif` in slot listings and bookings.
    pub id: i32,
    /// e.g. "CAF", "ANTS : carte grise, permis, titres".
    pub label: String,
    /// Length of the appointment.
    pub duration_minutes: i32,
    /// What to bring and prepare; also sent with the confirmation.
    pub instructions: String,
    /// An online booking must start at least this long after the moment it is made.
    pub min_notice_minutes: i32,
    /// How many days ahead residents may book.
    pub horizon_days: i32,
    /// The places that offer this reason.
    pub place_ids: Vec<i32>,
}

/// A reason as staff manage it.
#[derive(Object, Debug, Clone)]
pub(crate) struct StaffMotif {
    /// Identifier.
    pub id: i32,
    /// Shown to residents and staff, e.g. "Impôts".
    pub label: String,
    /// Length of the appointment: a multiple of 15, from 15 to 240.
    pub duration_minutes: i32,
    /// False: staff book it (at the counter, on the phone); residents do not see it.
    pub bookable_online: bool,
    /// Minimum notice of online bookings, in minutes.
    pub min_notice_minutes: i32,
    /// How many days ahead residents may book online.
    pub horizon_days: i32,
    /// What to bring; sent with the confirmation and the reminders.
    pub instructions: String,
    /// Order in lists (smallest first).
    pub position: i32,
    /// An inactive reason is offered nowhere; its past appointments keep it.
    pub active: bool,
    /// The places that offer this reason.
    pub place_ids: Vec<i32>,
}

/// A reason to create or replace.
#[derive(Object, Debug, Clone)]
pub(crate) struct MotifInput {
    /// Shown to residents, e.g. "Impôts".
    #[oai(validator(min_length = 1, max_length = 200))]
    pub label: crate::domain::text::Line,
    /// A multiple of 15, from 15 to 240.
    pub duration_minutes: i32,
    /// Residents may book it online (default true); false for staff-only reasons.
    #[oai(default = "default_true")]
    pub bookable_online: bool,
    /// Minimum notice for online bookings, in minutes (default 120, at most 30 days).
    #[oai(default = "default_notice")]
    pub min_notice_minutes: i32,
    /// Booking horizon for online bookings, in days (default 60, 1 to 366).
    #[oai(default = "default_horizon")]
    pub horizon_days: i32,
    /// What to bring, shown when booking and sent with the confirmation and reminders.
    #[oai(default, validator(max_length = 2000))]
    pub instructions: crate::domain::text::Lines,
    #[oai(default)]
    pub position: i32,
    #[oai(default = "default_true")]
    pub active: bool,
    /// When given, exactly these places offer the reason (others stop offering it).
    pub place_ids: Option<Vec<i32>>,
}

/// The reasons a place offers.
#[derive(Object, Debug, Clone)]
pub(crate) struct PlaceMotifsInput {
    /// Every reason the place offers from now on (reasons of the organisation).
    pub motif_ids: Vec<i32>,
}

/// A weekly opening of a place.
#[derive(Object, Debug, Clone)]
pub(crate) struct OpeningRule {
    /// Identifier.
    pub id: i32,
    /// The place it opens.
    pub place_id: i32,
    /// Day of the week it applies to.
    pub weekday: Weekday,
    /// Wall time `HH:MM`.
    pub start_time: String,
    /// Wall time `HH:MM`, same day.
    pub end_time: String,
    /// Absent: every week. `[1, 3]`: the 1st and 3rd such weekday of the month.
    #[oai(skip_serializing_if_is_none)]
    pub weeks_of_month: Option<Vec<u8>>,
    /// First date on which the rule applies.
    #[oai(skip_serializing_if_is_none)]
    pub valid_from: Option<NaiveDate>,
    /// Last date on which the rule applies.
    #[oai(skip_serializing_if_is_none)]
    pub valid_to: Option<NaiveDate>,
    /// In French, e.g. "Les 1er et 3e mercredis du mois de 13 h 30 à 17 h".
    pub description: String,
}

/// A weekly opening rule to create or replace.
#[derive(Object, Debug, Clone)]
pub(crate) struct OpeningRuleInput {
    /// Day of the week it applies to.
    pub weekday: Weekday,
    /// Wall time `HH:MM`, on a quarter-hour.
    #[oai(validator(max_length = 5))]
    pub start_time: crate::domain::text::Line,
    /// Wall time `HH:MM`, on a quarter-hour, after `start_time` (same day).
    #[oai(validator(max_length = 5))]
    pub end_time: crate::domain::text::Line,
    /// Weeks of the month (1 to 5) for "1st and 3rd Wednesday"; absent for every week.
    pub weeks_of_month: Option<Vec<u8>>,
    /// First date on which the rule applies (absent: already in force).
    pub valid_from: Option<NaiveDate>,
    /// Last date on which the rule applies (absent: no end).
    pub valid_to: Option<NaiveDate>,
}

/// A one-off opening (a Saturday morning before a tax deadline…); it opens even on a
/// public holiday.
#[derive(Object, Debug, Clone)]
pub(crate) struct ExtraOpening {
    /// Identifier.
    pub id: i32,
    /// The place it opens.
    pub place_id: i32,
    /// The date it opens, in the place's calendar.
    pub date: NaiveDate,
    /// Wall time `HH:MM`.
    pub start_time: String,
    /// Wall time `HH:MM`, same day.
    pub end_time: String,
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
}

/// A one-off opening to create or replace.
#[derive(Object, Debug, Clone)]
pub(crate) struct ExtraOpeningInput {
    /// The date it opens.
    pub date: NaiveDate,
    /// Wall time `HH:MM`, on a quarter-hour.
    #[oai(validator(max_length = 5))]
    pub start_time: crate::domain::text::Line,
    #[oai(validator(max_length = 5))]
    pub end_time: crate::domain::text::Line,
    /// Shown with the opening, e.g. "Permanence spéciale déclaration de revenus".
    #[oai(validator(max_length = 300))]
    pub note: Option<crate::domain::text::Lines>,
}

/// A period without appointments, for the whole place or one desk.
#[derive(Object, Debug, Clone)]
pub(crate) struct Closure {
    /// Identifier.
    pub id: i32,
    /// The closed place.
    pub place_id: i32,
    /// The closed desk; absent when the whole place is closed.
    #[oai(skip_serializing_if_is_none)]
    pub desk: Option<i32>,
    /// Start of the closure.
    pub starts_at: DateTime<FixedOffset>,
    /// End of the closure (exclusive).
    pub ends_at: DateTime<FixedOffset>,
    /// Why, e.g. "Agent en formation".
    pub reason: String,
    /// When it was recorded.
    pub created_at: DateTime<FixedOffset>,
}

/// A closure to create or replace.
#[derive(Object, Debug, Clone)]
pub(crate) struct ClosureInput {
    /// One desk (1 to the place's desks), e.g. an agent on leave; absent for the whole place.
    pub desk: Option<i32>,
    /// Start of the closure.
    pub starts_at: crate::domain::text::Instant,
    /// End of the closure (exclusive).
    pub ends_at: crate::domain::text::Instant,
    /// Shown to residents on the place's opening hours when the whole place is closed
    /// (e.g. "Fermeture pour travaux"); staff only see it for a desk.
    #[oai(validator(min_length = 1, max_length = 300))]
    pub reason: crate::domain::text::Lines,
}

/// A new closure and the appointments it overlaps, which are kept: staff move or cancel them.
#[derive(Object, Debug, Clone)]
pub(crate) struct ClosureCreated {
    /// The closure as recorded.
    pub closure: Closure,
    /// Booked appointments during the closure (on the closed desk, or anywhere for the place).
    pub affected_appointments: Vec<StaffAppointment>,
}

/// A whole-place closure as residents see it.
#[derive(Object, Debug, Clone)]
pub(crate) struct PublicClosure {
    /// Start of the closure.
    pub starts_at: DateTime<FixedOffset>,
    /// End of the closure (exclusive).
    pub ends_at: DateTime<FixedOffset>,
    /// Why the place is closed.
    pub reason: String,
}

/// A public holiday on which the place would open but stays closed.
#[derive(Object, Debug, Clone)]
pub(crate) struct HolidayClosure {
    /// The holiday's date.
    pub date: NaiveDate,
    /// e.g. "Ascension".
    pub name: String,
}

/// When a place receives residents: weekly rules, and what changes them in the next 90 days.
#[derive(Object, Debug, Clone)]
pub(crate) struct OpeningHours {
    /// The place.
    pub place_id: i32,
    /// Its name.
    pub place_name: String,
    /// IANA zone of the wall times, e.g. "Europe/Paris".
    pub timezone: String,
    /// Residents that can be received at the same time.
    pub desks: i32,
    /// The place is closed on French public holidays.
    pub close_on_public_holidays: bool,
    /// Weekly rules still in force (or starting later), by weekday and time.
    pub rules: Vec<OpeningRule>,
    /// Upcoming one-off openings.
    pub extra_openings: Vec<ExtraOpening>,
    /// Upcoming closures of the whole place.
    pub closures: Vec<PublicClosure>,
    /// Upcoming public holidays on which a weekly rule would have opened the place.
    pub public_holidays: Vec<HolidayClosure>,
}

/// A bookable slot.
#[derive(Object, Debug, Clone)]
pub(crate) struct FreeSlot {
    /// Start of the slot; pass it as `start` to book.
    pub start: DateTime<FixedOffset>,
    /// End of the slot.
    pub end: DateTime<FixedOffset>,
    /// Desks still free for this slot (at least 1).
    pub free_desks: i32,
}

/// Free slots of a reason at a place over a range.
#[derive(Object, Debug, Clone)]
pub(crate) struct SlotList {
    /// The place.
    pub place_id: i32,
    /// The reason listed.
    pub motif_id: i32,
    /// Length of each slot.
    pub duration_minutes: i32,
    /// Start of the range listed.
    pub from: DateTime<FixedOffset>,
    /// End of the range listed.
    pub to: DateTime<FixedOffset>,
    /// Sorted by start.
    pub slots: Vec<FreeSlot>,
}

/// A resident's booking.
#[derive(Object, Debug, Clone)]
pub(crate) struct AppointmentRequest {
    /// The reason (see `GET /api/v1/motifs`).
    pub motif: i32,
    /// The start of a slot from `GET /api/v1/places/{id}/slots`, as given there.
    pub start: crate::domain::text::Instant,
    /// The resident's name, as they want to be called.
    #[oai(validator(max_length = 200))]
    pub name: crate::domain::text::Line,
    /// An e-mail address, for the confirmation, the calendar invite and the reminders.
    #[oai(validator(max_length = 254))]
    pub email: Option<crate::domain::text::Line>,
    /// A phone number; enough on its own when the person has no e-mail.
    #[oai(validator(max_length = 40))]
    pub phone: Option<crate::domain::text::Line>,
    /// Anything the agent should know beforehand (1000 characters at most).
    #[oai(validator(max_length = 1000))]
    pub note: Option<crate::domain::text::Lines>,
    /// Hearing, sight, mobility, language… so the agent can prepare (500 characters at most).
    #[oai(validator(max_length = 500))]
    pub accessibility_needs: Option<crate::domain::text::Lines>,
    /// Receive the confirmation and the reminders by SMS (a mobile number is needed).
    /// Left out: yes when a mobile and no e-mail are given.
    pub sms: Option<bool>,
}

/// A booking made by staff on a resident's behalf.
#[derive(Object, Debug, Clone)]
pub(crate) struct StaffAppointmentRequest {
    /// Any reason the place offers, staff-only ones included.
    pub motif: i32,
    /// The start of a slot; minimum notice and horizon do not apply, but the slot must not
    /// be over and a desk must be free.
    pub start: crate::domain::text::Instant,
    #[oai(validator(max_length = 200))]
    pub name: crate::domain::text::Line,
    #[oai(validator(max_length = 254))]
    pub email: Option<crate::domain::text::Line>,
    /// A phone number alone is enough.
    #[oai(validator(max_length = 40))]
    pub phone: Option<crate::domain::text::Line>,
    #[oai(validator(max_length = 1000))]
    pub note: Option<crate::domain::text::Lines>,
    #[oai(validator(max_length = 500))]
    pub accessibility_needs: Option<crate::domain::text::Lines>,
    /// Book even if the person already holds the maximum of upcoming appointments.
    #[oai(default)]
    pub override_fair_use: bool,
    /// Receive the confirmation and the reminders by SMS (a mobile number is needed).
    /// Left out: yes when a mobile and no e-mail are given.
    pub sms: Option<bool>,
}

/// What the holder of a manage token sees of their appointment.
#[derive(Object, Debug, Clone)]
pub(crate) struct AppointmentView {
    /// Identifier.
    pub id: i32,
    /// The booking code to quote on the phone or at `/retrouver` (with the phone or e-mail
    /// given), e.g. `K7P-4QX`.
    pub booking_code: String,
    /// The resident's name.
    pub name: String,
    /// Where the appointment stands.
    pub status: AppointmentStatus,
    /// The reason.
    pub motif_id: i32,
    /// The reason's label.
    pub motif_label: String,
    /// What to bring.
    pub instructions: String,
    /// The place.
    pub place_id: i32,
    /// The place's name.
    pub place_name: String,
    /// Street, postal code and city.
    pub place_address: String,
    #[oai(skip_serializing_if_is_none)]
    pub place_phone: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub place_access: Option<String>,
    /// Start, with the organisation's UTC offset.
    pub starts_at: DateTime<FixedOffset>,
    /// End, with the organisation's UTC offset.
    pub ends_at: DateTime<FixedOffset>,
    /// True while the resident may still cancel or move it online (until it starts).
    pub can_change: bool,
    #[oai(skip_serializing_if_is_none)]
    pub cancel_reason: Option<String>,
}

/// Answer to a new booking. `manage_token` is given this once.
#[derive(Object, Debug, Clone)]
pub(crate) struct AppointmentCreated {
    /// Identifier.
    pub id: i32,
    /// Secret for `/api/v1/appointments/{token}`; keep it, it is not shown again.
    pub manage_token: String,
    /// The page where the resident can see, move or cancel the appointment.
    pub manage_url: String,
    /// The appointment as its manage page shows it.
    pub appointment: AppointmentView,
}

/// A resident's move to another slot.
#[derive(Object, Debug, Clone)]
pub(crate) struct RescheduleRequest {
    /// The start of another free slot for the same reason and place.
    pub start: crate::domain::text::Instant,
}

/// A staff move to another slot, possibly for another reason.
#[derive(Object, Debug, Clone)]
pub(crate) struct StaffRescheduleRequest {
    /// The new start (no notice or horizon for staff).
    pub start: crate::domain::text::Instant,
    /// Another reason offered by the place, if it changes.
    pub motif: Option<i32>,
}

/// An appointment as staff see it.
#[derive(Object, Debug, Clone)]
pub(crate) struct StaffAppointment {
    /// Identifier.
    pub id: i32,
    /// The booking code to quote on the phone or at `/retrouver` (with the phone or e-mail
    /// given), e.g. `K7P-4QX`.
    pub booking_code: String,
    /// The place.
    pub place_id: i32,
    /// The reason.
    pub motif_id: i32,
    /// The reason's label.
    pub motif_label: String,
    /// The desk (1 to the place's desks).
    pub desk: i32,
    /// Start, with the organisation's UTC offset.
    pub starts_at: DateTime<FixedOffset>,
    /// End, with the organisation's UTC offset.
    pub ends_at: DateTime<FixedOffset>,
    /// The resident's name.
    pub name: String,
    #[oai(skip_serializing_if_is_none)]
    pub email: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub phone: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub accessibility_needs: Option<String>,
    /// Where the appointment stands.
    pub status: AppointmentStatus,
    /// "resident" or "staff".
    pub booked_by: String,
    #[oai(skip_serializing_if_is_none)]
    pub cancel_reason: Option<String>,
    /// When it was booked.
    pub created_at: DateTime<FixedOffset>,
}

/// What staff record once an appointment has started.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// The resident came.
    Honoured,
    /// The resident did not come.
    NoShow,
    /// The resident did not come but had warned.
    Excused,
}

/// Whether the resident came.
#[derive(Object, Debug, Clone)]
pub(crate) struct OutcomeInput {
    /// Whether the resident came.
    pub outcome: Outcome,
}

/// A cancellation by staff.
#[derive(Object, Debug, Clone)]
pub(crate) struct StaffCancel {
    /// Told to the resident, e.g. "Agent absent, nous vous rappelons".
    #[oai(validator(max_length = 500))]
    pub reason: Option<crate::domain::text::Lines>,
}

/// One opening period of a day, as instants.
#[derive(Object, Debug, Clone)]
pub(crate) struct Opening {
    /// Opening time.
    pub starts_at: DateTime<FixedOffset>,
    /// Closing time.
    pub ends_at: DateTime<FixedOffset>,
}

/// One day of a place's agenda.
#[derive(Object, Debug, Clone)]
pub(crate) struct AgendaDay {
    /// The day, in the place's calendar.
    pub date: NaiveDate,
    /// The public holiday's name, when the day is one.
    #[oai(skip_serializing_if_is_none)]
    pub public_holiday: Option<String>,
    /// Openings of the day (weekly rules, unless closed for the holiday, and extras).
    pub openings: Vec<Opening>,
    /// Closures overlapping the day.
    pub closures: Vec<Closure>,
    /// By start, then desk.
    pub appointments: Vec<StaffAppointment>,
}

/// A place's agenda over one to seven days.
#[derive(Object, Debug, Clone)]
pub(crate) struct Agenda {
    /// The place.
    pub place_id: i32,
    /// Its name.
    pub place_name: String,
    /// Residents that can be received at the same time.
    pub desks: i32,
    /// IANA zone of the days and times, e.g. "Europe/Paris".
    pub timezone: String,
    /// One entry per day, in order.
    pub days: Vec<AgendaDay>,
}
