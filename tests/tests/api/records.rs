//! Activity records: drafts pre-filled from honoured appointments and from attendance,
//! completed or declined by the mediator through the API and the console, and the summary
//! the statistics page counts.
use chrono::{Duration, NaiveDate};
use creneau_tests::{app::TestApp, db_test};
use entities::activity_record::{self, Autonomie, RecordStatus, Theme};
use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

use crate::{appointments::*, helpers::*, pages::Visitor};

const PASSWORD: &str = "mot-de-passe-solide";

async fn records(app: &TestApp) -> Vec<activity_record::Model> {
    activity_record::Entity::find()
        .order_by_asc(activity_record::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.request(Method::PUT, path, Some(token), Some(body)).await
}

async fn mark(app: &TestApp, token: &str, id: i32, outcome: &str) {
    let resp = put(
        app,
        token,
        &format!("/api/v1/admin/appointments/{id}/outcome"),
        json!({"outcome": outcome}),
    )
    .await;
    assert_eq!(resp.status(), 200, "mark {outcome}");
}

/// A mediation point whose "CAF" reason has two themes, an appointment on Tuesday 10:00
/// booked and honoured; answers the admin's fresh token and the appointment's id.
pub(crate) async fn honoured(app: &TestApp, p: &Point, name: &str, email: &str) -> (String, i32) {
    let resp = put(
        app,
        &p.admin,
        &format!("/api/v1/admin/motifs/{}/themes", p.motif),
        json!({"themes": ["social_sante", "aide_aux_demarches_administratives"]}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    booked(app, p, tuesday_ten(), name, email).await;
    let id = appointments(app).await.last().unwrap().id;
    app.state.clock.set(tuesday_ten() + Duration::minutes(40));
    // A day after the epoch: yesterday's token has expired.
    let admin = app.login("admin@arles.example", PASSWORD).await;
    mark(app, &admin, id, "honoured").await;
    (admin, id)
}

pub(crate) fn complete_body() -> Value {
    json!({
        "duration_minutes": 35,
        "themes": ["social_sante"],
        "materiel": ["ordinateur", "telephone"],
        "type_lieu": "lieu_activite",
        "autonomie": "partiellement_autonome",
        "oriente": true,
        "structure": "aide_sociale",
        "precisions": "Prime d'activité",
        "genre": "feminin",
        "tranche_age": "soixante_soixante_neuf",
        "first_time": true
    })
}

db_test!(
    async fn marking_an_appointment_honoured_makes_a_draft_prefilled_from_the_appointment_and_its_motif(app: TestApp) {
        let p = point(&app, 2).await;
        let (admin, id) = honoured(&app, &p, "Jeanne Martin", "jeanne@exemple.fr").await;
        let listed = json(
            app.request(Method::GET, "/api/v1/admin/records", Some(&admin), None)
                .await,
        )
        .await;
        let list = listed.as_array().unwrap();
        assert_eq!(list.len(), 1, "{listed}");
        let r = &list[0];
        assert_eq!(r["kind"], "individuel");
        assert_eq!(r["status"], "draft");
        assert_eq!(r["appointment_id"], id);
        assert_eq!(r["place_id"], p.place);
        assert_eq!(r["date"], "2027-01-05", "the day in Paris");
        assert_eq!(r["duration_minutes"], 30);
        assert_eq!(
            r["themes"],
            json!(["aide_aux_demarches_administratives", "social_sante"]),
            "in the reference's order"
        );
        assert_eq!(r["type_lieu"], "lieu_activite");
        assert_eq!(r["participants"], 1);
        assert_eq!(r["materiel"], json!([]));

        // Marked again: the same draft, never a second record.
        mark(&app, &admin, id, "honoured").await;
        assert_eq!(records(&app).await.len(), 1);
        // Corrected to no-show: the draft goes away; honoured again: it comes back.
        mark(&app, &admin, id, "no_show").await;
        assert!(records(&app).await.is_empty());
        mark(&app, &admin, id, "honoured").await;
        let again = records(&app).await;
        assert_eq!(again.len(), 1);
        // A completed record is the mediator's word: a later no-show leaves it.
        let resp = put(
            &app,
            &admin,
            &format!("/api/v1/admin/records/{}", again[0].id),
            complete_body(),
        )
        .await;
        assert_eq!(resp.status(), 200);
        mark(&app, &admin, id, "no_show").await;
        let kept = records(&app).await;
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].status, RecordStatus::Completed);
    }
);

db_test!(
    async fn attendance_of_a_session_makes_a_collective_draft_and_retaking_it_updates_the_same_record(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 0).await;
        let resp = put(
            &app,
            &admin,
            &format!("/api/v1/admin/workshops/{}/themes", f.workshop_id),
            json!({"themes": ["papiers_elections_citoyennete", "email"]}),
        )
        .await;
        assert_eq!(
            json(resp).await["themes"],
            json!(["email", "papiers_elections_citoyennete"])
        );
        for (name, email) in [
            ("Jeanne Martin", "jeanne@exemple.fr"),
            ("Paul Girard", "paul@exemple.fr"),
            ("Nadia Ferhat", "nadia@exemple.fr"),
        ] {
            assert_eq!(app.register(f.session_id, name, Some(email), None).await.status(), 201);
        }
        let regs = registrations(&app, f.session_id).await;
        app.state.clock.advance(Duration::hours(5));
        let attend = |id: i32, value: &'static str| {
            let app = &app;
            let admin = &admin;
            async move {
                let resp = put(
                    app,
                    admin,
                    &format!("/api/v1/admin/registrations/{id}/attendance"),
                    json!({"attendance": value}),
                )
                .await;
                assert_eq!(resp.status(), 200);
            }
        };
        attend(regs[0].id, "present").await;
        attend(regs[1].id, "present").await;
        attend(regs[2].id, "absent").await;
        let rows = records(&app).await;
        assert_eq!(rows.len(), 1);
        let r = json(
            app.request(
                Method::GET,
                &format!("/api/v1/admin/records/{}", rows[0].id),
                Some(&admin),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(r["kind"], "collectif");
        assert_eq!(r["status"], "draft");
        assert_eq!(r["session_id"], f.session_id);
        assert_eq!(r["titre_atelier"], "Créer mon compte citoyen");
        assert_eq!(r["niveau"], "debutant", "the workshop's level « Débutant »");
        assert_eq!(r["participants"], 2, "those present");
        assert_eq!(r["duration_minutes"], 120);
        assert_eq!(r["themes"], json!(["email", "papiers_elections_citoyennete"]));
        assert!(r.get("type_lieu").is_none_or(Value::is_null));

        // Retaking attendance updates the draft, never a second record.
        attend(regs[2].id, "present").await;
        attend(regs[0].id, "absent").await;
        let rows = records(&app).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].participants, 2);
        attend(regs[2].id, "absent").await;
        assert_eq!(records(&app).await[0].participants, 1);
        // Nobody present any more: no draft.
        attend(regs[1].id, "absent").await;
        assert!(records(&app).await.is_empty());
    }
);

db_test!(
    async fn completing_with_bad_codes_is_refused_in_french_and_changes_nothing(app: TestApp) {
        let p = point(&app, 2).await;
        let (admin, _) = honoured(&app, &p, "Jeanne Martin", "jeanne@exemple.fr").await;
        let before = records(&app).await;
        let path = format!("/api/v1/admin/records/{}", before[0].id);
        let mut body = complete_body();
        body["themes"] = json!(["social_sante", "courriel"]);
        let resp = put(&app, &admin, &path, body).await;
        assert_eq!(resp.status(), 422);
        let problem = json(resp).await;
        assert_eq!(problem["code"], "validation");
        assert_eq!(problem["field"], "themes");
        assert_eq!(problem["message"], "Thématique inconnue : « courriel ».");
        let mut body = complete_body();
        body["autonomie"] = json!("Autonome");
        let message = crate::helpers::problem(put(&app, &admin, &path, body).await, 422, "validation").await;
        assert!(message.contains("Autonomie inconnu"), "{message}");
        let mut body = complete_body();
        body["materiel"] = json!(["aucun", "tablette"]);
        body["titre_atelier"] = json!("Pas pour un rendez-vous");
        let message = crate::helpers::problem(put(&app, &admin, &path, body).await, 422, "validation").await;
        assert_eq!(message, "« Aucun matériel » ne va pas avec un autre matériel.");
        assert_eq!(records(&app).await, before, "nothing changed");

        let done = json(put(&app, &admin, &path, complete_body()).await).await;
        assert_eq!(done["status"], "completed");
        assert_eq!(done["materiel"], json!(["ordinateur", "telephone"]));
        assert_eq!(done["structure"], "aide_sociale");
        assert_eq!(done["tranche_age"], "soixante_soixante_neuf");
        assert_eq!(done["duration_minutes"], 35);
        assert!(done["completed_by_staff_id"].as_i64().is_some());
    }
);

db_test!(
    async fn another_organisations_staff_get_404_on_a_record_and_its_themes(app: TestApp) {
        let p = point(&app, 2).await;
        let (_, _) = honoured(&app, &p, "Jeanne Martin", "jeanne@exemple.fr").await;
        let id = records(&app).await[0].id;
        let (_, other) = app.organisation("tarascon").await;
        let path = format!("/api/v1/admin/records/{id}");
        problem(
            app.request(Method::GET, &path, Some(&other), None).await,
            404,
            "not_found",
        )
        .await;
        problem(put(&app, &other, &path, complete_body()).await, 404, "not_found").await;
        problem(
            app.admin_post(&other, &format!("{path}/decline"), json!({})).await,
            404,
            "not_found",
        )
        .await;
        problem(
            put(
                &app,
                &other,
                &format!("/api/v1/admin/motifs/{}/themes", p.motif),
                json!({"themes": []}),
            )
            .await,
            404,
            "not_found",
        )
        .await;
        let list = json(
            app.request(Method::GET, "/api/v1/admin/records", Some(&other), None)
                .await,
        )
        .await;
        assert_eq!(list, json!([]));
        assert_eq!(records(&app).await[0].status, RecordStatus::Draft);
    }
);

db_test!(
    async fn a_declined_draft_leaves_the_drafts_and_a_completed_record_cannot_be_declined(app: TestApp) {
        let p = point(&app, 2).await;
        let (admin, _) = honoured(&app, &p, "Jeanne Martin", "jeanne@exemple.fr").await;
        let id = records(&app).await[0].id;
        let resp = app
            .admin_post(&admin, &format!("/api/v1/admin/records/{id}/decline"), json!({}))
            .await;
        assert_eq!(json(resp).await["status"], "declined");
        let drafts = json(
            app.request(Method::GET, "/api/v1/admin/records?status=draft", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(drafts, json!([]));
        // Changed their mind: a declined record may still be completed, then not declined.
        let path = format!("/api/v1/admin/records/{id}");
        assert_eq!(put(&app, &admin, &path, complete_body()).await.status(), 200);
        problem(
            app.admin_post(&admin, &format!("{path}/decline"), json!({})).await,
            409,
            "already_completed",
        )
        .await;
        let period = json(
            app.request(
                Method::GET,
                "/api/v1/admin/records?from=2027-01-05&to=2027-01-05&status=completed",
                Some(&admin),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(period.as_array().unwrap().len(), 1);
        let before = json(
            app.request(Method::GET, "/api/v1/admin/records?to=2027-01-04", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(before, json!([]));
    }
);

db_test!(
    async fn the_record_page_renders_prefilled_and_saves_with_french_errors_beside_the_fields(app: TestApp) {
        let p = point(&app, 2).await;
        let (_, appointment) = honoured(&app, &p, "Jeanne Martin", "jeanne@exemple.fr").await;
        let id = records(&app).await[0].id;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let list = v.get("/staff/comptes-rendus").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(
            list.contains(&format!("href=\"/staff/comptes-rendus/{id}\"")),
            "{}",
            list.body
        );
        assert!(list.contains("Rendez-vous « CAF » à 10"), "{}", list.body);
        let day = v.get(&format!("/staff/lieux/{}?jour=2027-01-05", p.place)).await;
        assert!(
            day.contains(&format!("/staff/comptes-rendus/{id}")),
            "the day view links the record"
        );

        let page_path = format!("/staff/comptes-rendus/{id}");
        let form = v.get(&page_path).await;
        assert_eq!(form.status, StatusCode::OK);
        for prefilled in [
            r#"name="duration_minutes" type="text" value="30""#,
            r#"id="themes-aide_aux_demarches_administratives" name="themes" value="aide_aux_demarches_administratives" checked"#,
            r#"id="themes-demarches-social_sante" name="themes" value="social_sante" checked"#,
            r#"id="type_lieu-lieu_activite" name="type_lieu" value="lieu_activite" checked"#,
            "<legend>Autonomie de la personne</legend>",
            "Ne pas enregistrer ce compte rendu",
        ] {
            assert!(form.contains(prefilled), "{prefilled} in\n{}", form.body);
        }
        assert!(!form.contains(r#"value="autonome" checked"#));
        let missing = v
            .submit(
                &page_path,
                &page_path,
                &[
                    ("duration_minutes", "30"),
                    ("themes", "social_sante"),
                    ("materiel", "ordinateur"),
                    ("type_lieu", "lieu_activite"),
                ],
            )
            .await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(missing.contains("autonomie de la personne."), "{}", missing.body);
        assert!(
            missing.contains(r##"<a href="#autonomie">"##),
            "the summary links the field"
        );
        assert!(missing.contains(r#"id="autonomie-erreur""#));
        assert!(
            missing.contains(r#"id="materiel-ordinateur" name="materiel" value="ordinateur" checked"#),
            "kept"
        );
        assert_eq!(records(&app).await[0].status, RecordStatus::Draft);

        let saved = v
            .submit(
                &page_path,
                &page_path,
                &[
                    ("duration_minutes", "45"),
                    ("themes", "social_sante"),
                    ("themes", "logement"),
                    ("materiel", "ordinateur"),
                    ("type_lieu", "lieu_activite"),
                    ("autonomie", "autonome"),
                    ("structure", ""),
                    ("genre", ""),
                    ("tranche_age", "quarante_cinquante_neuf"),
                    ("statut_social", ""),
                    ("first_time", "non"),
                    ("notes", ""),
                ],
            )
            .await;
        assert_eq!(
            saved.location(),
            "/staff/comptes-rendus?fait=enregistre",
            "{}",
            saved.body
        );
        let r = &records(&app).await[0];
        assert_eq!(r.status, RecordStatus::Completed);
        assert_eq!(r.appointment_id, Some(appointment));
        assert_eq!((r.duration_minutes, r.themes.as_str()), (45, "social_sante,logement"));
        assert_eq!(r.autonomie, Some(Autonomie::Autonome));
        assert_eq!(r.oriente, Some(false));
        assert_eq!(r.first_time, Some(false));
        assert_eq!(r.genre, None);
        let done = v.get("/staff/comptes-rendus?fait=enregistre").await;
        assert!(done.contains("Compte rendu enregistré."));
        assert!(done.contains("Aucun compte rendu à compléter."));
    }
);

db_test!(
    async fn the_summary_counts_completed_records_per_theme_and_autonomy(app: TestApp) {
        let p = point(&app, 2).await;
        let (admin, _) = honoured(&app, &p, "Jeanne Martin", "jeanne@exemple.fr").await;
        let paul = {
            // A second appointment the same morning, honoured too.
            app.state.clock.set(tuesday_ten() - Duration::days(1));
            let start = tuesday_ten() + Duration::minutes(30);
            booked(&app, &p, start, "Paul Girard", "paul@exemple.fr").await;
            app.state.clock.set(start + Duration::minutes(5));
            let id = appointments(&app).await.last().unwrap().id;
            mark(&app, &admin, id, "honoured").await;
            id
        };
        // A third, honoured but left as a draft: it does not count.
        app.state.clock.set(tuesday_ten() - Duration::days(1));
        booked(
            &app,
            &p,
            tuesday_ten() + Duration::hours(1),
            "Nadia Ferhat",
            "nadia@exemple.fr",
        )
        .await;
        app.state.clock.set(tuesday_ten() + Duration::hours(2));
        let nadia = appointments(&app).await.last().unwrap().id;
        mark(&app, &admin, nadia, "honoured").await;

        let rows = records(&app).await;
        assert_eq!(rows.len(), 3);
        let jeanne_record = rows
            .iter()
            .find(|r| r.appointment_id != Some(paul) && r.appointment_id != Some(nadia))
            .unwrap();
        let paul_record = rows.iter().find(|r| r.appointment_id == Some(paul)).unwrap();
        let path = |id: i32| format!("/api/v1/admin/records/{id}");
        assert_eq!(
            put(&app, &admin, &path(jeanne_record.id), complete_body())
                .await
                .status(),
            200
        );
        let mut body = complete_body();
        body["themes"] = json!(["social_sante", "logement"]);
        body["autonomie"] = json!("autonome");
        assert_eq!(put(&app, &admin, &path(paul_record.id), body).await.status(), 200);

        let day = NaiveDate::from_ymd_opt(2027, 1, 5).unwrap();
        let org = p.org;
        let s = creneau::records::stats::summary(&app.state.db, org, day, day, None)
            .await
            .unwrap();
        assert_eq!((s.records, s.participants), (2, 2));
        assert_eq!(
            s.themes.into_iter().collect::<Vec<_>>(),
            [(Theme::SocialSante, 2), (Theme::Logement, 1)]
        );
        assert_eq!(
            s.autonomie.into_iter().collect::<Vec<_>>(),
            [(Autonomie::PartiellementAutonome, 1), (Autonomie::Autonome, 1)]
        );
        let at_place = creneau::records::stats::summary(&app.state.db, org, day, day, Some(p.place))
            .await
            .unwrap();
        assert_eq!(at_place.records, 2);
        let elsewhere = creneau::records::stats::summary(&app.state.db, org, day, day, Some(p.place + 1000))
            .await
            .unwrap();
        assert_eq!(elsewhere.records, 0);
        let before = creneau::records::stats::summary(
            &app.state.db,
            org,
            day - Duration::days(7),
            day - Duration::days(1),
            None,
        )
        .await
        .unwrap();
        assert_eq!(before.records, 0, "the period is inclusive of its days only");
        let other = app.organisation("tarascon").await.0;
        assert_eq!(
            creneau::records::stats::summary(&app.state.db, other, day, day, None)
                .await
                .unwrap()
                .records,
            0
        );
    }
);

db_test!(
    async fn the_demo_seeds_theme_mappings_a_draft_and_completed_records(app: TestApp) {
        creneau::demo::seed(&app.state).await.unwrap();
        let rows = records(&app).await;
        let draft: Vec<_> = rows.iter().filter(|r| r.status == RecordStatus::Draft).collect();
        assert_eq!(draft.len(), 1, "the session under way, its attendance taken");
        assert!(draft[0].session_id.is_some() && draft[0].participants == 2);
        assert!(!draft[0].themes.is_empty(), "its workshop has themes");
        assert_eq!(rows.iter().filter(|r| r.status == RecordStatus::Completed).count(), 3);
        let mappings = entities::theme_mapping::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap();
        assert!(mappings.len() >= 10, "every reason and workshop");
    }
);
