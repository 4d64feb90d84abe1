//! `/ateliers`: the sessions to choose from, one session's page and its registration form.
use std::collections::BTreeMap;

use chrono::Duration;
use entities::{
    activity_record::Theme,
    place,
    theme_mapping::{self, MappedKind},
    workshop,
};
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use super::routes::{PageRoutes, get};
use super::{
    Ctx, PageError, PageResult,
    forms::{self, EmailCheck, FormData, FormErrors},
    see_other,
};
use crate::french;
use crate::{
    domain::{capacity::RegistrationClosed, contact::Voice},
    records::codes::{Coded, stored_set},
    workshops::{
        demand,
        dto::{Session, SessionStatus},
        queries::{self, SessionFilter},
        service::{self, Booker, RegistrationError},
    },
};

pub(crate) fn routes() -> PageRoutes {
    PageRoutes::new()
        .at("/", get(list))
        .at("/:id", get(show).post(register))
}

/// Sessions shown: the coming 90 days.
const HORIZON_DAYS: i64 = 90;

/// Dates shown on a workshop's card; the others are one link away.
const DATES_PER_CARD: usize = 3;

#[derive(Deserialize)]
struct ListQuery {
    lieu: Option<String>,
    theme: Option<String>,
    atelier: Option<String>,
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
struct WorkshopCard {
    id: i32,
    title: String,
    summary: String,
    level: String,
    duration: String,
    themes: Vec<&'static str>,
    sessions: Vec<SessionCard>,
    /// Dates left off the card.
    more: usize,
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

/// The themes staff gave each workshop (`theme_mapping`), by workshop id.
async fn workshop_themes(ctx: &Ctx) -> Result<BTreeMap<i32, Vec<Theme>>, PageError> {
    let rows = theme_mapping::Entity::find()
        .filter(theme_mapping::Column::TargetKind.eq(MappedKind::Workshop))
        .all(&ctx.state.db)
        .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        out.insert(r.target_id, stored_set::<Theme>(&r.themes)?);
    }
    Ok(out)
}

/// "1 atelier", "4 ateliers, 23 dates".
fn count_words(workshops: usize, sessions: usize) -> String {
    let w = if workshops == 1 {
        "1 atelier".to_string()
    } else {
        format!("{workshops} ateliers")
    };
    match sessions {
        0 => String::new(),
        1 => format!("{w}, 1 date."),
        n => format!("{w}, {n} dates."),
    }
}

/// `/ateliers`: one card per workshop with its next dates, the most wanted first (see
/// `workshops::demand`), filtered by place and theme; `?atelier=` shows all of one
/// workshop's dates.
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
    let themes = workshop_themes(&ctx).await?;
    let mut places: BTreeMap<String, i32> = BTreeMap::new();
    let mut offered: Vec<Theme> = Vec::new();
    for s in &all {
        places.insert(s.place_name.clone(), s.place_id);
        offered.extend(themes.get(&s.workshop_id).into_iter().flatten());
    }
    offered.sort_by_key(|t| t.label());
    offered.dedup();
    let chosen = q.lieu.as_deref().and_then(|v| v.parse::<i32>().ok());
    let place_name = chosen.and_then(|id| places.iter().find(|(_, p)| **p == id).map(|(n, _)| n.clone()));
    let theme = q
        .theme
        .as_deref()
        .and_then(Theme::parse)
        .filter(|t| offered.contains(t));
    let one = q.atelier.as_deref().and_then(|v| v.parse::<i32>().ok());
    let shown: Vec<&Session> = all
        .iter()
        .filter(|s| chosen.is_none_or(|p| s.place_id == p))
        .filter(|s| theme.is_none_or(|t| themes.get(&s.workshop_id).is_some_and(|ts| ts.contains(&t))))
        .filter(|s| one.is_none_or(|w| s.workshop_id == w))
        .collect();

    let catalogue: BTreeMap<i32, workshop::Model> = workshop::Entity::find()
        .all(&ctx.state.db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    // Workshops in the order of their next session, then the most wanted first.
    let mut cards: Vec<WorkshopCard> = Vec::new();
    for s in &shown {
        let card = SessionCard {
            id: s.id,
            date: french::short_span(&s.starts_at, &s.ends_at, year),
            place: s.place_name.clone(),
            seats: french::seats_left(s.seats_left),
            full: s.seats_left <= 0,
            open: s.registration_open,
        };
        match cards.iter_mut().find(|w| w.id == s.workshop_id) {
            Some(w) if one.is_some() || w.sessions.len() < DATES_PER_CARD => w.sessions.push(card),
            Some(w) => w.more += 1,
            None => {
                let w = catalogue.get(&s.workshop_id);
                cards.push(WorkshopCard {
                    id: s.workshop_id,
                    title: s.workshop_title.clone(),
                    summary: w.map(|w| w.summary.clone()).unwrap_or_default(),
                    level: w.map(|w| w.level.clone()).unwrap_or_default(),
                    duration: duration_words((s.ends_at - s.starts_at).num_minutes()),
                    themes: themes
                        .get(&s.workshop_id)
                        .into_iter()
                        .flatten()
                        .map(|t| t.label())
                        .collect(),
                    sessions: vec![card],
                    more: 0,
                });
            }
        }
    }
    let demand = demand::recent_registrations(&ctx.state.db, now).await?;
    demand::most_wanted_first(&mut cards, |w| w.id, &demand);
    let count_text = count_words(cards.len(), shown.len());
    let one_title = one.and_then(|_| cards.first().map(|w| w.title.clone()));
    let places: Vec<Choice> = places
        .into_iter()
        .map(|(label, id)| Choice {
            value: id.to_string(),
            label,
        })
        .collect();
    let themes: Vec<Choice> = offered
        .into_iter()
        .map(|t| Choice {
            value: t.code(),
            label: t.label().to_string(),
        })
        .collect();
    ctx.render(
        "workshops/list.html",
        context! {
            nav => "ateliers",
            places,
            place => chosen.map(|p| p.to_string()).unwrap_or_default(),
            place_name,
            themes,
            theme => theme.map(|t| t.code()).unwrap_or_default(),
            filtered => chosen.is_some() || theme.is_some() || one.is_some(),
            one_title,
            count_text,
            workshops => cards,
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
    /// The phone as a `tel:` link target.
    pub phone_href: Option<String>,
}

impl PlaceView {
    pub(crate) fn new(p: &place::Model) -> PlaceView {
        let phone = p.public_phone.as_deref().map(str::trim).filter(|t| !t.is_empty());
        PlaceView {
            name: p.name.clone(),
            address: format!("{}, {} {}", p.address, p.postal_code, p.city),
            access: p.access_notes.clone(),
            phone: phone.map(french::phone),
            phone_href: phone.map(french::tel_href),
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

async fn form_page(
    ctx: &Ctx,
    s: &Session,
    status: StatusCode,
    values: Value,
    errors: FormErrors,
    email_check: Option<EmailCheck>,
) -> PageResult {
    let (session, place) = session_view(ctx, s).await?;
    ctx.render_status(
        status,
        "workshops/session.html",
        context! { nav => "ateliers", session, place, values, errors, email_check },
    )
}

#[handler]
async fn show(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let s = load(&ctx, &id).await?;
    form_page(&ctx, &s, StatusCode::OK, context! {}, FormErrors::default(), None).await
}

#[handler]
async fn register(ctx: Ctx, Path(id): Path<String>, form: FormData) -> PageResult {
    if !ctx.csrf.accepts(&form) {
        return Err(PageError::Csrf);
    }
    let s = load(&ctx, &id).await?;
    let mut errors = FormErrors::default();
    let mut contact = forms::contact(&form, Voice::Resident, &mut errors);
    let email_check = contact.as_mut().and_then(|c| forms::check_email(&form, c, &mut errors));
    let values = || {
        let mut v = form.values();
        if form.checked("sms") {
            v.insert("sms".into(), "oui".into());
        }
        Value::from_serialize(&v)
    };
    let Some(contact) = contact.filter(|_| errors.is_empty()) else {
        return form_page(
            &ctx,
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            values(),
            errors,
            email_check,
        )
        .await;
    };
    let reach_field = if contact.phone.is_some() { "phone" } else { "email" };
    match service::register(&ctx.state, s.id, contact, forms::sms_choice(&form), Booker::Resident).await {
        Ok(done) => Ok(see_other(&format!("/inscription/{}", done.manage_token))),
        Err(e) => {
            let message = e.to_string();
            let (status, field) = match e {
                RegistrationError::SessionNotFound => return Err(not_found()),
                RegistrationError::AlreadyRegistered => (StatusCode::CONFLICT, reach_field),
                RegistrationError::Closed(RegistrationClosed::Closed | RegistrationClosed::SessionCancelled) => {
                    (StatusCode::CONFLICT, "")
                }
                other => return Err(PageError::internal(other)),
            };
            let mut errors = FormErrors::default();
            errors.add(field, message);
            // Reload: the session may have closed or filled up meanwhile.
            let s = load(&ctx, &id).await?;
            form_page(&ctx, &s, status, values(), errors, None).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::duration_words;

    #[test]
    fn the_count_says_workshops_and_dates_with_their_plural() {
        assert_eq!(super::count_words(1, 1), "1 atelier, 1 date.");
        assert_eq!(super::count_words(4, 23), "4 ateliers, 23 dates.");
        assert_eq!(super::count_words(0, 0), "");
    }

    #[test]
    fn durations_are_said_in_hours_and_minutes() {
        assert_eq!(duration_words(120), "2 heures");
        assert_eq!(duration_words(90), "1 heure 30");
        assert_eq!(duration_words(45), "45 minutes");
    }
}
