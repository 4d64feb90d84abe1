//! Signing in and out of the console.
use minijinja::context;
use poem::{
    handler,
    http::StatusCode,
    web::{Query, cookie::CookieJar},
};

use crate::{
    auth::sign_in::sign_out,
    pages::{
        Ctx, PageError, PageResult,
        forms::{FormData, FormErrors},
        see_other,
        session_cookie::{self, SignInError, StaffCtx},
        staff::notice::Done,
    },
};

fn page(ctx: &Ctx, status: StatusCode, email: &str, errors: FormErrors) -> PageResult {
    ctx.render_status(
        status,
        "staff/login.html",
        context! { staff_area => true, values => context! { email }, errors },
    )
}

#[handler]
pub(crate) async fn show_form(ctx: Ctx, Query(done): Query<Done>) -> PageResult {
    let notice = match done.fait.as_deref() {
        Some("mot-de-passe") => Some("Votre mot de passe est enregistré : connectez-vous avec votre adresse e-mail."),
        _ => None,
    };
    ctx.render(
        "staff/login.html",
        context! { staff_area => true, values => context! { email => "" }, errors => FormErrors::default(), notice },
    )
}

#[handler]
pub(crate) async fn submit(ctx: Ctx, req: &poem::Request, jar: &CookieJar, form: FormData) -> PageResult {
    if !ctx.csrf.accepts(&form) {
        return Err(PageError::Csrf);
    }
    let email = form.get("email").trim().to_string();
    let password = form.get("password");
    let mut errors = FormErrors::default();
    if email.is_empty() {
        errors.add("email", "Indiquez votre adresse e-mail professionnelle.");
    }
    if password.is_empty() {
        errors.add("password", "Indiquez votre mot de passe.");
    }
    if !errors.is_empty() {
        return page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &email, errors);
    }
    let client = crate::http::limits::client_of(req, ctx.state.settings.trust_proxy);
    match session_cookie::sign_in(&ctx.state, &email, password, client).await {
        Ok((raw, _)) => {
            jar.add(session_cookie::opened(&ctx.state, &raw));
            Ok(see_other("/staff"))
        }
        Err(SignInError::Db(e)) => Err(e.into()),
        Err(e) => {
            let status = match e {
                SignInError::Delayed(_) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            // The password is never sent back; the message names no field on purpose.
            let mut errors = FormErrors::default();
            errors.add("email", e.to_string());
            page(&ctx, status, &email, errors)
        }
    }
}

#[handler]
pub(crate) async fn logout(ctx: StaffCtx, jar: &CookieJar, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    sign_out(ctx.state(), &ctx.me).await?;
    jar.add(session_cookie::closed(ctx.state()));
    Ok(see_other("/staff/connexion?fait=deconnexion"))
}
