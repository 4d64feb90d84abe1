//! Booking codes: answered by the API, shown on the pages and in the messages, and used with
//! the phone or e-mail to find a booking again (`/retrouver`, `/r/{code}`).
use creneau_tests::db_test;
use reqwest::StatusCode;
use serde_json::Value;

use super::{Page, Visitor};
use crate::appointments::{book, point, tuesday_ten};
use crate::helpers::*;

const PASSWORD: &str = "mot-de-passe-solide";

fn is_code(v: &Value) -> String {
    let code = v.as_str().unwrap_or_else(|| panic!("booking_code in {v}")).to_string();
    let ok = code.len() == 7
        && code.chars().nth(3) == Some('-')
        && code
            .chars()
            .filter(|c| *c != '-')
            .all(|c| "23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains(c));
    assert!(ok, "{code:?} is not a booking code");
    code
}

db_test!(
    async fn every_registration_and_appointment_gets_a_short_booking_code_unique_in_its_organisation(app: TestApp) {
        let p = point(&app, 1).await;
        let admin = p.admin.clone();
        let f = app.session_with(&admin, 8, 3).await;
        let mut codes = std::collections::HashSet::new();
        for n in 0..5 {
            let resp = app
                .register(f.session_id, &format!("Personne {n}"), None, Some("06 12 34 56 78"))
                .await;
            assert_eq!(resp.status(), 201);
            let body = json(resp).await;
            let code = is_code(&body["booking_code"]);
            let token = body["manage_token"].as_str().unwrap();
            let seen = json(app.get(&format!("/api/v1/registrations/{token}")).await).await;
            assert_eq!(seen["booking_code"], code.as_str());
            codes.insert(code);
        }
        // Staff see it too.
        let staff = json(
            app.request(
                reqwest::Method::GET,
                &format!("/api/v1/admin/sessions/{}/registrations", f.session_id),
                Some(&admin),
                None,
            )
            .await,
        )
        .await;
        let listed: Vec<String> = staff
            .as_array()
            .unwrap_or_else(|| staff["items"].as_array().expect("a list"))
            .iter()
            .map(|r| is_code(&r["booking_code"]))
            .collect();
        assert_eq!(listed.len(), 5);

        let booked = book(
            &app,
            p.place,
            p.motif,
            tuesday_ten(),
            "Ahmed Haddad",
            None,
            Some("06 98 76 54 32"),
        )
        .await;
        assert_eq!(booked.status(), 201);
        let body = json(booked).await;
        codes.insert(is_code(&body["appointment"]["booking_code"]));
        assert_eq!(codes.len(), 6, "distinct codes");

        // Every message quotes it.
        for row in outbox_rows(&app).await {
            let payload: Value = serde_json::from_str(&row.payload).unwrap();
            let stored = payload["booking_code"].as_str().expect("a code in every message");
            assert!(codes.contains(&format!("{}-{}", &stored[..3], &stored[3..])));
        }
    }
);

/// Registers someone and answers (booking code, manage token).
async fn registered(
    app: &creneau_tests::app::TestApp,
    session_id: i32,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> (String, String) {
    let resp = app.register(session_id, name, email, phone).await;
    assert_eq!(resp.status(), 201);
    let body = json(resp).await;
    (
        body["booking_code"].as_str().unwrap().to_string(),
        body["manage_token"].as_str().unwrap().to_string(),
    )
}

db_test!(
    async fn a_booking_is_found_again_with_its_code_and_the_phone_or_email_but_never_with_the_code_alone(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let (code, token) = registered(
            &app,
            f.session_id,
            "Zoé Lefèvre",
            Some("zoe@exemple.fr"),
            Some("06 12 34 56 78"),
        )
        .await;
        let v = Visitor::new(&app);

        let home = v.get("/").await;
        assert!(home.contains(r#"href="/retrouver""#));
        let form = v.get("/retrouver").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(
            form.contains(r#"<label for="code">Code de réservation"#),
            "{}",
            form.body
        );
        assert!(
            form.contains(r#"href="/retrouver">Retrouver ma réservation avec son code"#),
            "the footer links to it"
        );

        // Case, dashes and spaces do not matter; the phone may be written any way.
        let typed = code.to_lowercase().replace('-', " ");
        let found = v
            .submit(
                "/retrouver",
                "/retrouver",
                &[("code", &typed), ("contact", "+33 6 12 34 56 78")],
            )
            .await;
        let manage = found.location();
        assert!(manage.starts_with("/inscription/"), "{manage}");
        let page = v.get(&manage).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.contains("Votre inscription est confirmée"));
        assert!(page.contains(&code), "the page shows the code");
        // The mailed link keeps working beside the new one.
        assert_eq!(v.get(&format!("/inscription/{token}")).await.status, StatusCode::OK);

        // By e-mail too.
        let by_email = v
            .submit(
                "/retrouver",
                "/retrouver",
                &[("code", &code), ("contact", "ZOE@exemple.fr")],
            )
            .await;
        assert!(by_email.location().starts_with("/inscription/"));

        // A wrong pair answers exactly as an unknown code.
        let wrong_phone = v
            .submit(
                "/retrouver",
                "/retrouver",
                &[("code", &code), ("contact", "06 98 76 54 32")],
            )
            .await;
        let unknown = if code == "222-222" { "333-333" } else { "222-222" };
        let unknown_code = v
            .submit(
                "/retrouver",
                "/retrouver",
                &[("code", unknown), ("contact", "07 81 23 45 67")],
            )
            .await;
        assert_eq!(wrong_phone.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown_code.status, wrong_phone.status);
        assert!(wrong_phone.contains("Aucune réservation ne correspond à ce code et à ces coordonnées"));
        let same = |p: &Page, typed: &str, phone: &str| {
            p.body
                .replace(typed, "CODE")
                .replace(phone, "PHONE")
                .replace(&p.csrf(), "CSRF")
        };
        assert_eq!(
            same(&wrong_phone, &code, "06 98 76 54 32"),
            same(&unknown_code, unknown, "07 81 23 45 67")
        );

        // The code alone opens nothing.
        let alone = v
            .submit("/retrouver", "/retrouver", &[("code", &code), ("contact", "")])
            .await;
        assert_eq!(alone.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(alone.contains(r##"<a href="#contact">"##), "{}", alone.body);
        assert!(!alone.header("location").contains("/inscription/"));
        let malformed = v
            .submit(
                "/retrouver",
                "/retrouver",
                &[("code", "K7P-4Q"), ("contact", "06 12 34 56 78")],
            )
            .await;
        assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(malformed.contains(r##"<a href="#code">"##));
    }
);

db_test!(
    async fn the_sms_link_asks_only_for_the_phone_and_opens_the_appointment(app: TestApp) {
        let p = point(&app, 1).await;
        let resp = book(
            &app,
            p.place,
            p.motif,
            tuesday_ten(),
            "Ahmed Haddad",
            None,
            Some("07 81 23 45 67"),
        )
        .await;
        assert_eq!(resp.status(), 201);
        let code = json(resp).await["appointment"]["booking_code"]
            .as_str()
            .unwrap()
            .to_string();
        let short = format!("/r/{}", code.replace('-', ""));
        let v = Visitor::new(&app);
        let form = v.get(&short).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.contains(&code));
        assert!(
            form.contains(r#"<label for="contact">Votre numéro de téléphone"#),
            "{}",
            form.body
        );
        assert!(!form.contains(r#"id="code""#), "the code is not asked again");

        let email = v.submit(&short, &short, &[("contact", "ahmed@exemple.fr")]).await;
        assert_eq!(email.status, StatusCode::UNPROCESSABLE_ENTITY);
        let wrong = v.submit(&short, &short, &[("contact", "06 12 34 56 78")]).await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
        let found = v.submit(&short, &short, &[("contact", "0781234567")]).await;
        let manage = found.location();
        assert!(manage.starts_with("/rendez-vous/"), "{manage}");
        let page = v.get(&manage).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.contains("Votre rendez-vous est confirmé"));
        assert!(page.contains(&code));
        // The lower-case link of a resident who retyped it works too.
        assert_eq!(v.get(&short.to_lowercase()).await.status, StatusCode::OK);
    }
);

db_test!(
    async fn tries_at_one_code_are_limited_even_from_many_addresses_and_each_client_is_limited(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let (code, _) = registered(&app, f.session_id, "Zoé Lefèvre", None, Some("06 12 34 56 78")).await;
        let v = Visitor::new(&app);
        for n in 0..10 {
            let wrong = format!("06 98 76 54 {n:02}");
            let page = v
                .submit("/retrouver", "/retrouver", &[("code", &code), ("contact", &wrong)])
                .await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "try {n}");
        }
        // The right pair now waits too: the code has had its tries.
        let locked = v
            .submit(
                "/retrouver",
                "/retrouver",
                &[("code", &code), ("contact", "06 12 34 56 78")],
            )
            .await;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(locked.contains("Trop d'essais"));

        // The client has made 11 tries; its allowance (20 in a burst, refilled one every 3 s)
        // runs out after about 9 more, each on another code.
        let alphabet = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
        let mut allowed = 0;
        let mut refused = false;
        for c in alphabet.iter().take(20).map(|b| *b as char) {
            let other = format!("{c}{c}{c}-{c}{c}{c}");
            let page = v
                .submit(
                    "/retrouver",
                    "/retrouver",
                    &[("code", &other), ("contact", "06 12 34 56 78")],
                )
                .await;
            if page.status == StatusCode::TOO_MANY_REQUESTS {
                refused = true;
                break;
            }
            assert_eq!(page.status, StatusCode::NOT_FOUND, "other code {other}");
            allowed += 1;
        }
        assert!(refused, "the client is limited");
        assert!(
            (9..=14).contains(&allowed),
            "{allowed} tries allowed after the first 11"
        );
    }
);

db_test!(
    async fn staff_see_the_code_on_the_session_page_the_sheet_and_the_agenda(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let (code, _) = registered(&app, f.session_id, "Lucienne Fabre", None, Some("04 90 11 22 33")).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let sheet = v.get(&format!("/staff/seances/{}/emargement", f.session_id)).await;
        assert!(sheet.contains(&format!("<td>{code}</td>")), "{}", sheet.body);
        let session = v.get(&format!("/staff/seances/{}", f.session_id)).await;
        assert!(session.contains(&code));
    }
);

db_test!(
    async fn bookings_made_before_codes_existed_get_one_when_the_migration_runs(app: TestApp) {
        use migration::MigratorTrait;
        use sea_orm::EntityTrait;

        let p = point(&app, 1).await;
        let f = app.session_with(&p.admin, 8, 3).await;
        registered(&app, f.session_id, "Zoé  LEFÈVRE", None, Some("06 12 34 56 78")).await;
        registered(&app, f.session_id, "Marc Lefèvre", Some("marc@exemple.fr"), None).await;
        let booked = book(
            &app,
            p.place,
            p.motif,
            tuesday_ten(),
            "Ahmed Haddad",
            None,
            Some("07 81 23 45 67"),
        )
        .await;
        assert_eq!(booked.status(), 201);

        // Back to the schema before this work, then forward again over the existing rows.
        let db = &app.state.db;
        // Every migration from the name keys on is undone, later ones included (their `down`
        // must work too), so that this test does not depend on which migration is last.
        let names: Vec<String> = migration::Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        let from = names
            .iter()
            .position(|n| n == "m20261201_130001_registration_name_key")
            .expect("the name keys' migration");
        let steps = (names.len() - from) as u32;
        migration::Migrator::down(db, Some(steps)).await.unwrap();
        migration::Migrator::up(db, None).await.unwrap();

        let rows = registrations(&app, f.session_id).await;
        let mut codes: Vec<String> = rows.iter().map(|r| r.booking_code.clone()).collect();
        let appointments = entities::appointment::Entity::find().all(db).await.unwrap();
        codes.extend(appointments.iter().map(|a| a.booking_code.clone()));
        assert_eq!(codes.len(), 3);
        for c in &codes {
            assert_eq!(c.len(), 6, "{c:?}");
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 3, "distinct codes");
        let mut keys: Vec<_> = rows.iter().map(|r| r.name_key.clone()).collect();
        keys.sort();
        assert_eq!(keys, vec!["marc lefevre", "zoe lefevre"]);
        assert_eq!(entities::booking_code::Entity::find().all(db).await.unwrap().len(), 3);

        // A back-filled code finds its booking again.
        let zoe = rows.iter().find(|r| r.phone.is_some()).unwrap();
        let v = Visitor::new(&app);
        let found = v
            .submit(
                "/retrouver",
                "/retrouver",
                &[("code", &zoe.booking_code), ("contact", "0612345678")],
            )
            .await;
        assert!(found.location().starts_with("/inscription/"));
        // And a new booking still draws a fresh one beside them.
        let (code, _) = registered(&app, f.session_id, "Inès Lefèvre", None, Some("06 12 34 56 78")).await;
        assert!(!codes.contains(&code.replace('-', "")));
    }
);

db_test!(
    async fn a_known_code_with_a_wrong_contact_runs_the_same_statements_as_an_unknown_code(app: TestApp) {
        use creneau::bookings::{Proof, find_again};
        use creneau::domain::booking_code::BookingCode;
        use std::sync::{Arc, Mutex};

        let p = point(&app, 1).await;
        let f = app.session_with(&p.admin, 8, 3).await;
        let (registration_code, _) = registered(&app, f.session_id, "Zoé Lefèvre", None, Some("06 12 34 56 78")).await;
        let booked = book(
            &app,
            p.place,
            p.motif,
            tuesday_ten(),
            "Ahmed Haddad",
            Some("ahmed@exemple.fr"),
            None,
        )
        .await;
        assert_eq!(booked.status(), 201);
        let appointment_code = json(booked).await["appointment"]["booking_code"]
            .as_str()
            .unwrap()
            .to_string();
        let unknown = "22Z-Z22";
        assert!(![&registration_code, &appointment_code].contains(&&unknown.to_string()));

        // The application's own connection pool, watched: every statement it runs is noted.
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let mut db = app.state.db.clone();
        let log = seen.clone();
        db.set_metric_callback(move |info| log.lock().unwrap().push(info.statement.sql.clone()));
        let statements = |code: &str, contact: &str| {
            let (db, seen) = (db.clone(), seen.clone());
            let (code, contact) = (code.to_string(), contact.to_string());
            async move {
                seen.lock().unwrap().clear();
                let found = find_again(
                    &db,
                    &BookingCode::parse(&code).unwrap(),
                    &Proof::parse(&contact).unwrap(),
                )
                .await
                .unwrap();
                (found.is_some(), std::mem::take(&mut *seen.lock().unwrap()))
            }
        };

        let (found, for_unknown) = statements(unknown, "06 12 34 56 78").await;
        assert!(!found);
        assert!(!for_unknown.is_empty());
        for (code, wrong) in [
            (&registration_code, "06 98 76 54 32"),
            (&registration_code, "zoe@exemple.fr"),
            (&appointment_code, "autre@exemple.fr"),
            (&appointment_code, "06 12 34 56 78"),
        ] {
            let (found, run) = statements(code, wrong).await;
            assert!(!found, "{code} with {wrong}");
            assert_eq!(
                run, for_unknown,
                "{code} with {wrong}: the same statements as an unknown code"
            );
        }
        // The right pair still opens the booking.
        assert!(statements(&registration_code, "06 12 34 56 78").await.0);
        assert!(statements(&appointment_code, "ahmed@exemple.fr").await.0);
    }
);
