//! Dates and instants carried in page URLs (`?jour=2027-01-12`, `?debut=2027-01-12T13:30:00Z`).
//! Anything outside the years this product can mean is refused here, so no later date
//! arithmetic can overflow on a hand-made URL.
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::dates::{date_in_range, instant_in_range};

/// `2027-01-12` or `12/01/2027`; `None` for anything else, or outside the years the product accepts.
pub(crate) fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .ok()
        .filter(|d| date_in_range(*d))
}

/// A slot's start as it travels in a link.
pub(crate) fn slot_param(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The inverse of [`slot_param`] (any RFC 3339 instant), bounded like [`parse_date`].
pub(crate) fn parse_slot_param(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
        .filter(instant_in_range)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_slot_start_survives_the_round_trip_through_a_link() {
        let at = Utc.with_ymd_and_hms(2027, 1, 12, 13, 30, 0).unwrap();
        assert_eq!(slot_param(at), "2027-01-12T13:30:00Z");
        assert_eq!(parse_slot_param(&slot_param(at)), Some(at));
        assert_eq!(parse_slot_param("demain"), None);
    }

    #[test]
    fn dates_far_outside_the_product_s_years_are_refused() {
        assert_eq!(parse_date("2027-01-12"), NaiveDate::from_ymd_opt(2027, 1, 12));
        assert_eq!(parse_date(" 12/01/2027 "), NaiveDate::from_ymd_opt(2027, 1, 12));
        assert_eq!(parse_date("12 janvier"), None);
        assert_eq!(parse_date("+262142-12-31"), None);
        assert_eq!(parse_date("1899-12-31"), None);
        assert_eq!(parse_slot_param("9999-12-31T23:00:00Z"), None);
    }
}
