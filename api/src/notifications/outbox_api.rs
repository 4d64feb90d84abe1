//! Staff: what was sent to residents, what waits, what failed, and sending a failed one again.
use entities::kinds::OutboxStatus;
use entities::outbox;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, param::Query, payload::Json};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr};

use super::dto::OutboxEntry;
use crate::platform::org_scope::find_in_org;
use crate::{
    auth::Manager,
    http::error::{ApiError, ApiResult, OrNotFound},
    http::tags::ApiTags,
    platform::state::AppState,
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
        let mut q = outbox::Entity::find()
            .filter(outbox::Column::OrganisationId.eq(me.organisation_id))
            .order_by_desc(outbox::Column::Id)
            .limit(limit.0.unwrap_or(100));
        if let Some(s) = status.0 {
            q = q.filter(outbox::Column::Status.eq(s));
        }
        let tz = state.settings.timezone;
        let rows = q.all(&state.db).await?;
        Ok(Json(rows.into_iter().map(|r| OutboxEntry::new(r, tz)).collect()))
    }

    /// Send a failed message again: it goes back to `pending`, its attempts start from zero
    /// and it is due at once. Only `failed` messages can be retried. Coordinators and admins.
    #[oai(path = "/outbox/:id/retry", method = "post", operation_id = "adminRetryOutbox")]
    async fn retry(&self, state: Data<&AppState>, Manager(me): Manager, id: Path<i64>) -> ApiResult<Json<OutboxEntry>> {
        let row = find_in_org::<outbox::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(NOT_FOUND)?;
        if !requeue_failed(&state.db, me.organisation_id, row.id, state.clock.now()).await? {
            return Err(ApiError::conflict(
                "not_failed",
                "Seul un message en échec peut être renvoyé.",
            ));
        }
        let row = outbox::Entity::find_by_id(row.id)
            .one(&state.db)
            .await?
            .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
        Ok(Json(OutboxEntry::new(row, state.settings.timezone)))
    }
}

/// Puts a failed message of `organisation_id` back in the queue, due `now`, with a fresh count
/// of attempts. False when there is no such failed message. Shared by the API and the staff page.
pub(crate) async fn requeue_failed<C: sea_orm::ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let done = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::Pending))
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        .col_expr(outbox::Column::NotBefore, Expr::value(now))
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(outbox::Column::LockedBy, Expr::value(Option::<String>::None))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::OrganisationId.eq(organisation_id))
        .filter(outbox::Column::Status.eq(OutboxStatus::Failed))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}
