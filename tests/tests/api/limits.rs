//! Rate limits, body and header limits, and `/metrics`, over real HTTP.
use creneau_tests::app::{Backend, TestApp};
use entities::kinds::OutboxStatus;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn register_from(app: &TestApp, ip: &str, session_id: i32, n: usize) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/sessions/{session_id}/registrations", app.base))
        .header("x-forwarded-for", ip)
        .json(&json!({"name": format!("Personne {n}"), "phone": format!("06 12 34 {:02} {:02}", n / 100, n % 100), "consent": true}))
        .send()
        .await
        .unwrap()
}

async fn assert_rate_limited(resp: reqwest::Response) {
    let retry: u64 = resp
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let message = problem(resp, 429, "rate_limited").await;
    assert!(message.contains("réessayez"), "{message}");
}

async fn spawn_limited(backend: Backend, trust_proxy: bool) -> Option<TestApp> {
    TestApp::spawn_with(backend, |s| {
        s.public_post_per_minute = 1;
        s.public_post_burst = 3;
        s.login_per_minute = 1;
        s.login_burst = 2;
        s.trust_proxy = trust_proxy;
    })
    .await
}

async fn public_writes_past_the_burst_get_429_and_another_client_is_unaffected(backend: Backend) {
    let Some(app) = spawn_limited(backend, true).await else {
        return;
    };
    let (_, admin) = app.organisation("arles").await;
    let f = app.session_with(&admin, 10, 3).await;
    for n in 0..3 {
        assert_eq!(register_from(&app, "192.0.2.1", f.session_id, n).await.status(), 201);
    }
    assert_rate_limited(register_from(&app, "192.0.2.1", f.session_id, 3).await).await;
    // A cancellation is a public write too.
    let resp = app
        .client
        .delete(format!("{}/api/v1/registrations/{}", app.base, "x".repeat(43)))
        .header("x-forwarded-for", "192.0.2.1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    // The limited request changed nothing.
    assert_eq!(registrations(&app, f.session_id).await.len(), 3);

    // Another address (behind the same trusted proxy) has its own allowance.
    assert_eq!(register_from(&app, "192.0.2.2", f.session_id, 4).await.status(), 201);
    // Reads and staff operations are never limited.
    assert_eq!(app.get("/api/v1/sessions").await.status(), 200);
    let resp = app
        .client
        .get(format!("{}/api/v1/sessions/{}", app.base, f.session_id))
        .header("x-forwarded-for", "192.0.2.1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = app
        .admin_post(
            &admin,
            &format!("/api/v1/admin/sessions/{}/registrations", f.session_id),
            json!({"name": "Au guichet", "phone": "04 90 00 00 01", "consent": true}),
        )
        .await;
    assert_ne!(resp.status(), 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn public_writes_past_the_burst_get_429_with_retry_after_and_another_client_is_unaffected() {
    public_writes_past_the_burst_get_429_and_another_client_is_unaffected(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_limited_form_of_the_pages_gets_a_french_page_not_json() {
    let app = spawn_limited(Backend::Sqlite, true).await.unwrap();
    let (_, admin) = app.organisation("arles").await;
    let f = app.session_with(&admin, 10, 3).await;
    for n in 0..3 {
        assert_eq!(register_from(&app, "192.0.2.7", f.session_id, n).await.status(), 201);
    }
    let resp = app
        .client
        .post(format!("{}/ateliers/{}", app.base, f.session_id))
        .header("x-forwarded-for", "192.0.2.7")
        .form(&[
            ("name", "Jeanne Martin"),
            ("phone", "06 12 34 56 78"),
            ("consent", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/html"), "{ct}");
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("Trop de demandes") && page.contains("réessayez dans"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_trusted_proxy_a_forged_forwarded_for_does_not_buy_a_fresh_allowance() {
    let app = spawn_limited(Backend::Sqlite, false).await.unwrap();
    let (_, admin) = app.organisation("arles").await;
    let f = app.session_with(&admin, 10, 3).await;
    for n in 0..3 {
        let ip = format!("198.51.100.{n}");
        assert_eq!(register_from(&app, &ip, f.session_id, n).await.status(), 201);
    }
    assert_rate_limited(register_from(&app, "198.51.100.99", f.session_id, 9).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_attempts_past_the_burst_get_429_before_the_password_is_checked() {
    let app = spawn_limited(Backend::Sqlite, true).await.unwrap();
    app.organisation("arles").await; // one sign-in: the admin's token
    let attempt = |ip: &'static str| {
        app.client
            .post(format!("{}/api/v1/auth/login", app.base))
            .header("x-forwarded-for", ip)
            .json(&json!({"email": "admin@arles.example", "password": "mot-de-passe-solide"}))
            .send()
    };
    assert_eq!(attempt("203.0.113.5").await.unwrap().status(), 200);
    assert_eq!(attempt("203.0.113.5").await.unwrap().status(), 200);
    assert_rate_limited(attempt("203.0.113.5").await.unwrap()).await;
    assert_eq!(attempt("203.0.113.6").await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_body_over_64_kib_is_refused_with_413_as_a_json_problem() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_, admin) = app.organisation("arles").await;
    let f = app.session_with(&admin, 10, 3).await;
    let big = "x".repeat(70 * 1024);
    let resp = app
        .post(
            &format!("/api/v1/sessions/{}/registrations", f.session_id),
            json!({"name": big, "phone": "06 12 34 56 78", "consent": true}),
        )
        .await;
    problem(resp, 413, "payload_too_large").await;
    assert!(registrations(&app, f.session_id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_without_a_json_body_is_refused_with_415_as_the_spec_declares() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_, admin) = app.organisation("arles").await;
    let f = app.session_with(&admin, 10, 3).await;
    let path = format!("/api/v1/sessions/{}/registrations", f.session_id);
    let resp = app.client.post(format!("{}{path}", app.base)).send().await.unwrap();
    problem(resp, 415, "unsupported_media_type").await;
    let resp = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "text/plain")
        .body("Jeanne")
        .send()
        .await
        .unwrap();
    problem(resp, 415, "unsupported_media_type").await;
    let spec: serde_json::Value = serde_json::from_str(&creneau::http::openapi::service().spec()).unwrap();
    assert!(spec["paths"]["/api/v1/sessions/{id}/registrations"]["post"]["responses"]["415"].is_object());
    assert!(spec["paths"]["/api/v1/sessions/{id}/registrations"]["post"]["responses"]["413"].is_object());
}

fn metric(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// The operation labels `/metrics` may show besides the spec's operation ids.
const FIXED_OPERATION_LABELS: [&str; 8] = [
    "pages",
    "static",
    "docs",
    "spec",
    "healthz",
    "metrics",
    "api",
    "unmatched",
];

creneau_tests::db_test!(
    async fn metrics_count_requests_by_operation_id_bookings_by_outcome_and_the_outbox(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        let before: String = app.get("/metrics").await.text().await.unwrap();
        // The counters are the process's, and other tests run alongside: compare with what
        // they said before, and expect at least what this test did.
        let series = [
            r#"creneau_http_requests_total{method="POST",operation="register",status="201"}"#,
            r#"creneau_http_requests_total{method="POST",operation="register",status="409"}"#,
            r#"creneau_http_requests_total{method="POST",operation="register",status="415"}"#,
            r#"creneau_http_requests_total{method="GET",operation="getRegistration",status="200"}"#,
            r#"creneau_http_requests_total{method="GET",operation="listSessions",status="200"}"#,
            r#"creneau_http_requests_total{method="GET",operation="unmatched",status="404"}"#,
            r#"creneau_http_requests_total{method="GET",operation="healthz",status="200"}"#,
            r#"creneau_http_request_duration_seconds_count{method="POST",operation="register"}"#,
            r#"creneau_bookings_total{kind="workshop",outcome="confirmed"}"#,
            r#"creneau_bookings_total{kind="workshop",outcome="waitlisted"}"#,
            r#"creneau_bookings_total{kind="workshop",outcome="refused"}"#,
        ];
        let expected = [2.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 4.0, 1.0, 1.0, 1.0];

        let first = json(
            app.register(f.session_id, "Jeanne Martin", Some("jeanne@exemple.fr"), None)
                .await,
        )
        .await;
        let token = first["manage_token"].as_str().unwrap().to_string();
        assert_eq!(first["status"], "confirmed");
        let second = app
            .register(f.session_id, "Paul Durand", None, Some("06 11 22 33 44"))
            .await;
        assert_eq!(json(second).await["status"], "waitlisted");
        let again = app
            .register(f.session_id, "Jeanne Martin", Some("jeanne@exemple.fr"), None)
            .await;
        assert_eq!(again.status(), 409);
        let not_json = app
            .client
            .post(format!("{}/api/v1/sessions/{}/registrations", app.base, f.session_id))
            .header("content-type", "text/plain")
            .body("Jeanne")
            .send()
            .await
            .unwrap();
        assert_eq!(not_json.status(), 415);
        assert_eq!(app.get(&format!("/api/v1/registrations/{token}")).await.status(), 200);
        // The second listing is likely served from the read cache: still the same operation.
        assert_eq!(app.get("/api/v1/sessions").await.status(), 200);
        assert_eq!(app.get("/api/v1/sessions").await.status(), 200);
        assert_eq!(app.get("/wp-login.php").await.status(), 404);
        assert_eq!(app.get("/healthz").await.status(), 200);

        let resp = app.get("/metrics").await;
        assert_eq!(resp.status(), 200);
        let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
        let text = resp.text().await.unwrap();
        assert!(!text.contains(&token), "a manage token reached /metrics");
        assert!(!text.contains("wp-login"), "raw paths must not become labels");
        assert!(!text.contains("/api/"), "raw paths must not become labels");
        for (line, at_least) in series.iter().zip(expected) {
            let (now, then) = (metric(&text, line), metric(&before, line));
            assert!(now >= then + at_least, "{line}: {then} before, {now} after\n{text}");
        }
        assert!(
            text.contains("# TYPE creneau_http_request_duration_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains(
                r#"creneau_http_request_duration_seconds_bucket{method="POST",operation="register",le="+Inf"}"#
            ),
            "{text}"
        );
        // This very scrape is being answered.
        assert!(metric(&text, "creneau_http_requests_in_flight ") >= 1.0, "{text}");
        assert!(metric(&text, "creneau_uptime_seconds ") > 0.0, "{text}");

        // Every operation label is an operation id of the spec or one of a few fixed words.
        let spec: serde_json::Value = serde_json::from_str(&creneau::http::openapi::service().spec()).unwrap();
        let operation_ids: Vec<&str> = spec["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|ops| ops.as_object().unwrap().values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        for label in text.split(r#"operation=""#).skip(1) {
            let label = &label[..label.find('"').unwrap()];
            assert!(
                operation_ids.contains(&label) || FIXED_OPERATION_LABELS.contains(&label),
                "unexpected operation label {label}"
            );
        }

        // The outbox as it stands in this test's database: the confirmation is due now,
        // reminders later.
        let due = outbox_rows(&app)
            .await
            .into_iter()
            .filter(|r| r.status == OutboxStatus::Pending && r.not_before <= app.now())
            .count();
        assert!(due >= 1);
        assert_eq!(metric(&text, "creneau_outbox_due "), due as f64);
        assert_eq!(metric(&text, "creneau_outbox_failed "), 0.0);
        assert_eq!(metric(&text, "creneau_database_up "), 1.0);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_a_metrics_token_set_metrics_ask_for_it() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.metrics_token = Some("jeton-de-supervision".to_string().into())
    })
    .await
    .unwrap();
    problem(app.get("/metrics").await, 401, "unauthorized").await;
    let resp = app.request(Method::GET, "/metrics", Some("mauvais-jeton"), None).await;
    assert_eq!(resp.status(), 401);
    let resp = app
        .request(Method::GET, "/metrics", Some("jeton-de-supervision"), None)
        .await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(text.contains("# TYPE creneau_http_requests_total counter"), "{text}");
    assert!(!text.contains("jeton-de-supervision"), "{text}");
}

creneau_tests::db_test!(
    async fn api_answers_are_never_sniffed_nor_stored_by_a_cache(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 1, 3).await;
        let resp = app
            .register(f.session_id, "Claire Fontaine", Some("claire@exemple.fr"), None)
            .await;
        assert_eq!(resp.status(), 201);
        for resp in [
            resp,
            app.get("/api/v1/sessions").await,
            app.get("/api/v1/nulle-part").await,
        ] {
            let h = resp.headers();
            assert_eq!(h["x-content-type-options"], "nosniff");
            assert_eq!(h["cache-control"], "no-store");
            assert!(!h.contains_key("strict-transport-security"), "plain http: no HSTS");
        }
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn over_https_every_answer_asks_browsers_to_stay_on_https() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.public_url = "https://rendez-vous.ville-exemple.fr".into()
    })
    .await
    .unwrap();
    for path in ["/api/v1/sessions", "/", "/healthz"] {
        let resp = app.get(path).await;
        assert_eq!(
            resp.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
}
