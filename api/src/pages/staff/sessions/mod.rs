//! `/staff/seances`: sessions, their registrants and waiting list, attendance, the printable
//! attendance sheet, registering someone at the counter, creating sessions and weekly
//! series, cancelling a session. Every change goes through `workshops::service`, the same
//! code as the admin API.
pub(crate) mod cancel;
pub(crate) mod copy;
pub(crate) mod create;
pub(crate) mod edit;
mod fields;
pub(crate) mod registrants;
pub(crate) mod series;
pub(crate) mod show;

use chrono::{Duration, NaiveDate};
use entities::kinds::SessionStatus;
pub(crate) use fields::{Choice, choices};
use minijinja::context;
use poem::{handler, web::Query};
use serde::Serialize;
pub(crate) use show::attendance_label;

use crate::french;
use crate::pages::staff::notice::Done;
use crate::{
    pages::{PageResult, session_cookie::StaffCtx},
    workshops::{
        dto::Session,
        queries::{self, SessionFilter},
        warnings::SeriesSummary,
    },
};

/// A session in a list or an agenda.
#[derive(Serialize)]
pub(crate) struct SessionRow {
    pub id: i32,
    pub title: String,
    pub place: String,
    pub when: String,
    pub confirmed: i32,
    pub capacity: i32,
    pub waiting: i32,
    pub cancelled: bool,
    pub summary: String,
}

impl SessionRow {
    /// `hours_only`: "14 h – 16 h" (an agenda already says the day).
    pub(crate) fn new(s: &Session, year: i32, hours_only: bool) -> SessionRow {
        let cancelled = s.status == SessionStatus::Cancelled;
        let confirmed = if cancelled { 0 } else { s.capacity - s.seats_left };
        let summary = if cancelled {
            "Annulée".to_string()
        } else {
            let mut t = format!(
                "{confirmed} inscrit{} sur {}",
                if confirmed > 1 { "s" } else { "" },
                s.capacity
            );
            if s.waitlist_count > 0 {
                t.push_str(&format!(", {} en attente", s.waitlist_count));
            }
            t
        };
        SessionRow {
            id: s.id,
            title: s.workshop_title.clone(),
            place: s.place_name.clone(),
            when: if hours_only {
                format!("{} – {}", french::time(&s.starts_at), french::time(&s.ends_at))
            } else {
                french::short_span(&s.starts_at, &s.ends_at, year)
            },
            confirmed,
            capacity: s.capacity,
            waiting: s.waitlist_count,
            cancelled,
            summary,
        }
    }
}

#[handler]
pub(crate) async fn list(ctx: StaffCtx, Query(done): Query<Done>) -> PageResult {
    let state = ctx.state();
    let now = state.clock.now();
    let filter = SessionFilter {
        from: Some(now - Duration::days(7)),
        to: Some(now + Duration::days(90)),
        organisation_id: Some(ctx.me.organisation_id),
        include_cancelled: true,
        limit: 1000,
        ..Default::default()
    };
    let y = ctx.base.year();
    let rows: Vec<SessionRow> = queries::sessions(&state.db, &filter, now)
        .await?
        .iter()
        .map(|s| SessionRow::new(s, y, false))
        .collect();
    let notice = match done.fait.as_deref() {
        Some("serie") => Some(series_notice(&done)),
        _ => None,
    };
    ctx.render(
        "staff/sessions.html",
        context! { nav => "seances", sessions => rows, notice },
    )
}

/// "13 séances créées, 2 jours fériés sautés, 1 chevauchement à vérifier. Chevauchement à
/// vérifier : mardi 12 janvier." after a series.
fn series_notice(done: &Done) -> String {
    let count = |n: Option<u32>| n.map_or(0, |n| n as usize);
    let mut text = SeriesSummary {
        created: count(done.n),
        holidays_skipped: count(done.feries),
        overlaps: count(done.chevauchements),
        appointments_skipped: count(done.rdv),
    }
    .sentence();
    let dates = |raw: &Option<String>| {
        raw.as_deref()
            .unwrap_or("")
            .split(',')
            .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(french::short_date)
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (label, raw) in [
        ("Chevauchement à vérifier", &done.verifier),
        ("Pas de séance (rendez-vous déjà pris)", &done.sautees),
    ] {
        let shown = dates(raw);
        if !shown.is_empty() {
            text.push_str(&format!(" {label} : {shown}."));
        }
    }
    text
}
