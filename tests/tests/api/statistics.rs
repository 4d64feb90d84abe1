//! Statistics: the figures of a small known data set, the filters, the refusals in French,
//! the console page (charts and tables), the funders' report, the public figures.
use chrono::{DateTime, Duration, Utc};
use creneau_tests::{app::TestApp, db_test};
use entities::kinds::{AppointmentStatus, BookedBy};
use entities::{appointment, motif};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::Visitor;

const PASSWORD: &str = "mot-de-passe-solide";

async fn place(app: &TestApp, token: &str, name: &str, kind: &str) -> i32 {
    let resp = app
        .admin_post(
            token,
            "/api/v1/admin/places",
            json!({"name": name, "kind": kind, "address": "1 rue de la Paix", "postal_code": "13200", "city": "Arles"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    json(resp).await["id"].as_i64().unwrap() as i32
}

async fn workshop(app: &TestApp, token: &str, title: &str) -> i32 {
    let resp = app
        .admin_post(
            token,
            "/api/v1/admin/workshops",
            json!({
                "title": title, "summary": "Pas à pas", "description": "Atelier", "level": "Débutant",
                "audience": "Adultes", "default_duration_minutes": 120, "default_capacity": 8
            }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    json(resp).await["id"].as_i64().unwrap() as i32
}

/// A session `days` after the test epoch, 14:00 Paris.
async fn session(app: &TestApp, token: &str, workshop_id: i32, place_id: i32, capacity: i32, days: i64) -> i32 {
    let start = app.now() + Duration::days(days) + Duration::hours(5);
    let resp = app
        .admin_post(
            token,
            "/api/v1/admin/sessions",
            json!({
                "workshop_id": workshop_id, "place_id": place_id, "capacity": capacity,
                "starts_at": start.to_rfc3339(), "ends_at": (start + Duration::hours(2)).to_rfc3339()
            }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    json(resp).await["id"].as_i64().unwrap() as i32
}

/// Registers `name` (e-mail `<first name>@exemple.fr`); answers (id, status, manage token).
async fn register(app: &TestApp, session_id: i32, name: &str) -> (i64, String, String) {
    let email = format!("{}@exemple.fr", name.split(' ').next().unwrap().to_lowercase());
    let resp = app.register(session_id, name, Some(&email), None).await;
    assert_eq!(resp.status(), 201, "registering {name}");
    let body = json(resp).await;
    (
        body["id"].as_i64().unwrap(),
        body["status"].as_str().unwrap().to_string(),
        body["manage_token"].as_str().unwrap().to_string(),
    )
}

async fn mark(app: &TestApp, token: &str, registration_id: i64, attendance: &str) {
    let resp = app
        .request(
            Method::PUT,
            &format!("/api/v1/admin/registrations/{registration_id}/attendance"),
            Some(token),
            Some(json!({ "attendance": attendance })),
        )
        .await;
    assert_eq!(resp.status(), 200, "marking {registration_id}");
}

/// An appointment written straight into its table (the booking flow has its own tests):
/// `booked_days_before` its start, which is `starts_at`.
#[allow(clippy::too_many_arguments)]
async fn appointment_row(
    app: &TestApp,
    org: i32,
    place_id: i32,
    motif_id: i32,
    n: i32,
    starts_at: DateTime<Utc>,
    booked_days_before: i64,
    status: AppointmentStatus,
    email: Option<&str>,
    phone: Option<&str>,
) {
    appointment::ActiveModel {
        organisation_id: Set(org),
        place_id: Set(place_id),
        motif_id: Set(motif_id),
        desk: Set(1),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::minutes(30)),
        name: Set(format!("Personne {n}")),
        email: Set(email.map(str::to_string)),
        phone: Set(phone.map(str::to_string)),
        email_key: Set(email.map(str::to_string)),
        phone_key: Set(phone.map(str::to_string)),
        status: Set(status),
        booked_by: Set(BookedBy::Resident),
        manage_token_hash: Set(format!("hash-{org}-{n}")),
        booking_code: Set(format!("STAT{n:02}")),
        ical_sequence: Set(0),
        created_at: Set(starts_at - Duration::days(booked_days_before)),
        updated_at: Set(starts_at),
        sms_consent: Set(false),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
}

async fn motif_row(app: &TestApp, org: i32) -> i32 {
    motif::ActiveModel {
        organisation_id: Set(org),
        label: Set("Déclarer mes impôts".into()),
        duration_minutes: Set(30),
        bookable_online: Set(true),
        min_notice_minutes: Set(60),
        horizon_days: Set(30),
        instructions: Set(String::new()),
        position: Set(1),
        active: Set(true),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap()
    .id
}

struct Known {
    admin: String,
    library: i32,
    mediation: i32,
}

/// Three sessions at the library in January 2027, two promotions (one came), five
/// appointments at a mediation point; then the clock moves past them all.
async fn known_data_set(app: &TestApp) -> Known {
    let (org, admin) = app.organisation("arles").await;
    let library = place(app, &admin, "Médiathèque", "library").await;
    let mediation = place(app, &admin, "Point de Trinquetaille", "mediation_point").await;
    let w = workshop(app, &admin, "Créer mon compte citoyen").await;

    // Session 1, two seats: A and B take them, C and D wait, A and B cancel: C and D are promoted.
    let s1 = session(app, &admin, w, library, 2, 1).await;
    let (_, _, token_a) = register(app, s1, "Alice Martin").await;
    let (_, _, token_b) = register(app, s1, "Bruno Petit").await;
    let (c, status_c, _) = register(app, s1, "Chloé Durand").await;
    let (d, _, _) = register(app, s1, "David Moreau").await;
    assert_eq!(status_c, "waitlisted");
    for t in [token_a, token_b] {
        let resp = app
            .request(Method::DELETE, &format!("/api/v1/registrations/{t}"), None, None)
            .await;
        assert!(resp.status().is_success(), "cancelling");
    }
    // Session 2, three seats, all taken; session 3, four seats, one taken.
    let s2 = session(app, &admin, w, library, 3, 2).await;
    let (e, _, _) = register(app, s2, "Emma Leroy").await;
    let (f, _, _) = register(app, s2, "Fatou Diallo").await;
    let (g, _, _) = register(app, s2, "Gaspard Roux").await;
    let s3 = session(app, &admin, w, library, 4, 3).await;
    register(app, s3, "Hugo Lambert").await;

    let m = motif_row(app, org).await;
    let at = app.now() + Duration::days(2);
    use AppointmentStatus::*;
    // Chloé again (same e-mail: the same person), a phone alone, two more, one cancelled.
    appointment_row(
        app,
        org,
        mediation,
        m,
        1,
        at,
        2,
        Honoured,
        Some("chloé@exemple.fr"),
        None,
    )
    .await;
    appointment_row(app, org, mediation, m, 2, at, 4, Honoured, None, Some("+33612345678")).await;
    appointment_row(app, org, mediation, m, 3, at, 10, NoShow, Some("p3@exemple.fr"), None).await;
    appointment_row(app, org, mediation, m, 4, at, 1, Excused, Some("p4@exemple.fr"), None).await;
    appointment_row(app, org, mediation, m, 5, at, 3, Cancelled, Some("p5@exemple.fr"), None).await;

    app.state.clock.advance(Duration::days(10));
    let admin = app.login("admin@arles.example", PASSWORD).await;
    for (id, attendance) in [
        (c, "present"),
        (d, "absent"),
        (e, "present"),
        (f, "present"),
        (g, "absent"),
    ] {
        mark(app, &admin, id, attendance).await;
    }
    Known {
        admin,
        library,
        mediation,
    }
}

async fn stats(app: &TestApp, token: &str, query: &str) -> Value {
    let resp = app
        .request(Method::GET, &format!("/api/v1/admin/stats?{query}"), Some(token), None)
        .await;
    let status = resp.status();
    let body = resp.text().await.unwrap();
    assert_eq!(status, 200, "GET stats?{query}: {body}");
    serde_json::from_str(&body).unwrap()
}

const JANUARY: &str = "from=2027-01-01&to=2027-01-31";

db_test!(
    async fn the_figures_of_a_known_month_are_counted_right(app: TestApp) {
        let k = known_data_set(&app).await;
        let s = stats(&app, &k.admin, JANUARY).await;
        let w = &s["workshops"];
        assert_eq!(w["sessions"], 3);
        assert_eq!(w["sessions_held"], 3);
        assert_eq!(
            (w["seats_offered"].as_i64(), w["seats_taken"].as_i64()),
            (Some(9), Some(6))
        );
        assert!((w["fill_rate"].as_f64().unwrap() - 6.0 / 9.0).abs() < 1e-9);
        assert_eq!(w["registrations"], 6, "the two who cancelled are not bookings");
        assert_eq!(
            (w["present"].as_i64(), w["absent"].as_i64(), w["unmarked"].as_i64()),
            (Some(3), Some(2), Some(1))
        );
        assert!((w["attendance_rate"].as_f64().unwrap() - 0.6).abs() < 1e-9);
        assert_eq!(
            (w["promotions"].as_i64(), w["promotions_came"].as_i64()),
            (Some(2), Some(1))
        );

        let a = &s["appointments"];
        assert_eq!(a["booked"], 4);
        assert_eq!(
            (a["honoured"].as_i64(), a["no_show"].as_i64(), a["excused"].as_i64()),
            (Some(2), Some(1), Some(1))
        );
        assert_eq!(a["cancelled"], 1);
        assert_eq!(a["no_show_rate"], 0.25);
        assert_eq!(a["median_days_to_appointment"], 3.0, "booked 1, 2, 4 and 10 days ahead");

        assert_eq!(s["bookings"], 10);
        assert_eq!(
            s["people"], 9,
            "Chloé counts once across her registration and her appointment"
        );
        assert!((s["attendance_rate"].as_f64().unwrap() - 5.0 / 9.0).abs() < 1e-9);
        assert!((s["no_show_rate"].as_f64().unwrap() - 3.0 / 9.0).abs() < 1e-9);
        let months = s["months"].as_array().unwrap();
        assert_eq!(months.len(), 1);
        assert_eq!(months[0]["month"], "2027-01");
        assert_eq!(
            (months[0]["registrations"].as_i64(), months[0]["appointments"].as_i64()),
            (Some(6), Some(4))
        );
        // Marking attendance made drafts of activity records; only completed ones count.
        assert_eq!(s["themes_and_autonomy"]["records"], 0);

        // Over three months, everything falls in January.
        let winter = stats(&app, &k.admin, "from=2026-12-01&to=2027-02-28").await;
        let months: Vec<(String, i64, i64)> = winter["months"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["month"].as_str().unwrap().to_string(),
                    m["registrations"].as_i64().unwrap(),
                    m["appointments"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            months,
            [
                ("2026-12".into(), 0, 0),
                ("2027-01".into(), 6, 4),
                ("2027-02".into(), 0, 0)
            ]
        );
        assert_eq!(winter["bookings"], 10);

        // February holds nothing.
        let feb = stats(&app, &k.admin, "from=2027-02-01&to=2027-02-28").await;
        assert_eq!((feb["bookings"].as_i64(), feb["people"].as_i64()), (Some(0), Some(0)));
        assert_eq!(feb["attendance_rate"], Value::Null);
    }
);

db_test!(
    async fn the_figures_narrow_to_one_place(app: TestApp) {
        let k = known_data_set(&app).await;
        let library = stats(&app, &k.admin, &format!("{JANUARY}&place={}", k.library)).await;
        assert_eq!(
            (library["bookings"].as_i64(), library["people"].as_i64()),
            (Some(6), Some(6))
        );
        assert_eq!(library["appointments"]["booked"], 0);
        let point = stats(&app, &k.admin, &format!("{JANUARY}&place={}", k.mediation)).await;
        assert_eq!(
            (point["bookings"].as_i64(), point["people"].as_i64()),
            (Some(4), Some(4))
        );
        assert_eq!(point["workshops"]["sessions"], 0);
    }
);

db_test!(
    async fn impossible_dates_and_places_not_of_the_organisation_are_refused_in_french(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let (_, other) = app.organisation("nimes").await;
        let theirs = place(&app, &other, "Médiathèque de Nîmes", "library").await;
        for (query, field, words) in [
            ("from=2026-02-30&to=2026-03-31", "from", "n'existe pas"),
            ("from=2027-02-01&to=2027-01-01", "to", "après la date de fin"),
            ("from=2020-01-01&to=2027-01-01", "to", "trop longue"),
            ("place=99999", "place", "Ce lieu n'existe pas"),
            (&format!("place={theirs}") as &str, "place", "Ce lieu n'existe pas"),
        ] {
            let resp = app
                .request(Method::GET, &format!("/api/v1/admin/stats?{query}"), Some(&admin), None)
                .await;
            let body = json_problem(resp, 422).await;
            assert_eq!(body["field"], field, "{query}");
            assert!(body["message"].as_str().unwrap().contains(words), "{query}: {body}");
        }

        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let page = v.get("/staff/statistiques?du=2026-02-30&au=2026-03-31").await;
        assert_eq!(page.status, 422);
        assert!(page.contains(r#"id="du-erreur""#), "the message sits beside its field");
        assert!(page.contains("La date « 2026-02-30 » n'existe pas"));
        let page = v.get(&format!("/staff/statistiques?lieu={theirs}")).await;
        assert_eq!(page.status, 422);
        assert!(page.contains(r#"id="lieu-erreur""#) && page.contains("Ce lieu n'existe pas dans votre organisation."));
    }
);

async fn json_problem(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    let body = json(resp).await;
    assert_eq!(body["code"], "validation", "{body}");
    body
}

db_test!(
    async fn the_console_shows_charts_with_their_tables_and_the_same_figures_as_the_api(app: TestApp) {
        let k = known_data_set(&app).await;
        let api = stats(&app, &k.admin, JANUARY).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let page = v.get("/staff/statistiques?du=2027-01-01&au=2027-01-31").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.contains(r#"role="img""#)
                && page.contains(r#"<title id="reservations-titre">Réservations par mois</title>"#)
        );
        assert!(
            page.contains("<caption>Réservations par mois</caption>"),
            "a table beside the chart"
        );
        assert!(page.contains(r#"<tr><th scope="row">janv. 2027</th><td>6</td><td>4</td></tr>"#));
        assert!(!page.contains("<script"), "no JavaScript");
        for (label, value) in [
            ("Réservations", api["bookings"].to_string()),
            ("Personnes différentes", api["people"].to_string()),
            ("Taux de présence", "56\u{a0}%".to_string()),
            ("Remplissage des séances", "67\u{a0}%".to_string()),
            (
                "Places libérées (liste d'attente)",
                api["workshops"]["promotions"].to_string(),
            ),
            ("Délai médian avant un rendez-vous", "3 jours".to_string()),
        ] {
            let expected = format!(r#"<dt>{label}</dt><dd><span class="stats-value">{value}</span>"#);
            assert!(page.contains(&expected), "{expected}");
        }
        // Drafts of activity records do not count, and nobody answered the survey yet.
        assert!(page.contains("Aucun compte rendu enregistré sur la période."));
        assert!(page.contains("Pas assez de réponses pour afficher un résultat (moins de 5)."));
        assert!(
            page.contains(r#"href="/staff/statistiques" aria-current="page""#),
            "in the menu"
        );

        let report = v.get("/staff/statistiques/rapport?du=2027-01-01&au=2027-01-31").await;
        assert_eq!(report.status, 200);
        assert!(report.contains("Ville de arles") && report.contains("Bilan d'activité du vendredi 1er janvier 2027"));
        assert!(report.contains(r#"<span class="stats-value">10</span>"#));
    }
);

db_test!(
    async fn the_public_figures_hide_a_group_of_four_and_show_a_group_of_five(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let library = place(&app, &admin, "Médiathèque", "library").await;
        let small = workshop(&app, &admin, "Atelier tablette").await;
        let large = workshop(&app, &admin, "Atelier e-mail").await;
        let s_small = session(&app, &admin, small, library, 8, 1).await;
        let s_large = session(&app, &admin, large, library, 8, 2).await;
        for name in ["Anne A", "Bea B", "Carl C", "Dina D"] {
            register(&app, s_small, name).await;
        }
        for name in ["Eve E", "Fred F", "Gina G", "Hans H", "Ines I"] {
            register(&app, s_large, name).await;
        }
        let page = app.get("/statistiques").await;
        assert_eq!(page.status(), 200);
        let body = page.text().await.unwrap();
        let row = |title: &str| {
            let at = body
                .find(&format!(r#"<th scope="row">{title}</th>"#))
                .unwrap_or_else(|| panic!("{title} in {body}"));
            body[at..at + body[at..].find("</tr>").unwrap()].to_string()
        };
        assert_eq!(
            row("Atelier tablette").matches("moins de 5").count(),
            2,
            "{}",
            row("Atelier tablette")
        );
        assert!(
            row("Atelier e-mail").contains("<td>5</td><td>5</td>"),
            "{}",
            row("Atelier e-mail")
        );
        assert!(row("Médiathèque").contains("<td>9</td><td>9</td>"));
        assert!(
            !body.contains("Anne") && !body.contains("exemple.fr"),
            "no names, no contacts"
        );
        assert!(
            app.get("/")
                .await
                .text()
                .await
                .unwrap()
                .contains(r#"href="/statistiques""#),
            "linked from the footer"
        );
    }
);

db_test!(
    async fn promotions_made_before_the_column_existed_are_found_again_from_their_message(app: TestApp) {
        use migration::MigratorTrait;

        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 1).await;
        let (_, _, first) = register(&app, f.session_id, "Alice Martin").await;
        register(&app, f.session_id, "Bruno Petit").await;
        let resp = app
            .request(Method::DELETE, &format!("/api/v1/registrations/{first}"), None, None)
            .await;
        assert!(resp.status().is_success());
        let promoted_at =
            |rows: Vec<entities::registration::Model>| rows.iter().map(|r| r.promoted_at).collect::<Vec<_>>();
        let before = promoted_at(registrations(&app, f.session_id).await);
        assert_eq!(before, [None, Some(app.now())]);

        // Undo the statistics migration and run it again over the existing rows.
        let db = &app.state.db;
        let names: Vec<String> = migration::Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        let at = names.iter().position(|n| n == "m20261202_130000_statistics").unwrap();
        migration::Migrator::down(db, Some((names.len() - at) as u32))
            .await
            .unwrap();
        migration::Migrator::up(db, None).await.unwrap();
        assert_eq!(promoted_at(registrations(&app, f.session_id).await), before);
    }
);
