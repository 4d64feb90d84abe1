//! `/staff/reglages`: the configuration pages of coordinators and admins — places, their
//! opening rules, extra openings and closures, reasons, the workshop catalogue, the
//! organisation's own settings (changed by admins), and (admins only) staff accounts. Each
//! page calls the same service function as the admin API, so a form refuses exactly what the
//! API refuses, with the same words beside the field.
use std::fmt::Debug;

use entities::place;
use minijinja::context;
use poem::handler;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{
    domain::{
        field::FieldProblem,
        refusal::{DomainError, Refusal},
    },
    pages::{
        PageError, PageResult,
        forms::{FormData, FormErrors},
        session_cookie::StaffCtx,
    },
    platform::org_scope::find_in_org,
};

pub(crate) mod closures;
pub(crate) mod motifs;
pub(crate) mod opening_rules;
pub(crate) mod organisation;
pub(crate) mod places;
pub(crate) mod staff_accounts;
pub(crate) mod workshops;

/// The hidden field holding the version of the row a form was opened on.
const VERSION_FIELD: &str = "version";

/// What the pages say of a form opened on a row that changed since.
pub(super) const STALE: &str = "Ces informations ont été modifiées par quelqu'un d'autre depuis l'ouverture du \
                                formulaire : voici leur version actuelle. Refaites vos changements puis enregistrez.";

#[handler]
pub(crate) async fn index(ctx: StaffCtx) -> PageResult {
    ctx.require_manager()?;
    let admin = ctx.me.require_admin().is_ok();
    ctx.render("staff/config/index.html", context! { nav => "reglages", admin })
}

/// A short fingerprint of a row as stored, carried by its edit form: when it no longer
/// matches on save, someone changed the row meanwhile.
pub(super) fn version<T: Debug>(row: &T) -> String {
    hex::encode(&Sha256::digest(format!("{row:?}").as_bytes())[..8])
}

/// Whether the form was opened on another version of `row` than the stored one.
pub(super) fn stale<T: Debug>(form: &FormData, row: &T) -> bool {
    form.get(VERSION_FIELD) != version(row)
}

/// An id from the path; anything else is a page that does not exist.
pub(super) fn id_of(raw: &str) -> Result<i32, PageError> {
    raw.parse()
        .map_err(|_| PageError::NotFound("Cette page n'existe pas.".into()))
}

/// Each problem beside its field (the API's field name, after `prefix`).
pub(super) fn add_problems(errors: &mut FormErrors, problems: &[FieldProblem], prefix: &str) {
    for p in problems {
        errors.add(&format!("{prefix}{}", p.field), p.message.clone());
    }
}

/// A service's refusal beside its field (the API's field name after `prefix`, or renamed
/// by `renames`), or over the form; not found and our failures are error pages.
pub(super) fn refused(
    errors: &mut FormErrors,
    err: &dyn DomainError,
    prefix: &str,
    renames: &[(&str, &str)],
) -> Result<(), PageError> {
    match err.refusal() {
        Refusal::Invalid { field } => {
            let page_field = renames
                .iter()
                .find(|(api, _)| *api == field)
                .map_or_else(|| format!("{prefix}{field}"), |(_, page)| (*page).to_string());
            errors.add(&page_field, err.to_string());
            Ok(())
        }
        Refusal::Rule | Refusal::Conflict => {
            errors.add("", err.to_string());
            Ok(())
        }
        _ => Err(PageError::from_domain(err)),
    }
}

/// A whole number typed in `name`; an error beside it otherwise (`None`).
pub(super) fn number(form: &FormData, name: &str, errors: &mut FormErrors, message: &str) -> Option<i32> {
    match form.get(name).trim().parse::<i32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(name, message);
            None
        }
    }
}

/// One option of a radio or check-box group.
#[derive(Serialize)]
pub(super) struct Checkable {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The options of a group from a table of (value, form value, label), `selected` ticked.
pub(super) fn checkables<T>(table: &[(T, &str, &str)], selected: &str) -> Vec<Checkable> {
    table
        .iter()
        .map(|(_, v, l)| Checkable {
            value: (*v).into(),
            label: (*l).into(),
            checked: *v == selected,
        })
        .collect()
}

/// The place `raw` of the staff member's organisation; another organisation's is not found.
pub(super) async fn place_in_org(ctx: &StaffCtx, raw: &str) -> Result<place::Model, PageError> {
    find_in_org::<place::Entity, _>(&ctx.state().db, ctx.me.organisation_id, id_of(raw)?)
        .await?
        .ok_or_else(|| PageError::NotFound(crate::places::api::PLACE_NOT_FOUND.into()))
}

/// Yes or no as a check-box value shown back in a form.
pub(super) fn ticked(yes: bool) -> Option<&'static str> {
    yes.then_some("oui")
}
