//! Writing outbox rows, always inside the transaction that made the change: a booking and
//! the message about it commit together or not at all.
use chrono::{DateTime, Duration, Utc};
use entities::{organisation, outbox, place};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, sea_query::Expr};

use super::{
    ical::CalendarMethod,
    payload::{BookingKind, Event, Payload},
};
use crate::token;

pub mod status {
    pub const PENDING: &str = "pending";
    pub const SENT: &str = "sent";
    pub const FAILED: &str = "failed";
    /// Superseded before it was due (a reminder for a booking since cancelled or moved).
    pub const CANCELLED: &str = "cancelled";
    /// The resident left no e-mail: staff reach them by phone; nothing to send.
    pub const NO_EMAIL: &str = "no_email";
}

/// The booking a message is about and who receives it.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub booking: BookingKind,
    pub booking_id: i32,
    pub name: String,
    pub email: Option<String>,
    /// The booking's iCalendar SEQUENCE after the change.
    pub sequence: i32,
}

/// The parts of a message that do not depend on the event.
pub struct Context<'a> {
    pub organisation: &'a organisation::Model,
    pub place: &'a place::Model,
    pub public_url: &'a str,
    pub public_host: &'a str,
    pub now: DateTime<Utc>,
}

impl Context<'_> {
    pub fn payload(
        &self,
        event: Event,
        booking: BookingKind,
        title: &str,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    ) -> Payload {
        let address = format!("{}, {} {}", self.place.address, self.place.postal_code, self.place.city);
        Payload {
            event,
            booking,
            organisation_name: self.organisation.name.clone(),
            organisation_email: self.organisation.contact_email.clone(),
            organisation_phone: self.organisation.contact_phone.clone(),
            timezone: self.organisation.timezone.clone(),
            title: title.to_string(),
            place_name: self.place.name.clone(),
            place_address: address,
            place_phone: self.place.public_phone.clone(),
            place_access: self.place.access_notes.clone(),
            starts_at,
            ends_at,
            instructions: None,
            manage_url: None,
            waitlist_position: None,
            reason: None,
            previous_starts_at: None,
        }
    }

    pub fn manage_url(&self, booking: BookingKind, raw_token: &str) -> String {
        let page = match booking {
            BookingKind::Registration => "inscription",
            BookingKind::Appointment => "rendez-vous",
        };
        format!("{}/{page}/{raw_token}", self.public_url)
    }
}

/// The iCalendar UID of a booking: the same for its whole life, so every calendar updates
/// the one event instead of adding another.
pub fn ical_uid(booking: BookingKind, id: i32, host: &str) -> String {
    format!("{}-{id}@{host}", booking.as_str())
}

/// Queues one message, due now.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    ctx: &Context<'_>,
    to: &Recipient,
    payload: &Payload,
    calendar: Option<CalendarMethod>,
) -> Result<(), DbErr> {
    insert(db, ctx, to, payload, calendar, ctx.now, None).await
}

async fn insert<C: ConnectionTrait>(
    db: &C,
    ctx: &Context<'_>,
    to: &Recipient,
    payload: &Payload,
    calendar: Option<CalendarMethod>,
    not_before: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let json = serde_json::to_string(payload).map_err(|e| DbErr::Custom(format!("payload: {e}")))?;
    let status = if to.email.is_some() {
        status::PENDING
    } else {
        status::NO_EMAIL
    };
    outbox::ActiveModel {
        organisation_id: Set(ctx.organisation.id),
        kind: Set(payload.event.as_str().to_string()),
        booking_kind: Set(Some(to.booking.as_str().to_string())),
        booking_id: Set(Some(to.booking_id)),
        recipient_name: Set(to.name.clone()),
        recipient_email: Set(to.email.clone()),
        payload: Set(json),
        ical_uid: Set(calendar.map(|_| ical_uid(to.booking, to.booking_id, ctx.public_host))),
        ical_sequence: Set(calendar.map(|_| to.sequence)),
        ical_method: Set(calendar.map(|m| m.as_str().to_string())),
        not_before: Set(not_before),
        expires_at: Set(expires_at),
        status: Set(status.to_string()),
        attempts: Set(0),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        // Random rather than derived from the row id, which is only known after the insert.
        message_id: Set(format!("{}@{}", &token::generate()[..22], ctx.public_host)),
        created_at: Set(ctx.now),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Parses the organisation's reminder offsets ("2880,180" minutes); junk entries are ignored.
pub fn reminder_offsets(organisation: &organisation::Model) -> Vec<Duration> {
    organisation
        .reminder_offsets
        .split(',')
        .filter_map(|m| m.trim().parse::<i64>().ok())
        .filter(|m| *m > 0)
        .map(Duration::minutes)
        .collect()
}

/// Queues the reminders of a confirmed booking, each due `offset` before the start and
/// void once the start has passed. A reminder already due (a booking made two hours before
/// a 3 h reminder) is not queued: the confirmation just sent says it all.
pub async fn schedule_reminders<C: ConnectionTrait>(
    db: &C,
    ctx: &Context<'_>,
    to: &Recipient,
    base: &Payload,
) -> Result<(), DbErr> {
    let payload = Payload {
        event: Event::Reminder,
        ..base.clone()
    };
    for offset in reminder_offsets(ctx.organisation) {
        let due = base.starts_at - offset;
        if due > ctx.now {
            insert(db, ctx, to, &payload, None, due, Some(base.starts_at)).await?;
        }
    }
    Ok(())
}

/// Voids the pending reminders of a booking (cancelled or moved: a moved booking gets new ones).
pub async fn drop_reminders<C: ConnectionTrait>(db: &C, booking: BookingKind, booking_id: i32) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(status::CANCELLED))
        .filter(outbox::Column::BookingKind.eq(booking.as_str()))
        .filter(outbox::Column::BookingId.eq(booking_id))
        .filter(outbox::Column::Kind.eq(Event::Reminder.as_str()))
        .filter(outbox::Column::Status.eq(status::PENDING))
        .exec(db)
        .await?;
    Ok(())
}
