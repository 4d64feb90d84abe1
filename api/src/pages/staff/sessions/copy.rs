//! Copying a session: the new-session form filled in from it, the date left to choose.
use entities::session;
use minijinja::context;
use poem::{handler, http::StatusCode, web::Path};

use super::create::{Sent, new_page};
use crate::{
    pages::{PageError, PageResult, forms::FormErrors, session_cookie::StaffCtx},
    workshops::planning,
};

#[handler]
pub(crate) async fn copy_form(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    ctx.require_manager()?;
    let id: i32 = id
        .parse()
        .map_err(|_| PageError::NotFound("Cette séance n'existe pas.".into()))?;
    let s = planning::in_org::<session::Entity>(ctx.state(), &ctx.me, id).await?;
    let tz = ctx.state().settings.timezone;
    let values = context! {
        workshop => s.workshop_id.to_string(),
        place => s.place_id.to_string(),
        start => s.starts_at.with_timezone(&tz).format("%H:%M").to_string(),
        end => s.ends_at.with_timezone(&tz).format("%H:%M").to_string(),
        capacity => s.capacity.to_string(),
    };
    // The same desks as the copied session (none stored: the place's default).
    let desks = s
        .desks
        .as_deref()
        .map(|d| d.split(',').filter(|d| !d.is_empty()).map(String::from).collect())
        .unwrap_or_default();
    let sent = Sent {
        values,
        desks,
        ..Default::default()
    };
    new_page(&ctx, StatusCode::OK, sent, FormErrors::default()).await
}
