//! `/donnees-personnelles`: what Créneau keeps about residents, why, for how long (the
//! `CRENEAU_RETENTION_MONTHS` setting), who sees it and how to have it erased.
use minijinja::context;
use poem::handler;

use super::{Ctx, PageResult};

#[handler]
pub(crate) async fn page(ctx: Ctx) -> PageResult {
    let months = ctx.state.settings.retention_months;
    ctx.render(
        "privacy.html",
        context! {
            months,
            survey_days => crate::survey::invite::VALID_DAYS,
            threshold => crate::survey::results::THRESHOLD,
        },
    )
}
