//! French public holidays (jours fériés) for metropolitan France.
//!
//! Town services close on public holidays, so both the appointment slot
//! computation ([`super::slots`]) and the workshop series generator
//! ([`super::series`]) need to know them. The list is the one of the French
//! labour code (article L3133-1) that applies to metropolitan France:
//! Good Friday and 26 December are only holidays in Alsace-Moselle, and the
//! overseas departments have extra days (abolition of slavery…), so neither is
//! included here.
//!
//! Everything is computed, nothing is stored: the movable feasts all derive
//! from Easter Sunday, which [`easter_sunday`] computes with the anonymous
//! Gregorian algorithm, so the functions work for any year without a table to
//! keep up to date.

use chrono::{Datelike, Days, NaiveDate};

/// Date of Easter Sunday in the Gregorian calendar for `year`.
///
/// Uses the anonymous Gregorian algorithm (Meeus/Jones/Butcher), which is
/// exact for every Gregorian year. Easter always falls between 22 March and
/// 25 April.
///
/// # Panics
///
/// Only for years outside chrono's supported range (about ±262 000), which
/// cannot occur for a booking service.
pub(crate) fn easter_sunday(year: i32) -> NaiveDate {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
        .expect("the computus always yields a valid date in March or April")
}

/// All public holidays of metropolitan France in `year`, sorted by date, with
/// their French name (as shown to residents and agents).
///
/// Eleven days: Jour de l'an, Lundi de Pâques, Fête du Travail, Victoire 1945,
/// Ascension, Lundi de Pentecôte, Fête nationale, Assomption, Toussaint,
/// Armistice 1918 and Noël. Lundi de Pentecôte is listed although it is the
/// "journée de solidarité" in many organisations: town services are usually
/// closed that day, and a place that stays open can add an explicit opening.
pub(crate) fn french_public_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let fixed =
        |month: u32, day: u32| NaiveDate::from_ymd_opt(year, month, day).expect("fixed holidays are valid dates");
    let easter = easter_sunday(year);
    let after_easter = |days: u64| easter + Days::new(days);

    let mut holidays = vec![
        (fixed(1, 1), "Jour de l'an"),
        (after_easter(1), "Lundi de Pâques"),
        (fixed(5, 1), "Fête du Travail"),
        (fixed(5, 8), "Victoire 1945"),
        (after_easter(39), "Ascension"),
        (after_easter(50), "Lundi de Pentecôte"),
        (fixed(7, 14), "Fête nationale"),
        (fixed(8, 15), "Assomption"),
        (fixed(11, 1), "Toussaint"),
        (fixed(11, 11), "Armistice 1918"),
        (fixed(12, 25), "Noël"),
    ];
    // Ascension can fall on 1 or 8 May (e.g. 2008: 1 May), so the movable
    // feasts are not always in the order written above.
    holidays.sort_by_key(|(date, _)| *date);
    holidays
}

/// The French name of the public holiday falling on `date`, if any.
///
/// When two holidays coincide (Ascension on 1 May, as in 2008), the one that
/// comes first in [`french_public_holidays`] is returned; the answer "closed"
/// is the same either way.
pub(crate) fn is_french_public_holiday(date: NaiveDate) -> Option<&'static str> {
    // Cheap pre-filter: no holiday ever falls in February, September or
    // October (June can hold Ascension or Whit Monday), and this function is
    // called for every day of a slot search.
    if matches!(date.month(), 2 | 9 | 10) {
        return None;
    }
    french_public_holidays(date.year())
        .into_iter()
        .find(|(holiday, _)| *holiday == date)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_2027_is_on_march_28() {
        assert_eq!(easter_sunday(2027), d(2027, 3, 28));
    }

    #[test]
    fn easter_matches_published_dates_across_centuries() {
        let known = [
            (1818, d(1818, 3, 22)), // earliest possible date
            (1943, d(1943, 4, 25)), // latest possible date
            (2000, d(2000, 4, 23)),
            (2008, d(2008, 3, 23)),
            (2019, d(2019, 4, 21)),
            (2024, d(2024, 3, 31)),
            (2025, d(2025, 4, 20)),
            (2026, d(2026, 4, 5)),
            (2028, d(2028, 4, 16)),
            (2038, d(2038, 4, 25)),
            (2285, d(2285, 3, 22)),
        ];
        for (year, expected) in known {
            assert_eq!(easter_sunday(year), expected, "Easter {year}");
        }
    }

    #[test]
    fn easter_always_falls_on_a_sunday_between_march_22_and_april_25() {
        for year in 1583..=2500 {
            let easter = easter_sunday(year);
            assert_eq!(easter.weekday(), chrono::Weekday::Sun, "{year}");
            assert!(easter >= d(year, 3, 22) && easter <= d(year, 4, 25), "{year}");
        }
    }

    #[test]
    fn movable_holidays_of_2027_follow_easter() {
        let holidays = french_public_holidays(2027);
        let date_of = |name: &str| {
            holidays
                .iter()
                .find(|(_, n)| *n == name)
                .map(|(date, _)| *date)
                .unwrap()
        };
        assert_eq!(date_of("Lundi de Pâques"), d(2027, 3, 29));
        assert_eq!(date_of("Ascension"), d(2027, 5, 6));
        assert_eq!(date_of("Lundi de Pentecôte"), d(2027, 5, 17));
    }

    #[test]
    fn metropolitan_france_has_eleven_holidays_sorted_by_date() {
        for year in [2008, 2027, 2038] {
            let holidays = french_public_holidays(year);
            assert_eq!(holidays.len(), 11);
            assert!(holidays.windows(2).all(|w| w[0].0 <= w[1].0), "{year}");
            assert!(holidays.iter().all(|(date, _)| date.year() == year));
        }
    }

    #[test]
    fn ascension_on_labour_day_2008_keeps_the_list_sorted() {
        let holidays = french_public_holidays(2008);
        assert_eq!(holidays[1], (d(2008, 3, 24), "Lundi de Pâques"));
        assert!(holidays.contains(&(d(2008, 5, 1), "Ascension")));
        assert!(holidays.contains(&(d(2008, 5, 1), "Fête du Travail")));
    }

    #[test]
    fn fixed_holidays_are_recognised_with_their_french_name() {
        assert_eq!(is_french_public_holiday(d(2027, 1, 1)), Some("Jour de l'an"));
        assert_eq!(is_french_public_holiday(d(2027, 5, 1)), Some("Fête du Travail"));
        assert_eq!(is_french_public_holiday(d(2027, 5, 8)), Some("Victoire 1945"));
        assert_eq!(is_french_public_holiday(d(2027, 7, 14)), Some("Fête nationale"));
        assert_eq!(is_french_public_holiday(d(2027, 8, 15)), Some("Assomption"));
        assert_eq!(is_french_public_holiday(d(2027, 11, 1)), Some("Toussaint"));
        assert_eq!(is_french_public_holiday(d(2027, 11, 11)), Some("Armistice 1918"));
        assert_eq!(is_french_public_holiday(d(2027, 12, 25)), Some("Noël"));
    }

    #[test]
    fn ascension_thursday_2027_is_a_holiday() {
        assert_eq!(is_french_public_holiday(d(2027, 5, 6)), Some("Ascension"));
    }

    #[test]
    fn good_friday_and_saint_stephen_are_not_holidays_outside_alsace_moselle() {
        assert_eq!(is_french_public_holiday(d(2027, 3, 26)), None);
        assert_eq!(is_french_public_holiday(d(2027, 12, 26)), None);
    }

    #[test]
    fn ordinary_days_and_easter_sunday_itself_are_not_listed() {
        assert_eq!(is_french_public_holiday(d(2027, 3, 28)), None);
        assert_eq!(is_french_public_holiday(d(2027, 5, 16)), None);
        assert_eq!(is_french_public_holiday(d(2027, 6, 15)), None);
        assert_eq!(is_french_public_holiday(d(2027, 10, 4)), None);
    }

    #[test]
    fn whit_monday_in_june_is_found_despite_the_month_pre_filter() {
        // Easter 2038 is on 25 April, so Whit Monday is on 14 June.
        assert_eq!(is_french_public_holiday(d(2038, 6, 14)), Some("Lundi de Pentecôte"));
        assert_eq!(is_french_public_holiday(d(2038, 6, 3)), Some("Ascension"));
    }
}
