//! No double booking, whatever the timing: many requests at once for the same desks, on
//! SQLite and PostgreSQL. The unique index on (place, desk, 15-minute cell) decides.
use entities::kinds::{AppointmentStatus, BookedBy, Event};
use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Duration, Utc};
use creneau_tests::{app::TestApp, db_test};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{appointments::*, helpers::*};

/// Status and problem code (or "created") of a response.
async fn outcome(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    let code = if status == 201 || status == 200 {
        "ok".to_string()
    } else {
        body["code"].as_str().unwrap_or("?").to_string()
    };
    (status, code)
}

fn tally(results: &[(u16, String)]) -> HashMap<(u16, String), usize> {
    let mut out = HashMap::new();
    for r in results {
        *out.entry(r.clone()).or_insert(0) += 1;
    }
    out
}

db_test!(
    async fn one_hundred_twenty_concurrent_bookings_of_one_slot_give_it_to_exactly_one_person_per_desk(app: TestApp) {
        let p = point(&app, 2).await;
        let app = Arc::new(app);
        let start = tuesday_ten();
        let mut tasks = Vec::new();
        for i in 0..120 {
            let app = app.clone();
            let (place, motif) = (p.place, p.motif);
            tasks.push(tokio::spawn(async move {
                let resp = book(
                    &app,
                    place,
                    motif,
                    start,
                    &format!("Personne {i}"),
                    Some(&format!("p{i}@exemple.fr")),
                    None,
                )
                .await;
                outcome(resp).await
            }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        let counts = tally(&results);
        assert_eq!(counts.get(&(201, "ok".into())), Some(&2), "{counts:?}");
        assert_eq!(counts.get(&(409, "slot_taken".into())), Some(&118), "{counts:?}");

        let rows = appointments(&app).await;
        assert_eq!(rows.len(), 2, "refused bookings leave no row");
        let mut desks: Vec<i32> = rows.iter().map(|a| a.desk).collect();
        desks.sort();
        assert_eq!(desks, vec![1, 2]);
        assert!(
            rows.iter()
                .all(|a| a.starts_at == start && a.status == AppointmentStatus::Booked)
        );
        assert_eq!(claims(&app).await.len(), 4);
        assert_claims_match(&app).await;
        let confirmations = outbox_rows(&app)
            .await
            .into_iter()
            .filter(|r| r.kind == Event::AppointmentConfirmed)
            .count();
        assert_eq!(confirmations, 2, "one confirmation per booking made");
        let list = slots(&app, p.place, p.motif, start, start + Duration::hours(1)).await;
        assert!(slot_at(&list, start).is_none(), "the slot is full");
    }
);

db_test!(
    async fn concurrent_bookings_of_overlapping_slots_of_different_lengths_never_share_a_desk(app: TestApp) {
        let p = point(&app, 3).await;
        let long = add_motif(&app, &p.admin, "Retraite", 60, true, &[p.place]).await;
        let short = add_motif(&app, &p.admin, "Imprimer", 15, true, &[p.place]).await;
        let app = Arc::new(app);
        let base = tuesday_ten();
        let mut tasks = Vec::new();
        for i in 0..150usize {
            let app = app.clone();
            let (place, motif, offset) = match i % 5 {
                0 => (p.place, long, 0),
                1 => (p.place, p.motif, 30),
                2 => (p.place, short, 45),
                3 => (p.place, long, 60),
                _ => (p.place, p.motif, 15 * (i as i64 % 4)),
            };
            let start = base + Duration::minutes(offset);
            tasks.push(tokio::spawn(async move {
                let resp = book(
                    &app,
                    place,
                    motif,
                    start,
                    &format!("Personne {i}"),
                    None,
                    Some(&format!("06 12 34 {:02} {:02}", i / 100, i % 100)),
                )
                .await;
                outcome(resp).await
            }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        // 30-minute slots start on the half-hour only: 10:15 and 10:45 are off the grid.
        for r in &results {
            assert!(
                matches!(
                    (r.0, r.1.as_str()),
                    (201, "ok") | (409, "slot_taken") | (422, "off_grid")
                ),
                "unexpected answer {r:?}"
            );
        }
        let rows = appointments(&app).await;
        assert_eq!(
            rows.len(),
            results.iter().filter(|r| r.0 == 201).count(),
            "one row per success"
        );
        assert!(!rows.is_empty());
        for (i, a) in rows.iter().enumerate() {
            assert!((1..=3).contains(&a.desk));
            for b in &rows[i + 1..] {
                let overlap = a.starts_at < b.ends_at && b.starts_at < a.ends_at;
                assert!(
                    !(a.desk == b.desk && overlap),
                    "appointments {} and {} share desk {}",
                    a.id,
                    b.id,
                    a.desk
                );
            }
        }
        assert_claims_match(&app).await;
        // At most three appointments run at any moment.
        let mut t = base;
        while t < base + Duration::hours(2) {
            let running = rows.iter().filter(|a| a.starts_at <= t && t < a.ends_at).count();
            assert!(running <= 3, "{running} at {t}");
            t += Duration::minutes(15);
        }
    }
);

db_test!(
    async fn concurrent_moves_to_the_same_slot_give_it_to_one_and_leave_the_others_as_they_were(app: TestApp) {
        let p = point(&app, 1).await;
        // Twenty appointments on Tuesday and Wednesday, each wanting Thursday 10:00.
        let mut tokens = Vec::new();
        let times = [
            (9, 0),
            (9, 30),
            (10, 0),
            (10, 30),
            (11, 0),
            (11, 30),
            (13, 30),
            (14, 0),
            (14, 30),
            (15, 0),
        ];
        let starts: Vec<DateTime<Utc>> = [5, 6]
            .iter()
            .flat_map(|day| times.iter().map(move |(h, m)| paris(2027, 1, *day, *h, *m)))
            .collect();
        for (i, start) in starts.iter().enumerate() {
            tokens.push(booked(&app, &p, *start, &format!("Personne {i}"), &format!("p{i}@exemple.fr")).await);
        }
        let before = appointments(&app).await;
        let target = paris(2027, 1, 7, 10, 0);
        let app = Arc::new(app);
        let mut tasks = Vec::new();
        for token in tokens {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                let resp = app
                    .request(
                        Method::PATCH,
                        &format!("/api/v1/appointments/{token}"),
                        None,
                        Some(json!({"start": z(target)})),
                    )
                    .await;
                outcome(resp).await
            }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        let counts = tally(&results);
        assert_eq!(counts.get(&(200, "ok".into())), Some(&1), "{counts:?}");
        assert_eq!(counts.get(&(409, "slot_taken".into())), Some(&19), "{counts:?}");
        let after = appointments(&app).await;
        let moved: Vec<_> = after.iter().filter(|a| a.starts_at == target).collect();
        assert_eq!(moved.len(), 1);
        for (old, new) in before.iter().zip(&after) {
            if new.id != moved[0].id {
                assert_eq!(old, new, "a failed move changed appointment {}", old.id);
            }
        }
        assert_claims_match(&app).await;
    }
);

db_test!(
    async fn one_person_booking_many_slots_at_once_still_gets_only_the_maximum(app: TestApp) {
        let p = point(&app, 2).await;
        let app = Arc::new(app);
        let mut tasks = Vec::new();
        for i in 0..30u32 {
            let app = app.clone();
            let (place, motif) = (p.place, p.motif);
            // Tuesday to Thursday mornings.
            let start = paris(2027, 1, 5 + (i / 6) % 3, 9 + (i % 6) / 2, 30 * (i % 2));
            tasks.push(tokio::spawn(async move {
                // The same person, written three ways.
                let (email, phone) = match i % 3 {
                    0 => ("Jeanne@Exemple.fr", None),
                    1 => (" jeanne@exemple.fr", Some("06 12 34 56 78")),
                    _ => ("JEANNE@EXEMPLE.FR", Some("+33 6 12 34 56 78")),
                };
                outcome(book(&app, place, motif, start, "Jeanne", Some(email), phone).await).await
            }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        let counts = tally(&results);
        assert_eq!(counts.get(&(201, "ok".into())), Some(&2), "{counts:?}");
        assert_eq!(
            counts.get(&(409, "too_many_appointments".into())),
            Some(&28),
            "{counts:?}"
        );
        assert_eq!(appointments(&app).await.len(), 2);
        assert_claims_match(&app).await;
    }
);

/// Claims `desk` at `start` for 30 minutes as a booking that `check_slot` cannot see (its
/// appointment row is cancelled): exactly what a concurrent booking looks like between our
/// check and our insert.
async fn hidden_claim(app: &TestApp, p: &Point, desk: i32, start: DateTime<Utc>) {
    use entities::{appointment, appointment_claim};
    use sea_orm::{ActiveModelTrait, Set};
    let a = appointment::ActiveModel {
        organisation_id: Set(p.org),
        place_id: Set(p.place),
        motif_id: Set(p.motif),
        desk: Set(desk),
        starts_at: Set(start),
        ends_at: Set(start + Duration::minutes(30)),
        name: Set("Concurrent".into()),
        email: Set(Some(format!("concurrent{desk}@exemple.fr"))),
        phone: Set(None),
        email_key: Set(None),
        phone_key: Set(None),
        note: Set(None),
        accessibility_needs: Set(None),
        status: Set(AppointmentStatus::Cancelled),
        booked_by: Set(BookedBy::Resident),
        booked_by_staff_id: Set(None),
        manage_token_hash: Set(creneau::platform::token::hash(&creneau::platform::token::generate())),
        ical_sequence: Set(0),
        cancel_reason: Set(None),
        created_at: Set(app.now()),
        updated_at: Set(app.now()),
        cancelled_at: Set(None),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    for cell in [start, start + Duration::minutes(15)] {
        appointment_claim::ActiveModel {
            appointment_id: Set(a.id),
            place_id: Set(p.place),
            desk: Set(desk),
            cell_start: Set(cell),
            ..Default::default()
        }
        .insert(&app.state.db)
        .await
        .unwrap();
    }
}

db_test!(
    async fn a_desk_claimed_between_the_check_and_the_insert_sends_the_booking_to_the_next_desk(app: TestApp) {
        let p = point(&app, 2).await;
        let start = tuesday_ten();
        hidden_claim(&app, &p, 1, start).await;
        let resp = book(&app, p.place, p.motif, start, "Jeanne", Some("jeanne@exemple.fr"), None).await;
        assert_eq!(resp.status(), 201, "desk 1 refused by the unique index, desk 2 taken");
        let rows = appointments(&app).await;
        let jeanne = rows.iter().find(|a| a.name == "Jeanne").unwrap();
        assert_eq!(jeanne.desk, 2);
        let mine = claims(&app)
            .await
            .into_iter()
            .filter(|c| c.appointment_id == jeanne.id)
            .count();
        assert_eq!(mine, 2);

        // Both desks claimed behind the check's back: 409, and nothing of the attempt is left.
        let later = start + Duration::minutes(30);
        hidden_claim(&app, &p, 1, later).await;
        hidden_claim(&app, &p, 2, later).await;
        let before = (
            appointments(&app).await.len(),
            claims(&app).await.len(),
            outbox_rows(&app).await.len(),
        );
        let resp = book(&app, p.place, p.motif, later, "Paul", Some("paul@exemple.fr"), None).await;
        problem(resp, 409, "slot_taken").await;
        let after = (
            appointments(&app).await.len(),
            claims(&app).await.len(),
            outbox_rows(&app).await.len(),
        );
        assert_eq!(before, after);

        // A move onto a hidden claim fails the same way and leaves Ana where she was.
        let token_path = {
            let resp = book(
                &app,
                p.place,
                p.motif,
                start + Duration::hours(1),
                "Ana",
                Some("ana@exemple.fr"),
                None,
            )
            .await;
            format!(
                "/api/v1/appointments/{}",
                json(resp).await["manage_token"].as_str().unwrap()
            )
        };
        let resp = app
            .request(Method::PATCH, &token_path, None, Some(json!({"start": z(later)})))
            .await;
        problem(resp, 409, "slot_taken").await;
        assert_eq!(
            json(app.get(&token_path).await).await["starts_at"],
            "2027-01-05T11:00:00+01:00"
        );
    }
);

db_test!(
    async fn a_session_and_an_appointment_racing_for_one_desk_never_both_take_it(app: TestApp) {
        use sea_orm::EntityTrait;
        let p = point(&app, 1).await;
        let workshop: Value = json(
            app.admin_post(
                &p.admin,
                "/api/v1/admin/workshops",
                json!({
                    "title": "Premiers pas", "summary": "Pas à pas", "description": "Atelier",
                    "level": "Débutant", "audience": "Adultes", "default_duration_minutes": 60, "default_capacity": 6
                }),
            )
            .await,
        )
        .await;
        let app = Arc::new(app);
        // One round per hour of the opening hours of two weeks, all raced at once.
        let mut rounds: Vec<DateTime<Utc>> = Vec::new();
        for day in [5, 6, 7, 8, 11, 12, 13, 14, 15] {
            for hour in [9, 10, 11, 14, 15] {
                rounds.push(paris(2027, 1, day, hour, 0));
            }
        }
        let mut tasks = Vec::new();
        for (i, start) in rounds.iter().copied().enumerate() {
            let booking = {
                let app = app.clone();
                let (place, motif) = (p.place, p.motif);
                async move {
                    let phone = format!("06 12 34 {:02} {:02}", i / 100, i % 100);
                    outcome(book(&app, place, motif, start, &format!("Personne {i}"), None, Some(&phone)).await).await
                }
            };
            let session = {
                let app = app.clone();
                let admin = p.admin.clone();
                let body = json!({
                    "workshop_id": workshop["id"], "place_id": p.place, "confirm_warnings": true,
                    "starts_at": start.to_rfc3339(), "ends_at": (start + Duration::hours(1)).to_rfc3339()
                });
                async move { outcome(app.admin_post(&admin, "/api/v1/admin/sessions", body).await).await }
            };
            // Either may start first.
            if i % 2 == 0 {
                let b = tokio::spawn(booking);
                let s = tokio::spawn(session);
                tasks.push((start, b, s));
            } else {
                let s = tokio::spawn(session);
                let b = tokio::spawn(booking);
                tasks.push((start, b, s));
            }
        }
        let mut sessions_won = 0;
        for (start, b, s) in tasks {
            let (b, s) = (b.await.unwrap(), s.await.unwrap());
            let won = (b.0 == 201, s.0 == 201);
            assert!(won != (true, true), "both took the desk at {start}: {b:?} {s:?}");
            assert!(won != (false, false), "neither took the desk at {start}: {b:?} {s:?}");
            if won.1 {
                sessions_won += 1;
            } else {
                assert_eq!(s, (409, "appointments_in_the_way".to_string()));
            }
        }
        // And as stored: no booked appointment under a session.
        let sessions = entities::session::Entity::find().all(&app.state.db).await.unwrap();
        assert_eq!(sessions.len(), sessions_won);
        for a in appointments(&app).await {
            assert!(
                sessions
                    .iter()
                    .all(|s| a.ends_at <= s.starts_at || a.starts_at >= s.ends_at),
                "an appointment under a session at {}",
                a.starts_at
            );
        }
    }
);
