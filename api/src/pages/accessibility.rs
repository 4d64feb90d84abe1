//! `/accessibilite`: the accessibility statement (RGAA), what is tested, how to report a problem.
use minijinja::context;
use poem::handler;

use super::{Ctx, PageResult};

#[handler]
pub(crate) async fn page(ctx: Ctx) -> PageResult {
    ctx.render("accessibility.html", context! {})
}
