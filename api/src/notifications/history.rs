//! What the outbox remembers of a booking's past: the rows are written with each change, so
//! the last move message says when the booking was before it moved.
use chrono::{DateTime, Utc};
use entities::kinds::{BookingKind, Event};
use entities::outbox;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::payload::Payload;

/// When the booking started before its last move (`AppointmentRescheduled` or
/// `SessionMoved`), or `None` when it never moved.
pub(crate) async fn before_last_move<C: ConnectionTrait>(
    db: &C,
    booking: BookingKind,
    booking_id: i32,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let row = outbox::Entity::find()
        .filter(outbox::Column::BookingKind.eq(booking))
        .filter(outbox::Column::BookingId.eq(booking_id))
        .filter(outbox::Column::Kind.is_in([Event::AppointmentRescheduled, Event::SessionMoved]))
        .order_by_desc(outbox::Column::CreatedAt)
        .order_by_desc(outbox::Column::Id)
        .one(db)
        .await?;
    Ok(row
        .and_then(|r| serde_json::from_str::<Payload>(&r.payload).ok())
        .and_then(|p| p.previous_starts_at))
}
