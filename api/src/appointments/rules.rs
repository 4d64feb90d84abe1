//! Pure rules of the appointment feature that the slot computation does not cover: the
//! 15-minute claim cells, the shape of opening hours and reasons staff may enter, and the
//! French wording of an opening rule. No database, no clock: tested beside them.
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Timelike, Utc, Weekday};
use sha2::{Digest, Sha256};

use crate::domain::slots::OpeningRule;

/// The claim grid: an appointment holds one row per desk and cell of this length.
pub(crate) const CELL_MINUTES: i64 = 15;

/// Shortest and longest reason duration, in minutes.
pub(crate) const MIN_DURATION_MINUTES: i32 = 15;
pub(crate) const MAX_DURATION_MINUTES: i32 = 240;

/// The longest minimum notice a reason may ask (30 days).
pub(crate) const MAX_NOTICE_MINUTES: i32 = 30 * 24 * 60;
/// The farthest horizon a reason may offer.
pub(crate) const MAX_HORIZON_DAYS: i32 = 366;

/// What staff typed that cannot be a reason, an opening or a closure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum InputError {
    #[error("Heure attendue au format HH:MM, sur un quart d'heure (09:00, 09:15, 09:30, 09:45).")]
    TimeNotOnQuarter { field: &'static str },
    #[error("L'heure de fin doit suivre l'heure de début (une ouverture ne passe pas minuit).")]
    EndBeforeStart,
    #[error("Les semaines du mois vont de 1 à 5 (1 = premier du mois), au moins une.")]
    WeeksOfMonth,
    #[error("La date de fin de validité doit suivre la date de début.")]
    ValidityReversed,
    #[error("La durée d'un rendez-vous est un multiple de 15 minutes, de 15 minutes à 4 heures.")]
    Duration,
    #[error("Le délai de prévenance va de 0 minute à 30 jours.")]
    Notice,
    #[error("L'horizon de réservation va de 1 à 366 jours.")]
    Horizon,
    #[error("La fin de la fermeture doit suivre son début.")]
    ClosureReversed,
    #[error("Ce guichet n'existe pas dans ce lieu (guichets numérotés de 1 au nombre de guichets).")]
    Desk,
    #[error("Indiquez un texte (ni vide ni trop long).")]
    Text { field: &'static str },
}

impl InputError {
    /// The request field the error is about.
    pub(crate) fn field(&self) -> &'static str {
        match self {
            InputError::TimeNotOnQuarter { field } | InputError::Text { field } => field,
            InputError::EndBeforeStart => "end_time",
            InputError::WeeksOfMonth => "weeks_of_month",
            InputError::ValidityReversed => "valid_to",
            InputError::Duration => "duration_minutes",
            InputError::Notice => "min_notice_minutes",
            InputError::Horizon => "horizon_days",
            InputError::ClosureReversed => "ends_at",
            InputError::Desk => "desk",
        }
    }
}

/// The start of the 15-minute cell (aligned on :00, :15, :30, :45 UTC) holding `at`.
pub(crate) fn cell_floor(at: DateTime<Utc>) -> DateTime<Utc> {
    let step = CELL_MINUTES * 60;
    let secs = at.timestamp();
    let floored = secs - secs.rem_euclid(step);
    DateTime::from_timestamp(floored, 0).unwrap_or(at)
}

/// Every cell that `[start, end)` touches, in increasing order. Two appointments of one
/// desk overlap in time exactly when they share a cell, provided both start and end on the
/// quarter-hour grid — which every slot does, since openings start on a quarter-hour, the
/// zone offsets in use are whole quarter-hours and durations are multiples of 15 minutes.
pub(crate) fn cells(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut cell = cell_floor(start);
    while cell < end {
        out.push(cell);
        cell += Duration::minutes(CELL_MINUTES);
    }
    out
}

/// A wall time `HH:MM` on the quarter-hour.
pub(crate) fn quarter_hour(raw: &str, field: &'static str) -> Result<NaiveTime, InputError> {
    let time = NaiveTime::parse_from_str(raw.trim(), "%H:%M").map_err(|_| InputError::TimeNotOnQuarter { field })?;
    if time.minute() % 15 != 0 {
        return Err(InputError::TimeNotOnQuarter { field });
    }
    Ok(time)
}

/// Opening and closing wall times of one opening, on the quarter-hour, closing after opening.
pub(crate) fn opening_times(start: &str, end: &str) -> Result<(NaiveTime, NaiveTime), InputError> {
    let start = quarter_hour(start, "start_time")?;
    let end = quarter_hour(end, "end_time")?;
    if end <= start {
        return Err(InputError::EndBeforeStart);
    }
    Ok((start, end))
}

/// Sorted, deduplicated weeks of the month (1..=5); an empty list is refused (it would never
/// open), `None` means every week.
pub(crate) fn weeks_of_month(weeks: Option<&[u8]>) -> Result<Option<Vec<u8>>, InputError> {
    let Some(weeks) = weeks else { return Ok(None) };
    if weeks.is_empty() || weeks.iter().any(|w| !(1..=5).contains(w)) {
        return Err(InputError::WeeksOfMonth);
    }
    let mut weeks = weeks.to_vec();
    weeks.sort_unstable();
    weeks.dedup();
    Ok(Some(weeks))
}

/// `valid_from` must not come after `valid_to`.
pub(crate) fn validity(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(), InputError> {
    match (from, to) {
        (Some(from), Some(to)) if to < from => Err(InputError::ValidityReversed),
        _ => Ok(()),
    }
}

/// Stored form of the weeks of the month: `"1,3"`.
pub(crate) fn weeks_to_column(weeks: Option<&[u8]>) -> Option<String> {
    weeks.map(|w| w.iter().map(u8::to_string).collect::<Vec<_>>().join(","))
}

/// Reads `"1,3"` back; junk entries are ignored, and a column with nothing valid in it
/// means every week (never "no week at all", which would silently close the place).
pub(crate) fn weeks_from_column(raw: Option<&str>) -> Option<Vec<u8>> {
    let weeks: Vec<u8> = raw?
        .split(',')
        .filter_map(|w| w.trim().parse::<u8>().ok())
        .filter(|w| (1..=5).contains(w))
        .collect();
    (!weeks.is_empty()).then_some(weeks)
}

/// A reason's duration, notice and horizon.
pub(crate) fn motif_limits(
    duration_minutes: i32,
    min_notice_minutes: i32,
    horizon_days: i32,
) -> Result<(), InputError> {
    if !(MIN_DURATION_MINUTES..=MAX_DURATION_MINUTES).contains(&duration_minutes) || duration_minutes % 15 != 0 {
        return Err(InputError::Duration);
    }
    if !(0..=MAX_NOTICE_MINUTES).contains(&min_notice_minutes) {
        return Err(InputError::Notice);
    }
    if !(1..=MAX_HORIZON_DAYS).contains(&horizon_days) {
        return Err(InputError::Horizon);
    }
    Ok(())
}

/// A closure must end after it starts and name a desk of the place, if any.
pub(crate) fn closure(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    desk: Option<i32>,
    desks: i32,
) -> Result<(), InputError> {
    if ends_at <= starts_at {
        return Err(InputError::ClosureReversed);
    }
    if desk.is_some_and(|d| !(1..=desks).contains(&d)) {
        return Err(InputError::Desk);
    }
    Ok(())
}

/// Trimmed text of 1 to `max` characters without control characters other than line breaks.
pub(crate) fn required_text(raw: &str, max: usize, field: &'static str) -> Result<String, InputError> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > max || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(InputError::Text { field });
    }
    Ok(text.to_string())
}

/// ISO weekday number (1 = Monday … 7 = Sunday), as stored.
pub(crate) fn weekday_number(w: Weekday) -> i32 {
    w.number_from_monday() as i32
}

pub(crate) fn weekday_from_number(n: i32) -> Option<Weekday> {
    match n {
        1 => Some(Weekday::Mon),
        2 => Some(Weekday::Tue),
        3 => Some(Weekday::Wed),
        4 => Some(Weekday::Thu),
        5 => Some(Weekday::Fri),
        6 => Some(Weekday::Sat),
        7 => Some(Weekday::Sun),
        _ => None,
    }
}

fn ordinal_fr(n: u8) -> String {
    if n == 1 { "1er".into() } else { format!("{n}e") }
}

/// How a resident reads a rule: "Le mardi de 9 h à 12 h", "Les 1er et 3e mercredis du
/// mois de 13 h 30 à 17 h", with its validity when it has one (the site's one time style,
/// `french::time_of_day`).
pub(crate) fn describe_rule(rule: &OpeningRule) -> String {
    let day = crate::french::weekday(rule.weekday);
    let mut text = match rule.weeks_of_month.as_deref() {
        None => format!("Le {day}"),
        Some(weeks) => {
            let names: Vec<String> = weeks.iter().map(|w| ordinal_fr(*w)).collect();
            let list = match names.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} et {last}", rest.join(", ")),
                None => String::new(),
            };
            if weeks.len() == 1 {
                format!("Le {list} {day} du mois")
            } else {
                format!("Les {list} {day}s du mois")
            }
        }
    };
    text.push_str(&format!(
        " de {} à {}",
        crate::french::time_of_day(rule.start),
        crate::french::time_of_day(rule.end)
    ));
    match (rule.valid_from, rule.valid_to) {
        (Some(from), Some(to)) => text.push_str(&format!(
            ", du {} au {}",
            from.format("%d/%m/%Y"),
            to.format("%d/%m/%Y")
        )),
        (Some(from), None) => text.push_str(&format!(", à partir du {}", from.format("%d/%m/%Y"))),
        (None, Some(to)) => text.push_str(&format!(", jusqu'au {}", to.format("%d/%m/%Y"))),
        (None, None) => {}
    }
    text
}

/// A 64-bit key for a PostgreSQL advisory lock on one person of one organisation, so two
/// simultaneous bookings by the same person are counted one after the other.
pub(crate) fn person_lock_key(organisation_id: i32, contact_key: &str) -> i64 {
    let digest = Sha256::digest(format!("appointment-person:{organisation_id}:{contact_key}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn utc(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 2, h, m, 0).unwrap()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn a_forty_five_minute_appointment_holds_three_cells() {
        assert_eq!(cells(utc(8, 0), utc(8, 45)), vec![utc(8, 0), utc(8, 15), utc(8, 30)]);
    }

    #[test]
    fn back_to_back_appointments_share_no_cell_and_overlapping_ones_do() {
        let first = cells(utc(8, 0), utc(8, 30));
        let next = cells(utc(8, 30), utc(9, 0));
        assert!(first.iter().all(|c| !next.contains(c)));
        let overlapping = cells(utc(8, 15), utc(8, 45));
        assert!(first.iter().any(|c| overlapping.contains(c)));
    }

    #[test]
    fn a_start_off_the_quarter_hour_still_claims_the_cell_it_falls_in() {
        assert_eq!(cells(utc(8, 10), utc(8, 20)), vec![utc(8, 0), utc(8, 15)]);
        assert_eq!(cell_floor(utc(8, 59)), utc(8, 45));
    }

    #[test]
    fn opening_times_must_be_on_the_quarter_hour_and_in_order() {
        assert_eq!(opening_times("09:00", "12:30"), Ok((t(9, 0), t(12, 30))));
        assert_eq!(
            opening_times("09:10", "12:00"),
            Err(InputError::TimeNotOnQuarter { field: "start_time" })
        );
        assert_eq!(
            opening_times("9h", "12:00"),
            Err(InputError::TimeNotOnQuarter { field: "start_time" })
        );
        assert_eq!(opening_times("12:00", "12:00"), Err(InputError::EndBeforeStart));
    }

    #[test]
    fn weeks_of_month_are_sorted_deduplicated_and_bounded() {
        assert_eq!(weeks_of_month(Some(&[3, 1, 3])), Ok(Some(vec![1, 3])));
        assert_eq!(weeks_of_month(None), Ok(None));
        assert_eq!(weeks_of_month(Some(&[])), Err(InputError::WeeksOfMonth));
        assert_eq!(weeks_of_month(Some(&[0, 2])), Err(InputError::WeeksOfMonth));
        assert_eq!(weeks_of_month(Some(&[6])), Err(InputError::WeeksOfMonth));
    }

    #[test]
    fn weeks_of_month_round_trip_through_the_column_and_junk_means_every_week() {
        assert_eq!(weeks_to_column(Some(&[1, 3])).as_deref(), Some("1,3"));
        assert_eq!(weeks_from_column(Some("1,3")), Some(vec![1, 3]));
        assert_eq!(weeks_from_column(Some(" 2 , x, 9")), Some(vec![2]));
        assert_eq!(weeks_from_column(Some("")), None);
        assert_eq!(weeks_from_column(None), None);
    }

    #[test]
    fn a_reason_lasts_a_multiple_of_fifteen_minutes_between_fifteen_and_two_hundred_forty() {
        assert!(motif_limits(15, 120, 60).is_ok());
        assert!(motif_limits(240, 0, 1).is_ok());
        assert_eq!(motif_limits(10, 120, 60), Err(InputError::Duration));
        assert_eq!(motif_limits(50, 120, 60), Err(InputError::Duration));
        assert_eq!(motif_limits(255, 120, 60), Err(InputError::Duration));
        assert_eq!(motif_limits(30, -1, 60), Err(InputError::Notice));
        assert_eq!(motif_limits(30, 120, 0), Err(InputError::Horizon));
    }

    #[test]
    fn a_closure_ends_after_it_starts_and_names_an_existing_desk() {
        assert!(closure(utc(8, 0), utc(9, 0), None, 1).is_ok());
        assert!(closure(utc(8, 0), utc(9, 0), Some(2), 2).is_ok());
        assert_eq!(closure(utc(8, 0), utc(9, 0), Some(3), 2), Err(InputError::Desk));
        assert_eq!(closure(utc(8, 0), utc(9, 0), Some(0), 2), Err(InputError::Desk));
        assert_eq!(closure(utc(9, 0), utc(9, 0), None, 1), Err(InputError::ClosureReversed));
    }

    #[test]
    fn a_rule_reads_as_french_with_its_weeks_of_the_month() {
        let mut rule = OpeningRule {
            weekday: Weekday::Wed,
            start: t(13, 30),
            end: t(17, 0),
            weeks_of_month: Some(vec![1, 3]),
            valid_from: None,
            valid_to: None,
        };
        assert_eq!(
            describe_rule(&rule),
            "Les 1er et 3e mercredis du mois de 13\u{a0}h\u{a0}30 à 17\u{a0}h"
        );
        rule.weeks_of_month = Some(vec![2]);
        assert_eq!(
            describe_rule(&rule),
            "Le 2e mercredi du mois de 13\u{a0}h\u{a0}30 à 17\u{a0}h"
        );
        rule.weeks_of_month = Some(vec![1, 2, 4]);
        assert_eq!(
            describe_rule(&rule),
            "Les 1er, 2e et 4e mercredis du mois de 13\u{a0}h\u{a0}30 à 17\u{a0}h"
        );
        rule.weeks_of_month = None;
        rule.weekday = Weekday::Tue;
        rule.valid_from = NaiveDate::from_ymd_opt(2027, 9, 1);
        assert_eq!(
            describe_rule(&rule),
            "Le mardi de 13\u{a0}h\u{a0}30 à 17\u{a0}h, à partir du 01/09/2027"
        );
    }

    #[test]
    fn weekday_numbers_follow_iso_8601() {
        for n in 1..=7 {
            assert_eq!(weekday_number(weekday_from_number(n).unwrap()), n);
        }
        assert_eq!(weekday_from_number(0), None);
        assert_eq!(weekday_from_number(8), None);
    }

    #[test]
    fn person_lock_keys_differ_by_person_and_organisation() {
        let a = person_lock_key(1, "+33612345678");
        assert_eq!(a, person_lock_key(1, "+33612345678"));
        assert_ne!(a, person_lock_key(2, "+33612345678"));
        assert_ne!(a, person_lock_key(1, "+33612345679"));
    }

    #[test]
    fn required_text_is_trimmed_and_bounded() {
        assert_eq!(required_text("  Formation  ", 10, "reason"), Ok("Formation".into()));
        assert_eq!(
            required_text("   ", 10, "reason"),
            Err(InputError::Text { field: "reason" })
        );
        assert_eq!(
            required_text("abcdefghijk", 10, "reason"),
            Err(InputError::Text { field: "reason" })
        );
    }
}
