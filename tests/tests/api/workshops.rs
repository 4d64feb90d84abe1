//! The resident side of workshops.
use entities::kinds::{Event, OutboxStatus, RegistrationStatus};
use std::sync::Arc;

use creneau_tests::db_test;
use serde_json::{Value, json};

use crate::helpers::*;

db_test!(
    async fn a_resident_registers_gets_a_seat_and_cancels_with_the_manage_token(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;

        let resp = app
            .register(f.session_id, "Jeanne Martin", Some("Jeanne.Martin@Exemple.fr"), None)
            .await;
        assert_eq!(resp.status(), 201);
        let body = json(resp).await;
        assert_eq!(body["status"], "confirmed");
        assert_eq!(body["session"]["seats_left"], 7);
        let token = body["manage_token"].as_str().unwrap().to_string();
        assert!(token.len() >= 43, "at least 256 bits, URL-safe");
        assert!(body["manage_url"].as_str().unwrap().ends_with(&token));

        // Only the hash is stored.
        let rows = registrations(&app, f.session_id).await;
        assert_ne!(rows[0].manage_token_hash, token);
        assert_eq!(rows[0].email.as_deref(), Some("jeanne.martin@exemple.fr"));

        let seen = json(app.get(&format!("/api/v1/registrations/{token}")).await).await;
        assert_eq!(seen["name"], "Jeanne Martin");
        assert_eq!(seen["can_cancel"], true);

        let resp = app
            .request(
                reqwest::Method::DELETE,
                &format!("/api/v1/registrations/{token}"),
                None,
                None,
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(json(resp).await["status"], "cancelled");
        assert_eq!(session_row(&app, f.session_id).await.seats_taken, 0);

        // Cancelling twice says so and changes nothing.
        let again = app
            .request(
                reqwest::Method::DELETE,
                &format!("/api/v1/registrations/{token}"),
                None,
                None,
            )
            .await;
        problem(again, 409, "already_cancelled").await;

        let kinds: Vec<_> = outbox_summary(&app)
            .await
            .into_iter()
            .filter(|r| r.0 != "reminder")
            .collect();
        assert_eq!(
            kinds,
            vec![
                (
                    "registration_confirmed".into(),
                    Some("jeanne.martin@exemple.fr".into()),
                    Some("REQUEST".into()),
                    Some(0),
                    "pending".into()
                ),
                (
                    "registration_cancelled".into(),
                    Some("jeanne.martin@exemple.fr".into()),
                    Some("CANCEL".into()),
                    Some(1),
                    "pending".into()
                ),
            ]
        );
        // Both reminders (48 h and 3 h before) were queued, then voided by the cancellation.
        let reminders: Vec<_> = outbox_rows(&app)
            .await
            .into_iter()
            .filter(|r| r.kind == Event::Reminder)
            .collect();
        assert_eq!(reminders.len(), 2);
        assert!(reminders.iter().all(|r| r.status == OutboxStatus::Cancelled));
    }
);

db_test!(
    async fn a_full_session_puts_people_on_the_waiting_list_and_a_cancellation_promotes_the_first(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 2, 5).await;
        let mut tokens = Vec::new();
        for (i, name) in ["Ana", "Bob", "Chloé", "Driss"].iter().enumerate() {
            let body = json(
                app.register(f.session_id, name, Some(&format!("p{i}@exemple.fr")), None)
                    .await,
            )
            .await;
            tokens.push(body["manage_token"].as_str().unwrap().to_string());
            let expected = if i < 2 { "confirmed" } else { "waitlisted" };
            assert_eq!(body["status"], expected, "{name}");
            if i >= 2 {
                assert_eq!(body["waitlist_position"], i as i64 - 1);
            }
        }
        let s = json(app.get(&format!("/api/v1/sessions/{}", f.session_id)).await).await;
        assert_eq!(
            (s["seats_left"].as_i64(), s["waitlist_count"].as_i64()),
            (Some(0), Some(2))
        );

        // Bob cancels: Chloé (first in line) gets the seat, Driss moves up.
        let resp = app
            .request(
                reqwest::Method::DELETE,
                &format!("/api/v1/registrations/{}", tokens[1]),
                None,
                None,
            )
            .await;
        assert_eq!(resp.status(), 200);
        let chloe = json(app.get(&format!("/api/v1/registrations/{}", tokens[2])).await).await;
        assert_eq!(chloe["status"], "confirmed");
        let driss = json(app.get(&format!("/api/v1/registrations/{}", tokens[3])).await).await;
        assert_eq!(
            (driss["status"].as_str(), driss["waitlist_position"].as_i64()),
            (Some("waitlisted"), Some(1))
        );
        assert_eq!(session_row(&app, f.session_id).await.seats_taken, 2);

        let rows: Vec<_> = outbox_summary(&app)
            .await
            .into_iter()
            .filter(|r| r.0 != "reminder")
            .collect();
        let for_chloe: Vec<_> = rows
            .iter()
            .filter(|r| r.1.as_deref() == Some("p2@exemple.fr"))
            .collect();
        assert_eq!(for_chloe.len(), 2);
        assert_eq!(
            (for_chloe[0].0.as_str(), for_chloe[0].2.as_deref()),
            ("registration_waitlisted", None)
        );
        assert_eq!(
            (for_chloe[1].0.as_str(), for_chloe[1].2.as_deref(), for_chloe[1].3),
            ("registration_promoted", Some("REQUEST"), Some(1))
        );
        // The promotion scheduled Chloé's own reminders.
        let chloe_id = registrations(&app, f.session_id).await[2].id;
        let reminders = outbox_rows(&app)
            .await
            .into_iter()
            .filter(|r| {
                r.kind == Event::Reminder && r.booking_id == Some(chloe_id) && r.status == OutboxStatus::Pending
            })
            .count();
        assert_eq!(reminders, 2);
    }
);

db_test!(
    async fn two_hundred_and_twenty_concurrent_registrations_fill_exactly_twelve_seats(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 12, 10).await;
        let app = Arc::new(app);
        let mut tasks = Vec::new();
        for i in 0..220 {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                let resp = app
                    .register(
                        f.session_id,
                        &format!("Personne {i}"),
                        Some(&format!("p{i}@exemple.fr")),
                        None,
                    )
                    .await;
                assert_eq!(resp.status(), 201, "every request is answered");
                json(resp).await["status"].as_str().unwrap().to_string()
            }));
        }
        let mut confirmed = 0;
        let mut waitlisted = 0;
        for t in tasks {
            match t.await.unwrap().as_str() {
                "confirmed" => confirmed += 1,
                "waitlisted" => waitlisted += 1,
                other => panic!("unexpected status {other}"),
            }
        }
        assert_eq!((confirmed, waitlisted), (12, 208));
        assert_eq!(session_row(&app, f.session_id).await.seats_taken, 12);
        let rows = registrations(&app, f.session_id).await;
        assert_eq!(rows.len(), 220, "nothing lost");
        assert_eq!(
            rows.iter()
                .filter(|r| r.status == RegistrationStatus::Confirmed)
                .count(),
            12
        );
        let s = json(app.get(&format!("/api/v1/sessions/{}", f.session_id)).await).await;
        assert_eq!(
            (s["seats_left"].as_i64(), s["waitlist_count"].as_i64()),
            (Some(0), Some(208))
        );
    }
);

db_test!(
    async fn the_same_person_cannot_register_twice_for_one_session(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        assert_eq!(
            app.register(
                f.session_id,
                "Jeanne",
                Some("jeanne@exemple.fr"),
                Some("06 12 34 56 78")
            )
            .await
            .status(),
            201
        );
        // The same person: the same name (case, accents and spacing aside) and one contact.
        let same_email = app
            .register(f.session_id, " JEANNE ", Some(" JEANNE@exemple.fr"), None)
            .await;
        problem(same_email, 409, "already_registered").await;
        let same_phone = app
            .register(f.session_id, "jeanne", None, Some("+33 6 12 34 56 78"))
            .await;
        problem(same_phone, 409, "already_registered").await;
        assert_eq!(registrations(&app, f.session_id).await.len(), 1);
        assert_eq!(session_row(&app, f.session_id).await.seats_taken, 1);
    }
);

db_test!(
    async fn two_people_of_one_household_register_for_one_session_with_the_same_phone_or_email(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let first = app
            .register(
                f.session_id,
                "Zoé Lefèvre",
                Some("famille@exemple.fr"),
                Some("06 12 34 56 78"),
            )
            .await;
        assert_eq!(first.status(), 201);
        let same_phone = app
            .register(f.session_id, "Marc Lefèvre", None, Some("06 12 34 56 78"))
            .await;
        assert_eq!(same_phone.status(), 201);
        let same_email = app
            .register(f.session_id, "Inès Lefèvre", Some("Famille@exemple.fr"), None)
            .await;
        assert_eq!(same_email.status(), 201);
        // Zoé herself, written another way, is still one person.
        let zoe_again = app
            .register(f.session_id, "zoe  LEFEVRE", None, Some("+33612345678"))
            .await;
        problem(zoe_again, 409, "already_registered").await;
        assert_eq!(registrations(&app, f.session_id).await.len(), 3);
        assert_eq!(session_row(&app, f.session_id).await.seats_taken, 3);

        // Once Marc cancels, he may register again.
        let token = json(same_phone).await["manage_token"].as_str().unwrap().to_string();
        let cancel = app
            .request(
                reqwest::Method::DELETE,
                &format!("/api/v1/registrations/{token}"),
                None,
                None,
            )
            .await;
        assert_eq!(cancel.status(), 200);
        let again = app
            .register(f.session_id, "Marc Lefevre", None, Some("06 12 34 56 78"))
            .await;
        assert_eq!(again.status(), 201);
    }
);

db_test!(
    async fn a_phone_number_one_digit_short_is_refused_with_a_french_422(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let short = app
            .register(f.session_id, "Jeanne Martin", None, Some("+33 6 12 34 56 7"))
            .await;
        let message = problem(short, 422, "validation").await;
        assert!(
            message.contains("Ce numéro n'a pas le bon nombre de chiffres"),
            "{message}"
        );
        assert!(registrations(&app, f.session_id).await.is_empty());

        // A landline and a foreign mobile are stored in E.164.
        assert_eq!(
            app.register(f.session_id, "Jeanne Martin", None, Some("04.90.49.39.39"))
                .await
                .status(),
            201
        );
        assert_eq!(
            app.register(f.session_id, "Hans Müller", None, Some("+49 151 23456789"))
                .await
                .status(),
            201
        );
        let mut phones: Vec<_> = registrations(&app, f.session_id)
            .await
            .into_iter()
            .filter_map(|r| r.phone)
            .collect();
        phones.sort();
        assert_eq!(phones, vec!["+33490493939", "+4915123456789"]);
    }
);

db_test!(
    async fn bad_input_gets_a_french_json_problem_and_changes_nothing(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let path = format!("/api/v1/sessions/{}/registrations", f.session_id);

        let no_contact = app.post(&path, json!({"name": "Jeanne", "consent": true})).await;
        assert!(
            problem(no_contact, 422, "validation")
                .await
                .contains("e-mail ou un numéro")
        );
        let no_name = app.post(&path, json!({"name": " ", "phone": "06 12 34 56 78"})).await;
        assert_eq!(problem(no_name, 422, "validation").await, "Indiquez votre nom.");
        let bad_email = app
            .post(&path, json!({"name": "Jeanne", "email": "jeanne@", "consent": true}))
            .await;
        problem(bad_email, 422, "validation").await;
        let header_injection = app
            .post(
                &path,
                json!({"name": "Jeanne\r\nBcc: x@y.fr", "email": "j@exemple.fr", "consent": true}),
            )
            .await;
        problem(header_injection, 422, "validation").await;
        let malformed = app
            .client
            .post(format!("{}{path}", app.base))
            .header("content-type", "application/json")
            .body("{\"name\":")
            .send()
            .await
            .unwrap();
        let message = problem(malformed, 400, "bad_request").await;
        assert!(
            message.starts_with("Requête invalide : le corps n'est pas du JSON valide (ligne 1, colonne 8)"),
            "{message}"
        );
        let missing = app.post(&path, json!({"email": "j@exemple.fr"})).await;
        let message = problem(missing, 400, "bad_request").await;
        assert_eq!(
            message,
            "Requête invalide : un champ manque ou vaut null (du texte attendu) (voir /docs)."
        );
        let bad_path = app
            .post(
                "/api/v1/sessions/douze/registrations",
                json!({"name": "J", "phone": "0612345678"}),
            )
            .await;
        let message = problem(bad_path, 400, "bad_request").await;
        assert_eq!(
            message,
            "Requête invalide : un élément de l'adresse n'est pas valide (un nombre entier attendu)."
        );
        let unknown_session = app
            .post(
                "/api/v1/sessions/999999/registrations",
                json!({"name": "J", "email": "j@exemple.fr", "consent": true}),
            )
            .await;
        problem(unknown_session, 404, "not_found").await;
        let huge = app
            .post(
                &path,
                json!({"name": "x".repeat(100_000), "email": "j@exemple.fr", "consent": true}),
            )
            .await;
        problem(huge, 413, "payload_too_large").await;

        assert!(registrations(&app, f.session_id).await.is_empty());
        assert!(outbox_rows(&app).await.is_empty());
        assert_eq!(session_row(&app, f.session_id).await.seats_taken, 0);
    }
);

db_test!(
    async fn no_consent_is_asked_so_a_registration_without_it_is_taken(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let path = format!("/api/v1/sessions/{}/registrations", f.session_id);
        let without = app
            .post(&path, json!({"name": "Jeanne", "email": "j@exemple.fr"}))
            .await;
        assert_eq!(without.status(), 201);
        let old_client = app
            .post(
                &path,
                json!({"name": "Paul", "email": "p@exemple.fr", "consent": false}),
            )
            .await;
        assert_eq!(old_client.status(), 201, "the old field is accepted and ignored");
        assert_eq!(registrations(&app, f.session_id).await.len(), 2);
    }
);

db_test!(
    async fn registration_closes_at_the_start_and_a_resident_cannot_cancel_after_it(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 1).await;
        let body = json(app.register(f.session_id, "Jeanne", Some("j@exemple.fr"), None).await).await;
        let token = body["manage_token"].as_str().unwrap().to_string();
        // The session starts one day and five hours after the test epoch.
        app.state.clock.advance(chrono::Duration::hours(29));
        let late = app.register(f.session_id, "Paul", Some("p@exemple.fr"), None).await;
        problem(late, 422, "registration_closed").await;
        let cancel = app
            .request(
                reqwest::Method::DELETE,
                &format!("/api/v1/registrations/{token}"),
                None,
                None,
            )
            .await;
        problem(cancel, 422, "too_late").await;
        let seen = json(app.get(&format!("/api/v1/registrations/{token}")).await).await;
        assert_eq!(
            (seen["status"].as_str(), seen["can_cancel"].as_bool()),
            (Some("confirmed"), Some(false))
        );
    }
);

db_test!(
    async fn a_manage_token_reaches_only_its_own_registration(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let a = json(app.register(f.session_id, "Ana", Some("a@exemple.fr"), None).await).await;
        let b = json(app.register(f.session_id, "Bob", Some("b@exemple.fr"), None).await).await;
        let ta = a["manage_token"].as_str().unwrap();
        assert_eq!(
            json(app.get(&format!("/api/v1/registrations/{ta}")).await).await["name"],
            "Ana"
        );
        assert_ne!(a["manage_token"], b["manage_token"]);
        for bad in ["nope", "../../etc/passwd", &"A".repeat(43), &format!("{ta}x")] {
            let resp = app.get(&format!("/api/v1/registrations/{bad}")).await;
            assert_eq!(resp.status(), 404, "{bad}");
            let resp = app
                .request(
                    reqwest::Method::DELETE,
                    &format!("/api/v1/registrations/{bad}"),
                    None,
                    None,
                )
                .await;
            assert_eq!(resp.status(), 404, "{bad}");
        }
        assert_eq!(
            registrations(&app, f.session_id)
                .await
                .iter()
                .filter(|r| r.status == RegistrationStatus::Confirmed)
                .count(),
            2
        );
    }
);

db_test!(
    async fn the_public_listing_shows_upcoming_sessions_with_seats_and_filters(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f1 = app.session_with(&admin, 8, 3).await;
        let f2 = app.session_with(&admin, 4, 20).await;
        app.register(f2.session_id, "Ana", Some("a@exemple.fr"), None).await;
        let all: Vec<Value> = json(app.get("/api/v1/sessions").await)
            .await
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0]["id"], f1.session_id);
        assert_eq!(all[1]["seats_left"], 3);
        assert!(
            all[0]["starts_at"].as_str().unwrap().ends_with("+01:00"),
            "Paris wall time in January"
        );
        let only_place = json(app.get(&format!("/api/v1/sessions?place={}", f2.place_id)).await).await;
        assert_eq!(only_place.as_array().unwrap().len(), 1);
        let window = json(
            app.get("/api/v1/sessions?from=2027-01-10T00:00:00%2B01:00&to=2027-02-01T00:00:00%2B01:00")
                .await,
        )
        .await;
        assert_eq!(window.as_array().unwrap().len(), 1);
        let places = json(app.get("/api/v1/places").await).await;
        assert_eq!(places.as_array().unwrap().len(), 2);
        let workshops = json(app.get("/api/v1/workshops").await).await;
        assert_eq!(workshops.as_array().unwrap().len(), 2);
    }
);

db_test!(
    async fn the_cached_listing_shows_a_booking_as_soon_as_it_is_committed(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let seats = |v: Value| v[0]["seats_left"].as_i64();
        assert_eq!(seats(json(app.get("/api/v1/sessions").await).await), Some(8));
        assert_eq!(seats(json(app.get("/api/v1/sessions").await).await), Some(8));
        app.register(f.session_id, "Ana", Some("a@exemple.fr"), None).await;
        assert_eq!(seats(json(app.get("/api/v1/sessions").await).await), Some(7));
        // Another instance's booking: at most one second old, here the clock's next second.
        creneau::workshops::service::register(
            &app.state,
            f.session_id,
            creneau::domain::contact::Contact::parse("Bob", Some("b@exemple.fr"), None).unwrap(),
            None,
            creneau::workshops::service::Booker::Resident,
        )
        .await
        .unwrap();
        app.state.clock.advance(chrono::Duration::seconds(1));
        assert_eq!(seats(json(app.get("/api/v1/sessions").await).await), Some(6));
    }
);
