//! Registrations: the transactions behind the workshop API and pages.
//!
//! Every write here runs in one transaction that (1) locks the session row, (2) takes or
//! gives back a seat with a conditional update, (3) changes the registrations and (4) queues
//! the messages. Locking the session first serialises every writer of one session on both
//! databases (`FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), so the waiting list
//! and the seat count can never disagree.
use chrono::{DateTime, Utc};
use entities::{
    kinds::{Attendance, BookedBy, RegistrationStatus, SessionStatus},
    organisation, place, registration, session, workshop,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};

use super::{
    desks::{self, DeskChange},
    planning::{PlanningError, SessionPlan, check_facilitator, check_plan, check_times, in_org},
    warnings::Confirmation,
};
use crate::{
    auth::StaffIdentity,
    domain::{
        booking_code::BookingCode,
        capacity::{self, CapacityError, RegistrationClosed},
        contact::Contact,
        refusal::{DomainError, Refusal},
    },
    notifications::{
        enqueue::{self, Context, Recipient},
        ical::CalendarMethod,
        payload::{BookingKind, Event},
    },
    platform::db,
    platform::state::AppState,
    platform::token,
};

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("Cette séance n'existe pas.")]
    SessionNotFound,
    #[error("Cette inscription n'existe pas ou le lien n'est plus valable.")]
    NotFound,
    #[error(transparent)]
    Closed(#[from] RegistrationClosed),
    #[error("Cette personne est déjà inscrite à cette séance (même nom et même e-mail ou téléphone).")]
    AlreadyRegistered,
    #[error("Cette inscription est déjà annulée.")]
    AlreadyCancelled,
    #[error(
        "La séance a commencé : l'inscription ne peut plus être annulée en ligne. Prévenez l'équipe par téléphone."
    )]
    TooLateToCancel,
    #[error(transparent)]
    Capacity(#[from] CapacityError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl DomainError for RegistrationError {
    fn refusal(&self) -> Refusal {
        use RegistrationError::*;
        match self {
            SessionNotFound | NotFound => Refusal::NotFound,
            Closed(_) | TooLateToCancel => Refusal::Rule,
            AlreadyRegistered | AlreadyCancelled | Capacity(CapacityError::BelowConfirmed { .. }) => Refusal::Conflict,
            Capacity(CapacityError::OutOfRange) => Refusal::Invalid { field: "capacity" },
            Db(_) => Refusal::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        use RegistrationError::*;
        match self {
            SessionNotFound | NotFound => "not_found",
            Closed(RegistrationClosed::SessionCancelled) => "session_cancelled",
            Closed(RegistrationClosed::Closed) => "registration_closed",
            AlreadyRegistered => "already_registered",
            AlreadyCancelled => "already_cancelled",
            TooLateToCancel => "too_late",
            Capacity(CapacityError::BelowConfirmed { .. }) => "capacity_below_confirmed",
            Capacity(CapacityError::OutOfRange) => "validation",
            Db(_) => "internal",
        }
    }
}

/// Who made a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booker {
    Resident,
    Staff(i32),
}

impl Booker {
    fn booked_by(self) -> BookedBy {
        match self {
            Booker::Resident => BookedBy::Resident,
            Booker::Staff(_) => BookedBy::Staff,
        }
    }
    fn staff_id(self) -> Option<i32> {
        match self {
            Booker::Resident => None,
            Booker::Staff(id) => Some(id),
        }
    }
}

pub struct Registered {
    pub registration: registration::Model,
    /// The session as it stands after this registration, read inside its transaction (the
    /// answer needs no second connection, which a flash crowd would make wait in line).
    pub session: super::dto::Session,
    /// Returned this once; only its hash is stored.
    pub manage_token: String,
    pub waitlist_position: Option<i32>,
}

/// Everything a message about one session needs, loaded once per transaction.
struct SessionContext {
    session: session::Model,
    workshop: workshop::Model,
    place: place::Model,
    organisation: organisation::Model,
}

impl SessionContext {
    async fn load_locked(txn: &DatabaseTransaction, session_id: i32) -> Result<Option<SessionContext>, DbErr> {
        // FOR UPDATE on PostgreSQL; SQLite ignores it, the IMMEDIATE transaction already holds the lock.
        let Some(session) = session::Entity::find_by_id(session_id)
            .lock_exclusive()
            .one(txn)
            .await?
        else {
            return Ok(None);
        };
        let (workshop, place, organisation) = Self::related(txn, &session).await?;
        Ok(Some(SessionContext {
            session,
            workshop,
            place,
            organisation,
        }))
    }

    /// As [`load_locked`](Self::load_locked), with the workshop, place and organisation read
    /// before the transaction begins: many bookings wait for one session's lock when a
    /// workshop opens, and these reads need not hold it. Under the lock only the session is
    /// read again; if it was moved meanwhile to another place or workshop, those are read
    /// again there.
    async fn preload_then_lock(
        db: &DatabaseConnection,
        session_id: i32,
    ) -> Result<Option<(db::WriteTransaction, SessionContext)>, DbErr> {
        let Some(before) = session::Entity::find_by_id(session_id).one(db).await? else {
            return Ok(None);
        };
        let related = Self::related(db, &before).await?;
        let txn = db::begin_write(db).await?;
        let Some(session) = session::Entity::find_by_id(session_id)
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            return Ok(None);
        };
        let same = |s: &session::Model| (s.workshop_id, s.place_id, s.organisation_id);
        let (workshop, place, organisation) = if same(&session) == same(&before) {
            related
        } else {
            Self::related(&txn, &session).await?
        };
        Ok(Some((
            txn,
            SessionContext {
                session,
                workshop,
                place,
                organisation,
            },
        )))
    }

    async fn related<C: ConnectionTrait>(
        db: &C,
        session: &session::Model,
    ) -> Result<(workshop::Model, place::Model, organisation::Model), DbErr> {
        let workshop = workshop::Entity::find_by_id(session.workshop_id)
            .one(db)
            .await?
            .ok_or_else(|| missing("workshop"))?;
        let place = place::Entity::find_by_id(session.place_id)
            .one(db)
            .await?
            .ok_or_else(|| missing("place"))?;
        let organisation = organisation::Entity::find_by_id(session.organisation_id)
            .one(db)
            .await?
            .ok_or_else(|| missing("organisation"))?;
        Ok((workshop, place, organisation))
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

fn missing(what: &str) -> DbErr {
    DbErr::RecordNotFound(format!("{what} referenced by a session"))
}

/// The satisfaction survey of a registrant marked present (see [`crate::survey::invite`]).
pub(crate) async fn offer_survey(
    state: &AppState,
    txn: &DatabaseTransaction,
    r: &registration::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let host = state.public_host();
    let Some(sc) = SessionContext::load_locked(txn, r.session_id).await? else {
        return Ok(());
    };
    let to = recipient(r);
    let attended = crate::survey::invite::Attended {
        booking: BookingKind::Registration,
        booking_id: r.id,
        workshop_id: Some(sc.workshop.id),
        motif_id: None,
        title: &sc.workshop.title,
        starts_at: sc.session.starts_at,
        ends_at: sc.session.ends_at,
        name: &r.name,
        email: r.email.as_deref(),
        sms_to: to.sms_to,
        email_key: r.email_key.as_deref(),
        phone_key: r.phone_key.as_deref(),
        booking_code: &r.booking_code,
    };
    crate::survey::invite::offer(txn, state.settings.secret(), &sc.ctx(state, &host, now), &attended).await?;
    Ok(())
}

fn recipient(r: &registration::Model) -> Recipient {
    Recipient {
        booking: BookingKind::Registration,
        booking_id: r.id,
        name: r.name.clone(),
        email: r.email.clone(),
        sms_to: crate::notifications::sms::number_to_text(r.phone.as_deref(), r.sms_consent),
        answer: false,
        sequence: r.ical_sequence,
        booking_code: r.booking_code.clone(),
        manage_key: r.manage_key.clone(),
    }
}

/// Whether a booking gets SMS: the person's answer, else yes with a mobile and no e-mail;
/// never without a mobile.
pub(crate) fn sms_consent(email: &Option<String>, phone: &Option<String>, asked: Option<bool>) -> bool {
    use crate::notifications::sms;
    let mobile = phone.as_deref().is_some_and(sms::is_mobile);
    mobile && asked.unwrap_or_else(|| sms::default_consent(email.as_deref(), phone.as_deref()))
}

/// Registers someone for a session: a seat if one is left, else the waiting list. No
/// consent is asked: the details serve only the registration the person asks for (see
/// `/donnees-personnelles`); `consent_at` records when they were given.
pub async fn register(
    state: &AppState,
    session_id: i32,
    contact: Contact,
    sms: Option<bool>,
    by: Booker,
) -> Result<Registered, RegistrationError> {
    register_with(state, session_id, contact, sms, by, false).await
}

/// "+1 place" at the counter: staff register the person in front of them, a seat added for
/// them when none is left (the waiting list keeps its order and its people).
pub(crate) async fn register_with_extra_seat(
    state: &AppState,
    session_id: i32,
    contact: Contact,
    sms: Option<bool>,
    staff_id: i32,
) -> Result<Registered, RegistrationError> {
    register_with(state, session_id, contact, sms, Booker::Staff(staff_id), true).await
}

async fn register_with(
    state: &AppState,
    session_id: i32,
    contact: Contact,
    sms: Option<bool>,
    by: Booker,
    extra_seat: bool,
) -> Result<Registered, RegistrationError> {
    let now = state.clock.now();
    let host = state.public_host();
    let (txn, sc) = SessionContext::preload_then_lock(&state.db, session_id)
        .await?
        .ok_or(RegistrationError::SessionNotFound)?;
    let s = &sc.session;
    capacity::registration_open(
        s.status == SessionStatus::Cancelled,
        s.registration_closes_at,
        s.ends_at,
        by != Booker::Resident,
        now,
    )?;
    let extra_seat = extra_seat && s.seats_taken >= s.capacity;
    if extra_seat {
        add_seat(&txn, session_id).await?;
    }

    // One booking per person, not per contact: two people of one household may share a
    // phone or an e-mail address, so the same contact counts only with the same name.
    let name_key = contact.name.key();
    let email_key = contact.email.as_ref().map(|e| e.as_str().to_string());
    let phone_key = contact.phone.as_ref().map(|p| p.as_str().to_string());
    let duplicate = duplicates(&txn, session_id, &name_key, email_key.as_deref(), phone_key.as_deref()).await?;
    if duplicate > 0 {
        return Err(RegistrationError::AlreadyRegistered);
    }

    let sms_consent = sms_consent(&email_key, &phone_key, sms);
    let seated = take_seat(&txn, session_id).await?;
    let code = BookingCode::random();
    let manage_key = token::generate();
    let manage_token = token::manage_token(state.settings.secret(), &manage_key);
    let inserted = registration::ActiveModel {
        session_id: Set(session_id),
        name: Set(contact.name.as_str().to_string()),
        email: Set(email_key.clone()),
        phone: Set(phone_key.clone()),
        email_key: Set(email_key),
        phone_key: Set(phone_key),
        name_key: Set(name_key),
        status: Set(if seated {
            RegistrationStatus::Confirmed
        } else {
            RegistrationStatus::Waitlisted
        }),
        attendance: Set(Attendance::Unknown),
        booked_by: Set(by.booked_by()),
        booked_by_staff_id: Set(by.staff_id()),
        manage_token_hash: Set(token::hash(&manage_token)),
        manage_key: Set(Some(manage_key.clone())),
        ical_sequence: Set(0),
        consent_at: Set(Some(now)),
        sms_consent: Set(sms_consent),
        created_at: Set(now),
        updated_at: Set(now),
        cancelled_at: Set(None),
        booking_code: Set(code.as_str().to_string()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let mut registration = match inserted {
        Ok(r) => r,
        // The unique index caught a twin request that passed the check above at the same time.
        Err(e) if db::is_unique_violation(&e) => return Err(RegistrationError::AlreadyRegistered),
        Err(e) => return Err(e.into()),
    };
    registration.booking_code = crate::bookings::claim(
        &txn,
        sc.organisation.id,
        BookingKind::Registration,
        registration.id,
        code,
    )
    .await?;

    let ctx = sc.ctx(state, &host, now);
    let to = Recipient {
        answer: by == Booker::Resident,
        ..recipient(&registration)
    };
    let mut payload = ctx.payload(
        if seated {
            Event::RegistrationConfirmed
        } else {
            Event::RegistrationWaitlisted
        },
        BookingKind::Registration,
        &sc.workshop.title,
        s.starts_at,
        s.ends_at,
    );
    payload.manage_key = Some(manage_key);
    let (waitlist_position, waiting) = if seated {
        enqueue::enqueue_with_reminders(&txn, &ctx, &to, &payload, Some(CalendarMethod::Request)).await?;
        (None, waiting_count(&txn, session_id).await?)
    } else {
        // The newcomer is last in line: their place is the length of the waiting list.
        let position = waitlist_position(&txn, &registration).await?;
        payload.waitlist_position = Some(position);
        enqueue::enqueue(&txn, &ctx, &to, &payload, None).await?;
        (Some(position), position)
    };
    let mut after = sc.session.clone();
    after.seats_taken += i32::from(seated);
    after.capacity += i32::from(extra_seat);
    let names = (sc.workshop.title.clone(), sc.place.name.clone());
    let session = super::queries::view(
        after,
        names,
        crate::platform::time::parse_tz(&sc.organisation.timezone),
        waiting,
        now,
    );
    txn.commit().await?;
    // Ids and status only: never the person's name or contact.
    tracing::info!(
        session_id = registration.session_id,
        registration_id = registration.id,
        status = %registration.status,
        "registration recorded"
    );
    Ok(Registered {
        registration,
        session,
        manage_token,
        waitlist_position,
    })
}

/// Live registrations of the same person (same name and same e-mail or phone) in a session.
async fn duplicates<C: ConnectionTrait>(
    db: &C,
    session_id: i32,
    name_key: &str,
    email_key: Option<&str>,
    phone_key: Option<&str>,
) -> Result<u64, DbErr> {
    let mut same_contact = sea_orm::Condition::any();
    if let Some(e) = email_key {
        same_contact = same_contact.add(registration::Column::EmailKey.eq(e));
    }
    if let Some(p) = phone_key {
        same_contact = same_contact.add(registration::Column::PhoneKey.eq(p));
    }
    registration::Entity::find()
        .filter(registration::Column::SessionId.eq(session_id))
        .filter(registration::Column::Status.ne(RegistrationStatus::Cancelled))
        .filter(registration::Column::NameKey.eq(name_key))
        .filter(same_contact)
        .count(db)
        .await
}

/// The conditional update that makes overselling impossible: it succeeds only while a seat
/// is left, and the database evaluates that condition atomically.
async fn take_seat<C: ConnectionTrait>(db: &C, session_id: i32) -> Result<bool, DbErr> {
    let res = session::Entity::update_many()
        .col_expr(
            session::Column::SeatsTaken,
            Expr::col(session::Column::SeatsTaken).add(1),
        )
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::Status.eq(SessionStatus::Scheduled))
        .filter(Expr::col(session::Column::SeatsTaken).lt(Expr::col(session::Column::Capacity)))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

async fn give_back_seat<C: ConnectionTrait>(db: &C, session_id: i32) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(
            session::Column::SeatsTaken,
            Expr::col(session::Column::SeatsTaken).sub(1),
        )
        .filter(session::Column::Id.eq(session_id))
        .filter(Expr::col(session::Column::SeatsTaken).gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// 1 for the first in line. The waiting list is ordered by registration id (arrival order).
pub(crate) async fn waitlist_position<C: ConnectionTrait>(db: &C, r: &registration::Model) -> Result<i32, DbErr> {
    let ahead = registration::Entity::find()
        .filter(registration::Column::SessionId.eq(r.session_id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Waitlisted))
        .filter(registration::Column::Id.lt(r.id))
        .count(db)
        .await?;
    Ok(ahead as i32 + 1)
}

/// Gives free seats to the first on the waiting list, each told in the same transaction.
async fn promote(
    txn: &DatabaseTransaction,
    sc: &SessionContext,
    state: &AppState,
    host: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let waiting = registration::Entity::find()
        .filter(registration::Column::SessionId.eq(sc.session.id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Waitlisted))
        .order_by_asc(registration::Column::Id)
        .all(txn)
        .await?;
    let ctx = sc.ctx(state, host, now);
    for w in waiting {
        if !take_seat(txn, sc.session.id).await? {
            break;
        }
        give_seat(txn, &ctx, sc, w, now).await?;
    }
    Ok(())
}

/// Confirms a waiting registration whose seat was just taken, and tells the person.
async fn give_seat(
    txn: &DatabaseTransaction,
    ctx: &Context<'_>,
    sc: &SessionContext,
    w: registration::Model,
    now: DateTime<Utc>,
) -> Result<registration::Model, DbErr> {
    let sequence = w.ical_sequence + 1;
    let mut active: registration::ActiveModel = w.into();
    active.status = Set(RegistrationStatus::Confirmed);
    active.ical_sequence = Set(sequence);
    active.updated_at = Set(now);
    active.promoted_at = Set(Some(now));
    let promoted = active.update(txn).await?;
    let to = recipient(&promoted);
    let payload = ctx.payload(
        Event::RegistrationPromoted,
        BookingKind::Registration,
        &sc.workshop.title,
        sc.session.starts_at,
        sc.session.ends_at,
    );
    enqueue::enqueue_with_reminders(txn, ctx, &to, &payload, Some(CalendarMethod::Request)).await?;
    Ok(promoted)
}

pub(crate) async fn find_by_token<C: ConnectionTrait>(
    db: &C,
    raw: &str,
) -> Result<registration::Model, RegistrationError> {
    if !token::looks_valid(raw) {
        return Err(RegistrationError::NotFound);
    }
    registration::Entity::find()
        .filter(crate::bookings::registration_token(raw))
        .one(db)
        .await?
        .ok_or(RegistrationError::NotFound)
}

/// A resident cancels with their manage token; their seat goes to the first in line.
pub(crate) async fn cancel_by_token(state: &AppState, raw: &str) -> Result<registration::Model, RegistrationError> {
    let found = find_by_token(&state.db, raw).await?;
    cancel(state, found.id, Some(raw), false).await
}

/// Cancels one registration (by its resident, or by staff with `by_staff`).
pub(crate) async fn cancel(
    state: &AppState,
    registration_id: i32,
    raw_token: Option<&str>,
    by_staff: bool,
) -> Result<registration::Model, RegistrationError> {
    cancel_with_reason(state, registration_id, raw_token, by_staff, None).await
}

/// [`cancel`], the reason (staff's) written in the message to the person.
async fn cancel_with_reason(
    state: &AppState,
    registration_id: i32,
    raw_token: Option<&str>,
    by_staff: bool,
    reason: Option<String>,
) -> Result<registration::Model, RegistrationError> {
    let now = state.clock.now();
    let host = state.public_host();
    let txn = db::begin_write(&state.db).await?;
    let current = registration::Entity::find_by_id(registration_id)
        .one(&txn)
        .await?
        .ok_or(RegistrationError::NotFound)?;
    let sc = SessionContext::load_locked(&txn, current.session_id)
        .await?
        .ok_or(RegistrationError::NotFound)?;
    // Re-read under the session lock: a concurrent cancel may have won.
    let current = registration::Entity::find_by_id(registration_id)
        .one(&txn)
        .await?
        .ok_or(RegistrationError::NotFound)?;
    if current.status == RegistrationStatus::Cancelled {
        return Err(RegistrationError::AlreadyCancelled);
    }
    if !by_staff && !capacity::resident_may_cancel(sc.session.starts_at, now) {
        return Err(RegistrationError::TooLateToCancel);
    }
    let was_confirmed = current.status == RegistrationStatus::Confirmed;
    let sequence = current.ical_sequence + 1;
    let mut active: registration::ActiveModel = current.into();
    active.status = Set(RegistrationStatus::Cancelled);
    active.ical_sequence = Set(sequence);
    active.updated_at = Set(now);
    active.cancelled_at = Set(Some(now));
    let cancelled = active.update(&txn).await?;

    let ctx = sc.ctx(state, &host, now);
    let to = Recipient {
        answer: !by_staff,
        ..recipient(&cancelled)
    };
    enqueue::drop_reminders(&txn, BookingKind::Registration, cancelled.id).await?;
    let mut payload = ctx.payload(
        Event::RegistrationCancelled,
        BookingKind::Registration,
        &sc.workshop.title,
        sc.session.starts_at,
        sc.session.ends_at,
    );
    payload.manage_key = cancelled.manage_key.clone().filter(|_| raw_token.is_some());
    payload.reason = reason;
    // Only a confirmed booking ever sent an invite; a waitlisted one has nothing to remove.
    enqueue::enqueue(
        &txn,
        &ctx,
        &to,
        &payload,
        was_confirmed.then_some(CalendarMethod::Cancel),
    )
    .await?;
    if was_confirmed {
        give_back_seat(&txn, sc.session.id).await?;
        promote(&txn, &sc, state, &host, now).await?;
    }
    txn.commit().await?;
    Ok(cancelled)
}

/// Staff cancel a whole session: every registration cancelled, every resident told.
pub(crate) async fn cancel_session(
    state: &AppState,
    session_id: i32,
    reason: Option<String>,
) -> Result<session::Model, RegistrationError> {
    let now = state.clock.now();
    let host = state.public_host();
    let txn = db::begin_write(&state.db).await?;
    let sc = SessionContext::load_locked(&txn, session_id)
        .await?
        .ok_or(RegistrationError::SessionNotFound)?;
    if sc.session.status == SessionStatus::Cancelled {
        return Err(RegistrationError::Closed(RegistrationClosed::SessionCancelled));
    }
    let live = registration::Entity::find()
        .filter(registration::Column::SessionId.eq(session_id))
        .filter(registration::Column::Status.ne(RegistrationStatus::Cancelled))
        .order_by_asc(registration::Column::Id)
        .all(&txn)
        .await?;
    let ctx = sc.ctx(state, &host, now);
    for r in live {
        let was_confirmed = r.status == RegistrationStatus::Confirmed;
        let sequence = r.ical_sequence + 1;
        let mut active: registration::ActiveModel = r.into();
        active.status = Set(RegistrationStatus::Cancelled);
        active.ical_sequence = Set(sequence);
        active.updated_at = Set(now);
        active.cancelled_at = Set(Some(now));
        let cancelled = active.update(&txn).await?;
        enqueue::drop_reminders(&txn, BookingKind::Registration, cancelled.id).await?;
        let mut payload = ctx.payload(
            Event::SessionCancelled,
            BookingKind::Registration,
            &sc.workshop.title,
            sc.session.starts_at,
            sc.session.ends_at,
        );
        payload.reason = reason.clone();
        enqueue::enqueue(
            &txn,
            &ctx,
            &recipient(&cancelled),
            &payload,
            was_confirmed.then_some(CalendarMethod::Cancel),
        )
        .await?;
    }
    let mut active: session::ActiveModel = sc.session.clone().into();
    active.status = Set(SessionStatus::Cancelled);
    active.ical_sequence = Set(sc.session.ical_sequence + 1);
    active.seats_taken = Set(0);
    active.cancel_reason = Set(reason);
    active.updated_at = Set(now);
    let session = active.update(&txn).await?;
    txn.commit().await?;
    Ok(session)
}

/// Tells every live registrant of a session that moved (new times or place): confirmed ones
/// with an updated invite (same UID, next SEQUENCE) and their reminders moved with it,
/// waiting ones with their place in line.
async fn tell_moved(
    txn: &DatabaseTransaction,
    sc: &SessionContext,
    state: &AppState,
    host: &str,
    now: DateTime<Utc>,
    previous_start: DateTime<Utc>,
) -> Result<(), DbErr> {
    let ctx = sc.ctx(state, host, now);
    let live = registration::Entity::find()
        .filter(registration::Column::SessionId.eq(sc.session.id))
        .filter(registration::Column::Status.ne(RegistrationStatus::Cancelled))
        .all(txn)
        .await?;
    for r in live {
        let confirmed = r.status == RegistrationStatus::Confirmed;
        let sequence = r.ical_sequence + 1;
        let mut active: registration::ActiveModel = r.into();
        active.ical_sequence = Set(sequence);
        active.updated_at = Set(now);
        let r = active.update(txn).await?;
        let to = recipient(&r);
        let mut payload = ctx.payload(
            Event::SessionMoved,
            BookingKind::Registration,
            &sc.workshop.title,
            sc.session.starts_at,
            sc.session.ends_at,
        );
        payload.previous_starts_at = Some(previous_start);
        if !confirmed {
            payload.waitlist_position = Some(waitlist_position(txn, &r).await?);
        }
        enqueue::enqueue(txn, &ctx, &to, &payload, confirmed.then_some(CalendarMethod::Request)).await?;
        if confirmed {
            enqueue::drop_reminders(txn, BookingKind::Registration, r.id).await?;
            enqueue::schedule_reminders(txn, &ctx, &to, &payload).await?;
        }
    }
    Ok(())
}

/// Why a change made in the console (or the admin API) to a session or to one of its
/// registrants was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ChangeError {
    #[error(
        "Cette séance a été modifiée entre-temps (dans un autre onglet ou par un collègue) : rien n'a été enregistré. Relisez-la puis refaites votre modification."
    )]
    Stale,
    #[error("Cette séance est annulée : elle ne peut plus être modifiée.")]
    SessionCancelled,
    #[error("La séance choisie est complète : la personne n'a pas été déplacée. Choisissez une autre séance.")]
    TargetFull,
    #[error("Choisissez une autre séance du même atelier.")]
    NotSameWorkshop,
    #[error("Cette personne n'est plus sur la liste d'attente.")]
    NotWaiting,
    #[error("Aucune place n'est libre : ajoutez une place pour la donner à cette personne.")]
    NoSeatLeft,
    #[error("Cette séance ne fait pas partie d'une série.")]
    NotASeries,
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    #[error(transparent)]
    Planning(#[from] PlanningError),
}

impl From<DbErr> for ChangeError {
    fn from(e: DbErr) -> ChangeError {
        ChangeError::Registration(RegistrationError::Db(e))
    }
}

impl From<CapacityError> for ChangeError {
    fn from(e: CapacityError) -> ChangeError {
        ChangeError::Registration(RegistrationError::Capacity(e))
    }
}

impl DomainError for ChangeError {
    fn refusal(&self) -> Refusal {
        use ChangeError::*;
        match self {
            Stale | TargetFull | NotWaiting | NoSeatLeft => Refusal::Conflict,
            SessionCancelled | NotASeries => Refusal::Rule,
            NotSameWorkshop => Refusal::Invalid { field: "session_id" },
            Registration(e) => e.refusal(),
            Planning(e) => e.refusal(),
        }
    }

    fn code(&self) -> &'static str {
        use ChangeError::*;
        match self {
            Stale => "stale",
            SessionCancelled => "session_cancelled",
            TargetFull => "session_full",
            NotWaiting => "not_waitlisted",
            NoSeatLeft => "no_seat_left",
            NotASeries => "not_a_series",
            NotSameWorkshop => "validation",
            Registration(e) => e.code(),
            Planning(e) => e.code(),
        }
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        match self {
            ChangeError::Planning(e) => e.details(),
            _ => Vec::new(),
        }
    }
}

/// What a form last showed of a session: any change to the fields an agent edits (or to its
/// status) changes it, whatever the clock says.
pub(crate) fn version(s: &session::Model) -> String {
    let seen = format!(
        "{}|{}|{}|{:?}|{}|{}|{:?}|{}|{}",
        s.starts_at.timestamp_micros(),
        s.ends_at.timestamp_micros(),
        s.place_id,
        s.desks,
        s.capacity,
        s.seats_taken,
        s.facilitator_id,
        s.registration_closes_at.timestamp_micros(),
        s.status,
    );
    token::hash(&seen)[..16].to_string()
}

/// A change to a session; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionChange {
    pub place_id: Option<i32>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub capacity: Option<i32>,
    /// `Some(None)` takes the facilitator off the session.
    pub facilitator_id: Option<Option<i32>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    /// At a mediation point, the desks it occupies.
    pub desks: DeskChange,
    /// The planning warnings the agent accepted.
    pub confirmation: Confirmation,
    /// The [`version`] the agent's form was filled from: refused as stale when it differs.
    pub seen_version: Option<String>,
}

/// Staff change a session in one transaction: times or place (every live registrant told,
/// invites updated), capacity (a cut below the confirmed count refused, a rise promoting
/// from the waiting list), facilitator, registration closing time. A new time, place or
/// desks meet the planning rules of a new session ([`check_plan`]): no new start in the
/// past, no appointment on its desks meanwhile, warnings confirmed.
pub(crate) async fn edit_session(
    state: &AppState,
    me: &StaffIdentity,
    session_id: i32,
    change: SessionChange,
) -> Result<session::Model, ChangeError> {
    let s = in_org::<session::Entity>(state, me, session_id).await?;
    let place_id = change.place_id.unwrap_or(s.place_id);
    let place = in_org::<place::Entity>(state, me, place_id).await?;
    check_facilitator(state, me, change.facilitator_id.flatten()).await?;
    let starts_at = change.starts_at.unwrap_or(s.starts_at);
    let ends_at = change.ends_at.unwrap_or(s.ends_at);
    check_times(starts_at, ends_at)?;
    // Closing "at the start" follows the start when it moves.
    let closes = change.registration_closes_at.unwrap_or(
        if change.starts_at.is_some() && s.registration_closes_at == s.starts_at {
            starts_at
        } else {
            s.registration_closes_at
        },
    );
    let closes = Ord::min(closes, starts_at);

    let now = state.clock.now();
    let host = state.public_host();
    let txn = db::begin_write(&state.db).await?;
    let sc = SessionContext::load_locked(&txn, session_id)
        .await?
        .ok_or(RegistrationError::SessionNotFound)?;
    if change.seen_version.as_ref().is_some_and(|v| *v != version(&sc.session)) {
        return Err(ChangeError::Stale);
    }
    if sc.session.status == SessionStatus::Cancelled {
        return Err(ChangeError::SessionCancelled);
    }
    let before = sc.session.clone();
    let desks = desks::after_edit(&place, before.place_id, before.desks.as_deref(), &change.desks)?;
    let moved = before.starts_at != starts_at || before.ends_at != ends_at || before.place_id != place_id;
    let desks_column = desks::encode(&desks);
    if moved || desks_column != before.desks {
        let plan = SessionPlan {
            place: &place,
            desks: &desks,
            starts_at,
            ends_at,
            editing: Some(&before),
        };
        check_plan(&txn, &plan, &change.confirmation, now, state.settings.timezone).await?;
    }
    let mut active: session::ActiveModel = before.clone().into();
    if let Some(requested) = change.capacity {
        let waitlisted = waiting_count(&txn, session_id).await?;
        let (seats, _) = capacity::capacity_change(before.seats_taken, waitlisted, i64::from(requested))?;
        active.capacity = Set(seats.get());
    }
    if let Some(f) = change.facilitator_id {
        active.facilitator_id = Set(f);
    }
    active.starts_at = Set(starts_at);
    active.ends_at = Set(ends_at);
    active.place_id = Set(place_id);
    active.desks = Set(desks_column);
    active.registration_closes_at = Set(closes);
    if moved {
        active.ical_sequence = Set(before.ical_sequence + 1);
    }
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    let sc = SessionContext {
        session: updated,
        place,
        ..sc
    };
    if moved {
        tell_moved(&txn, &sc, state, &host, now, before.starts_at).await?;
    }
    promote(&txn, &sc, state, &host, now).await?;
    txn.commit().await?;
    tracing::info!(session_id, moved, "session changed");
    Ok(session::Entity::find_by_id(session_id)
        .one(&state.db)
        .await?
        .unwrap_or(sc.session))
}

async fn waiting_count<C: ConnectionTrait>(db: &C, session_id: i32) -> Result<i32, DbErr> {
    Ok(registration::Entity::find()
        .filter(registration::Column::SessionId.eq(session_id))
        .filter(registration::Column::Status.eq(RegistrationStatus::Waitlisted))
        .count(db)
        .await? as i32)
}

/// One more seat, within the 500 a session may hold.
async fn add_seat<C: ConnectionTrait>(db: &C, session_id: i32) -> Result<(), RegistrationError> {
    let res = session::Entity::update_many()
        .col_expr(session::Column::Capacity, Expr::col(session::Column::Capacity).add(1))
        .filter(session::Column::Id.eq(session_id))
        .filter(Expr::col(session::Column::Capacity).lt(i32::from(capacity::Seats::MAX)))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(CapacityError::OutOfRange.into());
    }
    Ok(())
}

/// Staff move one registrant to another session of the same workshop, in one transaction: a
/// seat taken there (refused when full), the one here given back to the first in line, the
/// person told of the new time and place, the promoted person told too.
pub(crate) async fn move_registration(
    state: &AppState,
    me: &StaffIdentity,
    registration_id: i32,
    target_session_id: i32,
) -> Result<registration::Model, ChangeError> {
    let r = in_org::<registration::Entity>(state, me, registration_id).await?;
    in_org::<session::Entity>(state, me, target_session_id).await?;
    if r.session_id == target_session_id {
        return Err(ChangeError::NotSameWorkshop);
    }
    let now = state.clock.now();
    let host = state.public_host();
    let txn = db::begin_write(&state.db).await?;
    // Both sessions locked, lower id first: two moves in opposite directions cannot deadlock.
    let (low, high) = if r.session_id < target_session_id {
        (r.session_id, target_session_id)
    } else {
        (target_session_id, r.session_id)
    };
    let first = SessionContext::load_locked(&txn, low)
        .await?
        .ok_or(RegistrationError::SessionNotFound)?;
    let second = SessionContext::load_locked(&txn, high)
        .await?
        .ok_or(RegistrationError::SessionNotFound)?;
    let (from, to) = if low == r.session_id {
        (first, second)
    } else {
        (second, first)
    };
    // Re-read under the locks: a concurrent cancel or move may have won.
    let current = registration::Entity::find_by_id(registration_id)
        .one(&txn)
        .await?
        .filter(|c| c.session_id == from.session.id)
        .ok_or(RegistrationError::NotFound)?;
    if current.status == RegistrationStatus::Cancelled {
        return Err(RegistrationError::AlreadyCancelled.into());
    }
    if to.workshop.id != from.workshop.id {
        return Err(ChangeError::NotSameWorkshop);
    }
    capacity::registration_open(
        to.session.status == SessionStatus::Cancelled,
        to.session.registration_closes_at,
        to.session.ends_at,
        true,
        now,
    )
    .map_err(RegistrationError::from)?;
    let same_person = duplicates(
        &txn,
        to.session.id,
        &current.name_key,
        current.email_key.as_deref(),
        current.phone_key.as_deref(),
    )
    .await?;
    if same_person > 0 {
        return Err(RegistrationError::AlreadyRegistered.into());
    }
    if !take_seat(&txn, to.session.id).await? {
        return Err(ChangeError::TargetFull);
    }
    let was_confirmed = current.status == RegistrationStatus::Confirmed;
    let sequence = current.ical_sequence + 1;
    let mut active: registration::ActiveModel = current.into();
    active.session_id = Set(to.session.id);
    active.status = Set(RegistrationStatus::Confirmed);
    active.attendance = Set(Attendance::Unknown);
    active.ical_sequence = Set(sequence);
    active.updated_at = Set(now);
    let moved = match active.update(&txn).await {
        Ok(m) => m,
        Err(e) if db::is_unique_violation(&e) => return Err(RegistrationError::AlreadyRegistered.into()),
        Err(e) => return Err(e.into()),
    };
    enqueue::drop_reminders(&txn, BookingKind::Registration, moved.id).await?;
    let ctx = to.ctx(state, &host, now);
    let to_person = recipient(&moved);
    let mut payload = ctx.payload(
        Event::SessionMoved,
        BookingKind::Registration,
        &to.workshop.title,
        to.session.starts_at,
        to.session.ends_at,
    );
    payload.previous_starts_at = Some(from.session.starts_at);
    enqueue::enqueue_with_reminders(&txn, &ctx, &to_person, &payload, Some(CalendarMethod::Request)).await?;
    if was_confirmed {
        give_back_seat(&txn, from.session.id).await?;
        promote(&txn, &from, state, &host, now).await?;
    }
    txn.commit().await?;
    tracing::info!(
        registration_id,
        from = from.session.id,
        to = to.session.id,
        "registration moved"
    );
    Ok(moved)
}

/// Staff take one registrant off a session, the reason written in the message to the person;
/// a freed seat goes to the first in line.
pub(crate) async fn remove_registration(
    state: &AppState,
    me: &StaffIdentity,
    registration_id: i32,
    reason: Option<String>,
) -> Result<registration::Model, ChangeError> {
    let r = in_org::<registration::Entity>(state, me, registration_id).await?;
    Ok(cancel_with_reason(state, r.id, None, true, reason).await?)
}

/// Staff give a seat to one person of the waiting list, out of turn: a free seat, or one
/// added for them with `add_seat`.
pub(crate) async fn promote_by_hand(
    state: &AppState,
    me: &StaffIdentity,
    registration_id: i32,
    with_extra_seat: bool,
) -> Result<registration::Model, ChangeError> {
    let r = in_org::<registration::Entity>(state, me, registration_id).await?;
    let now = state.clock.now();
    let host = state.public_host();
    let txn = db::begin_write(&state.db).await?;
    let sc = SessionContext::load_locked(&txn, r.session_id)
        .await?
        .ok_or(RegistrationError::SessionNotFound)?;
    if sc.session.status == SessionStatus::Cancelled {
        return Err(ChangeError::SessionCancelled);
    }
    let current = registration::Entity::find_by_id(registration_id)
        .one(&txn)
        .await?
        .ok_or(RegistrationError::NotFound)?;
    if current.status != RegistrationStatus::Waitlisted {
        return Err(ChangeError::NotWaiting);
    }
    if with_extra_seat && sc.session.seats_taken >= sc.session.capacity {
        add_seat(&txn, sc.session.id).await?;
    }
    if !take_seat(&txn, sc.session.id).await? {
        return Err(ChangeError::NoSeatLeft);
    }
    let promoted = give_seat(&txn, &sc.ctx(state, &host, now), &sc, current, now).await?;
    txn.commit().await?;
    tracing::info!(registration_id, "registration promoted by hand");
    Ok(promoted)
}

/// The sessions of `session_id`'s weekly series still to come from `from` (a day in the
/// organisation's time zone) on, not cancelled, in order.
pub(crate) async fn series_from(
    state: &AppState,
    me: &StaffIdentity,
    session_id: i32,
    from: chrono::NaiveDate,
) -> Result<Vec<session::Model>, ChangeError> {
    let s = in_org::<session::Entity>(state, me, session_id).await?;
    let key = s.series_key.ok_or(ChangeError::NotASeries)?;
    let tz = state.settings.timezone;
    let day_start = crate::domain::series::wall_to_utc_earliest(tz, from.and_time(chrono::NaiveTime::MIN))
        .unwrap_or_else(|| from.and_time(chrono::NaiveTime::MIN).and_utc());
    let start = Ord::max(day_start, state.clock.now());
    Ok(session::Entity::find()
        .filter(session::Column::OrganisationId.eq(me.organisation_id))
        .filter(session::Column::SeriesKey.eq(key))
        .filter(session::Column::Status.eq(SessionStatus::Scheduled))
        .filter(session::Column::StartsAt.gte(start))
        .order_by_asc(session::Column::StartsAt)
        .all(&state.db)
        .await?)
}

/// Cancels every session [`series_from`] lists, each with [`cancel_session`]: every
/// registrant told, with the reason.
pub(crate) async fn cancel_series_from(
    state: &AppState,
    me: &StaffIdentity,
    session_id: i32,
    from: chrono::NaiveDate,
    reason: Option<String>,
) -> Result<Vec<session::Model>, ChangeError> {
    let mut cancelled = Vec::new();
    for s in series_from(state, me, session_id, from).await? {
        match cancel_session(state, s.id, reason.clone()).await {
            Ok(c) => cancelled.push(c),
            // Cancelled meanwhile by someone else: nothing left to do for that one.
            Err(RegistrationError::Closed(RegistrationClosed::SessionCancelled)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(cancelled)
}
