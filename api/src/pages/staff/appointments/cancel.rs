//! Cancelling an appointment with a reason, which the resident is told.
use chrono::NaiveDate;
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::Deserialize;

use super::{Back, STALE, appointment_facts, appointment_in_org, booker, is_stale};
use crate::{
    appointments::{queries::organisation_tz, service},
    domain::contact::free_text,
    pages::{
        PageResult, error,
        forms::{FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
    },
};

/// The longest reason, as for a session's cancellation.
const REASON_MAX: usize = 500;

#[derive(Deserialize)]
pub(crate) struct BackQuery {
    pub(super) retour: Option<String>,
}

async fn cancel_page(
    ctx: &StaffCtx,
    a: &entities::appointment::Model,
    back: Back,
    status: StatusCode,
    values: Value,
    errors: FormErrors,
) -> PageResult {
    let tz = organisation_tz(&ctx.state().db, a.organisation_id).await?;
    let appointment = appointment_facts(ctx, a, tz).await?;
    ctx.render_status(
        status,
        "staff/appointment_cancel.html",
        context! { nav => "rendez-vous", appointment, retour => back.value(), values, errors },
    )
}

#[handler]
pub(crate) async fn cancel_form(ctx: StaffCtx, Path(id): Path<String>, Query(q): Query<BackQuery>) -> PageResult {
    ctx.require_manager()?;
    let a = appointment_in_org(&ctx, &id).await?;
    let back = Back::parse(q.retour.as_deref());
    cancel_page(&ctx, &a, back, StatusCode::OK, context! {}, FormErrors::default()).await
}

#[handler]
pub(crate) async fn cancel(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let a = appointment_in_org(&ctx, &id).await?;
    let back = Back::parse(form.opt("retour"));
    let values = Value::from_serialize(form.values());
    if is_stale(&a, &form) {
        return cancel_page(&ctx, &a, back, StatusCode::CONFLICT, values, FormErrors::form(STALE)).await;
    }
    let mut errors = FormErrors::default();
    let reason = match free_text(Some(form.get("reason")), REASON_MAX) {
        Ok(Some(r)) => Some(r),
        Ok(None) => {
            errors.add(
                "reason",
                "Indiquez le motif de l'annulation : il est communiqué à la personne.",
            );
            None
        }
        Err(e) => {
            errors.add("reason", e.to_string());
            None
        }
    };
    let Some(reason) = reason else {
        return cancel_page(&ctx, &a, back, StatusCode::UNPROCESSABLE_ENTITY, values, errors).await;
    };
    match service::cancel(ctx.state(), a.id, booker(&ctx), Some(reason), None).await {
        Ok(done) => {
            let tz = organisation_tz(&ctx.state().db, done.organisation_id).await?;
            let day: NaiveDate = done.starts_at.with_timezone(&tz).date_naive();
            Ok(see_other(&back.url(done.place_id, day, "annule", done.id)))
        }
        Err(e) => {
            let (status, message) = error::on_form(&e)?;
            let a = appointment_in_org(&ctx, &id).await?;
            cancel_page(&ctx, &a, back, status, values, FormErrors::form(message)).await
        }
    }
}
