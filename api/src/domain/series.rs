//! Weekly series of workshop sessions ("every Tuesday 14:00–16:00 from
//! September to December"), and the wall-clock → UTC conversion rules shared
//! with [`super::slots`].
//!
//! A workshop is announced in the town's local time: "14:00" means 14:00 on
//! the library's clock whatever the season. Sessions are therefore generated
//! in wall-clock time in the organisation's zone and only then converted to
//! the UTC instants that are stored. Across a daylight-saving change the UTC
//! time of the session moves (13:00Z in winter, 12:00Z in summer in Paris)
//! while the wall time stays put, which is what residents expect.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::holidays::is_french_public_holiday;

/// Upper bound on the number of sessions one series may create.
///
/// A weekly series over four years is already ~200 sessions; anything beyond
/// is almost certainly a typo in a date (2207 for 2027) and would flood the
/// calendar, so it is refused rather than silently generated.
pub(crate) const MAX_SERIES_OCCURRENCES: usize = 200;

/// The instant at which `wall` is read on a clock in `tz`, taking the
/// earliest one when the wall time happens twice, or `None` when it never
/// happens.
///
/// * In the autumn "fall back" overlap (02:00–03:00 occurs twice in Paris)
///   the first occurrence (still in summer time) is chosen, so that a time
///   written once is booked once and not duplicated.
/// * In the spring "spring forward" gap (02:00–03:00 does not exist in Paris)
///   there is no such instant; callers decide what to do (slots are dropped,
///   workshop sessions are moved with [`wall_to_utc_shifting_gaps`]).
pub(crate) fn wall_to_utc_earliest(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&wall)
        .earliest()
        .map(|local| local.with_timezone(&Utc))
}

/// The instant at which `wall` is read on a clock in `tz`; the earliest one
/// in an overlap, and, when `wall` falls in a daylight-saving gap, the first
/// valid instant after it (the moment the clock jumps: 02:30 on the spring
/// Sunday in Paris becomes 03:00 CEST = 01:00Z).
///
/// Moving to the end of the gap, rather than adding the gap's length, keeps
/// a session starting as early as the clock allows and never past a time the
/// organiser wrote. The gap end is found by bisection on whole seconds (tz
/// database transitions are on whole seconds), so it works for gaps of any
/// length, including Samoa's skipped day of 30 December 2011, provided two
/// gaps are not less than a day apart (true of every real zone).
pub(crate) fn wall_to_utc_shifting_gaps(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    if let Some(instant) = wall_to_utc_earliest(tz, wall) {
        return instant;
    }
    let exists =
        |secs: i64| DateTime::from_timestamp(secs, 0).and_then(|as_utc| wall_to_utc_earliest(tz, as_utc.naive_utc()));
    // Work on "naive seconds": the wall time read as if it were UTC.
    // Truncating to the second keeps `lo` inside the gap, whose bounds are
    // whole seconds.
    let mut lo = wall.and_utc().timestamp();
    let mut hi = lo + 86_400;
    while exists(hi).is_none() {
        lo = hi;
        hi += 86_400;
    }
    // Invariant: `lo` is in the gap, `hi` exists.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if exists(mid).is_some() {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    exists(hi).expect("the bisection keeps `hi` on an existing wall time")
}

/// A workshop that repeats every week on the same weekday and wall-clock
/// hours, between two dates inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WeeklySeries {
    /// Day of the week of every session.
    pub weekday: Weekday,
    /// Wall-clock start in the organisation's zone.
    pub start_time: NaiveTime,
    /// Wall-clock end in the organisation's zone, same day; must be after
    /// `start_time` (workshops do not run past midnight).
    pub end_time: NaiveTime,
    /// First date of the series (inclusive); need not be on `weekday`, the
    /// first session is the first `weekday` on or after it.
    pub first_date: NaiveDate,
    /// Last date of the series (inclusive).
    pub last_date: NaiveDate,
    /// Leave out sessions falling on a French public holiday (they are
    /// reported in [`SeriesPlan::skipped`] so the organiser can see them).
    pub skip_public_holidays: bool,
}

/// One generated session of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Occurrence {
    /// Local date of the session in the organisation's zone.
    pub date: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The sessions of a series, plus the dates that were left out because they
/// are public holidays (with the holiday's name, to show "pas de séance le
/// 6 mai : Ascension").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SeriesPlan {
    pub occurrences: Vec<Occurrence>,
    pub skipped: Vec<(NaiveDate, &'static str)>,
}

/// Why a series cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SeriesError {
    #[error("a session must end after it starts (start {start}, end {end})")]
    EndNotAfterStart { start: NaiveTime, end: NaiveTime },
    #[error("the last date {last} is before the first date {first}")]
    LastDateBeforeFirstDate { first: NaiveDate, last: NaiveDate },
    #[error("the series would create more than {max} sessions")]
    TooManyOccurrences { max: usize },
    #[error("on {date} the whole session falls in the daylight-saving gap")]
    VanishesInDstGap { date: NaiveDate },
}

impl WeeklySeries {
    /// Generates the sessions of the series in `tz` and the holiday dates
    /// that were skipped.
    ///
    /// Each session's wall start and end are converted with
    /// [`wall_to_utc_shifting_gaps`]: a time inside a spring-forward gap moves
    /// to the end of the gap, a time inside a fall-back overlap takes the
    /// earliest instant. The wall end is converted on its own (not start +
    /// length), so a workshop announced until 16:00 ends at 16:00 on the
    /// library's clock.
    ///
    /// # Errors
    ///
    /// * [`SeriesError::EndNotAfterStart`] when `end_time <= start_time`;
    /// * [`SeriesError::LastDateBeforeFirstDate`] when the dates are reversed;
    /// * [`SeriesError::TooManyOccurrences`] when more than
    ///   [`MAX_SERIES_OCCURRENCES`] sessions would be created (skipped
    ///   holidays do not count);
    /// * [`SeriesError::VanishesInDstGap`] when both ends of a session fall in
    ///   the same gap and the session would last zero time.
    ///
    /// A valid range containing no `weekday` yields an empty plan.
    pub(crate) fn plan(&self, tz: Tz) -> Result<SeriesPlan, SeriesError> {
        if self.end_time <= self.start_time {
            return Err(SeriesError::EndNotAfterStart {
                start: self.start_time,
                end: self.end_time,
            });
        }
        if self.last_date < self.first_date {
            return Err(SeriesError::LastDateBeforeFirstDate {
                first: self.first_date,
                last: self.last_date,
            });
        }

        let offset = (self.weekday.num_days_from_monday() + 7 - self.first_date.weekday().num_days_from_monday()) % 7;
        let mut plan = SeriesPlan::default();
        let mut date = self.first_date + Days::new(u64::from(offset));
        while date <= self.last_date {
            match is_french_public_holiday(date).filter(|_| self.skip_public_holidays) {
                Some(name) => plan.skipped.push((date, name)),
                None => {
                    if plan.occurrences.len() == MAX_SERIES_OCCURRENCES {
                        return Err(SeriesError::TooManyOccurrences {
                            max: MAX_SERIES_OCCURRENCES,
                        });
                    }
                    let starts_at = wall_to_utc_shifting_gaps(tz, date.and_time(self.start_time));
                    let ends_at = wall_to_utc_shifting_gaps(tz, date.and_time(self.end_time));
                    if ends_at <= starts_at {
                        return Err(SeriesError::VanishesInDstGap { date });
                    }
                    plan.occurrences.push(Occurrence {
                        date,
                        starts_at,
                        ends_at,
                    });
                }
            }
            date = match date.checked_add_days(Days::new(7)) {
                Some(next) => next,
                None => break,
            };
        }
        Ok(plan)
    }

    /// The sessions only; see [`WeeklySeries::plan`] for the rules, the
    /// errors and the list of skipped holidays.
    #[cfg(test)]
    pub(crate) fn occurrences(&self, tz: Tz) -> Result<Vec<Occurrence>, SeriesError> {
        self.plan(tz).map(|plan| plan.occurrences)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn series(weekday: Weekday, start: NaiveTime, end: NaiveTime, first: NaiveDate, last: NaiveDate) -> WeeklySeries {
        WeeklySeries {
            weekday,
            start_time: start,
            end_time: end,
            first_date: first,
            last_date: last,
            skip_public_holidays: true,
        }
    }

    #[test]
    fn tuesday_workshop_stays_at_two_pm_paris_time_across_the_spring_change() {
        let plan = series(Weekday::Tue, t(14, 0), t(16, 0), d(2027, 3, 20), d(2027, 4, 3))
            .plan(Paris)
            .unwrap();
        assert_eq!(
            plan.occurrences,
            vec![
                Occurrence {
                    date: d(2027, 3, 23),
                    starts_at: utc(2027, 3, 23, 13, 0),
                    ends_at: utc(2027, 3, 23, 15, 0),
                },
                Occurrence {
                    date: d(2027, 3, 30),
                    starts_at: utc(2027, 3, 30, 12, 0),
                    ends_at: utc(2027, 3, 30, 14, 0),
                },
            ]
        );
        for occurrence in &plan.occurrences {
            assert_eq!(occurrence.starts_at.with_timezone(&Paris).time(), t(14, 0));
            assert_eq!(occurrence.ends_at.with_timezone(&Paris).time(), t(16, 0));
        }
    }

    #[test]
    fn tuesday_workshop_stays_at_two_pm_paris_time_across_the_autumn_change() {
        let occurrences = series(Weekday::Tue, t(14, 0), t(16, 0), d(2027, 10, 25), d(2027, 11, 3))
            .occurrences(Paris)
            .unwrap();
        let starts: Vec<_> = occurrences.iter().map(|o| o.starts_at).collect();
        assert_eq!(starts, vec![utc(2027, 10, 26, 12, 0), utc(2027, 11, 2, 13, 0)]);
        assert!(
            occurrences
                .iter()
                .all(|o| o.ends_at - o.starts_at == chrono::Duration::hours(2))
        );
    }

    #[test]
    fn thursday_series_skips_ascension_and_reports_it() {
        let plan = series(Weekday::Thu, t(10, 0), t(12, 0), d(2027, 4, 29), d(2027, 5, 13))
            .plan(Paris)
            .unwrap();
        let dates: Vec<_> = plan.occurrences.iter().map(|o| o.date).collect();
        assert_eq!(dates, vec![d(2027, 4, 29), d(2027, 5, 13)]);
        assert_eq!(plan.skipped, vec![(d(2027, 5, 6), "Ascension")]);
    }

    #[test]
    fn holidays_are_kept_when_the_organiser_asks_for_it() {
        let mut weekly = series(Weekday::Thu, t(10, 0), t(12, 0), d(2027, 4, 29), d(2027, 5, 13));
        weekly.skip_public_holidays = false;
        let plan = weekly.plan(Paris).unwrap();
        assert_eq!(plan.occurrences.len(), 3);
        assert!(plan.skipped.is_empty());
    }

    #[test]
    fn first_session_is_the_first_matching_weekday_on_or_after_the_first_date() {
        // 2027-09-01 is a Wednesday; the first Tuesday is 7 September.
        let occurrences = series(Weekday::Tue, t(14, 0), t(16, 0), d(2027, 9, 1), d(2027, 9, 21))
            .occurrences(Paris)
            .unwrap();
        let dates: Vec<_> = occurrences.iter().map(|o| o.date).collect();
        assert_eq!(dates, vec![d(2027, 9, 7), d(2027, 9, 14), d(2027, 9, 21)]);
    }

    #[test]
    fn last_date_is_inclusive_and_a_range_without_the_weekday_is_empty() {
        let same_day = series(Weekday::Tue, t(14, 0), t(16, 0), d(2027, 9, 7), d(2027, 9, 7));
        assert_eq!(same_day.occurrences(Paris).unwrap().len(), 1);
        let no_tuesday = series(Weekday::Tue, t(14, 0), t(16, 0), d(2027, 9, 8), d(2027, 9, 13));
        assert_eq!(no_tuesday.plan(Paris).unwrap(), SeriesPlan::default());
    }

    #[test]
    fn session_ending_before_it_starts_is_refused() {
        let weekly = series(Weekday::Tue, t(16, 0), t(14, 0), d(2027, 9, 1), d(2027, 9, 30));
        assert_eq!(
            weekly.plan(Paris),
            Err(SeriesError::EndNotAfterStart {
                start: t(16, 0),
                end: t(14, 0)
            })
        );
        let empty = series(Weekday::Tue, t(14, 0), t(14, 0), d(2027, 9, 1), d(2027, 9, 30));
        assert!(matches!(empty.plan(Paris), Err(SeriesError::EndNotAfterStart { .. })));
    }

    #[test]
    fn last_date_before_first_date_is_refused() {
        let weekly = series(Weekday::Tue, t(14, 0), t(16, 0), d(2027, 9, 30), d(2027, 9, 1));
        assert_eq!(
            weekly.plan(Paris),
            Err(SeriesError::LastDateBeforeFirstDate {
                first: d(2027, 9, 30),
                last: d(2027, 9, 1)
            })
        );
    }

    #[test]
    fn more_than_two_hundred_sessions_are_refused() {
        // Monday 2028-01-03 + 199 weeks = the 200th Monday; one more week is too many.
        let first = d(2028, 1, 3);
        let mut weekly = series(Weekday::Mon, t(9, 0), t(10, 0), first, first + Days::new(199 * 7));
        weekly.skip_public_holidays = false;
        assert_eq!(weekly.occurrences(Paris).unwrap().len(), 200);
        weekly.last_date = first + Days::new(200 * 7);
        assert_eq!(weekly.plan(Paris), Err(SeriesError::TooManyOccurrences { max: 200 }));
        weekly.last_date = d(2207, 1, 1);
        assert_eq!(weekly.plan(Paris), Err(SeriesError::TooManyOccurrences { max: 200 }));
    }

    #[test]
    fn skipped_holidays_do_not_count_towards_the_limit() {
        // 201 Mondays, among which Easter and Whit Mondays: too many when
        // holidays are kept, fine when they are skipped.
        let first = d(2028, 1, 3);
        let mut weekly = series(Weekday::Mon, t(9, 0), t(10, 0), first, first + Days::new(200 * 7));
        weekly.skip_public_holidays = false;
        assert!(weekly.plan(Paris).is_err());
        weekly.skip_public_holidays = true;
        let plan = weekly.plan(Paris).unwrap();
        assert!(!plan.skipped.is_empty());
        assert_eq!(plan.occurrences.len() + plan.skipped.len(), 201);
    }

    #[test]
    fn start_in_the_spring_gap_moves_to_the_first_valid_instant_after_it() {
        // Sunday 2027-03-28: Paris clocks jump from 02:00 CET to 03:00 CEST (01:00Z).
        let occurrences = series(Weekday::Sun, t(2, 30), t(4, 0), d(2027, 3, 28), d(2027, 3, 28))
            .occurrences(Paris)
            .unwrap();
        assert_eq!(occurrences[0].starts_at, utc(2027, 3, 28, 1, 0));
        assert_eq!(occurrences[0].ends_at, utc(2027, 3, 28, 2, 0));
    }

    #[test]
    fn ambiguous_autumn_time_takes_the_earliest_instant() {
        // Sunday 2027-10-31: 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET).
        let occurrences = series(Weekday::Sun, t(2, 30), t(4, 0), d(2027, 10, 31), d(2027, 10, 31))
            .occurrences(Paris)
            .unwrap();
        assert_eq!(occurrences[0].starts_at, utc(2027, 10, 31, 0, 30));
        assert_eq!(occurrences[0].ends_at, utc(2027, 10, 31, 3, 0));
    }

    #[test]
    fn session_entirely_inside_the_spring_gap_is_refused() {
        let weekly = series(Weekday::Sun, t(2, 0), t(2, 45), d(2027, 3, 21), d(2027, 4, 4));
        assert_eq!(
            weekly.plan(Paris),
            Err(SeriesError::VanishesInDstGap { date: d(2027, 3, 28) })
        );
    }

    #[test]
    fn gap_shifting_handles_samoas_skipped_day() {
        // Apia skipped 30 December 2011 entirely (UTC-10 → UTC+14).
        let wall = d(2011, 12, 30).and_time(t(12, 0));
        assert_eq!(wall_to_utc_earliest(chrono_tz::Pacific::Apia, wall), None);
        assert_eq!(
            wall_to_utc_shifting_gaps(chrono_tz::Pacific::Apia, wall),
            utc(2011, 12, 30, 10, 0)
        );
    }

    #[test]
    fn existing_wall_times_convert_unchanged_by_either_rule() {
        let wall = d(2027, 7, 14).and_time(t(9, 0));
        assert_eq!(wall_to_utc_earliest(Paris, wall), Some(utc(2027, 7, 14, 7, 0)));
        assert_eq!(wall_to_utc_shifting_gaps(Paris, wall), utc(2027, 7, 14, 7, 0));
    }
}
