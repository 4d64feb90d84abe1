//! `/staff/a-appeler`: the people to phone because no e-mail or SMS could tell them of a
//! change (see [`crate::calls`]), each with a `tel:` link, the sentence to say, and
//! "Prévenu·e" to record the call.
use chrono::Datelike;
use minijinja::context;
use poem::{
    handler,
    web::{Path, Query},
};
use serde::Serialize;

use super::notice::Done;
use crate::calls::queries;
use crate::french;
use crate::pages::{PageError, PageResult, forms::FormData, see_other, session_cookie::StaffCtx};

#[derive(Serialize)]
struct Line {
    id: i64,
    name: String,
    phone: Option<String>,
    tel: Option<String>,
    sentence: String,
    why: &'static str,
    since: String,
}

#[handler]
pub(crate) async fn list(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    let state = ctx.state();
    let tz = state.settings.timezone;
    let year = state.clock.now().with_timezone(&tz).year();
    let calls: Vec<Line> = queries::due(&state.db, ctx.me.organisation_id, 300)
        .await?
        .into_iter()
        .map(|c| Line {
            id: c.outbox_id,
            name: c.name,
            phone: c.phone.as_deref().map(french::phone),
            tel: c.phone,
            sentence: c.sentence,
            why: c.why,
            since: french::short_at(&c.since.with_timezone(&tz), year),
        })
        .collect();
    let notice = (done.fait.as_deref() == Some("prevenu")).then_some("Appel enregistré. Merci !");
    ctx.render("staff/calls.html", context! { nav => "appels", calls, notice })
}

#[handler]
pub(crate) async fn called(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    let not_found = || PageError::NotFound("Cet appel n'est pas (ou plus) à faire.".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let state = ctx.state();
    if !queries::mark_called(&state.db, ctx.me.organisation_id, id, ctx.me.id, state.clock.now()).await? {
        return Err(not_found());
    }
    Ok(see_other("/staff/a-appeler?fait=prevenu"))
}
