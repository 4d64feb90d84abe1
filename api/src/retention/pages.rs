//! A resident erases their own data from the manage page, once the booking is over or
//! cancelled: a confirmation step, then the data is gone and the link with it.
use chrono::{DateTime, Utc};
use entities::kinds::{AppointmentStatus, BookingKind};
use minijinja::context;
use poem::{handler, web::Path};

use super::{erase_one, registration_may_erase, resident_may_erase};
use crate::pages::{Ctx, PageError, PageResult, forms::FormData, see_other};

/// A booking found by its manage token: what erasing needs to know.
struct Held {
    kind: BookingKind,
    id: i32,
    may_erase: bool,
    manage_path: String,
}

fn bad_link() -> PageError {
    PageError::NotFound(
        "Ce lien n'est pas (ou plus) valable. Si vous avez effacé vos données, il ne mène plus nulle part.".into(),
    )
}

/// Whether the appointment may be erased by its holder now.
pub(crate) fn appointment_may_erase(a: &entities::appointment::Model, now: DateTime<Utc>) -> bool {
    resident_may_erase(a.status == AppointmentStatus::Cancelled, a.ends_at, now)
}

async fn held(ctx: &Ctx, kind: BookingKind, token: &str) -> Result<Held, PageError> {
    let now = ctx.state.clock.now();
    match kind {
        BookingKind::Registration => {
            let r = crate::workshops::service::find_by_token(&ctx.state.db, token)
                .await
                .map_err(|_| bad_link())?;
            Ok(Held {
                kind,
                id: r.id,
                may_erase: registration_may_erase(&ctx.state.db, &r, now).await?,
                manage_path: format!("/inscription/{token}"),
            })
        }
        BookingKind::Appointment => {
            let a = crate::appointments::service::find_by_token(&ctx.state.db, token)
                .await
                .map_err(|_| bad_link())?;
            Ok(Held {
                kind,
                id: a.id,
                may_erase: appointment_may_erase(&a, now),
                manage_path: format!("/rendez-vous/{token}"),
            })
        }
    }
}

/// What the manage page needs to offer erasure (`manage/_erase.html`): whether it may, where
/// the button goes, after how long the data goes anyway.
pub(crate) async fn erase_offer(ctx: &Ctx, kind: BookingKind, token: &str) -> Result<minijinja::Value, PageError> {
    let h = held(ctx, kind, token).await?;
    Ok(context! {
        can_erase => h.may_erase,
        erase_url => format!("{}/effacer", h.manage_path),
        retention_months => ctx.state.settings.retention_months,
    })
}

async fn confirm(ctx: Ctx, kind: BookingKind, token: &str) -> PageResult {
    let h = held(&ctx, kind, token).await?;
    if !h.may_erase {
        // Still to come: the manage page offers to cancel first.
        return Ok(see_other(&h.manage_path));
    }
    ctx.render(
        "manage/erase.html",
        context! { action => format!("{}/effacer", h.manage_path), back => h.manage_path },
    )
}

async fn submit(ctx: Ctx, kind: BookingKind, token: &str, form: FormData) -> PageResult {
    if !ctx.csrf.accepts(&form) {
        return Err(PageError::Csrf);
    }
    let h = held(&ctx, kind, token).await?;
    if !h.may_erase {
        return Ok(see_other(&h.manage_path));
    }
    erase_one(&ctx.state, h.kind, h.id).await?;
    tracing::info!(booking_kind = %h.kind, booking_id = h.id, "a resident erased their data");
    ctx.render("manage/erased.html", context! {})
}

#[handler]
pub(crate) async fn confirm_registration(ctx: Ctx, Path(token): Path<String>) -> PageResult {
    confirm(ctx, BookingKind::Registration, &token).await
}

#[handler]
pub(crate) async fn erase_registration(ctx: Ctx, Path(token): Path<String>, form: FormData) -> PageResult {
    submit(ctx, BookingKind::Registration, &token, form).await
}

#[handler]
pub(crate) async fn confirm_appointment(ctx: Ctx, Path(token): Path<String>) -> PageResult {
    confirm(ctx, BookingKind::Appointment, &token).await
}

#[handler]
pub(crate) async fn erase_appointment(ctx: Ctx, Path(token): Path<String>, form: FormData) -> PageResult {
    submit(ctx, BookingKind::Appointment, &token, form).await
}
