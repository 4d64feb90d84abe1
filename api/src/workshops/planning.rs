//! Planning workshop sessions (staff): one session, a weekly series, attendance, and the
//! organisation-scoped lookups the admin API and the console's pages share.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::{
    kinds::{Attendance, RegistrationStatus, Role, SessionStatus},
    place, registration, session, staff_member, workshop,
};
use sea_orm::{ActiveModelTrait, DbErr, PrimaryKeyTrait, Set};

use crate::{
    auth::StaffIdentity,
    domain::{
        refusal::{DomainError, Refusal},
        series::{SeriesError, WeeklySeries},
    },
    platform::{
        db,
        org_scope::{InOrganisation, find_in_org},
        state::AppState,
        token,
    },
};

#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanningError {
    #[error("Cet atelier n'existe pas.")]
    WorkshopNotFound,
    #[error("Cette séance n'existe pas.")]
    SessionNotFound,
    #[error("Cette inscription n'existe pas.")]
    RegistrationNotFound,
    #[error("Ce lieu n'existe pas.")]
    PlaceNotFound,
    #[error("Cet animateur n'existe pas.")]
    FacilitatorNotFound,
    #[error("Le nombre de places va de 1 à 500.")]
    CapacityOutOfRange,
    #[error("La fin doit suivre le début.")]
    EndBeforeStart,
    #[error("Une séance dure 12 heures au plus.")]
    TooLong,
    #[error(transparent)]
    Series(#[from] SeriesError),
    #[error("Aucune date ne correspond à cette série.")]
    NoDates,
    #[error("Votre rôle ne permet pas cette action.")]
    NotYourSession,
    #[error("Seules les inscriptions confirmées ont une présence à noter.")]
    NotConfirmed,
    #[error("La présence se note une fois la séance commencée.")]
    NotStarted,
    #[error("database")]
    Db(#[from] DbErr),
}

impl DomainError for PlanningError {
    fn refusal(&self) -> Refusal {
        use PlanningError::*;
        match self {
            WorkshopNotFound | SessionNotFound | RegistrationNotFound | PlaceNotFound => Refusal::NotFound,
            FacilitatorNotFound => Refusal::Invalid {
                field: "facilitator_id",
            },
            CapacityOutOfRange => Refusal::Invalid { field: "capacity" },
            EndBeforeStart | TooLong => Refusal::Invalid { field: "ends_at" },
            Series(SeriesError::TooManyOccurrences { .. }) => Refusal::Invalid { field: "last_date" },
            Series(_) => Refusal::Invalid { field: "end_time" },
            NoDates => Refusal::Invalid { field: "first_date" },
            NotYourSession => Refusal::Forbidden,
            NotConfirmed | NotStarted => Refusal::Rule,
            Db(_) => Refusal::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        use PlanningError::*;
        match self {
            WorkshopNotFound | SessionNotFound | RegistrationNotFound | PlaceNotFound => "not_found",
            NotYourSession => "forbidden",
            NotConfirmed => "not_confirmed",
            NotStarted => "not_started",
            Db(_) => "internal",
            _ => "validation",
        }
    }
}

/// One session to create, times in UTC.
#[derive(Debug, Clone)]
pub(crate) struct NewSession {
    pub workshop_id: i32,
    pub place_id: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Defaults to the workshop's capacity.
    pub capacity: Option<i32>,
    pub facilitator_id: Option<i32>,
    /// Defaults to the start.
    pub registration_closes_at: Option<DateTime<Utc>>,
}

/// A weekly series to create, in the organisation's wall time.
#[derive(Debug, Clone)]
pub(crate) struct NewSeries {
    pub workshop_id: i32,
    pub place_id: i32,
    pub series: WeeklySeries,
    pub capacity: Option<i32>,
    pub facilitator_id: Option<i32>,
}

pub(crate) struct CreatedSeries {
    pub sessions: Vec<session::Model>,
    /// Public holidays left out, with their names.
    pub skipped: Vec<(NaiveDate, &'static str)>,
}

/// Creates one session of a workshop of `me`'s organisation.
pub(crate) async fn create_session(
    state: &AppState,
    me: &StaffIdentity,
    new: NewSession,
) -> Result<session::Model, PlanningError> {
    let w = in_org::<workshop::Entity>(state, me, new.workshop_id).await?;
    in_org::<place::Entity>(state, me, new.place_id).await?;
    check_facilitator(state, me, new.facilitator_id).await?;
    check_capacity(new.capacity)?;
    check_times(new.starts_at, new.ends_at)?;
    let closes = new.registration_closes_at.unwrap_or(new.starts_at);
    let now = state.clock.now();
    Ok(session_row(
        me,
        &w,
        new.place_id,
        new.starts_at,
        new.ends_at,
        new.capacity,
        new.facilitator_id,
        closes,
        None,
        now,
    )
    .insert(&state.db)
    .await?)
}

/// Creates every session of a weekly series in one transaction, skipping French public
/// holidays unless told otherwise; the sessions share a series key.
pub(crate) async fn create_series(
    state: &AppState,
    me: &StaffIdentity,
    new: NewSeries,
) -> Result<CreatedSeries, PlanningError> {
    let w = in_org::<workshop::Entity>(state, me, new.workshop_id).await?;
    in_org::<place::Entity>(state, me, new.place_id).await?;
    check_facilitator(state, me, new.facilitator_id).await?;
    check_capacity(new.capacity)?;
    let tz = state.settings.timezone;
    let plan = new.series.plan(tz)?;
    if plan.occurrences.is_empty() {
        return Err(PlanningError::NoDates);
    }
    let now = state.clock.now();
    let key = token::generate()[..12].to_string();
    let txn = db::begin_write(&state.db).await?;
    let mut created = Vec::with_capacity(plan.occurrences.len());
    for o in &plan.occurrences {
        let s = session_row(
            me,
            &w,
            new.place_id,
            o.starts_at,
            o.ends_at,
            new.capacity,
            new.facilitator_id,
            o.starts_at,
            Some(key.clone()),
            now,
        )
        .insert(&txn)
        .await?;
        created.push(s);
    }
    txn.commit().await?;
    Ok(CreatedSeries {
        sessions: created,
        skipped: plan.skipped,
    })
}

/// Marks attendance of a confirmed registration. Facilitators may do it for their own
/// sessions only.
pub(crate) async fn mark_attendance(
    state: &AppState,
    me: &StaffIdentity,
    registration_id: i32,
    attendance: Attendance,
) -> Result<registration::Model, PlanningError> {
    let r = find_in_org::<registration::Entity, _>(&state.db, me.organisation_id, registration_id)
        .await?
        .ok_or(PlanningError::RegistrationNotFound)?;
    let s = in_org::<session::Entity>(state, me, r.session_id).await?;
    if me.role == Role::Facilitator && s.facilitator_id != Some(me.id) {
        return Err(PlanningError::NotYourSession);
    }
    if r.status != RegistrationStatus::Confirmed {
        return Err(PlanningError::NotConfirmed);
    }
    // As for appointments: who came is known once the session has begun, not before.
    if state.clock.now() < s.starts_at {
        return Err(PlanningError::NotStarted);
    }
    // The session's activity record follows who is present, in the same transaction, and a
    // person marked present is offered the survey.
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let mut a: registration::ActiveModel = r.into();
    a.attendance = Set(attendance);
    a.updated_at = Set(now);
    let marked = a.update(&txn).await?;
    crate::records::drafts::after_attendance(&txn, &s, now).await?;
    if attendance == Attendance::Present {
        crate::workshops::service::offer_survey(state, &txn, &marked, now).await?;
    }
    txn.commit().await?;
    Ok(marked)
}

#[allow(clippy::too_many_arguments)]
fn session_row(
    me: &StaffIdentity,
    w: &workshop::Model,
    place_id: i32,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    capacity: Option<i32>,
    facilitator_id: Option<i32>,
    closes: DateTime<Utc>,
    series_key: Option<String>,
    now: DateTime<Utc>,
) -> session::ActiveModel {
    session::ActiveModel {
        organisation_id: Set(me.organisation_id),
        workshop_id: Set(w.id),
        place_id: Set(place_id),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        capacity: Set(capacity.unwrap_or(w.default_capacity)),
        seats_taken: Set(0),
        facilitator_id: Set(facilitator_id),
        status: Set(SessionStatus::Scheduled),
        registration_closes_at: Set(Ord::min(closes, starts_at)),
        series_key: Set(series_key),
        cancel_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

fn check_capacity(capacity: Option<i32>) -> Result<(), PlanningError> {
    match capacity {
        Some(c) if !(1..=500).contains(&c) => Err(PlanningError::CapacityOutOfRange),
        _ => Ok(()),
    }
}

/// A session's times: the end after the start, 12 hours at most.
pub(crate) fn check_times(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<(), PlanningError> {
    if ends_at <= starts_at {
        return Err(PlanningError::EndBeforeStart);
    }
    if ends_at - starts_at > Duration::hours(12) {
        return Err(PlanningError::TooLong);
    }
    Ok(())
}

/// What planning calls each row it looks up when the row is missing or another
/// organisation's.
pub(crate) trait Planned: InOrganisation {
    const MISSING: PlanningError;
}

impl Planned for workshop::Entity {
    const MISSING: PlanningError = PlanningError::WorkshopNotFound;
}
impl Planned for session::Entity {
    const MISSING: PlanningError = PlanningError::SessionNotFound;
}
impl Planned for place::Entity {
    const MISSING: PlanningError = PlanningError::PlaceNotFound;
}
impl Planned for registration::Entity {
    const MISSING: PlanningError = PlanningError::RegistrationNotFound;
}

/// The row `id` of `E` in the agent's organisation.
pub(crate) async fn in_org<E>(state: &AppState, me: &StaffIdentity, id: i32) -> Result<E::Model, PlanningError>
where
    E: Planned,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    find_in_org::<E, _>(&state.db, me.organisation_id, id.into())
        .await?
        .ok_or(E::MISSING)
}

/// A facilitator named for a session must be staff of the same organisation.
pub(crate) async fn check_facilitator(
    state: &AppState,
    me: &StaffIdentity,
    id: Option<i32>,
) -> Result<(), PlanningError> {
    let Some(id) = id else { return Ok(()) };
    find_in_org::<staff_member::Entity, _>(&state.db, me.organisation_id, id)
        .await?
        .map(|_| ())
        .ok_or(PlanningError::FacilitatorNotFound)
}
