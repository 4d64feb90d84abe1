//! Offering the survey to someone who came: in the transaction that marks the appointment
//! honoured or the registrant present, at most once per booking, once a week per person,
//! never to whoever refused.
//!
//! What is written, and what it holds:
//! * `survey_contact`: per contact (e-mail, phone) an HMAC of it with the server secret, the
//!   time of the last invitation, the refusal and the hash of the "no more surveys" link;
//! * `survey_invitation`: the hash of the link's token, its expiry (to the day) and what the
//!   answer will be filed under (organisation, place, workshop or reason, month) — not the
//!   booking nor the person;
//! * `survey_sent`: one more invitation in its month, place and subject (the response
//!   rate's denominator);
//! * the outbox rows (e-mail and, with consent, SMS), as every message: the person's name,
//!   address or number, the workshop or reason, the place and date, the link's key (the
//!   link itself is derived at send time from the key and the server secret, and the key is
//!   blanked once sent) and the "no more surveys" link (blanked too).
use chrono::{DateTime, Datelike, Days, Duration, Utc};
use entities::kinds::{BookingKind, Channel, Event, OutboxStatus};
use entities::{outbox, survey_contact, survey_invitation, survey_sent};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use secrecy::SecretString;

use crate::notifications::{
    enqueue::{Context, Recipient, row},
    sms::{self, quiet::Timing},
};
use crate::platform::token;

/// How long a survey link works.
pub const VALID_DAYS: u64 = 14;
/// The least time between two invitations of one person.
pub const MIN_INTERVAL_DAYS: i64 = 7;

/// What was attended, and how to reach the person.
pub(crate) struct Attended<'a> {
    pub booking: BookingKind,
    pub booking_id: i32,
    pub workshop_id: Option<i32>,
    pub motif_id: Option<i32>,
    /// The workshop's title or the reason's label.
    pub title: &'a str,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub name: &'a str,
    pub email: Option<&'a str>,
    /// The mobile to text (the person gave one and accepted SMS).
    pub sms_to: Option<String>,
    /// The booking's contact keys (normalised e-mail, E.164 phone).
    pub email_key: Option<&'a str>,
    pub phone_key: Option<&'a str>,
    pub booking_code: &'a str,
}

/// The stored key of one contact: HMAC with the server secret, so the table is no list of
/// addresses and cannot be matched against one without the secret.
pub(crate) fn contact_hash(secret: &SecretString, organisation_id: i32, contact: &str) -> String {
    token::manage_token(secret, &format!("survey contact\0{organisation_id}\0{contact}"))
}

/// The token of a person's "no more surveys" link: the same in every message they get, so
/// any of them works.
pub(crate) fn stop_token(secret: &SecretString, first_contact_hash: &str) -> String {
    token::manage_token(secret, &format!("survey stop\0{first_contact_hash}"))
}

/// `YYYY-MM` of `at` in the organisation's zone.
pub(crate) fn month_of(tz: chrono_tz::Tz, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&tz);
    format!("{:04}-{:02}", local.year(), local.month())
}

/// When a link sent at `now` stops working: midnight UTC after its 14th day, so the expiry
/// does not tell the minute it was sent.
pub(crate) fn expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    let day = now.date_naive() + Days::new(VALID_DAYS + 1);
    day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

/// Queues the survey invitation of an attended booking, when due. Returns whether it was.
pub(crate) async fn offer<C: ConnectionTrait>(
    db: &C,
    secret: &SecretString,
    ctx: &Context<'_>,
    a: &Attended<'_>,
) -> Result<bool, DbErr> {
    let org = ctx.organisation.id;
    // One invitation per booking, whatever the corrections of the attendance.
    let already = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq(Event::SurveyInvitation))
        .filter(outbox::Column::BookingKind.eq(a.booking))
        .filter(outbox::Column::BookingId.eq(a.booking_id))
        .count(db)
        .await?;
    // A number that answered "STOP" gets no survey at all (not even a row for staff).
    let sms_to = match &a.sms_to {
        Some(phone) if !sms::inbound::opted_out(db, org, phone).await? => Some(phone.clone()),
        _ => None,
    };
    if already > 0 || (a.email.is_none() && sms_to.is_none()) {
        return Ok(false);
    }
    let keys: Vec<String> = [a.email_key, a.phone_key]
        .into_iter()
        .flatten()
        .map(|k| contact_hash(secret, org, k))
        .collect();
    let Some(first) = keys.first() else {
        return Ok(false);
    };
    let known = survey_contact::Entity::find()
        .filter(survey_contact::Column::OrganisationId.eq(org))
        .filter(survey_contact::Column::KeyHash.is_in(keys.clone()))
        .all(db)
        .await?;
    let week_ago = ctx.now - Duration::days(MIN_INTERVAL_DAYS);
    if known
        .iter()
        .any(|c| c.refused_at.is_some() || c.last_invited_at.is_some_and(|t| t > week_ago))
    {
        return Ok(false);
    }
    let stop = stop_token(secret, first);
    for key in &keys {
        survey_contact::Entity::insert(survey_contact::ActiveModel {
            organisation_id: Set(org),
            key_hash: Set(key.clone()),
            last_invited_at: Set(None),
            refused_at: Set(None),
            stop_hash: Set(None),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([survey_contact::Column::OrganisationId, survey_contact::Column::KeyHash])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        // First one wins: a concurrent invitation of the same person updates nothing here.
        let claimed = survey_contact::Entity::update_many()
            .col_expr(survey_contact::Column::LastInvitedAt, Expr::value(ctx.now))
            .col_expr(survey_contact::Column::StopHash, Expr::value(token::hash(&stop)))
            .filter(survey_contact::Column::OrganisationId.eq(org))
            .filter(survey_contact::Column::KeyHash.eq(key.clone()))
            .filter(survey_contact::Column::RefusedAt.is_null())
            .filter(
                Condition::any()
                    .add(survey_contact::Column::LastInvitedAt.is_null())
                    .add(survey_contact::Column::LastInvitedAt.lte(week_ago)),
            )
            .exec(db)
            .await?
            .rows_affected;
        if claimed == 0 {
            return Ok(false);
        }
    }

    let tz = crate::platform::time::parse_tz(&ctx.organisation.timezone);
    let month = month_of(tz, a.starts_at);
    let key = token::generate();
    survey_invitation::ActiveModel {
        id: Set(token::generate()),
        token_hash: Set(token::hash(&token::manage_token(secret, &key))),
        expires_at: Set(expiry(ctx.now)),
        organisation_id: Set(org),
        place_id: Set(ctx.place.id),
        workshop_id: Set(a.workshop_id),
        motif_id: Set(a.motif_id),
        month: Set(month.clone()),
    }
    .insert(db)
    .await?;
    count_sent(db, org, ctx.place.id, a.workshop_id, a.motif_id, &month).await?;

    let mut payload = ctx.payload(Event::SurveyInvitation, a.booking, a.title, a.starts_at, a.ends_at);
    payload.manage_key = Some(key);
    payload.survey_stop_url = Some(format!("{}/avis/stop/{stop}", ctx.public_url));
    let json = serde_json::to_string(&payload).map_err(|e| DbErr::Custom(format!("payload: {e}")))?;
    let to = Recipient {
        booking: a.booking,
        booking_id: a.booking_id,
        name: a.name.to_string(),
        email: a.email.map(str::to_string),
        sms_to: sms_to.clone(),
        answer: false,
        sequence: 0,
        booking_code: a.booking_code.to_string(),
        manage_key: None,
    };
    // Past the link's life, an unsent message is pointless.
    let expires_at = Some(expiry(ctx.now) - Duration::days(1));
    if let Some(email) = a.email {
        outbox::ActiveModel {
            recipient_email: Set(Some(email.to_string())),
            status: Set(OutboxStatus::Pending),
            channel: Set(Channel::Email),
            ..row(ctx, &to, Event::SurveyInvitation, json.clone(), ctx.now, expires_at)
        }
        .insert(db)
        .await?;
    }
    if let Some(phone) = &sms_to {
        // Not the answer to the person's own action: it waits for the morning.
        let not_before = sms::quiet::send_at(tz, ctx.now, Timing::Other);
        outbox::ActiveModel {
            status: Set(OutboxStatus::Pending),
            channel: Set(Channel::Sms),
            recipient_phone: Set(Some(phone.clone())),
            sms_secret: Set(Some(token::generate())),
            ..row(ctx, &to, Event::SurveyInvitation, json, not_before, expires_at)
        }
        .insert(db)
        .await?;
    }
    Ok(true)
}

/// One more invitation sent in this month, place and subject.
async fn count_sent<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    place_id: i32,
    workshop_id: Option<i32>,
    motif_id: Option<i32>,
    month: &str,
) -> Result<(), DbErr> {
    let same = |c: survey_sent::Column, v: Option<i32>| match v {
        Some(v) => c.eq(v),
        None => c.is_null(),
    };
    let updated = survey_sent::Entity::update_many()
        .col_expr(survey_sent::Column::Sent, Expr::col(survey_sent::Column::Sent).add(1))
        .filter(survey_sent::Column::OrganisationId.eq(organisation_id))
        .filter(survey_sent::Column::PlaceId.eq(place_id))
        .filter(same(survey_sent::Column::WorkshopId, workshop_id))
        .filter(same(survey_sent::Column::MotifId, motif_id))
        .filter(survey_sent::Column::Month.eq(month))
        .exec(db)
        .await?
        .rows_affected;
    if updated == 0 {
        survey_sent::ActiveModel {
            sent: Set(1),
            organisation_id: Set(organisation_id),
            place_id: Set(place_id),
            workshop_id: Set(workshop_id),
            motif_id: Set(motif_id),
            month: Set(month.to_string()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_fourteen_whole_days_and_its_expiry_does_not_tell_the_minute_it_was_sent() {
        let sent: DateTime<Utc> = "2027-01-12T15:47:13Z".parse().unwrap();
        let end = expiry(sent);
        assert_eq!(end, "2027-01-27T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert!(end - sent >= Duration::days(14));
        assert_eq!(expiry("2027-01-12T00:00:01Z".parse().unwrap()), end);
    }

    #[test]
    fn the_month_is_the_organisation_s() {
        // 23:30 UTC on 31 January is already 00:30 on 1 February in Paris.
        let at: DateTime<Utc> = "2027-01-31T23:30:00Z".parse().unwrap();
        assert_eq!(month_of(chrono_tz::Europe::Paris, at), "2027-02");
        assert_eq!(month_of(chrono_tz::UTC, at), "2027-01");
    }

    #[test]
    fn contact_keys_need_the_secret_and_differ_between_organisations() {
        let s1 = SecretString::from(token::generate());
        let s2 = SecretString::from(token::generate());
        let k = contact_hash(&s1, 1, "zoe@exemple.fr");
        assert_ne!(k, contact_hash(&s2, 1, "zoe@exemple.fr"));
        assert_ne!(k, contact_hash(&s1, 2, "zoe@exemple.fr"));
        assert!(!k.contains("zoe"));
    }
}
