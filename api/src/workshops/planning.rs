//! Planning workshop sessions (staff): one session, a weekly series, attendance, and the
//! organisation-scoped lookups the admin API and the console's pages share.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use entities::{
    appointment,
    kinds::{AppointmentStatus, Attendance, RegistrationStatus, Role, SessionStatus},
    place, registration, session, staff_member, workshop,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PrimaryKeyTrait, QueryFilter, Set};

use super::{
    desks::{self, Booked, InTheWay},
    warnings::{self, Confirmation, OtherSession, SeriesSummary, Warning},
};

use crate::{
    appointments::desk_lock,
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
    #[error("Une séance ne peut pas commencer dans le passé : choisissez une date et une heure à venir.")]
    InPast,
    #[error("La première séance de la série serait déjà passée : choisissez une première date à venir.")]
    SeriesInPast,
    #[error("Ce lieu ne reçoit pas de rendez-vous : il n'a pas de postes à occuper.")]
    NoDesksHere,
    #[error("Ce lieu compte {desks} poste(s) : choisissez des numéros de 1 à {desks}.")]
    DeskOutOfRange { desks: i32 },
    #[error("À vérifier avant d'enregistrer la séance : {}", texts(.0.iter().map(|w| &w.text)))]
    NeedsConfirmation(Vec<Warning>),
    #[error(
        "Des rendez-vous sont pris sur les postes de ce lieu pendant la séance : déplacez-les, ou choisissez \
         d'autres postes ou une autre heure. {}",
        texts(.0.iter().map(|a| &a.text))
    )]
    AppointmentsInTheWay(Vec<InTheWay>),
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
            NoDates | SeriesInPast => Refusal::Invalid { field: "first_date" },
            InPast => Refusal::Invalid { field: "starts_at" },
            NoDesksHere | DeskOutOfRange { .. } => Refusal::Invalid { field: "desks" },
            NeedsConfirmation(_) | AppointmentsInTheWay(_) => Refusal::Conflict,
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
            NeedsConfirmation(_) => "planning_warnings",
            AppointmentsInTheWay(_) => "appointments_in_the_way",
            Db(_) => "internal",
            _ => "validation",
        }
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        match self {
            PlanningError::NeedsConfirmation(warnings) => {
                warnings.iter().map(|w| (w.kind.code(), w.text.clone())).collect()
            }
            // Time and desk only: the residents' names stay on the staff pages.
            PlanningError::AppointmentsInTheWay(found) => {
                found.iter().map(|a| ("appointment", a.text.clone())).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// "a ; b ; c."
fn texts<'a>(items: impl Iterator<Item = &'a String>) -> String {
    let joined = items.map(|t| t.trim_end_matches('.')).collect::<Vec<_>>().join(" ; ");
    format!("{joined}.")
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
    /// At a mediation point, the desks it occupies; `None`: all of the place's.
    pub desks: Option<Vec<i32>>,
    /// The warnings the planner accepted ([`warnings`]).
    pub confirmation: Confirmation,
}

/// A weekly series to create, in the organisation's wall time.
#[derive(Debug, Clone)]
pub(crate) struct NewSeries {
    pub workshop_id: i32,
    pub place_id: i32,
    pub series: WeeklySeries,
    pub capacity: Option<i32>,
    pub facilitator_id: Option<i32>,
    /// As for one session, for every date.
    pub desks: Option<Vec<i32>>,
    /// Public holidays kept at a place that closes on them need a confirmation.
    pub confirmation: Confirmation,
}

pub(crate) struct CreatedSeries {
    pub sessions: Vec<session::Model>,
    /// Public holidays left out, with their names.
    pub skipped: Vec<(NaiveDate, &'static str)>,
    /// Dates created although another session shares the place and time: what to check.
    pub overlaps: Vec<(NaiveDate, Warning)>,
    /// Dates left out because appointments are booked on the session's desks, with them.
    pub over_appointments: Vec<(NaiveDate, Vec<InTheWay>)>,
    pub summary: SeriesSummary,
}

/// Creates one session of a workshop of `me`'s organisation, not in the past. At a mediation
/// point it occupies desks, and is refused over the appointments booked on them; a public
/// holiday at a place that closes on holidays, or another session at the place meanwhile, is
/// a warning the planner must confirm ([`PlanningError::NeedsConfirmation`]).
pub(crate) async fn create_session(
    state: &AppState,
    me: &StaffIdentity,
    new: NewSession,
) -> Result<session::Model, PlanningError> {
    let w = in_org::<workshop::Entity>(state, me, new.workshop_id).await?;
    let p = in_org::<place::Entity>(state, me, new.place_id).await?;
    check_facilitator(state, me, new.facilitator_id).await?;
    check_capacity(new.capacity)?;
    check_times(new.starts_at, new.ends_at)?;
    let now = state.clock.now();
    let desks = desks::resolve(&p, new.desks.as_deref())?;
    let closes = new.registration_closes_at.unwrap_or(new.starts_at);
    let txn = db::begin_write(&state.db).await?;
    let plan = SessionPlan {
        place: &p,
        desks: &desks,
        starts_at: new.starts_at,
        ends_at: new.ends_at,
        editing: None,
    };
    check_plan(&txn, &plan, &new.confirmation, now, state.settings.timezone).await?;
    let created = session_row(
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
    );
    let created = session::ActiveModel {
        desks: Set(desks::encode(&desks)),
        ..created
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Creates every session of a weekly series in one transaction; the sessions share a series
/// key. Each date is checked as one session is: public holidays are skipped at a place that
/// closes on them (unless told otherwise, then they are warnings to confirm), dates over
/// appointments on the desks are skipped, overlaps are created and reported.
pub(crate) async fn create_series(
    state: &AppState,
    me: &StaffIdentity,
    new: NewSeries,
) -> Result<CreatedSeries, PlanningError> {
    let w = in_org::<workshop::Entity>(state, me, new.workshop_id).await?;
    let p = in_org::<place::Entity>(state, me, new.place_id).await?;
    check_facilitator(state, me, new.facilitator_id).await?;
    check_capacity(new.capacity)?;
    let desks = desks::resolve(&p, new.desks.as_deref())?;
    let tz = state.settings.timezone;
    let mut series = new.series.clone();
    // A place open on public holidays keeps its sessions on those days.
    series.skip_public_holidays &= p.close_on_public_holidays;
    let plan = series.plan(tz)?;
    let (Some(first), Some(last)) = (plan.occurrences.first(), plan.occurrences.last()) else {
        return Err(PlanningError::NoDates);
    };
    let now = state.clock.now();
    if first.starts_at <= now {
        return Err(PlanningError::SeriesInPast);
    }
    let key = token::generate()[..12].to_string();
    let txn = db::begin_write(&state.db).await?;
    let around = Surroundings::load(&txn, &p, first.starts_at, last.ends_at, None).await?;
    let mut holidays = Vec::new();
    let mut overlaps = Vec::new();
    let mut over_appointments = Vec::new();
    let mut kept = Vec::with_capacity(plan.occurrences.len());
    for o in &plan.occurrences {
        let check = around.check(&p, &desks, o.starts_at, o.ends_at, tz);
        if !check.in_the_way.is_empty() {
            over_appointments.push((o.date, check.in_the_way));
            continue;
        }
        holidays.extend(check.holiday);
        overlaps.extend(check.overlaps.into_iter().map(|w| (o.date, w)));
        kept.push(o);
    }
    if kept.is_empty() {
        let all = over_appointments.into_iter().flat_map(|(_, found)| found).collect();
        return Err(PlanningError::AppointmentsInTheWay(all));
    }
    if !new.confirmation.covers(&holidays) {
        return Err(PlanningError::NeedsConfirmation(holidays));
    }
    let mut created = Vec::with_capacity(kept.len());
    for o in kept {
        let row = session_row(
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
        );
        let s = session::ActiveModel {
            desks: Set(desks::encode(&desks)),
            ..row
        }
        .insert(&txn)
        .await?;
        created.push(s);
    }
    txn.commit().await?;
    let mut overlapping_dates: Vec<NaiveDate> = overlaps.iter().map(|(d, _)| *d).collect();
    overlapping_dates.dedup();
    let summary = SeriesSummary {
        created: created.len(),
        holidays_skipped: plan.skipped.len(),
        overlaps: overlapping_dates.len(),
        appointments_skipped: over_appointments.len(),
    };
    Ok(CreatedSeries {
        sessions: created,
        skipped: plan.skipped,
        overlaps,
        over_appointments,
        summary,
    })
}

/// Where and when one session is to be, as planning checks it.
pub(crate) struct SessionPlan<'a> {
    pub place: &'a place::Model,
    /// The desks it occupies ([`desks::resolve`]).
    pub desks: &'a [u32],
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The session as it stands when it is being edited, `None` for a new one.
    pub editing: Option<&'a session::Model>,
}

/// The planning rules of one session, new or edited, read in the transaction that saves it:
/// a start in the past is refused (an edited session may keep the start it has), so are
/// appointments booked on its desks meanwhile; a public holiday at a place that closes on
/// holidays, or another session at the place meanwhile (never the edited session itself), is
/// a warning `confirmation` must cover.
pub(crate) async fn check_plan<C: ConnectionTrait>(
    db: &C,
    plan: &SessionPlan<'_>,
    confirmation: &Confirmation,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<(), PlanningError> {
    let new_start = plan.editing.is_none_or(|s| s.starts_at != plan.starts_at);
    if new_start && plan.starts_at <= now {
        return Err(PlanningError::InPast);
    }
    let itself = plan.editing.map(|s| s.id);
    let around = Surroundings::load(db, plan.place, plan.starts_at, plan.ends_at, itself).await?;
    let check = around.check(plan.place, plan.desks, plan.starts_at, plan.ends_at, tz);
    if !check.in_the_way.is_empty() {
        return Err(PlanningError::AppointmentsInTheWay(check.in_the_way));
    }
    let mut warnings = check.holiday.into_iter().collect::<Vec<_>>();
    warnings.extend(check.overlaps);
    if !confirmation.covers(&warnings) {
        return Err(PlanningError::NeedsConfirmation(warnings));
    }
    Ok(())
}

/// What is already planned at a place over a stretch of time: the non-cancelled sessions and
/// the appointments still occupying a desk. Loaded once for a session or a whole series;
/// `except` leaves out the session being edited. Loading holds the place's desks
/// ([`desk_lock::for_planning`]) until the transaction ends, so no booking lands on them
/// between this read and the session's commit.
struct Surroundings {
    sessions: Vec<OtherSession>,
    booked: Vec<Booked>,
}

/// What one date of a session meets.
struct DateCheck {
    holiday: Option<Warning>,
    overlaps: Vec<Warning>,
    in_the_way: Vec<InTheWay>,
}

impl Surroundings {
    async fn load<C: ConnectionTrait>(
        db: &C,
        p: &place::Model,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        except: Option<i32>,
    ) -> Result<Surroundings, DbErr> {
        desk_lock::for_planning(db, p.id).await?;
        let mut others = session::Entity::find().filter(session::Column::PlaceId.eq(p.id));
        if let Some(id) = except {
            others = others.filter(session::Column::Id.ne(id));
        }
        let rows = others
            .filter(session::Column::Status.ne(SessionStatus::Cancelled))
            .filter(session::Column::StartsAt.lt(to))
            .filter(session::Column::EndsAt.gt(from))
            .find_also_related(workshop::Entity)
            .all(db)
            .await?;
        let sessions = rows
            .into_iter()
            .map(|(s, w)| OtherSession {
                id: s.id,
                title: w.map(|w| w.title).unwrap_or_default(),
                starts_at: s.starts_at,
                ends_at: s.ends_at,
            })
            .collect();
        let booked = appointment::Entity::find()
            .filter(appointment::Column::PlaceId.eq(p.id))
            .filter(appointment::Column::Status.ne(AppointmentStatus::Cancelled))
            .filter(appointment::Column::StartsAt.lt(to))
            .filter(appointment::Column::EndsAt.gt(from))
            .all(db)
            .await?
            .iter()
            .map(Booked::from)
            .collect();
        Ok(Surroundings { sessions, booked })
    }

    fn check(
        &self,
        p: &place::Model,
        desks: &[u32],
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        tz: Tz,
    ) -> DateCheck {
        DateCheck {
            holiday: warnings::holiday(p.close_on_public_holidays, starts_at.with_timezone(&tz).date_naive()),
            overlaps: warnings::overlaps_with(starts_at, ends_at, &self.sessions, tz),
            in_the_way: desks::in_the_way(starts_at, ends_at, desks, &self.booked, tz),
        }
    }
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
