//! Closures of a place or one desk: adding or editing one (on the place's schedule page),
//! the closure's page listing the booked appointments it overlaps with one confirmation to
//! cancel them all and tell the residents, deleting it. After an edit, as after an add, the
//! closure's page lists the appointments of its new period.
use chrono::NaiveTime;
use entities::{closure, motif, place};
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use super::{
    STALE, id_of,
    opening_rules::{Editing, schedule_page, schedule_refused, typed_time, wall_instant},
    place_in_org, refused, stale, version,
};
use crate::{
    appointments::schedule_admin::{self, ClosureFields},
    french,
    pages::{
        PageError, PageResult,
        forms::{FormData, FormErrors},
        params::parse_date,
        see_other,
        session_cookie::StaffCtx,
        staff::notice::Done,
    },
};

/// The page's names for the API's fields.
const RENAMES: [(&str, &str); 3] = [
    ("ends_at", "closure_end_time"),
    ("starts_at", "closure_start_time"),
    ("desk", "closure_desk"),
];

/// Reads the closure form, wall times in the organisation's zone; every problem is added
/// to `errors`.
fn read_closure(ctx: &StaffCtx, form: &FormData, errors: &mut FormErrors) -> Option<ClosureFields> {
    let mut instant = |date_field: &str, time_field: &str, what: &str| {
        let date = parse_date(form.get(date_field));
        if date.is_none() {
            errors.add(date_field, format!("Indiquez la date {what} (exemple : 12/01/2027)."));
        }
        let time = NaiveTime::parse_from_str(&typed_time(form.get(time_field)), "%H:%M").ok();
        if time.is_none() {
            errors.add(time_field, format!("Indiquez l'heure {what} (exemple : 14:00)."));
        }
        let at = date.zip(time).and_then(|(d, t)| wall_instant(ctx, d, t));
        if date.is_some() && time.is_some() && at.is_none() {
            errors.add(
                time_field,
                "Cette heure n'existe pas ce jour-là (passage à l'heure d'été).",
            );
        }
        at
    };
    let starts_at = instant("closure_start_date", "closure_start_time", "de début");
    let ends_at = instant("closure_end_date", "closure_end_time", "de fin");
    let desk = match form.opt("closure_desk") {
        None => Some(None),
        Some(raw) => match raw.parse::<i32>() {
            Ok(d) => Some(Some(d)),
            Err(_) => {
                errors.add("closure_desk", "Choisissez tout le lieu ou un guichet.");
                None
            }
        },
    };
    if !errors.is_empty() {
        return None;
    }
    Some(ClosureFields {
        desk: desk?,
        starts_at: starts_at?,
        ends_at: ends_at?,
        reason: form.get("closure_reason").into(),
    })
}

#[handler]
pub(crate) async fn add(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let p = place_in_org(&ctx, &id).await?;
    let mut errors = FormErrors::default();
    if let Some(fields) = read_closure(&ctx, &form, &mut errors) {
        match schedule_admin::add_closure(ctx.state(), ctx.me.organisation_id, p.id, &fields).await {
            Ok(c) => return Ok(see_other(&format!("/staff/reglages/fermetures/{}?fait=creee", c.id))),
            Err(e) => refused(&mut errors, &e, "closure_", &RENAMES)?,
        }
    }
    schedule_refused(&ctx, &p, &form, errors, None).await
}

/// A stored closure as its form shows it, in the organisation's zone.
fn closure_values(ctx: &StaffCtx, c: &closure::Model) -> Value {
    let tz = ctx.state().settings.timezone;
    let (start, end) = (c.starts_at.with_timezone(&tz), c.ends_at.with_timezone(&tz));
    context! {
        closure_desk => c.desk.map(|d| d.to_string()),
        closure_start_date => start.date_naive().to_string(), closure_start_time => start.format("%H:%M").to_string(),
        closure_end_date => end.date_naive().to_string(), closure_end_time => end.format("%H:%M").to_string(),
        closure_reason => &c.reason, version => version(c),
    }
}

#[handler]
pub(crate) async fn edit_form(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    ctx.require_manager()?;
    let (c, p) = closure_in_org(&ctx, &id).await?;
    let values = closure_values(&ctx, &c);
    let editing = Some(Editing::closure(c.id));
    schedule_page(&ctx, &p, StatusCode::OK, None, values, FormErrors::default(), editing).await
}

/// Saves a closure's form, then shows the closure's page with the appointments of its new
/// period; a form opened before a colleague's change says so and changes nothing.
#[handler]
pub(crate) async fn update(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let (c, p) = closure_in_org(&ctx, &id).await?;
    let editing = Some(Editing::closure(c.id));
    if stale(&form, &c) {
        let (values, errors) = (closure_values(&ctx, &c), FormErrors::form(STALE));
        return schedule_page(&ctx, &p, StatusCode::CONFLICT, None, values, errors, editing).await;
    }
    let mut errors = FormErrors::default();
    if let Some(fields) = read_closure(&ctx, &form, &mut errors) {
        match schedule_admin::update_closure(ctx.state(), ctx.me.organisation_id, c.id, &fields).await {
            Ok(c) => return Ok(see_other(&format!("/staff/reglages/fermetures/{}?fait=modifiee", c.id))),
            Err(e) => refused(&mut errors, &e, "closure_", &RENAMES)?,
        }
    }
    schedule_refused(&ctx, &p, &form, errors, editing).await
}

#[derive(Serialize)]
struct Affected {
    when: String,
    name: String,
    motif: String,
    desk: i32,
}

async fn closure_in_org(ctx: &StaffCtx, raw: &str) -> Result<(closure::Model, place::Model), PageError> {
    let org = ctx.me.organisation_id;
    let c = schedule_admin::find_closure(ctx.state(), org, id_of(raw)?).await?;
    let p = schedule_admin::place_of(ctx.state(), org, c.place_id).await?;
    Ok((c, p))
}

#[handler]
pub(crate) async fn show(ctx: StaffCtx, Path(id): Path<String>, Query(done): Query<Done>) -> PageResult {
    ctx.require_manager()?;
    let (c, p) = closure_in_org(&ctx, &id).await?;
    let db = &ctx.state().db;
    let tz = ctx.state().settings.timezone;
    let rows = schedule_admin::overlapping(db, &c).await?;
    let motif_ids: Vec<i32> = rows.iter().map(|a| a.motif_id).collect();
    let labels: std::collections::HashMap<i32, String> = motif::Entity::find()
        .filter(motif::Column::Id.is_in(motif_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.label))
        .collect();
    let affected: Vec<Affected> = rows
        .into_iter()
        .map(|a| Affected {
            when: french::at(tz, a.starts_at),
            motif: labels.get(&a.motif_id).cloned().unwrap_or_default(),
            desk: a.desk,
            name: a.name,
        })
        .collect();
    let notice = match (done.fait.as_deref(), done.n) {
        (Some("creee"), _) => Some("La fermeture est enregistrée.".to_string()),
        (Some("modifiee"), _) => Some("La fermeture est modifiée.".to_string()),
        (Some("annules"), Some(n)) => Some(format!(
            "{} : les personnes sont prévenues.",
            match n {
                0 => "Aucun rendez-vous annulé".to_string(),
                1 => "1 rendez-vous annulé".to_string(),
                n => format!("{n} rendez-vous annulés"),
            }
        )),
        _ => None,
    };
    ctx.render(
        "staff/config/closure.html",
        context! {
            nav => "reglages", id => c.id, place => context! { id => p.id, name => &p.name },
            when => french::span(tz, c.starts_at, c.ends_at),
            scope => c.desk.map_or_else(|| "tout le lieu".to_string(), |d| format!("guichet {d}")),
            reason => &c.reason, affected, notice,
        },
    )
}

/// One confirmation: every booked appointment of the closure is cancelled, each resident told.
#[handler]
pub(crate) async fn cancel_appointments(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let n = schedule_admin::cancel_overlapping(ctx.state(), &ctx.me, id_of(&id)?).await?;
    Ok(see_other(&format!(
        "/staff/reglages/fermetures/{id}?fait=annules&n={n}"
    )))
}

#[handler]
pub(crate) async fn delete(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let deleted = schedule_admin::delete_closure(ctx.state(), ctx.me.organisation_id, id_of(&id)?).await?;
    Ok(see_other(&format!(
        "/staff/reglages/lieux/{}/horaires?fait=fermeture-supprimee",
        deleted.place_id
    )))
}
