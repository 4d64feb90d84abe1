//! Cancelling a session: who will be told, whom to call, then the cancellation.
use super::show::{Registrant, load, session_context};
use entities::kinds::SessionStatus;
use minijinja::{Value, context};
use poem::{handler, http::StatusCode, web::Path};

use crate::french;
use crate::{
    domain::{capacity::RegistrationClosed, contact::free_text},
    pages::{
        PageError, PageResult,
        forms::{FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
    },
    workshops::service::{self, RegistrationError},
};

async fn cancel_page(ctx: &StaffCtx, id: &str, status: StatusCode, values: Value, errors: FormErrors) -> PageResult {
    let l = load(ctx, id).await?;
    if l.session.status == SessionStatus::Cancelled {
        return Ok(see_other(&format!("/staff/seances/{}", l.session.id)));
    }
    let session = session_context(ctx, &l);
    let people = || l.confirmed.iter().chain(&l.waiting);
    let told = people().filter(|r| r.reached_by.is_some()).count();
    let to_call: Vec<&Registrant> = people().filter(|r| r.reached_by.is_none()).collect();
    ctx.render_status(
        status,
        "staff/session_cancel.html",
        context! {
            nav => "seances", session, told, told_text => french::people(told), to_call, values, errors
        },
    )
}

#[handler]
pub(crate) async fn cancel_form(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    ctx.require_manager()?;
    cancel_page(&ctx, &id, StatusCode::OK, context! {}, FormErrors::default()).await
}

#[handler]
pub(crate) async fn cancel(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let l = load(&ctx, &id).await?;
    let mut errors = FormErrors::default();
    let reason = free_text(Some(form.get("reason")), 500)
        .map_err(|e| errors.add("reason", e.to_string()))
        .ok()
        .flatten();
    if !form.checked("confirm") {
        errors.add("confirm", "Cochez la case pour confirmer l'annulation.");
    }
    if !errors.is_empty() {
        let values = Value::from_serialize(form.values());
        return cancel_page(&ctx, &id, StatusCode::UNPROCESSABLE_ENTITY, values, errors).await;
    }
    match service::cancel_session(ctx.state(), l.session.id, reason).await {
        Ok(_) | Err(RegistrationError::Closed(RegistrationClosed::SessionCancelled)) => {
            Ok(see_other(&format!("/staff/seances/{}?fait=annulee", l.session.id)))
        }
        Err(e) => Err(PageError::internal(e)),
    }
}
