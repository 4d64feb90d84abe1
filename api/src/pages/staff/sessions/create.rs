//! Creating one session, or a weekly series of them.
use super::fields::{
    Choice, PlanningCheck, capacity_field, choice, choices, confirmation, date_field, desk_choices, desks_field,
    planning_refusal, time_field, times_field,
};
use chrono::{NaiveDate, Weekday};
use minijinja::{Value, context};
use poem::{handler, http::StatusCode};

use crate::french;
use crate::{
    domain::series::{SeriesError, WeeklySeries},
    pages::{
        PageResult,
        forms::{FormData, FormErrors},
        see_other,
        session_cookie::StaffCtx,
    },
    workshops::planning::{self, CreatedSeries, NewSeries, NewSession},
};

/// What a session form shows again after it was sent: what was typed, the desks ticked, and
/// what planning answered.
#[derive(Default)]
pub(super) struct Sent {
    pub(super) values: Value,
    pub(super) desks: Vec<String>,
    pub(super) check: PlanningCheck,
}

pub(super) async fn new_page(ctx: &StaffCtx, status: StatusCode, sent: Sent, errors: FormErrors) -> PageResult {
    let (workshops, places) = choices(ctx).await?;
    let desk_choices = desk_choices(ctx).await?;
    ctx.render_status(
        status,
        "staff/session_new.html",
        context! {
            nav => "seances", workshops, places, desk_choices, values => sent.values,
            desks_ticked => sent.desks, planning => sent.check, errors
        },
    )
}

#[handler]
pub(crate) async fn new_form(ctx: StaffCtx) -> PageResult {
    ctx.require_manager()?;
    new_page(&ctx, StatusCode::OK, Sent::default(), FormErrors::default()).await
}

#[handler]
pub(crate) async fn create(ctx: StaffCtx, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let (workshops, places) = choices(&ctx).await?;
    let mut errors = FormErrors::default();
    let workshop_id = choice(&form, "workshop", &workshops, &mut errors, "Choisissez un atelier.");
    let place_id = choice(&form, "place", &places, &mut errors, "Choisissez un lieu.");
    let (starts_at, ends_at) = times_field(&form, ctx.state().settings.timezone, &mut errors);
    let capacity = capacity_field(&form, &mut errors);
    let (desks, desks_ticked) = desks_field(&form);
    let mut sent = Sent {
        values: Value::from_serialize(form.values()),
        desks: desks_ticked,
        check: PlanningCheck::default(),
    };
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (true, Some(workshop_id), Some(place_id), Some(starts_at), Some(ends_at), Some(capacity)) =
        (errors.is_empty(), workshop_id, place_id, starts_at, ends_at, capacity)
    {
        let new = NewSession {
            workshop_id,
            place_id,
            starts_at,
            ends_at,
            capacity,
            facilitator_id: None,
            registration_closes_at: None,
            desks,
            confirmation: confirmation(&form),
        };
        match planning::create_session(ctx.state(), &ctx.me, new).await {
            Ok(s) => return Ok(see_other(&format!("/staff/seances/{}?fait=creee", s.id))),
            Err(e) => {
                (status, sent.check) = planning_refusal(
                    &mut errors,
                    e,
                    &[
                        ("starts_at", "date"),
                        ("ends_at", "end"),
                        ("capacity", "capacity"),
                        ("desks", "desks"),
                    ],
                )?
            }
        }
    }
    new_page(&ctx, status, sent, errors).await
}

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

async fn series_page(ctx: &StaffCtx, status: StatusCode, sent: Sent, errors: FormErrors) -> PageResult {
    let (workshops, places) = choices(ctx).await?;
    let desk_choices = desk_choices(ctx).await?;
    let weekdays: Vec<Choice> = WEEKDAYS
        .iter()
        .map(|w| Choice {
            value: w.number_from_monday().to_string(),
            label: french::weekday(*w).to_string(),
        })
        .collect();
    ctx.render_status(
        status,
        "staff/series_new.html",
        context! {
            nav => "seances", workshops, places, weekdays, desk_choices, values => sent.values,
            desks_ticked => sent.desks, planning => sent.check, errors
        },
    )
}

#[handler]
pub(crate) async fn series_form(ctx: StaffCtx) -> PageResult {
    ctx.require_manager()?;
    let sent = Sent {
        values: context! { skip_holidays => "oui" },
        ..Default::default()
    };
    series_page(&ctx, StatusCode::OK, sent, FormErrors::default()).await
}

#[handler]
pub(crate) async fn create_series(ctx: StaffCtx, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let (workshops, places) = choices(&ctx).await?;
    let mut errors = FormErrors::default();
    let workshop_id = choice(&form, "workshop", &workshops, &mut errors, "Choisissez un atelier.");
    let place_id = choice(&form, "place", &places, &mut errors, "Choisissez un lieu.");
    let weekday = form
        .get("weekday")
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| WEEKDAYS.get(i).copied());
    if weekday.is_none() {
        errors.add("weekday", "Choisissez le jour de la semaine.");
    }
    let start = time_field(
        &form,
        "start",
        &mut errors,
        "Indiquez l'heure de début (exemple : 14:00).",
    );
    let end = time_field(&form, "end", &mut errors, "Indiquez l'heure de fin (exemple : 16:00).");
    let first = date_field(
        &form,
        "first_date",
        &mut errors,
        "Indiquez la première date (exemple : 05/01/2027).",
    );
    let last = date_field(
        &form,
        "last_date",
        &mut errors,
        "Indiquez la dernière date (exemple : 30/06/2027).",
    );
    let capacity = capacity_field(&form, &mut errors);
    let (desks, desks_ticked) = desks_field(&form);
    let mut sent = Sent {
        values: Value::from_serialize(form.values()),
        desks: desks_ticked,
        check: PlanningCheck::default(),
    };
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (Some(weekday), Some(start_time), Some(end_time), Some(first_date), Some(last_date)) =
        (weekday, start, end, first, last)
    {
        let series = WeeklySeries {
            weekday,
            start_time,
            end_time,
            first_date,
            last_date,
            skip_public_holidays: form.checked("skip_holidays"),
        };
        match series.plan(ctx.state().settings.timezone) {
            Err(SeriesError::EndNotAfterStart { .. }) => {
                errors.add("end", "L'heure de fin doit suivre l'heure de début.")
            }
            Err(SeriesError::LastDateBeforeFirstDate { .. }) => {
                errors.add("last_date", "La dernière date doit suivre la première.")
            }
            Err(SeriesError::TooManyOccurrences { max }) => errors.add(
                "last_date",
                format!("Une série compte {max} séances au plus : raccourcissez la période."),
            ),
            Err(SeriesError::VanishesInDstGap { .. }) => errors.add(
                "start",
                "Une séance tomberait entièrement pendant le passage à l'heure d'été : changez les heures.",
            ),
            Ok(plan) if plan.occurrences.is_empty() => errors.add(
                "first_date",
                format!("Il n'y a aucun {} entre ces deux dates.", french::weekday(weekday)),
            ),
            Ok(_) => {}
        }
        if let (true, Some(workshop_id), Some(place_id), Some(capacity)) =
            (errors.is_empty(), workshop_id, place_id, capacity)
        {
            let new = NewSeries {
                workshop_id,
                place_id,
                series,
                capacity,
                facilitator_id: None,
                desks,
                confirmation: confirmation(&form),
            };
            match planning::create_series(ctx.state(), &ctx.me, new).await {
                Ok(created) => return Ok(see_other(&series_done(&created))),
                Err(e) => {
                    (status, sent.check) = planning_refusal(
                        &mut errors,
                        e,
                        &[
                            ("end_time", "end"),
                            ("last_date", "last_date"),
                            ("first_date", "first_date"),
                            ("capacity", "capacity"),
                            ("desks", "desks"),
                        ],
                    )?
                }
            }
        }
    }
    series_page(&ctx, status, sent, errors).await
}

/// The sessions list with the series' summary: counts, and the dates to check or left out
/// (only when there are some).
fn series_done(created: &CreatedSeries) -> String {
    let dates = |mut list: Vec<NaiveDate>| {
        list.dedup();
        list.iter()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let s = created.summary;
    let mut url = format!(
        "/staff/seances?fait=serie&n={}&feries={}",
        s.created, s.holidays_skipped
    );
    if s.overlaps > 0 {
        let list = dates(created.overlaps.iter().map(|(d, _)| *d).collect());
        url.push_str(&format!("&chevauchements={}&verifier={list}", s.overlaps));
    }
    if s.appointments_skipped > 0 {
        let list = dates(created.over_appointments.iter().map(|(d, _)| *d).collect());
        url.push_str(&format!("&rdv={}&sautees={list}", s.appointments_skipped));
    }
    url
}
