//! `/statistiques`: the public figures of this year, per place and per workshop (see
//! `statistics::public`: a group of fewer than five people shows "moins de 5").
use minijinja::context;
use poem::handler;
use serde::Serialize;

use super::{Ctx, PageError, PageResult};
use crate::pages::staff::statistics::number;
use crate::statistics::public::{self, Group, Published};

fn text(p: Published) -> String {
    match p {
        Published::Count(n) => number(n),
        Published::UnderThreshold => "moins de 5".into(),
    }
}

#[derive(Serialize)]
struct Row {
    name: String,
    people: String,
    bookings: String,
    sessions_held: String,
}

fn rows(groups: Vec<Group>) -> Vec<Row> {
    groups
        .into_iter()
        .map(|g| Row {
            name: g.name,
            people: text(g.people),
            bookings: text(g.bookings),
            sessions_held: number(g.sessions_held),
        })
        .collect()
}

#[handler]
pub(crate) async fn page(ctx: Ctx) -> PageResult {
    let state = &ctx.state;
    // The site's organisation, as `render::Site` takes it (a deployment serves one town).
    let org = crate::platform::organisations::site(&state.db)
        .await?
        .ok_or_else(|| PageError::NotFound("Aucun chiffre n'est encore publié.".into()))?;
    let f = public::figures(&state.db, org.id, ctx.year(), state.settings.timezone, ctx.now()).await?;
    let figures = context! {
        year => f.year,
        people => text(f.people),
        bookings => text(f.bookings),
        places => rows(f.places),
        workshops => rows(f.workshops),
    };
    ctx.render("statistics.html", context! { nav => "statistiques", figures })
}
