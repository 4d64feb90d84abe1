//! Loose input refused: control characters in free text, a number or `null` where text is
//! expected, a leap second, a date past 2100; and a 405 that says which methods are allowed.
use chrono::Duration;
use creneau_tests::db_test;
use reqwest::Method;
use serde_json::{Value, json};

use crate::appointments::{appointments, book, point, tuesday_ten, z};
use crate::helpers::*;
use crate::pages::Visitor;

/// The French words said of a control character, in the API and on the pages.
const CONTROL: &str = "caractère de contrôle";

async fn assert_control_refused(resp: reqwest::Response) {
    let message = problem(resp, 422, "validation").await;
    assert!(message.contains(CONTROL), "{message}");
}

db_test!(
    async fn a_nul_byte_or_a_control_character_in_free_text_is_refused_with_a_french_422(app: TestApp) {
        let p = point(&app, 1).await;
        let ten = tuesday_ten();
        let booking = |extra: Value| {
            let mut body =
                json!({"motif": p.motif, "start": z(ten), "name": "Ahmed Haddad", "phone": "06 12 34 56 78"});
            body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            body
        };
        let path = format!("/api/v1/places/{}/appointments", p.place);
        for extra in [
            json!({"note": "avant\u{0}après"}),
            json!({"accessibility_needs": "\u{1b}[31mrouge"}),
            json!({"name": "Ahmed\u{0}Haddad"}),
        ] {
            assert_control_refused(app.post(&path, booking(extra)).await).await;
        }
        assert!(appointments(&app).await.is_empty(), "nothing stored");

        // Several lines are fine in a note.
        let resp = app.post(&path, booking(json!({"note": "ligne 1\nligne 2\tfin"}))).await;
        assert_eq!(resp.status(), 201);
        assert_eq!(
            appointments(&app).await[0].note.as_deref(),
            Some("ligne 1\nligne 2\tfin")
        );
        let id = appointments(&app).await[0].id;

        let place = json!({
            "name": "Médiathèque", "kind": "library", "address": "Place Félix Rey",
            "postal_code": "13200", "city": "Arl\u{0}es"
        });
        assert_control_refused(app.admin_post(&p.admin, "/api/v1/admin/places", place).await).await;
        let workshop = json!({
            "title": "Créer\u{0} mon compte", "summary": "Pas à pas", "description": "Atelier",
            "level": "Débutant", "audience": "Adultes", "default_duration_minutes": 120, "default_capacity": 8
        });
        assert_control_refused(app.admin_post(&p.admin, "/api/v1/admin/workshops", workshop).await).await;
        let cancel = app
            .admin_post(
                &p.admin,
                &format!("/api/v1/admin/appointments/{id}/cancel"),
                json!({"reason": "absent\u{0}"}),
            )
            .await;
        assert_control_refused(cancel).await;
    }
);

db_test!(
    async fn a_nul_byte_in_the_booking_form_is_refused_beside_its_field(app: TestApp) {
        let p = point(&app, 1).await;
        let v = Visitor::new(&app);
        let ten = tuesday_ten();
        let base = format!("/prendre-rendez-vous/{}/{}", p.place, p.motif);
        let details = v.get(&format!("{base}/coordonnees?debut={}", z(ten))).await;
        let refused = v
            .post(
                &format!("{base}/coordonnees"),
                &[
                    ("csrf", &details.csrf()),
                    ("start", &z(ten)),
                    ("name", "Ahmed Haddad"),
                    ("phone", "06 12 34 56 78"),
                    ("note", "avant\u{0}après"),
                ],
            )
            .await;
        assert_eq!(refused.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.contains(r##"<a href="#note">"##), "{}", refused.body);
        assert!(refused.contains(CONTROL), "{}", refused.body);
        assert!(appointments(&app).await.is_empty());
    }
);

db_test!(
    async fn a_number_or_null_where_text_is_expected_is_refused_in_french(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 4, 3).await;
        let path = format!("/api/v1/sessions/{}/registrations", f.session_id);
        for body in [
            json!({"name": 123, "phone": "06 12 34 56 78", "consent": true}),
            json!({"name": null, "phone": "06 12 34 56 78", "consent": true}),
            json!({"name": "Jeanne", "phone": 612345678, "consent": true}),
            json!({"name": true, "phone": "06 12 34 56 78", "consent": true}),
        ] {
            let message = problem(app.post(&path, body.clone()).await, 400, "bad_request").await;
            assert!(message.starts_with("Requête invalide : un champ"), "{body}: {message}");
        }
        assert!(registrations(&app, f.session_id).await.is_empty());
    }
);

db_test!(
    async fn a_leap_second_or_a_session_ending_in_9999_is_refused(app: TestApp) {
        let p = point(&app, 1).await;
        let ten = tuesday_ten();
        let leap = format!("{}T23:59:60Z", ten.format("%Y-%m-%d"));
        let resp = book(&app, p.place, p.motif, ten, "Ahmed", None, Some("0612345678")).await;
        assert_eq!(resp.status(), 201, "a plain booking works");
        let resp = app
            .post(
                &format!("/api/v1/places/{}/appointments", p.place),
                json!({"motif": p.motif, "start": leap, "name": "Ahmed", "phone": "0612345678"}),
            )
            .await;
        let message = problem(resp, 422, "validation").await;
        assert!(message.contains("secondes"), "{message}");
        let resp = app
            .get(&format!(
                "/api/v1/places/{}/slots?motif={}&from={}",
                p.place,
                p.motif,
                leap.replace(':', "%3A")
            ))
            .await;
        assert_eq!(resp.status(), 422, "a leap second in a parameter too");

        let (_, admin) = app.organisation("tarascon").await;
        let f = app.session_with(&admin, 4, 3).await;
        let start = app.now() + Duration::days(4);
        let resp = app
            .admin_post(
                &admin,
                "/api/v1/admin/sessions",
                json!({
                    "workshop_id": f.workshop_id, "place_id": f.place_id,
                    "starts_at": start.to_rfc3339(), "ends_at": "9999-12-31T23:59:59+01:00", "capacity": 4
                }),
            )
            .await;
        let message = problem(resp, 422, "validation").await;
        assert!(message.contains("entre 2000 et 2100"), "{message}");
    }
);

db_test!(
    async fn a_method_not_allowed_answer_says_which_methods_are(app: TestApp) {
        let resp = app.request(Method::PUT, "/api/v1/sessions", None, None).await;
        assert_eq!(resp.status(), 405);
        let allow = resp
            .headers()
            .get("allow")
            .expect("an Allow header")
            .to_str()
            .unwrap()
            .to_string();
        assert!(allow.contains("GET"), "{allow}");
        let resp = app.request(Method::DELETE, "/api/v1/sessions/12", None, None).await;
        assert_eq!(resp.status(), 405);
        assert!(resp.headers().contains_key("allow"));
    }
);

db_test!(
    async fn a_page_answering_405_says_which_methods_it_has(app: TestApp) {
        for (method, path, expected) in [
            (Method::DELETE, "/", "GET, HEAD"),
            (Method::DELETE, "/ateliers", "GET, HEAD"),
            (Method::PUT, "/ateliers/1", "GET, POST, HEAD"),
            (Method::POST, "/staff/seances", "GET, HEAD"),
            (Method::GET, "/staff/deconnexion", "POST"),
            (Method::PATCH, "/staff/seances/nouvelle", "GET, POST, HEAD"),
            (Method::DELETE, "/static/site.css", "GET, HEAD"),
        ] {
            let resp = app.request(method.clone(), path, None, None).await;
            assert_eq!(resp.status(), 405, "{method} {path}");
            let allow = resp.headers().get("allow").map(|v| v.to_str().unwrap().to_string());
            assert_eq!(allow.as_deref(), Some(expected), "{method} {path}");
        }
    }
);
