//! `/staff/sms-recus`: the texts residents sent back (someone may answer a reminder: "je
//! serai en retard"), with the names their number has in the bookings, and the numbers that
//! answered "STOP" — those people are reached by phone only.
use chrono::Datelike;
use minijinja::context;
use poem::{
    handler,
    web::{Path, Query},
};
use serde::Serialize;

use super::notice::Done;
use crate::french;
use crate::notifications::sms::inbound;
use crate::pages::{PageError, PageResult, forms::FormData, see_other, session_cookie::StaffCtx};

#[derive(Serialize)]
struct Text {
    id: i32,
    when: String,
    phone: String,
    names: String,
    body: String,
    read: bool,
}

#[derive(Serialize)]
struct Stopped {
    when: String,
    phone: String,
    names: String,
}

fn names(n: &[String]) -> String {
    if n.is_empty() {
        "numéro inconnu des réservations".into()
    } else {
        n.join(", ")
    }
}

#[handler]
pub(crate) async fn list(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    let state = ctx.state();
    let tz = state.settings.timezone;
    let year = state.clock.now().with_timezone(&tz).year();
    let org = ctx.me.organisation_id;
    let texts: Vec<Text> = inbound::received(&state.db, org, 200)
        .await?
        .into_iter()
        .map(|r| Text {
            id: r.id,
            when: french::short_at(&r.received_at.with_timezone(&tz), year),
            phone: french::phone(&r.phone),
            names: names(&r.names),
            body: r.body,
            read: r.read,
        })
        .collect();
    let stopped: Vec<Stopped> = inbound::stopped(&state.db, org)
        .await?
        .into_iter()
        .map(|(phone, n, at)| Stopped {
            when: french::short_at(&at.with_timezone(&tz), year),
            phone: french::phone(&phone),
            names: names(&n),
        })
        .collect();
    let notice = (done.fait.as_deref() == Some("lu")).then_some("Le SMS est marqué comme lu.");
    ctx.render("staff/replies.html", context! { nav => "sms", texts, stopped, notice })
}

#[handler]
pub(crate) async fn mark_read(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    let not_found = || PageError::NotFound("Ce SMS n'existe pas.".into());
    let id: i32 = id.parse().map_err(|_| not_found())?;
    let state = ctx.state();
    if !inbound::mark_read(&state.db, ctx.me.organisation_id, id, ctx.me.id, state.clock.now()).await? {
        return Err(not_found());
    }
    Ok(see_other("/staff/sms-recus?fait=lu"))
}
