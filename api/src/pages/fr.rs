//! Dates, times and counts written the way a French reader says them:
//! "mardi 12 janvier, 14 h – 16 h", "1 place restante".
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Weekday};

/// The day's French name (the same words as the e-mails).
pub fn weekday_name(w: Weekday) -> &'static str {
    crate::notifications::french::weekday(w)
}

pub fn month_name(month: u32) -> &'static str {
    crate::notifications::french::month(month)
}

/// "mardi 12 janvier", "vendredi 1er octobre"; the year is added when it is not `this_year`.
pub fn date(d: NaiveDate, this_year: i32) -> String {
    let day = if d.day() == 1 {
        "1er".to_string()
    } else {
        d.day().to_string()
    };
    let mut s = format!("{} {day} {}", weekday_name(d.weekday()), month_name(d.month()));
    if d.year() != this_year {
        s.push_str(&format!(" {}", d.year()));
    }
    s
}

/// "14 h", "9 h 30", with no-break spaces (French typography: "16 h" never splits).
pub fn time<Tz: TimeZone>(t: &DateTime<Tz>) -> String {
    if t.minute() == 0 {
        format!("{}\u{a0}h", t.hour())
    } else {
        format!("{}\u{a0}h\u{a0}{:02}", t.hour(), t.minute())
    }
}

/// "mardi 12 janvier, 14 h – 16 h" (both ends on the start's date, as workshops are).
pub fn span<Tz: TimeZone>(start: &DateTime<Tz>, end: &DateTime<Tz>, this_year: i32) -> String {
    format!(
        "{}, {} – {}",
        date(start.date_naive(), this_year),
        time(start),
        time(end)
    )
}

/// "mardi 12 janvier à 14 h".
pub fn at<Tz: TimeZone>(t: &DateTime<Tz>, this_year: i32) -> String {
    format!("{} à {}", date(t.date_naive(), this_year), time(t))
}

/// Seats left, in words: "3 places restantes", "1 place restante", "Complet — liste d'attente".
pub fn seats_left(n: i32) -> String {
    match n {
        n if n <= 0 => "Complet — liste d'attente".into(),
        1 => "1 place restante".into(),
        n => format!("{n} places restantes"),
    }
}

/// "1 personne", "3 personnes", "aucune personne".
pub fn people(n: usize) -> String {
    match n {
        0 => "aucune personne".into(),
        1 => "1 personne".into(),
        n => format!("{n} personnes"),
    }
}

/// A phone number as French people read it: "+33612345678" → "06 12 34 56 78".
pub fn phone(e164: &str) -> String {
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
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Paris;

    #[test]
    fn a_workshop_reads_as_a_spelled_out_day_and_hours() {
        let start = Paris.with_ymd_and_hms(2027, 1, 12, 14, 0, 0).unwrap();
        let end = Paris.with_ymd_and_hms(2027, 1, 12, 16, 0, 0).unwrap();
        assert_eq!(
            span(&start, &end, 2027).replace('\u{a0}', " "),
            "mardi 12 janvier, 14 h – 16 h"
        );
        let start = Paris.with_ymd_and_hms(2027, 10, 1, 9, 30, 0).unwrap();
        let end = Paris.with_ymd_and_hms(2027, 10, 1, 11, 0, 0).unwrap();
        assert_eq!(
            span(&start, &end, 2027),
            "vendredi 1er octobre, 9\u{a0}h\u{a0}30 – 11\u{a0}h"
        );
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

    #[test]
    fn french_numbers_are_shown_in_pairs_and_foreign_ones_as_given() {
        assert_eq!(phone("+33612345678"), "06 12 34 56 78");
        assert_eq!(phone("+4915112345678"), "+4915112345678");
    }
}
