//! A resident registers for a workshop and cancels, with the forms.
use creneau_tests::db_test;
use entities::kinds::RegistrationStatus;
use reqwest::StatusCode;

use super::Visitor;
use crate::helpers::*;

db_test!(
    async fn a_resident_registers_through_the_form_sees_the_confirmation_and_cancels_after_confirming(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let v = Visitor::new(&app);

        let list = v.get("/ateliers").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.contains("jeudi 7 janvier, 14\u{a0}h – 16\u{a0}h"), "{}", list.body);
        assert!(list.contains("8 places restantes"));
        assert!(list.contains(&format!("href=\"/ateliers/{}\"", f.session_id)));

        let form_path = format!("/ateliers/{}", f.session_id);
        let form = v.get(&form_path).await;
        assert_eq!(
            form.title(),
            "Inscription — Créer mon compte citoyen — Créneau, Ville de arles"
        );
        assert!(form.contains(r#"autocomplete="name""#));
        assert!(form.contains(r#"autocomplete="email""#));
        assert!(form.contains(r#"autocomplete="tel""#));

        let done = v
            .post(
                &form_path,
                &[
                    ("csrf", &form.csrf()),
                    ("name", "Jeanne Martin"),
                    ("email", "Jeanne.Martin@exemple.fr"),
                    ("phone", ""),
                ],
            )
            .await;
        let manage = done.location();
        assert!(manage.starts_with("/inscription/"), "{manage}");
        let token = manage.trim_start_matches("/inscription/").to_string();
        let rows = registrations(&app, f.session_id).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, RegistrationStatus::Confirmed);
        assert_eq!(rows[0].email.as_deref(), Some("jeanne.martin@exemple.fr"));
        assert_ne!(rows[0].manage_token_hash, token, "only the hash is stored");

        let page = v.get(&manage).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.contains("Votre inscription est confirmée"));
        assert!(
            page.contains("La confirmation est envoyée à <strong>jeanne.martin@exemple.fr</strong>"),
            "the address the e-mail went to is repeated"
        );
        assert!(
            page.contains(r#"<a href="tel:0490493939">04 90 49 39 39</a>"#),
            "{}",
            page.body
        );
        assert!(page.contains("Ajouter à mon agenda"));
        assert!(page.contains(&format!("/api/v1/registrations/{token}/invite.ics")));
        assert!(page.contains("Gardez ce lien : il permet d'annuler"));
        assert!(
            page.contains(&format!("http://127.0.0.1/inscription/{token}")),
            "the link to keep is shown"
        );

        let confirm_path = format!("{manage}/annuler");
        let confirm = v.get(&confirm_path).await;
        assert!(confirm.contains("Annuler votre inscription ?"));
        assert_eq!(
            session_row(&app, f.session_id).await.seats_taken,
            1,
            "asking is not cancelling"
        );
        let cancelled = v.post(&confirm_path, &[("csrf", &confirm.csrf())]).await;
        assert_eq!(cancelled.location(), manage);
        assert!(v.get(&manage).await.contains("Votre inscription est annulée"));
        assert_eq!(session_row(&app, f.session_id).await.seats_taken, 0);
        assert_eq!(
            registrations(&app, f.session_id).await[0].status,
            RegistrationStatus::Cancelled
        );
    }
);

db_test!(
    async fn errors_are_stated_next_to_their_fields_summarised_at_the_top_and_the_values_are_kept(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let v = Visitor::new(&app);
        let path = format!("/ateliers/{}", f.session_id);
        let page = v
            .submit(
                &path,
                &path,
                &[("name", "Jeanne Martin"), ("email", "pas-une-adresse"), ("phone", "")],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.title().starts_with("Erreur : Inscription"), "{}", page.title());
        assert!(
            page.contains(r##"<a href="#email">Cette adresse e-mail n'est pas valide"##),
            "{}",
            page.body
        );
        assert!(!page.contains("consent"), "no consent is asked: {}", page.body);
        assert!(page.contains("Téléphone ou e-mail"));
        assert!(!page.contains("(facultatif)"));
        assert!(page.contains(r#"href="/donnees-personnelles""#));
        assert!(page.contains(r#"value="pas-une-adresse""#), "the typed value is kept");
        assert!(page.contains(r#"value="Jeanne Martin""#));
        assert!(page.contains(r#"aria-describedby="email-aide email-erreur" aria-invalid="true""#));
        assert!(page.contains(r#"id="email-erreur""#));
        assert!(registrations(&app, f.session_id).await.is_empty());

        // Neither e-mail nor phone: one of the two is asked for.
        let page = v.submit(&path, &path, &[("name", "Ahmed")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains(r##"<a href="#phone">Indiquez une adresse e-mail ou un numéro de téléphone"##));

        // An empty name says what is missing, not the length rule.
        let page = v
            .submit(&path, &path, &[("name", " "), ("phone", "06 12 34 56 78")])
            .await;
        assert!(
            page.contains(r##"<a href="#name">Indiquez votre nom.</a>"##),
            "{}",
            page.body
        );

        // A number one digit short: said next to the phone field.
        let short = v
            .submit(&path, &path, &[("name", "Ahmed"), ("phone", "+33 6 12 34 56 7")])
            .await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            short.contains(r##"<a href="#phone">Ce numéro n'a pas le bon nombre de chiffres"##),
            "{}",
            short.body
        );
        assert!(registrations(&app, f.session_id).await.is_empty());

        // A phone alone is enough.
        let ok = v
            .submit(&path, &path, &[("name", "Ahmed"), ("phone", "06 12 34 56 78")])
            .await;
        assert!(ok.location().starts_with("/inscription/"));
        // The same person again: said next to the phone field.
        let twice = v
            .submit(&path, &path, &[("name", "Ahmed"), ("phone", "0612345678")])
            .await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        assert!(
            twice.contains(r##"<a href="#phone">Cette personne est déjà inscrite"##),
            "{}",
            twice.body
        );
    }
);

db_test!(
    async fn a_full_session_offers_the_waiting_list_and_the_manage_page_gives_the_position(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        let v = Visitor::new(&app);
        let list = v.get("/ateliers").await;
        assert!(list.contains("Complet — liste d'attente"));
        let path = format!("/ateliers/{}", f.session_id);
        assert!(v.get(&path).await.contains("M'inscrire sur la liste d'attente"));
        let done = v
            .submit(&path, &path, &[("name", "Bob"), ("phone", "0612345678")])
            .await;
        let page = v.get(&done.location()).await;
        assert!(page.contains("Vous êtes sur la liste d'attente"));
        assert!(page.contains("position 1"));
        assert!(!page.contains("Ajouter à mon agenda"), "no invite while waiting");
    }
);

db_test!(
    async fn the_list_filters_by_place_with_a_plain_get_form(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let a = app.session_with(&admin, 8, 3).await;
        let b = app.session_with(&admin, 8, 4).await;
        let v = Visitor::new(&app);
        let all = v.get("/ateliers").await;
        assert!(
            all.contains(&format!("/ateliers/{}\"", a.session_id))
                && all.contains(&format!("/ateliers/{}\"", b.session_id))
        );
        let one = v.get(&format!("/ateliers?lieu={}", b.place_id)).await;
        assert!(!one.contains(&format!("/ateliers/{}\"", a.session_id)));
        assert!(one.contains(&format!("/ateliers/{}\"", b.session_id)));
        assert!(one.contains(&format!(r#"<option value="{}" selected>"#, b.place_id)));
        // Junk in the filter is ignored, not an error.
        assert_eq!(v.get("/ateliers?lieu=abc").await.status, StatusCode::OK);
    }
);

/// A workshop with `dates` sessions at `place`, the first `first_day` days from now, one a day.
async fn workshop_with_dates(
    app: &creneau_tests::app::TestApp,
    admin: &str,
    place: i64,
    title: &str,
    first_day: i64,
    dates: i64,
) -> (i64, Vec<i64>) {
    let w = json(
        app.admin_post(
            admin,
            "/api/v1/admin/workshops",
            serde_json::json!({
                "title": title, "summary": "En petit groupe", "description": "Atelier", "level": "Débutant",
                "audience": "Adultes", "default_duration_minutes": 120, "default_capacity": 8
            }),
        )
        .await,
    )
    .await;
    let mut sessions = Vec::new();
    for d in 0..dates {
        let start = app.now() + chrono::Duration::days(first_day + d) + chrono::Duration::hours(5);
        let resp = app
            .admin_post(
                admin,
                "/api/v1/admin/sessions",
                serde_json::json!({
                    "workshop_id": w["id"], "place_id": place, "capacity": 8,
                    "starts_at": start.to_rfc3339(), "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339()
                }),
            )
            .await;
        assert_eq!(resp.status(), 201);
        sessions.push(json(resp).await["id"].as_i64().unwrap());
    }
    (w["id"].as_i64().unwrap(), sessions)
}

db_test!(
    async fn the_list_shows_each_workshop_once_with_its_next_dates_the_most_wanted_first_and_filters_by_theme(
        app: TestApp,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let place = json(
            app.admin_post(
                &admin,
                "/api/v1/admin/places",
                serde_json::json!({"name": "Médiathèque", "kind": "library", "address": "Place Félix Rey",
                    "postal_code": "13200", "city": "Arles"}),
            )
            .await,
        )
        .await["id"]
            .as_i64()
            .unwrap();
        let (first, first_dates) = workshop_with_dates(&app, &admin, place, "Premiers pas", 2, 5).await;
        let (wanted, wanted_dates) = workshop_with_dates(&app, &admin, place, "Scanner un document", 10, 1).await;
        for name in ["Ana", "Bob"] {
            let r = app
                .register(wanted_dates[0] as i32, name, None, Some("06 12 34 56 78"))
                .await;
            assert_eq!(r.status(), 201);
        }
        let r = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/admin/workshops/{wanted}/themes"),
                Some(&admin),
                Some(serde_json::json!({"themes": ["bureautique"]})),
            )
            .await;
        assert_eq!(r.status(), 200);

        let v = Visitor::new(&app);
        let list = v.get("/ateliers").await;
        assert_eq!(
            list.body.matches("Premiers pas</h2>").count(),
            1,
            "one card per workshop"
        );
        let (at_wanted, at_first) = (
            list.body.find("Scanner un document</h2>").unwrap(),
            list.body.find("Premiers pas</h2>").unwrap(),
        );
        assert!(at_wanted < at_first, "the most registered comes first, though later");
        assert!(list.contains(&format!(r#"href="/ateliers/{}""#, first_dates[2])));
        assert!(
            !list.contains(&format!(r#"href="/ateliers/{}""#, first_dates[3])),
            "three dates a card"
        );
        assert!(list.contains(&format!(r#"href="/ateliers?atelier={first}">Voir 2 autres dates"#)));
        assert!(list.contains("2 ateliers, 6 dates."));

        let all = v.get(&format!("/ateliers?atelier={first}")).await;
        assert!(all.contains("Toutes les dates : Premiers pas"));
        for s in &first_dates {
            assert!(all.contains(&format!(r#"href="/ateliers/{s}""#)));
        }
        assert!(!all.contains("Scanner un document"));

        assert!(
            list.contains(r#"<option value="bureautique">Bureautique</option>"#),
            "{}",
            list.body
        );
        let themed = v.get("/ateliers?theme=bureautique").await;
        assert!(themed.contains(&format!(r#"href="/ateliers/{}""#, wanted_dates[0])));
        assert!(!themed.contains("Premiers pas"));
        assert!(themed.contains(r#"<option value="bureautique" selected>"#));
        assert_eq!(v.get("/ateliers?theme=rien&atelier=x").await.status, StatusCode::OK);
    }
);

db_test!(
    async fn a_mistyped_email_domain_is_questioned_before_registering_and_the_answer_is_followed(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let v = Visitor::new(&app);
        let path = format!("/ateliers/{}", f.session_id);
        let typed = [("name", "Josette Roux"), ("email", "josette@gmial.com")];
        let asked = v.submit(&path, &path, &typed).await;
        assert_eq!(asked.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            asked.contains("Vouliez-vous dire josette@gmail.com ?"),
            "{}",
            asked.body
        );
        assert!(asked.contains(r#"value="josette@gmial.com""#), "what was typed is kept");
        assert!(asked.contains(r#"name="email_fix" value="non""#));
        assert!(registrations(&app, f.session_id).await.is_empty());

        // Keeping the address as typed.
        let kept = v
            .submit(
                &path,
                &path,
                &[
                    typed[0],
                    typed[1],
                    ("email_checked", "josette@gmial.com"),
                    ("email_fix", "non"),
                ],
            )
            .await;
        assert!(kept.location().starts_with("/inscription/"));
        assert_eq!(
            registrations(&app, f.session_id).await[0].email.as_deref(),
            Some("josette@gmial.com")
        );

        // Taking the suggestion: the confirmation says where it went.
        let fixed = v
            .submit(
                &path,
                &path,
                &[
                    ("name", "Marc Roux"),
                    ("email", "marc@gmial.com"),
                    ("email_checked", "marc@gmial.com"),
                    ("email_fix", "oui"),
                ],
            )
            .await;
        let page = v.get(&fixed.location()).await;
        assert!(
            page.contains("envoyée à <strong>marc@gmail.com</strong>"),
            "{}",
            page.body
        );
    }
);
