//! Cost of computing the bookable slots of one place over eight weeks, the
//! query behind the resident booking page.
//!
//! Run with `cargo bench -p creneau --bench slots`.

use std::hint::black_box;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Paris;
use creneau::domain::slots::{BookingWindow, Busy, Closure, OpeningRule, Schedule, check_slot, compute_slots};
use criterion::{Criterion, criterion_group, criterion_main};

fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Paris
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("an unambiguous Paris time")
        .with_timezone(&Utc)
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

/// Two desks, Mon–Fri 09:00–12:00 and 13:30–17:00, a closed afternoon and a
/// week of leave on desk 2.
fn schedule() -> Schedule {
    let weekdays = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
    Schedule {
        tz: Paris,
        desks: 2,
        rules: weekdays
            .iter()
            .flat_map(|day| [rule(*day, (9, 0), (12, 0)), rule(*day, (13, 30), (17, 0))])
            .collect(),
        extras: Vec::new(),
        closures: vec![
            Closure {
                starts_at: paris(2027, 9, 15, 13, 30),
                ends_at: paris(2027, 9, 15, 17, 0),
                desk: None,
            },
            Closure {
                starts_at: paris(2027, 10, 4, 0, 0),
                ends_at: paris(2027, 10, 9, 0, 0),
                desk: Some(2),
            },
        ],
        close_on_public_holidays: true,
    }
}

/// 200 half-hour appointments spread over the eight weeks, in no particular
/// order (as they come out of a database without ORDER BY).
fn appointments(first: DateTime<Utc>) -> Vec<Busy> {
    (0..200u32)
        .map(|i| {
            // A pseudo-random but deterministic spread over 40 working days.
            let k = (i * 37) % 520;
            let day = k / 13;
            let week = day / 5;
            let weekday = day % 5;
            let slot = k % 13;
            let minutes = if slot < 6 {
                9 * 60 + 30 * slot
            } else {
                13 * 60 + 30 + 30 * (slot - 6)
            };
            let starts_at =
                first + Duration::days(i64::from(week * 7 + weekday)) + Duration::minutes(i64::from(minutes) - 9 * 60);
            Busy {
                desk: 1 + i % 2,
                starts_at,
                ends_at: starts_at + Duration::minutes(30),
            }
        })
        .collect()
}

fn bench_slots(c: &mut Criterion) {
    let schedule = schedule();
    // Monday 2027-09-06 09:00 Paris; eight weeks run to 2027-11-01.
    let first = paris(2027, 9, 6, 9, 0);
    let busy = appointments(first);
    let now = paris(2027, 9, 6, 7, 0);
    let from = now;
    let to = now + Duration::weeks(8);
    let window = BookingWindow {
        min_notice: Duration::hours(2),
        horizon: Duration::days(60),
    };
    let duration = Duration::minutes(30);

    let slots = compute_slots(&schedule, &busy, duration, Some(&window), now, from, to);
    assert!(slots.len() > 400, "fixture offers {} slots", slots.len());

    c.bench_function("compute_slots 8 weeks, 2 desks, 200 appointments", |b| {
        b.iter(|| {
            compute_slots(
                black_box(&schedule),
                black_box(&busy),
                duration,
                Some(&window),
                now,
                from,
                to,
            )
        })
    });

    let start = paris(2027, 10, 12, 14, 0);
    c.bench_function("check_slot one start, 200 appointments", |b| {
        b.iter(|| {
            check_slot(
                black_box(&schedule),
                black_box(&busy),
                duration,
                Some(&window),
                now,
                black_box(start),
            )
        })
    });
}

criterion_group!(benches, bench_slots);
criterion_main!(benches);
