//! French wording, one convention for the site, the e-mails and the opening hours: dates as
//! "mardi 12 janvier 2027" (the year left out on the pages when it is this year), times as
//! "14 h" or "9 h 30" with no-break spaces (French typography: "16 h" never splits), counts
//! with their plural, French phone numbers in pairs. Always in the organisation's wall time.
use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;

use crate::domain::slots::OpeningRule;

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
pub(crate) fn month(month: u32) -> &'static str {
    MONTHS[(month.clamp(1, 12) - 1) as usize]
}

pub(crate) fn weekday(w: Weekday) -> &'static str {
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
pub(crate) fn short_date(d: NaiveDate) -> String {
    format!("{} {} {}", weekday(d.weekday()), day_number(d), month(d.month()))
}

/// "mardi 12 janvier 2027"
pub(crate) fn long_date(d: NaiveDate) -> String {
    format!("{} {}", short_date(d), d.year())
}

/// "mardi 12 janvier", with the year when it is not `this_year` (the pages' way).
pub(crate) fn date(d: NaiveDate, this_year: i32) -> String {
    if d.year() == this_year {
        short_date(d)
    } else {
        long_date(d)
    }
}

/// "14 h", "9 h 30".
pub(crate) fn time_of_day(t: NaiveTime) -> String {
    if t.minute() == 0 {
        format!("{}\u{a0}h", t.hour())
    } else {
        format!("{}\u{a0}h\u{a0}{:02}", t.hour(), t.minute())
    }
}

/// The wall time of an instant already in its zone: "14 h", "9 h 30".
pub(crate) fn time<Z: TimeZone>(t: &DateTime<Z>) -> String {
    time_of_day(t.time())
}

/// "mardi 12 janvier" in `tz`.
pub(crate) fn short_day(tz: Tz, at: DateTime<Utc>) -> String {
    short_date(at.with_timezone(&tz).date_naive())
}

/// "mardi 12 janvier 2027 à 14 h" (messages, which may be read months later).
pub(crate) fn at(tz: Tz, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&tz);
    format!("{} à {}", long_date(local.date_naive()), time(&local))
}

/// "mardi 12 janvier 2027 de 14 h à 16 h", or across midnight
/// "du mardi 12 janvier 2027 à 22 h au mercredi 13 janvier 2027 à 1 h 30".
pub(crate) fn span(tz: Tz, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> String {
    let (s, e) = (starts_at.with_timezone(&tz), ends_at.with_timezone(&tz));
    if s.date_naive() == e.date_naive() {
        format!("{} de {} à {}", long_date(s.date_naive()), time(&s), time(&e))
    } else {
        format!("du {} au {}", at(tz, starts_at), at(tz, ends_at))
    }
}

/// "mardi 12 janvier, 14 h – 16 h" (the pages' list style; both ends on the start's date,
/// as workshops are).
pub(crate) fn short_span<Z: TimeZone>(start: &DateTime<Z>, end: &DateTime<Z>, this_year: i32) -> String {
    format!(
        "{}, {} – {}",
        date(start.date_naive(), this_year),
        time(start),
        time(end)
    )
}

/// "mardi 12 janvier à 14 h" (the pages' style).
pub(crate) fn short_at<Z: TimeZone>(t: &DateTime<Z>, this_year: i32) -> String {
    format!("{} à {}", date(t.date_naive(), this_year), time(t))
}

/// Seats left, in words: "3 places restantes", "1 place restante", "Complet — liste d'attente".
pub(crate) fn seats_left(n: i32) -> String {
    match n {
        n if n <= 0 => "Complet — liste d'attente".into(),
        1 => "1 place restante".into(),
        n => format!("{n} places restantes"),
    }
}

/// The plural mark of a French word counted `n` times: "s" from two on.
pub(crate) fn plural(n: usize) -> &'static str {
    if n > 1 { "s" } else { "" }
}

/// "1 personne", "3 personnes", "aucune personne".
pub(crate) fn people(n: usize) -> String {
    match n {
        0 => "aucune personne".into(),
        1 => "1 personne".into(),
        n => format!("{n} personnes"),
    }
}

/// "lun." … "dim.".
fn weekday_short(w: Weekday) -> &'static str {
    ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."][w.num_days_from_monday() as usize]
}

/// "9 h – 12 h" (no-break spaces, so a phone never starts a line with the dash).
pub(crate) fn hours_range(start: NaiveTime, end: NaiveTime) -> String {
    format!("{}\u{a0}– {}", time_of_day(start), time_of_day(end))
}

/// Opening hours as a phone shows them: one line per set of days sharing the same hours,
/// "lun., mar., jeu. : 9 h – 12 h", "mer. : 9 h – 12 h, 14 h – 17 h", then the rules of
/// chosen weeks ("1er et 3e sam. du mois : 9 h – 12 h") and a validity when a rule has one
/// ("à partir du 4 janvier"). Rules already ended before `today` are left out.
pub(crate) fn opening_hours(rules: &[OpeningRule], today: NaiveDate) -> Vec<String> {
    type Key = (Option<Vec<u8>>, Option<NaiveDate>, Option<NaiveDate>);
    type Ranges = Vec<(NaiveTime, NaiveTime)>;
    // Per (weeks, validity) and weekday, the day's ranges in order.
    let mut days: BTreeMap<(Key, u32), (Weekday, Ranges)> = BTreeMap::new();
    for r in rules
        .iter()
        .filter(|r| r.end > r.start && r.valid_to.is_none_or(|to| to >= today))
    {
        let from = r.valid_from.filter(|f| *f > today);
        let key = (r.weeks_of_month.clone(), from, r.valid_to);
        days.entry((key, r.weekday.num_days_from_monday()))
            .or_insert_with(|| (r.weekday, Vec::new()))
            .1
            .push((r.start, r.end));
    }
    // Days with the same ranges share a line, in the order of their first day.
    let mut lines: Vec<(Key, Ranges, Vec<Weekday>)> = Vec::new();
    for ((key, _), (weekday, mut ranges)) in days {
        ranges.sort();
        match lines.iter_mut().find(|(k, r, _)| *k == key && *r == ranges) {
            Some((_, _, ds)) => ds.push(weekday),
            None => lines.push((key, ranges, vec![weekday])),
        }
    }
    lines.sort_by_key(|(key, _, ds)| (key.0.is_some(), key.1, ds[0].num_days_from_monday()));
    lines
        .into_iter()
        .map(|((weeks, from, to), ranges, ds)| {
            let days = ds.iter().map(|d| weekday_short(*d)).collect::<Vec<_>>().join(", ");
            let days = match weeks {
                None => days,
                Some(w) => {
                    let n: Vec<String> = w
                        .iter()
                        .map(|n| if *n == 1 { "1er".to_string() } else { format!("{n}e") })
                        .collect();
                    let list = match n.split_last() {
                        Some((last, [])) => last.clone(),
                        Some((last, rest)) => format!("{} et {last}", rest.join(", ")),
                        None => String::new(),
                    };
                    format!("{list} {days} du mois")
                }
            };
            let hours = ranges
                .iter()
                .map(|(s, e)| hours_range(*s, *e))
                .collect::<Vec<_>>()
                .join(", ");
            let validity = match (from, to) {
                (Some(f), Some(t)) => format!(" (du {} au {})", day_month(f), day_month(t)),
                (Some(f), None) => format!(" (à partir du {})", day_month(f)),
                (None, Some(t)) => format!(" (jusqu'au {})", day_month(t)),
                (None, None) => String::new(),
            };
            format!("{days}\u{a0}: {hours}{validity}")
        })
        .collect()
}

/// "4 janvier", "1er mai".
fn day_month(d: NaiveDate) -> String {
    format!("{} {}", day_number(d), month(d.month()))
}

/// A phone number as a `tel:` link target: digits and `+` only.
pub(crate) fn tel_href(phone: &str) -> String {
    phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
}

/// A phone number as French people read it: "+33612345678" → "06 12 34 56 78".
pub(crate) fn phone(e164: &str) -> String {
    match e164.strip_prefix("+33") {
        Some(rest) if rest.len() == 9 && rest.bytes().all(|b| b.is_ascii_digit()) => {
            let national = format!("0{rest}");
            national
                .as_bytes()
                .chunks(2)
                .map(|c| std::str::from_utf8(c).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" ")
        }
        _ => e164.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Europe::Paris;

    use super::*;

    /// The tests read better with plain spaces.
    fn plain(s: String) -> String {
        s.replace('\u{a0}', " ")
    }

    #[test]
    fn a_winter_afternoon_reads_in_paris_time() {
        let s = Utc.with_ymd_and_hms(2027, 1, 12, 13, 0, 0).unwrap();
        let e = Utc.with_ymd_and_hms(2027, 1, 12, 15, 0, 0).unwrap();
        assert_eq!(plain(span(Paris, s, e)), "mardi 12 janvier 2027 de 14 h à 16 h");
        assert_eq!(short_day(Paris, s), "mardi 12 janvier");
        assert_eq!(plain(at(Paris, s)), "mardi 12 janvier 2027 à 14 h");
    }

    #[test]
    fn summer_time_and_the_first_of_the_month() {
        // 1 October 2027 is a Friday; Paris is UTC+2 then.
        let s = Utc.with_ymd_and_hms(2027, 10, 1, 7, 5, 0).unwrap();
        assert_eq!(plain(at(Paris, s)), "vendredi 1er octobre 2027 à 9 h 05");
        // Monday after the spring change (28 March 2027).
        let s = Utc.with_ymd_and_hms(2027, 3, 29, 8, 0, 0).unwrap();
        assert_eq!(plain(at(Paris, s)), "lundi 29 mars 2027 à 10 h");
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
            plain(span(Paris, s, e)),
            "du mardi 12 janvier 2027 à 22 h au mercredi 13 janvier 2027 à 1 h 30"
        );
    }

    #[test]
    fn a_workshop_reads_as_a_spelled_out_day_and_hours() {
        let start = Paris.with_ymd_and_hms(2027, 1, 12, 14, 0, 0).unwrap();
        let end = Paris.with_ymd_and_hms(2027, 1, 12, 16, 0, 0).unwrap();
        assert_eq!(plain(short_span(&start, &end, 2027)), "mardi 12 janvier, 14 h – 16 h");
        let start = Paris.with_ymd_and_hms(2027, 10, 1, 9, 30, 0).unwrap();
        let end = Paris.with_ymd_and_hms(2027, 10, 1, 11, 0, 0).unwrap();
        assert_eq!(
            short_span(&start, &end, 2027),
            "vendredi 1er octobre, 9\u{a0}h\u{a0}30 – 11\u{a0}h"
        );
    }

    #[test]
    fn the_pages_and_the_messages_write_a_time_the_same_way() {
        let s = Utc.with_ymd_and_hms(2027, 1, 12, 8, 30, 0).unwrap();
        let local = s.with_timezone(&Paris);
        assert!(at(Paris, s).ends_with(&time(&local)));
        assert!(short_at(&local, 2027).ends_with(&time(&local)));
        assert_eq!(plain(time(&local)), "9 h 30");
    }

    #[test]
    fn the_year_is_written_only_when_it_is_not_this_year() {
        let d = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        assert_eq!(date(d, 2027), "mardi 29 février 2028");
        assert_eq!(date(d, 2028), "mardi 29 février");
    }

    #[test]
    fn seats_left_are_said_in_words_with_the_right_plural() {
        assert_eq!(seats_left(3), "3 places restantes");
        assert_eq!(seats_left(1), "1 place restante");
        assert_eq!(seats_left(0), "Complet — liste d'attente");
    }

    fn rule(weekday: Weekday, start: (u32, u32), end: (u32, u32)) -> OpeningRule {
        OpeningRule {
            weekday,
            start: NaiveTime::from_hms_opt(start.0, start.1, 0).unwrap(),
            end: NaiveTime::from_hms_opt(end.0, end.1, 0).unwrap(),
            weeks_of_month: None,
            valid_from: None,
            valid_to: None,
        }
    }

    #[test]
    fn opening_hours_share_a_line_per_days_with_the_same_hours() {
        use Weekday::*;
        let today = NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        let mut rules = vec![
            rule(Thu, (9, 0), (12, 0)),
            rule(Mon, (9, 0), (12, 0)),
            rule(Tue, (9, 0), (12, 0)),
            rule(Wed, (14, 0), (17, 30)),
            rule(Wed, (9, 0), (12, 0)),
            OpeningRule {
                weeks_of_month: Some(vec![1, 3]),
                ..rule(Sat, (9, 30), (12, 0))
            },
            OpeningRule {
                valid_from: Some(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()),
                ..rule(Fri, (9, 0), (12, 0))
            },
        ];
        // Ended last year: not shown.
        rules.push(OpeningRule {
            valid_to: Some(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
            ..rule(Sun, (9, 0), (12, 0))
        });
        let lines: Vec<String> = opening_hours(&rules, today).into_iter().map(plain).collect();
        assert_eq!(
            lines,
            [
                "lun., mar., jeu. : 9 h – 12 h",
                "mer. : 9 h – 12 h, 14 h – 17 h 30",
                "ven. : 9 h – 12 h (à partir du 1er mars)",
                "1er et 3e sam. du mois : 9 h 30 – 12 h",
            ]
        );
    }

    #[test]
    fn french_numbers_are_shown_in_pairs_and_foreign_ones_as_given() {
        assert_eq!(phone("+33612345678"), "06 12 34 56 78");
        assert_eq!(phone("+4915112345678"), "+4915112345678");
        assert_eq!(tel_href("04 90 49 39 39"), "0490493939");
        assert_eq!(tel_href("+33 4 90 49 39 39"), "+33490493939");
    }
}
