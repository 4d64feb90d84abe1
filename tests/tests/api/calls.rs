//! "À appeler": people a change made by staff reached by neither e-mail nor SMS are listed for
//! a call until someone records it; nobody else is.
use creneau_tests::db_test;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;
use crate::pages::Visitor;

const PASSWORD: &str = "mot-de-passe-solide";

async fn calls_page(v: &Visitor<'_>) -> String {
    let page = v.get("/staff/a-appeler").await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.body
}

db_test!(
    async fn a_landline_only_resident_promoted_from_the_waiting_list_is_listed_until_someone_calls(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        let ana = json(
            app.register(f.session_id, "Ana Lopez", Some("ana@exemple.fr"), None)
                .await,
        )
        .await;
        let bob = app
            .register(f.session_id, "Bob Martin", None, Some("04 90 11 22 33"))
            .await;
        assert_eq!(json(bob).await["status"], "waitlisted");
        // Zoé, promoted later, has an e-mail: she is not listed.
        app.register(f.session_id, "Zoé Durand", Some("zoe@exemple.fr"), None)
            .await;

        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        assert!(calls_page(&v).await.contains("Personne à appeler"));

        // Ana cancels herself: Bob takes her seat and nothing can tell him.
        let token = ana["manage_token"].as_str().unwrap();
        let resp = app
            .request(Method::DELETE, &format!("/api/v1/registrations/{token}"), None, None)
            .await;
        assert!(resp.status().is_success());
        let body = calls_page(&v).await;
        assert!(
            body.contains("Bob Martin — <a href=\"tel:+33490112233\">04 90 11 22 33</a>"),
            "{body}"
        );
        assert!(
            body.contains("Une place s&#x27;est libérée : la personne est inscrite à l&#x27;atelier"),
            "{body}"
        );
        assert!(body.contains("ni e-mail ni SMS possible"));
        assert!(!body.contains("Ana Lopez"), "her own cancellation needs no call");
        assert!(!body.contains("Zoé Durand"));
        // The menu shows the count on every console page.
        let agenda = v.get("/staff").await.body;
        assert!(agenda.contains("À appeler <span class=\"badge\">1"), "{agenda}");

        // Another organisation's staff cannot close it.
        app.organisation("tarascon").await;
        let w = Visitor::new(&app);
        w.sign_in("admin@tarascon.example", PASSWORD).await;
        assert!(!calls_page(&w).await.contains("Bob Martin"));
        let id = outbox_rows(&app)
            .await
            .into_iter()
            .find(|r| r.recipient_name == "Bob Martin" && r.call_if_unreached)
            .unwrap()
            .id;
        let refused = w
            .submit("/staff/a-appeler", &format!("/staff/a-appeler/{id}/prevenu"), &[])
            .await;
        assert_eq!(refused.status, 404);
        assert!(calls_page(&v).await.contains("Bob Martin"));

        let done = v
            .submit("/staff/a-appeler", &format!("/staff/a-appeler/{id}/prevenu"), &[])
            .await;
        assert_eq!(done.status, 303);
        let body = calls_page(&v).await;
        assert!(!body.contains("Bob Martin"), "{body}");
        assert!(!v.get("/staff").await.body.contains("class=\"badge\""));
        // Twice is refused, not recorded twice.
        let again = v
            .submit("/staff/a-appeler", &format!("/staff/a-appeler/{id}/prevenu"), &[])
            .await;
        assert_eq!(again.status, 404);
    }
);

db_test!(
    async fn a_cancelled_session_lists_those_only_a_call_can_reach_and_not_those_an_sms_reaches(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        app.register(f.session_id, "Lucienne Fabre", None, Some("04 90 11 22 33"))
            .await;
        app.register(f.session_id, "Jeanne Roux", None, Some("06 12 34 56 78"))
            .await;
        app.register(f.session_id, "Marc Petit", Some("marc@exemple.fr"), None)
            .await;
        let resp = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/sessions/{}/cancel", f.session_id),
                json!({"reason": "Animatrice malade"}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let body = calls_page(&v).await;
        assert!(body.contains("Lucienne Fabre"), "{body}");
        assert!(body.contains("est annulée. Motif : Animatrice malade."), "{body}");
        // Jeanne gets the SMS, Marc the e-mail.
        assert!(!body.contains("Jeanne Roux"), "{body}");
        assert!(!body.contains("Marc Petit"));
    }
);

db_test!(
    async fn cancelling_a_session_says_beforehand_whom_it_leaves_to_call_and_afterwards_how_each_was_told(
        app: TestApp,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        app.register(f.session_id, "Lucienne Fabre", None, Some("04 90 11 22 33"))
            .await;
        app.register(f.session_id, "Jeanne Roux", None, Some("06 12 34 56 78"))
            .await;
        app.register(f.session_id, "Marc Petit", Some("marc@exemple.fr"), None)
            .await;
        let v = Visitor::new(&app);
        v.sign_in("admin@arles.example", PASSWORD).await;
        let form = v.get(&format!("/staff/seances/{}/annuler", f.session_id)).await.body;
        assert!(
            form.contains("2 personnes (inscrites ou en attente) seront prévenues par e-mail ou SMS."),
            "{form}"
        );
        assert!(form.contains("1 personne n'a ni e-mail ni SMS"), "{form}");
        assert!(form.contains("<li>Lucienne Fabre — 04 90 11 22 33</li>"), "{form}");

        let done = v
            .submit(
                &format!("/staff/seances/{}/annuler", f.session_id),
                &format!("/staff/seances/{}/annuler", f.session_id),
                &[("reason", "Animatrice malade"), ("confirm", "on")],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let page = v.get(&format!("/staff/seances/{}", f.session_id)).await.body;
        assert!(page.contains("Personnes prévenues de l'annulation (3)"), "{page}");
        assert!(page.contains("Jeanne Roux — code"), "{page}");
        assert!(page.contains("prévenu·e par SMS"), "{page}");
        assert!(page.contains("prévenu·e par e-mail"), "{page}");
        assert!(page.contains("<strong>à prévenir par téléphone</strong>"), "{page}");
    }
);
