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
                    ("consent", "oui"),
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
        assert!(page.contains(r##"<a href="#consent">"##));
        assert!(page.contains(r#"value="pas-une-adresse""#), "the typed value is kept");
        assert!(page.contains(r#"value="Jeanne Martin""#));
        assert!(page.contains(r#"aria-describedby="email-aide email-erreur" aria-invalid="true""#));
        assert!(page.contains(r#"id="email-erreur""#));
        assert!(registrations(&app, f.session_id).await.is_empty());

        // Neither e-mail nor phone: one of the two is asked for.
        let page = v.submit(&path, &path, &[("name", "Ahmed"), ("consent", "oui")]).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Indiquez une adresse e-mail ou un numéro de téléphone"));
        assert!(
            page.contains(r#"name="consent" type="checkbox" value="oui" checked"#),
            "the tick is kept"
        );

        // A number one digit short: said next to the phone field.
        let short = v
            .submit(
                &path,
                &path,
                &[("name", "Ahmed"), ("phone", "+33 6 12 34 56 7"), ("consent", "oui")],
            )
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
            .submit(
                &path,
                &path,
                &[("name", "Ahmed"), ("phone", "06 12 34 56 78"), ("consent", "oui")],
            )
            .await;
        assert!(ok.location().starts_with("/inscription/"));
        // The same person again: said next to the phone field.
        let twice = v
            .submit(
                &path,
                &path,
                &[("name", "Ahmed"), ("phone", "0612345678"), ("consent", "oui")],
            )
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
            .submit(
                &path,
                &path,
                &[("name", "Bob"), ("phone", "0612345678"), ("consent", "oui")],
            )
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
