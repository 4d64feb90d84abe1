//! The staff side of opening hours and reasons: weekly rules, extra openings, closures per
//! place; reasons and the places offering them. Coordinators and admins change them;
//! facilitators read them. Rows of another organisation answer 404.
use entities::kinds::AppointmentStatus;
use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use entities::{appointment, closure, extra_opening, motif, opening_rule, place, place_motif};
use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, param::Path, param::Query, payload::Json};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter, QueryOrder, Set};

use super::{
    dto::{
        ClosureCreated, ClosureInput, ExtraOpening, ExtraOpeningInput, MotifInput, OpeningRule, OpeningRuleInput,
        PlaceMotifsInput, StaffMotif,
    },
    queries::{self, closure_view, extra_view, motif_places, organisation_tz, rule_view, staff_motif},
    rules::{self, InputError, weeks_to_column},
};
use crate::{
    auth::{Manager, Staff, StaffIdentity},
    http::error::{ApiError, ApiResult, OrNotFound, bounded_date, bounded_instant},
    http::tags::ApiTags,
    places::api::PLACE_NOT_FOUND,
    platform::db,
    platform::org_scope::find_in_org,
    platform::state::AppState,
};

impl From<InputError> for ApiError {
    fn from(err: InputError) -> ApiError {
        ApiError::invalid(err.field(), &err.to_string())
    }
}

const CLOSURE_NOT_FOUND: &str = "Cette fermeture n'existe pas.";

pub struct AdminScheduleApi;

#[derive(ApiResponse)]
pub(crate) enum MotifCreated {
    #[oai(status = 201)]
    Created(Json<StaffMotif>),
}

#[derive(ApiResponse)]
pub(crate) enum RuleCreated {
    #[oai(status = 201)]
    Created(Json<OpeningRule>),
}

#[derive(ApiResponse)]
pub(crate) enum ExtraCreated {
    #[oai(status = 201)]
    Created(Json<ExtraOpening>),
}

#[derive(ApiResponse)]
pub(crate) enum ClosureResponse {
    /// The closure, with the booked appointments it overlaps (kept: move or cancel them).
    #[oai(status = 201)]
    Created(Json<ClosureCreated>),
}

#[derive(ApiResponse)]
pub(crate) enum Deleted {
    /// Deleted.
    #[oai(status = 204)]
    Done,
}

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminAppointments")]
impl AdminScheduleApi {
    /// Every reason of the organisation, inactive ones included, in display order.
    #[oai(path = "/motifs", method = "get", operation_id = "adminListMotifs")]
    async fn list_motifs(&self, state: Data<&AppState>, Staff(me): Staff) -> ApiResult<Json<Vec<StaffMotif>>> {
        let rows = motif::Entity::find()
            .filter(motif::Column::OrganisationId.eq(me.organisation_id))
            .order_by_asc(motif::Column::Position)
            .order_by_asc(motif::Column::Label)
            .all(&state.db)
            .await?;
        let ids: Vec<i32> = rows.iter().map(|m| m.id).collect();
        let places = motif_places(&state.db, &ids).await?;
        Ok(Json(rows.into_iter().map(|m| staff_motif(m, &places)).collect()))
    }

    /// Add a reason; with `place_ids`, those places offer it at once.
    #[oai(path = "/motifs", method = "post", operation_id = "adminCreateMotif")]
    async fn create_motif(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        body: Json<MotifInput>,
    ) -> ApiResult<MotifCreated> {
        let input = body.0;
        let active = fill_motif(<motif::ActiveModel as Default>::default(), &input)?;
        let places = places_in_org(&state, &me, input.place_ids.as_deref()).await?;
        let txn = db::begin_write(&state.db).await?;
        let mut active = active;
        active.organisation_id = Set(me.organisation_id);
        let created = active.insert(&txn).await?;
        if let Some(places) = places {
            set_motif_places(&txn, created.id, &places).await?;
        }
        txn.commit().await?;
        Ok(MotifCreated::Created(Json(motif_view(&state, created).await?)))
    }

    /// Change a reason. Existing appointments keep their times; the new duration applies to
    /// new bookings. With `place_ids`, exactly those places offer it.
    #[oai(path = "/motifs/:id", method = "put", operation_id = "adminUpdateMotif")]
    async fn update_motif(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<MotifInput>,
    ) -> ApiResult<Json<StaffMotif>> {
        let existing = find_in_org::<motif::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found("Ce motif n'existe pas.")?;
        let input = body.0;
        let active = fill_motif(existing.into(), &input)?;
        let places = places_in_org(&state, &me, input.place_ids.as_deref()).await?;
        let txn = db::begin_write(&state.db).await?;
        let updated = active.update(&txn).await?;
        if let Some(places) = places {
            set_motif_places(&txn, updated.id, &places).await?;
        }
        txn.commit().await?;
        Ok(Json(motif_view(&state, updated).await?))
    }

    /// The reasons a place offers, staff-only and inactive ones included.
    #[oai(path = "/places/:id/motifs", method = "get", operation_id = "adminListPlaceMotifs")]
    async fn list_place_motifs(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
    ) -> ApiResult<Json<Vec<StaffMotif>>> {
        let p = find_in_org::<place::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(PLACE_NOT_FOUND)?;
        Ok(Json(place_motifs(&state, p.id).await?))
    }

    /// Set the reasons a place offers (replaces the list).
    #[oai(path = "/places/:id/motifs", method = "put", operation_id = "adminSetPlaceMotifs")]
    async fn set_place_motifs(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<PlaceMotifsInput>,
    ) -> ApiResult<Json<Vec<StaffMotif>>> {
        let p = find_in_org::<place::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(PLACE_NOT_FOUND)?;
        let mut ids = body.0.motif_ids;
        ids.sort_unstable();
        ids.dedup();
        for motif_id in &ids {
            let found = motif::Entity::find_by_id(*motif_id).one(&state.db).await?;
            if found.is_none_or(|m| m.organisation_id != me.organisation_id) {
                return Err(ApiError::invalid("motif_ids", "Ce motif n'existe pas."));
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
        Ok(Json(place_motifs(&state, p.id).await?))
    }

    /// A place's weekly opening rules (past ones included), by weekday and time.
    #[oai(
        path = "/places/:id/opening-rules",
        method = "get",
        operation_id = "adminListOpeningRules"
    )]
    async fn list_rules(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
    ) -> ApiResult<Json<Vec<OpeningRule>>> {
        let p = find_in_org::<place::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(PLACE_NOT_FOUND)?;
        let rows = super::schedule::rules(&state.db, p.id).await?;
        Ok(Json(rows.iter().filter_map(rule_view).collect()))
    }

    /// Add a weekly opening rule ("Tuesday 09:00–12:00", "1st and 3rd Wednesday
    /// 13:30–17:00"), in the place's wall time, on quarter-hours.
    #[oai(
        path = "/places/:id/opening-rules",
        method = "post",
        operation_id = "adminCreateOpeningRule"
    )]
    async fn create_rule(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<OpeningRuleInput>,
    ) -> ApiResult<RuleCreated> {
        let p = find_in_org::<place::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(PLACE_NOT_FOUND)?;
        let mut active = fill_rule(<opening_rule::ActiveModel as Default>::default(), &body)?;
        active.place_id = Set(p.id);
        let created = active.insert(&state.db).await?;
        Ok(RuleCreated::Created(Json(rule_out(&created)?)))
    }

    /// Change a weekly opening rule. Appointments already booked are kept.
    #[oai(path = "/opening-rules/:id", method = "put", operation_id = "adminUpdateOpeningRule")]
    async fn update_rule(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<OpeningRuleInput>,
    ) -> ApiResult<Json<OpeningRule>> {
        let existing = find_in_org::<opening_rule::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found("Cette règle d'ouverture n'existe pas.")?;
        let updated = fill_rule(existing.into(), &body)?.update(&state.db).await?;
        Ok(Json(rule_out(&updated)?))
    }

    /// Delete a weekly opening rule. Appointments already booked are kept.
    #[oai(
        path = "/opening-rules/:id",
        method = "delete",
        operation_id = "adminDeleteOpeningRule"
    )]
    async fn delete_rule(&self, state: Data<&AppState>, Manager(me): Manager, id: Path<i32>) -> ApiResult<Deleted> {
        find_in_org::<opening_rule::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found("Cette règle d'ouverture n'existe pas.")?
            .delete(&state.db)
            .await?;
        Ok(Deleted::Done)
    }

    /// A place's extra openings from `from` (default today) on.
    #[oai(
        path = "/places/:id/extra-openings",
        method = "get",
        operation_id = "adminListExtraOpenings"
    )]
    async fn list_extras(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
        /// First date listed (default today).
        from: Query<Option<NaiveDate>>,
    ) -> ApiResult<Json<Vec<ExtraOpening>>> {
        let p = find_in_org::<place::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(PLACE_NOT_FOUND)?;
        let tz = organisation_tz(&state.db, p.organisation_id).await?;
        let from = bounded_date("from", from.0)?.unwrap_or_else(|| state.clock.now().with_timezone(&tz).date_naive());
        let rows = extra_opening::Entity::find()
            .filter(extra_opening::Column::PlaceId.eq(p.id))
            .filter(extra_opening::Column::Date.gte(from))
            .order_by_asc(extra_opening::Column::Date)
            .order_by_asc(extra_opening::Column::StartTime)
            .all(&state.db)
            .await?;
        Ok(Json(rows.into_iter().map(extra_view).collect()))
    }

    /// Add a one-off opening on a date (it opens even on a public holiday).
    #[oai(
        path = "/places/:id/extra-openings",
        method = "post",
        operation_id = "adminCreateExtraOpening"
    )]
    async fn create_extra(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<ExtraOpeningInput>,
    ) -> ApiResult<ExtraCreated> {
        let p = find_in_org::<place::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(PLACE_NOT_FOUND)?;
        let mut active = fill_extra(<extra_opening::ActiveModel as Default>::default(), &body)?;
        active.place_id = Set(p.id);
        Ok(ExtraCreated::Created(Json(extra_view(active.insert(&state.db).await?))))
    }

    /// Change an extra opening. Appointments already booked are kept.
    #[oai(
        path = "/extra-openings/:id",
        method = "put",
        operation_id = "adminUpdateExtraOpening"
    )]
    async fn update_extra(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<ExtraOpeningInput>,
    ) -> ApiResult<Json<ExtraOpening>> {
        let existing = find_in_org::<extra_opening::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found("Cette ouverture exceptionnelle n'existe pas.")?;
        Ok(Json(extra_view(
            fill_extra(existing.into(), &body)?.update(&state.db).await?,
        )))
    }

    /// Delete an extra opening. Appointments already booked are kept.
    #[oai(
        path = "/extra-openings/:id",
        method = "delete",
        operation_id = "adminDeleteExtraOpening"
    )]
    async fn delete_extra(&self, state: Data<&AppState>, Manager(me): Manager, id: Path<i32>) -> ApiResult<Deleted> {
        find_in_org::<extra_opening::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found("Cette ouverture exceptionnelle n'existe pas.")?
            .delete(&state.db)
            .await?;
        Ok(Deleted::Done)
    }

    /// A place's closures (whole place and single desks) still running after `from`
    /// (default now), by start.
    #[oai(path = "/places/:id/closures", method = "get", operation_id = "adminListClosures")]
    async fn list_closures(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
        /// Closures ending after this instant (RFC 3339; default now).
        from: Query<Option<DateTime<FixedOffset>>>,
    ) -> ApiResult<Json<Vec<super::dto::Closure>>> {
        let p = find_in_org::<place::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(PLACE_NOT_FOUND)?;
        let tz = organisation_tz(&state.db, p.organisation_id).await?;
        let from = bounded_instant("from", from.0)?.map_or_else(|| state.clock.now(), |d| d.with_timezone(&Utc));
        let rows = closure::Entity::find()
            .filter(closure::Column::PlaceId.eq(p.id))
            .filter(closure::Column::EndsAt.gt(from))
            .order_by_asc(closure::Column::StartsAt)
            .all(&state.db)
            .await?;
        Ok(Json(rows.into_iter().map(|c| closure_view(c, tz)).collect()))
    }

    /// Close the place, or one desk, for a period. Appointments already booked then are kept
    /// and listed in the answer, for staff to move or cancel.
    #[oai(path = "/places/:id/closures", method = "post", operation_id = "adminCreateClosure")]
    async fn create_closure(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<ClosureInput>,
    ) -> ApiResult<ClosureResponse> {
        let p = find_in_org::<place::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(PLACE_NOT_FOUND)?;
        let mut active = fill_closure(<closure::ActiveModel as Default>::default(), &body, &p)?;
        active.place_id = Set(p.id);
        active.created_at = Set(state.clock.now());
        let created = active.insert(&state.db).await?;
        let tz = organisation_tz(&state.db, p.organisation_id).await?;
        let affected = affected_appointments(&state, &created, tz).await?;
        Ok(ClosureResponse::Created(Json(ClosureCreated {
            closure: closure_view(created, tz),
            affected_appointments: affected,
        })))
    }

    /// Change a closure.
    #[oai(path = "/closures/:id", method = "put", operation_id = "adminUpdateClosure")]
    async fn update_closure(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<ClosureInput>,
    ) -> ApiResult<Json<ClosureCreated>> {
        let existing = find_in_org::<closure::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(CLOSURE_NOT_FOUND)?;
        let p = find_in_org::<place::Entity, _>(&state.db, me.organisation_id, existing.place_id)
            .await?
            .or_not_found(CLOSURE_NOT_FOUND)?;
        let updated = fill_closure(existing.into(), &body, &p)?.update(&state.db).await?;
        let tz = organisation_tz(&state.db, p.organisation_id).await?;
        let affected = affected_appointments(&state, &updated, tz).await?;
        Ok(Json(ClosureCreated {
            closure: closure_view(updated, tz),
            affected_appointments: affected,
        }))
    }

    /// Delete a closure: its slots become bookable again.
    #[oai(path = "/closures/:id", method = "delete", operation_id = "adminDeleteClosure")]
    async fn delete_closure(&self, state: Data<&AppState>, Manager(me): Manager, id: Path<i32>) -> ApiResult<Deleted> {
        find_in_org::<closure::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(CLOSURE_NOT_FOUND)?
            .delete(&state.db)
            .await?;
        Ok(Deleted::Done)
    }
}

fn fill_motif(mut a: motif::ActiveModel, m: &MotifInput) -> ApiResult<motif::ActiveModel> {
    rules::motif_limits(m.duration_minutes, m.min_notice_minutes, m.horizon_days)?;
    a.label = Set(rules::required_text(&m.label, 200, "label")?);
    let instructions = m.instructions.trim();
    if instructions.chars().count() > 2000 {
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

fn fill_rule(mut a: opening_rule::ActiveModel, r: &OpeningRuleInput) -> ApiResult<opening_rule::ActiveModel> {
    let (start, end) = rules::opening_times(&r.start_time, &r.end_time)?;
    let weeks = rules::weeks_of_month(r.weeks_of_month.as_deref())?;
    rules::validity(r.valid_from, r.valid_to)?;
    a.weekday = Set(rules::weekday_number(r.weekday.into()));
    a.start_time = Set(start);
    a.end_time = Set(end);
    a.weeks_of_month = Set(weeks_to_column(weeks.as_deref()));
    a.valid_from = Set(r.valid_from);
    a.valid_to = Set(r.valid_to);
    Ok(a)
}

fn rule_out(row: &opening_rule::Model) -> ApiResult<OpeningRule> {
    rule_view(row).ok_or_else(|| ApiError::internal("opening rule with an impossible weekday"))
}

fn fill_extra(mut a: extra_opening::ActiveModel, e: &ExtraOpeningInput) -> ApiResult<extra_opening::ActiveModel> {
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

fn fill_closure(mut a: closure::ActiveModel, c: &ClosureInput, p: &place::Model) -> ApiResult<closure::ActiveModel> {
    let starts_at = c.starts_at.with_timezone(&Utc);
    let ends_at = c.ends_at.with_timezone(&Utc);
    rules::closure(starts_at, ends_at, c.desk, p.desks)?;
    a.desk = Set(c.desk);
    a.starts_at = Set(starts_at);
    a.ends_at = Set(ends_at);
    a.reason = Set(rules::required_text(&c.reason, 300, "reason")?);
    Ok(a)
}

/// Booked appointments that a closure overlaps.
async fn affected_appointments(
    state: &AppState,
    c: &closure::Model,
    tz: chrono_tz::Tz,
) -> ApiResult<Vec<super::dto::StaffAppointment>> {
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
    Ok(queries::staff_appointments(&state.db, q.all(&state.db).await?, tz).await?)
}

async fn motif_view(state: &AppState, m: motif::Model) -> ApiResult<StaffMotif> {
    let places = motif_places(&state.db, &[m.id]).await?;
    Ok(staff_motif(m, &places))
}

async fn place_motifs(state: &AppState, place_id: i32) -> ApiResult<Vec<StaffMotif>> {
    let ids: Vec<i32> = place_motif::Entity::find()
        .filter(place_motif::Column::PlaceId.eq(place_id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|pm| pm.motif_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = motif::Entity::find()
        .filter(motif::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(motif::Column::Position)
        .order_by_asc(motif::Column::Label)
        .all(&state.db)
        .await?;
    let places: HashMap<i32, Vec<i32>> = motif_places(&state.db, &ids).await?;
    Ok(rows.into_iter().map(|m| staff_motif(m, &places)).collect())
}

/// The given places, all of the caller's organisation (422 otherwise); `None` stays `None`.
async fn places_in_org(state: &AppState, me: &StaffIdentity, ids: Option<&[i32]>) -> ApiResult<Option<Vec<i32>>> {
    let Some(ids) = ids else { return Ok(None) };
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in &ids {
        if find_in_org::<place::Entity, _>(&state.db, me.organisation_id, *id)
            .await?
            .is_none()
        {
            return Err(ApiError::invalid("place_ids", PLACE_NOT_FOUND));
        }
    }
    Ok(Some(ids))
}

async fn set_motif_places<C: ConnectionTrait>(db: &C, motif_id: i32, places: &[i32]) -> ApiResult<()> {
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
