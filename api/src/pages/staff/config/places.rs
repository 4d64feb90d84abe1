//! Places: the list, a new place, a place's details (desks, equipment, access notes,
//! holiday closure, active or not).
use entities::{kinds::PlaceKind, place};
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::{STALE, add_problems, checkables, number, place_in_org, refused, stale, ticked, version};
use crate::{
    pages::{
        PageResult,
        forms::{FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
        staff::notice::Done,
    },
    places::service::{self, PlaceFields},
};

const KINDS: [(PlaceKind, &str, &str); 3] = [
    (PlaceKind::Library, "library", "Médiathèque (ateliers)"),
    (
        PlaceKind::MediationPoint,
        "mediation_point",
        "Point de médiation (rendez-vous)",
    ),
    (
        PlaceKind::AssociationHouse,
        "association_house",
        "Maison des associations",
    ),
];

pub(super) fn kind_label(kind: PlaceKind) -> &'static str {
    KINDS.iter().find(|(k, _, _)| *k == kind).map_or("", |(_, _, l)| l)
}

fn kind_value(kind: PlaceKind) -> &'static str {
    KINDS.iter().find(|(k, _, _)| *k == kind).map_or("", |(_, v, _)| v)
}

#[derive(Serialize)]
struct Row {
    id: i32,
    name: String,
    kind: &'static str,
    city: String,
    desks: i32,
    active: bool,
}

#[handler]
pub(crate) async fn list(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    ctx.require_manager()?;
    let rows: Vec<Row> = place::Entity::find()
        .filter(place::Column::OrganisationId.eq(ctx.me.organisation_id))
        .order_by_desc(place::Column::Active)
        .order_by_asc(place::Column::Name)
        .all(&ctx.state().db)
        .await?
        .into_iter()
        .map(|p| Row {
            id: p.id,
            kind: kind_label(p.kind),
            name: p.name,
            city: p.city,
            desks: p.desks,
            active: p.active,
        })
        .collect();
    let notice = match done.fait.as_deref() {
        Some("cree") => Some("Le lieu est ajouté."),
        Some("modifie") => Some("Le lieu est enregistré."),
        _ => None,
    };
    ctx.render(
        "staff/config/places.html",
        context! { nav => "reglages", places => rows, notice },
    )
}

/// The form's values for a stored place.
fn values_of(p: &place::Model) -> Value {
    context! {
        name => &p.name, kind => kind_value(p.kind), address => &p.address,
        postal_code => &p.postal_code, city => &p.city, public_phone => &p.public_phone,
        equipment => &p.equipment, access_notes => &p.access_notes, desks => p.desks,
        close_on_public_holidays => ticked(p.close_on_public_holidays), active => ticked(p.active),
        version => version(p),
    }
}

fn form_page(
    ctx: &StaffCtx,
    status: StatusCode,
    existing: Option<&place::Model>,
    values: Value,
    errors: FormErrors,
) -> PageResult {
    let kind = values.get_attr("kind").ok().map(|v| v.to_string()).unwrap_or_default();
    ctx.render_status(
        status,
        "staff/config/place_form.html",
        context! {
            nav => "reglages", id => existing.map(|p| p.id), kinds => checkables(&KINDS, &kind), values, errors,
        },
    )
}

/// Reads the form; every problem is added to `errors`.
fn read(form: &FormData, errors: &mut FormErrors) -> Option<PlaceFields> {
    let kind = KINDS
        .iter()
        .find(|(_, v, _)| *v == form.get("kind"))
        .map(|(k, _, _)| *k);
    if kind.is_none() {
        errors.add("kind", "Choisissez le type de lieu.");
    }
    let desks = number(form, "desks", errors, "Indiquez un nombre de guichets de 1 à 20.");
    let fields = PlaceFields {
        name: form.get("name").into(),
        kind: kind.unwrap_or(PlaceKind::Library),
        address: form.get("address").into(),
        postal_code: form.get("postal_code").into(),
        city: form.get("city").into(),
        public_phone: form.opt("public_phone").map(str::to_string),
        equipment: form.opt("equipment").map(str::to_string),
        access_notes: form.opt("access_notes").map(str::to_string),
        desks: desks.unwrap_or(1),
        close_on_public_holidays: form.checked("close_on_public_holidays"),
        active: form.checked("active"),
    };
    if let Err(problems) = fields.check() {
        let problems: Vec<_> = problems
            .into_iter()
            .filter(|p| !(p.field == "desks" && desks.is_none()))
            .collect();
        add_problems(errors, &problems, "");
    }
    (errors.is_empty()).then_some(fields)
}

#[handler]
pub(crate) async fn new_form(ctx: StaffCtx) -> PageResult {
    ctx.require_manager()?;
    let values = context! { kind => "mediation_point", desks => 1, close_on_public_holidays => "oui", active => "oui" };
    form_page(&ctx, StatusCode::OK, None, values, FormErrors::default())
}

#[handler]
pub(crate) async fn create(ctx: StaffCtx, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let mut errors = FormErrors::default();
    if let Some(fields) = read(&form, &mut errors) {
        match service::create(ctx.state(), ctx.me.organisation_id, &fields).await {
            Ok(_) => return Ok(see_other("/staff/reglages/lieux?fait=cree")),
            Err(e) => refused(&mut errors, &e, "", &[])?,
        }
    }
    let values = Value::from_serialize(form.values());
    form_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, None, values, errors)
}

#[handler]
pub(crate) async fn edit_form(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    ctx.require_manager()?;
    let p = place_in_org(&ctx, &id).await?;
    form_page(&ctx, StatusCode::OK, Some(&p), values_of(&p), FormErrors::default())
}

#[handler]
pub(crate) async fn update(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let p = place_in_org(&ctx, &id).await?;
    if stale(&form, &p) {
        return form_page(
            &ctx,
            StatusCode::CONFLICT,
            Some(&p),
            values_of(&p),
            FormErrors::form(STALE),
        );
    }
    let mut errors = FormErrors::default();
    if let Some(fields) = read(&form, &mut errors) {
        match service::update(ctx.state(), ctx.me.organisation_id, p.id, &fields).await {
            Ok(_) => return Ok(see_other("/staff/reglages/lieux?fait=modifie")),
            Err(e) => refused(&mut errors, &e, "", &[])?,
        }
    }
    let values = Value::from_serialize(form.values());
    form_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, Some(&p), values, errors)
}
