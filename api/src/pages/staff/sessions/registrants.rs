//! One registrant of a session: move them to another session of the same workshop, take
//! them off with a reason, or give them a seat from the waiting list.
use entities::kinds::{RegistrationStatus, SessionStatus};
use entities::{registration, session};
use minijinja::{Value, context};
use poem::{handler, http::StatusCode, web::Path};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::show::{Loaded, Registrant, load, session_context};
use crate::{
    domain::contact::free_text,
    french,
    pages::{
        PageError, PageResult,
        forms::{FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
    },
    workshops::{
        planning, queries,
        service::{self, ChangeError, RegistrationError},
    },
};

/// A session the person may be moved to.
#[derive(Serialize)]
struct Target {
    value: String,
    label: String,
}

/// The other sessions of the same workshop still taking registrations, soonest first.
async fn targets(ctx: &StaffCtx, l: &Loaded) -> Result<Vec<Target>, PageError> {
    let state = ctx.state();
    let now = state.clock.now();
    let rows = session::Entity::find()
        .filter(session::Column::OrganisationId.eq(ctx.me.organisation_id))
        .filter(session::Column::WorkshopId.eq(l.session.workshop_id))
        .filter(session::Column::Status.eq(SessionStatus::Scheduled))
        .filter(session::Column::EndsAt.gt(now))
        .filter(session::Column::Id.ne(l.session.id))
        .order_by_asc(session::Column::StartsAt)
        .all(&state.db)
        .await?;
    let year = ctx.base.year();
    Ok(queries::decorate(&state.db, rows, now)
        .await?
        .iter()
        .map(|s| Target {
            value: s.id.to_string(),
            label: format!(
                "{} — {} — {}",
                french::short_span(&s.starts_at, &s.ends_at, year),
                s.place_name,
                if s.seats_left > 0 {
                    french::seats_left(s.seats_left)
                } else {
                    "complète".to_string()
                }
            ),
        })
        .collect())
}

struct Found {
    loaded: Loaded,
    registration_id: i32,
}

/// The session of the path and one of its live registrants (another session's, or another
/// organisation's, is not found).
async fn find(ctx: &StaffCtx, id: &str, rid: &str) -> Result<Found, PageError> {
    let not_found = || PageError::NotFound("Cette inscription n'existe pas.".into());
    let loaded = load(ctx, id).await?;
    let rid: i32 = rid.parse().map_err(|_| not_found())?;
    let r = planning::in_org::<registration::Entity>(ctx.state(), &ctx.me, rid).await?;
    if r.session_id != loaded.session.id {
        return Err(not_found());
    }
    Ok(Found {
        loaded,
        registration_id: r.id,
    })
}

fn person(l: &Loaded, rid: i32) -> Option<&Registrant> {
    l.confirmed.iter().chain(&l.waiting).find(|r| r.id == rid)
}

async fn page(ctx: &StaffCtx, f: &Found, status: StatusCode, values: Value, errors: FormErrors) -> PageResult {
    let l = &f.loaded;
    let Some(person) = person(l, f.registration_id) else {
        // Cancelled meanwhile: nothing left to do here.
        return Ok(see_other(&format!("/staff/seances/{}", l.session.id)));
    };
    let session = session_context(ctx, l);
    let targets = targets(ctx, l).await?;
    ctx.render_status(
        status,
        "staff/session_registrant.html",
        context! {
            nav => "seances",
            session,
            person,
            waiting => person.position.is_some(),
            seat_free => l.session.seats_left > 0,
            targets,
            values,
            errors,
        },
    )
}

#[handler]
pub(crate) async fn show(ctx: StaffCtx, Path((id, rid)): Path<(String, String)>) -> PageResult {
    ctx.require_manager()?;
    let f = find(&ctx, &id, &rid).await?;
    page(&ctx, &f, StatusCode::OK, context! {}, FormErrors::default()).await
}

/// A refusal shown on the registrant's page, beside `field` when it has one.
async fn refused(ctx: &StaffCtx, f: &Found, form: &FormData, field: &str, e: ChangeError) -> PageResult {
    let status = match PageError::from_domain(&e) {
        PageError::Rule(status, _) => status,
        other => return Err(other),
    };
    let mut errors = FormErrors::default();
    errors.add(field, e.to_string());
    page(ctx, f, status, Value::from_serialize(form.values()), errors).await
}

#[handler]
pub(crate) async fn move_to(ctx: StaffCtx, Path((id, rid)): Path<(String, String)>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let f = find(&ctx, &id, &rid).await?;
    let targets = targets(&ctx, &f.loaded).await?;
    let chosen = form.get("target");
    let Some(target) = targets
        .iter()
        .find(|t| t.value == chosen)
        .and_then(|t| t.value.parse::<i32>().ok())
    else {
        let mut errors = FormErrors::default();
        errors.add("target", "Choisissez la séance où déplacer la personne.");
        let values = Value::from_serialize(form.values());
        return page(&ctx, &f, StatusCode::UNPROCESSABLE_ENTITY, values, errors).await;
    };
    match service::move_registration(ctx.state(), &ctx.me, f.registration_id, target).await {
        Ok(_) => Ok(see_other(&format!(
            "/staff/seances/{}?fait=deplacee",
            f.loaded.session.id
        ))),
        Err(e) => refused(&ctx, &f, &form, "target", e).await,
    }
}

#[handler]
pub(crate) async fn remove(ctx: StaffCtx, Path((id, rid)): Path<(String, String)>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let f = find(&ctx, &id, &rid).await?;
    let mut errors = FormErrors::default();
    let reason = match free_text(Some(form.get("reason")), 500) {
        Ok(Some(r)) => Some(r),
        Ok(None) => {
            errors.add(
                "reason",
                "Indiquez le motif : il est écrit dans le message envoyé à la personne.",
            );
            None
        }
        Err(e) => {
            errors.add("reason", e.to_string());
            None
        }
    };
    let Some(reason) = reason else {
        let values = Value::from_serialize(form.values());
        return page(&ctx, &f, StatusCode::UNPROCESSABLE_ENTITY, values, errors).await;
    };
    match service::remove_registration(ctx.state(), &ctx.me, f.registration_id, Some(reason)).await {
        Ok(_) | Err(ChangeError::Registration(RegistrationError::AlreadyCancelled)) => Ok(see_other(&format!(
            "/staff/seances/{}?fait=retiree",
            f.loaded.session.id
        ))),
        Err(e) => refused(&ctx, &f, &form, "reason", e).await,
    }
}

#[handler]
pub(crate) async fn promote(ctx: StaffCtx, Path((id, rid)): Path<(String, String)>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let f = find(&ctx, &id, &rid).await?;
    let extra = form.checked("extra_seat");
    match service::promote_by_hand(ctx.state(), &ctx.me, f.registration_id, extra).await {
        Ok(r) if r.status == RegistrationStatus::Confirmed => Ok(see_other(&format!(
            "/staff/seances/{}?fait=promue",
            f.loaded.session.id
        ))),
        Ok(_) => Ok(see_other(&format!("/staff/seances/{}", f.loaded.session.id))),
        Err(e) => refused(&ctx, &f, &form, "", e).await,
    }
}
