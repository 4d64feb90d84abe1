//! The staff side of appointments: opening hours, closures and reasons, booking on a
//! resident's behalf, the agenda, outcomes, messages, and who may do what.
use chrono::Duration;
use creneau::auth::Role;
use creneau_tests::{app::TestApp, db_test};
use entities::kinds::{BookedBy, BookingKind, CalendarMethod, Event, OutboxStatus};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{appointments::*, helpers::*};

fn staff_booking(motif: i32, start: chrono::DateTime<chrono::Utc>) -> Value {
    json!({"motif": motif, "start": z(start), "name": "Ahmed Haddad", "phone": "06 12 34 56 78"})
}

db_test!(
    async fn staff_book_by_phone_alone_ignoring_the_minimum_notice_and_may_use_staff_only_reasons(app: TestApp) {
        let p = point(&app, 1).await;
        let path = format!("/api/v1/admin/places/{}/appointments", p.place);
        // Monday 09:30, half an hour from now: too soon online, fine at the counter.
        let soon = paris(2027, 1, 4, 9, 30);
        problem(
            book(&app, p.place, p.motif, soon, "Ahmed", None, Some("06 12 34 56 78")).await,
            422,
            "outside_window",
        )
        .await;
        let staff_slots = json(
            app.request(
                Method::GET,
                &format!(
                    "/api/v1/admin/places/{}/slots?motif={}&to={}",
                    p.place,
                    p.motif,
                    z(paris(2027, 1, 4, 12, 0))
                ),
                Some(&p.admin),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(
            staff_slots["slots"][0]["start"], "2027-01-04T09:00:00+01:00",
            "staff see the slot starting now"
        );
        let resp = app.admin_post(&p.admin, &path, staff_booking(p.motif, soon)).await;
        assert_eq!(resp.status(), 201);
        let a = json(resp).await;
        assert_eq!(
            (a["phone"].as_str(), a["booked_by"].as_str(), a["status"].as_str()),
            (Some("+33612345678"), Some("staff"), Some("booked"))
        );
        assert!(a.get("email").is_none());
        // No e-mail: the confirmation is recorded for staff to phone, never sent.
        let rows = outbox_summary(&app).await;
        assert_eq!(
            rows,
            vec![(
                "appointment_confirmed".into(),
                None,
                Some("REQUEST".into()),
                Some(0),
                "no_email".into()
            )]
        );
        let stored = appointments(&app).await;
        assert!(stored[0].booked_by_staff_id.is_some());

        // Staff can book the slot under way (a walk-in), but never one that is over, nor on
        // top of another appointment.
        let under_way = paris(2027, 1, 4, 9, 0);
        let walk_in = json!({"motif": p.motif, "start": z(under_way), "name": "Paul", "email": "paul@exemple.fr"});
        assert_eq!(app.admin_post(&p.admin, &path, walk_in).await.status(), 201);
        app.state.clock.set(paris(2027, 1, 4, 10, 45));
        let over = json!({"motif": p.motif, "start": z(paris(2027, 1, 4, 10, 0)), "name": "Lucie", "email": "lucie@exemple.fr"});
        problem(app.admin_post(&p.admin, &path, over).await, 422, "outside_window").await;
        let taken = json!({"motif": p.motif, "start": z(soon + Duration::days(1)), "name": "Lucie", "email": "lucie@exemple.fr"});
        assert_eq!(app.admin_post(&p.admin, &path, taken.clone()).await.status(), 201);
        problem(
            app.admin_post(
                &p.admin,
                &path,
                json!({"motif": p.motif, "start": z(soon + Duration::days(1)), "name": "Marc", "phone": "0698765432"}),
            )
            .await,
            409,
            "slot_taken",
        )
        .await;

        // A staff-only reason: residents cannot book it, staff can.
        let deep = add_motif(&app, &p.admin, "Accompagnement approfondi", 60, false, &[p.place]).await;
        let wednesday = paris(2027, 1, 6, 13, 30);
        problem(
            book(&app, p.place, deep, wednesday, "Marc", None, Some("06 98 76 54 32")).await,
            422,
            "motif_not_offered",
        )
        .await;
        let resp = app
            .admin_post(
                &p.admin,
                &path,
                json!({"motif": deep, "start": z(wednesday), "name": "Marc", "phone": "06 98 76 54 32"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        assert_eq!(json(resp).await["motif_label"], "Accompagnement approfondi");
        // Beyond the online horizon too.
        let far = json!({"motif": p.motif, "start": z(paris(2027, 4, 6, 10, 0)), "name": "Marc", "phone": "06 98 76 54 32", "override_fair_use": true});
        assert_eq!(app.admin_post(&p.admin, &path, far).await.status(), 201);
        assert_claims_match(&app).await;
    }
);

db_test!(
    async fn the_agenda_lists_each_day_with_openings_closures_and_appointments(app: TestApp) {
        let p = point(&app, 2).await;
        let resp = app
            .post(
                &format!("/api/v1/places/{}/appointments", p.place),
                json!({
                    "motif": p.motif, "start": z(tuesday_ten()), "name": "Jeanne Martin",
                    "email": "jeanne@exemple.fr", "phone": "06 12 34 56 78",
                    "note": "Prime d'activité", "accessibility_needs": "Malvoyante : grands caractères"
                }),
            )
            .await;
        assert_eq!(resp.status(), 201);
        booked(&app, &p, tuesday_ten(), "Paul Girard", "paul@exemple.fr").await;
        let token = booked(&app, &p, paris(2027, 1, 5, 14, 0), "Ana", "ana@exemple.fr").await;
        app.request(Method::DELETE, &format!("/api/v1/appointments/{token}"), None, None)
            .await;
        booked(&app, &p, paris(2027, 1, 7, 9, 0), "Bob", "bob@exemple.fr").await;
        let resp = app
            .admin_post(
                &p.admin,
                &format!("/api/v1/admin/places/{}/closures", p.place),
                json!({"desk": 2, "starts_at": z(paris(2027, 1, 5, 13, 30)), "ends_at": z(paris(2027, 1, 5, 17, 0)), "reason": "Agent en formation"}),
            )
            .await;
        assert_eq!(resp.status(), 201);

        let facilitator = app.staff(p.org, "anim@arles.example", Role::Facilitator).await;
        let agenda_path = format!("/api/v1/admin/places/{}/agenda?date=2027-01-05", p.place);
        let day = json(app.request(Method::GET, &agenda_path, Some(&facilitator), None).await).await;
        assert_eq!(day["desks"], 2);
        let days = day["days"].as_array().unwrap();
        assert_eq!(days.len(), 1);
        assert_eq!(days[0]["date"], "2027-01-05");
        let openings: Vec<(String, String)> = days[0]["openings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["starts_at"].as_str().unwrap().into(),
                    o["ends_at"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(
            openings,
            vec![
                ("2027-01-05T09:00:00+01:00".into(), "2027-01-05T12:00:00+01:00".into()),
                ("2027-01-05T13:30:00+01:00".into(), "2027-01-05T17:00:00+01:00".into()),
            ]
        );
        assert_eq!(days[0]["closures"][0]["reason"], "Agent en formation");
        let list = days[0]["appointments"].as_array().unwrap();
        assert_eq!(list.len(), 2, "cancelled ones are left out by default");
        assert_eq!(list[0]["name"], "Jeanne Martin");
        assert_eq!(list[0]["desk"], 1);
        assert_eq!(list[0]["email"], "jeanne@exemple.fr");
        assert_eq!(list[0]["phone"], "+33612345678");
        assert_eq!(list[0]["note"], "Prime d'activité");
        assert_eq!(list[0]["accessibility_needs"], "Malvoyante : grands caractères");
        assert_eq!(list[0]["motif_label"], "CAF");
        assert_eq!(list[0]["status"], "booked");
        assert_eq!(list[1]["name"], "Paul Girard");
        assert_eq!(list[1]["desk"], 2);

        let with_cancelled = json(
            app.request(
                Method::GET,
                &format!("{agenda_path}&include_cancelled=true"),
                Some(&p.admin),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(with_cancelled["days"][0]["appointments"].as_array().unwrap().len(), 3);

        // A week from Monday: five working days of openings, the weekend empty.
        let week = json(
            app.request(
                Method::GET,
                &format!("/api/v1/admin/places/{}/agenda?date=2027-01-04&days=7", p.place),
                Some(&p.admin),
                None,
            )
            .await,
        )
        .await;
        let week_days = week["days"].as_array().unwrap();
        assert_eq!(week_days.len(), 7);
        let per_day: Vec<usize> = week_days
            .iter()
            .map(|d| d["appointments"].as_array().unwrap().len())
            .collect();
        assert_eq!(per_day, vec![0, 2, 0, 1, 0, 0, 0]);
        assert!(week_days[5]["openings"].as_array().unwrap().is_empty());
        // New Year's Day is named.
        let new_year = json(
            app.request(
                Method::GET,
                &format!("/api/v1/admin/places/{}/agenda?date=2027-01-01", p.place),
                Some(&p.admin),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(new_year["days"][0]["public_holiday"], "Jour de l'an");
        assert!(new_year["days"][0]["openings"].as_array().unwrap().is_empty());

        problem(
            app.request(
                Method::GET,
                &format!("/api/v1/admin/places/{}/agenda?days=8", p.place),
                Some(&p.admin),
                None,
            )
            .await,
            422,
            "validation",
        )
        .await;
        let (_, other_admin) = app.organisation("tarascon").await;
        problem(
            app.request(Method::GET, &agenda_path, Some(&other_admin), None).await,
            404,
            "not_found",
        )
        .await;
    }
);

async fn mark(app: &TestApp, token: &str, id: i32, outcome: &str) -> reqwest::Response {
    app.request(
        Method::PUT,
        &format!("/api/v1/admin/appointments/{id}/outcome"),
        Some(token),
        Some(json!({"outcome": outcome})),
    )
    .await
}

db_test!(
    async fn staff_record_honoured_no_show_or_excused_once_the_appointment_has_started(app: TestApp) {
        let p = point(&app, 2).await;
        booked(&app, &p, tuesday_ten(), "Jeanne", "jeanne@exemple.fr").await;
        let token = booked(&app, &p, tuesday_ten(), "Paul", "paul@exemple.fr").await;
        let rows = appointments(&app).await;
        let (jeanne, paul) = (rows[0].id, rows[1].id);
        problem(mark(&app, &p.admin, jeanne, "honoured").await, 422, "not_started").await;
        let resp = app
            .request(Method::DELETE, &format!("/api/v1/appointments/{token}"), None, None)
            .await;
        assert_eq!(resp.status(), 200);

        app.state.clock.set(tuesday_ten() + Duration::minutes(40));
        // A day later than the epoch: yesterday's staff token has expired.
        let admin = app.login("admin@arles.example", "mot-de-passe-solide").await;
        let resp = mark(&app, &admin, jeanne, "honoured").await;
        let body = json(resp).await;
        assert_eq!(body["status"], "honoured", "{body}");
        let resp = mark(&app, &admin, jeanne, "no_show").await;
        assert_eq!(json(resp).await["status"], "no_show", "an outcome may be corrected");
        let resp = mark(&app, &admin, jeanne, "excused").await;
        assert_eq!(json(resp).await["status"], "excused");
        problem(mark(&app, &admin, paul, "honoured").await, 422, "cannot_mark").await;
        problem(
            app.request(
                Method::PUT,
                &format!("/api/v1/admin/appointments/{jeanne}/outcome"),
                Some(&admin),
                Some(json!({"outcome": "present"})),
            )
            .await,
            400,
            "bad_request",
        )
        .await;
        // A marked appointment keeps its desk and can no longer be moved or cancelled.
        assert_claims_match(&app).await;
        assert_eq!(claims(&app).await.len(), 2);
        problem(
            app.admin_post(
                &admin,
                &format!("/api/v1/admin/appointments/{jeanne}/cancel"),
                json!({}),
            )
            .await,
            422,
            "already_held",
        )
        .await;
        let facilitator = app.staff(p.org, "anim@arles.example", Role::Facilitator).await;
        problem(
            app.request(
                Method::PUT,
                &format!("/api/v1/admin/appointments/{jeanne}/outcome"),
                Some(&facilitator),
                Some(json!({"outcome": "honoured"})),
            )
            .await,
            403,
            "forbidden",
        )
        .await;
        let seen = json(
            app.request(
                Method::GET,
                &format!("/api/v1/admin/appointments/{jeanne}"),
                Some(&facilitator),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(seen["status"], "excused");
    }
);

db_test!(
    async fn outbox_rows_carry_the_right_kind_method_and_sequence_for_each_event(app: TestApp) {
        let p = point(&app, 2).await;
        let first = paris(2027, 1, 7, 14, 0);
        let token = booked(&app, &p, first, "Jeanne", "jeanne@exemple.fr").await;
        let id = appointments(&app).await[0].id;
        let second = paris(2027, 1, 8, 9, 0);
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/appointments/{token}"),
                None,
                Some(json!({"start": z(second)})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        // Staff move it again, to a longer reason.
        let long = add_motif(&app, &p.admin, "Retraite", 60, true, &[p.place]).await;
        let third = paris(2027, 1, 11, 14, 30);
        let resp = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/appointments/{id}"),
                Some(&p.admin),
                Some(json!({"start": z(third), "motif": long})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let moved = json(resp).await;
        assert_eq!(
            (
                moved["starts_at"].as_str(),
                moved["ends_at"].as_str(),
                moved["motif_label"].as_str()
            ),
            (
                Some("2027-01-11T14:30:00+01:00"),
                Some("2027-01-11T15:30:00+01:00"),
                Some("Retraite")
            )
        );
        assert_claims_match(&app).await;
        let resp = app
            .admin_post(
                &p.admin,
                &format!("/api/v1/admin/appointments/{id}/cancel"),
                json!({"reason": "  Agent absent, nous vous rappelons  "}),
            )
            .await;
        assert_eq!(json(resp).await["cancel_reason"], "Agent absent, nous vous rappelons");

        let rows = outbox_rows(&app).await;
        let messages: Vec<_> = rows.iter().filter(|r| r.kind != Event::Reminder).collect();
        let summary: Vec<(Event, Option<CalendarMethod>, Option<i32>)> = messages
            .iter()
            .map(|r| (r.kind, r.ical_method, r.ical_sequence))
            .collect();
        assert_eq!(
            summary,
            vec![
                (Event::AppointmentConfirmed, Some(CalendarMethod::Request), Some(0)),
                (Event::AppointmentRescheduled, Some(CalendarMethod::Request), Some(1)),
                (Event::AppointmentRescheduled, Some(CalendarMethod::Request), Some(2)),
                (Event::AppointmentCancelled, Some(CalendarMethod::Cancel), Some(3)),
            ]
        );
        let uid = expected_uid(&app, "appointment", i64::from(id)).await;
        assert!(
            messages
                .iter()
                .all(|r| r.ical_uid == messages[0].ical_uid && r.ical_uid.as_deref() == Some(uid.as_str())),
            "one calendar event for the whole life of the appointment"
        );
        assert!(
            messages
                .iter()
                .all(|r| r.booking_kind == Some(BookingKind::Appointment))
        );
        let payloads: Vec<Value> = messages
            .iter()
            .map(|r| serde_json::from_str(&r.payload).unwrap())
            .collect();
        assert_eq!(payloads[0]["title"], "CAF");
        assert_eq!(payloads[2]["title"], "Retraite");
        assert_eq!(
            payloads[2]["instructions"],
            "Apportez une pièce d'identité et vos identifiants."
        );
        assert_eq!(payloads[1]["previous_starts_at"], "2027-01-07T13:00:00Z");
        assert_eq!(payloads[2]["previous_starts_at"], "2027-01-08T08:00:00Z");
        assert!(payloads[2]["manage_url"].is_null(), "staff do not hold the token");
        assert!(
            payloads[2]["manage_key"].is_string(),
            "but the message carries the manage link"
        );
        assert_eq!(payloads[3]["reason"], "Agent absent, nous vous rappelons");
        assert_eq!(payloads[3]["event"], "appointment_cancelled");
        // Reminders: each move voided the previous ones; the cancellation voided the last.
        let reminders: Vec<_> = rows.iter().filter(|r| r.kind == Event::Reminder).collect();
        assert_eq!(reminders.len(), 6);
        assert!(reminders.iter().all(|r| r.status == OutboxStatus::Cancelled));
        assert_eq!(reminders[4].expires_at, Some(third));
        assert!(claims(&app).await.is_empty());
    }
);

db_test!(
    async fn a_closure_on_one_desk_reduces_free_desks_and_a_closure_of_the_place_removes_the_slot(app: TestApp) {
        let p = point(&app, 2).await;
        let start = tuesday_ten();
        let window = (start - Duration::hours(1), start + Duration::hours(2));
        let free = |list: &[Value]| slot_at(list, start).map(|s| s["free_desks"].as_i64().unwrap());
        assert_eq!(free(&slots(&app, p.place, p.motif, window.0, window.1).await), Some(2));
        booked(&app, &p, start, "Jeanne", "jeanne@exemple.fr").await;

        let closures = format!("/api/v1/admin/places/{}/closures", p.place);
        let resp = app
            .admin_post(
                &p.admin,
                &closures,
                json!({"desk": 2, "starts_at": z(start), "ends_at": z(start + Duration::minutes(30)), "reason": "Agent en rendez-vous médical"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let created = json(resp).await;
        assert!(
            created["affected_appointments"].as_array().unwrap().is_empty(),
            "Jeanne is on desk 1"
        );
        let desk_closure = created["closure"]["id"].as_i64().unwrap();
        // Desk 1 has Jeanne and desk 2 is closed: nothing left at 10:00; 10:30 still has two desks.
        let list = slots(&app, p.place, p.motif, window.0, window.1).await;
        assert_eq!(free(&list), None);
        assert_eq!(slot_at(&list, start + Duration::minutes(30)).unwrap()["free_desks"], 2);
        problem(
            book(&app, p.place, p.motif, start, "Paul", Some("paul@exemple.fr"), None).await,
            409,
            "slot_taken",
        )
        .await;
        // Desk 2 reopens: the slot comes back with one desk.
        let resp = app
            .request(
                Method::DELETE,
                &format!("/api/v1/admin/closures/{desk_closure}"),
                Some(&p.admin),
                None,
            )
            .await;
        assert_eq!(resp.status(), 204);
        assert_eq!(free(&slots(&app, p.place, p.motif, window.0, window.1).await), Some(1));

        // The whole place closes for the morning: no slot, a booking is refused as closed,
        // and Jeanne's appointment is listed for staff to handle.
        let resp = app
            .admin_post(
                &p.admin,
                &closures,
                json!({"starts_at": z(paris(2027, 1, 5, 9, 0)), "ends_at": z(paris(2027, 1, 5, 12, 0)), "reason": "Coupure d'électricité"}),
            )
            .await;
        let created = json(resp).await;
        let affected = created["affected_appointments"].as_array().unwrap();
        assert_eq!(affected.len(), 1);
        assert_eq!(affected[0]["name"], "Jeanne");
        let list = slots(&app, p.place, p.motif, window.0, window.1).await;
        assert!(list.is_empty(), "{list:?}");
        problem(
            book(
                &app,
                p.place,
                p.motif,
                start + Duration::minutes(30),
                "Paul",
                Some("paul@exemple.fr"),
                None,
            )
            .await,
            422,
            "closed",
        )
        .await;
        // Closures are checked: a desk the place does not have, an end before the start.
        problem(
            app.admin_post(
                &p.admin,
                &closures,
                json!({"desk": 3, "starts_at": z(start), "ends_at": z(start + Duration::hours(1)), "reason": "X"}),
            )
            .await,
            422,
            "validation",
        )
        .await;
        problem(
            app.admin_post(
                &p.admin,
                &closures,
                json!({"starts_at": z(start), "ends_at": z(start), "reason": "X"}),
            )
            .await,
            422,
            "validation",
        )
        .await;
        let listed = json(app.request(Method::GET, &closures, Some(&p.admin), None).await).await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
    }
);

db_test!(
    async fn staff_manage_opening_rules_extra_openings_and_reasons(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let place = mediation_point(&app, &admin, "Le Sambuc", 1).await;
        let rules_path = format!("/api/v1/admin/places/{place}/opening-rules");
        let rule = add_rule(&app, &admin, place, "tuesday", "09:00", "12:00", None).await;
        let rule_id = rule["id"].as_i64().unwrap();
        add_rule(&app, &admin, place, "friday", "09:00", "12:00", None).await;
        // Checked: quarter-hours, end after start, weeks 1 to 5, validity in order.
        for (body, field) in [
            (
                json!({"weekday": "monday", "start_time": "09:10", "end_time": "12:00"}),
                "start_time",
            ),
            (
                json!({"weekday": "monday", "start_time": "12:00", "end_time": "09:00"}),
                "end_time",
            ),
            (
                json!({"weekday": "monday", "start_time": "09:00", "end_time": "12:00", "weeks_of_month": [0]}),
                "weeks_of_month",
            ),
            (
                json!({"weekday": "monday", "start_time": "09:00", "end_time": "12:00", "weeks_of_month": []}),
                "weeks_of_month",
            ),
            (
                json!({"weekday": "monday", "start_time": "09:00", "end_time": "12:00", "valid_from": "2027-03-01", "valid_to": "2027-02-01"}),
                "valid_to",
            ),
        ] {
            let resp = app.admin_post(&admin, &rules_path, body).await;
            assert_eq!(resp.status(), 422);
            assert_eq!(json(resp).await["field"], field);
        }
        let motif = add_motif(&app, &admin, "Impôts", 45, true, &[place]).await;
        let week = (paris(2027, 1, 11, 0, 0), paris(2027, 1, 18, 0, 0));
        assert_eq!(slots(&app, place, motif, week.0, week.1).await.len(), 8);

        // Tuesday becomes an afternoon, valid until the end of January.
        let resp = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/opening-rules/{rule_id}"),
                Some(&admin),
                Some(
                    json!({"weekday": "tuesday", "start_time": "14:00", "end_time": "15:30", "valid_to": "2027-01-31"}),
                ),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            json(resp).await["description"],
            "Le mardi de 14\u{a0}h à 15\u{a0}h\u{a0}30, jusqu'au 31/01/2027"
        );
        let list = slots(&app, place, motif, week.0, week.1).await;
        assert_eq!(list[0]["start"], "2027-01-12T14:00:00+01:00");
        assert_eq!(list.len(), 6);
        let resp = app
            .request(
                Method::DELETE,
                &format!("/api/v1/admin/opening-rules/{rule_id}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(resp.status(), 204);
        let remaining = json(app.request(Method::GET, &rules_path, Some(&admin), None).await).await;
        assert_eq!(remaining.as_array().unwrap().len(), 1);

        // An extra Saturday opening, moved, then removed.
        let extras = format!("/api/v1/admin/places/{place}/extra-openings");
        let resp = app
            .admin_post(
                &admin,
                &extras,
                json!({"date": "2027-01-16", "start_time": "09:00", "end_time": "10:30"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let extra_id = json(resp).await["id"].as_i64().unwrap();
        assert_eq!(slots(&app, place, motif, week.0, week.1).await.len(), 6);
        let resp = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/extra-openings/{extra_id}"),
                Some(&admin),
                Some(json!({"date": "2027-01-16", "start_time": "09:00", "end_time": "12:00", "note": "Permanence impôts"})),
            )
            .await;
        assert_eq!(json(resp).await["note"], "Permanence impôts");
        assert_eq!(slots(&app, place, motif, week.0, week.1).await.len(), 8);
        let listed = json(app.request(Method::GET, &extras, Some(&admin), None).await).await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        let resp = app
            .request(
                Method::DELETE,
                &format!("/api/v1/admin/extra-openings/{extra_id}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(resp.status(), 204);
        assert_eq!(slots(&app, place, motif, week.0, week.1).await.len(), 4);

        // Reasons: checked, changed, offered by place, hidden when inactive.
        for (body, field) in [
            (json!({"label": "X", "duration_minutes": 50}), "duration_minutes"),
            (json!({"label": "X", "duration_minutes": 300}), "duration_minutes"),
            (
                json!({"label": "X", "duration_minutes": 30, "horizon_days": 0}),
                "horizon_days",
            ),
            (
                json!({"label": "X", "duration_minutes": 30, "min_notice_minutes": -5}),
                "min_notice_minutes",
            ),
            (json!({"label": "   ", "duration_minutes": 30}), "label"),
            (
                json!({"label": "X", "duration_minutes": 30, "place_ids": [999999]}),
                "place_ids",
            ),
        ] {
            let resp = app.admin_post(&admin, "/api/v1/admin/motifs", body).await;
            assert_eq!(resp.status(), 422);
            assert_eq!(json(resp).await["field"], field);
        }
        let created = json(
            app.admin_post(
                &admin,
                "/api/v1/admin/motifs",
                json!({"label": "CAF", "duration_minutes": 30}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (
                created["bookable_online"].as_bool(),
                created["min_notice_minutes"].as_i64(),
                created["horizon_days"].as_i64(),
                created["active"].as_bool()
            ),
            (Some(true), Some(120), Some(60), Some(true)),
            "defaults"
        );
        assert_eq!(created["place_ids"], json!([]));
        let caf = created["id"].as_i64().unwrap();
        let resp = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/places/{place}/motifs"),
                Some(&admin),
                Some(json!({"motif_ids": [caf, motif, caf]})),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(json(resp).await.as_array().unwrap().len(), 2);
        let public = json(app.get(&format!("/api/v1/places/{place}/motifs")).await).await;
        assert_eq!(public.as_array().unwrap().len(), 2);
        let resp = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/motifs/{motif}"),
                Some(&admin),
                Some(json!({"label": "Impôts", "duration_minutes": 45, "active": false})),
            )
            .await;
        let updated = json(resp).await;
        assert_eq!(updated["active"], false);
        assert_eq!(
            updated["place_ids"],
            json!([place]),
            "offerings kept when place_ids is absent"
        );
        let public = json(app.get("/api/v1/motifs").await).await;
        assert_eq!(public.as_array().unwrap().len(), 1, "inactive reasons are hidden");
        problem(
            app.get(&format!("/api/v1/places/{place}/slots?motif={motif}")).await,
            422,
            "motif_not_offered",
        )
        .await;
        let all = json(
            app.request(Method::GET, "/api/v1/admin/motifs", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(all.as_array().unwrap().len(), 2);

        // Another organisation sees none of it.
        let (_, other) = app.organisation("tarascon").await;
        for path in [
            format!("/api/v1/admin/motifs/{motif}"),
            format!("/api/v1/admin/opening-rules/{}", remaining[0]["id"]),
        ] {
            problem(
                app.request(
                    Method::PUT,
                    &path,
                    Some(&other),
                    Some(json!({"label": "X", "duration_minutes": 30, "weekday": "monday", "start_time": "09:00", "end_time": "10:00"})),
                )
                .await,
                404,
                "not_found",
            )
            .await;
        }
        let theirs = json(
            app.request(Method::GET, "/api/v1/admin/motifs", Some(&other), None)
                .await,
        )
        .await;
        assert!(theirs.as_array().unwrap().is_empty());
        problem(
            app.request(Method::GET, &rules_path, Some(&other), None).await,
            404,
            "not_found",
        )
        .await;
        problem(
            app.request(
                Method::PUT,
                &format!("/api/v1/admin/places/{place}/motifs"),
                Some(&other),
                Some(json!({"motif_ids": []})),
            )
            .await,
            404,
            "not_found",
        )
        .await;
    }
);

db_test!(
    async fn facilitators_read_appointments_and_hours_but_only_managers_change_them(app: TestApp) {
        let p = point(&app, 2).await;
        booked(&app, &p, tuesday_ten(), "Jeanne", "jeanne@exemple.fr").await;
        let id = appointments(&app).await[0].id;
        let facilitator = app.staff(p.org, "anim@arles.example", Role::Facilitator).await;
        let coordinator = app.staff(p.org, "coord@arles.example", Role::Coordinator).await;
        let reads = [
            format!("/api/v1/admin/places/{}/agenda", p.place),
            format!("/api/v1/admin/places/{}/opening-rules", p.place),
            format!("/api/v1/admin/places/{}/closures", p.place),
            format!("/api/v1/admin/places/{}/extra-openings", p.place),
            format!("/api/v1/admin/places/{}/motifs", p.place),
            format!("/api/v1/admin/places/{}/slots?motif={}", p.place, p.motif),
            "/api/v1/admin/motifs".to_string(),
            format!("/api/v1/admin/appointments/{id}"),
        ];
        for path in &reads {
            let resp = app.request(Method::GET, path, Some(&facilitator), None).await;
            assert_eq!(resp.status(), 200, "{path}");
            problem(app.request(Method::GET, path, None, None).await, 401, "unauthorized").await;
        }
        let writes = [
            (
                Method::POST,
                format!("/api/v1/admin/places/{}/appointments", p.place),
                staff_booking(p.motif, tuesday_ten() + Duration::hours(1)),
            ),
            (
                Method::PATCH,
                format!("/api/v1/admin/appointments/{id}"),
                json!({"start": z(tuesday_ten() + Duration::hours(1))}),
            ),
            (
                Method::POST,
                format!("/api/v1/admin/appointments/{id}/cancel"),
                json!({}),
            ),
            (
                Method::POST,
                format!("/api/v1/admin/places/{}/closures", p.place),
                json!({"starts_at": z(tuesday_ten()), "ends_at": z(tuesday_ten() + Duration::hours(1)), "reason": "X"}),
            ),
            (
                Method::POST,
                format!("/api/v1/admin/places/{}/opening-rules", p.place),
                json!({"weekday": "saturday", "start_time": "09:00", "end_time": "12:00"}),
            ),
            (
                Method::POST,
                "/api/v1/admin/motifs".to_string(),
                json!({"label": "X", "duration_minutes": 30}),
            ),
        ];
        for (method, path, body) in &writes {
            problem(
                app.request(method.clone(), path, Some(&facilitator), Some(body.clone()))
                    .await,
                403,
                "forbidden",
            )
            .await;
        }
        assert_eq!(appointments(&app).await.len(), 1, "refused calls changed nothing");
        assert_eq!(appointments(&app).await[0].starts_at, tuesday_ten());
        // A coordinator may do them all.
        for (method, path, body) in &writes {
            let resp = app
                .request(method.clone(), path, Some(&coordinator), Some(body.clone()))
                .await;
            assert!(resp.status().is_success(), "{method} {path}: {}", resp.status());
        }
        // Another organisation's staff: not found.
        let (_, other) = app.organisation("tarascon").await;
        for path in reads.iter().filter(|p| p.as_str() != "/api/v1/admin/motifs") {
            problem(
                app.request(Method::GET, path, Some(&other), None).await,
                404,
                "not_found",
            )
            .await;
        }
    }
);

db_test!(
    async fn the_demo_seeds_opening_hours_reasons_and_a_few_appointments(app: TestApp) {
        let seeded = creneau::demo::seed(&app.state).await.unwrap();
        let motifs = json(app.get("/api/v1/motifs").await).await;
        let labels: Vec<&str> = motifs
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["label"].as_str().unwrap())
            .collect();
        assert_eq!(
            labels,
            vec![
                "Compte citoyen et démarches de la Ville",
                "CAF",
                "ANTS : carte grise, permis, titres",
                "Impôts",
                "France Travail",
                "Ameli / santé",
                "Retraite",
                "Imprimer ou scanner un document",
                "Autre",
            ],
            "the staff-only reason is not listed"
        );
        let place = |name: &str| seeded.places.iter().find(|p| p.name.contains(name)).unwrap().id;
        let (sambuc, trinquetaille) = (place("Sambuc"), place("Trinquetaille"));
        let hours = json(app.get(&format!("/api/v1/places/{sambuc}/opening-hours")).await).await;
        let rules: Vec<&str> = hours["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["description"].as_str().unwrap())
            .collect();
        assert_eq!(
            rules,
            vec![
                "Le mardi de 9\u{a0}h à 12\u{a0}h",
                "Le vendredi de 9\u{a0}h à 12\u{a0}h"
            ]
        );
        let hours = json(app.get(&format!("/api/v1/places/{trinquetaille}/opening-hours")).await).await;
        assert_eq!(hours["desks"], 2);
        assert_eq!(hours["rules"].as_array().unwrap().len(), 10);
        assert!(
            hours["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["description"] == "Les 1er et 3e mercredis du mois de 13\u{a0}h\u{a0}30 à 17\u{a0}h")
        );
        let rows = appointments(&app).await;
        assert_eq!(rows.len(), 8, "six in the coming weeks, two today");
        assert!(rows.iter().any(|a| a.booked_by == BookedBy::Staff));
        assert_claims_match(&app).await;
        // The first CAF slot at Trinquetaille is full: its two desks are taken.
        let caf = motifs.as_array().unwrap()[1]["id"].as_i64().unwrap() as i32;
        let first = rows.iter().find(|a| a.name == "Jeanne Martin").unwrap().starts_at;
        assert!(rows.iter().any(|a| a.name == "Ahmed Haddad" && a.starts_at == first));
        let list = slots(&app, trinquetaille, caf, first, first + Duration::hours(1)).await;
        assert!(slot_at(&list, first).is_none());
    }
);
