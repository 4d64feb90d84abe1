//! The session page's actions: edit, one more seat at the counter, move, remove and promote a
//! registrant, cancel a series from a date, copy; a cancelled session's page and sheet.
use creneau_tests::app::{Fixture, TestApp};
use creneau_tests::db_test;
use entities::kinds::{Event, RegistrationStatus, SessionStatus};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::Visitor;
use crate::helpers::*;

const PASSWORD: &str = "mot-de-passe-solide";

/// Another session of the fixture's workshop and place, `days` after the epoch at 14:00.
async fn sibling(app: &TestApp, admin: &str, f: &Fixture, days: i64, capacity: i32) -> i32 {
    let start = app.now() + chrono::Duration::days(days) + chrono::Duration::hours(5);
    let resp = app
        .admin_post(
            admin,
            "/api/v1/admin/sessions",
            json!({
                "workshop_id": f.workshop_id, "place_id": f.place_id, "capacity": capacity,
                "starts_at": start.to_rfc3339(), "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339()
            }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    json(resp).await["id"].as_i64().unwrap() as i32
}

/// The version an edit form was filled from (its hidden field).
fn form_version(form: &super::Page) -> String {
    let at = form.body.find(r#"name="version" value=""#).unwrap() + r#"name="version" value=""#.len();
    form.body[at..at + 16].to_string()
}

async fn registration_id(resp: reqwest::Response) -> i32 {
    let body: Value = json(resp).await;
    body["id"].as_i64().unwrap_or_else(|| panic!("{body}")) as i32
}

/// The messages queued so far for one registration, in order, reminders aside.
async fn events_of(app: &TestApp, registration: i32) -> Vec<Event> {
    outbox_rows(app)
        .await
        .into_iter()
        .filter(|r| r.booking_id == Some(registration) && r.channel == entities::kinds::Channel::Email)
        .filter(|r| r.kind != Event::Reminder)
        .map(|r| r.kind)
        .collect()
}

db_test!(
    async fn a_session_is_edited_from_its_page_and_its_registrants_are_told_the_new_time(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let ana = registration_id(app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let path = format!("/staff/seances/{}/modifier", f.session_id);
        let form = v.get(&path).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.contains(r#"value="2027-01-07""#), "{}", form.body);
        assert!(form.contains(r#"value="14:00""#));
        assert!(
            v.get(&format!("/staff/seances/{}", f.session_id)).await.contains(&path),
            "the page links to it"
        );

        let done = v
            .submit(
                &path,
                &path,
                &[
                    ("place", &f.place_id.to_string()),
                    ("date", "2027-01-08"),
                    ("start", "15:00"),
                    ("end", "17:00"),
                    ("capacity", "10"),
                    ("facilitator", ""),
                ],
            )
            .await;
        assert_eq!(
            done.location(),
            format!("/staff/seances/{}?fait=modifiee", f.session_id)
        );
        let s = session_row(&app, f.session_id).await;
        assert_eq!(s.capacity, 10);
        assert_eq!(s.starts_at.to_rfc3339(), "2027-01-08T14:00:00+00:00");
        assert_eq!(s.registration_closes_at, s.starts_at, "closing follows the start");
        assert_eq!(events_of(&app, ana).await.last(), Some(&Event::SessionMoved));
        assert!(v.get(&done.location()).await.contains("Séance modifiée"));
    }
);

db_test!(
    async fn a_capacity_below_the_confirmed_count_is_refused_beside_the_field_and_nothing_changes(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        app.register(f.session_id, "Bob", Some("bob@exemple.fr"), None).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let path = format!("/staff/seances/{}/modifier", f.session_id);
        let form = v.get(&path).await;
        let version = form_version(&form);
        let fields = |capacity: &'static str, end: &'static str| {
            vec![
                ("csrf", form.csrf()),
                ("version", version.clone()),
                ("place", f.place_id.to_string()),
                ("date", "2027-01-07".into()),
                ("start", "14:00".into()),
                ("end", end.into()),
                ("capacity", capacity.into()),
            ]
        };
        let post = |fields: Vec<(&'static str, String)>| {
            let v = &v;
            let path = path.clone();
            async move {
                let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                v.post(&path, &pairs).await
            }
        };
        let cut = post(fields("1", "16:00")).await;
        assert_eq!(cut.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            cut.contains(r##"<a href="#capacity">Impossible de descendre à 1 places : 2 personnes"##),
            "{}",
            cut.body
        );
        assert!(cut.contains(r#"id="capacity-erreur""#));
        assert!(cut.contains(r#"value="1""#), "what was typed is kept");
        let bad_end = post(fields("8", "13:00")).await;
        assert_eq!(bad_end.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad_end.contains("L'heure de fin doit suivre l'heure de début."));
        let s = session_row(&app, f.session_id).await;
        assert_eq!((s.capacity, s.seats_taken), (8, 2), "nothing changed");
    }
);

db_test!(
    async fn a_stale_edit_form_says_the_session_changed_meanwhile_and_overwrites_nothing(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let path = format!("/staff/seances/{}/modifier", f.session_id);
        let form = v.get(&path).await;
        let version = form_version(&form);
        // A colleague changes the capacity meanwhile, through the API.
        let patch = app
            .request(
                Method::PATCH,
                &format!("/api/v1/admin/sessions/{}", f.session_id),
                Some(&admin),
                Some(json!({"capacity": 12})),
            )
            .await;
        assert_eq!(patch.status(), 200);
        let fields = [
            ("csrf", form.csrf()),
            ("version", version),
            ("place", f.place_id.to_string()),
            ("date", "2027-01-07".into()),
            ("start", "10:00".into()),
            ("end", "12:00".into()),
            ("capacity", "9".into()),
        ];
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let stale = v.post(&path, &pairs).await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(
            stale.contains("Cette séance a été modifiée entre-temps"),
            "{}",
            stale.body
        );
        assert!(
            stale.contains("12 au total"),
            "the page shows the session as it now stands"
        );
        assert!(stale.contains(r#"value="10:00""#), "what was typed is kept");
        let s = session_row(&app, f.session_id).await;
        assert_eq!(s.capacity, 12, "the colleague's change stands");
        assert_eq!(s.starts_at.to_rfc3339(), "2027-01-07T13:00:00+00:00");
    }
);

db_test!(
    async fn another_organisations_session_and_registrants_are_not_found_from_the_console(app: TestApp) {
        app.organisation("arles").await;
        let (_, other) = app.organisation("tarascon").await;
        let theirs = app.session_with(&other, 8, 3).await;
        let rid = registration_id(
            app.register(theirs.session_id, "Zoé", Some("zoe@exemple.fr"), None)
                .await,
        )
        .await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let s = theirs.session_id;
        for path in [
            format!("/staff/seances/{s}/modifier"),
            format!("/staff/seances/{s}/copier"),
            format!("/staff/seances/{s}/serie/annuler"),
            format!("/staff/seances/{s}/inscrits/{rid}"),
        ] {
            assert_eq!(v.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
        }
        let csrf = v.get("/staff/seances").await.csrf();
        for path in [
            format!("/staff/seances/{s}/modifier"),
            format!("/staff/seances/{s}/inscrits/{rid}/retirer"),
            format!("/staff/seances/{s}/inscrits/{rid}/deplacer"),
            format!("/staff/seances/{s}/inscrits/{rid}/promouvoir"),
        ] {
            let resp = v.post(&path, &[("csrf", &csrf), ("reason", "Essai")]).await;
            assert_eq!(resp.status, StatusCode::NOT_FOUND, "{path}");
        }
        assert_eq!(registrations(&app, s).await[0].status, RegistrationStatus::Confirmed);
    }
);

db_test!(
    async fn one_more_seat_at_the_counter_registers_the_person_in_a_full_session(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        app.register(f.session_id, "Bob", Some("bob@exemple.fr"), None).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let path = format!("/staff/seances/{}", f.session_id);
        let page = v.get(&path).await;
        assert!(page.contains("Ajouter une place et inscrire"), "{}", page.body);
        let done = v
            .submit(
                &path,
                &format!("{path}/inscrire"),
                &[
                    ("name", "Chantal Roux"),
                    ("phone", "06 12 34 56 78"),
                    ("extra_seat", "oui"),
                ],
            )
            .await;
        assert_eq!(done.location(), format!("{path}?fait=place_ajoutee"));
        let s = session_row(&app, f.session_id).await;
        assert_eq!((s.capacity, s.seats_taken), (2, 2));
        let rows = registrations(&app, f.session_id).await;
        let status = |n: &str| rows.iter().find(|r| r.name == n).unwrap().status;
        assert_eq!(status("Chantal Roux"), RegistrationStatus::Confirmed);
        assert_eq!(
            status("Bob"),
            RegistrationStatus::Waitlisted,
            "the seat is the counter's, not the list's"
        );
    }
);

db_test!(
    async fn a_registrant_moved_to_another_session_takes_a_seat_there_and_frees_this_one_for_the_first_in_line(
        app: TestApp,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        let later = sibling(&app, &admin, &f, 10, 2).await;
        let ana = registration_id(app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await).await;
        let bob = registration_id(app.register(f.session_id, "Bob", Some("bob@exemple.fr"), None).await).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let page = format!("/staff/seances/{}/inscrits/{ana}", f.session_id);
        assert!(v.get(&format!("/staff/seances/{}", f.session_id)).await.contains(&page));
        let form = v.get(&page).await;
        assert!(form.contains("jeudi 14 janvier"), "{}", form.body);

        let none = v.submit(&page, &format!("{page}/deplacer"), &[("target", "")]).await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(none.contains("Choisissez la séance où déplacer la personne."));

        let done = v
            .submit(&page, &format!("{page}/deplacer"), &[("target", &later.to_string())])
            .await;
        assert_eq!(
            done.location(),
            format!("/staff/seances/{}?fait=deplacee", f.session_id)
        );
        let moved = registrations(&app, later).await;
        assert_eq!((moved[0].id, moved[0].status), (ana, RegistrationStatus::Confirmed));
        let here = registrations(&app, f.session_id).await;
        assert_eq!((here[0].id, here[0].status), (bob, RegistrationStatus::Confirmed));
        assert_eq!(
            (
                session_row(&app, f.session_id).await.seats_taken,
                session_row(&app, later).await.seats_taken
            ),
            (1, 1)
        );
        assert_eq!(events_of(&app, ana).await.last(), Some(&Event::SessionMoved));
        assert_eq!(events_of(&app, bob).await.last(), Some(&Event::RegistrationPromoted));
    }
);

db_test!(
    async fn a_move_to_a_full_session_is_refused_and_changes_nothing(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 2, 3).await;
        let full = sibling(&app, &admin, &f, 10, 1).await;
        app.register(full, "Chloé", Some("chloe@exemple.fr"), None).await;
        let ana = registration_id(app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let page = format!("/staff/seances/{}/inscrits/{ana}", f.session_id);
        assert!(v.get(&page).await.contains("complète"));
        let refused = v
            .submit(&page, &format!("{page}/deplacer"), &[("target", &full.to_string())])
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(refused.contains("La séance choisie est complète"), "{}", refused.body);
        assert!(refused.contains(r#"id="target-erreur""#));
        assert_eq!(
            registrations(&app, f.session_id).await[0].status,
            RegistrationStatus::Confirmed
        );
        assert_eq!(registrations(&app, full).await.len(), 1);
        assert_eq!(session_row(&app, full).await.seats_taken, 1);
        assert_eq!(session_row(&app, f.session_id).await.seats_taken, 1);
    }
);

db_test!(
    async fn a_registrant_removed_with_a_reason_is_told_it_and_the_first_in_line_gets_the_seat(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        let ana = registration_id(app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await).await;
        let bob = registration_id(app.register(f.session_id, "Bob", Some("bob@exemple.fr"), None).await).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let page = format!("/staff/seances/{}/inscrits/{ana}", f.session_id);
        let empty = v.submit(&page, &format!("{page}/retirer"), &[("reason", "  ")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            empty.contains(r##"<a href="#reason">Indiquez le motif"##),
            "{}",
            empty.body
        );
        assert_eq!(
            registrations(&app, f.session_id).await[0].status,
            RegistrationStatus::Confirmed
        );

        let done = v
            .submit(
                &page,
                &format!("{page}/retirer"),
                &[("reason", "A trouvé un emploi ce jour-là")],
            )
            .await;
        assert_eq!(done.location(), format!("/staff/seances/{}?fait=retiree", f.session_id));
        let rows = registrations(&app, f.session_id).await;
        assert_eq!(
            (rows[0].status, rows[1].status),
            (RegistrationStatus::Cancelled, RegistrationStatus::Confirmed)
        );
        let told = outbox_rows(&app)
            .await
            .into_iter()
            .rfind(|r| r.booking_id == Some(ana) && r.kind == Event::RegistrationCancelled)
            .unwrap();
        assert!(
            told.payload.contains("A trouvé un emploi ce jour-là"),
            "{}",
            told.payload
        );
        assert_eq!(events_of(&app, bob).await.last(), Some(&Event::RegistrationPromoted));
    }
);

db_test!(
    async fn a_waiting_person_gets_a_seat_by_hand_with_one_more_seat(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        app.register(f.session_id, "Bob", Some("bob@exemple.fr"), None).await;
        let chloe = registration_id(
            app.register(f.session_id, "Chloé", Some("chloe@exemple.fr"), None)
                .await,
        )
        .await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let page = format!("/staff/seances/{}/inscrits/{chloe}", f.session_id);
        let form = v.get(&page).await;
        assert!(form.contains("En attente, position 2"), "{}", form.body);
        assert!(form.contains("Ajouter une place et la lui donner"));
        let done = v
            .submit(&page, &format!("{page}/promouvoir"), &[("extra_seat", "oui")])
            .await;
        assert_eq!(done.location(), format!("/staff/seances/{}?fait=promue", f.session_id));
        let rows = registrations(&app, f.session_id).await;
        let status = |n: &str| rows.iter().find(|r| r.name == n).unwrap().status;
        assert_eq!(status("Chloé"), RegistrationStatus::Confirmed);
        assert_eq!(status("Bob"), RegistrationStatus::Waitlisted);
        let s = session_row(&app, f.session_id).await;
        assert_eq!((s.capacity, s.seats_taken), (2, 2));
        assert_eq!(events_of(&app, chloe).await.last(), Some(&Event::RegistrationPromoted));
        // Without the extra seat, a full session has none to give.
        let bob = rows.iter().find(|r| r.name == "Bob").unwrap().id;
        let page = format!("/staff/seances/{}/inscrits/{bob}", f.session_id);
        let refused = v.submit(&page, &format!("{page}/promouvoir"), &[]).await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(refused.contains("Aucune place n'est libre"));
    }
);

db_test!(
    async fn cancelling_a_series_from_a_date_lists_what_it_cancels_then_tells_everyone(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let series = app
            .admin_post(
                &admin,
                "/api/v1/admin/sessions/series",
                json!({
                    "workshop_id": f.workshop_id, "place_id": f.place_id, "weekday": "tuesday",
                    "start_time": "14:00", "end_time": "16:00",
                    "first_date": "2027-01-05", "last_date": "2027-01-26"
                }),
            )
            .await;
        assert_eq!(series.status(), 201);
        let ids: Vec<i32> = json(series).await["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap() as i32)
            .collect();
        assert_eq!(ids.len(), 4);
        app.register(ids[2], "Ana", Some("ana@exemple.fr"), None).await;
        app.register(ids[3], "Lucienne Fabre", None, Some("04 90 11 22 33"))
            .await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        assert!(
            v.get(&format!("/staff/seances/{}", ids[0]))
                .await
                .contains("Annuler la série")
        );
        let path = format!("/staff/seances/{}/serie/annuler", ids[0]);
        let list = v.get(&format!("{path}?a_partir_du=2027-01-19")).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.contains("2 séances à annuler"), "{}", list.body);
        assert!(
            list.contains("Lucienne Fabre — 04 90 11 22 33"),
            "whom to call is listed"
        );
        let unconfirmed = v.post(&path, &[("csrf", &list.csrf()), ("from", "2027-01-19")]).await;
        assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(session_row(&app, ids[2]).await.status, SessionStatus::Scheduled);

        let done = v
            .post(
                &path,
                &[
                    ("csrf", &list.csrf()),
                    ("from", "2027-01-19"),
                    ("reason", "Travaux"),
                    ("confirm", "oui"),
                ],
            )
            .await;
        assert_eq!(
            done.location(),
            format!("/staff/seances/{}?fait=serie_annulee&n=2", ids[0])
        );
        let status: Vec<SessionStatus> = {
            let mut out = Vec::new();
            for id in &ids {
                out.push(session_row(&app, *id).await.status);
            }
            out
        };
        assert_eq!(
            status,
            [
                SessionStatus::Scheduled,
                SessionStatus::Scheduled,
                SessionStatus::Cancelled,
                SessionStatus::Cancelled
            ]
        );
        assert_eq!(
            session_row(&app, ids[3]).await.cancel_reason.as_deref(),
            Some("Travaux")
        );
        assert!(outbox_summary(&app).await.iter().any(|r| r.0 == "session_cancelled"));
        assert!(v.get(&done.location()).await.contains("2 séances de la série annulées"));
        // A session outside any series has nothing to offer.
        let alone = v.get(&format!("/staff/seances/{}/serie/annuler", f.session_id)).await;
        assert!(alone.contains("ne fait pas partie d'une série"));
    }
);

db_test!(
    async fn copying_a_session_opens_the_new_session_form_filled_in_but_the_date(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 6, 3).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let path = format!("/staff/seances/{}/copier", f.session_id);
        assert!(v.get(&format!("/staff/seances/{}", f.session_id)).await.contains(&path));
        let form = v.get(&path).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.contains(r#"action="/staff/seances/nouvelle""#));
        assert!(
            form.contains(&format!(r#"<option value="{}" selected>"#, f.workshop_id)),
            "{}",
            form.body
        );
        assert!(form.contains(r#"name="start" type="time" value="14:00""#));
        assert!(form.contains(r#"name="capacity" type="number" value="6""#));
        assert!(
            form.contains(r#"name="date" type="date" value="""#),
            "the date is left to choose"
        );
    }
);

db_test!(
    async fn a_cancelled_session_says_so_offers_no_sheet_and_shows_how_each_person_was_told(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        app.register(f.session_id, "Lucienne Fabre", None, Some("04 90 11 22 33"))
            .await;
        let resp = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/sessions/{}/cancel", f.session_id),
                json!({}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let page = v.get(&format!("/staff/seances/{}", f.session_id)).await;
        assert!(page.contains("Séance annulée"));
        assert!(!page.contains("Complet"), "{}", page.body);
        assert!(!page.contains("/emargement"));
        assert!(page.contains("Ana — code"));
        assert!(
            page.contains("prévenu·e par e-mail ("),
            "how Ana is told: {}",
            page.body
        );
        assert!(page.contains("à prévenir par téléphone"));
        let sheet = v.get(&format!("/staff/seances/{}/emargement", f.session_id)).await;
        assert_eq!(sheet.status, StatusCode::CONFLICT);
        assert!(sheet.contains("Séance annulée : pas de feuille d'émargement"));
    }
);

/// The edit form's fields for the fixture's place on `date` from `start` to `end`.
fn moved_to<'a>(place: &'a str, date: &'a str, start: &'a str, end: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("place", place),
        ("date", date),
        ("start", start),
        ("end", end),
        ("capacity", "8"),
    ]
}

db_test!(
    async fn an_edit_to_a_start_in_the_past_is_refused_beside_the_date_and_nothing_changes(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let path = format!("/staff/seances/{}/modifier", f.session_id);
        let place = f.place_id.to_string();
        // The test clock says Monday 4 January 2027, 9:00.
        let page = v
            .submit(&path, &path, &moved_to(&place, "2027-01-04", "08:00", "10:00"))
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains(r##"<a href="#date">Une séance ne peut pas commencer dans le passé"##),
            "{}",
            page.body
        );
        assert!(page.contains(r#"id="date-erreur""#));
        assert!(page.contains(r#"value="08:00""#), "what was typed is kept");
        let s = session_row(&app, f.session_id).await;
        assert_eq!(s.starts_at.to_rfc3339(), "2027-01-07T13:00:00+00:00", "nothing changed");
    }
);

db_test!(
    async fn an_edit_over_an_appointment_lists_it_with_the_name_and_fits_on_another_desk(app: TestApp) {
        use crate::{
            appointments::paris,
            planning_api::{create, point_with_jeanne_at_half_past_two},
        };
        let (p, w, desk) = point_with_jeanne_at_half_past_two(&app).await;
        let (start, end) = (paris(2027, 1, 5, 10, 0), paris(2027, 1, 5, 11, 0));
        let id = json(create(&app, &p.admin, w, p.place, start, end, json!({})).await).await["id"]
            .as_i64()
            .unwrap() as i32;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let path = format!("/staff/seances/{id}/modifier");
        let form = v.get(&path).await;
        assert!(form.contains("<legend>Postes occupés"), "{}", form.body);
        for d in [1, 2] {
            let ticked = format!(r#"name="desks" value="{d}" checked"#);
            assert!(!form.contains(&ticked), "all desks: nothing ticked");
        }

        let place = p.place.to_string();
        let fields = moved_to(&place, "2027-01-05", "14:00", "16:00");
        let refused = v.submit(&path, &path, &fields).await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(refused.contains("Des rendez-vous sont pris sur ces postes pendant la séance"));
        assert!(
            refused.contains(&format!(
                "mardi 5 janvier 2027 de 14\u{a0}h\u{a0}30 à 15\u{a0}h, poste {desk} : Jeanne Martin"
            )),
            "{}",
            refused.body
        );
        assert!(refused.contains(r#"value="14:00""#), "what was typed is kept");
        assert_eq!(session_row(&app, id).await.starts_at, start, "nothing changed");

        let other = (3 - desk).to_string();
        let mut on_other = fields.clone();
        on_other.push(("desks", &other));
        let done = v.submit(&path, &path, &on_other).await;
        assert_eq!(done.location(), format!("/staff/seances/{id}?fait=modifiee"));
        let s = session_row(&app, id).await;
        assert_eq!(
            (s.starts_at, s.desks.as_deref()),
            (paris(2027, 1, 5, 14, 0), Some(other.as_str()))
        );
        assert!(
            v.get(&path)
                .await
                .contains(&format!(r#"name="desks" value="{other}" checked"#)),
            "the desk chosen is shown ticked"
        );
    }
);

db_test!(
    async fn an_edit_onto_a_public_holiday_shows_the_warning_and_saves_when_told_to_anyway(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let path = format!("/staff/seances/{}/modifier", f.session_id);
        let form = v.get(&path).await;
        let version = form_version(&form);
        let place = f.place_id.to_string();
        let csrf = form.csrf();
        let mut fields = moved_to(&place, "2027-05-06", "14:00", "16:00");
        fields.extend([("csrf", csrf.as_str()), ("version", version.as_str())]);
        let warned = v.post(&path, &fields).await;
        assert_eq!(warned.status, StatusCode::CONFLICT);
        assert!(
            warned.contains("À vérifier avant d'enregistrer les changements"),
            "{}",
            warned.body
        );
        assert!(warned.contains("Le jeudi 6 mai 2027 est un jour férié (Ascension)"));
        assert!(warned.contains("Enregistrer quand même"));
        assert!(!warned.contains("Créer quand même"));
        assert!(warned.contains(r#"value="2027-05-06""#), "what was typed is kept");
        assert!(warned.contains(&version), "the version the form was filled from");
        let s = session_row(&app, f.session_id).await;
        assert_eq!(
            s.starts_at.to_rfc3339(),
            "2027-01-07T13:00:00+00:00",
            "nothing saved yet"
        );

        let key = crate::pages::planning::confirm_key(&warned);
        fields.push(("confirmer", &key));
        let done = v.post(&path, &fields).await;
        assert_eq!(
            done.location(),
            format!("/staff/seances/{}?fait=modifiee", f.session_id)
        );
        let s = session_row(&app, f.session_id).await;
        assert_eq!(s.starts_at.to_rfc3339(), "2027-05-06T12:00:00+00:00");
    }
);

db_test!(
    async fn a_session_edited_without_changing_its_time_gets_no_overlap_warning_with_itself(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let path = format!("/staff/seances/{}/modifier", f.session_id);
        let place = f.place_id.to_string();
        let mut same_time = moved_to(&place, "2027-01-07", "14:00", "16:00");
        same_time[4] = ("capacity", "10");
        let done = v.submit(&path, &path, &same_time).await;
        assert_eq!(
            done.location(),
            format!("/staff/seances/{}?fait=modifiee", f.session_id)
        );
        assert_eq!(session_row(&app, f.session_id).await.capacity, 10);
        // Half an hour longer still overlaps its own old time: no warning either.
        let longer = v
            .submit(&path, &path, &moved_to(&place, "2027-01-07", "14:00", "16:30"))
            .await;
        assert_eq!(
            longer.location(),
            format!("/staff/seances/{}?fait=modifiee", f.session_id)
        );
        assert_eq!(
            session_row(&app, f.session_id).await.ends_at.to_rfc3339(),
            "2027-01-07T15:30:00+00:00"
        );
    }
);
