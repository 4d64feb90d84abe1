//! Request and response shapes of the outbox, calendar and feed operations.
use chrono::{DateTime, FixedOffset};
pub(crate) use entities::kinds::{Channel, FeedKind, OutboxStatus};
use entities::{feed_token, outbox};
use poem_openapi::Object;

use super::{payload::Payload, render};
use crate::platform::time::{local, parse_tz};

/// One message of the outbox, as staff see it: who, what, and what became of it. The manage
/// link a message carries is never shown.
#[derive(Object, Debug, Clone)]
pub(crate) struct OutboxEntry {
    pub id: i64,
    /// Why the message exists, e.g. `registration_confirmed`, `session_cancelled`, `reminder`.
    pub kind: String,
    /// `registration` or `appointment`.
    #[oai(skip_serializing_if_is_none)]
    pub booking_kind: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub booking_id: Option<i32>,
    pub recipient_name: String,
    /// `email` or `sms`.
    pub channel: Channel,
    #[oai(skip_serializing_if_is_none)]
    pub recipient_email: Option<String>,
    /// The mobile number an SMS goes to (E.164).
    #[oai(skip_serializing_if_is_none)]
    pub recipient_phone: Option<String>,
    /// The subject line the resident sees (or would see).
    pub subject: String,
    /// `REQUEST` or `CANCEL` when the message carries a calendar invite.
    #[oai(skip_serializing_if_is_none)]
    pub calendar_method: Option<String>,
    pub status: OutboxStatus,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// The mail server's last answer, when an attempt failed.
    #[oai(skip_serializing_if_is_none)]
    pub last_error: Option<String>,
    /// Not sent before this instant (a retry's backoff, a reminder's due time).
    pub not_before: DateTime<FixedOffset>,
    /// Never sent after this instant (reminders: the start of the booking).
    #[oai(skip_serializing_if_is_none)]
    pub expires_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
    #[oai(skip_serializing_if_is_none)]
    pub sent_at: Option<DateTime<FixedOffset>>,
}

impl OutboxEntry {
    pub(crate) fn new(row: outbox::Model, tz: chrono_tz::Tz) -> OutboxEntry {
        let subject = serde_json::from_str::<Payload>(&row.payload)
            .map(|p| render::subject(&p, parse_tz(&p.timezone)))
            .unwrap_or_default();
        OutboxEntry {
            id: row.id,
            kind: row.kind.to_string(),
            booking_kind: row.booking_kind.map(|k| k.to_string()),
            booking_id: row.booking_id,
            recipient_name: row.recipient_name,
            channel: row.channel,
            recipient_email: row.recipient_email,
            recipient_phone: row.recipient_phone,
            subject,
            calendar_method: row.ical_method.map(|m| m.to_string()),
            status: row.status,
            attempts: row.attempts,
            last_error: row.last_error,
            not_before: local(tz, row.not_before),
            expires_at: row.expires_at.map(|t| local(tz, t)),
            created_at: local(tz, row.created_at),
            sent_at: row.sent_at.map(|t| local(tz, t)),
        }
    }
}

/// A calendar feed to create.
#[derive(Object, Debug, Clone)]
pub(crate) struct FeedInput {
    pub kind: FeedKind,
    /// The place, for a `place` feed.
    pub place_id: Option<i32>,
    /// For a `staff` feed: whose agenda (defaults to the caller; another member needs a
    /// coordinator or an admin).
    pub staff_member_id: Option<i32>,
}

/// A subscribable calendar feed (the secret URL is only given at creation).
#[derive(Object, Debug, Clone)]
pub(crate) struct Feed {
    pub id: i32,
    pub kind: FeedKind,
    #[oai(skip_serializing_if_is_none)]
    pub place_id: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub staff_member_id: Option<i32>,
    pub created_at: DateTime<FixedOffset>,
    /// Who made it: the feed stops working when their account is deactivated (or, for a
    /// place feed, no longer coordinates). Absent for feeds made before this was recorded.
    #[oai(skip_serializing_if_is_none)]
    pub created_by_id: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub created_by_name: Option<String>,
    /// When a calendar application last read it (to the minute); absent if never.
    #[oai(skip_serializing_if_is_none)]
    pub last_used_at: Option<DateTime<FixedOffset>>,
}

impl Feed {
    pub(crate) fn new(row: &feed_token::Model, created_by_name: Option<String>, tz: chrono_tz::Tz) -> Feed {
        Feed {
            id: row.id,
            kind: row.kind,
            place_id: row.place_id,
            staff_member_id: row.staff_member_id,
            created_at: local(tz, row.created_at),
            created_by_id: row.created_by_id,
            created_by_name,
            last_used_at: row.last_used_at.map(|t| local(tz, t)),
        }
    }
}

/// A new feed with its secret, shown this once: only its hash is stored.
#[derive(Object, Debug, Clone)]
pub(crate) struct FeedCreated {
    pub id: i32,
    pub kind: FeedKind,
    #[oai(skip_serializing_if_is_none)]
    pub place_id: Option<i32>,
    #[oai(skip_serializing_if_is_none)]
    pub staff_member_id: Option<i32>,
    pub created_at: DateTime<FixedOffset>,
    /// The feed's secret token.
    pub token: String,
    /// The address to subscribe to in a calendar application ("add by URL"). Anyone holding
    /// it reads the feed, residents' names included: share it like a password, revoke it
    /// when it leaks.
    pub url: String,
}
