//! What reaches the logs: request lines with ids, and never a resident's e-mail, phone or
//! manage token. The logs of this test process are captured as the service writes them in
//! production (JSON, level `info`), into a buffer the test reads.
use std::sync::{Arc, Mutex, OnceLock};

use creneau::notifications::{
    smtp::Mailer,
    worker::{self, DeliveryOutcome},
};
use creneau_tests::{
    app::{Backend, TestApp},
    brevo::{self, Answer, FakeBrevo},
    smtp_server::TestSmtpServer,
};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once for the whole test process) the production log format writing to a buffer.
fn captured() -> &'static Buffer {
    static CAPTURE: OnceLock<Buffer> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_target(false)
            .json()
            .with_writer(move || writer.clone())
            .try_init()
            .expect("no other subscriber in this test process");
        buffer
    })
}

fn logs_text() -> String {
    String::from_utf8_lossy(&captured().0.lock().unwrap()).into_owned()
}

/// Fails, quoting the lines, when `secret` is on a line of `logs`.
fn assert_not_logged(logs: &str, secret: &str) {
    let hits: Vec<&str> = logs.lines().filter(|l| l.contains(secret)).collect();
    assert!(hits.is_empty(), "{secret:?} reached the logs: {hits:?}");
}

async fn spawn_with_smtp(backend: Backend) -> Option<(TestApp, TestSmtpServer)> {
    let smtp = TestSmtpServer::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(backend, move |s| s.smtp_url = Some(url.into())).await?;
    Some((app, smtp))
}

/// Worker steps until nothing is due.
async fn deliver_all(app: &TestApp, mailer: &Mailer) {
    for _ in 0..1000 {
        match worker::try_deliver_batch(&app.state, mailer, "logs-test-worker", 25)
            .await
            .expect("a worker step")
        {
            DeliveryOutcome::EmptyQueue => return,
            DeliveryOutcome::Delivered(_) => {}
        }
    }
    panic!("the queue never emptied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_logs_of_a_booking_and_its_messages_hold_no_email_phone_or_manage_token_on_sqlite() {
    let (app, smtp) = spawn_with_smtp(Backend::Sqlite).await.unwrap();
    booking_and_messages(app, smtp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set CRENEAU_TEST_POSTGRES_URL to run it on PostgreSQL"
)]
async fn the_logs_of_a_booking_and_its_messages_hold_no_email_phone_or_manage_token_on_postgres() {
    let (app, smtp) = spawn_with_smtp(Backend::Postgres)
        .await
        .expect("CRENEAU_TEST_POSTGRES_URL was set when this was built: PostgreSQL must be reachable");
    booking_and_messages(app, smtp).await;
}

async fn booking_and_messages(app: TestApp, smtp: TestSmtpServer) {
    captured();
    let (_, admin) = app.organisation("arles").await;
    let f = app.session_with(&admin, 1, 3).await;
    // Contacts unique to this run, so another test's lines cannot be mistaken for ours.
    let tag: u32 = rand_tag();
    let email = format!("claire.fontaine.{tag}@exemple.fr");
    // In a range France has opened (0612…): the number must pass libphonenumber.
    let phone_digits = format!("0612{:06}", tag % 1_000_000);
    let phone = phone_digits
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    let request_id = format!("logs-test-{tag}");

    let resp = app
        .client
        .post(format!("{}/api/v1/sessions/{}/registrations", app.base, f.session_id))
        .header("x-request-id", &request_id)
        .json(&json!({"name": "Claire Fontaine", "email": email, "phone": phone, "consent": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["x-request-id"], request_id.as_str());
    let token = json(resp).await["manage_token"].as_str().unwrap().to_string();
    // A second person lands on the waiting list; then the first cancels and the seat moves.
    let other_email = format!("marc.{tag}@exemple.fr");
    assert_eq!(
        app.register(f.session_id, "Marc Petit", Some(&other_email), None)
            .await
            .status(),
        201
    );
    // The same person again: refused, and the refusal is logged without the contact.
    assert_eq!(
        app.register(f.session_id, "Claire Fontaine", Some(&email), None)
            .await
            .status(),
        409
    );
    assert_eq!(app.get(&format!("/api/v1/registrations/{token}")).await.status(), 200);
    let resp = app
        .request(
            Method::GET,
            &format!("/api/v1/admin/sessions/{}/registrations", f.session_id),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(resp.status(), 200);
    let resp = app
        .request(Method::DELETE, &format!("/api/v1/registrations/{token}"), None, None)
        .await;
    assert_eq!(resp.status(), 200);
    // A malformed and an unknown token are logged blanked too.
    let unknown = "A".repeat(43);
    assert_eq!(app.get(&format!("/api/v1/registrations/{unknown}")).await.status(), 404);

    // The messages: delivered, one refused for good by the server (its error is logged),
    // then the relay down (transient failures are logged), then the reminders.
    let mailer = worker::mailer(&app.state.settings).unwrap();
    smtp.reject_recipients_containing(Some(&other_email));
    deliver_all(&app, &mailer).await;
    assert!(
        smtp.messages().iter().any(|m| m.data_str().contains("Claire Fontaine")),
        "the confirmation was delivered"
    );
    smtp.reject_recipients_containing(None);
    let third_email = format!("nina.{tag}@exemple.fr");
    assert_eq!(
        app.register(f.session_id, "Nina Roux", Some(&third_email), None)
            .await
            .status(),
        201
    );
    smtp.set_down(true);
    let _ = worker::try_deliver_batch(&app.state, &mailer, "logs-test-worker", 25).await;
    smtp.set_down(false);
    app.state
        .clock
        .advance(chrono::Duration::days(3) - chrono::Duration::hours(2));
    deliver_all(&app, &mailer).await;
    mailer.close().await;

    let logs = logs_text();
    // The capture works: our requests are there, with their request id.
    let ours: Vec<&str> = logs.lines().filter(|l| l.contains(&request_id)).collect();
    assert!(!ours.is_empty(), "the registration's request line is captured");
    assert!(ours.iter().any(|l| l.contains("\"status\":201")), "{ours:?}");
    // A line the handler itself wrote carries the request's id through its span.
    assert!(
        ours.iter().any(|l| l.contains("registration recorded")),
        "the service's own line carries the request id: {ours:?}"
    );
    assert!(
        logs.contains("/api/v1/registrations/{token}"),
        "token paths are logged blanked"
    );

    // The server's refusal quoted the address; it is logged with the address blanked.
    assert!(
        logs.lines()
            .any(|l| l.contains("giving up") && l.contains("Recipient address rejected") && l.contains("[adresse]")),
        "the SMTP rejection is logged, redacted"
    );
    for secret in [
        email.as_str(),
        other_email.as_str(),
        third_email.as_str(),
        phone.as_str(),
        phone_digits.as_str(),
        token.as_str(),
        unknown.as_str(),
    ] {
        assert_not_logged(&logs, secret);
    }
    // Nor does the phone in the +33 form the service may normalise it to.
    let international = format!("+33{}", &phone_digits[1..]);
    assert!(!logs.contains(&international), "{international} reached the logs");
}

fn rand_tag() -> u32 {
    rand::random::<u32>() % 100_000_000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(kannel_tests),
    ignore = "install Kannel to run it: apt-get install -y kannel kannel-extras"
)]
async fn the_logs_of_sms_sent_retried_and_reported_hold_no_number_text_or_link_on_sqlite() {
    sms_journey(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    any(not(postgres_tests), not(kannel_tests)),
    ignore = "set CRENEAU_TEST_POSTGRES_URL and install Kannel to run it on PostgreSQL"
)]
async fn the_logs_of_sms_sent_retried_and_reported_hold_no_number_text_or_link_on_postgres() {
    sms_journey(Backend::Postgres).await;
}

async fn sms_journey(backend: Backend) {
    captured();
    let Some(mut kannel) = creneau_tests::kannel::TestKannel::start() else {
        return;
    };
    let url = kannel.url();
    let app = TestApp::spawn_reachable(backend, move |s| s.sms_url = Some(url.into()))
        .await
        .expect("the app starts");
    let (_, admin) = app.organisation("arles").await;
    let f = app.session_with(&admin, 5, 3).await;
    let tag = rand_tag();
    // In a range France has opened (0781…): the number must pass libphonenumber.
    let phone_digits = format!("0781{:06}", tag % 1_000_000);
    let international = format!("+33{}", &phone_digits[1..]);
    let resp = app
        .register(f.session_id, "Lucie Marchand", None, Some(&phone_digits))
        .await;
    assert_eq!(resp.status(), 201);
    let manage_url = json(resp).await["manage_url"].as_str().unwrap().to_string();
    let mailer = worker::mailer(&app.state.settings).unwrap();
    // The gateway down: a transient failure, logged; then up: sent, and reported.
    kannel.stop_smsbox();
    deliver_all(&app, &mailer).await;
    kannel.start_smsbox();
    app.state.clock.advance(chrono::Duration::seconds(31));
    deliver_all(&app, &mailer).await;
    let got = kannel.wait_for(1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].to, international);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !logs_text().contains("SMS delivery report") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let logs = logs_text();
    assert!(logs.contains("SMS delivery report"), "the report is logged");
    assert!(logs.contains("will retry"), "the retry is logged");
    let token = manage_url.rsplit('/').next().unwrap();
    for secret in [
        international.as_str(),
        phone_digits.as_str(),
        &phone_digits[1..],
        token,
        got[0].text.as_str(),
        "Lucie Marchand",
    ] {
        assert_not_logged(&logs, secret);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_logs_of_sms_sent_through_brevo_retried_and_reported_hold_no_number_text_link_or_key_on_sqlite() {
    brevo_journey(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set CRENEAU_TEST_POSTGRES_URL to run it on PostgreSQL"
)]
async fn the_logs_of_sms_sent_through_brevo_retried_and_reported_hold_no_number_text_link_or_key_on_postgres() {
    brevo_journey(Backend::Postgres).await;
}

async fn brevo_journey(backend: Backend) {
    captured();
    let fake = FakeBrevo::start().await;
    let url = fake.url();
    let app = TestApp::spawn_reachable(backend, move |s| s.sms_url = Some(url.into()))
        .await
        .expect("the app starts");
    let (_, admin) = app.organisation("arles").await;
    let f = app.session_with(&admin, 5, 3).await;
    let phone_digits = format!("0781{:06}", rand_tag() % 1_000_000);
    let international = format!("+33{}", &phone_digits[1..]);
    let resp = app
        .register(f.session_id, "Lucie Marchand", None, Some(&phone_digits))
        .await;
    assert_eq!(resp.status(), 201);
    let manage_url = json(resp).await["manage_url"].as_str().unwrap().to_string();
    let mailer = worker::mailer(&app.state.settings).unwrap();
    // Brevo failing once: a retry, logged; then sent, and reported delivered.
    fake.answer_next([Answer::ServerError]);
    deliver_all(&app, &mailer).await;
    app.state.clock.advance(chrono::Duration::seconds(31));
    deliver_all(&app, &mailer).await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(fake.report(&sent[0], "delivered").await, 200);
    let logs = logs_text();
    assert!(logs.contains("SMS delivery report"), "the report is logged");
    assert!(logs.contains("will retry"), "the retry is logged");
    let web_url = sent[0].web_url.clone().unwrap();
    let report_secret = web_url.rsplit("secret=").next().unwrap();
    for secret in [
        international.as_str(),
        &international[1..],
        phone_digits.as_str(),
        &phone_digits[1..],
        manage_url.rsplit('/').next().unwrap(),
        sent[0].content.as_str(),
        report_secret,
        brevo::API_KEY,
        "Lucie Marchand",
    ] {
        assert_not_logged(&logs, secret);
    }
}
