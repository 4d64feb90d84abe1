//! `/staff/personnes`: find a person's bookings by name, phone, e-mail or booking code (in
//! the organisation only), and erase every booking of that person on their request
//! (coordination and admins, with a confirmation step). A person is a name (case, accents
//! and punctuation aside) and a contact, as "one registration per person" counts them.
use chrono::{DateTime, Datelike, Utc};
use entities::kinds::BookingKind;
use entities::{appointment, registration};
use minijinja::context;
use poem::{Response, handler, web::Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait, sea_query::IntoCondition,
};
use serde::{Deserialize, Serialize};

use super::erase;
use crate::{
    domain::{
        booking_code::{self, BookingCode},
        contact::{EmailAddress, PhoneNumber, name_key},
    },
    french,
    pages::{PageError, forms::FormData, see_other, session_cookie::StaffCtx},
    platform::org_scope::{InOrganisation, find_in_org},
};

/// Bookings listed at most.
const SHOWN: u64 = 100;

/// One booking as found.
#[derive(Debug, Clone)]
struct Found {
    kind: BookingKind,
    id: i32,
    name: String,
    email_key: Option<String>,
    phone_key: Option<String>,
    code: String,
    at: DateTime<Utc>,
    erased: bool,
}

impl From<registration::Model> for Found {
    fn from(r: registration::Model) -> Found {
        Found {
            kind: BookingKind::Registration,
            id: r.id,
            name: r.name,
            email_key: r.email_key,
            phone_key: r.phone_key,
            code: r.booking_code,
            at: r.created_at,
            erased: r.erased_at.is_some(),
        }
    }
}

impl From<appointment::Model> for Found {
    fn from(a: appointment::Model) -> Found {
        Found {
            kind: BookingKind::Appointment,
            id: a.id,
            name: a.name,
            email_key: a.email_key,
            phone_key: a.phone_key,
            code: a.booking_code,
            at: a.starts_at,
            erased: a.erased_at.is_some(),
        }
    }
}

/// What was typed in the search box, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Needle {
    Code(String),
    Email(String),
    Phone(String),
    Name(String),
}

fn needle(q: &str) -> Option<Needle> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    if let Some(c) = BookingCode::parse(q) {
        return Some(Needle::Code(c.as_str().to_string()));
    }
    if q.contains('@') {
        return EmailAddress::parse(q)
            .ok()
            .map(|e| Needle::Email(e.as_str().to_string()));
    }
    if q.chars().filter(char::is_ascii_digit).count() >= 6
        && let Ok(p) = PhoneNumber::parse(q)
    {
        return Some(Needle::Phone(p.as_str().to_string()));
    }
    Some(Needle::Name(name_key(q)))
}

fn registrations_in_org(org: i32) -> sea_orm::Select<registration::Entity> {
    registration::Entity::in_organisation(registration::Entity::find(), org)
}

async fn search<C: ConnectionTrait>(db: &C, org: i32, n: &Needle) -> Result<Vec<Found>, DbErr> {
    let (reg, appt) = match n {
        Needle::Code(c) => (
            registration::Column::BookingCode.eq(c.clone()).into_condition(),
            appointment::Column::BookingCode.eq(c.clone()).into_condition(),
        ),
        Needle::Email(e) => (
            registration::Column::EmailKey.eq(e.clone()).into_condition(),
            appointment::Column::EmailKey.eq(e.clone()).into_condition(),
        ),
        Needle::Phone(p) => (
            registration::Column::PhoneKey.eq(p.clone()).into_condition(),
            appointment::Column::PhoneKey.eq(p.clone()).into_condition(),
        ),
        Needle::Name(key) => (
            registration::Column::NameKey.eq(key.clone()).into_condition(),
            appointment::Column::Id
                .is_in(appointments_named(db, org, key).await?)
                .into_condition(),
        ),
    };
    let mut found: Vec<Found> = registrations_in_org(org)
        .filter(reg)
        .order_by_desc(registration::Column::Id)
        .limit(SHOWN)
        .all(db)
        .await?
        .into_iter()
        .map(Found::from)
        .collect();
    let appointments = appointment::Entity::find()
        .filter(appointment::Column::OrganisationId.eq(org))
        .filter(appt)
        .order_by_desc(appointment::Column::Id)
        .limit(SHOWN)
        .all(db)
        .await?;
    found.extend(appointments.into_iter().map(Found::from));
    Ok(found)
}

/// Appointments keep no name key: the names of the organisation's appointments not erased
/// (only ids and names are read) are compared by key here, accents and case aside.
async fn appointments_named<C: ConnectionTrait>(db: &C, org: i32, key: &str) -> Result<Vec<i32>, DbErr> {
    let names: Vec<(i32, String)> = appointment::Entity::find()
        .select_only()
        .column(appointment::Column::Id)
        .column(appointment::Column::Name)
        .filter(appointment::Column::OrganisationId.eq(org))
        .filter(appointment::Column::ErasedAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(names
        .into_iter()
        .filter(|(_, name)| name_key(name) == key)
        .map(|(id, _)| id)
        .take(SHOWN as usize)
        .collect())
}

/// Every booking in the organisation of the person who made `chosen`: the same name key and
/// the same e-mail or phone. An erased booking has no contact left: only itself.
async fn same_person<C: ConnectionTrait>(db: &C, org: i32, chosen: &Found) -> Result<Vec<Found>, DbErr> {
    if chosen.email_key.is_none() && chosen.phone_key.is_none() {
        return Ok(vec![]);
    }
    let key = name_key(&chosen.name);
    let contact = |email: registration::Column, phone: registration::Column| {
        let mut c = Condition::any();
        if let Some(e) = &chosen.email_key {
            c = c.add(email.eq(e.clone()));
        }
        if let Some(p) = &chosen.phone_key {
            c = c.add(phone.eq(p.clone()));
        }
        c
    };
    let mut all: Vec<Found> = registrations_in_org(org)
        .filter(contact(registration::Column::EmailKey, registration::Column::PhoneKey))
        .all(db)
        .await?
        .into_iter()
        .map(Found::from)
        .collect();
    let mut ac = Condition::any();
    if let Some(e) = &chosen.email_key {
        ac = ac.add(appointment::Column::EmailKey.eq(e.clone()));
    }
    if let Some(p) = &chosen.phone_key {
        ac = ac.add(appointment::Column::PhoneKey.eq(p.clone()));
    }
    all.extend(
        appointment::Entity::find()
            .filter(appointment::Column::OrganisationId.eq(org))
            .filter(ac)
            .all(db)
            .await?
            .into_iter()
            .map(Found::from),
    );
    all.retain(|f| !f.erased && name_key(&f.name) == key);
    Ok(all)
}

#[derive(Serialize)]
struct Listed {
    kind: &'static str,
    id: i32,
    what: &'static str,
    code: String,
    name: String,
    contact: String,
    when: String,
    erased: bool,
}

fn kind_param(k: BookingKind) -> &'static str {
    match k {
        BookingKind::Registration => "inscription",
        BookingKind::Appointment => "rendez-vous",
    }
}

async fn listed(ctx: &StaffCtx, found: Vec<Found>) -> Result<Vec<Listed>, PageError> {
    let state = ctx.state();
    let tz = state.settings.timezone;
    let year = state.clock.now().with_timezone(&tz).year();
    let mut out = Vec::with_capacity(found.len());
    for f in found {
        let (email, phone) = contact_of(&state.db, &f).await?;
        let contact = [email, phone.filter(|p| !p.is_empty()).map(|p| french::phone(&p))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
        out.push(Listed {
            kind: kind_param(f.kind),
            id: f.id,
            what: match f.kind {
                BookingKind::Registration => "Inscription à un atelier",
                BookingKind::Appointment => "Rendez-vous",
            },
            code: booking_code::display(&f.code),
            name: f.name,
            contact,
            when: french::short_at(&f.at.with_timezone(&tz), year),
            erased: f.erased,
        });
    }
    Ok(out)
}

/// The shown contact of a booking (the stored columns, not the keys).
async fn contact_of<C: ConnectionTrait>(db: &C, f: &Found) -> Result<(Option<String>, Option<String>), DbErr> {
    Ok(match f.kind {
        BookingKind::Registration => registration::Entity::find_by_id(f.id)
            .one(db)
            .await?
            .map_or((None, None), |r| (r.email, r.phone)),
        BookingKind::Appointment => appointment::Entity::find_by_id(f.id)
            .one(db)
            .await?
            .map_or((None, None), |a| (a.email, a.phone)),
    })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    fait: Option<String>,
}

#[handler]
pub(crate) async fn search_page(ctx: StaffCtx, Query(query): Query<SearchQuery>) -> Result<Response, PageError> {
    let found = match needle(&query.q) {
        Some(n) => search(&ctx.state().db, ctx.me.organisation_id, &n).await?,
        None => vec![],
    };
    let results = listed(&ctx, found).await?;
    let notice = (query.fait.as_deref() == Some("efface")).then_some("Les données de cette personne sont effacées.");
    ctx.render(
        "staff/people.html",
        context! { nav => "personnes", q => query.q.trim(), searched => !query.q.trim().is_empty(), results, notice },
    )
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Chosen {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    id: String,
}

fn not_found() -> PageError {
    PageError::NotFound("Cette réservation n'existe pas.".into())
}

async fn chosen<C: ConnectionTrait>(db: &C, org: i32, kind: &str, id: &str) -> Result<Found, PageError> {
    let id: i32 = id.trim().parse().map_err(|_| not_found())?;
    match kind {
        "inscription" => Ok(find_in_org::<registration::Entity, _>(db, org, id)
            .await?
            .ok_or_else(not_found)?
            .into()),
        "rendez-vous" => Ok(find_in_org::<appointment::Entity, _>(db, org, id)
            .await?
            .ok_or_else(not_found)?
            .into()),
        _ => Err(not_found()),
    }
}

/// The confirmation: every booking that will be erased.
#[handler]
pub(crate) async fn confirm_page(ctx: StaffCtx, Query(c): Query<Chosen>) -> Result<Response, PageError> {
    ctx.require_manager()?;
    let db = &ctx.state().db;
    let org = ctx.me.organisation_id;
    let picked = chosen(db, org, &c.kind, &c.id).await?;
    let bookings = listed(&ctx, same_person(db, org, &picked).await?).await?;
    ctx.render(
        "staff/people_erase.html",
        context! { nav => "personnes", kind => c.kind, id => c.id, name => picked.name, bookings },
    )
}

#[handler]
pub(crate) async fn erase_person(ctx: StaffCtx, form: FormData) -> Result<Response, PageError> {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let state = ctx.state();
    let org = ctx.me.organisation_id;
    let picked = chosen(&state.db, org, form.get("type"), form.get("id")).await?;
    let txn = state.db.begin().await?;
    let all = same_person(&txn, org, &picked).await?;
    let now = state.clock.now();
    for kind in [BookingKind::Registration, BookingKind::Appointment] {
        let ids: Vec<i32> = all.iter().filter(|f| f.kind == kind).map(|f| f.id).collect();
        erase(&txn, kind, &ids, now).await?;
    }
    txn.commit().await?;
    tracing::info!(
        staff_id = ctx.me.id,
        bookings = all.len(),
        "a person's data erased on request"
    );
    Ok(see_other("/staff/personnes?fait=efface"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_box_understands_codes_e_mails_phones_and_names() {
        assert_eq!(needle("k7p-4qx"), Some(Needle::Code("K7P4QX".into())));
        assert!(matches!(needle(" elodie@exemple.fr "), Some(Needle::Email(e)) if e == "elodie@exemple.fr"));
        assert_eq!(needle("06 12 34 56 78"), Some(Needle::Phone("+33612345678".into())));
        assert_eq!(needle("Élodie  DUPRÉ"), Some(Needle::Name("elodie dupre".into())));
        assert_eq!(needle("   "), None);
    }
}
