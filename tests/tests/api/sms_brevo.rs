//! SMS through Brevo's transactional SMS API, contract-tested against the fake Brevo of the
//! harness (`creneau_tests::brevo`), which checks each request as Brevo documents it and
//! answers the documented bodies: a phone-only resident's confirmation, Brevo's webhook, an
//! invalid number, no credit left, a server error, a forged webhook.
use chrono::Duration;
use creneau::notifications::worker::BatchReport;
use creneau_tests::app::TestApp;
use creneau_tests::brevo::Answer;
use entities::kinds::{Event, OutboxStatus};

use crate::helpers::*;

/// Declares a test that runs on SQLite and PostgreSQL with the fake Brevo started first and
/// the app reachable by it (for the webhook):
/// `brevo_test!(async fn a_sentence(app: TestApp, brevo: FakeBrevo) { … });`
macro_rules! brevo_test {
    (async fn $name:ident($app:ident : TestApp, $brevo:ident : FakeBrevo $(,)?) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: creneau_tests::app::TestApp, $brevo: creneau_tests::brevo::FakeBrevo) $body

            async fn spawn(
                backend: creneau_tests::app::Backend,
            ) -> Option<(creneau_tests::app::TestApp, creneau_tests::brevo::FakeBrevo)> {
                let brevo = creneau_tests::brevo::FakeBrevo::start().await;
                let url = brevo.url();
                let app = creneau_tests::app::TestApp::spawn_reachable(backend, move |s| {
                    s.sms_url = Some(url.into());
                })
                .await?;
                Some((app, brevo))
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn on_sqlite() {
                let (app, brevo) = spawn(creneau_tests::app::Backend::Sqlite).await.expect("SQLite always runs");
                run(app, brevo).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            #[cfg_attr(not(postgres_tests), ignore = "set CRENEAU_TEST_POSTGRES_URL to run it on PostgreSQL")]
            async fn on_postgres() {
                let (app, brevo) = spawn(creneau_tests::app::Backend::Postgres)
                    .await
                    .expect("CRENEAU_TEST_POSTGRES_URL was set when this was built: PostgreSQL must be reachable");
                run(app, brevo).await
            }
        }
    };
}

/// A phone-only resident registered to a session in three days; answers the confirmation's
/// SMS row.
async fn phone_only_registration(app: &TestApp) -> entities::outbox::Model {
    let (_, admin) = app.organisation("arles").await;
    let f = app.session_with(&admin, 5, 3).await;
    let resp = app
        .register(f.session_id, "Jeanne Roux", None, Some("06 12 34 56 78"))
        .await;
    assert_eq!(resp.status(), 201);
    sms_rows(app)
        .await
        .into_iter()
        .find(|r| r.kind == Event::RegistrationConfirmed)
        .expect("a confirmation by SMS")
}

brevo_test!(
    async fn a_phone_only_resident_gets_one_documented_request_to_brevo_and_its_webhook_marks_the_sms_delivered(
        app: TestApp,
        brevo: FakeBrevo,
    ) {
        let row = phone_only_registration(&app).await;
        let report = drain_sms(&app).await;
        assert_eq!(report.sent, 1, "{report:?}");
        let got = brevo.requests();
        assert_eq!(got.len(), 1, "{got:?}");
        let sms = &got[0];
        assert_eq!(sms.sender, "Villedearle");
        assert_eq!(sms.recipient, "33612345678", "international, without the +");
        assert_eq!(sms.kind, "transactional");
        assert_eq!(sms.unicode_enabled, Some(false), "the texts are GSM 7-bit");
        assert!(
            sms.content
                .starts_with("Confirmé : atelier \"Créer mon compte citoyen\", jeudi 7 janvier à 14 h, Médiathèque"),
            "{}",
            sms.content
        );
        let web_url = sms.web_url.clone().unwrap();
        let secret = row.sms_secret.clone().unwrap();
        assert_eq!(
            web_url,
            format!(
                "{}/sms/brevo/report?id={}&secret={secret}",
                app.state.settings.public_url, row.id
            )
        );

        // Brevo's first event only says it went out: nothing changes.
        assert_eq!(brevo.report(sms, "sent").await, 200);
        assert_eq!(
            sms_rows(&app)
                .await
                .into_iter()
                .find(|r| r.id == row.id)
                .unwrap()
                .status,
            OutboxStatus::Sent
        );
        assert_eq!(brevo.report(sms, "delivered").await, 200);
        let after = sms_rows(&app).await.into_iter().find(|r| r.id == row.id).unwrap();
        assert_eq!(after.status, OutboxStatus::Delivered);
        assert!(after.reported_at.is_some());
        // Nothing more goes.
        assert_eq!(drain_sms(&app).await, BatchReport::default());
        assert_eq!(brevo.requests().len(), 1);
    }
);

brevo_test!(
    async fn a_number_brevo_refuses_fails_at_once_and_is_never_sent_again(app: TestApp, brevo: FakeBrevo) {
        let row = phone_only_registration(&app).await;
        brevo.answer_next([Answer::InvalidNumber]);
        let report = drain_sms(&app).await;
        assert_eq!(report.failed, 1, "{report:?}");
        assert_eq!(report.retrying, 0, "{report:?}");
        let after = sms_rows(&app).await.into_iter().find(|r| r.id == row.id).unwrap();
        assert_eq!(after.status, OutboxStatus::Failed);
        assert_eq!(after.attempts, 1);
        let error = after.last_error.unwrap();
        assert!(error.contains("invalid_parameter"), "{error}");
        assert!(!error.contains("612345678"), "nothing personal in the error: {error}");
        // Hours later, still one request.
        app.state.clock.advance(Duration::hours(3));
        assert_eq!(drain_sms(&app).await, BatchReport::default());
        assert_eq!(brevo.requests().len(), 1);
    }
);

brevo_test!(
    async fn with_no_brevo_credit_left_the_sms_fails_with_the_reason_in_french_and_staff_send_it_again_once_topped_up(
        app: TestApp,
        brevo: FakeBrevo,
    ) {
        let row = phone_only_registration(&app).await;
        brevo.answer_next([Answer::NoCredit]);
        let report = drain_sms(&app).await;
        assert_eq!(report.failed, 1, "failed at once, not retried: {report:?}");
        // What staff read in the outbox's failed list.
        let admin = app.login("admin@arles.example", "mot-de-passe-solide").await;
        let resp = app
            .request(
                reqwest::Method::GET,
                "/api/v1/admin/outbox?status=failed",
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(resp.status(), 200);
        let failed = json(resp).await;
        let entry = failed
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"].as_i64() == Some(row.id))
            .expect("the SMS is listed as failed")
            .clone();
        let error = entry["last_error"].as_str().unwrap();
        assert!(error.contains("plus de crédit SMS sur le compte Brevo"), "{error}");
        assert!(error.contains("relancez"), "{error}");
        app.state.clock.advance(Duration::hours(3));
        assert_eq!(drain_sms(&app).await, BatchReport::default(), "no retry by itself");

        // The account topped up, staff send it again: it goes once.
        let resp = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/outbox/{}/retry", row.id),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(drain_sms(&app).await.sent, 1);
        assert_eq!(brevo.requests().len(), 2);
        assert_eq!(brevo.sent().len(), 1);
    }
);

brevo_test!(
    async fn a_brevo_server_error_is_retried_after_the_backoff_and_the_sms_goes_once(app: TestApp, brevo: FakeBrevo) {
        let row = phone_only_registration(&app).await;
        brevo.answer_next([Answer::ServerError]);
        let report = drain_sms(&app).await;
        assert_eq!(report.retrying, 1, "{report:?}");
        let after = sms_rows(&app).await.into_iter().find(|r| r.id == row.id).unwrap();
        assert_eq!(after.status, OutboxStatus::Pending);
        assert!(
            after.last_error.as_deref().unwrap().contains("Brevo 500"),
            "{:?}",
            after.last_error
        );
        // Not before the backoff.
        assert_eq!(drain_sms(&app).await, BatchReport::default());
        app.state.clock.advance(Duration::seconds(31));
        assert_eq!(drain_sms(&app).await.sent, 1);
        assert_eq!(drain_sms(&app).await, BatchReport::default());
        assert_eq!(brevo.requests().len(), 2);
        assert_eq!(brevo.sent().len(), 1);
    }
);

brevo_test!(
    async fn a_forged_or_unknown_brevo_webhook_answers_404_and_changes_nothing(app: TestApp, brevo: FakeBrevo) {
        let row = phone_only_registration(&app).await;
        assert_eq!(drain_sms(&app).await.sent, 1);
        let sms = brevo.requests().remove(0);
        let before = sms_rows(&app).await.into_iter().find(|r| r.id == row.id).unwrap();
        let secret = before.sms_secret.clone().unwrap();
        let base = &app.state.settings.public_url;
        for url in [
            format!("{base}/sms/brevo/report?id={}&secret=wrong", row.id),
            format!("{base}/sms/brevo/report?id={}", row.id),
            format!("{base}/sms/brevo/report?id=999999&secret={secret}"),
            // Another row's secret does not fit this one.
            format!("{base}/sms/brevo/report?id={}&secret={secret}", row.id + 1),
        ] {
            assert_eq!(brevo.post_event(&url, &sms, "hard_bounce").await, 404, "{url}");
        }
        let after = sms_rows(&app).await.into_iter().find(|r| r.id == row.id).unwrap();
        assert_eq!(after, before);
        // The right address: a bounce moves the row.
        assert_eq!(brevo.report(&sms, "hard_bounce").await, 200);
        let after = sms_rows(&app).await.into_iter().find(|r| r.id == row.id).unwrap();
        assert_eq!(after.status, OutboxStatus::Undelivered);
    }
);
