//! `/api/v1/admin/records`: activity records to read, complete or decline; and the themes
//! of each reason and workshop that pre-fill them.
use chrono::NaiveDate;
use entities::{activity_record::RecordStatus, theme_mapping::MappedKind};
use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, param::Query, payload::Json};

use super::{
    codes::parse_set,
    completion::{FieldProblem, RecordInput},
    drafts::mapped_themes,
    dto::{ActivityRecord, MappedThemes, ThemesOf},
    service::{self, RecordError, RecordFilter},
};
use crate::{
    auth::{Manager, Staff, StaffIdentity},
    http::error::{ApiResult, bounded_date},
    http::tags::ApiTags,
    platform::state::AppState,
};

pub struct AdminRecordsApi;

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminRecords")]
impl AdminRecordsApi {
    /// The organisation's activity records, newest first: drafts to complete, completed and
    /// declined ones. `from` and `to` (inclusive) are days in the organisation's zone.
    #[oai(path = "/records", method = "get", operation_id = "adminListRecords")]
    async fn list(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        /// First day (inclusive).
        from: Query<Option<NaiveDate>>,
        /// Last day (inclusive).
        to: Query<Option<NaiveDate>>,
        /// Only records with this status.
        status: Query<Option<RecordStatus>>,
        /// Only records of this place.
        place: Query<Option<i32>>,
    ) -> ApiResult<Json<Vec<ActivityRecord>>> {
        let filter = RecordFilter {
            from: bounded_date("from", from.0)?,
            to: bounded_date("to", to.0)?,
            status: status.0,
            place_id: place.0,
        };
        let rows = service::list(&state.db, me.organisation_id, &filter).await?;
        Ok(Json(
            rows.into_iter()
                .map(ActivityRecord::from_model)
                .collect::<Result<_, _>>()?,
        ))
    }

    /// One activity record.
    #[oai(path = "/records/:id", method = "get", operation_id = "adminGetRecord")]
    async fn get(&self, state: Data<&AppState>, Staff(me): Staff, id: Path<i32>) -> ApiResult<Json<ActivityRecord>> {
        let r = service::find(&state.db, &me, id.0).await?;
        Ok(Json(ActivityRecord::from_model(r)?))
    }

    /// Complete (or correct) a record: it becomes `completed`, by the caller. A declined
    /// record may still be completed. Facilitators complete those of their own sessions.
    #[oai(path = "/records/:id", method = "put", operation_id = "adminCompleteRecord")]
    async fn complete(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
        body: Json<RecordInput>,
    ) -> ApiResult<Json<ActivityRecord>> {
        let r = service::complete(&state, &me, id.0, &body.0).await?;
        Ok(Json(ActivityRecord::from_model(r)?))
    }

    /// Decline a record: the mediator chooses not to record this accompaniment. A completed
    /// record cannot be declined (409).
    #[oai(path = "/records/:id/decline", method = "post", operation_id = "adminDeclineRecord")]
    async fn decline(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
    ) -> ApiResult<Json<ActivityRecord>> {
        let r = service::decline(&state, &me, id.0).await?;
        Ok(Json(ActivityRecord::from_model(r)?))
    }

    /// The themes of a reason, which the records of its appointments are pre-filled with.
    #[oai(path = "/motifs/:id/themes", method = "get", operation_id = "adminGetMotifThemes")]
    async fn motif_themes(&self, state: Data<&AppState>, Staff(me): Staff, id: Path<i32>) -> ApiResult<Json<ThemesOf>> {
        themes_of(&state, &me, MappedKind::Motif, id.0).await
    }

    /// Set the themes of a reason (an empty list removes them).
    #[oai(path = "/motifs/:id/themes", method = "put", operation_id = "adminSetMotifThemes")]
    async fn set_motif_themes(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<MappedThemes>,
    ) -> ApiResult<Json<ThemesOf>> {
        set_themes(&state, &me, MappedKind::Motif, id.0, &body.themes).await
    }

    /// The themes of a workshop, which the records of its sessions are pre-filled with.
    #[oai(
        path = "/workshops/:id/themes",
        method = "get",
        operation_id = "adminGetWorkshopThemes"
    )]
    async fn workshop_themes(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
    ) -> ApiResult<Json<ThemesOf>> {
        themes_of(&state, &me, MappedKind::Workshop, id.0).await
    }

    /// Set the themes of a workshop (an empty list removes them).
    #[oai(
        path = "/workshops/:id/themes",
        method = "put",
        operation_id = "adminSetWorkshopThemes"
    )]
    async fn set_workshop_themes(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<MappedThemes>,
    ) -> ApiResult<Json<ThemesOf>> {
        set_themes(&state, &me, MappedKind::Workshop, id.0, &body.themes).await
    }
}

async fn themes_of(state: &AppState, me: &StaffIdentity, kind: MappedKind, id: i32) -> ApiResult<Json<ThemesOf>> {
    let name = service::check_target(&state.db, me, kind, id).await?;
    let themes = mapped_themes(&state.db, kind, id).await?;
    Ok(Json(ThemesOf { id, name, themes }))
}

async fn set_themes(
    state: &AppState,
    me: &StaffIdentity,
    kind: MappedKind,
    id: i32,
    codes: &[String],
) -> ApiResult<Json<ThemesOf>> {
    let themes = parse_set(codes).map_err(|code| {
        RecordError::Invalid(vec![FieldProblem {
            field: "themes",
            message: format!("Thématique inconnue : « {code} »."),
        }])
    })?;
    service::set_themes(state, me, kind, id, &themes).await?;
    themes_of(state, me, kind, id).await
}
