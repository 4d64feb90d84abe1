//! `/staff/seances`: sessions, their registrants and waiting list, attendance, the printable
//! attendance sheet, registering someone at the counter, creating sessions and weekly
//! series, cancelling a session. Every change goes through `workshops::service`, the same
//! code as the admin API.
use chrono::{Duration, NaiveDate, NaiveTime, Weekday};
use entities::kinds::{BookedBy, RegistrationStatus, SessionStatus};
use entities::{place, registration, session, workshop};
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::notice::Done;
use crate::french;
use crate::pages::params::parse_date;
use crate::{
    domain::refusal::{DomainError, Refusal},
    domain::{
        capacity::RegistrationClosed,
        contact::free_text,
        series::{SeriesError, WeeklySeries, wall_to_utc_earliest},
    },
    pages::{
        PageError, PageResult,
        forms::{self, FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
    },
    workshops::{
        dto::{Attendance, Session},
        planning::{self, NewSeries, NewSession, PlanningError},
        queries::{self, SessionFilter},
        service::{self, Booker, RegistrationError},
    },
};

/// A session in a list or an agenda.
#[derive(Serialize)]
pub(crate) struct SessionRow {
    pub id: i32,
    pub title: String,
    pub place: String,
    pub when: String,
    pub confirmed: i32,
    pub capacity: i32,
    pub waiting: i32,
    pub cancelled: bool,
    pub summary: String,
}

impl SessionRow {
    /// `hours_only`: "14 h – 16 h" (an agenda already says the day).
    pub(crate) fn new(s: &Session, year: i32, hours_only: bool) -> SessionRow {
        let cancelled = s.status == SessionStatus::Cancelled;
        let confirmed = if cancelled { 0 } else { s.capacity - s.seats_left };
        let summary = if cancelled {
            "Annulée".to_string()
        } else {
            let mut t = format!(
                "{confirmed} inscrit{} sur {}",
                if confirmed > 1 { "s" } else { "" },
                s.capacity
            );
            if s.waitlist_count > 0 {
                t.push_str(&format!(", {} en attente", s.waitlist_count));
            }
            t
        };
        SessionRow {
            id: s.id,
            title: s.workshop_title.clone(),
            place: s.place_name.clone(),
            when: if hours_only {
                format!("{} – {}", french::time(&s.starts_at), french::time(&s.ends_at))
            } else {
                french::short_span(&s.starts_at, &s.ends_at, year)
            },
            confirmed,
            capacity: s.capacity,
            waiting: s.waitlist_count,
            cancelled,
            summary,
        }
    }
}

#[handler]
pub(crate) async fn list(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    let state = ctx.state();
    let now = state.clock.now();
    let filter = SessionFilter {
        from: Some(now - Duration::days(7)),
        to: Some(now + Duration::days(90)),
        organisation_id: Some(ctx.me.organisation_id),
        include_cancelled: true,
        limit: 1000,
        ..Default::default()
    };
    let y = ctx.base.year();
    let rows: Vec<SessionRow> = queries::sessions(&state.db, &filter, now)
        .await?
        .iter()
        .map(|s| SessionRow::new(s, y, false))
        .collect();
    let notice = match done.fait.as_deref() {
        Some("serie") => {
            let n = done.n.unwrap_or(0);
            let mut t = format!("{n} séance{} créée{}.", plural(n), plural(n));
            if let Some(h) = done.feries.filter(|h| *h > 0) {
                t.push_str(&format!(
                    " {h} jour{} férié{} sauté{}.",
                    plural(h),
                    plural(h),
                    plural(h)
                ));
            }
            Some(t)
        }
        _ => None,
    };
    ctx.render(
        "staff/sessions.html",
        context! { nav => "seances", sessions => rows, notice },
    )
}

fn plural(n: u32) -> &'static str {
    if n > 1 { "s" } else { "" }
}

#[derive(Serialize)]
struct Registrant {
    id: i32,
    booking_code: String,
    name: String,
    phone: Option<String>,
    email: Option<String>,
    by_staff: bool,
    present: bool,
    attendance: &'static str,
    position: Option<usize>,
    /// The number answered "STOP": no SMS reach this person.
    sms_stopped: bool,
}

fn attendance_label(a: Attendance) -> &'static str {
    match a {
        Attendance::Present => "Présent",
        Attendance::Absent => "Absent",
        Attendance::Unknown => "Non noté",
    }
}

struct Loaded {
    session: Session,
    place: place::Model,
    confirmed: Vec<Registrant>,
    waiting: Vec<Registrant>,
    cancelled: usize,
}

async fn load(ctx: &StaffCtx, id: &str) -> Result<Loaded, PageError> {
    let not_found = || PageError::NotFound("Cette séance n'existe pas.".into());
    let id: i32 = id.parse().map_err(|_| not_found())?;
    let state = ctx.state();
    let s = planning::in_org::<session::Entity>(state, &ctx.me, id).await?;
    let place = place::Entity::find_by_id(s.place_id)
        .one(&state.db)
        .await?
        .ok_or_else(not_found)?;
    let session = queries::decorate(&state.db, vec![s], state.clock.now())
        .await?
        .pop()
        .ok_or_else(not_found)?;
    let rows = registration::Entity::find()
        .filter(registration::Column::SessionId.eq(id))
        .order_by_asc(registration::Column::Id)
        .all(&state.db)
        .await?;
    let stopped = crate::notifications::sms::inbound::opted_out_among(
        &state.db,
        ctx.me.organisation_id,
        rows.iter().filter_map(|r| r.phone.clone()),
    )
    .await?;
    let person = |r: &registration::Model, position: Option<usize>| Registrant {
        id: r.id,
        booking_code: crate::domain::booking_code::display(&r.booking_code),
        name: r.name.clone(),
        phone: r.phone.as_deref().map(french::phone),
        email: r.email.clone(),
        by_staff: r.booked_by == BookedBy::Staff,
        present: r.attendance == Attendance::Present,
        attendance: attendance_label(r.attendance),
        position,
        sms_stopped: r.phone.as_ref().is_some_and(|p| stopped.contains(p)),
    };
    let confirmed = rows
        .iter()
        .filter(|r| r.status == RegistrationStatus::Confirmed)
        .map(|r| person(r, None))
        .collect();
    let waiting = rows
        .iter()
        .filter(|r| r.status == RegistrationStatus::Waitlisted)
        .enumerate()
        .map(|(i, r)| person(r, Some(i + 1)))
        .collect();
    let cancelled = rows
        .iter()
        .filter(|r| r.status == RegistrationStatus::Cancelled)
        .count();
    Ok(Loaded {
        session,
        place,
        confirmed,
        waiting,
        cancelled,
    })
}

fn session_context(ctx: &StaffCtx, l: &Loaded) -> Value {
    let s = &l.session;
    context! {
        id => s.id,
        title => &s.workshop_title,
        when => french::short_span(&s.starts_at, &s.ends_at, ctx.base.year()),
        place => &l.place.name,
        address => format!("{}, {} {}", l.place.address, l.place.postal_code, l.place.city),
        capacity => s.capacity,
        seats => french::seats_left(s.seats_left),
        cancelled => s.status == SessionStatus::Cancelled,
        cancel_reason => &s.cancel_reason,
        started => s.starts_at <= ctx.state().clock.now(),
    }
}

async fn session_page(
    ctx: &StaffCtx,
    id: &str,
    status: StatusCode,
    notice: Option<&str>,
    values: Value,
    errors: FormErrors,
) -> PageResult {
    let l = load(ctx, id).await?;
    let session = session_context(ctx, &l);
    ctx.render_status(
        status,
        "staff/session.html",
        context! {
            nav => "seances",
            session,
            confirmed => &l.confirmed,
            waiting => &l.waiting,
            cancelled_count => l.cancelled,
            confirmed_text => french::people(l.confirmed.len()),
            notice,
            values,
            errors,
        },
    )
}

#[handler]
pub(crate) async fn show(ctx: StaffCtx, Path(id): Path<String>, Query(done): Query<Done>) -> PageResult {
    let notice = match done.fait.as_deref() {
        Some("presences") => Some("Présences enregistrées."),
        Some("inscrite") => Some("La personne est inscrite : sa place est confirmée."),
        Some("attente") => Some("La séance est complète : la personne est inscrite sur la liste d'attente."),
        Some("creee") => Some("Séance créée."),
        Some("annulee") => Some("Séance annulée : les personnes inscrites sont prévenues."),
        _ => None,
    };
    session_page(&ctx, &id, StatusCode::OK, notice, context! {}, FormErrors::default()).await
}

#[handler]
pub(crate) async fn attendance(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    let l = load(&ctx, &id).await?;
    let present: Vec<i32> = form.all("present").filter_map(|v| v.parse().ok()).collect();
    for r in &l.confirmed {
        let mark = if present.contains(&r.id) {
            Attendance::Present
        } else {
            Attendance::Absent
        };
        planning::mark_attendance(ctx.state(), &ctx.me, r.id, mark).await?;
    }
    Ok(see_other(&format!("/staff/seances/{}?fait=presences", l.session.id)))
}

#[handler]
pub(crate) async fn register(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let l = load(&ctx, &id).await?;
    let mut errors = FormErrors::default();
    let contact = forms::contact(&form, &mut errors);
    let values = Value::from_serialize(form.values());
    let Some(contact) = contact.filter(|_| errors.is_empty()) else {
        return session_page(&ctx, &id, StatusCode::UNPROCESSABLE_ENTITY, None, values, errors).await;
    };
    let reach_field = if contact.phone.is_some() { "phone" } else { "email" };
    match service::register(
        ctx.state(),
        l.session.id,
        contact,
        true,
        forms::sms_choice(&form),
        Booker::Staff(ctx.me.id),
    )
    .await
    {
        Ok(done) => {
            let fait = if done.waitlist_position.is_some() {
                "attente"
            } else {
                "inscrite"
            };
            Ok(see_other(&format!("/staff/seances/{}?fait={fait}", l.session.id)))
        }
        Err(e) => {
            let message = e.to_string();
            let field = match e {
                RegistrationError::AlreadyRegistered => reach_field,
                RegistrationError::Closed(RegistrationClosed::Closed | RegistrationClosed::SessionCancelled) => "",
                other => return Err(PageError::internal(other)),
            };
            let mut errors = FormErrors::default();
            errors.add(field, message);
            session_page(&ctx, &id, StatusCode::CONFLICT, None, values, errors).await
        }
    }
}

#[handler]
pub(crate) async fn sheet(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    let l = load(&ctx, &id).await?;
    let session = session_context(&ctx, &l);
    // A few blank lines for people who come without registering.
    let blank_rows: Vec<usize> = (0..4).collect();
    ctx.render(
        "staff/sheet.html",
        context! { nav => "seances", session, confirmed => &l.confirmed, blank_rows },
    )
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

async fn choices(ctx: &StaffCtx) -> Result<(Vec<Choice>, Vec<Choice>), PageError> {
    let db = &ctx.state().db;
    let workshops = workshop::Entity::find()
        .filter(workshop::Column::OrganisationId.eq(ctx.me.organisation_id))
        .filter(workshop::Column::Active.eq(true))
        .order_by_asc(workshop::Column::Title)
        .all(db)
        .await?
        .into_iter()
        .map(|w| Choice {
            value: w.id.to_string(),
            label: w.title,
        })
        .collect();
    let places = place::Entity::find()
        .filter(place::Column::OrganisationId.eq(ctx.me.organisation_id))
        .filter(place::Column::Active.eq(true))
        .order_by_asc(place::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|p| Choice {
            value: p.id.to_string(),
            label: p.name,
        })
        .collect();
    Ok((workshops, places))
}

/// Reads a time typed by a person: `14:00` (what time fields send), `14h30`, `14 h`.
pub(crate) fn parse_time(raw: &str) -> Option<NaiveTime> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let compact = compact.replace('h', ":");
    let compact = if compact.ends_with(':') {
        format!("{compact}00")
    } else {
        compact
    };
    NaiveTime::parse_from_str(&compact, "%H:%M").ok()
}

fn choice(form: &FormData, name: &str, options: &[Choice], errors: &mut FormErrors, message: &str) -> Option<i32> {
    let v = form.get(name);
    if options.iter().any(|o| o.value == v) {
        v.parse().ok()
    } else {
        errors.add(name, message);
        None
    }
}

fn date_field(form: &FormData, name: &str, errors: &mut FormErrors, missing: &str) -> Option<NaiveDate> {
    let d = parse_date(form.get(name));
    if d.is_none() {
        errors.add(name, missing);
    }
    d
}

fn time_field(form: &FormData, name: &str, errors: &mut FormErrors, missing: &str) -> Option<NaiveTime> {
    let t = parse_time(form.get(name));
    if t.is_none() {
        errors.add(name, missing);
    }
    t
}

fn capacity_field(form: &FormData, errors: &mut FormErrors) -> Option<Option<i32>> {
    match form.opt("capacity") {
        None => Some(None),
        Some(v) => match v.parse::<i32>() {
            Ok(n) if (1..=500).contains(&n) => Some(Some(n)),
            _ => {
                errors.add(
                    "capacity",
                    "Indiquez un nombre de places entre 1 et 500, ou laissez vide.",
                );
                None
            }
        },
    }
}

/// A planning refusal shown next to the matching field of the page's form (the API's field
/// names on the left, the page's on the right); anything else is an error page.
fn refusal_on(errors: &mut FormErrors, e: PlanningError, fields: &[(&str, &str)]) -> Result<(), PageError> {
    match e.refusal() {
        Refusal::Invalid { field } => {
            let page_field = fields
                .iter()
                .find(|(api, _)| *api == field)
                .map_or("", |(_, page)| *page);
            errors.add(page_field, e.to_string());
            Ok(())
        }
        Refusal::Rule | Refusal::Conflict | Refusal::NotFound => {
            errors.add("", e.to_string());
            Ok(())
        }
        _ => Err(PageError::from(e)),
    }
}

async fn new_page(ctx: &StaffCtx, status: StatusCode, values: Value, errors: FormErrors) -> PageResult {
    let (workshops, places) = choices(ctx).await?;
    ctx.render_status(
        status,
        "staff/session_new.html",
        context! { nav => "seances", workshops, places, values, errors },
    )
}

#[handler]
pub(crate) async fn new_form(ctx: StaffCtx) -> PageResult {
    ctx.require_manager()?;
    new_page(&ctx, StatusCode::OK, context! {}, FormErrors::default()).await
}

#[handler]
pub(crate) async fn create(ctx: StaffCtx, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let (workshops, places) = choices(&ctx).await?;
    let mut errors = FormErrors::default();
    let workshop_id = choice(&form, "workshop", &workshops, &mut errors, "Choisissez un atelier.");
    let place_id = choice(&form, "place", &places, &mut errors, "Choisissez un lieu.");
    let date = date_field(&form, "date", &mut errors, "Indiquez la date (exemple : 12/01/2027).");
    let start = time_field(
        &form,
        "start",
        &mut errors,
        "Indiquez l'heure de début (exemple : 14:00).",
    );
    let end = time_field(&form, "end", &mut errors, "Indiquez l'heure de fin (exemple : 16:00).");
    let capacity = capacity_field(&form, &mut errors);
    let tz = ctx.state().settings.timezone;
    let starts_at = match (date, start) {
        (Some(d), Some(t)) => {
            let at = wall_to_utc_earliest(tz, d.and_time(t));
            if at.is_none() {
                errors.add(
                    "start",
                    "Cette heure n'existe pas ce jour-là (passage à l'heure d'été).",
                );
            }
            at
        }
        _ => None,
    };
    let ends_at = match (date, start, end) {
        (Some(_), Some(s), Some(e)) if e <= s => {
            errors.add("end", "L'heure de fin doit suivre l'heure de début.");
            None
        }
        (Some(d), _, Some(e)) => wall_to_utc_earliest(tz, d.and_time(e)),
        _ => None,
    };
    let values = Value::from_serialize(form.values());
    if let (true, Some(workshop_id), Some(place_id), Some(starts_at), Some(ends_at), Some(capacity)) =
        (errors.is_empty(), workshop_id, place_id, starts_at, ends_at, capacity)
    {
        let new = NewSession {
            workshop_id,
            place_id,
            starts_at,
            ends_at,
            capacity,
            facilitator_id: None,
            registration_closes_at: None,
        };
        match planning::create_session(ctx.state(), &ctx.me, new).await {
            Ok(s) => return Ok(see_other(&format!("/staff/seances/{}?fait=creee", s.id))),
            Err(e) => refusal_on(&mut errors, e, &[("ends_at", "end"), ("capacity", "capacity")])?,
        }
    }
    new_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, values, errors).await
}

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

async fn series_page(ctx: &StaffCtx, status: StatusCode, values: Value, errors: FormErrors) -> PageResult {
    let (workshops, places) = choices(ctx).await?;
    let weekdays: Vec<Choice> = WEEKDAYS
        .iter()
        .map(|w| Choice {
            value: w.number_from_monday().to_string(),
            label: french::weekday(*w).to_string(),
        })
        .collect();
    ctx.render_status(
        status,
        "staff/series_new.html",
        context! { nav => "seances", workshops, places, weekdays, values, errors },
    )
}

#[handler]
pub(crate) async fn series_form(ctx: StaffCtx) -> PageResult {
    ctx.require_manager()?;
    series_page(
        &ctx,
        StatusCode::OK,
        context! { skip_holidays => "oui" },
        FormErrors::default(),
    )
    .await
}

#[handler]
pub(crate) async fn create_series(ctx: StaffCtx, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let (workshops, places) = choices(&ctx).await?;
    let mut errors = FormErrors::default();
    let workshop_id = choice(&form, "workshop", &workshops, &mut errors, "Choisissez un atelier.");
    let place_id = choice(&form, "place", &places, &mut errors, "Choisissez un lieu.");
    let weekday = form
        .get("weekday")
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| WEEKDAYS.get(i).copied());
    if weekday.is_none() {
        errors.add("weekday", "Choisissez le jour de la semaine.");
    }
    let start = time_field(
        &form,
        "start",
        &mut errors,
        "Indiquez l'heure de début (exemple : 14:00).",
    );
    let end = time_field(&form, "end", &mut errors, "Indiquez l'heure de fin (exemple : 16:00).");
    let first = date_field(
        &form,
        "first_date",
        &mut errors,
        "Indiquez la première date (exemple : 05/01/2027).",
    );
    let last = date_field(
        &form,
        "last_date",
        &mut errors,
        "Indiquez la dernière date (exemple : 30/06/2027).",
    );
    let capacity = capacity_field(&form, &mut errors);
    let values = Value::from_serialize(form.values());
    if let (Some(weekday), Some(start_time), Some(end_time), Some(first_date), Some(last_date)) =
        (weekday, start, end, first, last)
    {
        let series = WeeklySeries {
            weekday,
            start_time,
            end_time,
            first_date,
            last_date,
            skip_public_holidays: form.checked("skip_holidays"),
        };
        match series.plan(ctx.state().settings.timezone) {
            Err(SeriesError::EndNotAfterStart { .. }) => {
                errors.add("end", "L'heure de fin doit suivre l'heure de début.")
            }
            Err(SeriesError::LastDateBeforeFirstDate { .. }) => {
                errors.add("last_date", "La dernière date doit suivre la première.")
            }
            Err(SeriesError::TooManyOccurrences { max }) => errors.add(
                "last_date",
                format!("Une série compte {max} séances au plus : raccourcissez la période."),
            ),
            Err(SeriesError::VanishesInDstGap { .. }) => errors.add(
                "start",
                "Une séance tomberait entièrement pendant le passage à l'heure d'été : changez les heures.",
            ),
            Ok(plan) if plan.occurrences.is_empty() => errors.add(
                "first_date",
                format!("Il n'y a aucun {} entre ces deux dates.", french::weekday(weekday)),
            ),
            Ok(_) => {}
        }
        if let (true, Some(workshop_id), Some(place_id), Some(capacity)) =
            (errors.is_empty(), workshop_id, place_id, capacity)
        {
            let new = NewSeries {
                workshop_id,
                place_id,
                series,
                capacity,
                facilitator_id: None,
            };
            match planning::create_series(ctx.state(), &ctx.me, new).await {
                Ok(created) => {
                    return Ok(see_other(&format!(
                        "/staff/seances?fait=serie&n={}&feries={}",
                        created.sessions.len(),
                        created.skipped.len()
                    )));
                }
                Err(e) => refusal_on(
                    &mut errors,
                    e,
                    &[
                        ("end_time", "end"),
                        ("last_date", "last_date"),
                        ("first_date", "first_date"),
                        ("capacity", "capacity"),
                    ],
                )?,
            }
        }
    }
    series_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, values, errors).await
}

async fn cancel_page(ctx: &StaffCtx, id: &str, status: StatusCode, values: Value, errors: FormErrors) -> PageResult {
    let l = load(ctx, id).await?;
    if l.session.status == SessionStatus::Cancelled {
        return Ok(see_other(&format!("/staff/seances/{}", l.session.id)));
    }
    let session = session_context(ctx, &l);
    let told = l.confirmed.len() + l.waiting.len();
    ctx.render_status(
        status,
        "staff/session_cancel.html",
        context! { nav => "seances", session, told_text => french::people(told), values, errors },
    )
}

#[handler]
pub(crate) async fn cancel_form(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    ctx.require_manager()?;
    cancel_page(&ctx, &id, StatusCode::OK, context! {}, FormErrors::default()).await
}

#[handler]
pub(crate) async fn cancel(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let l = load(&ctx, &id).await?;
    let mut errors = FormErrors::default();
    let reason = free_text(Some(form.get("reason")), 500)
        .map_err(|e| errors.add("reason", e.to_string()))
        .ok()
        .flatten();
    if !form.checked("confirm") {
        errors.add("confirm", "Cochez la case pour confirmer l'annulation.");
    }
    if !errors.is_empty() {
        let values = Value::from_serialize(form.values());
        return cancel_page(&ctx, &id, StatusCode::UNPROCESSABLE_ENTITY, values, errors).await;
    }
    match service::cancel_session(ctx.state(), l.session.id, reason).await {
        Ok(_) | Err(RegistrationError::Closed(RegistrationClosed::SessionCancelled)) => {
            Ok(see_other(&format!("/staff/seances/{}?fait=annulee", l.session.id)))
        }
        Err(e) => Err(PageError::internal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_time_fields_send_them_or_as_people_type_them() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0);
        assert_eq!(parse_time("14:00"), t(14, 0));
        assert_eq!(parse_time("14h30"), t(14, 30));
        assert_eq!(parse_time("9 h"), t(9, 0));
        assert_eq!(parse_time("midi"), None);
    }
}
