//! A mediation point's day: openings, closures, appointments with their desk and outcome,
//! the walk-in form (today only), and recording whether people came.
use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use entities::place;
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::{Deserialize, Serialize};

use super::{AppointmentRow, appointment_in_org, day_of, place_in_org, place_motifs};
use crate::{
    appointments::{
        queries::{self, organisation_tz},
        service::{self, Outcome},
        walk_in::NOW_MARGIN_MINUTES,
    },
    french,
    pages::{PageError, PageResult, forms::FormData, forms::FormErrors, see_other, session_cookie::StaffCtx},
};

#[derive(Deserialize)]
pub(crate) struct DayQuery {
    pub(super) jour: Option<String>,
    pub(super) fait: Option<String>,
    pub(super) motif: Option<String>,
    pub(super) debut: Option<String>,
}

#[handler]
pub(crate) async fn day_view(ctx: StaffCtx, Path(place_id): Path<String>, Query(q): Query<DayQuery>) -> PageResult {
    let (p, tz) = place_in_org(&ctx, &place_id).await?;
    let (day, _) = day_of(&ctx, tz, q.jour.as_deref());
    let notice = match q.fait.as_deref() {
        Some("reserve") => Some("Rendez-vous enregistré."),
        Some("note") => Some("Présence enregistrée."),
        Some("sur-place") => Some("Personne accueillie : son rendez-vous sur place est enregistré ci-dessous."),
        Some("annule") => Some("Rendez-vous annulé. La personne est prévenue, ou inscrite sur la page « À appeler »."),
        Some("deplace") => {
            Some("Rendez-vous déplacé. La personne est prévenue, ou inscrite sur la page « À appeler ».")
        }
        _ => None,
    };
    day_page(
        &ctx,
        &p,
        tz,
        day,
        notice,
        StatusCode::OK,
        context! {},
        FormErrors::default(),
    )
    .await
}

/// The day of `p`, with the walk-in form's `values` and `errors` (after a refused walk-in).
#[allow(clippy::too_many_arguments)]
pub(super) async fn day_page(
    ctx: &StaffCtx,
    p: &place::Model,
    tz: Tz,
    day: NaiveDate,
    notice: Option<&str>,
    status: StatusCode,
    walk_in: Value,
    errors: FormErrors,
) -> PageResult {
    let today = ctx.state().clock.now().with_timezone(&tz).date_naive();
    let agenda = queries::agenda(&ctx.state().db, p, tz, day, 1, false).await?;
    let now = ctx.state().clock.now();
    let d = agenda.days.into_iter().next();
    let openings: Vec<String> = d
        .as_ref()
        .map(|d| {
            d.openings
                .iter()
                .map(|o| format!("{} – {}", french::time(&o.starts_at), french::time(&o.ends_at)))
                .collect()
        })
        .unwrap_or_default();
    let closures: Vec<String> = d
        .as_ref()
        .map(|d| {
            d.closures
                .iter()
                .map(|c| {
                    let who = c
                        .desk
                        .map(|n| format!("poste {n}"))
                        .unwrap_or_else(|| "tout le lieu".into());
                    format!(
                        "{} – {}, {who} : {}",
                        french::time(&c.starts_at),
                        french::time(&c.ends_at),
                        c.reason
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let phones: Vec<String> = d
        .iter()
        .flat_map(|d| d.appointments.iter())
        .filter_map(|a| a.phone.clone())
        .collect();
    let stopped =
        crate::notifications::sms::inbound::opted_out_among(&ctx.state().db, ctx.me.organisation_id, phones).await?;
    let appointments: Vec<AppointmentRow> = d
        .as_ref()
        .map(|d| {
            d.appointments
                .iter()
                .map(|a| AppointmentRow {
                    sms_stopped: a.phone.as_ref().is_some_and(|p| stopped.contains(p)),
                    ..AppointmentRow::new(a, now)
                })
                .collect()
        })
        .unwrap_or_default();
    let ids: Vec<i32> = appointments.iter().map(|a| a.id).collect();
    let records = crate::records::queries::of_appointments(&ctx.state().db, &ids).await?;
    #[derive(Serialize)]
    struct MotifChoice {
        value: i32,
        label: String,
    }
    let motifs: Vec<MotifChoice> = if day == today && ctx.me.require_manager().is_ok() {
        place_motifs(ctx, p)
            .await?
            .into_iter()
            .map(|m| MotifChoice {
                value: m.id,
                label: m.label,
            })
            .collect()
    } else {
        Vec::new()
    };
    ctx.render_status(
        status,
        "staff/appointment_day.html",
        context! {
            nav => "rendez-vous",
            place_id => p.id,
            place_name => &p.name,
            desks => p.desks,
            day_text => french::date(day, today.year()),
            is_today => day == today,
            day => day.to_string(),
            previous => (day - Duration::days(1)).to_string(),
            next => (day + Duration::days(1)).to_string(),
            holiday => d.as_ref().and_then(|d| d.public_holiday.clone()),
            openings,
            closures,
            appointments,
            records,
            notice,
            motifs,
            now_margin => NOW_MARGIN_MINUTES,
            walk_in,
            errors,
        },
    )
}

#[handler]
pub(crate) async fn mark(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let a = appointment_in_org(&ctx, &id).await?;
    let outcome = match form.get("outcome") {
        "honoured" => Outcome::Honoured,
        "no_show" => Outcome::NoShow,
        "excused" => Outcome::Excused,
        _ => return Err(PageError::BadRequest("Choisissez « Venu » ou « Absent ».".into())),
    };
    let tz = organisation_tz(&ctx.state().db, a.organisation_id).await?;
    let day = a.starts_at.with_timezone(&tz).date_naive();
    match service::mark(ctx.state(), a.id, outcome).await {
        Ok(_) => Ok(see_other(&format!(
            "/staff/lieux/{}?jour={day}&fait=note#rdv-{}",
            a.place_id, a.id
        ))),
        Err(e) => Err(PageError::from(e)),
    }
}
