//! Copying a session: the new-session form filled in from it, the date left to choose.
use entities::session;
use minijinja::context;
use poem::{handler, http::StatusCode, web::Path};

use super::create::new_page;
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
    new_page(&ctx, StatusCode::OK, values, FormErrors::default()).await
}
