//! Writing outbox rows, always inside the transaction that made the change: a booking and
//! the message about it commit together or not at all.
use chrono::{DateTime, Duration, LocalResult, TimeZone, Utc};
use chrono_tz::Tz;
use entities::kinds::{Channel, OutboxStatus};
use entities::{organisation, outbox, place};
use sea_orm::ActiveEnum;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, sea_query::Expr};

use super::{
    ical::CalendarMethod,
    payload::{BookingKind, Event, Payload},
    sms::{self, quiet::Timing},
};
use crate::platform::token;

/// The booking a message is about and who receives it.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub booking: BookingKind,
    pub booking_id: i32,
    pub name: String,
    pub email: Option<String>,
    /// The mobile number to text, when the person has one and accepted SMS.
    pub sms_to: Option<String>,
    /// The message answers what the person has just done themselves (booked, moved,
    /// cancelled): its SMS goes at once, even in the quiet hours.
    pub answer: bool,
    /// The booking's iCalendar SEQUENCE after the change.
    pub sequence: i32,
    /// The booking code every message quotes (as stored, `K7P4QX`).
    pub booking_code: String,
    /// The booking's manage key: every e-mail about the booking carries its manage link,
    /// whoever made the change (rebuilt at send time, see `message::open_link`).
    pub manage_key: Option<String>,
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
            manage_key: None,
            waitlist_position: None,
            reason: None,
            previous_starts_at: None,
            sms_sender: Some(sms::sender(self.organisation)),
            booking_code: None,
            survey_stop_url: None,
        }
    }

    pub(crate) fn manage_url(&self, booking: BookingKind, raw_token: &str) -> String {
        let page = match booking {
            BookingKind::Registration => "inscription",
            BookingKind::Appointment => "rendez-vous",
        };
        format!("{}/{page}/{raw_token}", self.public_url)
    }
}

/// The iCalendar UID of a booking: the same for its whole life, so every calendar updates
/// the one event instead of adding another. `part` is its organisation's random part (see
/// [`calendar_uid_part`]): a new database on the same host never reuses an older UID.
pub(crate) fn ical_uid(booking: BookingKind, id: i32, part: &str, host: &str) -> String {
    if part.is_empty() {
        format!("{}-{id}@{host}", booking.to_value())
    } else {
        format!("{}-{id}-{part}@{host}", booking.to_value())
    }
}

/// A fresh random part for a new organisation's UIDs: ten hexadecimal digits.
pub fn calendar_uid_part() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 5];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Queues one message, due now.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    ctx: &Context<'_>,
    to: &Recipient,
    payload: &Payload,
    calendar: Option<CalendarMethod>,
) -> Result<(), DbErr> {
    let mut rows = Rows::for_recipient(db, ctx, to).await?;
    rows.message(payload, calendar, ctx.now, None)?;
    rows.write(db).await
}

/// Queues a confirmation, due now, and the reminders of the booking it confirms (see
/// [`schedule_reminders`]), all in one statement.
pub(crate) async fn enqueue_with_reminders<C: ConnectionTrait>(
    db: &C,
    ctx: &Context<'_>,
    to: &Recipient,
    payload: &Payload,
    calendar: Option<CalendarMethod>,
) -> Result<(), DbErr> {
    let mut rows = Rows::for_recipient(db, ctx, to).await?;
    rows.message(payload, calendar, ctx.now, None)?;
    rows.reminders(payload)?;
    rows.write(db).await
}

/// The outbox rows of one recipient, built in memory and written by one `INSERT` of several
/// rows: a booking made while hundreds of others wait for the same session lock must hold it
/// for as few statements as possible (a confirmation with two reminders, by e-mail and SMS,
/// is six rows).
struct Rows<'a, 'c> {
    ctx: &'a Context<'c>,
    to: &'a Recipient,
    /// Whether the number texted answered "STOP": looked up once for all the rows.
    opted_out: bool,
    rows: Vec<outbox::ActiveModel>,
}

impl<'a, 'c> Rows<'a, 'c> {
    async fn for_recipient<C: ConnectionTrait>(
        db: &C,
        ctx: &'a Context<'c>,
        to: &'a Recipient,
    ) -> Result<Rows<'a, 'c>, DbErr> {
        let opted_out = match &to.sms_to {
            Some(phone) => sms::inbound::opted_out(db, ctx.organisation.id, phone).await?,
            None => false,
        };
        Ok(Rows {
            ctx,
            to,
            opted_out,
            rows: Vec::new(),
        })
    }

    async fn write<C: ConnectionTrait>(self, db: &C) -> Result<(), DbErr> {
        if self.rows.is_empty() {
            return Ok(());
        }
        outbox::Entity::insert_many(self.rows)
            .exec_without_returning(db)
            .await?;
        Ok(())
    }

    /// One message by every channel of the recipient: its e-mail row (kept as `no_email`
    /// when there is no address, so staff see whom to call) and its SMS row.
    fn message(
        &mut self,
        payload: &Payload,
        calendar: Option<CalendarMethod>,
        not_before: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(), DbErr> {
        let (ctx, to) = (self.ctx, self.to);
        let status = if to.email.is_some() {
            OutboxStatus::Pending
        } else {
            OutboxStatus::NoEmail
        };
        // Every message quotes the booking code; a row that will never be sent keeps no
        // manage token.
        let booking_code = Some(to.booking_code.clone()).filter(|c| !c.is_empty());
        let json = if to.email.is_some() {
            let linked = payload.manage_key.is_some() || payload.manage_url.is_some();
            serde_json::to_string(&Payload {
                booking_code,
                manage_key: if linked {
                    payload.manage_key.clone()
                } else {
                    to.manage_key.clone()
                },
                ..payload.clone()
            })
        } else {
            serde_json::to_string(&Payload {
                manage_url: None,
                booking_code,
                manage_key: None,
                ..payload.clone()
            })
        }
        .map_err(|e| DbErr::Custom(format!("payload: {e}")))?;
        self.rows.push(outbox::ActiveModel {
            recipient_email: Set(to.email.clone()),
            ical_uid: Set(calendar.map(|_| {
                ical_uid(
                    to.booking,
                    to.booking_id,
                    &ctx.organisation.calendar_uid_part,
                    ctx.public_host,
                )
            })),
            ical_sequence: Set(calendar.map(|_| to.sequence)),
            ical_method: Set(calendar),
            status: Set(status),
            channel: Set(Channel::Email),
            call_if_unreached: Set(!to.answer && crate::calls::worth_a_call(payload.event)),
            ..row(ctx, to, payload.event, json, not_before, expires_at)
        });
        if let Some(phone) = &to.sms_to {
            self.sms(phone, payload, not_before, expires_at)?;
        }
        Ok(())
    }

    /// The SMS row of a message: same payload, timed by the quiet hours (see [`sms::quiet`]).
    /// A reminder that the quiet hours would move before now is not queued: the confirmation
    /// just sent says it all.
    fn sms(
        &mut self,
        phone: &str,
        payload: &Payload,
        due: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(), DbErr> {
        let (ctx, to) = (self.ctx, self.to);
        let timing = if payload.event == Event::Reminder {
            Timing::Reminder
        } else if to.answer {
            Timing::Answer
        } else {
            Timing::Other
        };
        let tz = crate::platform::time::parse_tz(&ctx.organisation.timezone);
        let not_before = sms::quiet::send_at(tz, due, timing);
        if timing == Timing::Reminder && not_before <= ctx.now {
            return Ok(());
        }
        // An SMS carries the code and its short link, which open nothing alone: the row keeps
        // no manage token nor its key.
        let json = serde_json::to_string(&Payload {
            booking_code: Some(to.booking_code.clone()).filter(|c| !c.is_empty()),
            manage_url: None,
            manage_key: None,
            ..payload.clone()
        })
        .map_err(|e| DbErr::Custom(format!("payload: {e}")))?;
        // A number that answered "STOP" gets nothing; the row stays, so staff see the person
        // must be called.
        self.rows.push(outbox::ActiveModel {
            status: Set(if self.opted_out {
                OutboxStatus::OptedOut
            } else {
                OutboxStatus::Pending
            }),
            channel: Set(Channel::Sms),
            recipient_phone: Set(Some(phone.to_string())),
            sms_secret: Set((!self.opted_out).then(token::generate)),
            ..row(ctx, to, payload.event, json, not_before, expires_at)
        });
        Ok(())
    }

    /// The reminders of a confirmed booking, each due `offset` before the start (see
    /// [`reminder_due`]) and void once the start has passed. A reminder already due (a
    /// booking made two hours before a 3 h reminder) is not queued: the confirmation just
    /// sent says it all.
    fn reminders(&mut self, base: &Payload) -> Result<(), DbErr> {
        let payload = Payload {
            event: Event::Reminder,
            ..base.clone()
        };
        let ctx = self.ctx;
        let tz = crate::platform::time::parse_tz(&ctx.organisation.timezone);
        for offset in reminder_offsets(ctx.organisation) {
            let due = reminder_due(tz, base.starts_at, offset);
            if due > ctx.now {
                self.message(&payload, None, due, Some(base.starts_at))?;
            }
        }
        Ok(())
    }
}

/// What the rows of every channel share: who and what it is about, when it may go, and a
/// fresh message id. The caller says the channel and its recipient.
pub(crate) fn row(
    ctx: &Context<'_>,
    to: &Recipient,
    event: Event,
    payload: String,
    not_before: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> outbox::ActiveModel {
    outbox::ActiveModel {
        organisation_id: Set(ctx.organisation.id),
        kind: Set(event),
        booking_kind: Set(Some(to.booking)),
        booking_id: Set(Some(to.booking_id)),
        recipient_name: Set(to.name.clone()),
        recipient_email: Set(None),
        payload: Set(payload),
        ical_uid: Set(None),
        ical_sequence: Set(None),
        ical_method: Set(None),
        not_before: Set(not_before),
        expires_at: Set(expires_at),
        attempts: Set(0),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        // Random rather than derived from the row id, which is only known after the insert.
        message_id: Set(format!("{}@{}", &token::generate()[..22], ctx.public_host)),
        created_at: Set(ctx.now),
        sent_at: Set(None),
        recipient_phone: Set(None),
        sms_secret: Set(None),
        reported_at: Set(None),
        call_if_unreached: Set(false),
        ..Default::default()
    }
}

/// Parses the organisation's reminder offsets ("2880,180" minutes); junk entries are ignored.
pub(crate) fn reminder_offsets(organisation: &organisation::Model) -> Vec<Duration> {
    organisation
        .reminder_offsets
        .split(',')
        .filter_map(|m| m.trim().parse::<i64>().ok())
        .filter(|m| *m > 0)
        .map(Duration::minutes)
        .collect()
}

/// When a reminder `offset` before `starts_at` is due, counted on the organisation's wall
/// clock: "48 h before Monday 10:00" is Saturday 10:00 even when the clocks change on the
/// Sunday in between, and "3 h before" is 07:00. A wall time that does not exist (the spring
/// gap) moves an hour later; one that exists twice (autumn) takes the first.
pub(crate) fn reminder_due(tz: Tz, starts_at: DateTime<Utc>, offset: Duration) -> DateTime<Utc> {
    let wall = starts_at.with_timezone(&tz).naive_local() - offset;
    let due = match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(first, _) => Some(first),
        LocalResult::None => tz.from_local_datetime(&(wall + Duration::hours(1))).earliest(),
    }
    .map(|t| t.with_timezone(&Utc));
    match due {
        Some(d) if d < starts_at => d,
        _ => starts_at - offset,
    }
}

/// Queues the reminders of a confirmed booking (see [`Rows::reminders`]).
pub(crate) async fn schedule_reminders<C: ConnectionTrait>(
    db: &C,
    ctx: &Context<'_>,
    to: &Recipient,
    base: &Payload,
) -> Result<(), DbErr> {
    let mut rows = Rows::for_recipient(db, ctx, to).await?;
    rows.reminders(base)?;
    rows.write(db).await
}

/// Voids the pending reminders of a booking (cancelled or moved: a moved booking gets new ones).
/// Their payloads lose the manage token: a void row keeps no usable link.
pub(crate) async fn drop_reminders<C: ConnectionTrait>(
    db: &C,
    booking: BookingKind,
    booking_id: i32,
) -> Result<(), DbErr> {
    let pending = outbox::Entity::find()
        .filter(outbox::Column::BookingKind.eq(booking))
        .filter(outbox::Column::BookingId.eq(booking_id))
        .filter(outbox::Column::Kind.eq(Event::Reminder))
        .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
        .all(db)
        .await?;
    for row in pending {
        let payload = super::message::without_token(&row.payload).unwrap_or(row.payload);
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::Cancelled))
            .col_expr(outbox::Column::Payload, Expr::value(payload))
            .filter(outbox::Column::Id.eq(row.id))
            .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
            .exec(db)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn reminders_keep_the_wall_time_across_the_spring_change() {
        // Monday 29 March 2027, 10:00 in Paris (UTC+2); the clocks went forward on Sunday 28.
        let start = utc("2027-03-29T08:00:00Z");
        // Saturday 27 March 10:00 in Paris is still UTC+1.
        assert_eq!(
            reminder_due(Paris, start, Duration::minutes(2880)),
            utc("2027-03-27T09:00:00Z")
        );
        assert_eq!(
            reminder_due(Paris, start, Duration::minutes(180)),
            utc("2027-03-29T05:00:00Z")
        );
    }

    #[test]
    fn reminders_keep_the_wall_time_across_the_autumn_change() {
        // Monday 1 November 2027, 10:00 in Paris (UTC+1); the clocks went back on Sunday 31 October.
        let start = utc("2027-11-01T09:00:00Z");
        assert_eq!(
            reminder_due(Paris, start, Duration::minutes(2880)),
            utc("2027-10-30T08:00:00Z")
        );
    }

    #[test]
    fn a_wall_time_in_the_spring_gap_moves_an_hour_later_and_never_reaches_the_start() {
        // Sunday 28 March 2027 04:00 Paris (02:00Z); 90 min before on the wall is 02:30, which does not exist.
        let start = utc("2027-03-28T02:00:00Z");
        let due = reminder_due(Paris, start, Duration::minutes(90));
        assert_eq!(due, utc("2027-03-28T01:30:00Z"));
        // 03:30 Paris (01:30Z), 60 min before is 02:30: the shifted time would be the start itself.
        let start = utc("2027-03-28T01:30:00Z");
        let due = reminder_due(Paris, start, Duration::minutes(60));
        assert!(due < start);
        assert_eq!(due, utc("2027-03-28T00:30:00Z"));
    }

    #[test]
    fn a_uid_carries_the_organisation_s_random_part_and_older_organisations_keep_theirs() {
        assert_eq!(
            ical_uid(BookingKind::Registration, 12, "", "arles.example"),
            "registration-12@arles.example",
            "an organisation older than the random part keeps the UIDs calendars hold"
        );
        assert_eq!(
            ical_uid(BookingKind::Appointment, 12, "0a1b2c3d4e", "arles.example"),
            "appointment-12-0a1b2c3d4e@arles.example"
        );
        let (a, b) = (calendar_uid_part(), calendar_uid_part());
        assert_eq!(a.len(), 10);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
