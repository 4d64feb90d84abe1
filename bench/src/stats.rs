//! (h) The statistics of a year for a town of 20 places: about 30,000 workshop registrations
//! (2,200 sessions of 14 seats), 20,000 appointments and 20,000 completed activity records
//! (one per session, one per honoured appointment), for 8,000 people, seeded with batched
//! inserts; then `statistics::compute` for the year, timed. The same year, seeded alone
//! (`seed-year`), is what the export row (i) downloads.
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use creneau::statistics::{StatsFilter, compute};
use entities::activity_record::{self, Autonomie, Materiel, Niveau, RecordKind, RecordStatus, Theme, TypeLieu};
use entities::kinds::{AppointmentStatus, Attendance, BookedBy, PlaceKind, RegistrationStatus, SessionStatus};
use entities::{appointment, motif, organisation, place, registration, session, workshop};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Iterable, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
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
/// The seeded organisation's name: `creneau staff add --organisation-name` joins it.
pub const ORGANISATION: &str = "Ville de Banc-d'Essai";

/// A cheap deterministic spread (no random source: the same data every run).
fn spread(n: i64, modulo: i64) -> i64 {
    (n.wrapping_mul(2_654_435_761) >> 7).rem_euclid(modulo)
}

fn email(person: i64) -> String {
    format!("personne.{person}@exemple.fr")
}

/// What [`seed_year`] wrote.
pub struct Year {
    pub organisation_id: i32,
    pub registrations: i64,
    pub appointments: i64,
    pub records: i64,
    pub seed_s: f64,
}

/// `seed-year DATABASE_URL`: the year alone, for a server to read; prints its counts.
pub async fn seed_only(database_url: &str) -> anyhow::Result<()> {
    let state = super::state_for(database_url).await?;
    let y = seed_year(&state.db).await?;
    println!(
        "{}",
        json!({"organisation": ORGANISATION, "year": YEAR, "registrations": y.registrations,
               "appointments": y.appointments, "records": y.records, "seed_s": y.seed_s})
    );
    Ok(())
}

pub async fn run(database_url: &str, runs: usize) -> anyhow::Result<()> {
    let state = super::state_for(database_url).await?;
    let db = &state.db;
    let year = seed_year(db).await?;
    let filter = StatsFilter::year(YEAR);
    let tz = state.settings.timezone;
    let now = Utc.with_ymd_and_hms(YEAR + 1, 1, 15, 12, 0, 0).unwrap();
    let mut times = Vec::new();
    let mut last = None;
    let cpu_before = process_cpu_ms();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let s = compute(db, year.organisation_id, &filter, tz, now).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(s);
    }
    let cpu_ms = (process_cpu_ms() - cpu_before) / runs.max(1) as f64;
    let s = last.expect("at least one run");
    let summarised = s.themes_and_autonomy.as_ref().map_or(0, |r| r.records);
    if summarised != year.records {
        anyhow::bail!(
            "compute summarised {summarised} activity records, {} were seeded",
            year.records
        );
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{}",
        json!({
            "registrations": year.registrations,
            "appointments": year.appointments,
            "records": year.records,
            "records_summarised": summarised,
            "bookings": s.bookings,
            "people": s.people,
            "months": s.months.len(),
            "seed_s": year.seed_s,
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

/// Two distinct themes of the reference, chosen by `n`, as their stored column.
fn themes_of(n: i64) -> String {
    let all: Vec<Theme> = Theme::iter().collect();
    let count = all.len() as i64;
    let (a, b) = (spread(n, count), spread(n + 11, count - 1));
    // The second one skips the first, so the two differ; stored in the reference's order.
    let b = if b >= a { b + 1 } else { b };
    let mut two = [all[a as usize], all[b as usize]];
    two.sort();
    two.map(|t| t.to_value()).join(",")
}

/// A completed record, every column set (one batched insert may mix both kinds), those of
/// an individual record left empty; the caller sets the kind's own.
fn completed_record(
    organisation_id: i32,
    place_id: i32,
    starts_at: DateTime<Utc>,
    n: i64,
) -> activity_record::ActiveModel {
    let tz = chrono_tz::Europe::Paris;
    activity_record::ActiveModel {
        organisation_id: Set(organisation_id),
        place_id: Set(place_id),
        kind: Set(RecordKind::Collectif),
        appointment_id: Set(None),
        session_id: Set(None),
        date: Set(starts_at.with_timezone(&tz).date_naive()),
        duration_minutes: Set(120),
        themes: Set(themes_of(n)),
        materiel: Set(if n % 3 == 0 {
            Materiel::Telephone
        } else {
            Materiel::Ordinateur
        }
        .to_value()),
        type_lieu: Set(None),
        autonomie: Set(None),
        oriente: Set(None),
        structure: Set(None),
        precisions: Set(None),
        titre_atelier: Set(None),
        niveau: Set(None),
        participants: Set(1),
        notes: Set(None),
        genre: Set(None),
        tranche_age: Set(None),
        statut_social: Set(None),
        commune: Set(None),
        commune_postal_code: Set(None),
        first_time: Set(None),
        status: Set(RecordStatus::Completed),
        completed_by_staff_id: Set(None),
        completed_at: Set(Some(starts_at + Duration::hours(3))),
        created_at: Set(starts_at + Duration::hours(2)),
        updated_at: Set(starts_at + Duration::hours(3)),
        ..Default::default()
    }
}

/// The year: organisation, places, workshops, sessions full, registrations, appointments
/// and the completed activity records of the sessions and the honoured appointments; then
/// `ANALYZE`, as after any bulk load.
pub async fn seed_year(db: &DatabaseConnection) -> anyhow::Result<Year> {
    let started = Instant::now();
    let year_start: DateTime<Utc> = Utc.with_ymd_and_hms(YEAR, 1, 5, 8, 0, 0).unwrap();
    let org = organisation::ActiveModel {
        slug: Set("bench-stats".into()),
        name: Set(ORGANISATION.into()),
        timezone: Set("Europe/Paris".into()),
        contact_email: Set("contact@bench.example".into()),
        reminder_offsets: Set("2880".into()),
        max_future_appointments: Set(2),
        calendar_uid_part: Set(creneau::notifications::enqueue::calendar_uid_part()),
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

    // Appointments: 1,000 a place over the year, each status in a plausible share; nine in
    // ten honoured, so that with the sessions' records the year has about 20,000 records.
    let mut batch = Vec::with_capacity(CHUNK);
    let mut m: i64 = 0;
    for &place_id in &place_ids {
        for k in 0..APPOINTMENTS_PER_PLACE {
            m += 1;
            let person = spread(m + 3, PEOPLE);
            let starts_at = year_start + Duration::minutes(k * 360 * 24 * 60 / APPOINTMENTS_PER_PLACE);
            let status = match spread(m, 50) {
                0..=44 => AppointmentStatus::Honoured,
                45 | 46 => AppointmentStatus::NoShow,
                47 => AppointmentStatus::Excused,
                48 => AppointmentStatus::Cancelled,
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

    // Activity records, as mediators complete the drafts: one per session (its workshop's
    // title and level, the participants present), one per honoured appointment (its place,
    // an autonomy outcome); two themes each.
    let mut records = Vec::with_capacity(CHUNK);
    let mut r: i64 = 0;
    let sessions_held: Vec<(i32, i32, DateTime<Utc>)> = session::Entity::find()
        .select_only()
        .column(session::Column::Id)
        .column(session::Column::PlaceId)
        .column(session::Column::StartsAt)
        .filter(session::Column::OrganisationId.eq(org.id))
        .order_by_asc(session::Column::Id)
        .into_tuple()
        .all(&txn)
        .await?;
    for (session_id, place_id, starts_at) in sessions_held {
        r += 1;
        let mut rec = completed_record(org.id, place_id, starts_at, r);
        rec.kind = Set(RecordKind::Collectif);
        rec.session_id = Set(Some(session_id));
        rec.duration_minutes = Set(120);
        rec.titre_atelier = Set(Some(format!("Atelier {}", spread(r, WORKSHOPS as i64))));
        rec.niveau = Set(Some(Niveau::Debutant));
        rec.participants = Set(8 + spread(r, SEATS as i64 - 7) as i32);
        records.push(rec);
        if records.len() == CHUNK {
            activity_record::Entity::insert_many(std::mem::take(&mut records))
                .exec(&txn)
                .await?;
        }
    }
    let honoured: Vec<(i32, i32, DateTime<Utc>)> = appointment::Entity::find()
        .select_only()
        .column(appointment::Column::Id)
        .column(appointment::Column::PlaceId)
        .column(appointment::Column::StartsAt)
        .filter(appointment::Column::OrganisationId.eq(org.id))
        .filter(appointment::Column::Status.eq(AppointmentStatus::Honoured))
        .order_by_asc(appointment::Column::Id)
        .into_tuple()
        .all(&txn)
        .await?;
    for (appointment_id, place_id, starts_at) in honoured {
        r += 1;
        let mut rec = completed_record(org.id, place_id, starts_at, r);
        rec.kind = Set(RecordKind::Individuel);
        rec.appointment_id = Set(Some(appointment_id));
        rec.duration_minutes = Set(30);
        rec.type_lieu = Set(Some(TypeLieu::LieuActivite));
        rec.autonomie = Set(Some(match spread(r, 3) {
            0 => Autonomie::EntierementAccompagne,
            1 => Autonomie::PartiellementAutonome,
            _ => Autonomie::Autonome,
        }));
        rec.oriente = Set(Some(false));
        rec.participants = Set(1);
        records.push(rec);
        if records.len() == CHUNK {
            activity_record::Entity::insert_many(std::mem::take(&mut records))
                .exec(&txn)
                .await?;
        }
    }
    if !records.is_empty() {
        activity_record::Entity::insert_many(records).exec(&txn).await?;
    }
    txn.commit().await?;
    // What autovacuum (PostgreSQL) or a periodic `ANALYZE` (SQLite) does after a bulk load:
    // without table statistics PostgreSQL plans 50,000 rows as one.
    db.execute_unprepared("ANALYZE").await?;
    Ok(Year {
        organisation_id: org.id,
        registrations,
        appointments: m,
        records: r,
        seed_s: started.elapsed().as_secs_f64(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_seeded_record_has_two_distinct_themes_in_the_reference_s_order() {
        for n in 0..500 {
            let column = themes_of(n);
            let themes: Vec<Theme> = column
                .split(',')
                .map(|c| Theme::try_from_value(&c.to_string()).expect("a code of the reference"))
                .collect();
            assert_eq!(themes.len(), 2, "{column}");
            assert!(themes[0] < themes[1], "{column}");
        }
    }
}
