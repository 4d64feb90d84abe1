//! The workshop catalogue: the list, a new workshop, a workshop's title, description,
//! level, audience, usual length and seats, active or not.
use entities::workshop;
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::{STALE, add_problems, id_of, number, refused, stale, ticked, version};
use crate::{
    pages::{
        PageError, PageResult,
        forms::{FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
        staff::notice::Done,
    },
    platform::org_scope::find_in_org,
    workshops::catalogue::{self, CatalogueError, WorkshopFields},
};

#[derive(Serialize)]
struct Row {
    id: i32,
    title: String,
    level: String,
    duration: i32,
    capacity: i32,
    active: bool,
}

#[handler]
pub(crate) async fn list(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    ctx.require_manager()?;
    let rows: Vec<Row> = workshop::Entity::find()
        .filter(workshop::Column::OrganisationId.eq(ctx.me.organisation_id))
        .order_by_desc(workshop::Column::Active)
        .order_by_asc(workshop::Column::Title)
        .all(&ctx.state().db)
        .await?
        .into_iter()
        .map(|w| Row {
            id: w.id,
            title: w.title,
            level: w.level,
            duration: w.default_duration_minutes,
            capacity: w.default_capacity,
            active: w.active,
        })
        .collect();
    let notice = match done.fait.as_deref() {
        Some("cree") => Some("L'atelier est ajouté au catalogue."),
        Some("modifie") => Some("L'atelier est enregistré."),
        _ => None,
    };
    ctx.render(
        "staff/config/workshops.html",
        context! { nav => "reglages", workshops => rows, notice },
    )
}

fn form_page(ctx: &StaffCtx, status: StatusCode, id: Option<i32>, values: Value, errors: FormErrors) -> PageResult {
    ctx.render_status(
        status,
        "staff/config/workshop_form.html",
        context! { nav => "reglages", id, values, errors },
    )
}

fn values_of(w: &workshop::Model) -> Value {
    context! {
        title => &w.title, summary => &w.summary, description => &w.description, level => &w.level,
        audience => &w.audience, default_duration_minutes => w.default_duration_minutes,
        default_capacity => w.default_capacity, active => ticked(w.active), version => version(w),
    }
}

fn read(form: &FormData, errors: &mut FormErrors) -> Option<WorkshopFields> {
    let duration = number(
        form,
        "default_duration_minutes",
        errors,
        "Indiquez une durée de 15 à 600 minutes.",
    );
    let capacity = number(
        form,
        "default_capacity",
        errors,
        "Indiquez un nombre de places de 1 à 500.",
    );
    let fields = WorkshopFields {
        title: form.get("title").into(),
        summary: form.get("summary").into(),
        description: form.get("description").into(),
        level: form.get("level").into(),
        audience: form.get("audience").into(),
        default_duration_minutes: duration.unwrap_or(15),
        default_capacity: capacity.unwrap_or(1),
        active: form.checked("active"),
    };
    if let Err(problems) = fields.check() {
        add_problems(errors, &problems, "");
    }
    errors.is_empty().then_some(fields)
}

async fn save(ctx: &StaffCtx, id: Option<i32>, form: &FormData) -> Result<Option<FormErrors>, PageError> {
    let mut errors = FormErrors::default();
    if let Some(fields) = read(form, &mut errors) {
        let saved = match id {
            None => catalogue::create(ctx.state(), ctx.me.organisation_id, &fields).await,
            Some(id) => catalogue::update(ctx.state(), ctx.me.organisation_id, id, &fields).await,
        };
        match saved {
            Ok(_) => return Ok(None),
            Err(e) => refused(&mut errors, &e, "", &[])?,
        }
    }
    Ok(Some(errors))
}

#[handler]
pub(crate) async fn new_form(ctx: StaffCtx) -> PageResult {
    ctx.require_manager()?;
    let values = context! { default_duration_minutes => 120, default_capacity => 8, active => "oui" };
    form_page(&ctx, StatusCode::OK, None, values, FormErrors::default())
}

#[handler]
pub(crate) async fn create(ctx: StaffCtx, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    match save(&ctx, None, &form).await? {
        None => Ok(see_other("/staff/reglages/ateliers?fait=cree")),
        Some(errors) => form_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Value::from_serialize(form.values()),
            errors,
        ),
    }
}

async fn workshop_in_org(ctx: &StaffCtx, raw: &str) -> Result<workshop::Model, PageError> {
    find_in_org::<workshop::Entity, _>(&ctx.state().db, ctx.me.organisation_id, id_of(raw)?)
        .await?
        .ok_or_else(|| PageError::NotFound(CatalogueError::NotFound.to_string()))
}

#[handler]
pub(crate) async fn edit_form(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    ctx.require_manager()?;
    let w = workshop_in_org(&ctx, &id).await?;
    form_page(&ctx, StatusCode::OK, Some(w.id), values_of(&w), FormErrors::default())
}

#[handler]
pub(crate) async fn update(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let w = workshop_in_org(&ctx, &id).await?;
    if stale(&form, &w) {
        return form_page(
            &ctx,
            StatusCode::CONFLICT,
            Some(w.id),
            values_of(&w),
            FormErrors::form(STALE),
        );
    }
    match save(&ctx, Some(w.id), &form).await? {
        None => Ok(see_other("/staff/reglages/ateliers?fait=modifie")),
        Some(errors) => form_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(w.id),
            Value::from_serialize(form.values()),
            errors,
        ),
    }
}
