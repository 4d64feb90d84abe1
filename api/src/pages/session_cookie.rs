//! The staff console's session: a token from `crate::platform::token` in a cookie (HttpOnly,
//! SameSite=Lax, Path=/staff, Secure over https), stored hashed in `staff_token` like the
//! API's bearer tokens, so one sign-out or one deactivation revokes both.
use chrono::{DateTime, Utc};
use minijinja::{Value, context};
use poem::{FromRequest, Request, RequestBody, http::StatusCode};

use super::{
    Ctx, PageError, PageResult,
    csrf::{self, read_cookie},
    forms::FormData,
    render::html,
};
use crate::{
    auth::{StaffIdentity, resolve_staff, staff::TOKEN_LIFETIME},
    platform::state::AppState,
};

pub const COOKIE: &str = "creneau_staff";

/// Shows the console's appointment pages (the mediation points' days, booking on behalf).
pub const APPOINTMENTS_ENABLED: bool = true;

pub use crate::auth::sign_in::SignInError;

/// Checks the password and opens a session; answers the raw token, to be put in the cookie
/// and nowhere else.
pub async fn sign_in(state: &AppState, email: &str, pass: &str) -> Result<(String, DateTime<Utc>), SignInError> {
    let done = crate::auth::sign_in::sign_in(state, email, pass).await?;
    Ok((done.token, done.expires_at))
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
        let me = resolve_staff(&base.state, &raw).await.map_err(PageError::from)?;
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
            role => self.me.role.to_string(),
            manager => self.me.require_manager().is_ok(),
        };
        let base = context! {
            site => &self.base.site,
            csrf => self.csrf(),
            staff,
            appointments_enabled => APPOINTMENTS_ENABLED,
        };
        html(status, template, context! { ..page, ..base })
    }
}
