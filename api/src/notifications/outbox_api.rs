//! Staff: what was sent to residents, what waits, what failed, and sending a failed one again.
use entities::kinds::OutboxStatus;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, param::Query, payload::Json};

use super::{dto::OutboxEntry, queries, service::requeue_failed};
use crate::{
    auth::Manager,
    http::error::{ApiError, ApiResult, OrNotFound},
    http::tags::ApiTags,
    platform::{org_scope::find_in_org, state::AppState},
};

pub struct AdminOutboxApi;

const NOT_FOUND: &str = "Ce message n'existe pas.";

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminOrganisation")]
impl AdminOutboxApi {
    /// The organisation's outbox, newest first: what was sent to residents, what waits and
    /// what failed (with the mail server's answer). Coordinators and admins. Manage links
    /// carried by the messages are never shown.
    #[oai(path = "/outbox", method = "get", operation_id = "adminListOutbox")]
    async fn list(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        /// Only messages with this status, e.g. `failed`.
        status: Query<Option<OutboxStatus>>,
        /// At most this many messages (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<Vec<OutboxEntry>>> {
        let tz = state.settings.timezone;
        let rows = queries::outbox_rows(&state.db, me.organisation_id, status.0, limit.0.unwrap_or(100)).await?;
        Ok(Json(rows.into_iter().map(|r| OutboxEntry::new(r, tz)).collect()))
    }

    /// Send a failed message again: it goes back to `pending`, its attempts start from zero
    /// and it is due at once. Only `failed` messages can be retried. Coordinators and admins.
    #[oai(path = "/outbox/:id/retry", method = "post", operation_id = "adminRetryOutbox")]
    async fn retry(&self, state: Data<&AppState>, Manager(me): Manager, id: Path<i64>) -> ApiResult<Json<OutboxEntry>> {
        let row = find_in_org::<entities::outbox::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(NOT_FOUND)?;
        if !requeue_failed(&state.db, me.organisation_id, row.id, state.clock.now()).await? {
            return Err(ApiError::conflict(
                "not_failed",
                "Seul un message en échec peut être renvoyé.",
            ));
        }
        let row = queries::outbox_row(&state.db, row.id)
            .await?
            .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
        Ok(Json(OutboxEntry::new(row, state.settings.timezone)))
    }
}
