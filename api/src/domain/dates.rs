//! The years a date taken from a request may fall in. Anything outside is refused where it
//! enters (page URLs, API parameters), so no later date arithmetic can overflow on a
//! hand-made value (chrono accepts years up to ±262,143).
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike};

pub(crate) const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

pub(crate) fn date_in_range(d: NaiveDate) -> bool {
    YEARS.contains(&d.year())
}

/// Within [`YEARS`], and not a leap second (`23:59:60`, which chrono accepts).
pub(crate) fn instant_in_range<Z: TimeZone>(t: &DateTime<Z>) -> bool {
    YEARS.contains(&t.naive_utc().year()) && t.naive_utc().nanosecond() < 1_000_000_000
}

/// The French message for a date outside [`YEARS`].
pub(crate) const OUT_OF_RANGE: &str = "Cette date n'est pas valable : indiquez une date entre 2000 et 2100.";

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn only_the_years_this_product_can_mean_are_accepted() {
        assert!(date_in_range(NaiveDate::from_ymd_opt(2027, 1, 12).unwrap()));
        assert!(!date_in_range(NaiveDate::from_ymd_opt(262_142, 12, 31).unwrap()));
        assert!(!date_in_range(NaiveDate::from_ymd_opt(1999, 12, 31).unwrap()));
        assert!(!instant_in_range(&Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap()));
    }
}
