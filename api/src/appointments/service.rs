//! Bookings: the transactions behind the appointment API and pages.
//!
//! Every write runs in one write transaction ([`db::begin_write`]) that (1) checks the
//! requested slot against the place's schedule and appointments with the pure
//! [`check_slot`], (2) claims the slot's 15-minute cells on a free desk, each desk tried in
//! a savepoint so that a unique-index violation (another booking got there first) only
//! undoes that attempt, (3) writes the appointment and (4) queues the messages. The
//! database's unique index on (place, desk, cell) is the final word: whatever the timing,
//! two appointments can never share a desk.
use crate::domain::refusal::{DomainError, Refusal};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use entities::kinds::{AppointmentStatus, BookedBy};
use entities::{appointment, appointment_claim, motif, organisation, place, place_motif};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Set, Statement, TransactionTrait,
};

use super::{
    rules::{cells, person_lock_key},
    schedule::{load_busy, load_schedule},
    walk_in::{self, WalkInTime},
};
use crate::{
    domain::{
        booking_code::BookingCode,
        contact::{Contact, PersonName},
        series::wall_to_utc_shifting_gaps,
        slots::{BookingWindow, Slot, SlotRejection, check_slot},
    },
    notifications::{
        enqueue::{self, Context, Recipient},
        ical::CalendarMethod,
        payload::{BookingKind, Event, Payload},
    },
    platform::db,
    platform::state::AppState,
    platform::time::parse_tz,
    platform::token,
};

#[derive(Debug, thiserror::Error)]
pub(crate) enum AppointmentError {
    #[error("Ce lieu n'existe pas.")]
    PlaceNotFound,
    #[error("Ce rendez-vous n'existe pas ou le lien n'est plus valable.")]
    NotFound,
    #[error("Ce motif de rendez-vous n'est pas proposé dans ce lieu.")]
    MotifNotOffered,
    #[error("Cet horaire ne correspond pas au début d'un créneau : choisissez un créneau dans la liste.")]
    OffGrid,
    #[error("Ce créneau ne peut pas être réservé maintenant : il est trop proche ou trop lointain.")]
    OutsideWindow,
    #[error("Ce créneau est déjà passé.")]
    InPast,
    #[error("Le lieu est fermé à cet horaire.")]
    Closed,
    #[error("Ce créneau vient d'être réservé par quelqu'un d'autre : choisissez-en un autre.")]
    SlotTaken,
    #[error(
        "Vous avez déjà {0} rendez-vous à venir, le maximum : annulez-en un ou appelez-nous pour en prendre un autre."
    )]
    TooManyAppointments(i32),
    #[error("Ce rendez-vous est déjà annulé.")]
    AlreadyCancelled,
    #[error("Ce rendez-vous a déjà eu lieu : il ne peut plus être modifié.")]
    AlreadyHeld,
    #[error("Le rendez-vous a commencé : il ne peut plus être modifié en ligne. Prévenez l'équipe par téléphone.")]
    TooLate,
    #[error("La présence se note une fois le rendez-vous commencé.")]
    NotStarted,
    #[error("Seul un rendez-vous non annulé peut être noté.")]
    CannotMark,
    #[error("Aucun poste n'est libre maintenant pour ce motif : proposez le prochain créneau libre de la journée.")]
    NoDeskNow,
    #[error(
        "Plus aucun créneau n'est libre aujourd'hui pour ce motif dans ce lieu : proposez un rendez-vous un autre jour."
    )]
    NoSlotToday,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<SlotRejection> for AppointmentError {
    fn from(r: SlotRejection) -> AppointmentError {
        match r {
            SlotRejection::OffGrid => AppointmentError::OffGrid,
            SlotRejection::OutsideWindow => AppointmentError::OutsideWindow,
            SlotRejection::Closed => AppointmentError::Closed,
            SlotRejection::Full => AppointmentError::SlotTaken,
        }
    }
}

impl DomainError for AppointmentError {
    fn refusal(&self) -> Refusal {
        use AppointmentError::*;
        match self {
            PlaceNotFound | NotFound => Refusal::NotFound,
            SlotTaken | TooManyAppointments(_) | AlreadyCancelled | NoDeskNow | NoSlotToday => Refusal::Conflict,
            MotifNotOffered | OffGrid | OutsideWindow | InPast | Closed | AlreadyHeld | TooLate | NotStarted
            | CannotMark => Refusal::Rule,
            Db(_) => Refusal::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        use AppointmentError::*;
        match self {
            PlaceNotFound | NotFound => "not_found",
            MotifNotOffered => "motif_not_offered",
            OffGrid => "off_grid",
            OutsideWindow | InPast => "outside_window",
            Closed => "closed",
            SlotTaken => "slot_taken",
            TooManyAppointments(_) => "too_many_appointments",
            AlreadyCancelled => "already_cancelled",
            AlreadyHeld => "already_held",
            TooLate => "too_late",
            NotStarted => "not_started",
            CannotMark => "cannot_mark",
            NoDeskNow | NoSlotToday => "no_free_slot",
            Db(_) => "internal",
        }
    }
}

/// Who makes a change, which decides the rules that apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Booker {
    /// Online: reasons bookable online only, within the reason's notice and horizon, at
    /// most `max_future_appointments` upcoming appointments per person, no change once started.
    Resident,
    /// At the counter or on the phone: any reason of the place, any time that has not ended
    /// yet; the fair-use limit applies unless `override_fair_use`.
    Staff { staff_id: i32, override_fair_use: bool },
}

impl Booker {
    fn booked_by(self) -> BookedBy {
        match self {
            Booker::Resident => BookedBy::Resident,
            Booker::Staff { .. } => BookedBy::Staff,
        }
    }
    fn staff_id(self) -> Option<i32> {
        match self {
            Booker::Resident => None,
            Booker::Staff { staff_id, .. } => Some(staff_id),
        }
    }
    fn is_resident(self) -> bool {
        self == Booker::Resident
    }
}

/// A booking request, already parsed at the edge.
#[derive(Debug, Clone)]
pub(crate) struct NewAppointment {
    pub place_id: i32,
    pub motif_id: i32,
    pub starts_at: DateTime<Utc>,
    pub contact: Contact,
    pub note: Option<String>,
    pub accessibility_needs: Option<String>,
    /// Whether the person wants SMS; `None`: yes with a mobile and no e-mail.
    pub sms: Option<bool>,
}

pub(crate) struct Booked {
    pub appointment: appointment::Model,
    /// Returned this once; only its hash is stored.
    pub manage_token: String,
}

/// The place of an appointment and its organisation, loaded once per transaction.
struct PlaceContext {
    place: place::Model,
    organisation: organisation::Model,
    tz: Tz,
}

impl PlaceContext {
    async fn load<C: ConnectionTrait>(db: &C, place_id: i32) -> Result<Option<PlaceContext>, DbErr> {
        let Some(place) = place::Entity::find_by_id(place_id).one(db).await? else {
            return Ok(None);
        };
        let organisation = organisation::Entity::find_by_id(place.organisation_id)
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("organisation referenced by a place".into()))?;
        let tz = parse_tz(&organisation.timezone);
        Ok(Some(PlaceContext {
            place,
            organisation,
            tz,
        }))
    }

    fn ctx<'a>(&'a self, state: &'a AppState, host: &'a str, now: DateTime<Utc>) -> Context<'a> {
        Context {
            organisation: &self.organisation,
            place: &self.place,
            public_url: &state.settings.public_url,
            public_host: host,
            now,
        }
    }
}

/// The reason `motif_id` if `place` offers it to `by`: active, of the place's organisation,
/// listed for the place, and bookable online when a resident asks.
pub(crate) async fn offered_motif<C: ConnectionTrait>(
    db: &C,
    place: &place::Model,
    motif_id: i32,
    by: Booker,
) -> Result<motif::Model, AppointmentError> {
    let found = motif::Entity::find_by_id(motif_id).one(db).await?;
    let Some(m) = found.filter(|m| m.organisation_id == place.organisation_id && m.active) else {
        return Err(AppointmentError::MotifNotOffered);
    };
    if by.is_resident() && !m.bookable_online {
        return Err(AppointmentError::MotifNotOffered);
    }
    let offered = place_motif::Entity::find_by_id((place.id, m.id))
        .one(db)
        .await?
        .is_some();
    if !offered {
        return Err(AppointmentError::MotifNotOffered);
    }
    Ok(m)
}

/// The booking window of a reason for residents; staff have none.
pub(crate) fn window(m: &motif::Model, by: Booker) -> Option<BookingWindow> {
    by.is_resident().then(|| BookingWindow {
        min_notice: Duration::minutes(i64::from(m.min_notice_minutes)),
        horizon: Duration::days(i64::from(m.horizon_days)),
    })
}

pub(crate) fn duration(m: &motif::Model) -> Duration {
    Duration::minutes(i64::from(m.duration_minutes))
}

/// Checks that `starts_at` is a bookable slot of `m` at the place for `by`, and answers its
/// free desks. Staff have no window but cannot book a slot that is already over.
async fn bookable_slot(
    txn: &DatabaseTransaction,
    pc: &PlaceContext,
    m: &motif::Model,
    starts_at: DateTime<Utc>,
    by: Booker,
    now: DateTime<Utc>,
    except: Option<i32>,
) -> Result<Slot, AppointmentError> {
    let length = duration(m);
    let ends_at = starts_at + length;
    // Before reading the busy desks: a session being planned there commits first, or waits.
    super::desk_lock::for_booking(txn, pc.place.id).await?;
    let schedule = load_schedule(txn, &pc.place, pc.tz, starts_at, ends_at).await?;
    let busy = load_busy(txn, pc.place.id, starts_at, ends_at, except).await?;
    let window = window(m, by);
    let slot = check_slot(&schedule, &busy, length, window.as_ref(), now, starts_at)?;
    if window.is_none() && slot.ends_at <= now {
        return Err(AppointmentError::InPast);
    }
    Ok(slot)
}

/// Refuses a booking that would give the person (same e-mail or same phone) more upcoming
/// appointments than the organisation allows. On PostgreSQL, advisory locks on the person's
/// keys make two simultaneous bookings of one person count one after the other; on SQLite
/// the write transaction already does.
async fn check_fair_use(
    txn: &DatabaseTransaction,
    organisation: &organisation::Model,
    contact: &Contact,
    now: DateTime<Utc>,
) -> Result<(), AppointmentError> {
    let email = contact.email.as_ref().map(|e| e.as_str().to_string());
    let phone = contact.phone.as_ref().map(|p| p.as_str().to_string());
    if txn.get_database_backend() == DbBackend::Postgres {
        let mut keys: Vec<i64> = email
            .iter()
            .chain(phone.iter())
            .map(|k| person_lock_key(organisation.id, k))
            .collect();
        // Always in the same order, so two transactions never wait on each other in a cycle.
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [key.into()],
            ))
            .await?;
        }
    }
    let mut same_person = sea_orm::Condition::any();
    if let Some(e) = email {
        same_person = same_person.add(appointment::Column::EmailKey.eq(e));
    }
    if let Some(p) = phone {
        same_person = same_person.add(appointment::Column::PhoneKey.eq(p));
    }
    let upcoming = appointment::Entity::find()
        .filter(appointment::Column::OrganisationId.eq(organisation.id))
        .filter(appointment::Column::Status.eq(AppointmentStatus::Booked))
        .filter(appointment::Column::StartsAt.gt(now))
        .filter(same_person)
        .count(txn)
        .await?;
    let max = organisation.max_future_appointments.max(0);
    if upcoming >= max as u64 {
        return Err(AppointmentError::TooManyAppointments(max));
    }
    Ok(())
}

/// Inserts the claims of `cells` on `desk` for an appointment, in a savepoint. Answers
/// false, with nothing written, when one of the cells is already claimed on that desk.
async fn try_claim(
    txn: &DatabaseTransaction,
    appointment_id: i32,
    place_id: i32,
    desk: i32,
    cells: &[DateTime<Utc>],
) -> Result<bool, DbErr> {
    if cells.is_empty() {
        return Ok(true);
    }
    // A savepoint: on PostgreSQL a failed statement would otherwise abort the whole
    // transaction, and on both databases it undoes exactly this attempt.
    let savepoint = txn.begin().await?;
    let rows = cells.iter().map(|cell| appointment_claim::ActiveModel {
        appointment_id: Set(appointment_id),
        place_id: Set(place_id),
        desk: Set(desk),
        cell_start: Set(*cell),
        ..Default::default()
    });
    match appointment_claim::Entity::insert_many(rows)
        .exec_without_returning(&savepoint)
        .await
    {
        Ok(_) => {
            savepoint.commit().await?;
            Ok(true)
        }
        Err(e) if db::is_unique_violation(&e) => {
            savepoint.rollback().await?;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

fn recipient(a: &appointment::Model) -> Recipient {
    Recipient {
        booking: BookingKind::Appointment,
        booking_id: a.id,
        name: a.name.clone(),
        email: a.email.clone(),
        sms_to: crate::notifications::sms::number_to_text(a.phone.as_deref(), a.sms_consent),
        answer: false,
        sequence: a.ical_sequence,
        booking_code: a.booking_code.clone(),
        manage_key: a.manage_key.clone(),
    }
}

fn payload(ctx: &Context<'_>, event: Event, a: &appointment::Model, m: &motif::Model) -> Payload {
    let mut p = ctx.payload(event, BookingKind::Appointment, &m.label, a.starts_at, a.ends_at);
    let instructions = m.instructions.trim();
    p.instructions = (!instructions.is_empty()).then(|| instructions.to_string());
    p
}

/// Books an appointment: checks the slot, claims a free desk, writes the appointment and
/// queues the confirmation (with a calendar invite) and its reminders, all in one
/// transaction.
pub(crate) async fn book(state: &AppState, req: NewAppointment, by: Booker) -> Result<Booked, AppointmentError> {
    let now = state.clock.now();
    let host = state.public_host();
    let txn = db::begin_write(&state.db).await?;
    let pc = PlaceContext::load(&txn, req.place_id)
        .await?
        .ok_or(AppointmentError::PlaceNotFound)?;
    if by.is_resident() && !pc.place.active {
        return Err(AppointmentError::PlaceNotFound);
    }
    let m = offered_motif(&txn, &pc.place, req.motif_id, by).await?;
    let fair_use_applies = !matches!(
        by,
        Booker::Staff {
            override_fair_use: true,
            ..
        }
    );
    if fair_use_applies {
        check_fair_use(&txn, &pc.organisation, &req.contact, now).await?;
    }
    let slot = bookable_slot(&txn, &pc, &m, req.starts_at, by, now, None).await?;

    let code = BookingCode::random();
    let manage_key = token::generate();
    let manage_token = token::manage_token(state.settings.secret(), &manage_key);
    let email = req.contact.email.as_ref().map(|e| e.as_str().to_string());
    let phone = req.contact.phone.as_ref().map(|p| p.as_str().to_string());
    let first_desk = slot.free_desks.first().copied().ok_or(AppointmentError::SlotTaken)?;
    let sms_consent = crate::workshops::service::sms_consent(&email, &phone, req.sms);
    // A walk-in gives neither: the table's CHECK "an e-mail or a phone" wants one, so the
    // phone is stored empty, as retention leaves it (`retention::CLEARED_PHONE`); its key,
    // which every lookup uses, stays NULL.
    let stored_phone = match (&email, &phone) {
        (None, None) => Some(crate::retention::CLEARED_PHONE.to_string()),
        _ => phone.clone(),
    };
    let inserted = appointment::ActiveModel {
        organisation_id: Set(pc.organisation.id),
        place_id: Set(pc.place.id),
        motif_id: Set(m.id),
        desk: Set(first_desk as i32),
        starts_at: Set(slot.starts_at),
        ends_at: Set(slot.ends_at),
        name: Set(req.contact.name.as_str().to_string()),
        email: Set(email.clone()),
        phone: Set(stored_phone),
        email_key: Set(email),
        phone_key: Set(phone),
        note: Set(req.note),
        accessibility_needs: Set(req.accessibility_needs),
        status: Set(AppointmentStatus::Booked),
        booked_by: Set(by.booked_by()),
        booked_by_staff_id: Set(by.staff_id()),
        manage_token_hash: Set(token::hash(&manage_token)),
        manage_key: Set(Some(manage_key.clone())),
        ical_sequence: Set(0),
        cancel_reason: Set(None),
        sms_consent: Set(sms_consent),
        created_at: Set(now),
        updated_at: Set(now),
        cancelled_at: Set(None),
        booking_code: Set(code.as_str().to_string()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;

    let wanted = cells(slot.starts_at, slot.ends_at);
    let mut claimed = None;
    for desk in &slot.free_desks {
        let desk = *desk as i32;
        if try_claim(&txn, inserted.id, pc.place.id, desk, &wanted).await? {
            claimed = Some(desk);
            break;
        }
    }
    // Every free desk went to someone else between our check and our claim.
    let desk = claimed.ok_or(AppointmentError::SlotTaken)?;
    let mut appointment = if desk == inserted.desk {
        inserted
    } else {
        let mut a: appointment::ActiveModel = inserted.into();
        a.desk = Set(desk);
        a.update(&txn).await?
    };
    appointment.booking_code =
        crate::bookings::claim(&txn, pc.organisation.id, BookingKind::Appointment, appointment.id, code).await?;

    let ctx = pc.ctx(state, &host, now);
    let to = Recipient {
        answer: by.is_resident(),
        ..recipient(&appointment)
    };
    let mut p = payload(&ctx, Event::AppointmentConfirmed, &appointment, &m);
    p.manage_key = Some(manage_key);
    enqueue::enqueue_with_reminders(&txn, &ctx, &to, &p, Some(CalendarMethod::Request)).await?;
    txn.commit().await?;
    Ok(Booked {
        appointment,
        manage_token,
    })
}

/// The appointment a manage token opens.
pub(crate) async fn find_by_token<C: ConnectionTrait>(
    db: &C,
    raw: &str,
) -> Result<appointment::Model, AppointmentError> {
    if !token::looks_valid(raw) {
        return Err(AppointmentError::NotFound);
    }
    appointment::Entity::find()
        .filter(crate::bookings::appointment_token(raw))
        .one(db)
        .await?
        .ok_or(AppointmentError::NotFound)
}

/// Reads an appointment inside a write transaction, locking its row on PostgreSQL (the
/// write transaction already serialises writers on SQLite), so that a cancellation and a
/// move of one appointment run one after the other.
async fn load_locked(txn: &DatabaseTransaction, id: i32) -> Result<appointment::Model, AppointmentError> {
    appointment::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(AppointmentError::NotFound)
}

/// Only an upcoming, non-cancelled appointment can change; a resident cannot change one
/// that has started.
fn check_changeable(a: &appointment::Model, by: Booker, now: DateTime<Utc>) -> Result<(), AppointmentError> {
    match a.status {
        AppointmentStatus::Booked => {}
        AppointmentStatus::Cancelled => return Err(AppointmentError::AlreadyCancelled),
        _ => return Err(AppointmentError::AlreadyHeld),
    }
    if by.is_resident() && now >= a.starts_at {
        return Err(AppointmentError::TooLate);
    }
    Ok(())
}

/// Whether a resident may still cancel or move `a` online.
pub(crate) fn resident_may_change(a: &appointment::Model, now: DateTime<Utc>) -> bool {
    check_changeable(a, Booker::Resident, now).is_ok()
}

/// Moves an appointment to `starts_at` (and, for staff, possibly to another reason of the
/// place). The new cells are claimed before the old ones are released, in one
/// transaction: a move that fails leaves the appointment exactly as it was. The resident
/// gets an updated invite (same UID, next SEQUENCE) and new reminders.
pub(crate) async fn reschedule(
    state: &AppState,
    appointment_id: i32,
    starts_at: DateTime<Utc>,
    new_motif: Option<i32>,
    by: Booker,
    raw_token: Option<&str>,
) -> Result<appointment::Model, AppointmentError> {
    reschedule_to(state, appointment_id, None, starts_at, new_motif, by, raw_token).await
}

/// [`reschedule`], possibly to another place (`new_place`) of the same organisation that
/// offers the reason: staff move a resident to another mediation point. The claims at the
/// old place are released once the new ones are secured, in the same transaction.
pub(crate) async fn reschedule_to(
    state: &AppState,
    appointment_id: i32,
    new_place: Option<i32>,
    starts_at: DateTime<Utc>,
    new_motif: Option<i32>,
    by: Booker,
    raw_token: Option<&str>,
) -> Result<appointment::Model, AppointmentError> {
    let now = state.clock.now();
    let host = state.public_host();
    let txn = db::begin_write(&state.db).await?;
    let current = load_locked(&txn, appointment_id).await?;
    check_changeable(&current, by, now)?;
    let pc = PlaceContext::load(&txn, new_place.unwrap_or(current.place_id))
        .await?
        .ok_or(AppointmentError::NotFound)?;
    let moves_place = pc.place.id != current.place_id;
    if moves_place && (pc.place.organisation_id != current.organisation_id || !pc.place.active || by.is_resident()) {
        return Err(AppointmentError::PlaceNotFound);
    }
    let m = offered_motif(&txn, &pc.place, new_motif.unwrap_or(current.motif_id), by).await?;
    if starts_at == current.starts_at && m.id == current.motif_id && !moves_place {
        return Ok(current);
    }
    let slot = bookable_slot(&txn, &pc, &m, starts_at, by, now, Some(current.id)).await?;

    let held = appointment_claim::Entity::find()
        .filter(appointment_claim::Column::AppointmentId.eq(current.id))
        .all(&txn)
        .await?;
    let wanted = cells(slot.starts_at, slot.ends_at);
    // The current desk first: the cells it already holds need no new claim.
    let mut desks: Vec<i32> = slot.free_desks.iter().map(|d| *d as i32).collect();
    if let Some(i) = desks.iter().position(|d| *d == current.desk && !moves_place) {
        desks[..=i].rotate_right(1);
    }
    let mut claimed = None;
    for desk in desks {
        let missing: Vec<DateTime<Utc>> = wanted
            .iter()
            .filter(|cell| {
                !held
                    .iter()
                    .any(|h| h.place_id == pc.place.id && h.desk == desk && h.cell_start == **cell)
            })
            .copied()
            .collect();
        if try_claim(&txn, current.id, pc.place.id, desk, &missing).await? {
            claimed = Some(desk);
            break;
        }
    }
    let desk = claimed.ok_or(AppointmentError::SlotTaken)?;
    // Only now, with the new time secured, is the old one released.
    let released: Vec<i64> = held
        .iter()
        .filter(|h| !(h.place_id == pc.place.id && h.desk == desk && wanted.contains(&h.cell_start)))
        .map(|h| h.id)
        .collect();
    if !released.is_empty() {
        appointment_claim::Entity::delete_many()
            .filter(appointment_claim::Column::Id.is_in(released))
            .exec(&txn)
            .await?;
    }
    let previous_starts_at = current.starts_at;
    let sequence = current.ical_sequence + 1;
    let mut a: appointment::ActiveModel = current.into();
    a.place_id = Set(pc.place.id);
    a.motif_id = Set(m.id);
    a.desk = Set(desk);
    a.starts_at = Set(slot.starts_at);
    a.ends_at = Set(slot.ends_at);
    a.ical_sequence = Set(sequence);
    a.updated_at = Set(now);
    let moved = a.update(&txn).await?;

    let ctx = pc.ctx(state, &host, now);
    let to = Recipient {
        answer: by.is_resident(),
        ..recipient(&moved)
    };
    let mut p = payload(&ctx, Event::AppointmentRescheduled, &moved, &m);
    p.previous_starts_at = Some(previous_starts_at);
    p.manage_key = moved.manage_key.clone().filter(|_| raw_token.is_some());
    enqueue::drop_reminders(&txn, BookingKind::Appointment, moved.id).await?;
    enqueue::enqueue_with_reminders(&txn, &ctx, &to, &p, Some(CalendarMethod::Request)).await?;
    txn.commit().await?;
    Ok(moved)
}

/// Cancels an appointment: its desk is free again at once (claims deleted), its reminders
/// are voided and the resident gets a calendar CANCEL, with the reason staff gave.
pub(crate) async fn cancel(
    state: &AppState,
    appointment_id: i32,
    by: Booker,
    reason: Option<String>,
    raw_token: Option<&str>,
) -> Result<appointment::Model, AppointmentError> {
    let now = state.clock.now();
    let host = state.public_host();
    let txn = db::begin_write(&state.db).await?;
    let current = load_locked(&txn, appointment_id).await?;
    check_changeable(&current, by, now)?;
    let pc = PlaceContext::load(&txn, current.place_id)
        .await?
        .ok_or(AppointmentError::NotFound)?;
    let m = motif::Entity::find_by_id(current.motif_id)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("motif referenced by an appointment".into()))?;
    appointment_claim::Entity::delete_many()
        .filter(appointment_claim::Column::AppointmentId.eq(current.id))
        .exec(&txn)
        .await?;
    let sequence = current.ical_sequence + 1;
    let mut a: appointment::ActiveModel = current.into();
    a.status = Set(AppointmentStatus::Cancelled);
    a.ical_sequence = Set(sequence);
    a.cancel_reason = Set(reason.clone());
    a.cancelled_at = Set(Some(now));
    a.updated_at = Set(now);
    let cancelled = a.update(&txn).await?;

    let ctx = pc.ctx(state, &host, now);
    let mut p = payload(&ctx, Event::AppointmentCancelled, &cancelled, &m);
    p.reason = reason;
    p.manage_key = cancelled.manage_key.clone().filter(|_| raw_token.is_some());
    enqueue::drop_reminders(&txn, BookingKind::Appointment, cancelled.id).await?;
    let to = Recipient {
        answer: by.is_resident(),
        ..recipient(&cancelled)
    };
    enqueue::enqueue(&txn, &ctx, &to, &p, Some(CalendarMethod::Cancel)).await?;
    txn.commit().await?;
    Ok(cancelled)
}

/// A walk-in booked at the counter (see [`walk_in`]): the person is there, so a name alone
/// is enough, and no fair-use limit applies (there is no contact to count by).
pub(crate) struct WalkIn {
    pub place_id: i32,
    pub motif_id: i32,
    pub name: PersonName,
    pub when: WalkInTime,
}

/// How many slots a walk-in tries when the first ones are taken in the meantime.
const WALK_IN_TRIES: usize = 5;

/// Books a walk-in on the slot [`walk_in::candidates`] chooses among today's free slots at
/// the place, through [`book`]; a slot taken meanwhile gives way to the next candidate.
pub(crate) async fn book_walk_in(state: &AppState, req: WalkIn, staff_id: i32) -> Result<Booked, AppointmentError> {
    let now = state.clock.now();
    let pc = PlaceContext::load(&state.db, req.place_id)
        .await?
        .ok_or(AppointmentError::PlaceNotFound)?;
    let by = Booker::Staff {
        staff_id,
        override_fair_use: true,
    };
    let m = offered_motif(&state.db, &pc.place, req.motif_id, by).await?;
    let tomorrow = now.with_timezone(&pc.tz).date_naive() + Duration::days(1);
    let end_of_day = wall_to_utc_shifting_gaps(pc.tz, tomorrow.and_time(NaiveTime::MIN));
    let from = now - Duration::minutes(walk_in::NOW_MARGIN_MINUTES);
    let slots = super::queries::free_slots(&state.db, &pc.place, pc.tz, &m, None, now, from, end_of_day).await?;
    let starts = walk_in::candidates(&slots, now, req.when);
    if starts.is_empty() {
        return Err(match req.when {
            WalkInTime::Now => AppointmentError::NoDeskNow,
            WalkInTime::NextFree => AppointmentError::NoSlotToday,
        });
    }
    for start in starts.into_iter().take(WALK_IN_TRIES) {
        let request = NewAppointment {
            place_id: pc.place.id,
            motif_id: m.id,
            starts_at: start,
            contact: Contact {
                name: req.name.clone(),
                email: None,
                phone: None,
            },
            note: None,
            accessibility_needs: None,
            sms: Some(false),
        };
        match book(state, request, by).await {
            Err(AppointmentError::SlotTaken) => continue,
            done => return done,
        }
    }
    Err(AppointmentError::SlotTaken)
}

/// What staff record once an appointment has started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Honoured,
    NoShow,
    Excused,
}

impl Outcome {
    pub(crate) fn status(self) -> AppointmentStatus {
        match self {
            Outcome::Honoured => AppointmentStatus::Honoured,
            Outcome::NoShow => AppointmentStatus::NoShow,
            Outcome::Excused => AppointmentStatus::Excused,
        }
    }
}

/// Records whether the resident came. Allowed from the start of the appointment, and may be
/// corrected later; a cancelled appointment has nothing to record. The desk stays claimed:
/// the time was spent either way.
pub(crate) async fn mark(
    state: &AppState,
    appointment_id: i32,
    outcome: Outcome,
) -> Result<appointment::Model, AppointmentError> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let current = load_locked(&txn, appointment_id).await?;
    if current.status == AppointmentStatus::Cancelled {
        return Err(AppointmentError::CannotMark);
    }
    if now < current.starts_at {
        return Err(AppointmentError::NotStarted);
    }
    let mut a: appointment::ActiveModel = current.into();
    a.status = Set(outcome.status());
    a.updated_at = Set(now);
    let marked = a.update(&txn).await?;
    crate::records::drafts::after_appointment_marked(&txn, &marked, now).await?;
    if outcome == Outcome::Honoured {
        offer_survey(state, &txn, &marked, now).await?;
    }
    txn.commit().await?;
    Ok(marked)
}

/// The satisfaction survey of an appointment honoured (see [`crate::survey::invite`]).
async fn offer_survey<C: ConnectionTrait>(
    state: &AppState,
    txn: &C,
    a: &appointment::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let host = state.public_host();
    let Some(pc) = PlaceContext::load(txn, a.place_id).await? else {
        return Ok(());
    };
    let Some(m) = motif::Entity::find_by_id(a.motif_id).one(txn).await? else {
        return Ok(());
    };
    let to = recipient(a);
    let attended = crate::survey::invite::Attended {
        booking: BookingKind::Appointment,
        booking_id: a.id,
        workshop_id: None,
        motif_id: Some(m.id),
        title: &m.label,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        name: &a.name,
        email: a.email.as_deref(),
        sms_to: to.sms_to,
        email_key: a.email_key.as_deref(),
        phone_key: a.phone_key.as_deref(),
        booking_code: &a.booking_code,
    };
    crate::survey::invite::offer(txn, state.settings.secret(), &pc.ctx(state, &host, now), &attended).await?;
    Ok(())
}
