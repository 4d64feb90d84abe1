//! Instants are stored in UTC and shown in the organisation's zone.
use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;

/// An instant as RFC 3339 with the organisation's offset, e.g. `2027-03-30T14:00:00+02:00`.
pub(crate) fn local(tz: Tz, at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&tz).fixed_offset()
}

pub(crate) fn parse_tz(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::Europe::Paris)
}
