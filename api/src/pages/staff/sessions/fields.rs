//! The session forms' fields, read as staff type them, and planning refusals placed beside them.
use chrono::{NaiveDate, NaiveTime};
use entities::{place, workshop};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::pages::params::parse_date;
use crate::{
    domain::refusal::{DomainError, Refusal},
    pages::{
        PageError,
        forms::{FormData, FormErrors},
        session_cookie::StaffCtx,
    },
    workshops::planning::PlanningError,
};

#[derive(Serialize)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
}

pub(crate) async fn choices(ctx: &StaffCtx) -> Result<(Vec<Choice>, Vec<Choice>), PageError> {
    let db = &ctx.state().db;
    let workshops = workshop::Entity::find()
        .filter(workshop::Column::OrganisationId.eq(ctx.me.organisation_id))
        .filter(workshop::Column::Active.eq(true))
        .order_by_asc(workshop::Column::Title)
        .all(db)
        .await?
        .into_iter()
        .map(|w| Choice {
            value: w.id.to_string(),
            label: w.title,
        })
        .collect();
    let places = place::Entity::find()
        .filter(place::Column::OrganisationId.eq(ctx.me.organisation_id))
        .filter(place::Column::Active.eq(true))
        .order_by_asc(place::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|p| Choice {
            value: p.id.to_string(),
            label: p.name,
        })
        .collect();
    Ok((workshops, places))
}

/// Reads a time typed by a person: `14:00` (what time fields send), `14h30`, `14 h`.
pub(crate) fn parse_time(raw: &str) -> Option<NaiveTime> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let compact = compact.replace('h', ":");
    let compact = if compact.ends_with(':') {
        format!("{compact}00")
    } else {
        compact
    };
    NaiveTime::parse_from_str(&compact, "%H:%M").ok()
}

pub(super) fn choice(
    form: &FormData,
    name: &str,
    options: &[Choice],
    errors: &mut FormErrors,
    message: &str,
) -> Option<i32> {
    let v = form.get(name);
    if options.iter().any(|o| o.value == v) {
        v.parse().ok()
    } else {
        errors.add(name, message);
        None
    }
}

pub(super) fn date_field(form: &FormData, name: &str, errors: &mut FormErrors, missing: &str) -> Option<NaiveDate> {
    let d = parse_date(form.get(name));
    if d.is_none() {
        errors.add(name, missing);
    }
    d
}

pub(super) fn time_field(form: &FormData, name: &str, errors: &mut FormErrors, missing: &str) -> Option<NaiveTime> {
    let t = parse_time(form.get(name));
    if t.is_none() {
        errors.add(name, missing);
    }
    t
}

pub(super) fn capacity_field(form: &FormData, errors: &mut FormErrors) -> Option<Option<i32>> {
    match form.opt("capacity") {
        None => Some(None),
        Some(v) => match v.parse::<i32>() {
            Ok(n) if (1..=500).contains(&n) => Some(Some(n)),
            _ => {
                errors.add(
                    "capacity",
                    "Indiquez un nombre de places entre 1 et 500, ou laissez vide.",
                );
                None
            }
        },
    }
}

/// A planning refusal shown next to the matching field of the page's form (the API's field
/// names on the left, the page's on the right); anything else is an error page.
pub(super) fn refusal_on(errors: &mut FormErrors, e: PlanningError, fields: &[(&str, &str)]) -> Result<(), PageError> {
    match e.refusal() {
        Refusal::Invalid { field } => {
            let page_field = fields
                .iter()
                .find(|(api, _)| *api == field)
                .map_or("", |(_, page)| *page);
            errors.add(page_field, e.to_string());
            Ok(())
        }
        Refusal::Rule | Refusal::Conflict | Refusal::NotFound => {
            errors.add("", e.to_string());
            Ok(())
        }
        _ => Err(PageError::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_time_fields_send_them_or_as_people_type_them() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0);
        assert_eq!(parse_time("14:00"), t(14, 0));
        assert_eq!(parse_time("14h30"), t(14, 30));
        assert_eq!(parse_time("9 h"), t(9, 0));
        assert_eq!(parse_time("midi"), None);
    }
}
