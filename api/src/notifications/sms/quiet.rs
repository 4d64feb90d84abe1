//! Quiet hours: no SMS between 20:00 and 08:00 on the organisation's wall clock, except the
//! answer to what the person has just done themselves (they hold their phone). A reminder that
//! would fall in those hours goes out earlier, at 19:30 the evening before; anything else
//! waits for 08:00.
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// When a quiet evening starts and ends (local wall time).
const EVENING: u32 = 20;
const MORNING: u32 = 8;
/// Where a reminder due in the quiet hours is moved: a little before they start.
const REMINDER_EARLIER: (u32, u32) = (19, 30);

/// Why an SMS is sent, as far as its timing goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// The answer to the person's own action: at once, whatever the hour.
    Answer,
    /// A reminder: never later than planned, so earlier when it would fall in quiet hours.
    Reminder,
    /// Anything else (staff moved or cancelled, a seat freed): not before 08:00.
    Other,
}

fn is_quiet(tz: Tz, at: DateTime<Utc>) -> bool {
    let local = at.with_timezone(&tz).time();
    local >= NaiveTime::from_hms_opt(EVENING, 0, 0).expect("a time")
        || local < NaiveTime::from_hms_opt(MORNING, 0, 0).expect("a time")
}

/// The first instant `wall` o'clock exists on `date` (a time in a spring gap moves an hour on).
fn at_wall(tz: Tz, date: chrono::NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    let wall = date.and_hms_opt(h, m, 0).expect("a time");
    tz.from_local_datetime(&wall)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(wall + Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&wall))
}

/// When an SMS planned for `due` may go.
pub fn send_at(tz: Tz, due: DateTime<Utc>, timing: Timing) -> DateTime<Utc> {
    if timing == Timing::Answer || !is_quiet(tz, due) {
        return due;
    }
    let local = due.with_timezone(&tz);
    let evening = local.time() >= NaiveTime::from_hms_opt(EVENING, 0, 0).expect("a time");
    match timing {
        Timing::Reminder => {
            // The evening this quiet night began.
            let date = if evening {
                local.date_naive()
            } else {
                local.date_naive().pred_opt().unwrap_or(local.date_naive())
            };
            at_wall(tz, date, REMINDER_EARLIER.0, REMINDER_EARLIER.1).min(due)
        }
        _ => {
            // The morning this quiet night ends.
            let date = if evening {
                local.date_naive().succ_opt().unwrap_or(local.date_naive())
            } else {
                local.date_naive()
            };
            at_wall(tz, date, MORNING, 0).max(due)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_answer_to_what_the_person_just_did_goes_at_once_even_at_night() {
        // 23:00 in Paris (UTC+1 in January).
        let t = utc("2027-01-04T22:00:00Z");
        assert_eq!(send_at(Paris, t, Timing::Answer), t);
    }

    #[test]
    fn anything_else_in_the_evening_or_at_night_waits_for_eight_in_the_morning() {
        assert_eq!(
            send_at(Paris, utc("2027-01-04T22:00:00Z"), Timing::Other),
            utc("2027-01-05T07:00:00Z")
        );
        assert_eq!(
            send_at(Paris, utc("2027-01-05T05:59:00Z"), Timing::Other),
            utc("2027-01-05T07:00:00Z")
        );
        assert_eq!(
            send_at(Paris, utc("2027-01-04T19:00:00Z"), Timing::Other),
            utc("2027-01-05T07:00:00Z")
        );
        // 10:00 and 19:59 are fine.
        assert_eq!(
            send_at(Paris, utc("2027-01-05T09:00:00Z"), Timing::Other),
            utc("2027-01-05T09:00:00Z")
        );
        assert_eq!(
            send_at(Paris, utc("2027-01-05T18:59:00Z"), Timing::Other),
            utc("2027-01-05T18:59:00Z")
        );
    }

    #[test]
    fn a_reminder_in_the_quiet_hours_goes_the_evening_before_never_later() {
        // Due 06:00 on the 5th (3 h before a 9:00 appointment): sent 19:30 on the 4th.
        let due = utc("2027-01-05T05:00:00Z");
        let at = send_at(Paris, due, Timing::Reminder);
        assert_eq!(at, utc("2027-01-04T18:30:00Z"));
        assert!(at <= due);
        // Due 21:00 on the 4th: 19:30 the same evening.
        assert_eq!(
            send_at(Paris, utc("2027-01-04T20:00:00Z"), Timing::Reminder),
            utc("2027-01-04T18:30:00Z")
        );
        // Due 19:45: in the day, kept.
        assert_eq!(
            send_at(Paris, utc("2027-01-04T18:45:00Z"), Timing::Reminder),
            utc("2027-01-04T18:45:00Z")
        );
    }

    #[test]
    fn quiet_hours_follow_the_organisation_s_zone_in_summer_too() {
        // 21:00 in Paris in July is 19:00 UTC.
        let t = utc("2027-07-05T19:00:00Z");
        assert_eq!(send_at(Paris, t, Timing::Other), utc("2027-07-06T06:00:00Z"));
        assert_eq!(send_at(chrono_tz::America::Cayenne, t, Timing::Other), t);
    }
}
