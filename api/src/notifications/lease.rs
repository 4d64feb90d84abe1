//! Claiming outbox rows and recording what became of them.
//!
//! A worker claims due rows by writing a lease (`locked_until`, `locked_by`) on them in one
//! statement; it then sends outside any transaction and records the result with an update
//! guarded by `locked_by = me`. Two workers on one database never hold the same row:
//!
//! * PostgreSQL: the inner `SELECT … FOR UPDATE SKIP LOCKED` skips rows another claim is
//!   taking right now, and re-checks its conditions on rows a concurrent claim has just
//!   committed (so a fresh lease is seen and the row left alone);
//! * SQLite: the same statement without `SKIP LOCKED` (SQLite has no row locks) inside a
//!   `BEGIN IMMEDIATE` transaction: claims are serialised by the database's write lock.
//!
//! A lease that runs out (a worker that died mid-batch) makes its rows claimable again. The
//! one window for a duplicate is a crash between a successful send and its `mark_sent`.
use chrono::{DateTime, Duration, Utc};
use entities::kinds::OutboxStatus;
use entities::outbox;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, Statement, Value,
    sea_query::{Expr, ExprTrait},
};

use crate::platform::db;

const CLAIM_POSTGRES: &str = "UPDATE outbox SET locked_until = $1, locked_by = $2 \
     WHERE id IN (SELECT id FROM outbox \
                  WHERE status = $3 AND not_before <= $4 AND (locked_until IS NULL OR locked_until < $4) \
                  ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED) \
     RETURNING *";

const CLAIM_SQLITE: &str = "UPDATE outbox SET locked_until = ?, locked_by = ? \
     WHERE id IN (SELECT id FROM outbox \
                  WHERE status = ? AND not_before <= ? AND (locked_until IS NULL OR locked_until < ?) \
                  ORDER BY id LIMIT ?) \
     RETURNING *";

/// Leases up to `max` due rows to `worker` until `now + lease`; answers them in id order.
pub async fn claim(
    db: &DatabaseConnection,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
    max: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    let until = now + lease;
    let limit = i64::try_from(Ord::max(max, 1)).unwrap_or(i64::MAX);
    let mut rows = match db.get_database_backend() {
        DbBackend::Postgres => {
            let stmt = Statement::from_sql_and_values(
                DbBackend::Postgres,
                CLAIM_POSTGRES,
                [
                    Value::from(until),
                    Value::from(worker),
                    Value::from(OutboxStatus::Pending),
                    Value::from(now),
                    Value::from(limit),
                ],
            );
            outbox::Entity::find().from_raw_sql(stmt).all(db).await?
        }
        _ => {
            let stmt = Statement::from_sql_and_values(
                DbBackend::Sqlite,
                CLAIM_SQLITE,
                [
                    Value::from(until),
                    Value::from(worker),
                    Value::from(OutboxStatus::Pending),
                    Value::from(now),
                    Value::from(now),
                    Value::from(limit),
                ],
            );
            let txn = db::begin_write(db).await?;
            let rows = outbox::Entity::find().from_raw_sql(stmt).all(&txn).await?;
            txn.commit().await?;
            rows
        }
    };
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Only while `worker` still holds the row.
fn mine(id: i64, worker: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(outbox::Column::Id.eq(id))
        .add(outbox::Column::LockedBy.eq(worker))
}

/// Answers false when the lease had passed to someone else (the row is left as they set it).
async fn guarded_update<C: ConnectionTrait>(
    db: &C,
    id: i64,
    worker: &str,
    sets: Vec<(outbox::Column, sea_orm::sea_query::SimpleExpr)>,
) -> Result<bool, DbErr> {
    let mut update = outbox::Entity::update_many();
    for (col, expr) in sets {
        update = update.col_expr(col, expr);
    }
    let res = update
        .col_expr(outbox::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(outbox::Column::LockedBy, Expr::value(Option::<String>::None))
        .filter(mine(id, worker))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Delivered: `sent`, one more attempt, the payload without its manage token.
pub(crate) async fn mark_sent<C: ConnectionTrait>(
    db: &C,
    row: &outbox::Model,
    worker: &str,
    now: DateTime<Utc>,
    payload_without_token: Option<String>,
) -> Result<bool, DbErr> {
    let mut sets = vec![
        (outbox::Column::Status, Expr::value(OutboxStatus::Sent)),
        (outbox::Column::SentAt, Expr::value(Some(now))),
        (outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1)),
        (outbox::Column::LastError, Expr::value(Option::<String>::None)),
    ];
    if let Some(p) = payload_without_token {
        sets.push((outbox::Column::Payload, Expr::value(p)));
    }
    guarded_update(db, row.id, worker, sets).await
}

/// A transient failure: one more attempt, due again at `retry_at`.
pub async fn mark_retry<C: ConnectionTrait>(
    db: &C,
    row: &outbox::Model,
    worker: &str,
    retry_at: DateTime<Utc>,
    error: &str,
) -> Result<bool, DbErr> {
    let sets = vec![
        (outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1)),
        (outbox::Column::NotBefore, Expr::value(retry_at)),
        (outbox::Column::LastError, Expr::value(Some(error.to_string()))),
    ];
    guarded_update(db, row.id, worker, sets).await
}

/// Given up: `failed` with the reason; staff may retry it.
pub(crate) async fn mark_failed<C: ConnectionTrait>(
    db: &C,
    row: &outbox::Model,
    worker: &str,
    attempted: bool,
    error: &str,
) -> Result<bool, DbErr> {
    let mut sets = vec![
        (outbox::Column::Status, Expr::value(OutboxStatus::Failed)),
        (outbox::Column::LastError, Expr::value(Some(error.to_string()))),
    ];
    if attempted {
        sets.push((outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1)));
    }
    guarded_update(db, row.id, worker, sets).await
}

/// Too late to be of use (a reminder for a booking that has started): never sent.
pub(crate) async fn mark_expired<C: ConnectionTrait>(
    db: &C,
    row: &outbox::Model,
    worker: &str,
    payload_without_token: Option<String>,
) -> Result<bool, DbErr> {
    let mut sets = vec![(outbox::Column::Status, Expr::value(OutboxStatus::Expired))];
    if let Some(p) = payload_without_token {
        sets.push((outbox::Column::Payload, Expr::value(p)));
    }
    guarded_update(db, row.id, worker, sets).await
}

/// Gives a claimed row back untouched (the batch ran out of lease time before reaching it).
pub(crate) async fn release<C: ConnectionTrait>(db: &C, row: &outbox::Model, worker: &str) -> Result<bool, DbErr> {
    guarded_update(db, row.id, worker, vec![]).await
}
