//! Changing the outbox and the calendar feeds for staff: a failed message sent again, a feed
//! made, revoked, or marked as read.
use chrono::{DateTime, Utc};
use entities::{feed_token, kinds::OutboxStatus, outbox};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, sea_query::Expr};

use super::dto::FeedKind;
use crate::{
    auth::StaffIdentity,
    platform::{org_scope::find_in_org, state::AppState, token},
};

/// Puts a failed message of `organisation_id` back in the queue, due `now`, with a fresh count
/// of attempts. False when there is no such failed message. Shared by the API and the staff page.
pub(crate) async fn requeue_failed<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::Pending))
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        .col_expr(outbox::Column::NotBefore, Expr::value(now))
        .col_expr(outbox::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(outbox::Column::LockedBy, Expr::value(Option::<String>::None))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::OrganisationId.eq(organisation_id))
        .filter(outbox::Column::Status.eq(OutboxStatus::Failed))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// A new feed of `me`'s organisation, and its secret (returned this once, stored hashed).
pub(crate) async fn create_feed(
    state: &AppState,
    me: &StaffIdentity,
    kind: FeedKind,
    place_id: Option<i32>,
    staff_member_id: Option<i32>,
) -> Result<(feed_token::Model, String), DbErr> {
    let raw = token::generate();
    let row = feed_token::ActiveModel {
        organisation_id: Set(me.organisation_id),
        kind: Set(kind),
        place_id: Set(place_id),
        staff_member_id: Set(staff_member_id),
        token_hash: Set(token::hash(&raw)),
        created_at: Set(state.clock.now()),
        revoked_at: Set(None),
        created_by_id: Set(Some(me.id)),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    Ok((row, raw))
}

/// What revoking a feed came to.
pub(crate) enum RevokeOutcome {
    Revoked,
    NotFound,
    Forbidden,
}

/// Revokes a feed of `me`'s organisation (the API's `adminRevokeFeed` and the console's
/// button). Revoking twice is fine.
pub(crate) async fn revoke_feed(state: &AppState, me: &StaffIdentity, id: i32) -> Result<RevokeOutcome, DbErr> {
    let Some(found) = find_in_org::<feed_token::Entity, _>(&state.db, me.organisation_id, id).await? else {
        return Ok(RevokeOutcome::NotFound);
    };
    if !may_revoke(me, &found) {
        return Ok(RevokeOutcome::Forbidden);
    }
    if found.revoked_at.is_none() {
        let mut a: feed_token::ActiveModel = found.into();
        a.revoked_at = Set(Some(state.clock.now()));
        a.update(&state.db).await?;
    }
    Ok(RevokeOutcome::Revoked)
}

fn may_revoke(me: &StaffIdentity, feed: &feed_token::Model) -> bool {
    me.require_manager().is_ok() || (feed.kind == FeedKind::Staff && feed.staff_member_id == Some(me.id))
}

/// Records that the feed was read, at most once a minute (calendar applications poll).
pub(crate) async fn mark_used<C: ConnectionTrait>(
    db: &C,
    feed: &feed_token::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if feed
        .last_used_at
        .is_some_and(|t| now - t < chrono::Duration::minutes(1))
    {
        return Ok(());
    }
    feed_token::Entity::update_many()
        .col_expr(feed_token::Column::LastUsedAt, Expr::value(now))
        .filter(feed_token::Column::Id.eq(feed.id))
        .exec(db)
        .await?;
    Ok(())
}
