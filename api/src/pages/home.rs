//! `/`: two doors, workshops and appointments.
use minijinja::context;
use poem::handler;

use super::{Ctx, PageResult};

#[handler]
pub(crate) async fn home(ctx: Ctx) -> PageResult {
    ctx.render("home.html", context! { nav => "accueil" })
}
