//! Retention: personal data (name, e-mail, phone, notes, accessibility needs, free text) is
//! erased a set number of months after the booking's date (`CRENEAU_RETENTION_MONTHS`,
//! default 24), and earlier on request (the resident from their manage page once the booking
//! is over or cancelled, staff from the person search). The rows stay, anonymised: statuses,
//! attendance, dates, places and reasons are kept, so the statistics stay true. The outbox
//! rows of those bookings lose their addresses and the personal parts of their payloads.
//!
//! The worker runs [`run_if_due`] beside the outbox; the `job_run` row makes it run at most
//! once a day whatever the number of instances.
use chrono::{DateTime, Duration, Months, Utc};
use entities::kinds::{BookingKind, OutboxStatus, RegistrationStatus, SessionStatus};
use entities::{appointment, job_run, outbox, registration, session};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QuerySelect, TransactionTrait,
    sea_query::{Expr, Query},
};

use crate::platform::state::AppState;

pub(crate) mod pages;
pub(crate) mod staff;

/// What an erased booking is called from then on.
pub const ERASED_NAME: &str = "Personne effacée";

/// The job's row in `job_run`.
const JOB: &str = "retention";

/// Bookings erased per transaction.
const BATCH: u64 = 200;

/// What an erased booking's phone becomes: empty, not NULL, because the tables' CHECK
/// "an e-mail or a phone" (from their first migration) cannot be dropped on SQLite without
/// rebuilding them. The contact keys, which every lookup uses, are NULL.
pub const CLEARED_PHONE: &str = "";

/// The instant before which bookings are erased: `months` before `now`.
pub fn cutoff(now: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(months))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Whether a resident may erase their booking now: once it is over or cancelled (before, they
/// cancel first: erasing would leave a seat taken by nobody).
pub fn resident_may_erase(cancelled: bool, ends_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    cancelled || ends_at <= now
}

/// What a run of the job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    pub registrations: usize,
    pub appointments: usize,
    /// Survey invitations past their 14 days, purged.
    pub survey_invitations: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// This instance took today's run and erased these.
    Ran(Erased),
    /// Another run (here or on another instance) happened less than a day ago.
    NotDue,
}

/// Takes the day's run if nobody took it in the last 24 hours, then erases what is older
/// than the retention period. The conditional update is the lease: of two instances, one
/// sees `rows_affected == 1`.
pub async fn run_if_due(state: &AppState) -> Result<RunOutcome, DbErr> {
    let now = state.clock.now();
    let taken = job_run::Entity::update_many()
        .col_expr(job_run::Column::LastRunAt, Expr::value(now))
        .filter(job_run::Column::Name.eq(JOB))
        .filter(
            sea_orm::Condition::any()
                .add(job_run::Column::LastRunAt.is_null())
                .add(job_run::Column::LastRunAt.lte(now - Duration::hours(24))),
        )
        .exec(&state.db)
        .await?;
    if taken.rows_affected == 0 {
        return Ok(RunOutcome::NotDue);
    }
    let mut erased = erase_older_than(state, cutoff(now, state.settings.retention_months)).await?;
    erased.survey_invitations = crate::survey::purge::expired(&state.db, now).await?;
    if erased != Erased::default() {
        tracing::info!(
            registrations = erased.registrations,
            appointments = erased.appointments,
            survey_invitations = erased.survey_invitations,
            "retention: personal data erased"
        );
    }
    Ok(RunOutcome::Ran(erased))
}

/// The worker's side of the daily job: asks the database at most every ten minutes (the
/// database decides whether the day's run is still to take).
#[derive(Debug, Default)]
pub struct DailyCheck {
    next: Option<std::time::Instant>,
}

impl DailyCheck {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(600);

    pub async fn run_if_due(&mut self, state: &AppState) {
        let now = std::time::Instant::now();
        if self.next.is_some_and(|next| now < next) {
            return;
        }
        self.next = Some(now + Self::EVERY);
        if let Err(e) = run_if_due(state).await {
            tracing::error!(error = %crate::platform::logging::redact(&e.to_string()), "retention step failed; tried again at the next check");
        }
    }
}

/// Erases every booking dated before `before` not erased yet.
pub async fn erase_older_than(state: &AppState, before: DateTime<Utc>) -> Result<Erased, DbErr> {
    let db = &state.db;
    let registrations = erase_in_batches(state, BookingKind::Registration, || async move {
        let old_sessions = Query::select()
            .column(session::Column::Id)
            .from(session::Entity)
            .and_where(Expr::col(session::Column::StartsAt).lt(before))
            .to_owned();
        registration::Entity::find()
            .select_only()
            .column(registration::Column::Id)
            .filter(registration::Column::ErasedAt.is_null())
            .filter(registration::Column::SessionId.in_subquery(old_sessions))
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await
    })
    .await?;
    let appointments = erase_in_batches(state, BookingKind::Appointment, || async move {
        appointment::Entity::find()
            .select_only()
            .column(appointment::Column::Id)
            .filter(appointment::Column::ErasedAt.is_null())
            .filter(appointment::Column::StartsAt.lt(before))
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await
    })
    .await?;
    erase_beside_bookings(state, before).await?;
    Ok(Erased {
        registrations,
        appointments,
        survey_invitations: 0,
    })
}

/// What else holds personal data past the same date: the free text of activity records (the
/// codes and counts stay for the statistics), the texts residents sent back (number and
/// words), and the survey's per-person rows (a keyed hash of a contact and when it was last
/// asked). A number's "STOP" and a refusal of surveys are kept: they must be honoured for as
/// long as the person is contacted.
async fn erase_beside_bookings(state: &AppState, before: DateTime<Utc>) -> Result<(), DbErr> {
    use entities::{activity_record, sms_reply, survey_contact};
    let db = &state.db;
    let tz = state.settings.timezone;
    let day = before.with_timezone(&tz).date_naive();
    activity_record::Entity::update_many()
        .col_expr(activity_record::Column::Notes, Expr::value(Option::<String>::None))
        .col_expr(activity_record::Column::Precisions, Expr::value(Option::<String>::None))
        .filter(activity_record::Column::Date.lt(day))
        .filter(
            Condition::any()
                .add(activity_record::Column::Notes.is_not_null())
                .add(activity_record::Column::Precisions.is_not_null()),
        )
        .exec(db)
        .await?;
    sms_reply::Entity::delete_many()
        .filter(sms_reply::Column::ReceivedAt.lt(before))
        .exec(db)
        .await?;
    survey_contact::Entity::delete_many()
        .filter(survey_contact::Column::LastInvitedAt.lt(before))
        .filter(survey_contact::Column::RefusedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Erases the bookings `next` names, a batch per transaction, until it names none.
async fn erase_in_batches<F, Fut>(state: &AppState, kind: BookingKind, next: F) -> Result<usize, DbErr>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<i32>, DbErr>>,
{
    let mut done = 0;
    loop {
        let ids = next().await?;
        if ids.is_empty() {
            return Ok(done);
        }
        let txn = state.db.begin().await?;
        erase(&txn, kind, &ids, state.clock.now()).await?;
        txn.commit().await?;
        done += ids.len();
    }
}

/// The manage token's hash of an erased booking: unique (the column is) and never the hash
/// of any token, so the manage link stops working.
fn dead_token_hash() -> sea_orm::sea_query::SimpleExpr {
    Expr::cust("'erased:' || CAST(id AS TEXT)")
}

/// Whether the registration may be erased by its holder now.
pub(crate) async fn registration_may_erase<C: ConnectionTrait>(
    db: &C,
    r: &registration::Model,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let s = session::Entity::find_by_id(r.session_id).one(db).await?;
    Ok(s.is_some_and(|s| {
        let cancelled = r.status == RegistrationStatus::Cancelled || s.status == SessionStatus::Cancelled;
        resident_may_erase(cancelled, s.ends_at, now)
    }))
}

/// Erases one booking at its holder's request, in a transaction of its own.
pub(crate) async fn erase_one(state: &AppState, kind: BookingKind, id: i32) -> Result<(), DbErr> {
    let txn = state.db.begin().await?;
    erase(&txn, kind, &[id], state.clock.now()).await?;
    txn.commit().await
}

/// Erases the personal data of these bookings (of one kind) and of their outbox rows, in the
/// caller's transaction. Statuses, attendance, dates and counts are left as they are.
pub async fn erase<C: ConnectionTrait>(
    db: &C,
    kind: BookingKind,
    ids: &[i32],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    match kind {
        BookingKind::Registration => {
            registration::Entity::update_many()
                .col_expr(registration::Column::Name, Expr::value(ERASED_NAME))
                .col_expr(registration::Column::NameKey, Expr::value(""))
                .col_expr(registration::Column::Email, Expr::value(Option::<String>::None))
                .col_expr(registration::Column::Phone, Expr::value(CLEARED_PHONE))
                .col_expr(registration::Column::EmailKey, Expr::value(Option::<String>::None))
                .col_expr(registration::Column::PhoneKey, Expr::value(Option::<String>::None))
                .col_expr(registration::Column::ManageKey, Expr::value(Option::<String>::None))
                .col_expr(
                    registration::Column::FoundTokenHash,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(registration::Column::ManageTokenHash, dead_token_hash())
                .col_expr(registration::Column::SmsConsent, Expr::value(false))
                .col_expr(registration::Column::ErasedAt, Expr::value(now))
                .col_expr(registration::Column::UpdatedAt, Expr::value(now))
                .filter(registration::Column::Id.is_in(ids.iter().copied()))
                .exec(db)
                .await?;
        }
        BookingKind::Appointment => {
            appointment::Entity::update_many()
                .col_expr(appointment::Column::Name, Expr::value(ERASED_NAME))
                .col_expr(appointment::Column::Email, Expr::value(Option::<String>::None))
                .col_expr(appointment::Column::Phone, Expr::value(CLEARED_PHONE))
                .col_expr(appointment::Column::EmailKey, Expr::value(Option::<String>::None))
                .col_expr(appointment::Column::PhoneKey, Expr::value(Option::<String>::None))
                .col_expr(appointment::Column::Note, Expr::value(Option::<String>::None))
                .col_expr(
                    appointment::Column::AccessibilityNeeds,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(appointment::Column::CancelReason, Expr::value(Option::<String>::None))
                .col_expr(appointment::Column::ManageKey, Expr::value(Option::<String>::None))
                .col_expr(appointment::Column::FoundTokenHash, Expr::value(Option::<String>::None))
                .col_expr(appointment::Column::ManageTokenHash, dead_token_hash())
                .col_expr(appointment::Column::SmsConsent, Expr::value(false))
                .col_expr(appointment::Column::ErasedAt, Expr::value(now))
                .col_expr(appointment::Column::UpdatedAt, Expr::value(now))
                .filter(appointment::Column::Id.is_in(ids.iter().copied()))
                .exec(db)
                .await?;
        }
    }
    scrub_outbox(db, kind, ids).await
}

/// Payload fields that point at the person or carry free text about them.
const PERSONAL_PAYLOAD_FIELDS: &[&str] = &["manage_url", "manage_key", "reason", "booking_code", "survey_stop_url"];

/// The outbox rows of these bookings keep their kind, status, channel and dates; they lose
/// the recipient's name and addresses, the error text (it may quote an address) and the
/// payload's personal fields. One still waiting is cancelled: there is nobody to send it to.
async fn scrub_outbox<C: ConnectionTrait>(db: &C, kind: BookingKind, ids: &[i32]) -> Result<(), DbErr> {
    scrub_outbox_rows(
        db,
        Condition::all()
            .add(outbox::Column::BookingKind.eq(kind))
            .add(outbox::Column::BookingId.is_in(ids.iter().copied())),
    )
    .await
}

/// Scrubs the outbox rows `of_these` selects, as [`scrub_outbox`] says.
pub(crate) async fn scrub_outbox_rows<C: ConnectionTrait>(db: &C, of_these: Condition) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::Cancelled))
        .filter(of_these.clone())
        .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
        .exec(db)
        .await?;
    let rows: Vec<(i64, String)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .column(outbox::Column::Payload)
        .filter(of_these)
        .into_tuple()
        .all(db)
        .await?;
    for (id, payload) in rows {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Payload, Expr::value(scrub_payload(&payload)))
            .col_expr(outbox::Column::RecipientName, Expr::value(ERASED_NAME))
            .col_expr(outbox::Column::RecipientEmail, Expr::value(Option::<String>::None))
            .col_expr(outbox::Column::RecipientPhone, Expr::value(Option::<String>::None))
            .col_expr(outbox::Column::LastError, Expr::value(Option::<String>::None))
            .filter(outbox::Column::Id.eq(id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The payload without its personal fields (what is left still reads as a payload: the
/// console lists old messages by their subject). Unreadable JSON becomes `{}`.
pub fn scrub_payload(payload: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(serde_json::Value::Object(mut map)) => {
            for field in PERSONAL_PAYLOAD_FIELDS {
                if map.contains_key(*field) {
                    map.insert((*field).to_string(), serde_json::Value::Null);
                }
            }
            serde_json::Value::Object(map).to_string()
        }
        _ => "{}".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_cutoff_is_whole_calendar_months_back() {
        let now = Utc.with_ymd_and_hms(2028, 12, 1, 3, 0, 0).unwrap();
        assert_eq!(cutoff(now, 24), Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap());
        let end_of_march = Utc.with_ymd_and_hms(2027, 3, 31, 0, 0, 0).unwrap();
        assert_eq!(
            cutoff(end_of_march, 1),
            Utc.with_ymd_and_hms(2027, 2, 28, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn a_resident_erases_only_a_booking_that_is_over_or_cancelled() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        assert!(!resident_may_erase(false, now + Duration::hours(1), now));
        assert!(resident_may_erase(true, now + Duration::hours(1), now));
        assert!(resident_may_erase(false, now, now));
    }

    #[test]
    fn a_scrubbed_payload_keeps_what_the_statistics_need_and_loses_the_person() {
        let p = r#"{"event":"reminder","title":"Atelier","manage_key":"k","manage_url":"http://x/t","reason":"malade","booking_code":"K7P4QX"}"#;
        let v: serde_json::Value = serde_json::from_str(&scrub_payload(p)).unwrap();
        assert_eq!(v["event"], "reminder");
        assert_eq!(v["title"], "Atelier");
        for f in PERSONAL_PAYLOAD_FIELDS {
            assert_eq!(v[*f], serde_json::Value::Null, "{f}");
        }
        assert_eq!(scrub_payload("pas du json"), "{}");
    }
}
