//! The staff side of opening hours and reasons: weekly rules, extra openings, closures per
//! place; reasons and the places offering them. Coordinators and admins change them;
//! facilitators read them. Rows of another organisation answer 404. The changes themselves
//! are [`super::schedule_admin`]'s, shared with the console's configuration pages.
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use entities::{closure, motif, place};
use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, param::Path, param::Query, payload::Json};

use super::{
    dto::{
        ClosureCreated, ClosureInput, ExtraOpening, ExtraOpeningInput, MotifInput, OpeningRule, OpeningRuleInput,
        PlaceMotifsInput, StaffMotif,
    },
    queries::{self, closure_view, extra_view, motif_places, organisation_tz, rule_view, staff_motif},
    rules::InputError,
    schedule_admin::{self as admin, ClosureFields, ExtraFields, MotifFields, RuleFields},
};
use crate::{
    auth::{Manager, Staff},
    http::error::{ApiError, ApiResult, OrNotFound, bounded_date, bounded_instant},
    http::tags::ApiTags,
    places::queries::PLACE_NOT_FOUND,
    platform::org_scope::find_in_org,
    platform::state::AppState,
};

impl From<InputError> for ApiError {
    fn from(err: InputError) -> ApiError {
        ApiError::invalid(err.field(), &err.to_string())
    }
}

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

impl From<&MotifInput> for MotifFields {
    fn from(m: &MotifInput) -> MotifFields {
        MotifFields {
            label: m.label.to_string(),
            duration_minutes: m.duration_minutes,
            bookable_online: m.bookable_online,
            min_notice_minutes: m.min_notice_minutes,
            horizon_days: m.horizon_days,
            instructions: m.instructions.to_string(),
            position: m.position,
            active: m.active,
            place_ids: m.place_ids.clone(),
        }
    }
}

impl From<&OpeningRuleInput> for RuleFields {
    fn from(r: &OpeningRuleInput) -> RuleFields {
        RuleFields {
            weekday: r.weekday.into(),
            start_time: r.start_time.to_string(),
            end_time: r.end_time.to_string(),
            weeks_of_month: r.weeks_of_month.clone(),
            valid_from: r.valid_from,
            valid_to: r.valid_to,
        }
    }
}

impl From<&ExtraOpeningInput> for ExtraFields {
    fn from(e: &ExtraOpeningInput) -> ExtraFields {
        ExtraFields {
            date: e.date,
            start_time: e.start_time.to_string(),
            end_time: e.end_time.to_string(),
            note: e.note.as_deref().map(str::to_string),
        }
    }
}

impl From<&ClosureInput> for ClosureFields {
    fn from(c: &ClosureInput) -> ClosureFields {
        ClosureFields {
            desk: c.desk,
            starts_at: c.starts_at.with_timezone(&Utc),
            ends_at: c.ends_at.with_timezone(&Utc),
            reason: c.reason.to_string(),
        }
    }
}

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminAppointments")]
impl AdminScheduleApi {
    /// Every reason of the organisation, inactive ones included, in display order.
    #[oai(path = "/motifs", method = "get", operation_id = "adminListMotifs")]
    async fn list_motifs(&self, state: Data<&AppState>, Staff(me): Staff) -> ApiResult<Json<Vec<StaffMotif>>> {
        let rows = queries::organisation_motifs(&state.db, me.organisation_id).await?;
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
        let created = admin::save_motif(&state, me.organisation_id, None, &(&body.0).into()).await?;
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
        let updated = admin::save_motif(&state, me.organisation_id, Some(id.0), &(&body.0).into()).await?;
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
        let p = admin::set_place_motifs(&state, me.organisation_id, id.0, &body.0.motif_ids).await?;
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
        let created = admin::add_rule(&state, me.organisation_id, id.0, &(&body.0).into()).await?;
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
        let updated = admin::update_rule(&state, me.organisation_id, id.0, &(&body.0).into()).await?;
        Ok(Json(rule_out(&updated)?))
    }

    /// Delete a weekly opening rule. Appointments already booked are kept.
    #[oai(
        path = "/opening-rules/:id",
        method = "delete",
        operation_id = "adminDeleteOpeningRule"
    )]
    async fn delete_rule(&self, state: Data<&AppState>, Manager(me): Manager, id: Path<i32>) -> ApiResult<Deleted> {
        admin::delete_rule(&state, me.organisation_id, id.0).await?;
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
        let rows = queries::extra_openings_from(&state.db, p.id, from).await?;
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
        let created = admin::add_extra(&state, me.organisation_id, id.0, &(&body.0).into()).await?;
        Ok(ExtraCreated::Created(Json(extra_view(created))))
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
        let updated = admin::update_extra(&state, me.organisation_id, id.0, &(&body.0).into()).await?;
        Ok(Json(extra_view(updated)))
    }

    /// Delete an extra opening. Appointments already booked are kept.
    #[oai(
        path = "/extra-openings/:id",
        method = "delete",
        operation_id = "adminDeleteExtraOpening"
    )]
    async fn delete_extra(&self, state: Data<&AppState>, Manager(me): Manager, id: Path<i32>) -> ApiResult<Deleted> {
        admin::delete_extra(&state, me.organisation_id, id.0).await?;
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
        let rows = queries::closures_ending_after(&state.db, p.id, from).await?;
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
        let created = admin::add_closure(&state, me.organisation_id, id.0, &(&body.0).into()).await?;
        Ok(ClosureResponse::Created(Json(with_affected(&state, created).await?)))
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
        let updated = admin::update_closure(&state, me.organisation_id, id.0, &(&body.0).into()).await?;
        Ok(Json(with_affected(&state, updated).await?))
    }

    /// Delete a closure: its slots become bookable again.
    #[oai(path = "/closures/:id", method = "delete", operation_id = "adminDeleteClosure")]
    async fn delete_closure(&self, state: Data<&AppState>, Manager(me): Manager, id: Path<i32>) -> ApiResult<Deleted> {
        admin::delete_closure(&state, me.organisation_id, id.0).await?;
        Ok(Deleted::Done)
    }
}

fn rule_out(row: &entities::opening_rule::Model) -> ApiResult<OpeningRule> {
    rule_view(row).ok_or_else(|| ApiError::internal("opening rule with an impossible weekday"))
}

/// A closure with the booked appointments it overlaps.
async fn with_affected(state: &AppState, c: closure::Model) -> ApiResult<ClosureCreated> {
    let place = crate::places::queries::by_id(&state.db, c.place_id)
        .await?
        .or_not_found(PLACE_NOT_FOUND)?;
    let tz = organisation_tz(&state.db, place.organisation_id).await?;
    let rows = admin::overlapping(&state.db, &c).await?;
    let affected = queries::staff_appointments(&state.db, rows, tz).await?;
    Ok(ClosureCreated {
        closure: closure_view(c, tz),
        affected_appointments: affected,
    })
}

async fn motif_view(state: &AppState, m: motif::Model) -> ApiResult<StaffMotif> {
    let places = motif_places(&state.db, &[m.id]).await?;
    Ok(staff_motif(m, &places))
}

async fn place_motifs(state: &AppState, place_id: i32) -> ApiResult<Vec<StaffMotif>> {
    let rows = queries::place_motifs(&state.db, place_id).await?;
    let ids: Vec<i32> = rows.iter().map(|m| m.id).collect();
    let places = motif_places(&state.db, &ids).await?;
    Ok(rows.into_iter().map(|m| staff_motif(m, &places)).collect())
}
