//! Dates and times the way a French letter writes them: "mardi 12 janvier 2027 de 14 h 00 à
//! 16 h 00", "vendredi 1er octobre". Always in the organisation's wall time.
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Tz;

const DAYS: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// "janvier" for 1 … "décembre" for 12 (out-of-range numbers are clamped).
pub fn month(month: u32) -> &'static str {
    MONTHS[(month.clamp(1, 12) - 1) as usize]
}

pub fn weekday(w: Weekday) -> &'static str {
    DAYS[w.num_days_from_monday() as usize]
}

/// `1er` for the first of the month, the number otherwise.
fn day_number(d: NaiveDate) -> String {
    if d.day() == 1 {
        "1er".to_string()
    } else {
        d.day().to_string()
    }
}

/// "mardi 12 janvier"
pub fn short_date(d: NaiveDate) -> String {
    format!(
        "{} {} {}",
        weekday(d.weekday()),
        day_number(d),
        MONTHS[d.month0() as usize]
    )
}

/// "mardi 12 janvier 2027"
pub fn long_date(d: NaiveDate) -> String {
    format!("{} {}", short_date(d), d.year())
}

/// "14 h 00", "9 h 05"
pub fn time_of_day(t: chrono::NaiveTime) -> String {
    format!("{} h {:02}", t.hour(), t.minute())
}

/// "mardi 12 janvier" in `tz`.
pub fn short_day(tz: Tz, at: DateTime<Utc>) -> String {
    short_date(at.with_timezone(&tz).date_naive())
}

/// "mardi 12 janvier 2027 à 14 h 00"
pub fn at(tz: Tz, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&tz);
    format!("{} à {}", long_date(local.date_naive()), time_of_day(local.time()))
}

/// "mardi 12 janvier 2027 de 14 h 00 à 16 h 00", or across midnight
/// "du mardi 12 janvier 2027 à 22 h 00 au mercredi 13 janvier 2027 à 1 h 00".
pub fn span(tz: Tz, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> String {
    let (s, e) = (starts_at.with_timezone(&tz), ends_at.with_timezone(&tz));
    if s.date_naive() == e.date_naive() {
        format!(
            "{} de {} à {}",
            long_date(s.date_naive()),
            time_of_day(s.time()),
            time_of_day(e.time())
        )
    } else {
        format!("du {} au {}", at(tz, starts_at), at(tz, ends_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Paris;

    #[test]
    fn a_winter_afternoon_reads_in_paris_time() {
        let s = Utc.with_ymd_and_hms(2027, 1, 12, 13, 0, 0).unwrap();
        let e = Utc.with_ymd_and_hms(2027, 1, 12, 15, 0, 0).unwrap();
        assert_eq!(span(Paris, s, e), "mardi 12 janvier 2027 de 14 h 00 à 16 h 00");
        assert_eq!(short_day(Paris, s), "mardi 12 janvier");
        assert_eq!(at(Paris, s), "mardi 12 janvier 2027 à 14 h 00");
    }

    #[test]
    fn summer_time_and_the_first_of_the_month() {
        // 1 October 2027 is a Friday; Paris is UTC+2 then.
        let s = Utc.with_ymd_and_hms(2027, 10, 1, 7, 5, 0).unwrap();
        assert_eq!(at(Paris, s), "vendredi 1er octobre 2027 à 9 h 05");
        // Monday after the spring change (28 March 2027).
        let s = Utc.with_ymd_and_hms(2027, 3, 29, 8, 0, 0).unwrap();
        assert_eq!(at(Paris, s), "lundi 29 mars 2027 à 10 h 00");
    }

    #[test]
    fn every_day_and_month_has_its_french_name() {
        let d = NaiveDate::from_ymd_opt(2027, 2, 15).unwrap();
        assert_eq!(long_date(d), "lundi 15 février 2027");
        let names: Vec<_> = (0..7)
            .map(|i| weekday((d + chrono::Duration::days(i)).weekday()))
            .collect();
        assert_eq!(names, DAYS);
        assert_eq!(
            short_date(NaiveDate::from_ymd_opt(2027, 8, 15).unwrap()),
            "dimanche 15 août"
        );
        assert_eq!(
            short_date(NaiveDate::from_ymd_opt(2027, 12, 25).unwrap()),
            "samedi 25 décembre"
        );
    }

    #[test]
    fn a_span_across_midnight_names_both_days() {
        let s = Utc.with_ymd_and_hms(2027, 1, 12, 21, 0, 0).unwrap();
        let e = Utc.with_ymd_and_hms(2027, 1, 13, 0, 30, 0).unwrap();
        assert_eq!(
            span(Paris, s, e),
            "du mardi 12 janvier 2027 à 22 h 00 au mercredi 13 janvier 2027 à 1 h 30"
        );
    }
}
