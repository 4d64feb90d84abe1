//! `/staff/flux`: the calendar feeds in use (never their secret addresses), who made them,
//! when a calendar application last read them, and a button to revoke each.
use chrono::Datelike;
use entities::kinds::FeedKind;
use minijinja::context;
use poem::{
    handler,
    web::{Path, Query},
};
use serde::Serialize;

use super::notice::Done;
use crate::french;
use crate::notifications::{
    queries::visible_feeds,
    service::{RevokeOutcome, revoke_feed},
};
use crate::pages::{PageError, PageResult, forms::FormData, see_other, session_cookie::StaffCtx};

#[derive(Serialize)]
struct Listed {
    id: i32,
    what: String,
    created: String,
    creator: String,
    last_used: String,
}

#[handler]
pub(crate) async fn list(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    let state = ctx.state();
    let tz = state.settings.timezone;
    let year = state.clock.now().with_timezone(&tz).year();
    let feeds = visible_feeds(state, &ctx.me).await?;
    let places = crate::places::queries::names(&state.db, ctx.me.organisation_id).await?;
    let members = crate::auth::queries::organisation_names(&state.db, ctx.me.organisation_id).await?;
    let listed: Vec<Listed> = feeds
        .into_iter()
        .map(|f| Listed {
            id: f.id,
            what: match f.kind {
                FeedKind::Place => format!(
                    "Agenda du lieu « {} »",
                    f.place_id.and_then(|id| places.get(&id)).map_or("?", String::as_str)
                ),
                FeedKind::Staff => format!(
                    "Agenda de {}",
                    f.staff_member_id
                        .and_then(|id| members.get(&id))
                        .map_or("?", String::as_str)
                ),
            },
            created: french::short_at(&f.created_at.with_timezone(&tz), year),
            creator: f.created_by_name.unwrap_or_else(|| "auteur inconnu".into()),
            last_used: f.last_used_at.map_or_else(
                || "jamais lu".into(),
                |t| format!("lu le {}", french::short_at(&t.with_timezone(&tz), year)),
            ),
        })
        .collect();
    let notice =
        (done.fait.as_deref() == Some("revoque")).then_some("Le flux est révoqué : son adresse ne marche plus.");
    ctx.render("staff/feeds.html", context! { nav => "flux", feeds => listed, notice })
}

#[handler]
pub(crate) async fn revoke(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    let not_found = || PageError::NotFound("Ce flux d'agenda n'existe pas.".into());
    let id: i32 = id.parse().map_err(|_| not_found())?;
    match revoke_feed(ctx.state(), &ctx.me, id).await? {
        RevokeOutcome::Revoked => Ok(see_other("/staff/flux?fait=revoque")),
        RevokeOutcome::NotFound => Err(not_found()),
        RevokeOutcome::Forbidden => Err(PageError::Forbidden(
            "Votre rôle ne permet pas cette action : demandez à la coordination ou à un administrateur.".into(),
        )),
    }
}
