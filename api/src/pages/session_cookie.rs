//! The staff console's session: a token from `crate::token` in a cookie (HttpOnly,
//! SameSite=Lax, Path=/staff, Secure over https), stored hashed in `staff_token` like the
//! API's bearer tokens, so one sign-out or one deactivation revokes both.
use chrono::{DateTime, Duration, Utc};
use entities::{staff_member, staff_token};
use minijinja::{Value, context};
use poem::{FromRequest, Request, RequestBody, http::StatusCode};
use poem_openapi::auth::Bearer;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait},
};

use super::{
    Ctx, PageError, PageResult,
    csrf::{self, read_cookie},
    forms::FormData,
    render::html,
};
use crate::{
    auth::{StaffBearer, StaffIdentity, api::login_delay, password, staff::TOKEN_LIFETIME},
    state::AppState,
    token,
};

pub const COOKIE: &str = "creneau_staff";

/// Why a sign-in failed, in words fit for the page.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignInError {
    #[error("Adresse e-mail ou mot de passe incorrect.")]
    BadCredentials,
    #[error("Trop d'essais infructueux : patientez {0} secondes avant de réessayer.")]
    Delayed(i64),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// Checks the password (with the API's growing delay after failures) and opens a session;
/// answers the raw token, to be put in the cookie and nowhere else.
pub async fn sign_in(state: &AppState, email: &str, pass: &str) -> Result<(String, DateTime<Utc>), SignInError> {
    let now = state.clock.now();
    let email = email.trim().to_lowercase();
    let member = staff_member::Entity::find()
        .filter(staff_member::Column::Email.eq(&email))
        .one(&state.db)
        .await?;
    let Some(member) = member else {
        // Same work as a real check, so timing does not tell which e-mails exist.
        password::verify(pass, password::decoy_hash());
        return Err(SignInError::BadCredentials);
    };
    if let Some(last) = member.last_failed_login_at {
        let wait = last + login_delay(member.failed_logins) - now;
        if wait > Duration::zero() {
            return Err(SignInError::Delayed(Ord::max(wait.num_seconds(), 1)));
        }
    }
    if !member.active || !password::verify(pass, &member.password_hash) {
        staff_member::Entity::update_many()
            .col_expr(
                staff_member::Column::FailedLogins,
                Expr::col(staff_member::Column::FailedLogins).add(1),
            )
            .col_expr(staff_member::Column::LastFailedLoginAt, Expr::value(now))
            .filter(staff_member::Column::Id.eq(member.id))
            .exec(&state.db)
            .await?;
        return Err(SignInError::BadCredentials);
    }
    let raw = token::generate();
    let expires_at = now + TOKEN_LIFETIME;
    staff_token::ActiveModel {
        staff_member_id: Set(member.id),
        token_hash: Set(token::hash(&raw)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    let mut a: staff_member::ActiveModel = member.into();
    a.failed_logins = Set(0);
    a.last_failed_login_at = Set(None);
    a.update(&state.db).await?;
    Ok((raw, expires_at))
}

fn secure(state: &AppState) -> &'static str {
    if state.settings.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// `Set-Cookie` for a new session.
pub fn set_cookie(state: &AppState, raw: &str) -> String {
    format!(
        "{COOKIE}={raw}; Path=/staff; HttpOnly; SameSite=Lax; Max-Age={}{}",
        TOKEN_LIFETIME.num_seconds(),
        secure(state)
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(state: &AppState) -> String {
    format!(
        "{COOKIE}=; Path=/staff; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure(state)
    )
}

/// A signed-in staff member's request: the page context, who they are, their session token.
pub struct StaffCtx {
    pub base: Ctx,
    pub me: StaffIdentity,
    pub token: String,
}

impl<'a> FromRequest<'a> for StaffCtx {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let base = Ctx::from_request(req, body).await?;
        let raw = read_cookie(req, COOKIE).ok_or(PageError::LoginRequired)?;
        let bearer = StaffBearer(Bearer { token: raw.clone() });
        let me = base.state.staff(&bearer).await.map_err(PageError::from)?;
        Ok(StaffCtx { base, me, token: raw })
    }
}

impl StaffCtx {
    pub fn state(&self) -> &AppState {
        &self.base.state
    }

    /// The hidden field of this session's forms.
    pub fn csrf(&self) -> String {
        csrf::staff_token(&self.token)
    }

    pub fn check_csrf(&self, form: &FormData) -> Result<(), PageError> {
        if csrf::staff_accepts(&self.token, form) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    pub fn require_manager(&self) -> Result<(), PageError> {
        self.me.require_manager().map_err(|_| {
            PageError::Forbidden(
                "Votre rôle ne permet pas cette action : demandez à la coordination ou à un administrateur.".into(),
            )
        })
    }

    pub fn render(&self, template: &str, page: Value) -> PageResult {
        self.render_status(StatusCode::OK, template, page)
    }

    pub fn render_status(&self, status: StatusCode, template: &str, page: Value) -> PageResult {
        let staff = context! {
            name => &self.me.name,
            role => self.me.role.as_str(),
            manager => self.me.require_manager().is_ok(),
        };
        let base = context! {
            site => &self.base.site,
            csrf => self.csrf(),
            staff,
            appointments_enabled => super::staff::APPOINTMENTS_ENABLED,
        };
        html(status, template, context! { ..page, ..base })
    }
}
