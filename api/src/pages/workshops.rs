//! `/ateliers`: the sessions to choose from, one session's page and its registration form.
use std::collections::BTreeMap;

use chrono::Duration;
use entities::{place, workshop};
use minijinja::{Value, context};
use poem::{
    Route, get, handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};

use super::{
    Ctx, PageError, PageResult,
    forms::{self, FormData, FormErrors},
    see_other,
};
use crate::french;
use crate::{
    domain::capacity::RegistrationClosed,
    workshops::{
        dto::{Session, SessionStatus},
        queries::{self, SessionFilter},
        service::{self, Booker, RegistrationError},
    },
};

pub(crate) fn routes() -> Route {
    Route::new().at("/", get(list)).at("/:id", get(show).post(register))
}

/// Sessions shown: the coming 90 days.
const HORIZON_DAYS: i64 = 90;

#[derive(Deserialize)]
struct ListQuery {
    lieu: Option<String>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct SessionCard {
    id: i32,
    date: String,
    place: String,
    seats: String,
    full: bool,
    open: bool,
}

#[derive(Serialize)]
struct WorkshopGroup {
    title: String,
    summary: String,
    level: String,
    duration: String,
    sessions: Vec<SessionCard>,
}

/// "2 heures", "1 heure 30", "45 minutes".
pub(crate) fn duration_words(minutes: i64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    let hours = match h {
        0 => String::new(),
        1 => "1 heure".into(),
        h => format!("{h} heures"),
    };
    match (h, m) {
        (0, m) => format!("{m} minutes"),
        (_, 0) => hours,
        (_, m) => format!("{hours} {m:02}"),
    }
}

#[handler]
async fn list(ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    let now = ctx.now();
    let year = ctx.year();
    let filter = SessionFilter {
        from: Some(now),
        to: Some(now + Duration::days(HORIZON_DAYS)),
        limit: 500,
        ..Default::default()
    };
    let all = queries::sessions(&ctx.state.db, &filter, now).await?;
    let mut places: BTreeMap<String, i32> = BTreeMap::new();
    for s in &all {
        places.insert(s.place_name.clone(), s.place_id);
    }
    let chosen = q.lieu.as_deref().and_then(|v| v.parse::<i32>().ok());
    let place_name = chosen.and_then(|id| places.iter().find(|(_, p)| **p == id).map(|(n, _)| n.clone()));
    let shown: Vec<&Session> = all.iter().filter(|s| chosen.is_none_or(|p| s.place_id == p)).collect();

    let catalogue: BTreeMap<i32, workshop::Model> = workshop::Entity::find()
        .all(&ctx.state.db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    // Workshops in the order of their next session.
    let mut groups: Vec<(i32, WorkshopGroup)> = Vec::new();
    for s in &shown {
        let card = SessionCard {
            id: s.id,
            date: french::short_span(&s.starts_at, &s.ends_at, year),
            place: s.place_name.clone(),
            seats: french::seats_left(s.seats_left),
            full: s.seats_left <= 0,
            open: s.registration_open,
        };
        match groups.iter_mut().find(|(id, _)| *id == s.workshop_id) {
            Some((_, g)) => g.sessions.push(card),
            None => {
                let w = catalogue.get(&s.workshop_id);
                groups.push((
                    s.workshop_id,
                    WorkshopGroup {
                        title: s.workshop_title.clone(),
                        summary: w.map(|w| w.summary.clone()).unwrap_or_default(),
                        level: w.map(|w| w.level.clone()).unwrap_or_default(),
                        duration: duration_words((s.ends_at - s.starts_at).num_minutes()),
                        sessions: vec![card],
                    },
                ));
            }
        }
    }
    let count_text = match shown.len() {
        0 => String::new(),
        1 => "1 séance à venir.".to_string(),
        n => format!("{n} séances à venir."),
    };
    let places: Vec<Choice> = places
        .into_iter()
        .map(|(label, id)| Choice {
            value: id.to_string(),
            label,
        })
        .collect();
    ctx.render(
        "workshops/list.html",
        context! {
            nav => "ateliers",
            places,
            place => chosen.map(|p| p.to_string()).unwrap_or_default(),
            place_name,
            count_text,
            workshops => groups.into_iter().map(|(_, g)| g).collect::<Vec<_>>(),
        },
    )
}

#[derive(Serialize)]
pub(crate) struct SessionView {
    pub id: i32,
    pub title: String,
    pub description: String,
    pub date: String,
    pub seats: String,
    pub full: bool,
    pub open: bool,
    pub cancelled: bool,
    pub cancel_reason: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct PlaceView {
    pub name: String,
    pub address: String,
    pub access: Option<String>,
    pub phone: Option<String>,
}

impl PlaceView {
    pub(crate) fn new(p: &place::Model) -> PlaceView {
        PlaceView {
            name: p.name.clone(),
            address: format!("{}, {} {}", p.address, p.postal_code, p.city),
            access: p.access_notes.clone(),
            phone: p.public_phone.clone(),
        }
    }
}

/// A session with its workshop and place, as residents see it.
pub(crate) async fn session_view(ctx: &Ctx, s: &Session) -> Result<(SessionView, PlaceView), PageError> {
    let description = workshop::Entity::find_by_id(s.workshop_id)
        .one(&ctx.state.db)
        .await?
        .map(|w| w.description)
        .unwrap_or_default();
    let place = place::Entity::find_by_id(s.place_id)
        .one(&ctx.state.db)
        .await?
        .ok_or_else(|| PageError::internal("session without place"))?;
    Ok((
        SessionView {
            id: s.id,
            title: s.workshop_title.clone(),
            description,
            date: french::short_span(&s.starts_at, &s.ends_at, ctx.year()),
            seats: french::seats_left(s.seats_left),
            full: s.seats_left <= 0,
            open: s.registration_open,
            cancelled: s.status == SessionStatus::Cancelled,
            cancel_reason: s.cancel_reason.clone(),
        },
        PlaceView::new(&place),
    ))
}

fn not_found() -> PageError {
    PageError::NotFound("Cette séance n'existe pas. Elle a peut-être été retirée : choisissez-en une autre.".into())
}

async fn load(ctx: &Ctx, id: &str) -> Result<Session, PageError> {
    let id: i32 = id.parse().map_err(|_| not_found())?;
    queries::session(&ctx.state.db, id, ctx.now())
        .await?
        .ok_or_else(not_found)
}

async fn form_page(ctx: &Ctx, s: &Session, status: StatusCode, values: Value, errors: FormErrors) -> PageResult {
    let (session, place) = session_view(ctx, s).await?;
    ctx.render_status(
        status,
        "workshops/session.html",
        context! { nav => "ateliers", session, place, values, errors },
    )
}

#[handler]
async fn show(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let s = load(&ctx, &id).await?;
    form_page(&ctx, &s, StatusCode::OK, context! {}, FormErrors::default()).await
}

#[handler]
async fn register(ctx: Ctx, Path(id): Path<String>, form: FormData) -> PageResult {
    if !ctx.csrf.accepts(&form) {
        return Err(PageError::Csrf);
    }
    let s = load(&ctx, &id).await?;
    let mut errors = FormErrors::default();
    let contact = forms::contact(&form, &mut errors);
    let consent = form.checked("consent");
    if !consent {
        errors.add("consent", RegistrationError::ConsentMissing.to_string());
    }
    let values = || {
        let mut v = form.values();
        if consent {
            v.insert("consent".into(), "oui".into());
        }
        if form.checked("sms") {
            v.insert("sms".into(), "oui".into());
        }
        Value::from_serialize(&v)
    };
    let Some(contact) = contact.filter(|_| errors.is_empty()) else {
        return form_page(&ctx, &s, StatusCode::UNPROCESSABLE_ENTITY, values(), errors).await;
    };
    let reach_field = if contact.email.is_some() { "email" } else { "phone" };
    match service::register(
        &ctx.state,
        s.id,
        contact,
        consent,
        forms::sms_choice(&form),
        Booker::Resident,
    )
    .await
    {
        Ok(done) => Ok(see_other(&format!("/inscription/{}", done.manage_token))),
        Err(e) => {
            let message = e.to_string();
            let (status, field) = match e {
                RegistrationError::SessionNotFound => return Err(not_found()),
                RegistrationError::AlreadyRegistered => (StatusCode::CONFLICT, reach_field),
                RegistrationError::ConsentMissing => (StatusCode::UNPROCESSABLE_ENTITY, "consent"),
                RegistrationError::Closed(RegistrationClosed::Closed | RegistrationClosed::SessionCancelled) => {
                    (StatusCode::CONFLICT, "")
                }
                other => return Err(PageError::internal(other)),
            };
            let mut errors = FormErrors::default();
            errors.add(field, message);
            // Reload: the session may have closed or filled up meanwhile.
            let s = load(&ctx, &id).await?;
            form_page(&ctx, &s, status, values(), errors).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::duration_words;

    #[test]
    fn durations_are_said_in_hours_and_minutes() {
        assert_eq!(duration_words(120), "2 heures");
        assert_eq!(duration_words(90), "1 heure 30");
        assert_eq!(duration_words(45), "45 minutes");
    }
}
