//! Changing a session: time, place (and desks), capacity, facilitator, registration closing
//! time. A new time or place meets the planning rules of creation (warnings to confirm with
//! "Enregistrer quand même"). The form carries the version it was filled from, so a change
//! made meanwhile is not overwritten.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entities::{place, session, staff_member};
use minijinja::{Value, context};
use poem::{handler, http::StatusCode, web::Path};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::create::Sent;
use super::fields::{
    Choice, PlanningCheck, capacity_field, choice, choices, confirmation, desk_choices, desks_field, planning_refusal,
    times_field, wall_instant,
};
use super::show::{load, session_context};
use crate::{
    pages::{
        PageError, PageResult,
        forms::{FormData, FormErrors},
        params::parse_date,
        see_other,
        session_cookie::StaffCtx,
    },
    workshops::{
        desks::{self, DeskChange},
        planning,
        service::{self, ChangeError, RegistrationError, SessionChange},
    },
};

/// The staff of the organisation who may lead a session.
async fn facilitators(ctx: &StaffCtx) -> Result<Vec<Choice>, PageError> {
    Ok(staff_member::Entity::find()
        .filter(staff_member::Column::OrganisationId.eq(ctx.me.organisation_id))
        .filter(staff_member::Column::Active.eq(true))
        .order_by_asc(staff_member::Column::Name)
        .all(&ctx.state().db)
        .await?
        .into_iter()
        .map(|m| Choice {
            value: m.id.to_string(),
            label: m.name,
        })
        .collect())
}

/// The form's fields as the session stands.
fn current_values(s: &session::Model, tz: Tz) -> Value {
    let local = |t: DateTime<Utc>| t.with_timezone(&tz);
    let (start, end, closes) = (local(s.starts_at), local(s.ends_at), local(s.registration_closes_at));
    let closes_at_start = s.registration_closes_at == s.starts_at;
    context! {
        place => s.place_id.to_string(),
        date => start.format("%Y-%m-%d").to_string(),
        start => start.format("%H:%M").to_string(),
        end => end.format("%H:%M").to_string(),
        capacity => s.capacity.to_string(),
        facilitator => s.facilitator_id.map(|f| f.to_string()).unwrap_or_default(),
        closes_date => (!closes_at_start).then(|| closes.format("%Y-%m-%d").to_string()),
        closes_time => (!closes_at_start).then(|| closes.format("%H:%M").to_string()),
        version => service::version(s),
    }
}

/// The desks the form shows ticked: those the session occupies, none when it takes all of
/// its place's (nothing ticked means all of them, as on the creation form).
async fn desks_shown(ctx: &StaffCtx, s: &session::Model) -> Result<Vec<u32>, PageError> {
    let p = planning::in_org::<place::Entity>(ctx.state(), &ctx.me, s.place_id).await?;
    let stored = desks::decode(s.desks.as_deref());
    let all = desks::resolve(&p, None).unwrap_or_default();
    Ok(if stored == all { Vec::new() } else { stored })
}

/// The desks asked by the form: unchanged when the session stays at its place with the boxes
/// ticked as shown (a change of capacity never moves desks), else as ticked.
async fn desk_change(
    ctx: &StaffCtx,
    s: &session::Model,
    place_id: i32,
    ticked: Option<Vec<i32>>,
) -> Result<DeskChange, PageError> {
    let mut sent: Vec<i64> = ticked.iter().flatten().map(|&d| i64::from(d)).collect();
    sent.sort_unstable();
    sent.dedup();
    let shown: Vec<i64> = desks_shown(ctx, s).await?.into_iter().map(i64::from).collect();
    Ok(if place_id == s.place_id && sent == shown {
        DeskChange::Unchanged
    } else {
        DeskChange::Chosen(ticked)
    })
}

async fn edit_page(ctx: &StaffCtx, id: &str, status: StatusCode, sent: Sent, errors: FormErrors) -> PageResult {
    let l = load(ctx, id).await?;
    let session = session_context(ctx, &l);
    let (_, places) = choices(ctx).await?;
    let facilitators = facilitators(ctx).await?;
    let desk_choices = desk_choices(ctx).await?;
    ctx.render_status(
        status,
        "staff/session_edit.html",
        context! {
            nav => "seances", session, places, facilitators, desk_choices, values => sent.values,
            desks_ticked => sent.desks, planning => sent.check, errors
        },
    )
}

async fn session_in_org(ctx: &StaffCtx, id: &str) -> Result<session::Model, PageError> {
    let id: i32 = id
        .parse()
        .map_err(|_| PageError::NotFound("Cette séance n'existe pas.".into()))?;
    Ok(planning::in_org::<session::Entity>(ctx.state(), &ctx.me, id).await?)
}

#[handler]
pub(crate) async fn edit_form(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    ctx.require_manager()?;
    let s = session_in_org(&ctx, &id).await?;
    let sent = Sent {
        values: current_values(&s, ctx.state().settings.timezone),
        desks: desks_shown(&ctx, &s).await?.iter().map(u32::to_string).collect(),
        check: PlanningCheck::default(),
    };
    edit_page(&ctx, &id, StatusCode::OK, sent, FormErrors::default()).await
}

#[handler]
pub(crate) async fn edit(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let s = session_in_org(&ctx, &id).await?;
    let (_, places) = choices(&ctx).await?;
    let facilitators = facilitators(&ctx).await?;
    let tz = ctx.state().settings.timezone;
    let mut errors = FormErrors::default();
    let place_id = choice(&form, "place", &places, &mut errors, "Choisissez le lieu.");
    let (starts_at, ends_at) = times_field(&form, tz, &mut errors);
    let capacity = capacity_field(&form, &mut errors);
    let (desks, desks_ticked) = desks_field(&form);
    let facilitator = match form.opt("facilitator") {
        None => Some(None),
        Some(_) => choice(
            &form,
            "facilitator",
            &facilitators,
            &mut errors,
            "Choisissez l'animateur dans la liste.",
        )
        .map(Some),
    };
    let closes = match (form.opt("closes_date"), form.opt("closes_time")) {
        (None, None) => Some(None),
        (d, t) => {
            let d = d.and_then(parse_date);
            let t = t.and_then(super::fields::parse_time);
            if d.is_none() {
                errors.add(
                    "closes_date",
                    "Indiquez le jour de fin des inscriptions, ou laissez les deux champs vides.",
                );
            }
            if t.is_none() {
                errors.add(
                    "closes_time",
                    "Indiquez l'heure de fin des inscriptions, ou laissez les deux champs vides.",
                );
            }
            match (d, t) {
                (Some(d), Some(t)) => wall_instant(tz, d, t, "closes_time", &mut errors).map(Some),
                _ => None,
            }
        }
    };
    if let (Some(starts_at), Some(Some(closes))) = (starts_at, closes)
        && closes > starts_at
    {
        errors.add(
            "closes_date",
            "Les inscriptions doivent se terminer au plus tard au début de la séance.",
        );
    }
    let mut sent = Sent {
        values: Value::from_serialize(form.values()),
        desks: desks_ticked,
        check: PlanningCheck::default(),
    };
    let (true, Some(place_id), Some(starts_at), Some(ends_at), Some(capacity), Some(facilitator), Some(closes)) = (
        errors.is_empty(),
        place_id,
        starts_at,
        ends_at,
        capacity,
        facilitator,
        closes,
    ) else {
        return edit_page(&ctx, &id, StatusCode::UNPROCESSABLE_ENTITY, sent, errors).await;
    };
    let change = SessionChange {
        place_id: Some(place_id),
        starts_at: Some(starts_at),
        ends_at: Some(ends_at),
        capacity,
        facilitator_id: Some(facilitator),
        registration_closes_at: Some(closes.unwrap_or(starts_at)),
        desks: desk_change(&ctx, &s, place_id, desks).await?,
        confirmation: confirmation(&form),
        seen_version: form.opt("version").map(str::to_string),
    };
    let e = match service::edit_session(ctx.state(), &ctx.me, s.id, change).await {
        Ok(_) => return Ok(see_other(&format!("/staff/seances/{}?fait=modifiee", s.id))),
        Err(e) => e,
    };
    let status = match e {
        ChangeError::Planning(e) => {
            let (status, check) = planning_refusal(
                &mut errors,
                e,
                &[
                    ("starts_at", "date"),
                    ("ends_at", "end"),
                    ("desks", "desks"),
                    ("capacity", "capacity"),
                    ("facilitator_id", "facilitator"),
                ],
            )?;
            sent.check = check;
            status
        }
        ChangeError::Registration(RegistrationError::Capacity(_)) => {
            errors.add("capacity", e.to_string());
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ChangeError::Stale | ChangeError::SessionCancelled => {
            errors.add("", e.to_string());
            // A stale form keeps what was typed and takes the current version: the page shows
            // the session as it now stands, and sending again is a decision made knowing it.
            let mut values = form.values();
            let current = session_in_org(&ctx, &id).await?;
            values.insert("version".into(), service::version(&current));
            sent.values = Value::from_serialize(values);
            StatusCode::CONFLICT
        }
        e => return Err(PageError::from(e)),
    };
    edit_page(&ctx, &id, status, sent, errors).await
}
