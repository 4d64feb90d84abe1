//! `/staff`: one day's agenda, place by place.
use chrono::{Datelike, Duration, NaiveTime};
use minijinja::context;
use poem::{handler, web::Query};
use serde::{Deserialize, Serialize};

use super::{appointments::AppointmentRow, sessions::SessionRow};
use crate::pages::params::parse_date;
use crate::{
    domain::series::wall_to_utc_shifting_gaps,
    french,
    pages::{PageResult, session_cookie::StaffCtx},
    workshops::queries::{self, SessionFilter},
};

#[derive(Deserialize)]
pub(crate) struct DayQuery {
    pub jour: Option<String>,
    /// The notice after a change made from the agenda.
    pub fait: Option<String>,
}

#[derive(Serialize)]
struct PlaceDay {
    id: i32,
    name: String,
    kind: String,
    sessions: Vec<SessionRow>,
    appointments: Vec<AppointmentRow>,
}

#[handler]
pub(crate) async fn agenda(ctx: StaffCtx, Query(q): Query<DayQuery>) -> PageResult {
    let state = ctx.state();
    let tz = state.settings.timezone;
    let now = state.clock.now();
    let today = now.with_timezone(&tz).date_naive();
    let day = q.jour.as_deref().and_then(parse_date).unwrap_or(today);
    let start = wall_to_utc_shifting_gaps(tz, day.and_time(NaiveTime::MIN));
    let end = wall_to_utc_shifting_gaps(tz, (day + Duration::days(1)).and_time(NaiveTime::MIN));
    let filter = SessionFilter {
        from: Some(start),
        to: Some(end),
        organisation_id: Some(ctx.me.organisation_id),
        include_cancelled: true,
        limit: 500,
        ..Default::default()
    };
    let sessions = queries::sessions(&state.db, &filter, now).await?;
    let places = crate::places::queries::of_organisation(&state.db, ctx.me.organisation_id, true).await?;
    let rows =
        crate::appointments::queries::organisation_appointments_between(&state.db, ctx.me.organisation_id, start, end)
            .await?;
    let appointments = crate::appointments::queries::staff_appointments(&state.db, rows, tz).await?;
    let year = today.year();
    let days: Vec<PlaceDay> = places
        .into_iter()
        .map(|p| PlaceDay {
            id: p.id,
            kind: p.kind.to_string(),
            sessions: sessions
                .iter()
                .filter(|s| s.place_id == p.id)
                .map(|s| SessionRow::new(s, year, true))
                .collect(),
            appointments: appointments
                .iter()
                .filter(|a| a.place_id == p.id)
                .map(|a| AppointmentRow::new(a, now))
                .collect(),
            name: p.name,
        })
        .collect();
    let notice = match q.fait.as_deref() {
        Some("annule") => Some("Rendez-vous annulé. La personne est prévenue, ou inscrite sur la page « À appeler »."),
        Some("deplace") => {
            Some("Rendez-vous déplacé. La personne est prévenue, ou inscrite sur la page « À appeler ».")
        }
        _ => None,
    };
    ctx.render(
        "staff/agenda.html",
        context! {
            nav => "agenda",
            day_text => french::date(day, year),
            is_today => day == today,
            day => day.to_string(),
            previous => (day - Duration::days(1)).to_string(),
            next => (day + Duration::days(1)).to_string(),
            places => days,
            notice,
        },
    )
}
