//! The console's downloads: a session's registrants (`/staff/seances/{id}/export.csv|.xlsx`),
//! the appointments of a period (`/staff/rendez-vous/export.csv|.xlsx?du=…&au=…&lieu=…`), and
//! the log of every export (`/staff/exports`).
use std::future::Future;

use chrono::{Datelike, NaiveDate};
use minijinja::{Value, context};
use poem::{
    Response, handler,
    http::StatusCode,
    web::{Path, Query},
};
use sea_orm::DbErr;
use serde::{Deserialize, Serialize};

use super::{
    Format, RowStream, Table,
    bookings::{self, Period, PeriodError},
    download,
};
use crate::{
    french,
    pages::{PageError, forms::FormErrors, params::parse_date, session_cookie::StaffCtx},
    statistics::{FilterError, RawFilter},
};

/// `export.csv` → CSV, `export.xlsx` → XLSX; any other name is not a file of ours.
fn format_of(file: &str) -> Result<Format, PageError> {
    file.strip_prefix("export.")
        .and_then(|_| Format::from_file_name(file))
        .ok_or_else(|| PageError::NotFound("Ce fichier n'existe pas : choisissez CSV ou Excel.".into()))
}

/// `/staff/seances/{id}/{file}`: `export.csv` or `export.xlsx`.
#[handler]
pub(crate) async fn session_registrants(
    ctx: StaffCtx,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let format = format_of(&file)?;
    let not_found = || PageError::NotFound("Cette séance n'existe pas.".into());
    let id: i32 = id.parse().map_err(|_| not_found())?;
    let state = ctx.state();
    let rows = bookings::registrants(&state.db, ctx.me.organisation_id, id)
        .await?
        .ok_or_else(not_found)?;
    respond(
        &ctx,
        bookings::REGISTRANTS,
        format,
        format!("seance={id}"),
        &format!("inscrits-seance-{id}"),
        rows,
    )
    .await
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
    let db = ctx.state().db.clone();
    let org = ctx.me.organisation_id;
    period_export(
        &ctx,
        &file,
        &q,
        FormPage::Appointments,
        bookings::APPOINTMENTS,
        "rendez-vous",
        |p| async move { bookings::appointments(&db, org, p).await },
    )
    .await
}

/// `/staff/comptes-rendus/{file}`: the completed activity records of a period, `export.csv`
/// or `export.xlsx`; a bad period shows the records page again with the message beside the
/// field (422).
#[handler]
pub(crate) async fn records(
    ctx: StaffCtx,
    Path(file): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let db = ctx.state().db.clone();
    let org = ctx.me.organisation_id;
    period_export(
        &ctx,
        &file,
        &q,
        FormPage::Records,
        super::records::RECORDS,
        "comptes-rendus",
        |p| async move { super::records::completed(&db, org, p).await },
    )
    .await
}

/// `/staff/statistiques/{file}`: the figures of the statistics page, same filters, as
/// `export.csv` or `export.xlsx`. A bad filter answers the statistics page's refusal.
#[handler]
pub(crate) async fn statistics(
    ctx: StaffCtx,
    Path(file): Path<String>,
    Query(raw): Query<RawFilter>,
) -> Result<Response, PageError> {
    let format = format_of(&file)?;
    let stats = match crate::statistics::api::for_request(ctx.state(), ctx.me.organisation_id, &raw).await {
        Ok(s) => s,
        Err(FilterError::Db(e)) => return Err(e.into()),
        Err(e) => return Err(PageError::Rule(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())),
    };
    let stem = format!("statistiques-{}-{}", stats.from, stats.to);
    let filters = super::statistics::describe(&stats, &raw);
    let rows = super::statistics::stream(&stats);
    respond(&ctx, super::statistics::STATISTICS, format, filters, &stem, rows).await
}

/// The console page holding a period's export form, shown again when the period is wrong.
#[derive(Clone, Copy)]
enum FormPage {
    Appointments,
    Records,
}

/// The export of a period's rows (`fetch` reads them, or refuses the place); a bad period
/// shows `page` again with the message beside its field (422) and logs nothing.
async fn period_export<F, Fut>(
    ctx: &StaffCtx,
    file: &str,
    q: &PeriodQuery,
    page: FormPage,
    table: Table,
    stem: &str,
    fetch: F,
) -> Result<Response, PageError>
where
    F: FnOnce(Period) -> Fut,
    Fut: Future<Output = Result<Result<RowStream, PeriodError>, DbErr>>,
{
    let format = format_of(file)?;
    let period = match q.period() {
        Ok(p) => p,
        Err(e) => return refuse(ctx, q, e, page).await,
    };
    let rows = match fetch(period).await? {
        Ok(rows) => rows,
        Err(e) => return refuse(ctx, q, e, page).await,
    };
    let stem = format!("{stem}-{}-{}", period.from, period.to);
    respond(ctx, table, format, period.describe(), &stem, rows).await
}

/// Logs the export and answers its file.
async fn respond(
    ctx: &StaffCtx,
    table: Table,
    format: Format,
    filters: String,
    stem: &str,
    rows: RowStream,
) -> Result<Response, PageError> {
    let file = download(ctx.state(), &ctx.me, table, format, filters, stem, rows)
        .await
        .map_err(PageError::internal)?;
    Ok(file.into_response())
}

/// The form's page again, the period as typed and the message beside its field.
async fn refuse(ctx: &StaffCtx, q: &PeriodQuery, e: PeriodError, page: FormPage) -> Result<Response, PageError> {
    let mut errors = FormErrors::default();
    errors.add(e.field(), e.to_string());
    let form = period_form(q, &errors);
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    match page {
        FormPage::Appointments => crate::pages::staff::appointments::places_page(ctx, form, status).await,
        FormPage::Records => crate::pages::staff::records::list_page(ctx, None, form, status).await,
    }
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
    let rows = super::log::latest(&state.db, org, SHOWN).await?;
    let members = crate::auth::queries::organisation_names(&state.db, org).await?;
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
