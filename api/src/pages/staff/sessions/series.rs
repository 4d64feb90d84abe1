//! Cancelling a weekly series from a date on: the sessions it will cancel and whom each
//! message will reach, then every one cancelled with `service::cancel_session`.
use chrono::NaiveDate;
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::{Deserialize, Serialize};

use super::show::{Registrant, load, session_context};
use crate::{
    domain::contact::free_text,
    french,
    pages::{
        PageResult,
        forms::{FormData, FormErrors},
        params::parse_date,
        see_other,
        session_cookie::StaffCtx,
    },
    workshops::service::{self, ChangeError},
};

#[derive(Deserialize)]
pub(crate) struct SeriesFrom {
    a_partir_du: Option<String>,
}

/// One session the cancellation reaches.
#[derive(Serialize)]
struct Doomed {
    id: i32,
    when: String,
    place: String,
    told: usize,
    to_call: Vec<String>,
}

async fn series_page(
    ctx: &StaffCtx,
    id: &str,
    from: Option<NaiveDate>,
    status: StatusCode,
    values: Value,
    mut errors: FormErrors,
) -> PageResult {
    let l = load(ctx, id).await?;
    let session = session_context(ctx, &l);
    let tz = ctx.state().settings.timezone;
    let from = from.unwrap_or_else(|| l.session.starts_at.with_timezone(&tz).date_naive());
    let mut doomed = Vec::new();
    match service::series_from(ctx.state(), &ctx.me, l.session.id, from).await {
        Ok(rows) => {
            for s in rows {
                let one = load(ctx, &s.id.to_string()).await?;
                let people = || one.confirmed.iter().chain(&one.waiting);
                doomed.push(Doomed {
                    id: s.id,
                    when: french::short_span(&one.session.starts_at, &one.session.ends_at, ctx.base.year()),
                    place: one.place.name.clone(),
                    told: people().filter(|r| r.reached_by.is_some()).count(),
                    to_call: people()
                        .filter(|r| r.reached_by.is_none())
                        .map(|r: &Registrant| match &r.phone {
                            Some(p) => format!("{} — {p}", r.name),
                            None => r.name.clone(),
                        })
                        .collect(),
                });
            }
        }
        Err(e @ ChangeError::NotASeries) => errors.add("", e.to_string()),
        Err(e) => return Err(e.into()),
    }
    let told: usize = doomed.iter().map(|d| d.told).sum();
    ctx.render_status(
        status,
        "staff/session_series_cancel.html",
        context! {
            nav => "seances",
            session,
            from => from.format("%Y-%m-%d").to_string(),
            from_text => french::long_date(from),
            doomed,
            told_text => french::people(told),
            values,
            errors,
        },
    )
}

#[handler]
pub(crate) async fn series_cancel_form(
    ctx: StaffCtx,
    Path(id): Path<String>,
    Query(q): Query<SeriesFrom>,
) -> PageResult {
    ctx.require_manager()?;
    let mut errors = FormErrors::default();
    let from = match q.a_partir_du.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(raw) => {
            let d = parse_date(raw);
            if d.is_none() {
                errors.add("a_partir_du", "Indiquez une date (exemple : 12/01/2027).");
            }
            d
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    series_page(&ctx, &id, from, status, context! {}, errors).await
}

#[handler]
pub(crate) async fn series_cancel(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let l = load(&ctx, &id).await?;
    let mut errors = FormErrors::default();
    let from = parse_date(form.get("from"));
    if from.is_none() {
        errors.add("a_partir_du", "Indiquez une date (exemple : 12/01/2027).");
    }
    let reason = free_text(Some(form.get("reason")), 500)
        .map_err(|e| errors.add("reason", e.to_string()))
        .ok()
        .flatten();
    if !form.checked("confirm") {
        errors.add("confirm", "Cochez la case pour confirmer l'annulation de ces séances.");
    }
    let (true, Some(from)) = (errors.is_empty(), from) else {
        let values = Value::from_serialize(form.values());
        return series_page(&ctx, &id, from, StatusCode::UNPROCESSABLE_ENTITY, values, errors).await;
    };
    let cancelled = service::cancel_series_from(ctx.state(), &ctx.me, l.session.id, from, reason).await?;
    Ok(see_other(&format!(
        "/staff/seances/{}?fait=serie_annulee&n={}",
        l.session.id,
        cancelled.len()
    )))
}
