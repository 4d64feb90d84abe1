//! The staff console's session: a token from `crate::platform::token` in a cookie (HttpOnly,
//! SameSite=Lax, Path=/staff, Secure over https), stored hashed in `staff_token` like the
//! API's bearer tokens, so one sign-out or one deactivation revokes both.
use chrono::{DateTime, Utc};
use minijinja::{Value, context};
use poem::{
    FromRequest, Request, RequestBody,
    http::StatusCode,
    web::cookie::{Cookie, SameSite},
};

use super::{Ctx, PageError, PageResult, csrf, forms::FormData, render::html};
use crate::{
    auth::{StaffIdentity, resolve_staff, staff::TOKEN_LIFETIME},
    platform::state::AppState,
};

pub(crate) const COOKIE: &str = "creneau_staff";

/// Shows the console's appointment pages (the mediation points' days, booking on behalf).
pub(crate) const APPOINTMENTS_ENABLED: bool = true;

pub(crate) use crate::auth::sign_in::SignInError;

/// Checks the password and opens a session; answers the raw token, to be put in the cookie
/// and nowhere else.
pub(crate) async fn sign_in(
    state: &AppState,
    email: &str,
    pass: &str,
    client: Option<std::net::IpAddr>,
) -> Result<(String, DateTime<Utc>), SignInError> {
    let done = crate::auth::sign_in::sign_in(state, email, pass, client).await?;
    Ok((done.token, done.expires_at))
}

/// The session cookie: only for `/staff`, HttpOnly, SameSite=Lax, Secure over https.
fn session_cookie(state: &AppState, value: &str, max_age: std::time::Duration) -> Cookie {
    let mut c = Cookie::new_with_str(COOKIE, value);
    c.set_path("/staff");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(state.settings.public_url.starts_with("https://"));
    c.set_max_age(max_age);
    c
}

/// The cookie of a new session, living as long as its token.
pub(crate) fn opened(state: &AppState, raw: &str) -> Cookie {
    let lifetime = TOKEN_LIFETIME.to_std().unwrap_or_default();
    session_cookie(state, raw, lifetime)
}

/// The cookie that makes the browser forget the session.
pub(crate) fn closed(state: &AppState) -> Cookie {
    session_cookie(state, "", std::time::Duration::ZERO)
}

/// A signed-in staff member's request: the page context, who they are, their session token.
pub(crate) struct StaffCtx {
    pub base: Ctx,
    pub me: StaffIdentity,
    pub token: String,
    /// The calls still to make, shown in the menu.
    pub calls_due: u64,
}

impl<'a> FromRequest<'a> for StaffCtx {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let base = Ctx::from_request(req, body).await?;
        let raw = req
            .cookie()
            .get(COOKIE)
            .map(|c| c.value_str().to_string())
            .ok_or(PageError::LoginRequired)?;
        let me = resolve_staff(&base.state, &raw).await.map_err(PageError::from)?;
        let calls_due = crate::calls::queries::count_due(&base.state.db, me.organisation_id)
            .await
            .map_err(PageError::from)?;
        Ok(StaffCtx {
            base,
            me,
            token: raw,
            calls_due,
        })
    }
}

impl StaffCtx {
    pub(crate) fn state(&self) -> &AppState {
        &self.base.state
    }

    /// The hidden field of this session's forms.
    pub(crate) fn csrf(&self) -> String {
        csrf::staff_token(&self.token)
    }

    pub(crate) fn check_csrf(&self, form: &FormData) -> Result<(), PageError> {
        if csrf::staff_accepts(&self.token, form) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    pub(crate) fn require_manager(&self) -> Result<(), PageError> {
        self.me.require_manager().map_err(|_| {
            PageError::Forbidden(
                "Votre rôle ne permet pas cette action : demandez à la coordination ou à un administrateur.".into(),
            )
        })
    }

    pub(crate) fn render(&self, template: &str, page: Value) -> PageResult {
        self.render_status(StatusCode::OK, template, page)
    }

    pub(crate) fn render_status(&self, status: StatusCode, template: &str, page: Value) -> PageResult {
        let staff = context! {
            name => &self.me.name,
            role => self.me.role.to_string(),
            manager => self.me.require_manager().is_ok(),
            calls_due => self.calls_due,
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
