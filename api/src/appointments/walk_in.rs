//! A walk-in: someone at the door of a mediation point, booked "sur place" by staff with a
//! name alone. Which slot "now" and "the next free slot" mean is decided here, without a
//! database, from the day's free slots.
use chrono::{DateTime, Duration, Utc};

use crate::domain::slots::Slot;

/// "Now" is a free slot that started at most this long ago or starts within this long: a
/// person who walks in at 9 h 10 takes the 9 h slot; at 9 h 50, the 10 h one.
pub(crate) const NOW_MARGIN_MINUTES: i64 = 15;

/// When the person is to be received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WalkInTime {
    /// A free slot starting within [`NOW_MARGIN_MINUTES`] of now, before or after.
    Now,
    /// The first free slot of the day from that same margin on (now, if a slot is free).
    NextFree,
}

/// The starts to try, best first, among `slots` (the day's free slots, sorted by start).
/// More than one, so that a slot taken in the meantime gives way to the next.
pub(crate) fn candidates(slots: &[Slot], now: DateTime<Utc>, when: WalkInTime) -> Vec<DateTime<Utc>> {
    let margin = Duration::minutes(NOW_MARGIN_MINUTES);
    let open: Vec<&Slot> = slots
        .iter()
        .filter(|s| !s.free_desks.is_empty() && s.starts_at >= now - margin)
        .collect();
    match when {
        WalkInTime::Now => {
            let mut near: Vec<&Slot> = open.into_iter().filter(|s| s.starts_at <= now + margin).collect();
            // The closest to now first; the earlier on a tie.
            near.sort_by_key(|s| ((s.starts_at - now).num_seconds().abs(), s.starts_at));
            near.into_iter().map(|s| s.starts_at).collect()
        }
        WalkInTime::NextFree => open.into_iter().map(|s| s.starts_at).collect(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 4, h, m, 0).unwrap()
    }

    fn slot(h: u32, m: u32, free: usize) -> Slot {
        Slot {
            starts_at: at(h, m),
            ends_at: at(h, m) + Duration::minutes(30),
            free_desks: (1..=free as u32).collect(),
        }
    }

    #[test]
    fn now_is_the_slot_begun_a_few_minutes_ago_or_starting_soon() {
        let day = [slot(9, 0, 1), slot(9, 30, 1), slot(10, 0, 1)];
        assert_eq!(candidates(&day, at(9, 10), WalkInTime::Now), [at(9, 0)]);
        assert_eq!(candidates(&day, at(9, 20), WalkInTime::Now), [at(9, 30)]);
        assert_eq!(
            candidates(&day, at(9, 15), WalkInTime::Now),
            [at(9, 0), at(9, 30)],
            "on a tie, the slot under way first"
        );
    }

    #[test]
    fn now_is_nothing_when_no_slot_near_now_is_free() {
        let day = [slot(9, 0, 0), slot(10, 0, 1)];
        assert!(candidates(&day, at(9, 5), WalkInTime::Now).is_empty());
        assert_eq!(candidates(&day, at(9, 5), WalkInTime::NextFree), [at(10, 0)]);
    }

    #[test]
    fn the_next_free_slot_never_is_one_begun_long_ago() {
        let day = [slot(9, 0, 1), slot(9, 30, 1)];
        assert_eq!(candidates(&day, at(9, 20), WalkInTime::NextFree), [at(9, 30)]);
        assert_eq!(candidates(&day, at(9, 10), WalkInTime::NextFree), [at(9, 0), at(9, 30)]);
    }
}
