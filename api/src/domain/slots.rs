//! Appointment slots at a digital-mediation point.
//!
//! A place (a "point de médiation numérique") has one or more desks, each
//! staffed by an agent who helps one resident at a time. It opens according
//! to weekly [`OpeningRule`]s written in local wall-clock time ("Monday
//! 09:00–12:00, 1st and 3rd Wednesday 14:00–17:00"), plus one-off
//! [`ExtraOpening`]s, minus [`Closure`]s (the whole place or one desk) and,
//! optionally, French public holidays. Residents book fixed-length slots cut
//! on a wall-clock grid from the start of each opening; a slot is offered
//! while at least one desk is neither closed nor already [`Busy`].
//!
//! Everything here is pure: the caller loads the schedule and the existing
//! appointments, passes `now`, and gets the answer. That keeps the rules
//! testable to the minute, including across daylight-saving changes, which
//! is where booking systems usually go wrong.
//!
//! # Time rules
//!
//! * The grid is in wall-clock time in [`Schedule::tz`]: an opening at 09:00
//!   offers 09:00, 09:30… on the place's clock in winter and in summer alike;
//!   only the UTC instants move.
//! * A grid start that does not exist (spring-forward gap, 02:00–03:00 in
//!   Paris on the last Sunday of March) offers no slot.
//! * A grid start that exists twice (fall-back overlap) is offered once, at
//!   its earliest instant; the second pass through the same wall times offers
//!   nothing, so nobody is booked twice "at 02:30".
//! * Every slot lasts exactly `duration` of real time from its start: the
//!   desk is busy for that long whatever the clocks do. Within one opening a
//!   slot that would start before the previous one has ended (only possible
//!   right after a gap) is dropped, so slots of one opening never overlap.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use super::holidays::is_french_public_holiday;
use super::series::wall_to_utc_earliest;

/// A recurring weekly opening, in wall-clock time of the place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningRule {
    pub weekday: Weekday,
    /// Wall-clock opening time.
    pub start: NaiveTime,
    /// Wall-clock closing time, same day; a rule with `end <= start` opens
    /// nothing (openings do not run past midnight).
    pub end: NaiveTime,
    /// None = every week; Some(vec![1,3]) = 1st and 3rd such weekday of the
    /// month (1..=5), as in "permanence les 1er et 3e mercredis du mois".
    /// The n-th weekday of a month is the one on day 7(n-1)+1 ..= 7n.
    pub weeks_of_month: Option<Vec<u8>>,
    /// First local date on which the rule applies (inclusive); None = always.
    pub valid_from: Option<NaiveDate>,
    /// Last local date on which the rule applies (inclusive); None = forever.
    pub valid_to: Option<NaiveDate>,
}

impl OpeningRule {
    /// Whether this rule opens the place on local date `date`.
    pub(crate) fn applies_on(&self, date: NaiveDate) -> bool {
        date.weekday() == self.weekday
            && self.valid_from.is_none_or(|from| date >= from)
            && self.valid_to.is_none_or(|to| date <= to)
            && self
                .weeks_of_month
                .as_ref()
                .is_none_or(|weeks| weeks.contains(&week_of_month(date)))
    }
}

/// Rank (1..=5) of `date` among the same weekdays of its month: 1 for the
/// first Wednesday of the month, 3 for the third, and so on.
pub(crate) fn week_of_month(date: NaiveDate) -> u8 {
    // day() is 1..=31, so the result is 1..=5 and fits in u8.
    ((date.day() - 1) / 7 + 1) as u8
}

/// A one-off opening on a given local date (a Saturday morning before a tax
/// deadline…). It opens even on a public holiday: it was added on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraOpening {
    pub date: NaiveDate,
    pub start: NaiveTime,
    /// Same day, after `start`; otherwise the opening is ignored.
    pub end: NaiveTime,
}

/// A period during which the place, or one desk, takes no appointment
/// (training, strike, agent on leave). desk None = whole place closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The closed desk (1..=desks), or None for the whole place. A desk
    /// number outside the place's desks closes nothing.
    pub desk: Option<u32>,
}

/// An existing appointment occupying one desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    /// The occupied desk (1..=desks); other numbers block nothing.
    pub desk: u32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Everything that decides when a place can receive residents.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The place's zone: opening hours are read on its clocks and its local
    /// dates decide rules, holidays and extras.
    pub tz: Tz,
    /// Number of desks, numbered 1..=desks.
    pub desks: u32,
    pub rules: Vec<OpeningRule>,
    pub extras: Vec<ExtraOpening>,
    pub closures: Vec<Closure>,
    /// When true, the weekly rules do not apply on French public holidays
    /// (extras still do).
    pub close_on_public_holidays: bool,
}

/// How far ahead residents may book, relative to `now`. Staff bookings pass
/// no window and are not restricted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingWindow {
    /// A slot must start at least this long after `now` (so the agent can
    /// prepare and the resident cannot book a slot that is already starting).
    pub min_notice: Duration,
    /// A slot must start at most this long after `now` (inclusive).
    pub horizon: Duration,
}

/// A bookable slot and the desks still free for it, in increasing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub free_desks: Vec<u32>,
}

/// Why [`check_slot`] refuses a requested start, checked in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SlotRejection {
    /// Not the start of a slot of any opening on that day (wrong time, wrong
    /// day, inside a DST gap, or the second pass through a fall-back hour).
    #[error("this time is not the start of a slot")]
    OffGrid,
    /// Before the minimum notice or beyond the booking horizon.
    #[error("this slot cannot be booked at this time")]
    OutsideWindow,
    /// On the grid, but the day is a public holiday, the place is closed, or
    /// every desk is closed.
    #[error("the place is closed at this time")]
    Closed,
    /// Every open desk already has an appointment.
    #[error("this slot is fully booked")]
    Full,
}

/// All bookable slots of `duration` that lie within `[from, to)`, sorted by
/// start.
///
/// For each local date of the place between `from` and `to`, the openings of
/// that date are the rules that apply on it (none on a public holiday when
/// [`Schedule::close_on_public_holidays`] is set) plus the extras of that
/// date. Each opening is cut into consecutive slots of `duration` from its
/// wall-clock start (the last one must end by the opening's end); see the
/// module documentation for the daylight-saving rules. Slots produced twice
/// (a rule and an extra with the same hours) are offered once.
///
/// A slot is kept when it lies fully inside `[from, to)`, satisfies `window`
/// (starts at or after `now + min_notice` and at or before `now + horizon`;
/// `None`, for staff, means no restriction, not even "in the future"), and
/// has at least one free desk: a desk is free when no whole-place closure,
/// no closure of that desk and no [`Busy`] on that desk overlaps the slot
/// (touching ends do not overlap).
///
/// A non-positive `duration` yields no slot. Cost: O((B + C) log(B + C)) to
/// index the appointments and closures, then O(desks · log(B + C)) per
/// candidate slot.
pub fn compute_slots(
    schedule: &Schedule,
    busy: &[Busy],
    duration: Duration,
    window: Option<&BookingWindow>,
    now: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Slot> {
    if duration <= Duration::zero() {
        return Vec::new();
    }
    // Bounds on the start instant, combining the range and the window.
    let mut earliest_start = from;
    let Some(mut latest_start) = to.checked_sub_signed(duration) else {
        return Vec::new();
    };
    if let Some(window) = window {
        earliest_start = earliest_start.max(shift(now, window.min_notice));
        latest_start = latest_start.min(shift(now, window.horizon));
    }
    if latest_start < earliest_start {
        return Vec::new();
    }

    let availability = Availability::new(schedule, busy);
    let tz = schedule.tz;
    // One spare day each side: the local date of an instant is not monotonic
    // in zones whose clocks go back across midnight. Exact bounds are applied
    // to each slot below.
    let first_date = earliest_start.with_timezone(&tz).date_naive();
    let last_date = latest_start.with_timezone(&tz).date_naive();
    let first_date = first_date.pred_opt().unwrap_or(first_date);
    let last_date = last_date.succ_opt().unwrap_or(last_date);

    let mut slots = Vec::new();
    let mut grid = Vec::new();
    for date in first_date.iter_days().take_while(|date| *date <= last_date) {
        let closed_for_holiday = schedule.close_on_public_holidays && is_french_public_holiday(date).is_some();
        grid.clear();
        day_grid(schedule, date, duration, !closed_for_holiday, &mut grid);
        grid.sort_unstable_by_key(|candidate| candidate.starts_at);
        grid.dedup_by_key(|candidate| candidate.starts_at);
        for candidate in &grid {
            if candidate.starts_at < earliest_start || candidate.starts_at > latest_start {
                continue;
            }
            let ends_at = candidate.starts_at + duration;
            if let Assessment::Free(free_desks) = availability.assess(candidate.starts_at, ends_at) {
                slots.push(Slot {
                    starts_at: candidate.starts_at,
                    ends_at,
                    free_desks,
                });
            }
        }
    }
    // Already sorted in every real zone; cheap insurance for odd ones.
    slots.sort_by_key(|slot| slot.starts_at);
    slots
}

/// Whether a resident (with `window`) or staff (without) can book the slot
/// starting at `starts_at`, and which desks are free for it.
///
/// Applies exactly the rules of [`compute_slots`]: every slot it returns is
/// accepted here, and a start accepted here is one it would return. The
/// checks run in the order of [`SlotRejection`]: first whether `starts_at`
/// is a grid start of some opening on its local date (holidays aside), then
/// the booking window, then holidays and closures, then appointments.
///
/// # Errors
///
/// The first [`SlotRejection`] that applies.
pub fn check_slot(
    schedule: &Schedule,
    busy: &[Busy],
    duration: Duration,
    window: Option<&BookingWindow>,
    now: DateTime<Utc>,
    starts_at: DateTime<Utc>,
) -> Result<Slot, SlotRejection> {
    if duration <= Duration::zero() {
        return Err(SlotRejection::OffGrid);
    }
    let date = starts_at.with_timezone(&schedule.tz).date_naive();
    let mut grid = Vec::new();
    day_grid(schedule, date, duration, true, &mut grid);
    let matching = || grid.iter().filter(|c| c.starts_at == starts_at);
    if matching().next().is_none() {
        return Err(SlotRejection::OffGrid);
    }
    if let Some(window) = window
        && (starts_at < shift(now, window.min_notice) || starts_at > shift(now, window.horizon))
    {
        return Err(SlotRejection::OutsideWindow);
    }
    let closed_for_holiday = schedule.close_on_public_holidays && is_french_public_holiday(date).is_some();
    if closed_for_holiday && matching().all(|c| c.from_rule) {
        return Err(SlotRejection::Closed);
    }
    let ends_at = starts_at + duration;
    match Availability::new(schedule, busy).assess(starts_at, ends_at) {
        Assessment::Closed => Err(SlotRejection::Closed),
        Assessment::Full => Err(SlotRejection::Full),
        Assessment::Free(free_desks) => Ok(Slot {
            starts_at,
            ends_at,
            free_desks,
        }),
    }
}

/// `at + by`, saturating instead of panicking on absurd durations.
fn shift(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    at.checked_add_signed(by).unwrap_or(if by < Duration::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// A grid start on one local date, before closures and appointments.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    starts_at: DateTime<Utc>,
    /// Produced by a weekly rule (closed on holidays) rather than an extra.
    from_rule: bool,
}

/// Pushes onto `out` the grid starts of every opening of `date`: the rules
/// that apply (when `with_rules`) and the extras of that date. Not sorted,
/// not deduplicated.
fn day_grid(schedule: &Schedule, date: NaiveDate, duration: Duration, with_rules: bool, out: &mut Vec<Candidate>) {
    let rules = schedule
        .rules
        .iter()
        .filter(|rule| with_rules && rule.applies_on(date))
        .map(|rule| (rule.start, rule.end, true));
    let extras = schedule
        .extras
        .iter()
        .filter(|extra| extra.date == date)
        .map(|extra| (extra.start, extra.end, false));
    for (start, end, from_rule) in rules.chain(extras) {
        let end = date.and_time(end);
        let mut wall = date.and_time(start);
        let mut previous_end: Option<DateTime<Utc>> = None;
        while let Some(wall_end) = wall.checked_add_signed(duration)
            && wall_end <= end
        {
            if let Some(starts_at) = wall_to_utc_earliest(schedule.tz, wall)
                && previous_end.is_none_or(|previous| starts_at >= previous)
            {
                out.push(Candidate { starts_at, from_rule });
                previous_end = Some(starts_at + duration);
            }
            wall = wall_end;
        }
    }
}

/// Intervals sorted by start with the running maximum of their ends, which
/// answers "does any interval overlap [s, e)?" with one binary search.
#[derive(Debug, Default)]
struct IntervalIndex {
    starts: Vec<DateTime<Utc>>,
    max_end_so_far: Vec<DateTime<Utc>>,
}

impl IntervalIndex {
    fn new(mut intervals: Vec<(DateTime<Utc>, DateTime<Utc>)>) -> Self {
        intervals.retain(|(start, end)| end > start);
        intervals.sort_unstable_by_key(|(start, _)| *start);
        let mut max_end: Option<DateTime<Utc>> = None;
        let (starts, max_end_so_far) = intervals
            .into_iter()
            .map(|(start, end)| {
                let running = max_end.map_or(end, |max| max.max(end));
                max_end = Some(running);
                (start, running)
            })
            .unzip();
        Self { starts, max_end_so_far }
    }

    /// Whether some interval `[a, b)` satisfies `a < end && b > start`.
    fn overlaps(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        // Intervals starting before `end` are a prefix; one of them overlaps
        // iff the latest end among them is after `start`.
        let starting_before_end = self.starts.partition_point(|s| *s < end);
        starting_before_end > 0 && self.max_end_so_far[starting_before_end - 1] > start
    }
}

/// Closures and appointments indexed per desk.
struct Availability {
    place_closed: IntervalIndex,
    /// Index `desk - 1`.
    desk_closed: Vec<IntervalIndex>,
    /// Index `desk - 1`.
    desk_busy: Vec<IntervalIndex>,
}

enum Assessment {
    Closed,
    Full,
    Free(Vec<u32>),
}

impl Availability {
    fn new(schedule: &Schedule, busy: &[Busy]) -> Self {
        let desks = schedule.desks as usize;
        let desk_slot = |desk: u32| (desk as usize).checked_sub(1).filter(|i| *i < desks);
        let mut place = Vec::new();
        let mut closed = vec![Vec::new(); desks];
        let mut taken = vec![Vec::new(); desks];
        for closure in &schedule.closures {
            let interval = (closure.starts_at, closure.ends_at);
            match closure.desk {
                None => place.push(interval),
                Some(desk) => {
                    if let Some(i) = desk_slot(desk) {
                        closed[i].push(interval);
                    }
                }
            }
        }
        for appointment in busy {
            if let Some(i) = desk_slot(appointment.desk) {
                taken[i].push((appointment.starts_at, appointment.ends_at));
            }
        }
        Self {
            place_closed: IntervalIndex::new(place),
            desk_closed: closed.into_iter().map(IntervalIndex::new).collect(),
            desk_busy: taken.into_iter().map(IntervalIndex::new).collect(),
        }
    }

    fn assess(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Assessment {
        if self.place_closed.overlaps(start, end) {
            return Assessment::Closed;
        }
        let mut any_open = false;
        let mut free = Vec::new();
        for (desk, (closed, busy)) in (1..).zip(self.desk_closed.iter().zip(&self.desk_busy)) {
            if closed.overlaps(start, end) {
                continue;
            }
            any_open = true;
            if !busy.overlaps(start, end) {
                free.push(desk);
            }
        }
        match (any_open, free.is_empty()) {
            (false, _) => Assessment::Closed,
            (true, true) => Assessment::Full,
            (true, false) => Assessment::Free(free),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Paris;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(y: i32, mo: u32, day: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, day, h, mi, 0).unwrap()
    }

    /// A Paris wall time that exists once.
    fn paris(y: i32, mo: u32, day: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Paris
            .with_ymd_and_hms(y, mo, day, h, mi, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn minutes(n: i64) -> Duration {
        Duration::minutes(n)
    }

    fn rule(weekday: Weekday, start: NaiveTime, end: NaiveTime) -> OpeningRule {
        OpeningRule {
            weekday,
            start,
            end,
            weeks_of_month: None,
            valid_from: None,
            valid_to: None,
        }
    }

    fn place(desks: u32, rules: Vec<OpeningRule>) -> Schedule {
        Schedule {
            tz: Paris,
            desks,
            rules,
            extras: Vec::new(),
            closures: Vec::new(),
            close_on_public_holidays: true,
        }
    }

    /// The usual weekday hours: Mon–Fri 09:00–12:00 and 13:30–17:00.
    fn weekday_place(desks: u32) -> Schedule {
        let days = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
        let rules = days
            .iter()
            .flat_map(|day| [rule(*day, t(9, 0), t(12, 0)), rule(*day, t(13, 30), t(17, 0))])
            .collect();
        place(desks, rules)
    }

    /// Staff view of a whole local day.
    fn day_slots(schedule: &Schedule, busy: &[Busy], date: NaiveDate) -> Vec<Slot> {
        let from = wall_to_utc_earliest(Paris, date.and_time(t(0, 0))).unwrap();
        let to = from + Duration::hours(25);
        compute_slots(schedule, busy, minutes(30), None, from, from, to)
            .into_iter()
            .filter(|slot| slot.starts_at.with_timezone(&Paris).date_naive() == date)
            .collect()
    }

    fn paris_wall_starts(slots: &[Slot]) -> Vec<String> {
        slots
            .iter()
            .map(|slot| slot.starts_at.with_timezone(&Paris).format("%H:%M").to_string())
            .collect()
    }

    const MORNING: [&str; 6] = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"];

    #[test]
    fn monday_morning_keeps_six_slots_from_nine_paris_time_across_the_spring_change() {
        // Monday 2027-03-29 is Easter Monday: open anyway to test the clock.
        let mut schedule = place(1, vec![rule(Weekday::Mon, t(9, 0), t(12, 0))]);
        schedule.close_on_public_holidays = false;
        let before = day_slots(&schedule, &[], d(2027, 3, 22));
        let after = day_slots(&schedule, &[], d(2027, 3, 29));
        assert_eq!(paris_wall_starts(&before), MORNING);
        assert_eq!(paris_wall_starts(&after), MORNING);
        // Winter (CET, UTC+1): 09:00 = 08:00Z. Summer (CEST, UTC+2): 09:00 = 07:00Z.
        assert_eq!(before[0].starts_at, utc(2027, 3, 22, 8, 0));
        assert_eq!(after[0].starts_at, utc(2027, 3, 29, 7, 0));
        assert_eq!(after[5].ends_at, utc(2027, 3, 29, 10, 0));
        assert!(after.iter().all(|slot| slot.ends_at - slot.starts_at == minutes(30)));
    }

    #[test]
    fn monday_morning_keeps_six_slots_from_nine_paris_time_across_the_autumn_change() {
        // Monday 2027-11-01 is Toussaint: open anyway to test the clock.
        let mut schedule = place(1, vec![rule(Weekday::Mon, t(9, 0), t(12, 0))]);
        schedule.close_on_public_holidays = false;
        let before = day_slots(&schedule, &[], d(2027, 10, 25));
        let after = day_slots(&schedule, &[], d(2027, 11, 1));
        assert_eq!(paris_wall_starts(&before), MORNING);
        assert_eq!(paris_wall_starts(&after), MORNING);
        assert_eq!(before[0].starts_at, utc(2027, 10, 25, 7, 0));
        assert_eq!(after[0].starts_at, utc(2027, 11, 1, 8, 0));
    }

    #[test]
    fn easter_monday_and_toussaint_after_the_changes_are_closed_by_default() {
        let schedule = place(1, vec![rule(Weekday::Mon, t(9, 0), t(12, 0))]);
        assert!(day_slots(&schedule, &[], d(2027, 3, 29)).is_empty());
        assert!(day_slots(&schedule, &[], d(2027, 11, 1)).is_empty());
    }

    #[test]
    fn no_slot_is_offered_inside_the_spring_forward_gap() {
        // Sunday 2027-03-28: 02:00–03:00 does not exist in Paris.
        let schedule = place(1, vec![rule(Weekday::Sun, t(2, 0), t(4, 0))]);
        let slots = day_slots(&schedule, &[], d(2027, 3, 28));
        assert_eq!(paris_wall_starts(&slots), ["03:00", "03:30"]);
        assert_eq!(slots[0].starts_at, utc(2027, 3, 28, 1, 0));
        assert_eq!(slots[1].starts_at, utc(2027, 3, 28, 1, 30));
    }

    #[test]
    fn slots_on_both_sides_of_the_spring_gap_keep_the_wall_clock_grid() {
        let schedule = place(1, vec![rule(Weekday::Sun, t(1, 0), t(4, 0))]);
        let slots = day_slots(&schedule, &[], d(2027, 3, 28));
        assert_eq!(paris_wall_starts(&slots), ["01:00", "01:30", "03:00", "03:30"]);
        let starts: Vec<_> = slots.iter().map(|slot| slot.starts_at).collect();
        assert_eq!(
            starts,
            [
                utc(2027, 3, 28, 0, 0),
                utc(2027, 3, 28, 0, 30),
                utc(2027, 3, 28, 1, 0),
                utc(2027, 3, 28, 1, 30)
            ]
        );
    }

    #[test]
    fn a_grid_that_straddles_the_spring_gap_never_overlaps_itself() {
        // 45-minute slots from 01:15: 01:15, [02:00, 02:45 in the gap], 03:30.
        // 01:15 CET lasts until 01:00Z (03:00 CEST); 03:30 CEST = 01:30Z.
        let schedule = place(1, vec![rule(Weekday::Sun, t(1, 15), t(4, 15))]);
        let from = utc(2027, 3, 27, 12, 0);
        let slots = compute_slots(&schedule, &[], minutes(45), None, from, from, from + Duration::days(1));
        assert!(slots.windows(2).all(|pair| pair[0].ends_at <= pair[1].starts_at));
        assert_eq!(slots.len(), 2);
    }

    #[test]
    fn autumn_overlap_yields_each_wall_slot_once_at_its_earliest_instant() {
        // Sunday 2027-10-31: 02:00–03:00 happens twice (CEST then CET).
        let schedule = place(1, vec![rule(Weekday::Sun, t(1, 0), t(4, 0))]);
        let slots = day_slots(&schedule, &[], d(2027, 10, 31));
        assert_eq!(
            paris_wall_starts(&slots),
            ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
        );
        let starts: Vec<_> = slots.iter().map(|slot| slot.starts_at).collect();
        assert_eq!(
            starts,
            [
                utc(2027, 10, 30, 23, 0),
                utc(2027, 10, 30, 23, 30),
                utc(2027, 10, 31, 0, 0),
                utc(2027, 10, 31, 0, 30),
                utc(2027, 10, 31, 2, 0),
                utc(2027, 10, 31, 2, 30)
            ]
        );
        assert!(slots.windows(2).all(|pair| pair[0].ends_at <= pair[1].starts_at));
    }

    #[test]
    fn no_slot_is_offered_on_ascension_thursday() {
        let schedule = weekday_place(2);
        assert!(day_slots(&schedule, &[], d(2027, 5, 6)).is_empty());
        assert_eq!(day_slots(&schedule, &[], d(2027, 5, 13)).len(), 13);
    }

    #[test]
    fn ascension_thursday_opens_when_the_place_ignores_holidays() {
        let mut schedule = weekday_place(2);
        schedule.close_on_public_holidays = false;
        assert_eq!(day_slots(&schedule, &[], d(2027, 5, 6)).len(), 13);
    }

    #[test]
    fn an_extra_opening_on_a_holiday_still_opens() {
        let mut schedule = weekday_place(1);
        schedule.extras.push(ExtraOpening {
            date: d(2027, 5, 6),
            start: t(10, 0),
            end: t(11, 0),
        });
        let slots = day_slots(&schedule, &[], d(2027, 5, 6));
        assert_eq!(paris_wall_starts(&slots), ["10:00", "10:30"]);
    }

    #[test]
    fn an_extra_opening_adds_slots_on_a_closed_day() {
        let mut schedule = weekday_place(1);
        schedule.extras.push(ExtraOpening {
            date: d(2027, 5, 15), // a Saturday
            start: t(9, 0),
            end: t(10, 0),
        });
        assert_eq!(
            paris_wall_starts(&day_slots(&schedule, &[], d(2027, 5, 15))),
            ["09:00", "09:30"]
        );
        assert!(day_slots(&schedule, &[], d(2027, 5, 22)).is_empty());
    }

    #[test]
    fn first_and_third_wednesday_rule_opens_only_those_wednesdays() {
        let mut wednesday = rule(Weekday::Wed, t(14, 0), t(15, 0));
        wednesday.weeks_of_month = Some(vec![1, 3]);
        let schedule = place(1, vec![wednesday]);
        // May 2027 Wednesdays: 5 (1st), 12 (2nd), 19 (3rd), 26 (4th).
        let from = utc(2027, 5, 1, 0, 0);
        let slots = compute_slots(&schedule, &[], minutes(30), None, from, from, utc(2027, 6, 1, 0, 0));
        let dates: Vec<_> = slots
            .iter()
            .map(|slot| slot.starts_at.with_timezone(&Paris).date_naive())
            .collect();
        assert_eq!(dates, [d(2027, 5, 5), d(2027, 5, 5), d(2027, 5, 19), d(2027, 5, 19)]);
    }

    #[test]
    fn fifth_wednesday_rule_opens_only_in_months_that_have_one() {
        let mut wednesday = rule(Weekday::Wed, t(14, 0), t(15, 0));
        wednesday.weeks_of_month = Some(vec![5]);
        assert!(wednesday.applies_on(d(2027, 3, 31)));
        assert!(!wednesday.applies_on(d(2027, 3, 24)));
        let april_2027 = d(2027, 4, 1).iter_days().take(30);
        assert!(april_2027.filter(|date| wednesday.applies_on(*date)).count() == 0);
    }

    #[test]
    fn week_of_month_counts_weekdays_from_the_first_of_the_month() {
        assert_eq!(week_of_month(d(2027, 5, 1)), 1);
        assert_eq!(week_of_month(d(2027, 5, 7)), 1);
        assert_eq!(week_of_month(d(2027, 5, 8)), 2);
        assert_eq!(week_of_month(d(2027, 5, 29)), 5);
    }

    #[test]
    fn validity_dates_bound_a_rule_inclusively() {
        let mut monday = rule(Weekday::Mon, t(9, 0), t(12, 0));
        monday.valid_from = Some(d(2027, 9, 6));
        monday.valid_to = Some(d(2027, 9, 13));
        assert!(!monday.applies_on(d(2027, 8, 30)));
        assert!(monday.applies_on(d(2027, 9, 6)));
        assert!(monday.applies_on(d(2027, 9, 13)));
        assert!(!monday.applies_on(d(2027, 9, 20)));
        assert!(!monday.applies_on(d(2027, 9, 7)), "a Tuesday");
    }

    #[test]
    fn an_opening_not_a_multiple_of_the_duration_drops_the_last_partial_slot() {
        let schedule = place(1, vec![rule(Weekday::Tue, t(9, 0), t(10, 45))]);
        let slots = day_slots(&schedule, &[], d(2027, 9, 7));
        assert_eq!(paris_wall_starts(&slots), ["09:00", "09:30", "10:00"]);
    }

    #[test]
    fn an_opening_that_ends_before_it_starts_opens_nothing() {
        let schedule = place(1, vec![rule(Weekday::Tue, t(12, 0), t(9, 0))]);
        assert!(day_slots(&schedule, &[], d(2027, 9, 7)).is_empty());
    }

    #[test]
    fn a_rule_and_an_extra_with_the_same_hours_do_not_duplicate_slots() {
        let mut schedule = place(1, vec![rule(Weekday::Tue, t(9, 0), t(10, 0))]);
        schedule.extras.push(ExtraOpening {
            date: d(2027, 9, 7),
            start: t(9, 0),
            end: t(10, 0),
        });
        assert_eq!(
            paris_wall_starts(&day_slots(&schedule, &[], d(2027, 9, 7))),
            ["09:00", "09:30"]
        );
    }

    #[test]
    fn slots_of_overlapping_openings_are_sorted_by_start() {
        let schedule = place(
            1,
            vec![
                rule(Weekday::Tue, t(10, 15), t(11, 15)),
                rule(Weekday::Tue, t(9, 0), t(11, 0)),
            ],
        );
        let slots = day_slots(&schedule, &[], d(2027, 9, 7));
        assert_eq!(
            paris_wall_starts(&slots),
            ["09:00", "09:30", "10:00", "10:15", "10:30", "10:45"]
        );
    }

    #[test]
    fn a_desk_closure_reduces_the_free_desks() {
        let mut schedule = weekday_place(2);
        schedule.closures.push(Closure {
            starts_at: paris(2027, 9, 7, 9, 0),
            ends_at: paris(2027, 9, 7, 10, 0),
            desk: Some(1),
        });
        let slots = day_slots(&schedule, &[], d(2027, 9, 7));
        assert_eq!(slots.len(), 13);
        assert_eq!(slots[0].free_desks, [2]);
        assert_eq!(slots[1].free_desks, [2]);
        assert_eq!(slots[2].free_desks, [1, 2]);
    }

    #[test]
    fn a_whole_place_closure_removes_the_slot() {
        let mut schedule = weekday_place(2);
        schedule.closures.push(Closure {
            starts_at: paris(2027, 9, 7, 9, 0),
            ends_at: paris(2027, 9, 7, 12, 0),
            desk: None,
        });
        let slots = day_slots(&schedule, &[], d(2027, 9, 7));
        assert_eq!(paris_wall_starts(&slots)[0], "13:30");
        assert_eq!(slots.len(), 7);
    }

    #[test]
    fn closing_every_desk_removes_the_slot() {
        let mut schedule = weekday_place(2);
        for desk in [1, 2] {
            schedule.closures.push(Closure {
                starts_at: paris(2027, 9, 7, 0, 0),
                ends_at: paris(2027, 9, 8, 0, 0),
                desk: Some(desk),
            });
        }
        assert!(day_slots(&schedule, &[], d(2027, 9, 7)).is_empty());
    }

    #[test]
    fn busy_appointments_reduce_free_desks_and_a_full_slot_disappears() {
        let schedule = weekday_place(2);
        let busy = [
            Busy {
                desk: 1,
                starts_at: paris(2027, 9, 7, 9, 0),
                ends_at: paris(2027, 9, 7, 9, 30),
            },
            Busy {
                desk: 2,
                starts_at: paris(2027, 9, 7, 9, 0),
                ends_at: paris(2027, 9, 7, 9, 30),
            },
            // Straddles the 10:00 and 10:30 slots of desk 2.
            Busy {
                desk: 2,
                starts_at: paris(2027, 9, 7, 10, 15),
                ends_at: paris(2027, 9, 7, 10, 45),
            },
        ];
        let slots = day_slots(&schedule, &busy, d(2027, 9, 7));
        assert_eq!(paris_wall_starts(&slots)[..4], ["09:30", "10:00", "10:30", "11:00"]);
        assert_eq!(slots[0].free_desks, [1, 2], "touching ends do not overlap");
        assert_eq!(slots[1].free_desks, [1]);
        assert_eq!(slots[2].free_desks, [1]);
        assert_eq!(slots[3].free_desks, [1, 2]);
    }

    #[test]
    fn appointments_on_unknown_desks_block_nothing() {
        let schedule = weekday_place(1);
        let busy = [Busy {
            desk: 7,
            starts_at: paris(2027, 9, 7, 9, 0),
            ends_at: paris(2027, 9, 7, 17, 0),
        }];
        assert_eq!(day_slots(&schedule, &busy, d(2027, 9, 7)).len(), 13);
    }

    fn resident_window() -> BookingWindow {
        BookingWindow {
            min_notice: Duration::hours(2),
            horizon: Duration::days(60),
        }
    }

    #[test]
    fn booking_window_enforces_two_hours_notice() {
        let schedule = weekday_place(1);
        let now = paris(2027, 6, 7, 10, 0); // Monday 10:00 Paris
        let slots = compute_slots(
            &schedule,
            &[],
            minutes(30),
            Some(&resident_window()),
            now,
            now,
            now + Duration::hours(12),
        );
        assert_eq!(paris_wall_starts(&slots)[0], "13:30");
        assert_eq!(slots.len(), 7);

        let now = paris(2027, 6, 7, 9, 0);
        let slots = compute_slots(
            &schedule,
            &[],
            minutes(30),
            Some(&resident_window()),
            now,
            now,
            now + Duration::hours(12),
        );
        assert_eq!(paris_wall_starts(&slots)[0], "11:00", "exactly 2 h of notice is enough");
    }

    #[test]
    fn booking_window_stops_at_a_sixty_day_horizon() {
        let schedule = weekday_place(1);
        let now = paris(2027, 6, 7, 10, 0); // horizon: Friday 2027-08-06 10:00 Paris
        let slots = compute_slots(
            &schedule,
            &[],
            minutes(30),
            Some(&resident_window()),
            now,
            now,
            now + Duration::days(90),
        );
        let last = slots.last().unwrap();
        assert_eq!(last.starts_at, paris(2027, 8, 6, 10, 0));
        assert_eq!(last.starts_at, now + Duration::days(60));
    }

    #[test]
    fn staff_without_a_window_see_past_and_far_slots() {
        let schedule = weekday_place(1);
        let now = paris(2027, 6, 7, 10, 0);
        let from = paris(2027, 6, 7, 0, 0);
        let slots = compute_slots(&schedule, &[], minutes(30), None, now, from, now + Duration::days(90));
        assert_eq!(slots[0].starts_at, paris(2027, 6, 7, 9, 0));
        assert_eq!(slots.last().unwrap().starts_at, paris(2027, 9, 3, 16, 30));
    }

    #[test]
    fn slots_must_lie_fully_inside_the_requested_range() {
        let schedule = weekday_place(1);
        let from = paris(2027, 9, 7, 9, 15);
        let to = paris(2027, 9, 7, 10, 30);
        let slots = compute_slots(&schedule, &[], minutes(30), None, from, from, to);
        assert_eq!(paris_wall_starts(&slots), ["09:30", "10:00"]);
        assert!(compute_slots(&schedule, &[], minutes(30), None, to, to, from).is_empty());
    }

    #[test]
    fn a_non_positive_duration_yields_no_slot() {
        let schedule = weekday_place(1);
        let from = paris(2027, 9, 7, 0, 0);
        let to = from + Duration::days(1);
        assert!(compute_slots(&schedule, &[], Duration::zero(), None, from, from, to).is_empty());
        assert_eq!(
            check_slot(&schedule, &[], Duration::zero(), None, from, paris(2027, 9, 7, 9, 0)),
            Err(SlotRejection::OffGrid)
        );
    }

    #[test]
    fn check_slot_accepts_a_bookable_start_and_lists_its_free_desks() {
        let schedule = weekday_place(2);
        let busy = [Busy {
            desk: 1,
            starts_at: paris(2027, 9, 7, 9, 0),
            ends_at: paris(2027, 9, 7, 9, 30),
        }];
        let now = paris(2027, 9, 1, 12, 0);
        let start = paris(2027, 9, 7, 9, 0);
        assert_eq!(
            check_slot(&schedule, &busy, minutes(30), Some(&resident_window()), now, start),
            Ok(Slot {
                starts_at: start,
                ends_at: start + minutes(30),
                free_desks: vec![2],
            })
        );
    }

    #[test]
    fn check_slot_rejects_a_start_off_the_grid() {
        let schedule = weekday_place(2);
        let now = paris(2027, 9, 1, 12, 0);
        for start in [
            paris(2027, 9, 7, 9, 10),  // between two grid starts
            paris(2027, 9, 7, 12, 0),  // lunch break
            paris(2027, 9, 7, 16, 45), // would end after closing time
            paris(2027, 9, 11, 9, 0),  // Saturday
        ] {
            assert_eq!(
                check_slot(&schedule, &[], minutes(30), Some(&resident_window()), now, start),
                Err(SlotRejection::OffGrid),
                "{start}"
            );
        }
    }

    #[test]
    fn check_slot_rejects_the_second_pass_through_the_autumn_hour_as_off_grid() {
        let schedule = place(1, vec![rule(Weekday::Sun, t(1, 0), t(4, 0))]);
        let now = utc(2027, 10, 1, 0, 0);
        // 02:30 Paris happens at 00:30Z (offered) and 01:30Z (not offered).
        assert!(check_slot(&schedule, &[], minutes(30), None, now, utc(2027, 10, 31, 0, 30)).is_ok());
        assert_eq!(
            check_slot(&schedule, &[], minutes(30), None, now, utc(2027, 10, 31, 1, 30)),
            Err(SlotRejection::OffGrid)
        );
    }

    #[test]
    fn check_slot_rejects_a_start_outside_the_booking_window() {
        let schedule = weekday_place(2);
        let now = paris(2027, 6, 7, 10, 0);
        let window = resident_window();
        let too_soon = paris(2027, 6, 7, 11, 30);
        let too_far = paris(2027, 8, 6, 10, 30);
        for start in [too_soon, too_far] {
            assert_eq!(
                check_slot(&schedule, &[], minutes(30), Some(&window), now, start),
                Err(SlotRejection::OutsideWindow)
            );
            assert!(
                check_slot(&schedule, &[], minutes(30), None, now, start).is_ok(),
                "staff"
            );
        }
    }

    #[test]
    fn check_slot_rejects_a_holiday_or_a_closure_as_closed() {
        let mut schedule = weekday_place(2);
        let now = paris(2027, 5, 1, 12, 0);
        let ascension = paris(2027, 5, 6, 9, 0);
        assert_eq!(
            check_slot(&schedule, &[], minutes(30), None, now, ascension),
            Err(SlotRejection::Closed)
        );
        schedule.closures.push(Closure {
            starts_at: paris(2027, 5, 7, 9, 0),
            ends_at: paris(2027, 5, 7, 10, 0),
            desk: None,
        });
        schedule.closures.push(Closure {
            starts_at: paris(2027, 5, 7, 10, 0),
            ends_at: paris(2027, 5, 7, 11, 0),
            desk: Some(1),
        });
        schedule.closures.push(Closure {
            starts_at: paris(2027, 5, 7, 10, 30),
            ends_at: paris(2027, 5, 7, 11, 0),
            desk: Some(2),
        });
        for start in [paris(2027, 5, 7, 9, 0), paris(2027, 5, 7, 10, 30)] {
            assert_eq!(
                check_slot(&schedule, &[], minutes(30), None, now, start),
                Err(SlotRejection::Closed),
                "{start}"
            );
        }
        assert_eq!(
            check_slot(&schedule, &[], minutes(30), None, now, paris(2027, 5, 7, 10, 0))
                .unwrap()
                .free_desks,
            [2]
        );
    }

    #[test]
    fn check_slot_rejects_a_fully_booked_start_as_full() {
        let mut schedule = weekday_place(2);
        let start = paris(2027, 9, 7, 14, 0);
        let busy = [Busy {
            desk: 2,
            starts_at: start,
            ends_at: start + minutes(30),
        }];
        schedule.closures.push(Closure {
            starts_at: start,
            ends_at: start + minutes(30),
            desk: Some(1),
        });
        assert_eq!(
            check_slot(&schedule, &busy, minutes(30), None, start, start),
            Err(SlotRejection::Full)
        );
    }

    #[test]
    fn check_slot_agrees_with_compute_slots_on_every_offered_slot() {
        let mut schedule = weekday_place(2);
        schedule.closures.push(Closure {
            starts_at: paris(2027, 5, 11, 13, 30),
            ends_at: paris(2027, 5, 11, 17, 0),
            desk: None,
        });
        let busy: Vec<Busy> = (0..40)
            .map(|i| {
                let start = paris(2027, 5, 3, 9, 0) + Duration::days(i / 4) + minutes(30 * (i % 4));
                Busy {
                    desk: 1 + (i % 2) as u32,
                    starts_at: start,
                    ends_at: start + minutes(30),
                }
            })
            .collect();
        let now = paris(2027, 5, 1, 8, 0);
        let window = resident_window();
        let slots = compute_slots(
            &schedule,
            &busy,
            minutes(30),
            Some(&window),
            now,
            now,
            now + Duration::days(21),
        );
        assert!(!slots.is_empty());
        for slot in &slots {
            assert_eq!(
                check_slot(&schedule, &busy, minutes(30), Some(&window), now, slot.starts_at).as_ref(),
                Ok(slot)
            );
        }
        // And every other grid start of those days is refused.
        let offered: std::collections::HashSet<_> = slots.iter().map(|slot| slot.starts_at).collect();
        let mut start = now;
        while start < now + Duration::days(21) {
            if !offered.contains(&start) {
                assert!(
                    check_slot(&schedule, &busy, minutes(30), Some(&window), now, start).is_err(),
                    "{start}"
                );
            }
            start += minutes(30);
        }
    }
}
