//! `/inscription/{token}`: the confirmation page, which is also the page to manage the
//! registration (the link in every message). The token in the path is the only key.
use entities::place;
use minijinja::context;
use poem::{handler, http::StatusCode, web::Path};

use super::routes::{PageRoutes, get};
use sea_orm::EntityTrait;

use super::{
    Ctx, PageError, PageResult,
    forms::{FormData, FormErrors},
    see_other,
    workshops::{PlaceView, session_view},
};
use crate::{
    french,
    notifications::payload::BookingKind,
    workshops::{
        dto::{RegistrationStatus, RegistrationView},
        public_api::{manage_url, view},
        queries,
        service::{self, RegistrationError},
    },
};

pub(crate) fn registration_routes() -> PageRoutes {
    PageRoutes::new()
        .at("/:token", get(show))
        .at("/:token/annuler", get(confirm_cancel).post(cancel))
        .at(
            "/:token/effacer",
            get(crate::retention::pages::confirm_registration).post(crate::retention::pages::erase_registration),
        )
}

fn bad_link() -> PageError {
    PageError::NotFound(
        "Ce lien d'inscription n'est pas valable. Vérifiez qu'il est complet (recopiez-le depuis votre e-mail), \
         ou contactez-nous."
            .into(),
    )
}

async fn registration(ctx: &Ctx, token: &str) -> Result<RegistrationView, PageError> {
    Ok(registration_with_contact(ctx, token).await?.0)
}

/// The registration as its holder sees it, and the e-mail address its messages go to.
async fn registration_with_contact(ctx: &Ctx, token: &str) -> Result<(RegistrationView, Option<String>), PageError> {
    let r = service::find_by_token(&ctx.state.db, token)
        .await
        .map_err(|e| match e {
            RegistrationError::NotFound => bad_link(),
            other => PageError::internal(other),
        })?;
    let email = r.email.clone();
    Ok((view(&ctx.state, r).await?, email))
}

fn status_str(s: RegistrationStatus) -> &'static str {
    match s {
        RegistrationStatus::Confirmed => "confirmed",
        RegistrationStatus::Waitlisted => "waitlisted",
        RegistrationStatus::Cancelled => "cancelled",
    }
}

#[handler]
async fn show(ctx: Ctx, Path(token): Path<String>) -> PageResult {
    let (r, email) = registration_with_contact(&ctx, &token).await?;
    let (session, place) = session_view(&ctx, &r.session).await?;
    let erase = crate::retention::pages::erase_offer(&ctx, BookingKind::Registration, &token).await?;
    let moved_from = queries::moved_from(&ctx.state.db, &r)
        .await?
        .map(|before| french::short_at(&before, ctx.year()));
    ctx.render(
        "manage/registration.html",
        context! {
            session, place,
            status => status_str(r.status),
            position => r.waitlist_position,
            can_cancel => r.can_cancel,
            name => r.name,
            booking_code => r.booking_code,
            moved_from,
            has_email => email.is_some(),
            email,
            ics_url => format!("/api/v1/registrations/{token}/invite.ics"),
            manage_url => manage_url(&ctx.state, BookingKind::Registration, &token),
            token,
            ..erase
        },
    )
}

async fn cancel_page(
    ctx: &Ctx,
    token: &str,
    r: &RegistrationView,
    status: StatusCode,
    errors: FormErrors,
) -> PageResult {
    let (session, _) = session_view(ctx, &r.session).await?;
    let place = place::Entity::find_by_id(r.session.place_id)
        .one(&ctx.state.db)
        .await?
        .map(|p| PlaceView::new(&p));
    ctx.render_status(
        status,
        "manage/registration_cancel.html",
        context! { session, place, token, errors },
    )
}

#[handler]
async fn confirm_cancel(ctx: Ctx, Path(token): Path<String>) -> PageResult {
    let r = registration(&ctx, &token).await?;
    if !r.can_cancel {
        // Nothing to confirm: the manage page says why.
        return Ok(see_other(&format!("/inscription/{token}")));
    }
    cancel_page(&ctx, &token, &r, StatusCode::OK, FormErrors::default()).await
}

#[handler]
async fn cancel(ctx: Ctx, Path(token): Path<String>, form: FormData) -> PageResult {
    if !ctx.csrf.accepts(&form) {
        return Err(PageError::Csrf);
    }
    match service::cancel_by_token(&ctx.state, &token).await {
        Ok(_) => Ok(see_other(&format!("/inscription/{token}"))),
        Err(RegistrationError::NotFound) => Err(bad_link()),
        Err(e @ (RegistrationError::AlreadyCancelled | RegistrationError::TooLateToCancel)) => {
            let r = registration(&ctx, &token).await?;
            cancel_page(&ctx, &token, &r, StatusCode::CONFLICT, FormErrors::form(e.to_string())).await
        }
        Err(e) => Err(PageError::internal(e)),
    }
}
