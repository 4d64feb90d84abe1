//! Staff accounts (admins only): the list, a new account with its invitation link, a role
//! change, a deactivation; and the page where the invited person sets a password.
use entities::staff_member;
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::{Checkable, STALE, checkables, id_of, refused, stale, version};
use crate::{
    auth::{
        Role,
        accounts::{self, AccountChange, AccountError, Invited, NewAccount},
    },
    french,
    pages::{
        Ctx, PageError, PageResult,
        forms::{FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
        staff::notice::Done,
    },
    platform::org_scope::find_in_org,
};

const ROLES: [(Role, &str, &str); 3] = [
    (
        Role::Facilitator,
        "facilitator",
        "Animation : voit tout, note les présences de ses séances",
    ),
    (
        Role::Coordinator,
        "coordinator",
        "Coordination : lieux, séances, rendez-vous, réglages",
    ),
    (
        Role::Admin,
        "admin",
        "Administration : tout, comptes des agents compris",
    ),
];

fn role_of(raw: &str) -> Option<Role> {
    ROLES.iter().find(|(_, v, _)| *v == raw).map(|(r, _, _)| *r)
}

fn role_value(role: Role) -> &'static str {
    ROLES.iter().find(|(r, _, _)| *r == role).map_or("", |(_, v, _)| v)
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Facilitator => "Animation",
        Role::Coordinator => "Coordination",
        Role::Admin => "Administration",
    }
}

fn roles(selected: &str) -> Vec<Checkable> {
    checkables(&ROLES, selected)
}

fn require_admin(ctx: &StaffCtx) -> Result<(), PageError> {
    ctx.me
        .require_admin()
        .map_err(|_| PageError::Forbidden("Seul un administrateur gère les comptes des agents.".into()))
}

#[derive(Serialize)]
struct Row {
    id: i32,
    name: String,
    email: String,
    role: &'static str,
    role_value: &'static str,
    active: bool,
    /// No password chosen yet: the invitation is still to be used.
    invited: bool,
    me: bool,
    version: String,
}

async fn list_page(ctx: &StaffCtx, status: StatusCode, notice: Option<&str>, errors: FormErrors) -> PageResult {
    let rows: Vec<Row> = staff_member::Entity::find()
        .filter(staff_member::Column::OrganisationId.eq(ctx.me.organisation_id))
        .order_by_desc(staff_member::Column::Active)
        .order_by_asc(staff_member::Column::Name)
        .all(&ctx.state().db)
        .await?
        .into_iter()
        .map(|m| Row {
            version: version(&m),
            id: m.id,
            role: role_name(m.role),
            role_value: role_value(m.role),
            active: m.active,
            invited: m.password_hash.is_empty(),
            me: m.id == ctx.me.id,
            name: m.name,
            email: m.email,
        })
        .collect();
    let role_options: Vec<Checkable> = roles("");
    ctx.render_status(
        status,
        "staff/config/accounts.html",
        context! { nav => "reglages", accounts => rows, role_options, notice, errors },
    )
}

#[handler]
pub(crate) async fn list(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    require_admin(&ctx)?;
    let notice = match done.fait.as_deref() {
        Some("role") => Some("Le rôle est changé."),
        Some("desactive") => Some("Le compte est désactivé : ses connexions en cours sont fermées."),
        Some("active") => Some("Le compte est réactivé."),
        _ => None,
    };
    list_page(&ctx, StatusCode::OK, notice, FormErrors::default()).await
}

fn new_page(ctx: &StaffCtx, status: StatusCode, values: Value, errors: FormErrors) -> PageResult {
    let role = values.get_attr("role").ok().map(|v| v.to_string()).unwrap_or_default();
    ctx.render_status(
        status,
        "staff/config/account_new.html",
        context! { nav => "reglages", roles => roles(&role), values, errors },
    )
}

#[handler]
pub(crate) async fn new_form(ctx: StaffCtx) -> PageResult {
    require_admin(&ctx)?;
    new_page(
        &ctx,
        StatusCode::OK,
        context! { role => "facilitator" },
        FormErrors::default(),
    )
}

fn invitation_page(ctx: &StaffCtx, invited: &Invited, fresh: bool) -> PageResult {
    let tz = ctx.state().settings.timezone;
    ctx.render(
        "staff/config/account_invited.html",
        context! {
            nav => "reglages", fresh, name => &invited.member.name, email => &invited.member.email,
            link => invited.link(ctx.state()), expires => french::at(tz, invited.expires_at),
        },
    )
}

#[handler]
pub(crate) async fn create(ctx: StaffCtx, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    require_admin(&ctx)?;
    let mut errors = FormErrors::default();
    let role = role_of(form.get("role"));
    if role.is_none() {
        errors.add("role", "Choisissez le rôle de la personne.");
    }
    match NewAccount::parse(form.get("email"), form.get("name"), role.unwrap_or(Role::Facilitator)) {
        Err(problems) => {
            for p in &problems {
                refused(&mut errors, p, "", &[])?;
            }
        }
        Ok(new) if errors.is_empty() => match accounts::invite(ctx.state(), ctx.me.organisation_id, new).await {
            Ok(invited) => return invitation_page(&ctx, &invited, true),
            Err(AccountError::EmailTaken) => errors.add("email", AccountError::EmailTaken.to_string()),
            Err(e) => refused(&mut errors, &e, "", &[])?,
        },
        Ok(_) => {}
    }
    new_page(
        &ctx,
        StatusCode::UNPROCESSABLE_ENTITY,
        Value::from_serialize(form.values()),
        errors,
    )
}

/// A role change or (de)activation from the list: `role` and/or `active` (`oui`/`non`).
#[handler]
pub(crate) async fn update(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    require_admin(&ctx)?;
    let member = find_in_org::<staff_member::Entity, _>(&ctx.state().db, ctx.me.organisation_id, id_of(&id)?)
        .await?
        .ok_or_else(|| PageError::NotFound(AccountError::NotFound.to_string()))?;
    if stale(&form, &member) {
        return list_page(&ctx, StatusCode::CONFLICT, None, FormErrors::form(STALE)).await;
    }
    let change = AccountChange {
        role: form.opt("role").and_then(role_of),
        active: match form.get("active") {
            "oui" => Some(true),
            "non" => Some(false),
            _ => None,
        },
    };
    let done = match (change.role, change.active) {
        (_, Some(false)) => "desactive",
        (_, Some(true)) => "active",
        _ => "role",
    };
    match accounts::change(ctx.state(), &ctx.me, member.id, change).await {
        Ok(_) => Ok(see_other(&format!("/staff/reglages/comptes?fait={done}"))),
        Err(e) => {
            let mut errors = FormErrors::default();
            refused(&mut errors, &e, "", &[])?;
            list_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, None, errors).await
        }
    }
}

/// A new invitation link for an account (the earlier links stop working).
#[handler]
pub(crate) async fn reinvite(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    require_admin(&ctx)?;
    match accounts::reinvite(ctx.state(), &ctx.me, id_of(&id)?).await {
        Ok(invited) => invitation_page(&ctx, &invited, false),
        Err(e) => {
            let mut errors = FormErrors::default();
            refused(&mut errors, &e, "", &[])?;
            list_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, None, errors).await
        }
    }
}

fn password_page(ctx: &Ctx, status: StatusCode, member: &staff_member::Model, errors: FormErrors) -> PageResult {
    ctx.render_status(
        status,
        "staff/config/invitation.html",
        context! {
            staff_area => true, name => &member.name, email => &member.email,
            min => accounts::MIN_PASSWORD_CHARS, errors,
        },
    )
}

/// `/staff/invitation/{token}`: the invited person chooses a password.
#[handler]
pub(crate) async fn invitation_form(ctx: Ctx, Path(token): Path<String>) -> PageResult {
    let member = accounts::invited_member(&ctx.state, &token).await?;
    password_page(&ctx, StatusCode::OK, &member, FormErrors::default())
}

#[handler]
pub(crate) async fn accept_invitation(ctx: Ctx, Path(token): Path<String>, form: FormData) -> PageResult {
    if !ctx.csrf.accepts(&form) {
        return Err(PageError::Csrf);
    }
    match accounts::accept(&ctx.state, &token, form.get("password"), form.get("confirmation")).await {
        Ok(_) => Ok(see_other("/staff/connexion?fait=mot-de-passe")),
        Err(e @ AccountError::Invalid { .. }) => {
            let member = accounts::invited_member(&ctx.state, &token).await?;
            let mut errors = FormErrors::default();
            refused(&mut errors, &e, "", &[])?;
            password_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &member, errors)
        }
        Err(e) => Err(e.into()),
    }
}
