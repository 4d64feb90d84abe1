//! What a statistics request asks for: a period of days in the organisation's zone (both ends
//! included) and, optionally, one place, one workshop or one appointment reason. Parsed once
//! from the raw query parameters ([`RawFilter`]), then checked against the organisation's own
//! rows ([`StatsFilter::check`]): another organisation's place is as unknown as a made-up one.
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use entities::{motif, place, workshop};
use sea_orm::{ConnectionTrait, DbErr};
use serde::Deserialize;

use crate::domain::dates::date_in_range;
use crate::domain::refusal::{DomainError, Refusal};
use crate::platform::org_scope::find_in_org;

/// The longest period one request may cover: three years (and a leap day).
pub const MAX_PERIOD_DAYS: i64 = 3 * 366;

/// The query parameters as they arrive (`?du=2027-01-01&au=2027-12-31&lieu=3`), every one
/// optional. The API reads the same names in English (`from`, `to`, `place`, `workshop`,
/// `motif`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawFilter {
    #[serde(default, alias = "du")]
    pub from: Option<String>,
    #[serde(default, alias = "au")]
    pub to: Option<String>,
    #[serde(default, alias = "lieu")]
    pub place: Option<String>,
    #[serde(default, alias = "atelier")]
    pub workshop: Option<String>,
    #[serde(default)]
    pub motif: Option<String>,
}

/// A checked statistics request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsFilter {
    /// First day of the period, in the organisation's zone.
    pub from: NaiveDate,
    /// Last day of the period, included.
    pub to: NaiveDate,
    pub place_id: Option<i32>,
    /// Only this workshop's sessions; appointments are then left out.
    pub workshop_id: Option<i32>,
    /// Only appointments for this reason; workshop sessions are then left out.
    pub motif_id: Option<i32>,
}

#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("La date « {value} » n'existe pas : écrivez-la sous la forme 2027-01-31 ou 31/01/2027.")]
    BadDate { field: &'static str, value: String },
    #[error("La date de début est après la date de fin : inversez-les.")]
    FromAfterTo,
    #[error("La période est trop longue : choisissez trois ans au plus.")]
    TooLong,
    #[error("Ce lieu n'existe pas dans votre organisation.")]
    UnknownPlace,
    #[error("Cet atelier n'existe pas dans votre organisation.")]
    UnknownWorkshop,
    #[error("Ce motif de rendez-vous n'existe pas dans votre organisation.")]
    UnknownMotif,
    #[error("Choisissez un atelier ou un motif de rendez-vous, pas les deux.")]
    WorkshopAndMotif,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl FilterError {
    /// The API parameter the problem is about.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            FilterError::BadDate { field, .. } => Some(field),
            FilterError::FromAfterTo | FilterError::TooLong => Some("to"),
            FilterError::UnknownPlace => Some("place"),
            FilterError::UnknownWorkshop | FilterError::WorkshopAndMotif => Some("workshop"),
            FilterError::UnknownMotif => Some("motif"),
            FilterError::Db(_) => None,
        }
    }

    /// The same field as the console's form names it.
    pub fn page_field(&self) -> &'static str {
        match self.field() {
            Some("from") => "du",
            Some("to") => "au",
            Some("place") => "lieu",
            Some("workshop") => "atelier",
            Some("motif") => "motif",
            _ => "",
        }
    }
}

impl DomainError for FilterError {
    fn refusal(&self) -> Refusal {
        match self {
            FilterError::Db(_) => Refusal::Unexpected,
            other => Refusal::Invalid {
                field: other.field().unwrap_or(""),
            },
        }
    }
    fn code(&self) -> &'static str {
        match self {
            FilterError::Db(_) => "internal",
            _ => "validation",
        }
    }
}

/// `2027-01-31` or `31/01/2027`, within the years the product accepts.
fn parse_day(field: &'static str, raw: &str) -> Result<NaiveDate, FilterError> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .ok()
        .filter(|d| date_in_range(*d))
        .ok_or_else(|| FilterError::BadDate {
            field,
            value: raw.chars().take(40).collect(),
        })
}

/// A row id from a select; anything that is not one is an unknown row.
fn parse_id(raw: Option<&str>, unknown: FilterError) -> Result<Option<i32>, FilterError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<i32>().map(Some).map_err(|_| unknown),
    }
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl StatsFilter {
    /// Reads the parameters; without dates, the period is this year up to `today`.
    pub fn parse(raw: &RawFilter, today: NaiveDate) -> Result<StatsFilter, FilterError> {
        let from = match blank(&raw.from) {
            Some(v) => parse_day("from", v)?,
            None => NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        };
        let to = match blank(&raw.to) {
            Some(v) => parse_day("to", v)?,
            None => today.max(from),
        };
        if from > to {
            return Err(FilterError::FromAfterTo);
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            return Err(FilterError::TooLong);
        }
        let filter = StatsFilter {
            from,
            to,
            place_id: parse_id(raw.place.as_deref(), FilterError::UnknownPlace)?,
            workshop_id: parse_id(raw.workshop.as_deref(), FilterError::UnknownWorkshop)?,
            motif_id: parse_id(raw.motif.as_deref(), FilterError::UnknownMotif)?,
        };
        if filter.workshop_id.is_some() && filter.motif_id.is_some() {
            return Err(FilterError::WorkshopAndMotif);
        }
        Ok(filter)
    }

    /// Refuses a place, workshop or reason that is not the organisation's own.
    pub async fn check<C: ConnectionTrait>(self, db: &C, organisation_id: i32) -> Result<StatsFilter, FilterError> {
        if let Some(id) = self.place_id
            && find_in_org::<place::Entity, _>(db, organisation_id, id)
                .await?
                .is_none()
        {
            return Err(FilterError::UnknownPlace);
        }
        if let Some(id) = self.workshop_id
            && find_in_org::<workshop::Entity, _>(db, organisation_id, id)
                .await?
                .is_none()
        {
            return Err(FilterError::UnknownWorkshop);
        }
        if let Some(id) = self.motif_id
            && find_in_org::<motif::Entity, _>(db, organisation_id, id)
                .await?
                .is_none()
        {
            return Err(FilterError::UnknownMotif);
        }
        Ok(self)
    }

    /// The whole of a calendar year (the public page's period).
    pub fn year(year: i32) -> StatsFilter {
        let day = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("a valid day");
        StatsFilter {
            from: day(1, 1),
            to: day(12, 31),
            place_id: None,
            workshop_id: None,
            motif_id: None,
        }
    }

    /// The period as UTC instants: `[start of from, start of the day after to)`.
    pub fn instants(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (start_of(self.from, tz), start_of(self.to + Duration::days(1), tz))
    }

    /// The first day of each month the period touches, in order.
    pub fn months(&self) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut m = self.from.with_day(1).expect("day 1 exists");
        while m <= self.to {
            out.push(m);
            m = m
                .checked_add_months(chrono::Months::new(1))
                .expect("within the accepted years");
        }
        out
    }
}

/// Midnight of `day` in `tz` (the first instant of the day when a change of time skips midnight).
pub(crate) fn start_of(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    tz.from_local_datetime(&midnight)
        .earliest()
        .unwrap_or_else(|| tz.from_utc_datetime(&midnight))
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(from: &str, to: &str) -> RawFilter {
        RawFilter {
            from: Some(from.into()),
            to: Some(to.into()),
            ..Default::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, 15).unwrap()
    }

    #[test]
    fn without_dates_the_period_is_this_year_up_to_today() {
        let f = StatsFilter::parse(&RawFilter::default(), today()).unwrap();
        assert_eq!(f.from, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert_eq!(f.to, today());
    }

    #[test]
    fn a_day_that_does_not_exist_is_refused_on_its_field() {
        let err = StatsFilter::parse(&raw("2026-02-30", "2026-03-31"), today()).unwrap_err();
        assert_eq!(err.field(), Some("from"));
        assert_eq!(err.page_field(), "du");
        assert!(err.to_string().contains("2026-02-30"), "{err}");
        assert!(StatsFilter::parse(&raw("2026-01-01", "demain"), today()).is_err());
    }

    #[test]
    fn a_start_after_the_end_is_refused() {
        let err = StatsFilter::parse(&raw("2027-02-01", "2027-01-31"), today()).unwrap_err();
        assert!(matches!(err, FilterError::FromAfterTo));
    }

    #[test]
    fn a_period_over_three_years_is_refused_and_three_years_are_accepted() {
        assert!(matches!(
            StatsFilter::parse(&raw("2020-01-01", "2027-01-01"), today()),
            Err(FilterError::TooLong)
        ));
        assert!(StatsFilter::parse(&raw("2024-01-01", "2026-12-31"), today()).is_ok());
    }

    #[test]
    fn a_place_that_is_not_a_number_is_an_unknown_place() {
        let r = RawFilter {
            place: Some("médiathèque".into()),
            ..Default::default()
        };
        assert!(matches!(
            StatsFilter::parse(&r, today()),
            Err(FilterError::UnknownPlace)
        ));
    }

    #[test]
    fn the_months_of_a_period_are_listed_from_its_first_to_its_last() {
        let f = StatsFilter::parse(&raw("15/11/2026", "2027-02-03"), today()).unwrap();
        let months: Vec<String> = f.months().iter().map(|m| m.format("%Y-%m").to_string()).collect();
        assert_eq!(months, ["2026-11", "2026-12", "2027-01", "2027-02"]);
    }

    #[test]
    fn the_period_ends_at_midnight_after_its_last_day_in_the_organisation_s_zone() {
        let f = StatsFilter::parse(&raw("2027-07-01", "2027-07-31"), today()).unwrap();
        let (start, end) = f.instants(chrono_tz::Europe::Paris);
        assert_eq!(start, Utc.with_ymd_and_hms(2027, 6, 30, 22, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2027, 7, 31, 22, 0, 0).unwrap());
    }
}
