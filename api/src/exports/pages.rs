//! The console's downloads: a session's registrants (`/staff/seances/{id}/export.csv|.xlsx`),
//! the appointments of a period (`/staff/rendez-vous/export.csv|.xlsx?du=…&au=…&lieu=…`), and
//! the log of every export (`/staff/exports`).
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use entities::{export_log, staff_member};
use minijinja::{Value, context};
use poem::{
    Response, handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::{
    Format,
    bookings::{self, Period, PeriodError},
    download,
};
use crate::{
    french,
    pages::{PageError, forms::FormErrors, params::parse_date, session_cookie::StaffCtx},
};

fn not_an_export() -> PageError {
    PageError::NotFound("Ce fichier n'existe pas : choisissez CSV ou Excel.".into())
}

/// `/staff/seances/{id}/{file}`: `export.csv` or `export.xlsx`.
#[handler]
pub(crate) async fn session_registrants(
    ctx: StaffCtx,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let format = file
        .strip_prefix("export.")
        .and_then(|_| Format::from_file_name(&file))
        .ok_or_else(not_an_export)?;
    let not_found = || PageError::NotFound("Cette séance n'existe pas.".into());
    let id: i32 = id.parse().map_err(|_| not_found())?;
    let state = ctx.state();
    let rows = bookings::registrants(&state.db, ctx.me.organisation_id, id)
        .await?
        .ok_or_else(not_found)?;
    let file = download(
        state,
        &ctx.me,
        bookings::REGISTRANTS,
        format,
        format!("seance={id}"),
        &format!("inscrits-seance-{id}"),
        rows,
    )
    .await
    .map_err(PageError::internal)?;
    Ok(file.into_response())
}

/// The period form of the appointments page, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct PeriodQuery {
    #[serde(default)]
    pub du: String,
    #[serde(default)]
    pub au: String,
    #[serde(default)]
    pub lieu: String,
}

impl PeriodQuery {
    /// The period asked for, or the first thing wrong with it (beside its field).
    pub(crate) fn period(&self) -> Result<Period, PeriodError> {
        let place = match self.lieu.trim() {
            "" => None,
            raw => Some(raw.parse().map_err(|_| PeriodError::Place)?),
        };
        let from = parse_date(&self.du).ok_or(PeriodError::From)?;
        Period::new(Some(from), parse_date(&self.au), place)
    }

    /// The form's starting values: this month so far.
    pub(crate) fn this_month(today: NaiveDate) -> PeriodQuery {
        PeriodQuery {
            du: today.with_day(1).unwrap_or(today).format("%d/%m/%Y").to_string(),
            au: today.format("%d/%m/%Y").to_string(),
            lieu: String::new(),
        }
    }
}

/// What the appointments page needs to show the export form.
pub(crate) fn period_form(values: &PeriodQuery, errors: &FormErrors) -> Value {
    context! { values, errors }
}

/// `/staff/rendez-vous/{file}`: `export.csv` or `export.xlsx`; a bad period shows the
/// appointments page again with the message beside the field (422).
#[handler]
pub(crate) async fn appointments(
    ctx: StaffCtx,
    Path(file): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let format = file
        .strip_prefix("export.")
        .and_then(|_| Format::from_file_name(&file))
        .ok_or_else(not_an_export)?;
    let state = ctx.state();
    let period = match q.period() {
        Ok(p) => p,
        Err(e) => return refuse(&ctx, &q, e).await,
    };
    let rows = match bookings::appointments(&state.db, ctx.me.organisation_id, period).await? {
        Ok(rows) => rows,
        Err(e) => return refuse(&ctx, &q, e).await,
    };
    let stem = format!("rendez-vous-{}-{}", period.from, period.to);
    let file = download(
        state,
        &ctx.me,
        bookings::APPOINTMENTS,
        format,
        period.describe(),
        &stem,
        rows,
    )
    .await
    .map_err(PageError::internal)?;
    Ok(file.into_response())
}

/// The appointments page again, the period as typed and the message beside its field.
async fn refuse(ctx: &StaffCtx, q: &PeriodQuery, e: PeriodError) -> Result<Response, PageError> {
    let mut errors = FormErrors::default();
    errors.add(e.field(), e.to_string());
    crate::pages::staff::appointments::places_page(ctx, period_form(q, &errors), StatusCode::UNPROCESSABLE_ENTITY).await
}

#[derive(Serialize)]
struct Logged {
    when: String,
    who: String,
    what: String,
    format: String,
    filters: String,
    rows: String,
}

/// How many log rows the page shows.
const SHOWN: u64 = 200;

/// `/staff/exports`: who exported what, when (coordination and admins).
#[handler]
pub(crate) async fn log_page(ctx: StaffCtx) -> Result<Response, PageError> {
    ctx.require_manager()?;
    let state = ctx.state();
    let tz = state.settings.timezone;
    let year = state.clock.now().with_timezone(&tz).year();
    let org = ctx.me.organisation_id;
    let rows = export_log::Entity::find()
        .filter(export_log::Column::OrganisationId.eq(org))
        .order_by_desc(export_log::Column::Id)
        .limit(SHOWN)
        .all(&state.db)
        .await?;
    let members: HashMap<i32, String> = staff_member::Entity::find()
        .filter(staff_member::Column::OrganisationId.eq(org))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    let logged: Vec<Logged> = rows
        .into_iter()
        .map(|r| Logged {
            when: french::short_at(&r.at.with_timezone(&tz), year),
            who: members.get(&r.staff_member_id).cloned().unwrap_or_default(),
            what: super::log::label(&r.what).to_string(),
            format: if r.format == "xlsx" {
                "Excel".into()
            } else {
                "CSV".into()
            },
            filters: r.filters,
            rows: r.rows.map_or_else(
                || "interrompu".into(),
                |n| format!("{n} ligne{}", if n > 1 { "s" } else { "" }),
            ),
        })
        .collect();
    ctx.render("staff/exports.html", context! { nav => "exports", logged })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(du: &str, au: &str, lieu: &str) -> PeriodQuery {
        PeriodQuery {
            du: du.into(),
            au: au.into(),
            lieu: lieu.into(),
        }
    }

    #[test]
    fn the_period_form_takes_french_or_iso_dates_and_names_the_wrong_field() {
        let p = q("01/12/2026", "2026-12-31", "4").period().unwrap();
        assert_eq!(
            (p.from.to_string(), p.to.to_string(), p.place_id),
            ("2026-12-01".into(), "2026-12-31".into(), Some(4))
        );
        assert_eq!(q("hier", "2026-12-31", "").period(), Err(PeriodError::From));
        assert_eq!(q("2026-12-01", "", "").period(), Err(PeriodError::To));
        assert_eq!(q("2026-12-01", "2026-12-31", "x").period(), Err(PeriodError::Place));
    }
}
