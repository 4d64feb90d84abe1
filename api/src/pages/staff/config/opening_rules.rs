//! A place's schedule page: its weekly opening rules (day, hours, chosen weeks of the
//! month, validity), its extra openings and its closures, each with its form; adding,
//! editing and deleting rules and extra openings. Closures are [`super::closures`]'.
//! An edit shows the same page with that row's form filled in instead of the add form.
use chrono::{NaiveDate, NaiveTime, Utc};
use entities::{closure, extra_opening, opening_rule, place};
use minijinja::{Value, context};
use poem::{
    handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::{Checkable, STALE, id_of, place_in_org, refused, stale, version};
use crate::{
    appointments::{
        rules::{describe_rule, weekday_from_number, weeks_from_column},
        schedule::{rules, to_rule},
        schedule_admin::{self, ExtraFields, RuleFields},
    },
    french,
    pages::{
        PageResult,
        forms::{FormData, FormErrors},
        params::parse_date,
        see_other,
        session_cookie::StaffCtx,
        staff::notice::Done,
    },
};

#[derive(Serialize)]
struct Line {
    id: i32,
    text: String,
}

/// The stored row whose form the schedule page shows instead of an add form.
#[derive(Clone, Copy)]
pub(super) struct Editing {
    /// `rule`, `extra` or `closure`: which of the page's forms.
    what: &'static str,
    id: i32,
}

impl Editing {
    pub(super) fn closure(id: i32) -> Self {
        Editing { what: "closure", id }
    }
}

/// "de 9 h à 12 h 30" for a wall-time range.
fn hours(start: NaiveTime, end: NaiveTime) -> String {
    format!("de {} à {}", french::time_of_day(start), french::time_of_day(end))
}

/// The schedule page again after a refused form (an add form, or the form of the row being
/// edited): what was typed, the messages beside it, 422.
pub(super) async fn schedule_refused(
    ctx: &StaffCtx,
    p: &place::Model,
    form: &FormData,
    errors: FormErrors,
    editing: Option<Editing>,
) -> PageResult {
    schedule_page(
        ctx,
        p,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        values_back(form),
        errors,
        editing,
    )
    .await
}

/// The whole page, with the values and errors of the form that was just sent (its fields
/// are prefixed `rule_`, `extra_` or `closure_`).
pub(super) async fn schedule_page(
    ctx: &StaffCtx,
    p: &place::Model,
    status: StatusCode,
    notice: Option<&str>,
    values: Value,
    errors: FormErrors,
    editing: Option<Editing>,
) -> PageResult {
    let db = &ctx.state().db;
    let tz = ctx.state().settings.timezone;
    let now = ctx.state().clock.now();
    let rule_lines: Vec<Line> = rules(db, p.id)
        .await?
        .iter()
        .filter_map(|r| {
            to_rule(r).map(|rule| Line {
                id: r.id,
                text: describe_rule(&rule),
            })
        })
        .collect();
    let today = now.with_timezone(&tz).date_naive();
    let extras: Vec<Line> = extra_opening::Entity::find()
        .filter(extra_opening::Column::PlaceId.eq(p.id))
        .filter(extra_opening::Column::Date.gte(today))
        .order_by_asc(extra_opening::Column::Date)
        .order_by_asc(extra_opening::Column::StartTime)
        .all(db)
        .await?
        .into_iter()
        .map(|e| Line {
            id: e.id,
            text: format!(
                "{} {}{}",
                french::long_date(e.date),
                hours(e.start_time, e.end_time),
                e.note.map(|n| format!(" : {n}")).unwrap_or_default()
            ),
        })
        .collect();
    let closures: Vec<Line> = closure::Entity::find()
        .filter(closure::Column::PlaceId.eq(p.id))
        .filter(closure::Column::EndsAt.gt(now))
        .order_by_asc(closure::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(|c| Line {
            id: c.id,
            text: format!(
                "{}, {} : {}",
                french::span(tz, c.starts_at, c.ends_at),
                c.desk
                    .map_or_else(|| "tout le lieu".to_string(), |d| format!("guichet {d}")),
                c.reason
            ),
        })
        .collect();
    let weekdays: Vec<Checkable> = (1..=7)
        .filter_map(weekday_from_number)
        .map(|w| Checkable {
            value: w.number_from_monday().to_string(),
            label: french::weekday(w).to_string(),
            checked: false,
        })
        .collect();
    let chosen_weeks: Vec<String> = values
        .get_attr("rule_weeks")
        .ok()
        .and_then(|v| v.try_iter().ok().map(|it| it.map(|w| w.to_string()).collect()))
        .unwrap_or_default();
    let weeks: Vec<Checkable> = (1..=5)
        .map(|n: u8| Checkable {
            value: n.to_string(),
            label: match n {
                1 => "1re semaine du mois".into(),
                n => format!("{n}e semaine du mois"),
            },
            checked: chosen_weeks.contains(&n.to_string()),
        })
        .collect();
    let desks: Vec<Checkable> = (1..=p.desks)
        .map(|d| Checkable {
            value: d.to_string(),
            label: format!("Guichet {d} seulement"),
            checked: false,
        })
        .collect();
    let editing = editing.map(|e| context! { what => e.what, id => e.id, version => values.get_attr("version").ok() });
    ctx.render_status(
        status,
        "staff/config/schedule.html",
        context! {
            nav => "reglages", place => context! { id => p.id, name => &p.name, desks => p.desks },
            rules => rule_lines, extras, closures, weekdays, weeks, desks, notice, values, errors,
            editing,
        },
    )
}

#[handler]
pub(crate) async fn page(ctx: StaffCtx, Path(id): Path<String>, Query(done): Query<Done>) -> PageResult {
    ctx.require_manager()?;
    let p = place_in_org(&ctx, &id).await?;
    let notice = match done.fait.as_deref() {
        Some("regle") => Some("L'horaire est ajouté."),
        Some("regle-modifiee") => Some("L'horaire est modifié. Les rendez-vous déjà pris restent."),
        Some("ouverture-modifiee") => {
            Some("L'ouverture exceptionnelle est modifiée. Les rendez-vous déjà pris restent.")
        }
        Some("regle-supprimee") => Some("L'horaire est supprimé. Les rendez-vous déjà pris restent."),
        Some("ouverture") => Some("L'ouverture exceptionnelle est ajoutée."),
        Some("ouverture-supprimee") => Some("L'ouverture exceptionnelle est supprimée."),
        Some("fermeture-supprimee") => Some("La fermeture est supprimée : ses créneaux sont de nouveau proposés."),
        _ => None,
    };
    schedule_page(
        &ctx,
        &p,
        StatusCode::OK,
        notice,
        context! {},
        FormErrors::default(),
        None,
    )
    .await
}

/// A time as typed (`14:00`, `14h`, `9 h 30`), as the API reads it (`14:00`); what cannot
/// be read is passed on as typed, for the API's own message.
pub(super) fn typed_time(raw: &str) -> String {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let (h, m) = compact.split_once(['h', ':']).unwrap_or((&compact, ""));
    match (h.parse::<u32>(), if m.is_empty() { Ok(0) } else { m.parse::<u32>() }) {
        (Ok(h), Ok(m)) if h < 24 && m < 60 => format!("{h:02}:{m:02}"),
        _ => raw.trim().to_string(),
    }
}

/// An optional date: blank is `None`; anything unreadable is an error beside the field.
fn optional_date(form: &FormData, name: &str, errors: &mut FormErrors) -> Option<NaiveDate> {
    let raw = form.opt(name)?;
    let d = parse_date(raw);
    if d.is_none() {
        errors.add(name, "Indiquez une date (exemple : 12/01/2027), ou laissez vide.");
    }
    d
}

/// The form values to show back, check-boxes of the weeks as a list.
pub(super) fn values_back(form: &FormData) -> Value {
    let weeks: Vec<&str> = form.all("rule_weeks").collect();
    context! { rule_weeks => weeks, ..Value::from_serialize(form.values()) }
}

/// Reads the rule form; every problem is added to `errors`.
fn read_rule(form: &FormData, errors: &mut FormErrors) -> Option<RuleFields> {
    let weekday = form.get("rule_weekday").parse().ok().and_then(weekday_from_number);
    if weekday.is_none() {
        errors.add("rule_weekday", "Choisissez le jour de la semaine.");
    }
    let weeks: Vec<u8> = form.all("rule_weeks").filter_map(|w| w.parse().ok()).collect();
    let valid_from = optional_date(form, "rule_valid_from", errors);
    let valid_to = optional_date(form, "rule_valid_to", errors);
    let weekday = weekday.filter(|_| errors.is_empty())?;
    Some(RuleFields {
        weekday,
        start_time: typed_time(form.get("rule_start_time")),
        end_time: typed_time(form.get("rule_end_time")),
        // No week ticked: every week.
        weeks_of_month: (!weeks.is_empty()).then_some(weeks),
        valid_from,
        valid_to,
    })
}

/// The rule form's API field names that differ on the page.
const RULE_RENAMES: [(&str, &str); 1] = [("weeks_of_month", "rule_weeks")];

#[handler]
pub(crate) async fn add_rule(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let p = place_in_org(&ctx, &id).await?;
    let mut errors = FormErrors::default();
    if let Some(fields) = read_rule(&form, &mut errors) {
        match schedule_admin::add_rule(ctx.state(), ctx.me.organisation_id, p.id, &fields).await {
            Ok(_) => {
                return Ok(see_other(&format!(
                    "/staff/reglages/lieux/{}/horaires?fait=regle",
                    p.id
                )));
            }
            Err(e) => refused(&mut errors, &e, "rule_", &RULE_RENAMES)?,
        }
    }
    schedule_refused(&ctx, &p, &form, errors, None).await
}

/// A stored rule as its form shows it.
fn rule_values(r: &opening_rule::Model) -> Value {
    let weeks: Vec<String> = weeks_from_column(r.weeks_of_month.as_deref())
        .unwrap_or_default()
        .iter()
        .map(u8::to_string)
        .collect();
    context! {
        rule_weekday => r.weekday, rule_start_time => r.start_time.format("%H:%M").to_string(),
        rule_end_time => r.end_time.format("%H:%M").to_string(), rule_weeks => weeks,
        rule_valid_from => r.valid_from.map(|d| d.to_string()), rule_valid_to => r.valid_to.map(|d| d.to_string()),
        version => version(r),
    }
}

#[handler]
pub(crate) async fn edit_rule_form(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    ctx.require_manager()?;
    let org = ctx.me.organisation_id;
    let r = schedule_admin::find_rule(ctx.state(), org, id_of(&id)?).await?;
    let p = schedule_admin::place_of(ctx.state(), org, r.place_id).await?;
    let editing = Some(Editing { what: "rule", id: r.id });
    schedule_page(
        &ctx,
        &p,
        StatusCode::OK,
        None,
        rule_values(&r),
        FormErrors::default(),
        editing,
    )
    .await
}

/// Saves a rule's form; one opened before a colleague's change says so and changes nothing.
#[handler]
pub(crate) async fn update_rule(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let org = ctx.me.organisation_id;
    let r = schedule_admin::find_rule(ctx.state(), org, id_of(&id)?).await?;
    let p = schedule_admin::place_of(ctx.state(), org, r.place_id).await?;
    let editing = Some(Editing { what: "rule", id: r.id });
    if stale(&form, &r) {
        let errors = FormErrors::form(STALE);
        return schedule_page(&ctx, &p, StatusCode::CONFLICT, None, rule_values(&r), errors, editing).await;
    }
    let mut errors = FormErrors::default();
    if let Some(fields) = read_rule(&form, &mut errors) {
        match schedule_admin::update_rule(ctx.state(), org, r.id, &fields).await {
            Ok(_) => {
                return Ok(see_other(&format!(
                    "/staff/reglages/lieux/{}/horaires?fait=regle-modifiee",
                    p.id
                )));
            }
            Err(e) => refused(&mut errors, &e, "rule_", &RULE_RENAMES)?,
        }
    }
    schedule_refused(&ctx, &p, &form, errors, editing).await
}

#[handler]
pub(crate) async fn delete_rule(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let deleted = schedule_admin::delete_rule(ctx.state(), ctx.me.organisation_id, id_of(&id)?).await?;
    Ok(see_other(&format!(
        "/staff/reglages/lieux/{}/horaires?fait=regle-supprimee",
        deleted.place_id
    )))
}

/// Reads the extra opening form; every problem is added to `errors`.
fn read_extra(form: &FormData, errors: &mut FormErrors) -> Option<ExtraFields> {
    let date = parse_date(form.get("extra_date"));
    if date.is_none() {
        errors.add("extra_date", "Indiquez la date (exemple : 12/01/2027).");
    }
    Some(ExtraFields {
        date: date?,
        start_time: typed_time(form.get("extra_start_time")),
        end_time: typed_time(form.get("extra_end_time")),
        note: form.opt("extra_note").map(str::to_string),
    })
}

#[handler]
pub(crate) async fn add_extra(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let p = place_in_org(&ctx, &id).await?;
    let mut errors = FormErrors::default();
    if let Some(fields) = read_extra(&form, &mut errors) {
        match schedule_admin::add_extra(ctx.state(), ctx.me.organisation_id, p.id, &fields).await {
            Ok(_) => {
                return Ok(see_other(&format!(
                    "/staff/reglages/lieux/{}/horaires?fait=ouverture",
                    p.id
                )));
            }
            Err(e) => refused(&mut errors, &e, "extra_", &[])?,
        }
    }
    schedule_refused(&ctx, &p, &form, errors, None).await
}

/// A stored extra opening as its form shows it.
fn extra_values(e: &extra_opening::Model) -> Value {
    context! {
        extra_date => e.date.to_string(), extra_start_time => e.start_time.format("%H:%M").to_string(),
        extra_end_time => e.end_time.format("%H:%M").to_string(), extra_note => &e.note,
        version => version(e),
    }
}

#[handler]
pub(crate) async fn edit_extra_form(ctx: StaffCtx, Path(id): Path<String>) -> PageResult {
    ctx.require_manager()?;
    let org = ctx.me.organisation_id;
    let e = schedule_admin::find_extra(ctx.state(), org, id_of(&id)?).await?;
    let p = schedule_admin::place_of(ctx.state(), org, e.place_id).await?;
    let editing = Some(Editing {
        what: "extra",
        id: e.id,
    });
    schedule_page(
        &ctx,
        &p,
        StatusCode::OK,
        None,
        extra_values(&e),
        FormErrors::default(),
        editing,
    )
    .await
}

/// Saves an extra opening's form; one opened before a colleague's change says so.
#[handler]
pub(crate) async fn update_extra(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let org = ctx.me.organisation_id;
    let e = schedule_admin::find_extra(ctx.state(), org, id_of(&id)?).await?;
    let p = schedule_admin::place_of(ctx.state(), org, e.place_id).await?;
    let editing = Some(Editing {
        what: "extra",
        id: e.id,
    });
    if stale(&form, &e) {
        let errors = FormErrors::form(STALE);
        return schedule_page(&ctx, &p, StatusCode::CONFLICT, None, extra_values(&e), errors, editing).await;
    }
    let mut errors = FormErrors::default();
    if let Some(fields) = read_extra(&form, &mut errors) {
        match schedule_admin::update_extra(ctx.state(), org, e.id, &fields).await {
            Ok(_) => {
                return Ok(see_other(&format!(
                    "/staff/reglages/lieux/{}/horaires?fait=ouverture-modifiee",
                    p.id
                )));
            }
            Err(err) => refused(&mut errors, &err, "extra_", &[])?,
        }
    }
    schedule_refused(&ctx, &p, &form, errors, editing).await
}

#[handler]
pub(crate) async fn delete_extra(ctx: StaffCtx, Path(id): Path<String>, form: FormData) -> PageResult {
    ctx.check_csrf(&form)?;
    ctx.require_manager()?;
    let deleted = schedule_admin::delete_extra(ctx.state(), ctx.me.organisation_id, id_of(&id)?).await?;
    Ok(see_other(&format!(
        "/staff/reglages/lieux/{}/horaires?fait=ouverture-supprimee",
        deleted.place_id
    )))
}

/// The instant of a wall date and time typed in the organisation's zone.
pub(super) fn wall_instant(ctx: &StaffCtx, date: NaiveDate, time: NaiveTime) -> Option<chrono::DateTime<Utc>> {
    crate::domain::series::wall_to_utc_earliest(ctx.state().settings.timezone, date.and_time(time))
}
