//! `/staff/statistiques`: the programme's figures for a period, with charts drawn on the
//! server and the same figures in a table beside each; `/staff/statistiques/rapport`: the
//! funders' one-pager, made to be printed (or saved as PDF by the browser).
use minijinja::context;
use poem::{handler, http::StatusCode, web::Query};
use serde::Serialize;

use super::sessions::{Choice, choices};
use crate::french;
use crate::pages::{PageError, PageResult, forms::FormErrors, session_cookie::StaffCtx};
use crate::statistics::{
    FilterError, RawFilter, Statistics,
    chart::{self, Series},
};

/// `1 234` (a narrow no-break space between thousands).
pub(crate) fn number(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `87 %`, or a dash when there is nothing to divide.
pub(crate) fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{}\u{a0}%", (r * 100.0).round() as i64),
        None => "—".into(),
    }
}

/// `4,5 jours`.
fn days(d: Option<f64>) -> String {
    match d {
        Some(d) if d.fract() == 0.0 => format!("{} jour{}", d as i64, if d.abs() >= 2.0 { "s" } else { "" }),
        Some(d) => format!("{} jours", format!("{d:.1}").replace('.', ",")),
        None => "—".into(),
    }
}

/// One headline figure.
#[derive(Serialize)]
struct Figure {
    label: &'static str,
    value: String,
    /// Said under the value: what it is of.
    detail: Option<String>,
}

fn figure(label: &'static str, value: String, detail: Option<String>) -> Figure {
    Figure { label, value, detail }
}

/// The figures a town sends its funders, in the order the page and the report show them.
fn headline(s: &Statistics) -> Vec<Figure> {
    let w = &s.workshops;
    let a = &s.appointments;
    vec![
        figure(
            "Réservations",
            number(s.bookings),
            Some(format!(
                "{} inscriptions à un atelier, {} rendez-vous",
                number(w.registrations),
                number(a.booked)
            )),
        ),
        figure("Personnes différentes", number(s.people), None),
        figure(
            "Taux de présence",
            percent(s.attendance_rate),
            Some("des réservations passées et pointées".into()),
        ),
        figure(
            "Absences sans prévenir",
            percent(s.no_show_rate),
            Some("des réservations passées et pointées".into()),
        ),
        figure(
            "Séances d'atelier tenues",
            number(w.sessions_held),
            Some(format!("sur {} prévues", number(w.sessions))),
        ),
        figure(
            "Remplissage des séances",
            percent(w.fill_rate),
            Some(format!(
                "{} places prises sur {}",
                number(w.seats_taken),
                number(w.seats_offered)
            )),
        ),
        figure(
            "Places libérées (liste d'attente)",
            number(w.promotions),
            Some(format!("dont {} personnes venues", number(w.promotions_came))),
        ),
        figure(
            "Délai médian avant un rendez-vous",
            days(a.median_days_to_appointment),
            Some("entre la prise du rendez-vous et le rendez-vous".into()),
        ),
    ]
}

/// The detailed figures of the console's tables.
fn details(s: &Statistics) -> Vec<Figure> {
    let w = &s.workshops;
    let a = &s.appointments;
    let n = |label, v: i64| figure(label, number(v), None);
    vec![
        n("Inscriptions confirmées", w.registrations),
        n("Présents", w.present),
        n("Absents", w.absent),
        n("Séances passées non pointées (personnes)", w.unmarked),
        figure("Taux de présence aux ateliers", percent(w.attendance_rate), None),
        n("Encore en liste d'attente", w.waitlisted),
        n("Rendez-vous", a.booked),
        n("Honorés", a.honoured),
        n("Non honorés", a.no_show),
        n("Excusés", a.excused),
        n("Passés non pointés", a.unmarked),
        n("Annulés", a.cancelled),
        figure("Taux de présence aux rendez-vous", percent(a.attendance_rate), None),
    ]
}

#[derive(Serialize)]
struct Chart {
    id: &'static str,
    title: &'static str,
    svg: String,
    /// The table's column headings after "Mois".
    columns: Vec<&'static str>,
    /// (month label, values) rows.
    rows: Vec<(String, Vec<String>)>,
}

fn chart(id: &'static str, title: &'static str, s: &Statistics, series: Vec<Series<'static>>) -> Chart {
    let labels: Vec<String> = s.months.iter().map(|m| m.label.clone()).collect();
    let description = format!("Diagramme en barres par mois ; les mêmes chiffres sont dans le tableau « {title} ».");
    let svg = chart::bars(id, title, &description, &labels, &series);
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.clone(), series.iter().map(|x| number(x.values[i])).collect()))
        .collect();
    Chart {
        id,
        title,
        svg,
        columns: series.iter().map(|x| x.name).collect(),
        rows,
    }
}

fn series(name: &'static str, values: Vec<i64>, class: &'static str) -> Series<'static> {
    Series { name, values, class }
}

fn charts(s: &Statistics) -> Vec<Chart> {
    let col = |f: fn(&crate::statistics::compute::MonthFigures) -> i64| s.months.iter().map(f).collect::<Vec<_>>();
    vec![
        chart(
            "reservations",
            "Réservations par mois",
            s,
            vec![
                series("Inscriptions", col(|m| m.registrations), "chart-a"),
                series("Rendez-vous", col(|m| m.appointments), "chart-b"),
            ],
        ),
        chart(
            "presences",
            "Présences par mois",
            s,
            vec![
                series("Venus", col(|m| m.came), "chart-a"),
                series("Absents sans prévenir", col(|m| m.no_show), "chart-b"),
            ],
        ),
        chart(
            "remplissage",
            "Places des séances tenues, par mois",
            s,
            vec![
                series("Places offertes", col(|m| m.seats_offered), "chart-b"),
                series("Places prises", col(|m| m.seats_taken), "chart-a"),
            ],
        ),
    ]
}

async fn motif_choices(ctx: &StaffCtx) -> Result<Vec<Choice>, PageError> {
    Ok(
        crate::appointments::queries::organisation_motifs(&ctx.state().db, ctx.me.organisation_id)
            .await?
            .into_iter()
            .map(|m| Choice {
                value: m.id.to_string(),
                label: m.label,
            })
            .collect(),
    )
}

/// The period in words: "du mardi 1er janvier 2027 au mercredi 31 décembre 2027".
fn period(s: &Statistics) -> String {
    format!("du {} au {}", french::long_date(s.from), french::long_date(s.to))
}

/// The figures, or the filter's error shown beside its field.
async fn figures(ctx: &StaffCtx, raw: &RawFilter) -> Result<Result<Statistics, FormErrors>, PageError> {
    match crate::statistics::api::for_request(ctx.state(), ctx.me.organisation_id, raw).await {
        Ok(s) => Ok(Ok(s)),
        Err(FilterError::Db(e)) => Err(e.into()),
        Err(e) => {
            let mut errors = FormErrors::default();
            errors.add(e.page_field(), e.to_string());
            Ok(Err(errors))
        }
    }
}

#[handler]
pub(crate) async fn page(ctx: StaffCtx, Query(raw): Query<RawFilter>) -> PageResult {
    let (workshops, places) = choices(&ctx).await?;
    let motifs = motif_choices(&ctx).await?;
    let values = context! {
        du => raw.from.as_deref().unwrap_or(""),
        au => raw.to.as_deref().unwrap_or(""),
        lieu => raw.place.as_deref().unwrap_or(""),
        atelier => raw.workshop.as_deref().unwrap_or(""),
        motif => raw.motif.as_deref().unwrap_or(""),
    };
    let query = query_string(&raw);
    match figures(&ctx, &raw).await? {
        Ok(s) => ctx.render(
            "staff/statistics.html",
            context! {
                nav => "statistiques", values, places, workshops, motifs, query,
                period => period(&s),
                du_value => s.from.to_string(), au_value => s.to.to_string(),
                headline => headline(&s), details => details(&s), charts => charts(&s), stats => &s,
            },
        ),
        Err(errors) => ctx.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "staff/statistics.html",
            context! { nav => "statistiques", values, places, workshops, motifs, errors, query },
        ),
    }
}

#[handler]
pub(crate) async fn report(ctx: StaffCtx, Query(raw): Query<RawFilter>) -> PageResult {
    let s = match figures(&ctx, &raw).await? {
        Ok(s) => s,
        Err(errors) => {
            let message = errors.list.first().map(|e| e.message.clone()).unwrap_or_default();
            return Err(PageError::Rule(StatusCode::UNPROCESSABLE_ENTITY, message));
        }
    };
    let today = ctx
        .state()
        .clock
        .now()
        .with_timezone(&ctx.state().settings.timezone)
        .date_naive();
    ctx.render(
        "staff/statistics_report.html",
        context! {
            nav => "statistiques",
            organisation => &ctx.base.site.name,
            period => period(&s),
            made_on => french::long_date(today),
            headline => headline(&s),
            charts => charts(&s),
            stats => &s,
            query => query_string(&raw),
        },
    )
}

/// The same filters, for the link from the console to the report.
fn query_string(raw: &RawFilter) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("du", &raw.from),
        ("au", &raw.to),
        ("lieu", &raw.place),
        ("atelier", &raw.workshop),
        ("motif", &raw.motif),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            q.append_pair(k, v);
        }
    }
    q.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_rates_are_written_the_french_way() {
        assert_eq!(number(1234567), "1\u{202f}234\u{202f}567");
        assert_eq!(number(12), "12");
        assert_eq!(percent(Some(0.875)), "88\u{a0}%");
        assert_eq!(percent(None), "—");
        assert_eq!(days(Some(4.5)), "4,5 jours");
        assert_eq!(days(Some(1.0)), "1 jour");
    }
}
