//! One lock per place between the two things that occupy its desks: appointments, which
//! claim 15-minute cells of one desk, and workshop sessions, which take whole desks for
//! their time. Neither sees the other's row before it commits, so each checks the other
//! under this lock.
//!
//! On PostgreSQL it is a transaction-scoped advisory lock on the place: a booking holds it
//! shared, so bookings never wait on one another (their cells' unique index keeps them
//! apart); planning a session holds it exclusively, so it waits for the bookings in flight
//! and the next ones wait for it, and whichever comes second reads what the first committed.
//! On SQLite every write transaction is `BEGIN IMMEDIATE` ([`crate::platform::db::begin_write`]),
//! which already runs them one after the other.
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// The first key of every lock of this module: PostgreSQL's two-integer advisory keys do not
/// meet the single-integer ones the fair-use check takes per person.
const PLACE_DESKS: i32 = 0x6372_6e01;

/// Held by a booking (or a move) before it reads the place's busy desks.
pub(crate) async fn for_booking<C: ConnectionTrait>(db: &C, place_id: i32) -> Result<(), DbErr> {
    lock(db, "pg_advisory_xact_lock_shared", place_id).await
}

/// Held by the planning of a session (new, edited, or a series) before it reads the
/// appointments booked at the place.
pub(crate) async fn for_planning<C: ConnectionTrait>(db: &C, place_id: i32) -> Result<(), DbErr> {
    lock(db, "pg_advisory_xact_lock", place_id).await
}

async fn lock<C: ConnectionTrait>(db: &C, function: &str, place_id: i32) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("SELECT {function}($1, $2)"),
        [PLACE_DESKS.into(), place_id.into()],
    ))
    .await?;
    Ok(())
}
