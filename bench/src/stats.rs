//! (h) The statistics of a year for a town of 20 places: about 30,000 workshop registrations
//! (2,200 sessions of 14 seats) and 20,000 appointments, for 8,000 people, seeded with
//! batched inserts; then `statistics::compute` for the year, timed.
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use creneau::statistics::{StatsFilter, compute};
use entities::kinds::{AppointmentStatus, Attendance, BookedBy, PlaceKind, RegistrationStatus, SessionStatus};
use entities::{appointment, motif, organisation, place, registration, session, workshop};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde_json::json;

const PLACES: i32 = 20;
const WORKSHOPS: i32 = 10;
const SESSIONS_PER_PLACE: i64 = 110;
const SEATS: i32 = 14;
const APPOINTMENTS_PER_PLACE: i64 = 1_000;
const PEOPLE: i64 = 8_000;
const CHUNK: usize = 400;
const YEAR: i32 = 2026;

/// A cheap deterministic spread (no random source: the same data every run).
fn spread(n: i64, modulo: i64) -> i64 {
    (n.wrapping_mul(2_654_435_761) >> 7).rem_euclid(modulo)
}

fn email(person: i64) -> String {
    format!("personne.{person}@exemple.fr")
}

pub async fn run(database_url: &str, runs: usize) -> anyhow::Result<()> {
    let state = super::state_for(database_url).await?;
    let db = &state.db;
    let started = Instant::now();
    let year_start: DateTime<Utc> = Utc.with_ymd_and_hms(YEAR, 1, 5, 8, 0, 0).unwrap();
    let org = organisation::ActiveModel {
        slug: Set("bench-stats".into()),
        name: Set("Ville de Banc-d'Essai".into()),
        timezone: Set("Europe/Paris".into()),
        contact_email: Set("contact@bench.example".into()),
        reminder_offsets: Set("2880".into()),
        max_future_appointments: Set(2),
        calendar_uid_part: Set("banc".into()),
        created_at: Set(year_start),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut place_ids = Vec::new();
    for p in 0..PLACES {
        let row = place::ActiveModel {
            organisation_id: Set(org.id),
            name: Set(format!("Lieu {p:02}")),
            kind: Set(if p % 2 == 0 {
                PlaceKind::Library
            } else {
                PlaceKind::MediationPoint
            }),
            address: Set("1 place de la Mairie".into()),
            postal_code: Set("13200".into()),
            city: Set("Arles".into()),
            desks: Set(2),
            close_on_public_holidays: Set(true),
            active: Set(true),
            created_at: Set(year_start),
            ..Default::default()
        }
        .insert(db)
        .await?;
        place_ids.push(row.id);
    }
    let mut workshop_ids = Vec::new();
    for w in 0..WORKSHOPS {
        let row = workshop::ActiveModel {
            organisation_id: Set(org.id),
            title: Set(format!("Atelier {w}")),
            summary: Set(String::new()),
            description: Set(String::new()),
            level: Set("Débutant".into()),
            audience: Set("Adultes".into()),
            default_duration_minutes: Set(120),
            default_capacity: Set(SEATS),
            active: Set(true),
            created_at: Set(year_start),
            ..Default::default()
        }
        .insert(db)
        .await?;
        workshop_ids.push(row.id);
    }
    let motif_id = motif::ActiveModel {
        organisation_id: Set(org.id),
        label: Set("Démarche en ligne".into()),
        duration_minutes: Set(30),
        bookable_online: Set(true),
        min_notice_minutes: Set(60),
        horizon_days: Set(30),
        instructions: Set(String::new()),
        position: Set(1),
        active: Set(true),
        ..Default::default()
    }
    .insert(db)
    .await?
    .id;

    // Sessions, spread over the year (about two a week per place).
    let txn = db.begin().await?;
    let mut sessions = Vec::new();
    for (pi, &place_id) in place_ids.iter().enumerate() {
        for k in 0..SESSIONS_PER_PLACE {
            let starts_at = year_start + Duration::hours(k * 24 * 360 / SESSIONS_PER_PLACE + 6 + pi as i64 % 4);
            sessions.push(session::ActiveModel {
                organisation_id: Set(org.id),
                workshop_id: Set(workshop_ids[(k as usize + pi) % workshop_ids.len()]),
                place_id: Set(place_id),
                starts_at: Set(starts_at),
                ends_at: Set(starts_at + Duration::hours(2)),
                capacity: Set(SEATS),
                seats_taken: Set(SEATS),
                status: Set(SessionStatus::Scheduled),
                registration_closes_at: Set(starts_at),
                ical_sequence: Set(0),
                created_at: Set(year_start),
                updated_at: Set(year_start),
                ..Default::default()
            });
        }
    }
    for chunk in sessions.chunks(CHUNK) {
        session::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    txn.commit().await?;
    let session_rows: Vec<(i32, DateTime<Utc>)> = session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .column(session::Column::StartsAt)
        .filter(session::Column::OrganisationId.eq(org.id))
        .order_by_asc(session::Column::Id)
        .into_tuple()
        .all(db)
        .await?;

    // Registrations: every seat taken, one in ten from the waiting list.
    let txn = db.begin().await?;
    let mut batch = Vec::with_capacity(CHUNK);
    let mut n: i64 = 0;
    for (session_id, starts_at) in &session_rows {
        for seat in 0..SEATS as i64 {
            n += 1;
            let person = spread(n, PEOPLE);
            let attendance = match spread(n + 7, 10) {
                0..=6 => Attendance::Present,
                7 | 8 => Attendance::Absent,
                _ => Attendance::Unknown,
            };
            batch.push(registration::ActiveModel {
                session_id: Set(*session_id),
                name: Set(format!("Personne {person} {seat}")),
                email: Set(Some(email(person))),
                email_key: Set(Some(email(person))),
                name_key: Set(format!("personne {person} {seat}")),
                status: Set(RegistrationStatus::Confirmed),
                attendance: Set(attendance),
                booked_by: Set(BookedBy::Resident),
                manage_token_hash: Set(format!("bench-r-{n}")),
                booking_code: Set(format!("R{n:07}")),
                ical_sequence: Set(0),
                created_at: Set(*starts_at - Duration::days(spread(n, 20) + 1)),
                updated_at: Set(*starts_at),
                sms_consent: Set(false),
                promoted_at: Set((seat == 0 && n % 10 == 1).then_some(*starts_at - Duration::days(1))),
                ..Default::default()
            });
            if batch.len() == CHUNK {
                registration::Entity::insert_many(std::mem::take(&mut batch))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    if !batch.is_empty() {
        registration::Entity::insert_many(batch).exec(&txn).await?;
    }
    let registrations = n;

    // Appointments: 1,000 a place over the year, each status in a plausible share.
    let mut batch = Vec::with_capacity(CHUNK);
    let mut m: i64 = 0;
    for &place_id in &place_ids {
        for k in 0..APPOINTMENTS_PER_PLACE {
            m += 1;
            let person = spread(m + 3, PEOPLE);
            let starts_at = year_start + Duration::minutes(k * 360 * 24 * 60 / APPOINTMENTS_PER_PLACE);
            let status = match spread(m, 20) {
                0..=13 => AppointmentStatus::Honoured,
                14 | 15 => AppointmentStatus::NoShow,
                16 => AppointmentStatus::Excused,
                17 => AppointmentStatus::Cancelled,
                _ => AppointmentStatus::Booked,
            };
            batch.push(appointment::ActiveModel {
                organisation_id: Set(org.id),
                place_id: Set(place_id),
                motif_id: Set(motif_id),
                desk: Set(1 + (k % 2) as i32),
                starts_at: Set(starts_at),
                ends_at: Set(starts_at + Duration::minutes(30)),
                name: Set(format!("Personne {person}")),
                email: Set(Some(email(person))),
                email_key: Set(Some(email(person))),
                status: Set(status),
                booked_by: Set(BookedBy::Resident),
                manage_token_hash: Set(format!("bench-a-{m}")),
                booking_code: Set(format!("A{m:07}")),
                ical_sequence: Set(0),
                created_at: Set(starts_at - Duration::days(spread(m, 15))),
                updated_at: Set(starts_at),
                sms_consent: Set(false),
                ..Default::default()
            });
            if batch.len() == CHUNK {
                appointment::Entity::insert_many(std::mem::take(&mut batch))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    if !batch.is_empty() {
        appointment::Entity::insert_many(batch).exec(&txn).await?;
    }
    txn.commit().await?;
    // What autovacuum (PostgreSQL) or a periodic `ANALYZE` (SQLite) does after a bulk load:
    // without table statistics PostgreSQL plans 50,000 rows as one.
    db.execute_unprepared("ANALYZE").await?;
    let seed_s = started.elapsed().as_secs_f64();

    let filter = StatsFilter::year(YEAR);
    let tz = state.settings.timezone;
    let now = Utc.with_ymd_and_hms(YEAR + 1, 1, 15, 12, 0, 0).unwrap();
    let mut times = Vec::new();
    let mut last = None;
    let cpu_before = process_cpu_ms();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let s = compute(db, org.id, &filter, tz, now).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(s);
    }
    let cpu_ms = (process_cpu_ms() - cpu_before) / runs.max(1) as f64;
    let s = last.expect("at least one run");
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{}",
        json!({
            "registrations": registrations,
            "appointments": m,
            "bookings": s.bookings,
            "people": s.people,
            "months": s.months.len(),
            "seed_s": seed_s,
            "runs_ms": times,
            "median_ms": sorted[sorted.len() / 2],
            "max_ms": sorted[sorted.len() - 1],
            // CPU time of this process per run (with SQLite, the database's work included):
            // what the figure would be on an idle core, whatever else the machine runs.
            "process_cpu_ms": cpu_ms,
        })
    );
    Ok(())
}

/// User plus system time of this process so far, from `/proc/self/stat` (Linux, 100 ticks/s).
fn process_cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) * 10.0
}
