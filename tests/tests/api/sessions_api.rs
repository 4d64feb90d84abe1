//! The admin API behind the session page's actions: move, remove, promote a registrant,
//! cancel a series from a date, one more seat at the counter.
use creneau_tests::db_test;
use entities::kinds::{Event, RegistrationStatus, SessionStatus};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn id_of(resp: reqwest::Response) -> i64 {
    let body: Value = json(resp).await;
    body["id"].as_i64().unwrap_or_else(|| panic!("{body}"))
}

db_test!(
    async fn a_registrant_is_moved_through_the_api_and_a_full_target_is_refused(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        let start = app.now() + chrono::Duration::days(10);
        let target = |capacity: i32| {
            let admin = admin.clone();
            let app = &app;
            async move {
                id_of(
                    app.admin_post(
                        &admin,
                        "/api/v1/admin/sessions",
                        json!({"workshop_id": f.workshop_id, "place_id": f.place_id, "capacity": capacity,
                               // Two sessions side by side at one place: the overlap is meant.
                               "confirm_warnings": true,
                               "starts_at": start.to_rfc3339(), "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339()}),
                    )
                    .await,
                )
                .await
            }
        };
        let roomy = target(3).await;
        let full = target(1).await;
        app.register(full as i32, "Chloé", Some("chloe@exemple.fr"), None).await;
        let ana = id_of(app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await).await;
        let bob = id_of(app.register(f.session_id, "Bob", Some("bob@exemple.fr"), None).await).await;

        let path = format!("/api/v1/admin/registrations/{ana}/move");
        let refused = app.admin_post(&admin, &path, json!({"session_id": full})).await;
        let message = problem(refused, 409, "session_full").await;
        assert!(message.contains("complète"), "{message}");
        assert_eq!(
            registrations(&app, f.session_id).await[0].status,
            RegistrationStatus::Confirmed
        );
        problem(
            app.admin_post(&admin, &path, json!({"session_id": f.session_id})).await,
            422,
            "validation",
        )
        .await;

        let moved = json(app.admin_post(&admin, &path, json!({"session_id": roomy})).await).await;
        assert_eq!(
            (moved["session_id"].as_i64(), moved["status"].as_str()),
            (Some(roomy), Some("confirmed"))
        );
        let here = registrations(&app, f.session_id).await;
        assert_eq!(
            (here[0].id as i64, here[0].status),
            (bob, RegistrationStatus::Confirmed)
        );

        // Another organisation's admin finds neither the registration nor the session.
        let (_, other) = app.organisation("tarascon").await;
        problem(
            app.admin_post(&other, &path, json!({"session_id": f.session_id})).await,
            404,
            "not_found",
        )
        .await;
    }
);

db_test!(
    async fn a_registrant_is_removed_with_a_reason_and_a_waiting_one_promoted_by_hand(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        let ana = id_of(app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await).await;
        let bob = id_of(app.register(f.session_id, "Bob", Some("bob@exemple.fr"), None).await).await;
        let chloe = id_of(
            app.register(f.session_id, "Chloé", Some("chloe@exemple.fr"), None)
                .await,
        )
        .await;

        let blank = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/registrations/{ana}/remove"),
                json!({"reason": " "}),
            )
            .await;
        problem(blank, 422, "validation").await;
        let promote = format!("/api/v1/admin/registrations/{chloe}/promote");
        problem(app.admin_post(&admin, &promote, json!({})).await, 409, "no_seat_left").await;
        let promoted = json(app.admin_post(&admin, &promote, json!({"extra_seat": true})).await).await;
        assert_eq!(promoted["status"], "confirmed");
        assert_eq!(session_row(&app, f.session_id).await.capacity, 2);

        let removed = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/registrations/{ana}/remove"),
                json!({"reason": "Absente pour raison de santé"}),
            )
            .await;
        assert_eq!(json(removed).await["status"], "cancelled");
        let rows = registrations(&app, f.session_id).await;
        let b = rows.iter().find(|r| r.id as i64 == bob).unwrap();
        assert_eq!(
            b.status,
            RegistrationStatus::Confirmed,
            "the first in line gets the seat"
        );
        let told = outbox_rows(&app)
            .await
            .into_iter()
            .rfind(|r| r.booking_id == Some(ana as i32) && r.kind == Event::RegistrationCancelled)
            .unwrap();
        assert!(told.payload.contains("Absente pour raison de santé"));
    }
);

db_test!(
    async fn a_series_is_listed_then_cancelled_from_a_date_through_the_api(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let series = json(
            app.admin_post(
                &admin,
                "/api/v1/admin/sessions/series",
                json!({"workshop_id": f.workshop_id, "place_id": f.place_id, "weekday": "tuesday",
                       "start_time": "14:00", "end_time": "16:00", "first_date": "2027-01-05", "last_date": "2027-01-26"}),
            )
            .await,
        )
        .await;
        let first = series["sessions"][0]["id"].as_i64().unwrap();
        let listed = json(
            app.request(
                Method::GET,
                &format!("/api/v1/admin/sessions/{first}/series?from=2027-01-12"),
                Some(&admin),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(listed.as_array().unwrap().len(), 3);
        let cancelled = json(
            app.admin_post(
                &admin,
                &format!("/api/v1/admin/sessions/{first}/series/cancel"),
                json!({"from": "2027-01-12", "reason": "Travaux"}),
            )
            .await,
        )
        .await;
        assert_eq!(cancelled.as_array().unwrap().len(), 3);
        assert_eq!(session_row(&app, first as i32).await.status, SessionStatus::Scheduled);
        let alone = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/sessions/{}/series/cancel", f.session_id),
                json!({"from": "2027-01-12"}),
            )
            .await;
        problem(alone, 422, "not_a_series").await;
    }
);

db_test!(
    async fn staff_add_one_seat_for_the_person_at_the_counter_through_the_api(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        let path = format!("/api/v1/admin/sessions/{}/registrations", f.session_id);
        let r = json(
            app.admin_post(
                &admin,
                &path,
                json!({"name": "Paul Durand", "phone": "06 98 76 54 32", "extra_seat": true}),
            )
            .await,
        )
        .await;
        assert_eq!(r["status"], "confirmed");
        let s = session_row(&app, f.session_id).await;
        assert_eq!((s.capacity, s.seats_taken), (2, 2));
    }
);

db_test!(
    async fn a_registration_s_page_says_its_session_was_moved_with_the_old_and_new_date(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        let start = app.now() + chrono::Duration::days(10);
        let other = id_of(
            app.admin_post(
                &admin,
                "/api/v1/admin/sessions",
                json!({"workshop_id": f.workshop_id, "place_id": f.place_id, "capacity": 3, "confirm_warnings": true,
                       "starts_at": start.to_rfc3339(), "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339()}),
            )
            .await,
        )
        .await;
        let resp = app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        let body: Value = json(resp).await;
        let (ana, token) = (
            body["id"].as_i64().unwrap(),
            body["manage_token"].as_str().unwrap().to_string(),
        );
        let page = |token: String| {
            let app = &app;
            async move { app.get(&format!("/inscription/{token}")).await.text().await.unwrap() }
        };
        let before = page(token.clone()).await;
        assert!(before.contains("Votre inscription est confirmée"), "{before}");
        assert!(!before.contains("déplacé"));

        let moved = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/registrations/{ana}/move"),
                json!({"session_id": other}),
            )
            .await;
        assert_eq!(moved.status(), 200);
        let after = page(token).await.replace("&#x27;", "'");
        assert!(after.contains("<h1>Votre atelier a été déplacé</h1>"), "{after}");
        assert!(after.contains("Votre atelier a été déplacé : nouvelle date"));
        assert!(after.contains("Ancienne date"), "the old date is shown");
        assert!(after.contains("Nouvelle date"));
    }
);
