//! Moving an appointment to another free slot, at the same place or at another place that
//! offers the reason: the free slots, the confirmation (old and new time), the move. A slot
//! taken in the meantime is said so, with the nearest free slots, and nothing changes.
use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use entities::{appointment, place};
use minijinja::context;
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::{Deserialize, Serialize};

use super::{
    Back, STAFF_SLOT_DAYS, STALE, appointment_facts, appointment_in_org, appointment_places, booker, is_stale,
    parse_slot, place_in_org, slot_days, staff_motif, staff_slots,
};
use crate::{
    appointments::{queries::organisation_tz, service},
    french,
    pages::{
        PageError, PageResult, error,
        forms::{FormData, FormErrors},
        params::{parse_date, slot_param},
        see_other,
        session_cookie::StaffCtx,
    },
};

/// How many free slots around a refused one are offered instead.
const NEAREST: usize = 6;

#[derive(Deserialize)]
pub(crate) struct MoveQuery {
    lieu: Option<String>,
    jour: Option<String>,
    debut: Option<String>,
    retour: Option<String>,
}

/// The places of the organisation that offer the appointment's reason.
async fn places_offering(ctx: &StaffCtx, a: &appointment::Model) -> Result<Vec<place::Model>, PageError> {
    let offering = crate::appointments::queries::offering_place_ids(&ctx.state().db, Some(a.motif_id)).await?;
    Ok(appointment_places(ctx)
        .await?
        .into_iter()
        .filter(|p| offering.contains(&p.id))
        .collect())
}

/// What the move page shows: where to look, and which slots.
struct Search<'a> {
    a: &'a appointment::Model,
    target: &'a place::Model,
    tz: Tz,
    day: chrono::NaiveDate,
    back: Back,
}

/// The free slots of the target place, or (`wanted`) those nearest a refused one.
async fn move_page(
    ctx: &StaffCtx,
    s: Search<'_>,
    wanted: Option<DateTime<Utc>>,
    status: StatusCode,
    errors: FormErrors,
) -> PageResult {
    let m = staff_motif(ctx, s.target, &s.a.motif_id.to_string()).await?;
    let year = ctx.state().clock.now().with_timezone(&s.tz).year();
    let slots = staff_slots(ctx, s.target, s.tz, &m, s.day).await?;
    let nearest = wanted.map(|w| {
        let mut near: Vec<_> = slots.iter().collect();
        near.sort_by_key(|slot| ((slot.starts_at - w).num_seconds().abs(), slot.starts_at));
        near.truncate(NEAREST);
        near.sort_by_key(|slot| slot.starts_at);
        slot_days(near, s.tz, year)
    });
    #[derive(Serialize)]
    struct PlaceChoice {
        value: i32,
        label: String,
    }
    let places: Vec<PlaceChoice> = places_offering(ctx, s.a)
        .await?
        .into_iter()
        .map(|p| PlaceChoice {
            value: p.id,
            label: p.name,
        })
        .collect();
    let appointment = appointment_facts(ctx, s.a, s.tz).await?;
    ctx.render_status(
        status,
        "staff/appointment_move.html",
        context! {
            nav => "rendez-vous",
            appointment,
            places,
            lieu => s.target.id,
            lieu_name => &s.target.name,
            motif => &m.label,
            jour => s.day.to_string(),
            next => (s.day + Duration::days(STAFF_SLOT_DAYS)).to_string(),
            days => slot_days(&slots, s.tz, year),
            nearest,
            retour => s.back.value(),
            errors,
        },
    )
}

/// The target place (the appointment's own when none is asked): one of the organisation's.
async fn target_place(
    ctx: &StaffCtx,
    a: &appointment::Model,
    raw: Option<&str>,
) -> Result<(place::Model, Tz), PageError> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty());
    place_in_org(ctx, raw.unwrap_or(&a.place_id.to_string())).await
}

#[handler]
pub(crate) async fn move_form(ctx: StaffCtx, Path(id): Path<String>, Query(q): Query<MoveQuery>) -> PageResult {
    ctx.require_manager()?;
    let a = appointment_in_org(&ctx, &id).await?;
    let back = Back::parse(q.retour.as_deref());
    let (target, tz) = target_place(&ctx, &a, q.lieu.as_deref()).await?;
    if let Some(start) = q.debut.as_deref().and_then(parse_slot) {
        return confirm_page(&ctx, &a, &target, tz, start, back).await;
    }
    let today = ctx.state().clock.now().with_timezone(&tz).date_naive();
    let day = q.jour.as_deref().and_then(parse_date).unwrap_or(today).max(today);
    let search = Search {
        a: &a,
        target: &target,
        tz,
        day,
        back,
    };
    move_page(&ctx, search, None, StatusCode::OK, FormErrors::default()).await
}

async fn confirm_page(
    ctx: &StaffCtx,
    a: &appointment::Model,
    target: &place::Model,
    tz: Tz,
    start: DateTime<Utc>,
    back: Back,
) -> PageResult {
    let m = staff_motif(ctx, target, &a.motif_id.to_string()).await?;
    let year = ctx.state().clock.now().with_timezone(&tz).year();
    let appointment = appointment_facts(ctx, a, tz).await?;
    let local = start.with_timezone(&tz);
    ctx.render(
        "staff/appointment_move_confirm.html",
        context! {
            nav => "rendez-vous",
            appointment,
            lieu => target.id,
            lieu_name => &target.name,
            same_place => target.id == a.place_id,
            new_when => french::short_at(&local, year),
            new_end => french::time(&(local + service::duration(&m))),
            jour => local.date_naive().to_string(),
            start => slot_param(start),
            retour => back.value(),
        },
    )
}

#[handler]
pub(crate) async fn move_to(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let a = appointment_in_org(&ctx, &id).await?;
    let back = Back::parse(form.opt("retour"));
    let (target, tz) = target_place(&ctx, &a, form.opt("lieu")).await?;
    let start =
        parse_slot(form.get("start")).ok_or_else(|| PageError::BadRequest("Aucun horaire n'a été choisi.".into()))?;
    let today = ctx.state().clock.now().with_timezone(&tz).date_naive();
    let search = Search {
        a: &a,
        target: &target,
        tz,
        day: start.with_timezone(&tz).date_naive().max(today),
        back,
    };
    if is_stale(&a, &form) {
        return move_page(&ctx, search, Some(start), StatusCode::CONFLICT, FormErrors::form(STALE)).await;
    }
    match service::reschedule_to(ctx.state(), a.id, Some(target.id), start, None, booker(&ctx), None).await {
        Ok(moved) => {
            let tz = organisation_tz(&ctx.state().db, moved.organisation_id).await?;
            let day = moved.starts_at.with_timezone(&tz).date_naive();
            Ok(see_other(&back.url(moved.place_id, day, "deplace", moved.id)))
        }
        Err(e) => {
            let (status, message) = error::on_form(&e)?;
            let a = appointment_in_org(&ctx, &id).await?;
            let search = Search { a: &a, ..search };
            move_page(&ctx, search, Some(start), status, FormErrors::form(message)).await
        }
    }
}
