//! The resident side of appointments: slots, booking, moving and cancelling with the manage
//! token, and the rules a booking must follow. Helpers for the other appointments_* files.
use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use creneau_tests::{app::TestApp, db_test};
use entities::kinds::{AppointmentStatus, BookedBy, CalendarMethod, Event, OutboxStatus};
use entities::{appointment, appointment_claim};
use reqwest::Method;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::*;

/// A Paris wall time that exists once, as UTC.
pub fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Paris
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// An instant as RFC 3339 in UTC (`…Z`), safe in a query string.
pub fn z(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An organisation with a mediation point open Monday to Friday 09:00–12:00 and
/// 13:30–17:00, and an online reason "CAF" of 30 minutes offered there.
pub struct Point {
    pub org: i32,
    pub admin: String,
    pub place: i32,
    pub motif: i32,
}

pub async fn mediation_point(app: &TestApp, admin: &str, name: &str, desks: i32) -> i32 {
    let resp = app
        .admin_post(
            admin,
            "/api/v1/admin/places",
            json!({
                "name": name, "kind": "mediation_point", "address": "Avenue de Camargue",
                "postal_code": "13200", "city": "Arles", "public_phone": "04 90 18 46 73",
                "desks": desks
            }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    json(resp).await["id"].as_i64().unwrap() as i32
}

pub async fn add_rule(
    app: &TestApp,
    admin: &str,
    place: i32,
    weekday: &str,
    start: &str,
    end: &str,
    weeks: Option<&[u8]>,
) -> Value {
    let resp = app
        .admin_post(
            admin,
            &format!("/api/v1/admin/places/{place}/opening-rules"),
            json!({"weekday": weekday, "start_time": start, "end_time": end, "weeks_of_month": weeks}),
        )
        .await;
    assert_eq!(resp.status(), 201, "opening rule");
    json(resp).await
}

pub async fn weekday_hours(app: &TestApp, admin: &str, place: i32) {
    for day in ["monday", "tuesday", "wednesday", "thursday", "friday"] {
        add_rule(app, admin, place, day, "09:00", "12:00", None).await;
        add_rule(app, admin, place, day, "13:30", "17:00", None).await;
    }
}

pub async fn add_motif(app: &TestApp, admin: &str, label: &str, minutes: i32, online: bool, places: &[i32]) -> i32 {
    let resp = app
        .admin_post(
            admin,
            "/api/v1/admin/motifs",
            json!({
                "label": label, "duration_minutes": minutes, "bookable_online": online,
                "instructions": "Apportez une pièce d'identité et vos identifiants.",
                "place_ids": places
            }),
        )
        .await;
    assert_eq!(resp.status(), 201, "motif");
    json(resp).await["id"].as_i64().unwrap() as i32
}

pub async fn point(app: &TestApp, desks: i32) -> Point {
    let (org, admin) = app.organisation("arles").await;
    let place = mediation_point(app, &admin, "Maison publique de Trinquetaille", desks).await;
    weekday_hours(app, &admin, place).await;
    let motif = add_motif(app, &admin, "CAF", 30, true, &[place]).await;
    Point {
        org,
        admin,
        place,
        motif,
    }
}

pub async fn book(
    app: &TestApp,
    place: i32,
    motif: i32,
    start: DateTime<Utc>,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> reqwest::Response {
    app.post(
        &format!("/api/v1/places/{place}/appointments"),
        json!({"motif": motif, "start": z(start), "name": name, "email": email, "phone": phone}),
    )
    .await
}

/// Books and answers the manage token.
pub async fn booked(app: &TestApp, p: &Point, start: DateTime<Utc>, name: &str, email: &str) -> String {
    let resp = book(app, p.place, p.motif, start, name, Some(email), None).await;
    assert_eq!(resp.status(), 201, "booking {name} at {start}");
    json(resp).await["manage_token"].as_str().unwrap().to_string()
}

pub async fn slots(app: &TestApp, place: i32, motif: i32, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Value> {
    let resp = app
        .get(&format!(
            "/api/v1/places/{place}/slots?motif={motif}&from={}&to={}",
            z(from),
            z(to)
        ))
        .await;
    assert_eq!(resp.status(), 200, "slots");
    json(resp).await["slots"].as_array().unwrap().clone()
}

/// The slot starting at `start`, if listed.
pub fn slot_at(list: &[Value], start: DateTime<Utc>) -> Option<Value> {
    list.iter()
        .find(|s| s["start"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap() == start)
        .cloned()
}

pub async fn claims(app: &TestApp) -> Vec<appointment_claim::Model> {
    appointment_claim::Entity::find()
        .order_by_asc(appointment_claim::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

pub async fn appointments(app: &TestApp) -> Vec<appointment::Model> {
    appointment::Entity::find()
        .order_by_asc(appointment::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

/// Every claim agrees with a live appointment: same desk, and exactly the 15-minute cells
/// it covers; no cancelled appointment holds any.
pub async fn assert_claims_match(app: &TestApp) {
    let all = claims(app).await;
    for a in appointments(app).await {
        let mine: Vec<_> = all.iter().filter(|c| c.appointment_id == a.id).collect();
        if a.status == AppointmentStatus::Cancelled {
            assert!(mine.is_empty(), "cancelled appointment {} holds claims", a.id);
            continue;
        }
        let mut expected = Vec::new();
        let mut cell = a.starts_at;
        while cell < a.ends_at {
            expected.push(cell);
            cell += Duration::minutes(15);
        }
        let mut got: Vec<_> = mine.iter().map(|c| c.cell_start).collect();
        got.sort();
        assert_eq!(got, expected, "cells of appointment {}", a.id);
        assert!(mine.iter().all(|c| c.desk == a.desk && c.place_id == a.place_id));
    }
}

/// Tuesday 5 January 2027, 10:00 in Paris: the day after the test epoch.
pub fn tuesday_ten() -> DateTime<Utc> {
    paris(2027, 1, 5, 10, 0)
}

fn payload(row: &entities::outbox::Model) -> Value {
    serde_json::from_str(&row.payload).unwrap()
}

db_test!(
    async fn a_resident_books_a_slot_sees_it_with_the_manage_token_and_cancels_it(app: TestApp) {
        let p = point(&app, 2).await;
        let start = tuesday_ten();
        let before = slots(&app, p.place, p.motif, start, start + Duration::hours(1)).await;
        assert_eq!(slot_at(&before, start).unwrap()["free_desks"], 2);

        let resp = app
            .post(
                &format!("/api/v1/places/{}/appointments", p.place),
                json!({
                    "motif": p.motif, "start": "2027-01-05T10:00:00+01:00", "name": "Jeanne Martin",
                    "email": "Jeanne.Martin@Exemple.fr", "note": "Prime d'activité",
                    "accessibility_needs": "Malvoyante"
                }),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let body = json(resp).await;
        let token = body["manage_token"].as_str().unwrap().to_string();
        assert_eq!(token.len(), 43);
        assert!(
            body["manage_url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/rendez-vous/{token}"))
        );
        let a = &body["appointment"];
        assert_eq!(a["status"], "booked");
        assert_eq!(a["starts_at"], "2027-01-05T10:00:00+01:00");
        assert_eq!(a["ends_at"], "2027-01-05T10:30:00+01:00");
        assert_eq!(a["motif_label"], "CAF");
        assert_eq!(a["can_change"], true);

        let rows = appointments(&app).await;
        assert_eq!(rows.len(), 1);
        assert_ne!(rows[0].manage_token_hash, token, "only the hash is stored");
        assert_eq!(rows[0].email_key.as_deref(), Some("jeanne.martin@exemple.fr"));
        assert_eq!(rows[0].desk, 1);
        assert_eq!(claims(&app).await.len(), 2, "two 15-minute cells");
        assert_claims_match(&app).await;
        let after = slots(&app, p.place, p.motif, start, start + Duration::hours(1)).await;
        assert_eq!(slot_at(&after, start).unwrap()["free_desks"], 1);

        let seen = json(app.get(&format!("/api/v1/appointments/{token}")).await).await;
        assert_eq!(seen["name"], "Jeanne Martin");
        assert_eq!(seen["place_name"], "Maison publique de Trinquetaille");
        assert!(seen["instructions"].as_str().unwrap().contains("pièce d'identité"));

        let resp = app
            .request(Method::DELETE, &format!("/api/v1/appointments/{token}"), None, None)
            .await;
        assert_eq!(resp.status(), 200);
        let cancelled = json(resp).await;
        assert_eq!(
            (cancelled["status"].as_str(), cancelled["can_change"].as_bool()),
            (Some("cancelled"), Some(false))
        );
        assert!(claims(&app).await.is_empty(), "the desk is free again");
        assert_claims_match(&app).await;
        let freed = slots(&app, p.place, p.motif, start, start + Duration::hours(1)).await;
        assert_eq!(slot_at(&freed, start).unwrap()["free_desks"], 2);
        let again = app
            .request(Method::DELETE, &format!("/api/v1/appointments/{token}"), None, None)
            .await;
        problem(again, 409, "already_cancelled").await;

        let messages: Vec<_> = outbox_summary(&app)
            .await
            .into_iter()
            .filter(|r| r.0 != "reminder")
            .collect();
        assert_eq!(
            messages,
            vec![
                (
                    "appointment_confirmed".into(),
                    Some("jeanne.martin@exemple.fr".into()),
                    Some("REQUEST".into()),
                    Some(0),
                    "pending".into()
                ),
                (
                    "appointment_cancelled".into(),
                    Some("jeanne.martin@exemple.fr".into()),
                    Some("CANCEL".into()),
                    Some(1),
                    "pending".into()
                ),
            ]
        );
        let rows = outbox_rows(&app).await;
        let confirmed = payload(&rows[0]);
        assert_eq!(confirmed["title"], "CAF");
        assert_eq!(
            confirmed["instructions"],
            "Apportez une pièce d'identité et vos identifiants."
        );
        // Only the key the worker derives the link from: never the token itself.
        assert!(confirmed["manage_url"].is_null());
        assert!(confirmed["manage_key"].is_string());
        assert!(!confirmed.to_string().contains(&token));
        // The 48 h reminder would be due before now; only the 3 h one was queued, then voided.
        let reminders: Vec<_> = rows.iter().filter(|r| r.kind == Event::Reminder).collect();
        assert_eq!(reminders.len(), 1);
        assert_eq!(reminders[0].status, OutboxStatus::Cancelled);
        assert_eq!(reminders[0].not_before, tuesday_ten() - Duration::hours(3));
    }
);

db_test!(
    async fn a_resident_moves_an_appointment_and_gets_an_updated_invite(app: TestApp) {
        let p = point(&app, 1).await;
        // Thursday 7 January 14:00: both reminders (48 h and 3 h before) are in the future.
        let start = paris(2027, 1, 7, 14, 0);
        let token = booked(&app, &p, start, "Jeanne Martin", "jeanne@exemple.fr").await;
        let new_start = paris(2027, 1, 8, 9, 30);
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/appointments/{token}"),
                None,
                Some(json!({"start": z(new_start)})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let moved = json(resp).await;
        assert_eq!(moved["starts_at"], "2027-01-08T09:30:00+01:00");
        assert_eq!(moved["status"], "booked");
        let rows = appointments(&app).await;
        assert_eq!((rows[0].starts_at, rows[0].ical_sequence), (new_start, 1));
        assert_claims_match(&app).await;
        // The old time is bookable again; the new one is not.
        let list = slots(&app, p.place, p.motif, start, new_start + Duration::hours(1)).await;
        assert!(slot_at(&list, start).is_some());
        assert!(slot_at(&list, new_start).is_none());

        let out = outbox_rows(&app).await;
        let rescheduled: Vec<_> = out.iter().filter(|r| r.kind == Event::AppointmentRescheduled).collect();
        assert_eq!(rescheduled.len(), 1);
        assert_eq!(
            (rescheduled[0].ical_method, rescheduled[0].ical_sequence),
            (Some(CalendarMethod::Request), Some(1))
        );
        assert_eq!(rescheduled[0].ical_uid, out[0].ical_uid, "same calendar event");
        let p1 = payload(rescheduled[0]);
        assert_eq!(
            p1["previous_starts_at"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap(),
            start
        );
        assert!(p1["manage_key"].is_string() && !p1.to_string().contains(&token));
        let reminders: Vec<_> = out.iter().filter(|r| r.kind == Event::Reminder).collect();
        assert_eq!(reminders.len(), 4, "two for the old time, two for the new");
        assert!(reminders[..2].iter().all(|r| r.status == OutboxStatus::Cancelled));
        assert!(reminders[2..].iter().all(|r| r.status == OutboxStatus::Pending));
        assert_eq!(reminders[3].expires_at, Some(new_start));
    }
);

db_test!(
    async fn a_move_that_overlaps_its_own_old_time_keeps_the_desk_and_succeeds(app: TestApp) {
        let p = point(&app, 1).await;
        let long = add_motif(&app, &p.admin, "Retraite", 60, true, &[p.place]).await;
        // An extra opening shifted by half an hour puts 60-minute slots at 09:30 and 10:30 too.
        let resp = app
            .admin_post(
                &p.admin,
                &format!("/api/v1/admin/places/{}/extra-openings", p.place),
                json!({"date": "2027-01-05", "start_time": "09:30", "end_time": "11:30"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let start = tuesday_ten();
        let resp = book(&app, p.place, long, start, "Marcel", Some("marcel@exemple.fr"), None).await;
        assert_eq!(resp.status(), 201);
        let token = json(resp).await["manage_token"].as_str().unwrap().to_string();
        let later = start + Duration::minutes(30);
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/appointments/{token}"),
                None,
                Some(json!({"start": z(later)})),
            )
            .await;
        assert_eq!(resp.status(), 200, "the only desk, half of it its own");
        let rows = appointments(&app).await;
        assert_eq!(
            (rows[0].starts_at, rows[0].ends_at),
            (later, later + Duration::hours(1))
        );
        assert_eq!(claims(&app).await.len(), 4);
        assert_claims_match(&app).await;
    }
);

db_test!(
    async fn a_failed_reschedule_leaves_the_old_appointment_untouched(app: TestApp) {
        let p = point(&app, 1).await;
        let first = tuesday_ten();
        let second = first + Duration::minutes(30);
        let token = booked(&app, &p, first, "Jeanne", "jeanne@exemple.fr").await;
        booked(&app, &p, second, "Paul", "paul@exemple.fr").await;
        let before_rows = appointments(&app).await;
        let before_claims = claims(&app).await;
        let before_outbox = outbox_rows(&app).await;

        let path = format!("/api/v1/appointments/{token}");
        let taken = app
            .request(Method::PATCH, &path, None, Some(json!({"start": z(second)})))
            .await;
        problem(taken, 409, "slot_taken").await;
        let off_grid = app
            .request(
                Method::PATCH,
                &path,
                None,
                Some(json!({"start": z(first + Duration::minutes(10))})),
            )
            .await;
        problem(off_grid, 422, "off_grid").await;
        let saturday = app
            .request(
                Method::PATCH,
                &path,
                None,
                Some(json!({"start": z(paris(2027, 1, 9, 10, 0))})),
            )
            .await;
        problem(saturday, 422, "off_grid").await;
        let too_far = app
            .request(
                Method::PATCH,
                &path,
                None,
                Some(json!({"start": z(paris(2027, 3, 9, 10, 0))})),
            )
            .await;
        problem(too_far, 422, "outside_window").await;

        assert_eq!(appointments(&app).await, before_rows, "appointments unchanged");
        assert_eq!(claims(&app).await, before_claims, "claims unchanged");
        assert_eq!(outbox_rows(&app).await, before_outbox, "no message queued");
        let seen = json(app.get(&path).await).await;
        assert_eq!(seen["starts_at"], "2027-01-05T10:00:00+01:00");
    }
);

db_test!(
    async fn slots_keep_their_paris_wall_time_across_both_daylight_saving_weekends(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let place = mediation_point(&app, &admin, "Le Sambuc", 1).await;
        add_rule(&app, &admin, place, "monday", "09:00", "12:00", None).await;
        let motif = add_motif(&app, &admin, "Impôts", 45, true, &[place]).await;
        let wall = |list: &[Value]| -> Vec<String> {
            list.iter()
                .map(|s| s["start"].as_str().unwrap()[11..16].to_string())
                .collect()
        };
        let expected = vec!["09:00", "09:45", "10:30", "11:15"];

        // Spring: clocks go forward on Sunday 28 March 2027.
        app.state.clock.set(paris(2027, 3, 15, 12, 0));
        let before = slots(&app, place, motif, paris(2027, 3, 22, 0, 0), paris(2027, 3, 23, 0, 0)).await;
        // Monday 29 March is Easter Monday, a public holiday: the next Monday is 5 April.
        let easter_monday = slots(&app, place, motif, paris(2027, 3, 29, 0, 0), paris(2027, 3, 30, 0, 0)).await;
        assert!(easter_monday.is_empty());
        let after = slots(&app, place, motif, paris(2027, 4, 5, 0, 0), paris(2027, 4, 6, 0, 0)).await;
        assert_eq!(wall(&before), expected);
        assert_eq!(wall(&after), expected);
        assert!(before[0]["start"].as_str().unwrap().ends_with("+01:00"));
        assert!(after[0]["start"].as_str().unwrap().ends_with("+02:00"));
        assert_eq!(
            before[0]["start"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(),
            Utc.with_ymd_and_hms(2027, 3, 22, 8, 0, 0).unwrap()
        );
        assert_eq!(
            after[0]["start"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(),
            Utc.with_ymd_and_hms(2027, 4, 5, 7, 0, 0).unwrap()
        );
        let resp = book(
            &app,
            place,
            motif,
            paris(2027, 4, 5, 9, 45),
            "Paul",
            Some("p@exemple.fr"),
            None,
        )
        .await;
        assert_eq!(resp.status(), 201);
        assert_eq!(
            json(resp).await["appointment"]["starts_at"],
            "2027-04-05T09:45:00+02:00"
        );

        // Autumn: clocks go back on Sunday 31 October 2027 (1 November is a holiday).
        app.state.clock.set(paris(2027, 10, 18, 12, 0));
        let before = slots(&app, place, motif, paris(2027, 10, 25, 0, 0), paris(2027, 10, 26, 0, 0)).await;
        let after = slots(&app, place, motif, paris(2027, 11, 8, 0, 0), paris(2027, 11, 9, 0, 0)).await;
        assert_eq!(wall(&before), expected);
        assert_eq!(wall(&after), expected);
        assert!(before[0]["start"].as_str().unwrap().ends_with("+02:00"));
        assert!(after[0]["start"].as_str().unwrap().ends_with("+01:00"));
        let toussaint = slots(&app, place, motif, paris(2027, 11, 1, 0, 0), paris(2027, 11, 2, 0, 0)).await;
        assert!(toussaint.is_empty(), "1 November is a public holiday");
    }
);

db_test!(
    async fn no_slot_is_offered_on_ascension_thursday_unless_the_place_opts_out(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let place = mediation_point(&app, &admin, "Trinquetaille", 2).await;
        add_rule(&app, &admin, place, "thursday", "09:00", "12:00", None).await;
        let motif = add_motif(&app, &admin, "CAF", 30, true, &[place]).await;
        app.state.clock.set(paris(2027, 4, 26, 9, 0));
        let ascension = (paris(2027, 5, 6, 0, 0), paris(2027, 5, 7, 0, 0));
        let next_week = (paris(2027, 5, 13, 0, 0), paris(2027, 5, 14, 0, 0));
        assert!(slots(&app, place, motif, ascension.0, ascension.1).await.is_empty());
        assert_eq!(slots(&app, place, motif, next_week.0, next_week.1).await.len(), 6);
        let resp = book(
            &app,
            place,
            motif,
            paris(2027, 5, 6, 9, 0),
            "Paul",
            Some("p@exemple.fr"),
            None,
        )
        .await;
        problem(resp, 422, "closed").await;

        let hours = json(app.get(&format!("/api/v1/places/{place}/opening-hours")).await).await;
        let holidays: Vec<_> = hours["public_holidays"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            holidays,
            vec!["Ascension"],
            "the only holiday on a Thursday within 90 days"
        );

        // The place chooses to open on public holidays (months later: a fresh staff token).
        let admin = app.login("admin@arles.example", "mot-de-passe-solide").await;
        let resp = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/places/{place}"),
                Some(&admin),
                Some(json!({
                    "name": "Trinquetaille", "kind": "mediation_point", "address": "Avenue de Camargue",
                    "postal_code": "13200", "city": "Arles", "desks": 2, "close_on_public_holidays": false
                })),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(slots(&app, place, motif, ascension.0, ascension.1).await.len(), 6);
        let resp = book(
            &app,
            place,
            motif,
            paris(2027, 5, 6, 9, 0),
            "Paul",
            Some("p@exemple.fr"),
            None,
        )
        .await;
        assert_eq!(resp.status(), 201);
    }
);

db_test!(
    async fn the_first_and_third_wednesday_rule_opens_only_those_wednesdays(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let place = mediation_point(&app, &admin, "Trinquetaille", 1).await;
        let rule = add_rule(&app, &admin, place, "wednesday", "13:30", "17:00", Some(&[3, 1])).await;
        assert_eq!(rule["weeks_of_month"], json!([1, 3]));
        assert_eq!(
            rule["description"],
            "Les 1er et 3e mercredis du mois de 13\u{a0}h\u{a0}30 à 17\u{a0}h"
        );
        let motif = add_motif(&app, &admin, "CAF", 30, true, &[place]).await;
        // January 2027: Wednesdays 6, 13, 20 and 27; the 1st and 3rd are the 6th and the 20th.
        let list = slots(&app, place, motif, paris(2027, 1, 5, 0, 0), paris(2027, 2, 1, 0, 0)).await;
        let days: std::collections::BTreeSet<String> = list
            .iter()
            .map(|s| s["start"].as_str().unwrap()[..10].to_string())
            .collect();
        assert_eq!(days.into_iter().collect::<Vec<_>>(), vec!["2027-01-06", "2027-01-20"]);
        assert_eq!(list.len(), 14, "seven 30-minute slots each afternoon");
    }
);

db_test!(
    async fn bookings_off_the_grid_outside_the_window_or_when_closed_are_refused(app: TestApp) {
        let p = point(&app, 2).await;
        let path = format!("/api/v1/places/{}/appointments", p.place);
        let attempt = |start: DateTime<Utc>| json!({"motif": p.motif, "start": z(start), "name": "Jeanne", "email": "j@exemple.fr"});
        // Off the grid: between two slots, over lunch, ending after closing time, a Saturday.
        for start in [
            paris(2027, 1, 5, 10, 10),
            paris(2027, 1, 5, 12, 0),
            paris(2027, 1, 5, 16, 45),
            paris(2027, 1, 9, 10, 0),
        ] {
            problem(app.post(&path, attempt(start)).await, 422, "off_grid").await;
        }
        // The test epoch is Monday 09:00: 10:00 is within the 2-hour notice; 60 days is the horizon.
        problem(
            app.post(&path, attempt(paris(2027, 1, 4, 10, 0))).await,
            422,
            "outside_window",
        )
        .await;
        problem(
            app.post(&path, attempt(paris(2027, 3, 8, 9, 0))).await,
            422,
            "outside_window",
        )
        .await;
        assert_eq!(
            app.post(&path, attempt(paris(2027, 1, 4, 11, 0))).await.status(),
            201,
            "exactly two hours ahead"
        );
        // New Year's Day is a Friday: closed.
        app.state.clock.set(paris(2026, 12, 28, 9, 0));
        problem(app.post(&path, attempt(paris(2027, 1, 1, 10, 0))).await, 422, "closed").await;
        app.state.clock.set(paris(2027, 1, 4, 9, 0));

        // A staff-only reason, a reason of another place, an unknown reason.
        let staff_only = add_motif(&app, &p.admin, "Accompagnement approfondi", 60, false, &[p.place]).await;
        let elsewhere_place = mediation_point(&app, &p.admin, "Le Sambuc", 1).await;
        let elsewhere = add_motif(&app, &p.admin, "Retraite", 60, true, &[elsewhere_place]).await;
        for motif in [staff_only, elsewhere, 999_999] {
            let body = json!({"motif": motif, "start": z(tuesday_ten()), "name": "Jeanne", "email": "j@exemple.fr"});
            problem(app.post(&path, body).await, 422, "motif_not_offered").await;
        }
        problem(
            app.get(&format!("/api/v1/places/{}/slots?motif={staff_only}", p.place))
                .await,
            422,
            "motif_not_offered",
        )
        .await;
        // Contact and free texts are checked at the edge.
        let no_contact = json!({"motif": p.motif, "start": z(tuesday_ten()), "name": "Jeanne"});
        assert!(
            problem(app.post(&path, no_contact).await, 422, "validation")
                .await
                .contains("e-mail ou un numéro")
        );
        let long_note = json!({
            "motif": p.motif, "start": z(tuesday_ten()), "name": "Jeanne", "phone": "06 12 34 56 78",
            "note": "x".repeat(1001)
        });
        problem(app.post(&path, long_note).await, 400, "bad_request").await;
        let unknown_place = json!({"motif": p.motif, "start": z(tuesday_ten()), "name": "J", "email": "j@exemple.fr"});
        problem(
            app.post("/api/v1/places/999999/appointments", unknown_place).await,
            404,
            "not_found",
        )
        .await;
        assert_eq!(appointments(&app).await.len(), 1, "only the valid booking");
        assert_claims_match(&app).await;
    }
);

db_test!(
    async fn one_person_holds_at_most_two_upcoming_appointments_unless_staff_override(app: TestApp) {
        let p = point(&app, 2).await;
        let t = tuesday_ten();
        let first = book(
            &app,
            p.place,
            p.motif,
            t,
            "Jeanne",
            Some("Jeanne@Exemple.fr"),
            Some("06 12 34 56 78"),
        )
        .await;
        assert_eq!(first.status(), 201);
        let resp = book(
            &app,
            p.place,
            p.motif,
            t + Duration::minutes(30),
            "Jeanne",
            Some("jeanne@exemple.fr "),
            Some("+33612345678"),
        )
        .await;
        assert_eq!(resp.status(), 201);
        let second_token = json(resp).await["manage_token"].as_str().unwrap().to_string();
        // Same e-mail written differently, or same phone written differently: the same person.
        let same_email = book(
            &app,
            p.place,
            p.motif,
            t + Duration::hours(1),
            "J. Martin",
            Some(" JEANNE@exemple.fr"),
            None,
        )
        .await;
        assert!(
            problem(same_email, 409, "too_many_appointments")
                .await
                .contains("2 rendez-vous")
        );
        let same_phone = book(
            &app,
            p.place,
            p.motif,
            t + Duration::hours(1),
            "Jeanne",
            None,
            Some("+33 6 12 34 56 78"),
        )
        .await;
        problem(same_phone, 409, "too_many_appointments").await;
        // Someone else is not affected.
        let other = book(
            &app,
            p.place,
            p.motif,
            t + Duration::hours(1),
            "Paul",
            Some("paul@exemple.fr"),
            None,
        )
        .await;
        assert_eq!(other.status(), 201);

        // Staff are held to the limit unless they override it.
        let staff_path = format!("/api/v1/admin/places/{}/appointments", p.place);
        let staff_body = |override_fair_use: bool| {
            json!({
                "motif": p.motif, "start": z(t + Duration::hours(1)), "name": "Jeanne",
                "phone": "06 12 34 56 78", "override_fair_use": override_fair_use
            })
        };
        problem(
            app.admin_post(&p.admin, &staff_path, staff_body(false)).await,
            409,
            "too_many_appointments",
        )
        .await;
        assert_eq!(
            app.admin_post(&p.admin, &staff_path, staff_body(true)).await.status(),
            201
        );

        // Cancelled appointments do not count (the override made it three: cancel two).
        let resp = app
            .request(
                Method::DELETE,
                &format!("/api/v1/appointments/{second_token}"),
                None,
                None,
            )
            .await;
        assert_eq!(resp.status(), 200);
        let id = appointments(&app)
            .await
            .into_iter()
            .find(|a| a.booked_by == BookedBy::Staff)
            .unwrap()
            .id;
        let resp = app
            .admin_post(&p.admin, &format!("/api/v1/admin/appointments/{id}/cancel"), json!({}))
            .await;
        assert_eq!(resp.status(), 200);
        let third = book(
            &app,
            p.place,
            p.motif,
            t + Duration::hours(1),
            "Jeanne",
            Some("jeanne@exemple.fr"),
            None,
        )
        .await;
        assert_eq!(third.status(), 201);
        let fourth = book(
            &app,
            p.place,
            p.motif,
            paris(2027, 1, 7, 10, 0),
            "Jeanne",
            Some("jeanne@exemple.fr"),
            None,
        )
        .await;
        problem(fourth, 409, "too_many_appointments").await;
        // Past appointments do not count.
        app.state.clock.set(paris(2027, 1, 5, 12, 0));
        let later = book(
            &app,
            p.place,
            p.motif,
            paris(2027, 1, 7, 10, 0),
            "Jeanne",
            Some("jeanne@exemple.fr"),
            None,
        )
        .await;
        assert_eq!(later.status(), 201);
        assert_claims_match(&app).await;
    }
);

db_test!(
    async fn a_manage_token_reaches_only_its_own_appointment(app: TestApp) {
        let p = point(&app, 2).await;
        let ta = booked(&app, &p, tuesday_ten(), "Ana", "ana@exemple.fr").await;
        let tb = booked(&app, &p, tuesday_ten(), "Bob", "bob@exemple.fr").await;
        assert_ne!(ta, tb);
        assert_eq!(
            json(app.get(&format!("/api/v1/appointments/{ta}")).await).await["name"],
            "Ana"
        );
        assert_eq!(
            json(app.get(&format!("/api/v1/appointments/{tb}")).await).await["name"],
            "Bob"
        );
        let mut altered = ta.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        for bad in [
            altered.as_str(),
            "nope",
            "../../etc/passwd",
            &"A".repeat(43),
            &format!("{ta}x"),
            "%00",
        ] {
            for method in [Method::GET, Method::DELETE] {
                let resp = app
                    .request(method.clone(), &format!("/api/v1/appointments/{bad}"), None, None)
                    .await;
                assert_eq!(resp.status(), 404, "{method} {bad}");
            }
            let resp = app
                .request(
                    Method::PATCH,
                    &format!("/api/v1/appointments/{bad}"),
                    None,
                    Some(json!({"start": z(tuesday_ten() + Duration::hours(1))})),
                )
                .await;
            assert_eq!(resp.status(), 404, "PATCH {bad}");
        }
        // Ana's token cancels Ana's appointment only.
        let resp = app
            .request(Method::DELETE, &format!("/api/v1/appointments/{ta}"), None, None)
            .await;
        assert_eq!(json(resp).await["name"], "Ana");
        let rows = appointments(&app).await;
        let status: Vec<_> = rows.iter().map(|a| (a.name.as_str(), a.status)).collect();
        assert_eq!(
            status,
            vec![
                ("Ana", AppointmentStatus::Cancelled),
                ("Bob", AppointmentStatus::Booked)
            ]
        );
        assert_claims_match(&app).await;
    }
);

db_test!(
    async fn a_resident_cannot_cancel_or_move_once_the_appointment_has_started(app: TestApp) {
        let p = point(&app, 1).await;
        let token = booked(&app, &p, tuesday_ten(), "Jeanne", "jeanne@exemple.fr").await;
        app.state.clock.set(tuesday_ten() + Duration::minutes(5));
        let path = format!("/api/v1/appointments/{token}");
        problem(app.request(Method::DELETE, &path, None, None).await, 422, "too_late").await;
        problem(
            app.request(
                Method::PATCH,
                &path,
                None,
                Some(json!({"start": z(paris(2027, 1, 7, 10, 0))})),
            )
            .await,
            422,
            "too_late",
        )
        .await;
        let seen = json(app.get(&path).await).await;
        assert_eq!(
            (seen["status"].as_str(), seen["can_change"].as_bool()),
            (Some("booked"), Some(false))
        );
    }
);

db_test!(
    async fn reasons_and_opening_hours_are_public_and_slot_ranges_are_bounded(app: TestApp) {
        let p = point(&app, 2).await;
        add_motif(&app, &p.admin, "Accompagnement approfondi", 60, false, &[p.place]).await;
        let sambuc = mediation_point(&app, &p.admin, "Le Sambuc", 1).await;
        add_rule(&app, &p.admin, sambuc, "tuesday", "09:00", "12:00", None).await;
        let impots = add_motif(&app, &p.admin, "Impôts", 45, true, &[sambuc]).await;
        add_motif(&app, &p.admin, "Jamais proposé", 30, true, &[]).await;

        let labels = |v: Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|m| m["label"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            labels(json(app.get("/api/v1/motifs").await).await),
            vec!["CAF", "Impôts"]
        );
        assert_eq!(
            labels(json(app.get(&format!("/api/v1/motifs?place={sambuc}")).await).await),
            vec!["Impôts"]
        );
        let at_sambuc = json(app.get(&format!("/api/v1/places/{sambuc}/motifs")).await).await;
        assert_eq!(at_sambuc[0]["id"], impots);
        assert_eq!(at_sambuc[0]["place_ids"], json!([sambuc]));
        assert_eq!(at_sambuc[0]["duration_minutes"], 45);
        problem(app.get("/api/v1/places/999999/motifs").await, 404, "not_found").await;

        // A closure of the whole place and an extra opening show on the opening hours.
        let resp = app
            .admin_post(
                &p.admin,
                &format!("/api/v1/admin/places/{sambuc}/closures"),
                json!({"starts_at": z(paris(2027, 1, 12, 0, 0)), "ends_at": z(paris(2027, 1, 13, 0, 0)), "reason": "Fermeture pour travaux"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let resp = app
            .admin_post(
                &p.admin,
                &format!("/api/v1/admin/places/{sambuc}/closures"),
                json!({"desk": 1, "starts_at": z(paris(2027, 1, 19, 0, 0)), "ends_at": z(paris(2027, 1, 20, 0, 0)), "reason": "Agent en congé"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let resp = app
            .admin_post(
                &p.admin,
                &format!("/api/v1/admin/places/{sambuc}/extra-openings"),
                json!({"date": "2027-01-16", "start_time": "09:00", "end_time": "12:00", "note": "Permanence impôts"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let hours = json(app.get(&format!("/api/v1/places/{sambuc}/opening-hours")).await).await;
        assert_eq!(hours["timezone"], "Europe/Paris");
        assert_eq!(hours["desks"], 1);
        assert_eq!(hours["rules"][0]["description"], "Le mardi de 9\u{a0}h à 12\u{a0}h");
        assert_eq!(hours["rules"][0]["weekday"], "tuesday");
        assert_eq!(hours["extra_openings"][0]["note"], "Permanence impôts");
        let closures = hours["closures"].as_array().unwrap();
        assert_eq!(closures.len(), 1, "a desk's closure is internal");
        assert_eq!(closures[0]["reason"], "Fermeture pour travaux");
        // Slots follow: no Tuesday 12th, a Saturday 16th, none on the 19th (its only desk closed).
        let list = slots(&app, sambuc, impots, paris(2027, 1, 11, 0, 0), paris(2027, 1, 21, 0, 0)).await;
        let days: std::collections::BTreeSet<String> = list
            .iter()
            .map(|s| s["start"].as_str().unwrap()[..10].to_string())
            .collect();
        assert_eq!(days.into_iter().collect::<Vec<_>>(), vec!["2027-01-16"]);

        // Defaults: from now, 28 days; at most 62 days; `to` after `from`.
        let resp = app
            .get(&format!("/api/v1/places/{}/slots?motif={}", p.place, p.motif))
            .await;
        let body = json(resp).await;
        assert_eq!(body["from"], "2027-01-04T09:00:00+01:00");
        assert_eq!(body["to"], "2027-02-01T09:00:00+01:00");
        assert_eq!(body["duration_minutes"], 30);
        let first = &body["slots"][0];
        assert_eq!(first["start"], "2027-01-04T11:00:00+01:00", "two hours' notice");
        assert_eq!(first["free_desks"], 2);
        let too_long = app
            .get(&format!(
                "/api/v1/places/{}/slots?motif={}&from={}&to={}",
                p.place,
                p.motif,
                z(paris(2027, 1, 5, 0, 0)),
                z(paris(2027, 3, 9, 0, 0))
            ))
            .await;
        problem(too_long, 422, "validation").await;
        let reversed = app
            .get(&format!(
                "/api/v1/places/{}/slots?motif={}&from={}&to={}",
                p.place,
                p.motif,
                z(paris(2027, 1, 6, 0, 0)),
                z(paris(2027, 1, 5, 0, 0))
            ))
            .await;
        problem(reversed, 422, "validation").await;
    }
);

db_test!(
    async fn dates_far_outside_the_calendar_are_refused_in_french_by_every_listing(app: TestApp) {
        let p = point(&app, 1).await;
        let far = "%2B262142-12-31T00:00:00Z";
        let cases = [
            (
                format!("/api/v1/places/{}/slots?motif={}&from={far}", p.place, p.motif),
                None,
                "from",
            ),
            (format!("/api/v1/sessions?to={far}"), None, "to"),
            (
                format!("/api/v1/admin/places/{}/agenda?date=%2B262142-12-31", p.place),
                Some(&p.admin),
                "date",
            ),
            (format!("/api/v1/admin/sessions?from={far}"), Some(&p.admin), "from"),
        ];
        for (path, token, field) in cases {
            let resp = app.request(Method::GET, &path, token.map(String::as_str), None).await;
            let message = problem(resp, 422, "validation").await;
            assert!(message.contains("entre 2000 et 2100"), "{path}: {message} ({field})");
        }
    }
);
