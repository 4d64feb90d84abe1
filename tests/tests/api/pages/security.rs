//! What every page must do whatever it shows: headers, CSRF, escaping, HTML errors.
use creneau_tests::{
    app::{Backend, TestApp},
    db_test,
};
use reqwest::StatusCode;

use super::Visitor;
use crate::helpers::*;

const CSP: &str = "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

db_test!(
    async fn every_page_and_every_page_error_is_french_html_with_the_security_headers(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let v = Visitor::new(&app);
        let paths = [
            ("/".to_string(), 200),
            ("/ateliers".to_string(), 200),
            (format!("/ateliers/{}", f.session_id), 200),
            ("/accessibilite".to_string(), 200),
            ("/staff/connexion".to_string(), 200),
            ("/static/site.css".to_string(), 200),
            ("/ateliers/999999".to_string(), 404),
            ("/ateliers/pas-un-nombre".to_string(), 404),
            (format!("/inscription/{}", "x".repeat(43)), 404),
            ("/inscription/court".to_string(), 404),
            ("/staff/page-inconnue".to_string(), 404),
        ];
        for (path, status) in paths {
            let page = v.get(&path).await;
            assert_eq!(page.status.as_u16(), status, "{path}");
            assert_eq!(page.header("content-security-policy"), CSP, "{path}");
            assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
            assert_eq!(page.header("referrer-policy"), "no-referrer", "{path}");
            if path.ends_with(".css") {
                assert!(page.header("content-type").starts_with("text/css"));
                continue;
            }
            assert!(
                page.header("content-type").starts_with("text/html"),
                "{path}: {}",
                page.header("content-type")
            );
            assert!(page.contains(r#"<html lang="fr">"#), "{path}");
            assert!(
                page.contains(r##"<a class="skip-link" href="#contenu">Aller au contenu</a>"##),
                "{path}"
            );
            assert_eq!(page.body.matches("<h1").count(), 1, "one h1 on {path}");
            assert!(!page.contains("<script"), "no script on {path}");
            assert!(
                !page.contains(" style=\""),
                "no inline style on {path} (the CSP forbids it)"
            );
        }
        let missing = v.get("/ateliers/999999").await;
        assert!(missing.contains("Page introuvable"));
        // The API keeps its JSON problems.
        let api = app.get("/api/v1/sessions/999999").await;
        assert!(
            api.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert_eq!(app.get("/healthz").await.status(), 200);
        assert!(app.get("/openapi.yaml").await.text().await.unwrap().contains("openapi"));
    }
);

db_test!(
    async fn a_form_posted_without_the_matching_csrf_token_is_refused_and_changes_nothing(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let path = format!("/ateliers/{}", f.session_id);
        let fields = [("name", "Jeanne"), ("phone", "0612345678"), ("consent", "oui")];

        // No cookie at all (a cross-site form): refused.
        let stranger = Visitor::new(&app);
        let page = stranger.post(&path, &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(page.contains("Formulaire expiré"));

        // A cookie but no field, or a field that does not match: refused.
        let v = Visitor::new(&app);
        let form = v.get(&path).await;
        assert!(v.cookie("creneau_csrf").is_some());
        assert_eq!(v.post(&path, &fields).await.status, StatusCode::FORBIDDEN);
        let mut forged = vec![("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")];
        forged.extend_from_slice(&fields);
        assert_eq!(v.post(&path, &forged).await.status, StatusCode::FORBIDDEN);
        assert!(registrations(&app, f.session_id).await.is_empty());

        // The token of the page: accepted.
        let mut good = vec![("csrf", form.csrf())];
        good.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
        let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(v.post(&path, &good).await.status, StatusCode::SEE_OTHER);
        assert_eq!(registrations(&app, f.session_id).await.len(), 1);
    }
);

db_test!(
    async fn markup_typed_in_a_name_is_shown_as_text_never_run(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let v = Visitor::new(&app);
        let path = format!("/ateliers/{}", f.session_id);
        let evil = "<script>alert(1)</script>";
        let done = v
            .submit(
                &path,
                &path,
                &[("name", evil), ("phone", "0612345678"), ("consent", "oui")],
            )
            .await;
        let page = v.get(&done.location()).await;
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{}", page.body);
        assert!(!page.body.contains(evil));
        // Kept as typed in the error state too.
        let again = v
            .submit(&path, &path, &[("name", evil), ("email", "faux"), ("consent", "oui")])
            .await;
        assert!(again.contains(r#"value="&lt;script&gt;alert(1)&lt;/script&gt;""#));
        assert!(!again.body.contains(evil));
        // And on the staff side.
        let staff = Visitor::new(&app);
        staff.sign_in("admin@arles.example", "mot-de-passe-solide").await;
        let s = staff.get(&format!("/staff/seances/{}", f.session_id)).await;
        assert!(s.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!s.body.contains(evil));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn over_https_the_cookies_are_secure() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.public_url = "https://creneau.arles.example".into()
    })
    .await
    .unwrap();
    let (_, _admin) = app.organisation("arles").await;
    let v = Visitor::new(&app);
    let page = v.get("/staff/connexion").await;
    let csrf_cookie = page.set_cookies().join("\n");
    assert!(
        csrf_cookie.starts_with("__Host-creneau_csrf=")
            && csrf_cookie.contains("; Secure")
            && csrf_cookie.contains("Path=/"),
        "{csrf_cookie}"
    );
    assert!(!csrf_cookie.contains("Domain"), "{csrf_cookie}");
    assert!(v.cookie("creneau_csrf").is_none(), "only the prefixed name over https");
    let signed_in = v.sign_in("admin@arles.example", "mot-de-passe-solide").await;
    let session = signed_in.set_cookies().join("\n");
    assert!(session.contains("creneau_staff="), "{session}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/staff", "Secure"] {
        assert!(session.contains(attr), "{attr} in {session}");
    }
}

db_test!(
    async fn the_api_docs_page_allows_exactly_its_own_inline_scripts_and_nothing_from_elsewhere(app: TestApp) {
        use base64::Engine;
        use sha2::{Digest, Sha256};
        let resp = app.get("/docs").await;
        assert_eq!(resp.status(), 200);
        let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_string();
        let page = resp.text().await.unwrap();
        assert!(page.contains("SwaggerUIBundle"), "the page is the Swagger UI");
        let script_src = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .expect("a script-src directive")
            .to_string();
        assert!(
            !script_src.contains("unsafe-inline") && !script_src.contains('*'),
            "{csp}"
        );
        for directive in [
            "default-src 'none'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{directive} in {csp}");
        }
        // Every inline script of the page is allowed by its hash, so the page still runs.
        let mut scripts = 0;
        let mut rest = page.as_str();
        while let Some(open) = rest.find("<script") {
            let tag = &rest[open..];
            let body = &tag[tag.find('>').unwrap() + 1..];
            let end = body.find("</script>").expect("a closed script");
            let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&body.as_bytes()[..end]));
            assert!(
                script_src.contains(&format!("'sha256-{hash}'")),
                "script {scripts} allowed"
            );
            scripts += 1;
            rest = &body[end..];
        }
        assert_eq!(scripts, 2, "the bundle and the start-up script");
        // The rest of the service keeps its own rules.
        let api = app.get("/healthz").await;
        assert!(
            !api.headers().contains_key("content-security-policy")
                || api.headers()["content-security-policy"] != csp.as_str()
        );
    }
);

db_test!(
    async fn a_csrf_cookie_without_this_servers_signature_is_refused(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let path = format!("/ateliers/{}", f.session_id);
        let fields = [("name", "Ana"), ("phone", "0612345678"), ("consent", "oui")];

        // The server's cookie: the form's token followed by its signature.
        let v = Visitor::new(&app);
        let form = v.get(&path).await;
        let cookie = v.cookie("creneau_csrf").unwrap();
        let (token, signature) = cookie.split_once('.').expect("token.signature");
        assert_eq!(token, form.csrf());
        assert_eq!(signature.len(), 43);

        // A cookie planted by someone else (a sibling host, an earlier page of an attacker):
        // the same value in cookie and field, but no valid signature.
        let planted = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        for value in [planted.to_string(), format!("{planted}.{signature}")] {
            let attacker = Visitor::new(&app);
            attacker.set_cookie("creneau_csrf", &value);
            let mut forged = vec![("csrf", planted)];
            forged.extend_from_slice(&fields);
            assert_eq!(attacker.post(&path, &forged).await.status, StatusCode::FORBIDDEN);
        }
        assert!(registrations(&app, f.session_id).await.is_empty());

        let mut good = vec![("csrf", token)];
        good.extend_from_slice(&fields);
        assert_eq!(v.post(&path, &good).await.status, StatusCode::SEE_OTHER);
        assert_eq!(registrations(&app, f.session_id).await.len(), 1);
    }
);
