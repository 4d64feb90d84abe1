//! Changing what the slots are computed from: reasons and the places offering them, weekly
//! opening rules, extra openings, closures. One function per change, with its checks, for
//! the admin API and the console's configuration pages alike. Rows of another organisation
//! answer not found.
use chrono::{DateTime, NaiveDate, Utc, Weekday};
use entities::kinds::AppointmentStatus;
use entities::{appointment, closure, extra_opening, motif, opening_rule, place, place_motif};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ModelTrait, QueryFilter, QueryOrder, Set,
};

use super::{
    rules::{self, InputError, weeks_to_column},
    service::{self, Booker},
};
use crate::{
    auth::StaffIdentity,
    domain::refusal::{DomainError, Refusal},
    platform::{db, org_scope::find_in_org, state::AppState},
};

pub(crate) const PLACE_NOT_FOUND: &str = crate::places::queries::PLACE_NOT_FOUND;
pub(crate) const MOTIF_NOT_FOUND: &str = "Ce motif n'existe pas.";
pub(crate) const RULE_NOT_FOUND: &str = "Cette règle d'ouverture n'existe pas.";
pub(crate) const EXTRA_NOT_FOUND: &str = "Cette ouverture exceptionnelle n'existe pas.";
pub(crate) const CLOSURE_NOT_FOUND: &str = "Cette fermeture n'existe pas.";

/// Why a change to the schedule was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ScheduleError {
    #[error("{0}")]
    NotFound(&'static str),
    /// A place or reason named in the request is not the organisation's.
    #[error("{message}")]
    UnknownChoice { field: &'static str, message: &'static str },
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("database")]
    Db(#[from] DbErr),
}

impl DomainError for ScheduleError {
    fn refusal(&self) -> Refusal {
        match self {
            ScheduleError::NotFound(_) => Refusal::NotFound,
            ScheduleError::UnknownChoice { field, .. } => Refusal::Invalid { field },
            ScheduleError::Input(e) => Refusal::Invalid { field: e.field() },
            ScheduleError::Db(_) => Refusal::Unexpected,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ScheduleError::NotFound(_) => "not_found",
            ScheduleError::UnknownChoice { .. } | ScheduleError::Input(_) => "validation",
            ScheduleError::Db(_) => "internal",
        }
    }
}

type Result<T> = std::result::Result<T, ScheduleError>;

/// Place `id` of the organisation.
pub(crate) async fn place_of(state: &AppState, organisation_id: i32, id: i32) -> Result<place::Model> {
    find_in_org::<place::Entity, _>(&state.db, organisation_id, id)
        .await?
        .ok_or(ScheduleError::NotFound(PLACE_NOT_FOUND))
}

// ---- Reasons -------------------------------------------------------------------------

/// A reason as staff describe it.
#[derive(Debug, Clone)]
pub(crate) struct MotifFields {
    pub label: String,
    pub duration_minutes: i32,
    pub bookable_online: bool,
    pub min_notice_minutes: i32,
    pub horizon_days: i32,
    pub instructions: String,
    pub position: i32,
    pub active: bool,
    /// `Some`: exactly these places offer it; `None`: unchanged.
    pub place_ids: Option<Vec<i32>>,
}

fn fill_motif(mut a: motif::ActiveModel, m: &MotifFields) -> Result<motif::ActiveModel> {
    a.label = Set(rules::required_text(&m.label, 200, "label")?);
    rules::motif_limits(m.duration_minutes, m.min_notice_minutes, m.horizon_days)?;
    let instructions = m.instructions.trim();
    if instructions.chars().count() > 2000 || !crate::domain::text::acceptable(instructions, true) {
        return Err(InputError::Text { field: "instructions" }.into());
    }
    a.instructions = Set(instructions.to_string());
    a.duration_minutes = Set(m.duration_minutes);
    a.bookable_online = Set(m.bookable_online);
    a.min_notice_minutes = Set(m.min_notice_minutes);
    a.horizon_days = Set(m.horizon_days);
    a.position = Set(m.position);
    a.active = Set(m.active);
    Ok(a)
}

/// The given places, all of the organisation's, sorted and deduplicated.
async fn places_in_org(state: &AppState, organisation_id: i32, ids: Option<&[i32]>) -> Result<Option<Vec<i32>>> {
    let Some(ids) = ids else { return Ok(None) };
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in &ids {
        if find_in_org::<place::Entity, _>(&state.db, organisation_id, *id)
            .await?
            .is_none()
        {
            return Err(ScheduleError::UnknownChoice {
                field: "place_ids",
                message: PLACE_NOT_FOUND,
            });
        }
    }
    Ok(Some(ids))
}

async fn set_motif_places<C: ConnectionTrait>(db: &C, motif_id: i32, places: &[i32]) -> Result<()> {
    place_motif::Entity::delete_many()
        .filter(place_motif::Column::MotifId.eq(motif_id))
        .exec(db)
        .await?;
    if !places.is_empty() {
        place_motif::Entity::insert_many(places.iter().map(|p| place_motif::ActiveModel {
            place_id: Set(*p),
            motif_id: Set(motif_id),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Creates a reason (`id` `None`) or changes one. Appointments already booked keep their
/// times; a new duration applies to new bookings.
pub(crate) async fn save_motif(
    state: &AppState,
    organisation_id: i32,
    id: Option<i32>,
    fields: &MotifFields,
) -> Result<motif::Model> {
    let existing = match id {
        Some(id) => Some(
            find_in_org::<motif::Entity, _>(&state.db, organisation_id, id)
                .await?
                .ok_or(ScheduleError::NotFound(MOTIF_NOT_FOUND))?,
        ),
        None => None,
    };
    let is_new = existing.is_none();
    let mut active = fill_motif(
        existing.map_or_else(<motif::ActiveModel as Default>::default, Into::into),
        fields,
    )?;
    let places = places_in_org(state, organisation_id, fields.place_ids.as_deref()).await?;
    let txn = db::begin_write(&state.db).await?;
    let saved = if is_new {
        active.organisation_id = Set(organisation_id);
        active.insert(&txn).await?
    } else {
        active.update(&txn).await?
    };
    if let Some(places) = places {
        set_motif_places(&txn, saved.id, &places).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// Sets exactly the reasons place `place_id` offers.
pub(crate) async fn set_place_motifs(
    state: &AppState,
    organisation_id: i32,
    place_id: i32,
    motif_ids: &[i32],
) -> Result<place::Model> {
    let p = place_of(state, organisation_id, place_id).await?;
    let mut ids = motif_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for motif_id in &ids {
        if find_in_org::<motif::Entity, _>(&state.db, organisation_id, *motif_id)
            .await?
            .is_none()
        {
            return Err(ScheduleError::UnknownChoice {
                field: "motif_ids",
                message: MOTIF_NOT_FOUND,
            });
        }
    }
    let txn = db::begin_write(&state.db).await?;
    place_motif::Entity::delete_many()
        .filter(place_motif::Column::PlaceId.eq(p.id))
        .exec(&txn)
        .await?;
    if !ids.is_empty() {
        place_motif::Entity::insert_many(ids.iter().map(|m| place_motif::ActiveModel {
            place_id: Set(p.id),
            motif_id: Set(*m),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(p)
}

// ---- Weekly rules and extra openings -------------------------------------------------

/// A weekly opening rule as staff describe it, times as typed (`HH:MM`).
#[derive(Debug, Clone)]
pub(crate) struct RuleFields {
    pub weekday: Weekday,
    pub start_time: String,
    pub end_time: String,
    pub weeks_of_month: Option<Vec<u8>>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

fn fill_rule(mut a: opening_rule::ActiveModel, r: &RuleFields) -> Result<opening_rule::ActiveModel> {
    let (start, end) = rules::opening_times(&r.start_time, &r.end_time)?;
    let weeks = rules::weeks_of_month(r.weeks_of_month.as_deref())?;
    rules::validity(r.valid_from, r.valid_to)?;
    a.weekday = Set(rules::weekday_number(r.weekday));
    a.start_time = Set(start);
    a.end_time = Set(end);
    a.weeks_of_month = Set(weeks_to_column(weeks.as_deref()));
    a.valid_from = Set(r.valid_from);
    a.valid_to = Set(r.valid_to);
    Ok(a)
}

/// Adds a weekly rule to place `place_id`.
pub(crate) async fn add_rule(
    state: &AppState,
    organisation_id: i32,
    place_id: i32,
    fields: &RuleFields,
) -> Result<opening_rule::Model> {
    let p = place_of(state, organisation_id, place_id).await?;
    let mut a = fill_rule(<opening_rule::ActiveModel as Default>::default(), fields)?;
    a.place_id = Set(p.id);
    Ok(a.insert(&state.db).await?)
}

/// The weekly rule `id` of the organisation.
pub(crate) async fn find_rule(state: &AppState, organisation_id: i32, id: i32) -> Result<opening_rule::Model> {
    find_in_org::<opening_rule::Entity, _>(&state.db, organisation_id, id)
        .await?
        .ok_or(ScheduleError::NotFound(RULE_NOT_FOUND))
}

/// Changes a weekly rule. Appointments already booked are kept.
pub(crate) async fn update_rule(
    state: &AppState,
    organisation_id: i32,
    id: i32,
    fields: &RuleFields,
) -> Result<opening_rule::Model> {
    let existing = find_rule(state, organisation_id, id).await?;
    Ok(fill_rule(existing.into(), fields)?.update(&state.db).await?)
}

/// Deletes a weekly rule; answers it. Appointments already booked are kept.
pub(crate) async fn delete_rule(state: &AppState, organisation_id: i32, id: i32) -> Result<opening_rule::Model> {
    let row = find_rule(state, organisation_id, id).await?;
    row.clone().delete(&state.db).await?;
    Ok(row)
}

/// A one-off opening as staff describe it.
#[derive(Debug, Clone)]
pub(crate) struct ExtraFields {
    pub date: NaiveDate,
    pub start_time: String,
    pub end_time: String,
    pub note: Option<String>,
}

fn fill_extra(mut a: extra_opening::ActiveModel, e: &ExtraFields) -> Result<extra_opening::ActiveModel> {
    let (start, end) = rules::opening_times(&e.start_time, &e.end_time)?;
    let note = match e.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(rules::required_text(n, 300, "note")?),
        None => None,
    };
    a.date = Set(e.date);
    a.start_time = Set(start);
    a.end_time = Set(end);
    a.note = Set(note);
    Ok(a)
}

/// Adds a one-off opening to place `place_id` (it opens even on a public holiday).
pub(crate) async fn add_extra(
    state: &AppState,
    organisation_id: i32,
    place_id: i32,
    fields: &ExtraFields,
) -> Result<extra_opening::Model> {
    let p = place_of(state, organisation_id, place_id).await?;
    let mut a = fill_extra(<extra_opening::ActiveModel as Default>::default(), fields)?;
    a.place_id = Set(p.id);
    Ok(a.insert(&state.db).await?)
}

/// The one-off opening `id` of the organisation.
pub(crate) async fn find_extra(state: &AppState, organisation_id: i32, id: i32) -> Result<extra_opening::Model> {
    find_in_org::<extra_opening::Entity, _>(&state.db, organisation_id, id)
        .await?
        .ok_or(ScheduleError::NotFound(EXTRA_NOT_FOUND))
}

/// Changes a one-off opening. Appointments already booked are kept.
pub(crate) async fn update_extra(
    state: &AppState,
    organisation_id: i32,
    id: i32,
    fields: &ExtraFields,
) -> Result<extra_opening::Model> {
    let existing = find_extra(state, organisation_id, id).await?;
    Ok(fill_extra(existing.into(), fields)?.update(&state.db).await?)
}

/// Deletes a one-off opening; answers it. Appointments already booked are kept.
pub(crate) async fn delete_extra(state: &AppState, organisation_id: i32, id: i32) -> Result<extra_opening::Model> {
    let row = find_extra(state, organisation_id, id).await?;
    row.clone().delete(&state.db).await?;
    Ok(row)
}

// ---- Closures ------------------------------------------------------------------------

/// A closure as staff describe it.
#[derive(Debug, Clone)]
pub(crate) struct ClosureFields {
    /// One desk; `None` closes the whole place.
    pub desk: Option<i32>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
}

fn fill_closure(mut a: closure::ActiveModel, c: &ClosureFields, p: &place::Model) -> Result<closure::ActiveModel> {
    rules::closure(c.starts_at, c.ends_at, c.desk, p.desks)?;
    a.desk = Set(c.desk);
    a.starts_at = Set(c.starts_at);
    a.ends_at = Set(c.ends_at);
    a.reason = Set(rules::required_text(&c.reason, 300, "reason")?);
    Ok(a)
}

/// Closes place `place_id`, or one desk, for a period. Appointments already booked then are
/// kept: see [`overlapping`] and [`cancel_overlapping`].
pub(crate) async fn add_closure(
    state: &AppState,
    organisation_id: i32,
    place_id: i32,
    fields: &ClosureFields,
) -> Result<closure::Model> {
    let p = place_of(state, organisation_id, place_id).await?;
    let mut a = fill_closure(<closure::ActiveModel as Default>::default(), fields, &p)?;
    a.place_id = Set(p.id);
    a.created_at = Set(state.clock.now());
    Ok(a.insert(&state.db).await?)
}

/// Changes a closure. Appointments already booked in its new period are kept, as when it
/// is added: see [`overlapping`] and [`cancel_overlapping`].
pub(crate) async fn update_closure(
    state: &AppState,
    organisation_id: i32,
    id: i32,
    fields: &ClosureFields,
) -> Result<closure::Model> {
    let existing = find_closure(state, organisation_id, id).await?;
    let p = place_of(state, organisation_id, existing.place_id).await?;
    Ok(fill_closure(existing.into(), fields, &p)?.update(&state.db).await?)
}

pub(crate) async fn find_closure(state: &AppState, organisation_id: i32, id: i32) -> Result<closure::Model> {
    find_in_org::<closure::Entity, _>(&state.db, organisation_id, id)
        .await?
        .ok_or(ScheduleError::NotFound(CLOSURE_NOT_FOUND))
}

/// Deletes a closure (its slots become bookable again); answers it.
pub(crate) async fn delete_closure(state: &AppState, organisation_id: i32, id: i32) -> Result<closure::Model> {
    let row = find_closure(state, organisation_id, id).await?;
    row.clone().delete(&state.db).await?;
    Ok(row)
}

/// The booked appointments a closure overlaps (on its desk, or anywhere in the place).
pub(crate) async fn overlapping<C: ConnectionTrait>(
    db: &C,
    c: &closure::Model,
) -> std::result::Result<Vec<appointment::Model>, DbErr> {
    let mut q = appointment::Entity::find()
        .filter(appointment::Column::PlaceId.eq(c.place_id))
        .filter(appointment::Column::Status.eq(AppointmentStatus::Booked))
        .filter(appointment::Column::StartsAt.lt(c.ends_at))
        .filter(appointment::Column::EndsAt.gt(c.starts_at))
        .order_by_asc(appointment::Column::StartsAt)
        .order_by_asc(appointment::Column::Desk);
    if let Some(desk) = c.desk {
        q = q.filter(appointment::Column::Desk.eq(desk));
    }
    q.all(db).await
}

/// Cancels every booked appointment the closure overlaps, each resident told (the closure's
/// reason given), through the same cancellation as one by one; answers how many. An
/// appointment cancelled or held meanwhile is left as it is.
pub(crate) async fn cancel_overlapping(
    state: &AppState,
    me: &StaffIdentity,
    closure_id: i32,
) -> std::result::Result<usize, CancelOverlappingError> {
    let c = find_closure(state, me.organisation_id, closure_id).await?;
    let mut cancelled = 0;
    for a in overlapping(&state.db, &c).await.map_err(ScheduleError::from)? {
        let by = Booker::Staff {
            staff_id: me.id,
            override_fair_use: false,
        };
        match service::cancel(state, a.id, by, Some(c.reason.clone()), None).await {
            Ok(_) => cancelled += 1,
            Err(e) if e.refusal() == Refusal::Unexpected => return Err(e.into()),
            Err(_) => {}
        }
    }
    Ok(cancelled)
}

/// Why cancelling a closure's appointments stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CancelOverlappingError {
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error(transparent)]
    Appointment(#[from] service::AppointmentError),
}

impl DomainError for CancelOverlappingError {
    fn refusal(&self) -> Refusal {
        match self {
            CancelOverlappingError::Schedule(e) => e.refusal(),
            CancelOverlappingError::Appointment(e) => e.refusal(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            CancelOverlappingError::Schedule(e) => e.code(),
            CancelOverlappingError::Appointment(e) => e.code(),
        }
    }
}
