//! The staff side of workshops, and who may do what.
use creneau::auth::Role;
use creneau_tests::db_test;
use entities::kinds::{CalendarMethod, Event, OutboxStatus, RegistrationStatus};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

db_test!(
    async fn staff_register_a_resident_by_phone_alone_and_mark_attendance_once_the_session_has_begun(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        // Five hours from now.
        let f = app.session_with(&admin, 8, 0).await;
        let resp = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/sessions/{}/registrations", f.session_id),
                json!({"name": "Ahmed Haddad", "phone": "06 12 34 56 78"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let r = json(resp).await;
        assert_eq!(
            (r["status"].as_str(), r["phone"].as_str(), r["booked_by"].as_str()),
            (Some("confirmed"), Some("+33612345678"), Some("staff"))
        );
        // No e-mail: the message is recorded for staff to phone, never sent.
        let rows = outbox_summary(&app).await;
        assert!(rows.iter().all(|r| r.1.is_none() && r.4 == "no_email"), "{rows:?}");

        let list = json(
            app.request(
                Method::GET,
                &format!("/api/v1/admin/sessions/{}/registrations", f.session_id),
                Some(&admin),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(list.as_array().unwrap().len(), 1);

        let id = r["id"].as_i64().unwrap();
        let early = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/registrations/{id}/attendance"),
                Some(&admin),
                Some(json!({"attendance": "present"})),
            )
            .await;
        let message = problem(early, 422, "not_started").await;
        assert!(message.contains("une fois la séance commencée"), "{message}");
        assert_eq!(
            registrations(&app, f.session_id).await[0].attendance,
            entities::kinds::Attendance::Unknown,
            "the early mark changed nothing"
        );

        app.state.clock.advance(chrono::Duration::hours(5));
        let mark = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/registrations/{id}/attendance"),
                Some(&admin),
                Some(json!({"attendance": "present"})),
            )
            .await;
        assert_eq!(json(mark).await["attendance"], "present");

        // A facilitator may mark attendance of their own sessions only.
        let facilitator = app.staff(org, "anim@arles.example", Role::Facilitator).await;
        let denied = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/registrations/{id}/attendance"),
                Some(&facilitator),
                Some(json!({"attendance": "absent"})),
            )
            .await;
        problem(denied, 403, "forbidden").await;
        let me = json(
            app.request(Method::GET, "/api/v1/auth/me", Some(&facilitator), None)
                .await,
        )
        .await;
        let assign = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/sessions/{}", f.session_id),
                Some(&admin),
                Some(json!({"facilitator_id": me["id"]})),
            )
            .await;
        assert_eq!(assign.status(), 200);
        let allowed = app
            .request(
                Method::PUT,
                &format!("/api/v1/admin/registrations/{id}/attendance"),
                Some(&facilitator),
                Some(json!({"attendance": "absent"})),
            )
            .await;
        assert_eq!(json(allowed).await["attendance"], "absent");
    }
);

db_test!(
    async fn cancelling_a_session_cancels_every_registration_and_tells_everyone(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        app.register(f.session_id, "Ana", Some("a@exemple.fr"), None).await;
        app.register(f.session_id, "Bob", Some("b@exemple.fr"), None).await;
        let resp = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/sessions/{}/cancel", f.session_id),
                json!({"reason": "Animatrice malade"}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(json(resp).await["status"], "cancelled");
        assert!(
            registrations(&app, f.session_id)
                .await
                .iter()
                .all(|r| r.status == RegistrationStatus::Cancelled)
        );
        let rows: Vec<_> = outbox_summary(&app)
            .await
            .into_iter()
            .filter(|r| r.0 == "session_cancelled")
            .collect();
        assert_eq!(rows.len(), 2);
        // Ana had an invite: it is withdrawn. Bob was only waitlisted: a plain message.
        assert_eq!(
            (rows[0].1.as_deref(), rows[0].2.as_deref(), rows[0].3),
            (Some("a@exemple.fr"), Some("CANCEL"), Some(1))
        );
        assert_eq!(
            (rows[1].1.as_deref(), rows[1].2.as_deref()),
            (Some("b@exemple.fr"), None)
        );
        assert!(
            outbox_rows(&app)
                .await
                .iter()
                .filter(|r| r.kind == Event::Reminder)
                .all(|r| r.status == OutboxStatus::Cancelled)
        );
        let refused = app.register(f.session_id, "Chloé", Some("c@exemple.fr"), None).await;
        problem(refused, 422, "session_cancelled").await;
    }
);

db_test!(
    async fn a_capacity_rise_promotes_from_the_waiting_list_and_a_cut_below_the_confirmed_count_is_refused(
        app: TestApp,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 2, 3).await;
        for i in 0..5 {
            app.register(f.session_id, &format!("P{i}"), Some(&format!("p{i}@exemple.fr")), None)
                .await;
        }
        let path = format!("/api/v1/admin/sessions/{}", f.session_id);
        let raised = json(
            app.request(Method::PATCH, &path, Some(&admin), Some(json!({"capacity": 4})))
                .await,
        )
        .await;
        assert_eq!(
            (raised["seats_left"].as_i64(), raised["waitlist_count"].as_i64()),
            (Some(0), Some(1))
        );
        let promoted = outbox_summary(&app)
            .await
            .into_iter()
            .filter(|r| r.0 == "registration_promoted")
            .count();
        assert_eq!(promoted, 2);
        let cut = app
            .request(Method::PATCH, &path, Some(&admin), Some(json!({"capacity": 3})))
            .await;
        problem(cut, 409, "capacity_below_confirmed").await;
        assert_eq!(session_row(&app, f.session_id).await.capacity, 4);
    }
);

db_test!(
    async fn moving_a_session_sends_an_updated_invite_with_the_next_sequence_and_moves_reminders(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        app.register(f.session_id, "Ana", Some("a@exemple.fr"), None).await;
        let old = session_row(&app, f.session_id).await;
        let new_start = old.starts_at + chrono::Duration::days(1);
        let resp = app
        .request(Method::PATCH, &format!("/api/v1/admin/sessions/{}", f.session_id), Some(&admin), Some(json!({
            "starts_at": new_start.to_rfc3339(), "ends_at": (new_start + chrono::Duration::hours(2)).to_rfc3339()
        })))
        .await;
        assert_eq!(resp.status(), 200);
        let moved = outbox_rows(&app)
            .await
            .into_iter()
            .find(|r| r.kind == Event::SessionMoved)
            .expect("a message about the move");
        assert_eq!(
            (moved.ical_method, moved.ical_sequence),
            (Some(CalendarMethod::Request), Some(1))
        );
        let payload: Value = serde_json::from_str(&moved.payload).unwrap();
        assert_eq!(
            payload["starts_at"].as_str().unwrap(),
            new_start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        let reminders: Vec<_> = outbox_rows(&app)
            .await
            .into_iter()
            .filter(|r| r.kind == Event::Reminder)
            .collect();
        assert_eq!(
            reminders.iter().filter(|r| r.status == OutboxStatus::Cancelled).count(),
            2
        );
        let pending: Vec<_> = reminders.iter().filter(|r| r.status == OutboxStatus::Pending).collect();
        assert_eq!(pending.len(), 2);
        assert!(pending.iter().all(|r| r.expires_at == Some(new_start)));
    }
);

db_test!(
    async fn a_weekly_series_skips_public_holidays_and_keeps_its_wall_time_across_daylight_saving(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        // Thursdays 10:00–12:00 from March to mid-May 2027: DST starts on 28 March, Ascension is 6 May.
        let resp = app
            .admin_post(
                &admin,
                "/api/v1/admin/sessions/series",
                json!({
                    "workshop_id": f.workshop_id, "place_id": f.place_id, "weekday": "thursday",
                    "start_time": "10:00", "end_time": "12:00", "first_date": "2027-03-04", "last_date": "2027-05-13"
                }),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let body = json(resp).await;
        let sessions = body["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 10, "11 Thursdays minus Ascension");
        assert_eq!(body["skipped"], json!([{"date": "2027-05-06", "holiday": "Ascension"}]));
        for s in sessions {
            let start = s["starts_at"].as_str().unwrap();
            assert!(start.contains("T10:00:00"), "10:00 wall time: {start}");
        }
        assert!(sessions[0]["starts_at"].as_str().unwrap().ends_with("+01:00"));
        assert!(sessions[9]["starts_at"].as_str().unwrap().ends_with("+02:00"));
    }
);

db_test!(
    async fn staff_operations_need_a_valid_token_the_right_role_and_the_same_organisation(app: TestApp) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let (_, other_admin) = app.organisation("tarascon").await;
        let facilitator = app.staff(org, "anim@arles.example", Role::Facilitator).await;
        let path = format!("/api/v1/admin/sessions/{}/registrations", f.session_id);

        problem(app.request(Method::GET, &path, None, None).await, 401, "unauthorized").await;
        problem(
            app.request(Method::GET, &path, Some("not-a-token"), None).await,
            401,
            "unauthorized",
        )
        .await;
        problem(
            app.request(Method::GET, &path, Some(&other_admin), None).await,
            404,
            "not_found",
        )
        .await;
        assert_eq!(
            app.request(Method::GET, &path, Some(&facilitator), None).await.status(),
            200
        );
        let body = json!({"name": "Ahmed", "phone": "0612345678"});
        problem(
            app.request(Method::POST, &path, Some(&facilitator), Some(body.clone()))
                .await,
            403,
            "forbidden",
        )
        .await;
        problem(
            app.request(Method::POST, &path, Some(&other_admin), Some(body)).await,
            404,
            "not_found",
        )
        .await;
        assert!(registrations(&app, f.session_id).await.is_empty());

        // Logging out revokes the token; an expired token is refused too.
        assert_eq!(
            app.request(Method::POST, "/api/v1/auth/logout", Some(&facilitator), None)
                .await
                .status(),
            204
        );
        problem(
            app.request(Method::GET, &path, Some(&facilitator), None).await,
            401,
            "unauthorized",
        )
        .await;
        app.state.clock.advance(chrono::Duration::hours(13));
        problem(
            app.request(Method::GET, &path, Some(&admin), None).await,
            401,
            "unauthorized",
        )
        .await;
    }
);
