//! Reading and closing the calls list. A call is due for an e-mail row marked
//! `call_if_unreached` that did not go (no address, or failed) when no SMS of the same message
//! is on its way or delivered (an SMS stopped by "STOP" or by the monthly budget is not), until
//! someone records the call.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::kinds::{BookingKind, Channel, OutboxStatus};
use entities::{appointment, call_made, outbox, registration};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TryInsertResult,
    sea_query::{Alias, Expr, ExprTrait, Query},
};

use super::sentence;
use crate::notifications::payload::Payload;

/// One person to phone.
#[derive(Debug, Clone)]
pub struct Call {
    /// The e-mail row of the message: what "Prévenu·e" closes.
    pub outbox_id: i64,
    pub name: String,
    /// The booking's phone (E.164), when it has one.
    pub phone: Option<String>,
    pub sentence: String,
    /// Why no message reached them, in words.
    pub why: &'static str,
    pub since: DateTime<Utc>,
}

fn due_in(organisation_id: i32) -> Condition {
    let sms = Alias::new("sms");
    let reached = Query::select()
        .expr(Expr::val(1))
        .from_as(outbox::Entity, sms.clone())
        .and_where(Expr::col((sms.clone(), outbox::Column::Channel)).eq(Channel::Sms))
        .and_where(
            Expr::col((sms.clone(), outbox::Column::BookingKind)).equals((outbox::Entity, outbox::Column::BookingKind)),
        )
        .and_where(
            Expr::col((sms.clone(), outbox::Column::BookingId)).equals((outbox::Entity, outbox::Column::BookingId)),
        )
        .and_where(Expr::col((sms.clone(), outbox::Column::Kind)).equals((outbox::Entity, outbox::Column::Kind)))
        .and_where(
            Expr::col((sms.clone(), outbox::Column::CreatedAt)).equals((outbox::Entity, outbox::Column::CreatedAt)),
        )
        .and_where(Expr::col((sms, outbox::Column::Status)).is_in([
            OutboxStatus::Pending,
            OutboxStatus::Sent,
            OutboxStatus::Delivered,
        ]))
        .to_owned();
    let called = Query::select()
        .expr(Expr::val(1))
        .from(call_made::Entity)
        .and_where(
            Expr::col((call_made::Entity, call_made::Column::OutboxId)).equals((outbox::Entity, outbox::Column::Id)),
        )
        .to_owned();
    Condition::all()
        .add(outbox::Column::OrganisationId.eq(organisation_id))
        .add(outbox::Column::Channel.eq(Channel::Email))
        .add(outbox::Column::CallIfUnreached.eq(true))
        .add(outbox::Column::Status.is_in([OutboxStatus::NoEmail, OutboxStatus::Failed]))
        .add(Expr::exists(reached).not())
        .add(Expr::exists(called).not())
}

/// How many calls the organisation's staff still have to make (the count in the menu).
pub async fn count_due<C: ConnectionTrait>(db: &C, organisation_id: i32) -> Result<u64, DbErr> {
    outbox::Entity::find().filter(due_in(organisation_id)).count(db).await
}

/// The calls to make, oldest first (the first change is the most pressing).
pub async fn due<C: ConnectionTrait>(db: &C, organisation_id: i32, limit: u64) -> Result<Vec<Call>, DbErr> {
    let rows = outbox::Entity::find()
        .filter(due_in(organisation_id))
        .order_by_asc(outbox::Column::CreatedAt)
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let ids = |kind: BookingKind| -> Vec<i32> {
        rows.iter()
            .filter(|r| r.booking_kind == Some(kind))
            .filter_map(|r| r.booking_id)
            .collect()
    };
    let mut phones: HashMap<(BookingKind, i32), Option<String>> = HashMap::new();
    for (id, phone) in registration::Entity::find()
        .select_only()
        .column(registration::Column::Id)
        .column(registration::Column::Phone)
        .filter(registration::Column::Id.is_in(ids(BookingKind::Registration)))
        .into_tuple::<(i32, Option<String>)>()
        .all(db)
        .await?
    {
        phones.insert((BookingKind::Registration, id), phone);
    }
    for (id, phone) in appointment::Entity::find()
        .select_only()
        .column(appointment::Column::Id)
        .column(appointment::Column::Phone)
        .filter(appointment::Column::OrganisationId.eq(organisation_id))
        .filter(appointment::Column::Id.is_in(ids(BookingKind::Appointment)))
        .into_tuple::<(i32, Option<String>)>()
        .all(db)
        .await?
    {
        phones.insert((BookingKind::Appointment, id), phone);
    }
    // The SMS that went with each message, if any, to say why it did not reach.
    let sms: Vec<outbox::Model> = outbox::Entity::find()
        .filter(outbox::Column::OrganisationId.eq(organisation_id))
        .filter(outbox::Column::Channel.eq(Channel::Sms))
        .filter(outbox::Column::BookingId.is_in(rows.iter().filter_map(|r| r.booking_id).collect::<Vec<_>>()))
        .all(db)
        .await?;
    let mut calls = Vec::with_capacity(rows.len());
    for r in rows {
        let Ok(payload) = serde_json::from_str::<Payload>(&r.payload) else {
            tracing::warn!(outbox_id = r.id, "calls list: unreadable payload, skipped");
            continue;
        };
        let sibling = sms.iter().find(|s| {
            s.booking_kind == r.booking_kind
                && s.booking_id == r.booking_id
                && s.kind == r.kind
                && s.created_at == r.created_at
        });
        let why = match (sibling.map(|s| s.status), r.status) {
            (Some(OutboxStatus::OptedOut), _) => "a répondu STOP aux SMS",
            (Some(OutboxStatus::OverBudget), _) => "budget SMS du mois atteint",
            (Some(_), _) => "le SMS n'est pas arrivé",
            (None, OutboxStatus::Failed) => "l'e-mail n'est pas parti",
            (None, _) => "ni e-mail ni SMS possible",
        };
        let phone = r
            .booking_kind
            .zip(r.booking_id)
            .and_then(|key| phones.get(&key).cloned().flatten())
            // A walk-in booked by name alone (or an erased booking) stores an empty phone.
            .filter(|p| !p.is_empty());
        calls.push(Call {
            outbox_id: r.id,
            name: r.recipient_name,
            phone,
            sentence: sentence(&payload),
            why,
            since: r.created_at,
        });
    }
    Ok(calls)
}

/// Records that a staff member made the call; `false` when it is not a due call of the
/// organisation (already made, or another organisation's).
pub async fn mark_called<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    outbox_id: i64,
    staff_member_id: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let due = outbox::Entity::find()
        .filter(due_in(organisation_id))
        .filter(outbox::Column::Id.eq(outbox_id))
        .count(db)
        .await?;
    if due == 0 {
        return Ok(false);
    }
    let inserted = call_made::Entity::insert(call_made::ActiveModel {
        organisation_id: Set(organisation_id),
        outbox_id: Set(outbox_id),
        staff_member_id: Set(Some(staff_member_id)),
        called_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(1)))
}
