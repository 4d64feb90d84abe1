//! The session forms' fields, read as staff type them, and planning refusals placed beside them.
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use entities::{kinds::PlaceKind, place, workshop};
use poem::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::pages::params::parse_date;
use crate::{
    domain::{
        refusal::{DomainError, Refusal},
        series::wall_to_utc_earliest,
    },
    pages::{
        PageError,
        forms::{FormData, FormErrors},
        session_cookie::StaffCtx,
    },
    workshops::{
        planning::PlanningError,
        warnings::{self, Confirmation},
    },
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

/// The session's date, start and end fields, as the instants they mean in `tz`; each
/// problem beside its field (missing, an end not after the start, an hour the clocks skip).
/// One reader for the creation and edit forms.
pub(super) fn times_field(
    form: &FormData,
    tz: Tz,
    errors: &mut FormErrors,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let date = date_field(form, "date", errors, "Indiquez la date (exemple : 12/01/2027).");
    let start = time_field(form, "start", errors, "Indiquez l'heure de début (exemple : 14:00).");
    let end = time_field(form, "end", errors, "Indiquez l'heure de fin (exemple : 16:00).");
    let starts_at = match (date, start) {
        (Some(d), Some(t)) => wall_instant(tz, d, t, "start", errors),
        _ => None,
    };
    let ends_at = match (date, start, end) {
        (Some(_), Some(s), Some(e)) if e <= s => {
            errors.add("end", "L'heure de fin doit suivre l'heure de début.");
            None
        }
        (Some(d), _, Some(e)) => wall_instant(tz, d, e, "end", errors),
        _ => None,
    };
    (starts_at, ends_at)
}

/// The instant of a wall date and time in `tz`; an hour the clocks skip is an error beside
/// `field`.
pub(super) fn wall_instant(
    tz: Tz,
    d: NaiveDate,
    t: NaiveTime,
    field: &str,
    errors: &mut FormErrors,
) -> Option<DateTime<Utc>> {
    let at = wall_to_utc_earliest(tz, d.and_time(t));
    if at.is_none() {
        errors.add(field, "Cette heure n'existe pas ce jour-là (passage à l'heure d'été).");
    }
    at
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

/// The desks a session form offers, "Poste 1" up to the most desks of the organisation's
/// active mediation points; none when it has no mediation point.
pub(super) async fn desk_choices(ctx: &StaffCtx) -> Result<Vec<Choice>, PageError> {
    let most: Option<i32> = place::Entity::find()
        .select_only()
        .column_as(place::Column::Desks.max(), "most")
        .filter(place::Column::OrganisationId.eq(ctx.me.organisation_id))
        .filter(place::Column::Active.eq(true))
        .filter(place::Column::Kind.eq(PlaceKind::MediationPoint))
        .into_tuple::<Option<i32>>()
        .one(&ctx.state().db)
        .await?
        .flatten();
    Ok((1..=most.unwrap_or(0))
        .map(|d| Choice {
            value: d.to_string(),
            label: format!("Poste {d}"),
        })
        .collect())
}

/// The desks ticked: `None` when none is (all the place's desks), and the ticked values, to
/// show them ticked again.
pub(super) fn desks_field(form: &FormData) -> (Option<Vec<i32>>, Vec<String>) {
    let ticked: Vec<String> = form.all("desks").map(str::to_string).collect();
    let numbers: Vec<i32> = ticked.iter().filter_map(|d| d.parse().ok()).collect();
    ((!numbers.is_empty()).then_some(numbers), ticked)
}

/// The warnings confirmed by "Créer quand même": those the page showed, by their key.
pub(super) fn confirmation(form: &FormData) -> Confirmation {
    form.opt("confirmer")
        .map_or(Confirmation::None, |k| Confirmation::Shown(k.to_string()))
}

/// What planning answered for the form to show: the warnings to confirm (with the key the
/// "Créer quand même" button sends back), the appointments in the way (names included: staff
/// only).
#[derive(Serialize, Default)]
pub(super) struct PlanningCheck {
    pub warnings: Vec<String>,
    pub warnings_key: String,
    pub in_the_way: Vec<String>,
}

/// A planning refusal on the form: warnings and appointments in the way listed (409), the
/// rest beside its field ([`refusal_on`], 422).
pub(super) fn planning_refusal(
    errors: &mut FormErrors,
    e: PlanningError,
    fields: &[(&str, &str)],
) -> Result<(StatusCode, PlanningCheck), PageError> {
    match e {
        PlanningError::NeedsConfirmation(found) => Ok((
            StatusCode::CONFLICT,
            PlanningCheck {
                warnings_key: warnings::key(&found),
                warnings: found.into_iter().map(|w| w.text).collect(),
                ..Default::default()
            },
        )),
        PlanningError::AppointmentsInTheWay(found) => {
            errors.add(
                "desks",
                "Des rendez-vous sont pris sur ces postes pendant la séance : déplacez-les, ou choisissez \
                 d'autres postes ou une autre heure.",
            );
            Ok((
                StatusCode::CONFLICT,
                PlanningCheck {
                    in_the_way: found.into_iter().map(|a| format!("{} : {}", a.text, a.name)).collect(),
                    ..Default::default()
                },
            ))
        }
        e => refusal_on(errors, e, fields).map(|()| (StatusCode::UNPROCESSABLE_ENTITY, PlanningCheck::default())),
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
