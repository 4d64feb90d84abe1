//! Reasons for an appointment: the list, a new reason, a reason's duration, notice,
//! horizon, instructions, online or staff-only, and the places offering it.
use std::collections::HashMap;

use entities::{motif, place};
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::{Checkable, STALE, id_of, number, refused, stale, ticked, version};
use crate::{
    appointments::{
        queries::motif_places,
        schedule_admin::{self, MOTIF_NOT_FOUND, MotifFields},
    },
    pages::{
        PageError, PageResult,
        forms::{FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
        staff::notice::Done,
    },
    platform::org_scope::find_in_org,
};

#[derive(Serialize)]
struct Row {
    id: i32,
    label: String,
    duration: i32,
    online: bool,
    active: bool,
    places: String,
}

async fn org_places(ctx: &StaffCtx) -> Result<Vec<place::Model>, PageError> {
    Ok(place::Entity::find()
        .filter(place::Column::OrganisationId.eq(ctx.me.organisation_id))
        .order_by_asc(place::Column::Name)
        .all(&ctx.state().db)
        .await?)
}

#[handler]
pub(crate) async fn list(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    ctx.require_manager()?;
    let db = &ctx.state().db;
    let rows = motif::Entity::find()
        .filter(motif::Column::OrganisationId.eq(ctx.me.organisation_id))
        .order_by_desc(motif::Column::Active)
        .order_by_asc(motif::Column::Position)
        .order_by_asc(motif::Column::Label)
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|m| m.id).collect();
    let offered: HashMap<i32, Vec<i32>> = motif_places(db, &ids).await?;
    let names: HashMap<i32, String> = org_places(&ctx).await?.into_iter().map(|p| (p.id, p.name)).collect();
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|m| Row {
            places: offered
                .get(&m.id)
                .map(|ids| {
                    ids.iter()
                        .filter_map(|i| names.get(i).cloned())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "aucun lieu".into()),
            id: m.id,
            label: m.label,
            duration: m.duration_minutes,
            online: m.bookable_online,
            active: m.active,
        })
        .collect();
    let notice = match done.fait.as_deref() {
        Some("cree") => Some("Le motif est ajouté."),
        Some("modifie") => Some("Le motif est enregistré."),
        _ => None,
    };
    ctx.render(
        "staff/config/motifs.html",
        context! { nav => "reglages", motifs => rows, notice },
    )
}

async fn form_page(
    ctx: &StaffCtx,
    status: StatusCode,
    id: Option<i32>,
    values: Value,
    chosen: &[i32],
    errors: FormErrors,
) -> PageResult {
    let places: Vec<Checkable> = org_places(ctx)
        .await?
        .into_iter()
        .map(|p| Checkable {
            checked: chosen.contains(&p.id),
            value: p.id.to_string(),
            label: if p.active {
                p.name
            } else {
                format!("{} (inactif)", p.name)
            },
        })
        .collect();
    ctx.render_status(
        status,
        "staff/config/motif_form.html",
        context! { nav => "reglages", id, places, values, errors },
    )
}

fn chosen_places(form: &FormData) -> Vec<i32> {
    form.all("place_ids").filter_map(|v| v.parse().ok()).collect()
}

fn read(form: &FormData, errors: &mut FormErrors) -> Option<MotifFields> {
    let duration = number(
        form,
        "duration_minutes",
        errors,
        "Indiquez la durée en minutes (exemple : 30).",
    );
    let notice = number(
        form,
        "min_notice_minutes",
        errors,
        "Indiquez le délai en minutes (0 pour aucun délai).",
    );
    let horizon = number(
        form,
        "horizon_days",
        errors,
        "Indiquez un nombre de jours (exemple : 60).",
    );
    let position = match form.opt("position") {
        None => Some(0),
        Some(_) => number(form, "position", errors, "Indiquez un nombre (0 en tête de liste)."),
    };
    let fields = MotifFields {
        label: form.get("label").into(),
        duration_minutes: duration?,
        bookable_online: form.get("bookable_online") == "oui",
        min_notice_minutes: notice?,
        horizon_days: horizon?,
        instructions: form.get("instructions").into(),
        position: position?,
        active: form.checked("active"),
        place_ids: Some(chosen_places(form)),
    };
    errors.is_empty().then_some(fields)
}

async fn save(ctx: &StaffCtx, id: Option<i32>, form: &FormData) -> Result<Option<FormErrors>, PageError> {
    let mut errors = FormErrors::default();
    if let Some(fields) = read(form, &mut errors) {
        match schedule_admin::save_motif(ctx.state(), ctx.me.organisation_id, id, &fields).await {
            Ok(_) => return Ok(None),
            Err(e) => refused(&mut errors, &e, "", &[])?,
        }
    }
    Ok(Some(errors))
}

#[handler]
pub(crate) async fn new_form(ctx: StaffCtx) -> PageResult {
    ctx.require_manager()?;
    let values = context! {
        duration_minutes => 30, min_notice_minutes => 120, horizon_days => 60, position => 0,
        bookable_online => "oui", active => "oui",
    };
    form_page(&ctx, StatusCode::OK, None, values, &[], FormErrors::default()).await
}

#[handler]
pub(crate) async fn create(ctx: StaffCtx, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    match save(&ctx, None, &form).await? {
        None => Ok(see_other("/staff/reglages/motifs?fait=cree")),
        Some(errors) => {
            let values = Value::from_serialize(form.values());
            form_page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                values,
                &chosen_places(&form),
                errors,
            )
            .await
        }
    }
}

async fn motif_in_org(ctx: &StaffCtx, raw: &str) -> Result<motif::Model, PageError> {
    find_in_org::<motif::Entity, _>(&ctx.state().db, ctx.me.organisation_id, id_of(raw)?)
        .await?
        .ok_or_else(|| PageError::NotFound(MOTIF_NOT_FOUND.into()))
}

/// The form of a stored reason, with the places offering it.
async fn stored_page(ctx: &StaffCtx, status: StatusCode, m: &motif::Model, errors: FormErrors) -> PageResult {
    let offered = motif_places(&ctx.state().db, &[m.id])
        .await?
        .remove(&m.id)
        .unwrap_or_default();
    let values = context! {
        label => &m.label, duration_minutes => m.duration_minutes,
        min_notice_minutes => m.min_notice_minutes, horizon_days => m.horizon_days,
        instructions => &m.instructions, position => m.position,
        bookable_online => if m.bookable_online { "oui" } else { "non" }, active => ticked(m.active),
        version => version(m),
    };
    form_page(ctx, status, Some(m.id), values, &offered, errors).await
}

#[handler]
pub(crate) async fn edit_form(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    ctx.require_manager()?;
    let m = motif_in_org(&ctx, &id).await?;
    stored_page(&ctx, StatusCode::OK, &m, FormErrors::default()).await
}

#[handler]
pub(crate) async fn update(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let m = motif_in_org(&ctx, &id).await?;
    if stale(&form, &m) {
        return stored_page(&ctx, StatusCode::CONFLICT, &m, FormErrors::form(STALE)).await;
    }
    match save(&ctx, Some(m.id), &form).await? {
        None => Ok(see_other("/staff/reglages/motifs?fait=modifie")),
        Some(errors) => {
            let values = Value::from_serialize(form.values());
            form_page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(m.id),
                values,
                &chosen_places(&form),
                errors,
            )
            .await
        }
    }
}
