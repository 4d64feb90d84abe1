//! Reading the outbox and the calendar feeds as staff see them.
use entities::{feed_token, kinds::OutboxStatus, outbox};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::dto::{Feed, FeedKind};
use crate::{
    auth::{Role, StaffIdentity, queries as staff_queries},
    platform::{state::AppState, token},
};

/// The organisation's outbox rows, newest first, at most `limit`; only those in `status`
/// when given.
pub(crate) async fn outbox_rows<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    status: Option<OutboxStatus>,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    let mut q = outbox::Entity::find()
        .filter(outbox::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(outbox::Column::Id)
        .limit(limit);
    if let Some(s) = status {
        q = q.filter(outbox::Column::Status.eq(s));
    }
    q.all(db).await
}

/// The outbox row `id`, whatever its organisation: for a row already found in one.
pub(crate) async fn outbox_row<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<outbox::Model>, DbErr> {
    outbox::Entity::find_by_id(id).one(db).await
}

/// The live (not revoked) feed whose secret is `raw`.
pub(crate) async fn live_feed<C: ConnectionTrait>(db: &C, raw: &str) -> Result<Option<feed_token::Model>, DbErr> {
    feed_token::Entity::find()
        .filter(feed_token::Column::TokenHash.eq(token::hash(raw)))
        .filter(feed_token::Column::RevokedAt.is_null())
        .one(db)
        .await
}

/// The feeds `me` may see and revoke, oldest first: all of the organisation's live feeds for
/// coordinators and admins, one's own agenda feeds for facilitators.
pub(crate) async fn visible_feeds(state: &AppState, me: &StaffIdentity) -> Result<Vec<Feed>, DbErr> {
    let mut q = feed_token::Entity::find()
        .filter(feed_token::Column::OrganisationId.eq(me.organisation_id))
        .filter(feed_token::Column::RevokedAt.is_null())
        .order_by_asc(feed_token::Column::Id);
    if me.require_manager().is_err() {
        q = q
            .filter(feed_token::Column::Kind.eq(FeedKind::Staff))
            .filter(feed_token::Column::StaffMemberId.eq(me.id));
    }
    let rows = q.all(&state.db).await?;
    let names = staff_queries::names(&state.db, rows.iter().filter_map(|f| f.created_by_id)).await?;
    let tz = state.settings.timezone;
    Ok(rows
        .iter()
        .map(|f| Feed::new(f, f.created_by_id.and_then(|id| names.get(&id).cloned()), tz))
        .collect())
}

/// A feed lives as long as its creator's account: active, in the feed's organisation, and for
/// a place feed (which only coordinators and admins may make) still in such a role. Feeds
/// made before creators were recorded keep working until revoked.
pub(crate) async fn creator_still_allowed<C: ConnectionTrait>(db: &C, feed: &feed_token::Model) -> Result<bool, DbErr> {
    let Some(creator) = feed.created_by_id else {
        return Ok(true);
    };
    let Some(m) = staff_queries::member(db, creator).await? else {
        return Ok(false);
    };
    let manager = matches!(m.role, Role::Admin | Role::Coordinator);
    Ok(m.active && m.organisation_id == feed.organisation_id && (feed.kind == FeedKind::Staff || manager))
}
