//! Claiming outbox rows, holding them while a batch runs, and recording what became of them.
//!
//! A worker claims due rows by writing a lease (`locked_until`, `locked_by`) on them in one
//! statement; it then sends outside any transaction and records the results with updates
//! guarded by `locked_by = me`. Two workers on one database never hold the same row:
//!
//! * PostgreSQL: the inner `SELECT … FOR UPDATE SKIP LOCKED` skips rows another claim is
//!   taking right now, and re-checks its conditions on rows a concurrent claim has just
//!   committed (so a fresh lease is seen and the row left alone);
//! * SQLite: the same statement without `SKIP LOCKED` (SQLite has no row locks) inside a
//!   `BEGIN IMMEDIATE` transaction: claims are serialised by the database's write lock.
//!
//! Leases are short and renewed by the live worker ([`renew`]): a worker that dies gives its
//! rows back when its last lease runs out, not after the batch it had planned. The window for a
//! duplicate is a message the server accepted whose result was not yet committed when the
//! worker died; [`record`] commits a group of results in one transaction, and the worker bounds
//! how many messages can be in that state at once (see `worker::Policy::in_flight`).
//!
//! A booking's messages go out in the order they were decided: a row is not claimed while an
//! earlier row of the same booking that is not a reminder is still pending (due, in backoff or
//! held by a worker) on the same channel. So a confirmation always precedes its reminders and a cancellation its
//! confirmation; reminders, which wait for their own due time, hold nothing back. A row that
//! failed for good no longer holds the others back.
use chrono::{DateTime, Duration, Utc};
use entities::kinds::{Event, OutboxStatus};
use entities::outbox;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    Statement, Value,
    sea_query::{Expr, ExprTrait},
};

use crate::notifications::sms::budget::{self, Segments};
use crate::platform::db;

/// The rows a claim may take: pending, due, not leased, and not behind an earlier pending
/// notice of the same booking (see the module doc).
const CLAIMABLE: &str = "o.status = {status} AND o.not_before <= {now} \
     AND (o.locked_until IS NULL OR o.locked_until < {now}) \
     AND NOT EXISTS (SELECT 1 FROM outbox e \
                     WHERE e.booking_kind = o.booking_kind AND e.booking_id = o.booking_id \
                       AND e.channel = o.channel AND e.id < o.id AND e.status = {status} AND e.kind <> {reminder})";

fn claim_sql(backend: DbBackend) -> String {
    let (until, worker, status, now, reminder, limit, lock) = match backend {
        DbBackend::Postgres => ("$1", "$2", "$3", "$4", "$5", "$6", " FOR UPDATE OF o SKIP LOCKED"),
        _ => ("?1", "?2", "?3", "?4", "?5", "?6", ""),
    };
    let claimable = CLAIMABLE
        .replace("{status}", status)
        .replace("{now}", now)
        .replace("{reminder}", reminder);
    format!(
        "UPDATE outbox SET locked_until = {until}, locked_by = {worker} \
         WHERE id IN (SELECT o.id FROM outbox o WHERE {claimable} ORDER BY o.not_before, o.id LIMIT {limit}{lock}) \
         RETURNING *"
    )
}

/// Leases up to `max` due rows to `worker` until `now + lease`, the longest due first (the
/// order of the `(status, not_before)` index, so a claim reads no more rows than it takes);
/// answers them in id order.
pub async fn claim(
    db: &DatabaseConnection,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
    max: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    let until = now + lease;
    let limit = i64::try_from(Ord::max(max, 1)).unwrap_or(i64::MAX);
    let backend = db.get_database_backend();
    let stmt = Statement::from_sql_and_values(
        backend,
        claim_sql(backend),
        [
            Value::from(until),
            Value::from(worker),
            Value::from(OutboxStatus::Pending.to_value()),
            Value::from(now),
            Value::from(Event::Reminder.to_value()),
            Value::from(limit),
        ],
    );
    let mut rows = match backend {
        DbBackend::Postgres => outbox::Entity::find().from_raw_sql(stmt).all(db).await?,
        _ => {
            let txn = db::begin_write(db).await?;
            let rows = outbox::Entity::find().from_raw_sql(stmt).all(&txn).await?;
            txn.commit().await?;
            rows
        }
    };
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Placeholders `first..first + n` in the backend's style, comma-separated.
fn placeholders(backend: DbBackend, first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| match backend {
            DbBackend::Postgres => format!("${i}"),
            _ => format!("?{i}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ids per statement: well under SQLite's and PostgreSQL's limits on bound values.
const IDS_PER_STATEMENT: usize = 500;

/// Extends the lease on those of `ids` that `worker` still holds to `until`; answers the ids
/// it still holds (a row missing was taken over after this worker's lease ran out).
pub async fn renew<C: ConnectionTrait>(
    db: &C,
    worker: &str,
    ids: &[i64],
    until: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    let backend = db.get_database_backend();
    let mut held = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let sql = match backend {
            DbBackend::Postgres => format!(
                "UPDATE outbox SET locked_until = $1 WHERE locked_by = $2 AND id IN ({}) RETURNING id",
                placeholders(backend, 3, chunk.len())
            ),
            _ => format!(
                "UPDATE outbox SET locked_until = ?1 WHERE locked_by = ?2 AND id IN ({}) RETURNING id",
                placeholders(backend, 3, chunk.len())
            ),
        };
        let mut values = vec![Value::from(until), Value::from(worker)];
        values.extend(chunk.iter().map(|id| Value::from(*id)));
        for row in db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
        {
            held.push(row.try_get_by_index::<i64>(0)?);
        }
    }
    Ok(held)
}

/// Gives claimed rows back untouched (a batch stopped before reaching them).
pub async fn release_all<C: ConnectionTrait>(db: &C, worker: &str, ids: &[i64]) -> Result<u64, DbErr> {
    let mut released = 0;
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let res = outbox::Entity::update_many()
            .col_expr(outbox::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(outbox::Column::LockedBy, Expr::value(Option::<String>::None))
            .filter(outbox::Column::LockedBy.eq(worker))
            .filter(outbox::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
        released += res.rows_affected;
    }
    Ok(released)
}

/// What became of one claimed row, to be written by [`record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handed to the mail server at `at`; `payload` is the stored payload without its token;
    /// `segments`: an SMS's segments to count with the result (none when reserved before).
    Sent {
        id: i64,
        at: DateTime<Utc>,
        payload: Option<String>,
        segments: Option<Segments>,
    },
    /// A transient failure: due again at `retry_at`.
    Retry {
        id: i64,
        retry_at: DateTime<Utc>,
        error: String,
    },
    /// Given up; `attempted` when a send was tried (not when the message could not be built).
    Failed { id: i64, attempted: bool, error: String },
    /// Came due after its `expires_at`: never sent.
    Expired { id: i64, payload: Option<String> },
    /// An SMS that would have passed the organisation's monthly budget: never sent.
    OverBudget { id: i64, payload: Option<String> },
}

impl Outcome {
    pub fn id(&self) -> i64 {
        match self {
            Outcome::Sent { id, .. }
            | Outcome::Retry { id, .. }
            | Outcome::Failed { id, .. }
            | Outcome::Expired { id, .. }
            | Outcome::OverBudget { id, .. } => *id,
        }
    }
}

/// Rows of sent messages per statement (three bound values each).
const SENT_PER_STATEMENT: usize = 300;

/// Writes `outcomes` in one transaction (one commit, so one fsync on SQLite, however many
/// rows): every sent row of the group by a single `UPDATE … FROM (VALUES …)`, the rarer
/// failures one by one. Answers the ids that were not written because `worker` no longer held
/// them (its lease ran out and another worker took the row over).
pub async fn record(db: &DatabaseConnection, worker: &str, outcomes: &[Outcome]) -> Result<Vec<i64>, DbErr> {
    let txn = db::begin_write(db).await?;
    let mut lost = Vec::new();
    let sent: Vec<(i64, DateTime<Utc>, Option<String>)> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Sent { id, at, payload, .. } => Some((*id, *at, payload.clone())),
            _ => None,
        })
        .collect();
    for chunk in sent.chunks(SENT_PER_STATEMENT) {
        let written = mark_sent_many(&txn, worker, chunk).await?;
        lost.extend(chunk.iter().map(|(id, _, _)| *id).filter(|id| !written.contains(id)));
    }
    // The segments of SMS sent without a reservation, in the same commit as their rows (a
    // row another worker took over is counted by that worker's result).
    let segments: Vec<Segments> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Sent {
                id, segments: Some(s), ..
            } if !lost.contains(id) => Some(s.clone()),
            _ => None,
        })
        .collect();
    if !segments.is_empty() {
        budget::count_sent(&txn, &segments).await?;
    }
    for outcome in outcomes {
        let held = match outcome {
            Outcome::Sent { .. } => continue,
            Outcome::Retry { id, retry_at, error } => retry(&txn, *id, worker, *retry_at, error).await?,
            Outcome::Failed { id, attempted, error } => failed(&txn, *id, worker, *attempted, error).await?,
            Outcome::Expired { id, payload } => expired(&txn, *id, worker, payload.clone()).await?,
            Outcome::OverBudget { id, payload } => over_budget(&txn, *id, worker, payload.clone()).await?,
        };
        if !held {
            lost.push(outcome.id());
        }
    }
    txn.commit().await?;
    Ok(lost)
}

/// Marks `(id, sent_at, payload without token)` rows sent in one statement; answers the ids written.
async fn mark_sent_many<C: ConnectionTrait>(
    db: &C,
    worker: &str,
    rows: &[(i64, DateTime<Utc>, Option<String>)],
) -> Result<Vec<i64>, DbErr> {
    let backend = db.get_database_backend();
    let tuples = (0..rows.len())
        .map(|i| format!("({})", placeholders(backend, 3 + 3 * i, 3)))
        .collect::<Vec<_>>()
        .join(", ");
    let (status, me) = match backend {
        DbBackend::Postgres => ("$1", "$2"),
        _ => ("?1", "?2"),
    };
    // The payload column is `text` on both backends; a row whose payload could not be
    // re-serialised keeps the stored one.
    let sql = format!(
        "WITH v(vid, vsent_at, vpayload) AS (VALUES {tuples}) \
         UPDATE outbox SET status = CASE WHEN outbox.reported_at IS NULL THEN {status} ELSE outbox.status END, sent_at = v.vsent_at, attempts = outbox.attempts + 1, \
             last_error = NULL, payload = COALESCE(v.vpayload, outbox.payload), \
             locked_until = NULL, locked_by = NULL \
         FROM v WHERE outbox.id = v.vid AND outbox.locked_by = {me} \
         RETURNING outbox.id"
    );
    let mut values = Vec::with_capacity(2 + 3 * rows.len());
    values.push(Value::from(OutboxStatus::Sent.to_value()));
    values.push(Value::from(worker));
    for (id, at, payload) in rows {
        values.push(Value::from(*id));
        values.push(Value::from(*at));
        values.push(Value::from(payload.clone()));
    }
    let mut written = Vec::with_capacity(rows.len());
    for row in db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
    {
        written.push(row.try_get_by_index::<i64>(0)?);
    }
    Ok(written)
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

/// A transient failure: one more attempt, due again at `retry_at`.
pub async fn mark_retry<C: ConnectionTrait>(
    db: &C,
    row: &outbox::Model,
    worker: &str,
    retry_at: DateTime<Utc>,
    error: &str,
) -> Result<bool, DbErr> {
    retry(db, row.id, worker, retry_at, error).await
}

async fn retry<C: ConnectionTrait>(
    db: &C,
    id: i64,
    worker: &str,
    retry_at: DateTime<Utc>,
    error: &str,
) -> Result<bool, DbErr> {
    let sets = vec![
        (outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1)),
        (outbox::Column::NotBefore, Expr::value(retry_at)),
        (outbox::Column::LastError, Expr::value(Some(error.to_string()))),
    ];
    guarded_update(db, id, worker, sets).await
}

async fn failed<C: ConnectionTrait>(
    db: &C,
    id: i64,
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
    guarded_update(db, id, worker, sets).await
}

async fn expired<C: ConnectionTrait>(
    db: &C,
    id: i64,
    worker: &str,
    payload_without_token: Option<String>,
) -> Result<bool, DbErr> {
    let mut sets = vec![(outbox::Column::Status, Expr::value(OutboxStatus::Expired))];
    if let Some(p) = payload_without_token {
        sets.push((outbox::Column::Payload, Expr::value(p)));
    }
    guarded_update(db, id, worker, sets).await
}

async fn over_budget<C: ConnectionTrait>(
    db: &C,
    id: i64,
    worker: &str,
    payload_without_token: Option<String>,
) -> Result<bool, DbErr> {
    let mut sets = vec![
        (outbox::Column::Status, Expr::value(OutboxStatus::OverBudget)),
        (
            outbox::Column::LastError,
            Expr::value(Some(crate::notifications::sms::budget::STOPPED.to_string())),
        ),
    ];
    if let Some(p) = payload_without_token {
        sets.push((outbox::Column::Payload, Expr::value(p)));
    }
    guarded_update(db, id, worker, sets).await
}
