//! Texts residents send back: `GET /sms/kannel/inbound?secret=S&from=%p&text=%a`, the URL an
//! `sms-service` of Kannel calls with each incoming message (`S` is
//! `CRENEAU_SMS_INBOUND_SECRET`). "STOP" opts the number out of the SMS of every organisation
//! that texted it; any other text is kept for their staff to read. A wrong or missing secret,
//! or no secret configured, answers 404 and changes nothing. Nothing of the number or the text
//! goes into the logs.
use entities::kinds::{Channel, OutboxStatus};
use std::collections::HashMap;

use entities::{appointment, outbox, registration, session, sms_opt_out, sms_reply};
use poem::{handler, http::StatusCode, web::Data, web::Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, OnConflict},
};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::gsm;
use crate::domain::contact::PhoneNumber;
use crate::platform::{db::begin_write, state::AppState, token};

#[derive(Debug, Deserialize)]
pub(crate) struct Incoming {
    secret: Option<String>,
    from: Option<String>,
    text: Option<String>,
}

/// What an incoming text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// No more SMS to this number.
    Stop,
    /// Anything else, kept for staff (trimmed, at most 640 characters).
    Text(String),
}

impl Reply {
    /// "STOP" in any case, with or without spaces or accents, alone or as the first word
    /// ("Stop merci", "S T O P", "stôp").
    pub fn read(text: &str) -> Reply {
        // The GSM alphabet keeps ò, ö and Ö, so they are plain letters only after this.
        let plain: String = gsm::transliterate(text)
            .chars()
            .map(|c| match c {
                'ò' | 'ö' => 'o',
                'Ö' => 'O',
                c => c,
            })
            .collect();
        let letters: String = plain.chars().filter(char::is_ascii_alphabetic).collect();
        let first_word: String = plain
            .split(|c: char| !c.is_ascii_alphabetic())
            .find(|w| !w.is_empty())
            .unwrap_or_default()
            .to_string();
        if letters.eq_ignore_ascii_case("stop") || first_word.eq_ignore_ascii_case("stop") {
            Reply::Stop
        } else {
            Reply::Text(text.trim().chars().take(640).collect())
        }
    }
}

/// The sender as Kannel gives it (`+33612345678`, `0033…`, `33612345678` or `0612345678`)
/// in E.164, as bookings store it.
pub fn sender_number(raw: &str) -> Option<String> {
    let raw = raw.trim();
    PhoneNumber::parse(raw)
        .or_else(|_| PhoneNumber::parse(&format!("+{raw}")))
        .ok()
        .map(|p| p.as_str().to_string())
}

#[handler]
pub(crate) async fn kannel_inbound(
    Data(state): Data<&AppState>,
    Query(incoming): Query<Incoming>,
) -> poem::Result<StatusCode> {
    let not_found = || poem::Error::from_status(StatusCode::NOT_FOUND);
    let Some(expected) = state.settings.sms_inbound_secret.as_ref() else {
        return Err(not_found());
    };
    let given = incoming.secret.as_deref().unwrap_or_default();
    if !token::constant_time_eq(expected.expose_secret().as_bytes(), given.as_bytes()) {
        tracing::warn!("incoming SMS with a wrong secret: ignored");
        return Err(not_found());
    }
    let (Some(phone), Some(text)) = (incoming.from.as_deref().and_then(sender_number), incoming.text) else {
        // Kannel sent something we cannot read: accepted, so that it does not retry.
        tracing::info!("incoming SMS without a readable number: ignored");
        return Ok(StatusCode::OK);
    };
    let reply = Reply::read(&text);
    let organisations = take(state, &phone, &reply).await.map_err(|e| {
        tracing::error!(error = %crate::domain::refusal::chain(&e), "incoming SMS: database error");
        poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR)
    })?;
    let what = if reply == Reply::Stop { "stop" } else { "text" };
    tracing::info!(kind = what, organisations, "incoming SMS");
    Ok(StatusCode::OK)
}

/// Records the reply for every organisation that has texted the number, in one transaction;
/// returns how many. A number nobody texted is ignored.
async fn take(state: &AppState, phone: &str, reply: &Reply) -> Result<usize, DbErr> {
    let now = state.clock.now();
    let tx = begin_write(&state.db).await?;
    let organisations: Vec<i32> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::OrganisationId)
        .distinct()
        .filter(outbox::Column::Channel.eq(Channel::Sms))
        .filter(outbox::Column::RecipientPhone.eq(phone))
        .into_tuple()
        .all(&*tx)
        .await?;
    for &organisation_id in &organisations {
        match reply {
            Reply::Stop => opt_out(&*tx, organisation_id, phone, now).await?,
            Reply::Text(body) => {
                sms_reply::ActiveModel {
                    organisation_id: Set(organisation_id),
                    phone: Set(phone.to_string()),
                    body: Set(body.clone()),
                    received_at: Set(now),
                    ..Default::default()
                }
                .insert(&*tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(organisations.len())
}

/// Opts the number out of the organisation's SMS, and the SMS still waiting to go to it
/// never leave.
async fn opt_out<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    phone: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    sms_opt_out::Entity::insert(sms_opt_out::ActiveModel {
        organisation_id: Set(organisation_id),
        phone: Set(phone.to_string()),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([sms_opt_out::Column::OrganisationId, sms_opt_out::Column::Phone])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(OutboxStatus::OptedOut))
        .filter(outbox::Column::OrganisationId.eq(organisation_id))
        .filter(outbox::Column::Channel.eq(Channel::Sms))
        .filter(outbox::Column::RecipientPhone.eq(phone))
        .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether the number answered "STOP" to the organisation.
pub async fn opted_out<C: ConnectionTrait>(db: &C, organisation_id: i32, phone: &str) -> Result<bool, DbErr> {
    Ok(sms_opt_out::Entity::find()
        .filter(sms_opt_out::Column::OrganisationId.eq(organisation_id))
        .filter(sms_opt_out::Column::Phone.eq(phone))
        .one(db)
        .await?
        .is_some())
}

/// Of these numbers, those that answered "STOP" to the organisation (for the staff pages).
pub async fn opted_out_among<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    phones: impl IntoIterator<Item = String>,
) -> Result<std::collections::HashSet<String>, DbErr> {
    let phones: Vec<String> = phones.into_iter().collect();
    if phones.is_empty() {
        return Ok(Default::default());
    }
    let found: Vec<String> = sms_opt_out::Entity::find()
        .select_only()
        .column(sms_opt_out::Column::Phone)
        .filter(sms_opt_out::Column::OrganisationId.eq(organisation_id))
        .filter(sms_opt_out::Column::Phone.is_in(phones))
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().collect())
}

/// A text received, with the names the organisation's bookings give that number (the
/// resident may be answering a reminder; staff call back the right person).
#[derive(Debug, Clone)]
pub struct Received {
    pub id: i32,
    pub phone: String,
    pub names: Vec<String>,
    pub body: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub read: bool,
}

/// The organisation's latest texts received, newest first.
pub async fn received<C: ConnectionTrait>(db: &C, organisation_id: i32, limit: u64) -> Result<Vec<Received>, DbErr> {
    let rows = sms_reply::Entity::find()
        .filter(sms_reply::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(sms_reply::Column::ReceivedAt)
        .order_by_desc(sms_reply::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let names = names_of(db, organisation_id, rows.iter().map(|r| r.phone.clone()).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|r| Received {
            id: r.id,
            names: names.get(&r.phone).cloned().unwrap_or_default(),
            phone: r.phone,
            body: r.body,
            received_at: r.received_at,
            read: r.read_at.is_some(),
        })
        .collect())
}

/// The numbers that answered "STOP" to the organisation, newest first, with their names.
pub async fn stopped<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
) -> Result<Vec<(String, Vec<String>, chrono::DateTime<chrono::Utc>)>, DbErr> {
    let rows = sms_opt_out::Entity::find()
        .filter(sms_opt_out::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(sms_opt_out::Column::CreatedAt)
        .limit(500)
        .all(db)
        .await?;
    let names = names_of(db, organisation_id, rows.iter().map(|r| r.phone.clone()).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|r| (names.get(&r.phone).cloned().unwrap_or_default(), r))
        .map(|(n, r)| (r.phone, n, r.created_at))
        .collect())
}

/// Marks a text of the organisation read by a staff member; `false` when there is no such
/// text in it.
pub async fn mark_read<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    id: i32,
    staff_id: i32,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, DbErr> {
    let done = sms_reply::Entity::update_many()
        .col_expr(sms_reply::Column::ReadAt, Expr::value(Some(now)))
        .col_expr(sms_reply::Column::ReadByStaffId, Expr::value(Some(staff_id)))
        .filter(sms_reply::Column::Id.eq(id))
        .filter(sms_reply::Column::OrganisationId.eq(organisation_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The distinct names the organisation's registrations and appointments give each number.
async fn names_of<C: ConnectionTrait>(
    db: &C,
    organisation_id: i32,
    phones: Vec<String>,
) -> Result<HashMap<String, Vec<String>>, DbErr> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    if phones.is_empty() {
        return Ok(out);
    }
    let registered: Vec<(Option<String>, String)> = registration::Entity::find()
        .select_only()
        .column(registration::Column::Phone)
        .column(registration::Column::Name)
        .inner_join(session::Entity)
        .filter(session::Column::OrganisationId.eq(organisation_id))
        .filter(registration::Column::Phone.is_in(phones.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let booked: Vec<(Option<String>, String)> = appointment::Entity::find()
        .select_only()
        .column(appointment::Column::Phone)
        .column(appointment::Column::Name)
        .filter(appointment::Column::OrganisationId.eq(organisation_id))
        .filter(appointment::Column::Phone.is_in(phones))
        .into_tuple()
        .all(db)
        .await?;
    for (phone, name) in registered.into_iter().chain(booked) {
        let Some(phone) = phone else { continue };
        let names = out.entry(phone).or_default();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_in_any_case_with_spaces_accents_or_more_words_opts_out() {
        for t in [
            "STOP",
            "stop",
            " Stop ",
            "S T O P",
            "stôp",
            "Stop merci",
            "STOP.",
            "stop!",
        ] {
            assert_eq!(Reply::read(t), Reply::Stop, "{t:?}");
        }
    }

    #[test]
    fn any_other_text_is_kept_for_staff() {
        assert_eq!(
            Reply::read(" Je serai en retard "),
            Reply::Text("Je serai en retard".into())
        );
        assert_eq!(Reply::read("Stoppez pas"), Reply::Text("Stoppez pas".into()));
        assert_eq!(Reply::read("ne pas stop"), Reply::Text("ne pas stop".into()));
    }

    #[test]
    fn the_sender_is_read_in_every_form_kannel_gives_it() {
        for raw in ["+33612345678", "33612345678", "0033612345678", "0612345678"] {
            assert_eq!(sender_number(raw).as_deref(), Some("+33612345678"), "{raw}");
        }
        assert_eq!(sender_number("36000"), None);
    }
}
