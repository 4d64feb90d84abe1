//! SMS, the outbox's second channel: phone-only residents reached through a real Kannel
//! (bearerbox, smsbox, fakesmsc), delivery reports, the gateway down and back, consent, quiet
//! hours, and the text files written when no gateway is set.
use chrono::{Duration, TimeZone, Utc};
use creneau::notifications::worker::BatchReport;
use creneau_tests::{app::TestApp, db_test};
use entities::kinds::OutboxStatus;
use serde_json::json;

use crate::helpers::*;

/// Declares a test that runs on SQLite and PostgreSQL with a Kannel gateway started first and
/// the app reachable by it: `sms_test!(async fn a_sentence(app: TestApp, kannel: TestKannel) { … });`
macro_rules! sms_test {
    (async fn $name:ident($app:ident : TestApp, $kannel:ident : TestKannel $(,)?) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_mut)]
            async fn run($app: creneau_tests::app::TestApp, mut $kannel: creneau_tests::kannel::TestKannel) $body

            async fn spawn(
                backend: creneau_tests::app::Backend,
            ) -> Option<(creneau_tests::app::TestApp, creneau_tests::kannel::TestKannel)> {
                let kannel = creneau_tests::kannel::TestKannel::start()?;
                let url = kannel.url();
                let port = kannel.app_port;
                let app = creneau_tests::app::TestApp::spawn_reachable(backend, move |s| {
                    s.sms_url = Some(url.into());
                    // Where Kannel forwards incoming texts.
                    s.listen = format!("127.0.0.1:{port}");
                    s.public_url = format!("http://127.0.0.1:{port}");
                    s.sms_inbound_secret = Some(creneau_tests::kannel::INBOUND_SECRET.into());
                })
                .await?;
                Some((app, kannel))
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            #[cfg_attr(not(kannel_tests), ignore = "install Kannel to run it: apt-get install -y kannel kannel-extras")]
            async fn on_sqlite() {
                let Some((app, kannel)) = spawn(creneau_tests::app::Backend::Sqlite).await else { return };
                run(app, kannel).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            #[cfg_attr(
                any(not(postgres_tests), not(kannel_tests)),
                ignore = "set CRENEAU_TEST_POSTGRES_URL and install Kannel to run it on PostgreSQL"
            )]
            async fn on_postgres() {
                let Some((app, kannel)) = spawn(creneau_tests::app::Backend::Postgres).await else { return };
                run(app, kannel).await
            }
        }
    };
}

sms_test!(
    async fn a_phone_only_resident_gets_one_sms_through_kannel_and_its_delivery_report_marks_it_delivered(
        app: TestApp,
        kannel: TestKannel,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        let resp = app
            .register(f.session_id, "Jeanne Roux", None, Some("06 12 34 56 78"))
            .await;
        assert_eq!(resp.status(), 201);
        let code = json(resp).await["booking_code"].as_str().unwrap().to_string();
        // The confirmation now, two reminders later.
        let rows = sms_rows(&app).await;
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert!(
            rows.iter()
                .all(|r| r.recipient_phone.as_deref() == Some("+33612345678"))
        );

        let report = drain_sms(&app).await;
        assert_eq!(report.sent, 1, "{report:?}");
        let got = kannel.wait_for(1).await;
        assert_eq!(got.len(), 1, "{got:?}");
        let sms = &got[0];
        assert_eq!(sms.to, "+33612345678");
        assert_eq!(sms.from, "Villedearle");
        // A confirmation takes two segments at most.
        assert!(kannel.segments() <= 2, "{}", kannel.segments());
        assert!(
            sms.text
                .starts_with("Confirmé : atelier \"Créer mon compte citoyen\", jeudi 7 janvier à 14 h, Médiathèque"),
            "{}",
            sms.text
        );
        assert!(sms.text.contains("Tél. 04 90 49 39 39."), "{}", sms.text);
        // The code and its short link, which opens nothing without the phone.
        let stored = code.replace('-', "");
        assert!(
            sms.text
                .ends_with(&format!("Code {code} : {}/r/{stored}", app.state.settings.public_url)),
            "{}",
            sms.text
        );

        // Kannel reports the delivery to the row's own URL.
        let row = wait_for_status(&app, rows[0].id, OutboxStatus::Delivered).await;
        assert_eq!(row.status, OutboxStatus::Delivered);
        assert!(row.reported_at.is_some());
        // Nothing more is sent.
        assert_eq!(drain_sms(&app).await, BatchReport::default());
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(kannel.received().len(), 1);
    }
);

sms_test!(
    async fn with_the_gateway_down_sms_are_retried_and_once_it_is_back_each_goes_once(
        app: TestApp,
        kannel: TestKannel,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        kannel.stop_smsbox();
        for (name, phone) in [("Jeanne Roux", "06 12 34 56 78"), ("Ali Ben", "07 81 22 33 44")] {
            assert_eq!(app.register(f.session_id, name, None, Some(phone)).await.status(), 201);
        }
        let report = drain_sms(&app).await;
        assert_eq!(report.retrying, 2, "{report:?}");
        let due: Vec<_> = sms_rows(&app).await.into_iter().filter(|r| r.attempts > 0).collect();
        assert_eq!(due.len(), 2);
        assert!(due.iter().all(|r| r.status == OutboxStatus::Pending));
        assert!(
            due.iter()
                .all(|r| r.last_error.as_deref().unwrap().contains("Kannel unreachable"))
        );
        // Nothing personal in the error kept for staff.
        assert!(
            due.iter()
                .all(|r| !r.last_error.as_deref().unwrap().contains("612345678"))
        );

        kannel.start_smsbox();
        // Not before the backoff.
        assert_eq!(drain_sms(&app).await, BatchReport::default());
        app.state.clock.advance(Duration::seconds(31));
        let report = drain_sms(&app).await;
        assert_eq!(report.sent, 2, "{report:?}");
        assert_eq!(drain_sms(&app).await, BatchReport::default());
        let got = kannel.wait_for(2).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let got_now = kannel.received();
        assert_eq!(got_now.len(), 2, "{got:?}");
        let mut numbers: Vec<&str> = got_now.iter().map(|m| m.to.as_str()).collect();
        numbers.sort();
        assert_eq!(numbers, vec!["+33612345678", "+33781223344"]);
    }
);

db_test!(
    async fn a_forged_or_unknown_delivery_report_answers_404_and_changes_nothing(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        assert_eq!(
            app.register(f.session_id, "Jeanne Roux", None, Some("0612345678"))
                .await
                .status(),
            201
        );
        drain_sms(&app).await;
        let row = sms_rows(&app)
            .await
            .into_iter()
            .find(|r| r.status == OutboxStatus::Sent)
            .unwrap();
        let secret = row.sms_secret.clone().unwrap();
        for path in [
            format!("/sms/kannel/report?id={}&secret=wrong&type=2", row.id),
            format!("/sms/kannel/report?id={}&type=2", row.id),
            format!("/sms/kannel/report?id=999999&secret={secret}&type=2"),
            // Another row's secret does not fit this one.
            format!("/sms/kannel/report?id={}&secret={secret}&type=2", row.id + 1),
        ] {
            assert_eq!(app.get(&path).await.status(), 404, "{path}");
        }
        let after = sms_rows(&app).await.into_iter().find(|r| r.id == row.id).unwrap();
        assert_eq!(after, row);
        // The right secret: a failure report moves the row.
        let resp = app
            .get(&format!("/sms/kannel/report?id={}&secret={secret}&type=16", row.id))
            .await;
        assert_eq!(resp.status(), 200);
        let after = sms_rows(&app).await.into_iter().find(|r| r.id == row.id).unwrap();
        assert_eq!(after.status, OutboxStatus::Undelivered);
    }
);

db_test!(
    async fn without_a_gateway_each_sms_is_written_as_a_text_file(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        assert_eq!(
            app.register(f.session_id, "Jeanne Roux", None, Some("06 12 34 56 78"))
                .await
                .status(),
            201
        );
        assert_eq!(drain_sms(&app).await.sent, 1);
        let dir = &app.state.settings.sms_dir;
        let files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(
            text.starts_with("À : +33612345678\nDe : Villedearle\n\nConfirmé : atelier"),
            "{text}"
        );
    }
);

db_test!(
    async fn sms_go_to_mobiles_that_accepted_them_and_by_default_only_without_an_e_mail(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 10, 3).await;
        let register = |name: &str, email: Option<&str>, phone: &str, sms: Option<bool>| {
            let body = json!({"name": name, "email": email, "phone": phone, "consent": true, "sms": sms});
            let path = format!("/api/v1/sessions/{}/registrations", f.session_id);
            let app = &app;
            async move {
                let resp = app.post(&path, body).await;
                assert_eq!(resp.status(), 201);
                json(resp).await["id"].as_i64().unwrap() as i32
            }
        };
        let mobile_only = register("Ana", None, "06 00 00 00 01", None).await;
        let declined = register("Bob", None, "06 00 00 00 02", Some(false)).await;
        let with_email = register("Cléo", Some("cleo@exemple.fr"), "06 00 00 00 03", None).await;
        let with_email_asked = register("Dan", Some("dan@exemple.fr"), "06 00 00 00 04", Some(true)).await;
        let landline = register("Eve", None, "04 90 00 00 05", Some(true)).await;
        let rows = sms_rows(&app).await;
        let texted = |id: i32| rows.iter().filter(|r| r.booking_id == Some(id)).count();
        // The confirmation and two reminders each.
        assert_eq!(texted(mobile_only), 3);
        assert_eq!(texted(declined), 0);
        assert_eq!(texted(with_email), 0);
        assert_eq!(texted(with_email_asked), 3);
        assert_eq!(texted(landline), 0);
        let flags: Vec<bool> = registrations(&app, f.session_id)
            .await
            .iter()
            .map(|r| r.sms_consent)
            .collect();
        assert_eq!(flags, vec![true, false, false, true, false]);
    }
);

db_test!(
    async fn an_evening_cancellation_by_staff_texts_at_eight_but_a_resident_s_own_booking_at_once(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 10, 3).await;
        // Monday 4 January 2027, 21:00 in Paris.
        let evening = Utc.with_ymd_and_hms(2027, 1, 4, 20, 0, 0).unwrap();
        app.state.clock.set(evening);
        let admin = app.login("admin@arles.example", "mot-de-passe-solide").await;
        assert_eq!(
            app.register(f.session_id, "Ana", None, Some("06 00 00 00 01"))
                .await
                .status(),
            201
        );
        let confirmation = sms_rows(&app).await.into_iter().next().unwrap();
        assert_eq!(
            confirmation.not_before, evening,
            "the answer to her own booking goes at once"
        );
        let resp = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/sessions/{}/cancel", f.session_id),
                json!({"reason": "Animatrice malade"}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let rows = sms_rows(&app).await;
        let cancelled = rows.last().unwrap();
        assert_eq!(cancelled.kind, entities::kinds::Event::SessionCancelled);
        // Tuesday 5 January, 08:00 in Paris.
        assert_eq!(cancelled.not_before, Utc.with_ymd_and_hms(2027, 1, 5, 7, 0, 0).unwrap());
        // The reminders were voided with the booking.
        assert!(
            rows.iter()
                .filter(|r| r.kind == entities::kinds::Event::Reminder)
                .all(|r| r.status == OutboxStatus::Cancelled)
        );
    }
);

/// Waits (at most 10 s) until Kannel has forwarded an incoming text and the app recorded it.
async fn wait_until<F: std::future::Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done().await {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn opt_outs(app: &TestApp) -> Vec<entities::sms_opt_out::Model> {
    use sea_orm::EntityTrait;
    entities::sms_opt_out::Entity::find().all(&app.state.db).await.unwrap()
}

async fn replies(app: &TestApp) -> Vec<entities::sms_reply::Model> {
    use sea_orm::EntityTrait;
    entities::sms_reply::Entity::find().all(&app.state.db).await.unwrap()
}

sms_test!(
    async fn a_resident_who_answers_stop_gets_no_more_sms_and_staff_see_they_must_be_called(
        app: TestApp,
        kannel: TestKannel,
    ) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        assert_eq!(
            app.register(f.session_id, "Jeanne Roux", None, Some("06 12 34 56 78"))
                .await
                .status(),
            201
        );
        assert_eq!(drain_sms(&app).await.sent, 1);
        assert_eq!(kannel.wait_for(1).await.len(), 1);

        // Answered from her phone, as Kannel gives it: in any case, with an accent.
        kannel.send_from("+33612345678", "Stôp merci").await;
        wait_until("the opt-out is recorded", || async { !opt_outs(&app).await.is_empty() }).await;
        let out = opt_outs(&app).await;
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].organisation_id, out[0].phone.as_str()), (org, "+33612345678"));
        // Her two reminders will never leave, and no reply was kept as a text.
        let rows = sms_rows(&app).await;
        let reminders: Vec<_> = rows
            .iter()
            .filter(|r| r.kind == entities::kinds::Event::Reminder)
            .collect();
        assert_eq!(reminders.len(), 2);
        assert!(
            reminders.iter().all(|r| r.status == OutboxStatus::OptedOut),
            "{reminders:?}"
        );
        assert!(replies(&app).await.is_empty());

        // A new booking from the same number writes its SMS rows as opted out: nothing goes.
        let other = app.session_with(&admin, 5, 4).await;
        assert_eq!(
            app.register(other.session_id, "Jeanne Roux", None, Some("06 12 34 56 78"))
                .await
                .status(),
            201
        );
        let new_rows: Vec<_> = sms_rows(&app).await.into_iter().skip(rows.len()).collect();
        assert!(!new_rows.is_empty());
        assert!(
            new_rows
                .iter()
                .all(|r| r.status == OutboxStatus::OptedOut && r.sms_secret.is_none())
        );
        assert_eq!(drain_sms(&app).await, BatchReport::default());
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(kannel.received().len(), 1);

        // Staff see it beside her number, and on the page of texts received.
        let v = crate::pages::Visitor::new(&app);
        v.sign_in("admin@arles.example", "mot-de-passe-solide").await;
        let page = v.get(&format!("/staff/seances/{}", f.session_id)).await;
        assert!(page.body.contains("a répondu STOP aux SMS"), "{}", page.body);
        let page = v.get("/staff/sms-recus").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("Jeanne Roux — 06 12 34 56 78 (depuis le"),
            "{}",
            page.body
        );

        // When staff cancel her session, she is on the calls list: SMS can no longer tell her.
        let resp = app
            .admin_post(
                &admin,
                &format!("/api/v1/admin/sessions/{}/cancel", other.session_id),
                json!({"reason": "Salle fermée"}),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let calls = v.get("/staff/a-appeler").await.body;
        assert!(calls.contains("Jeanne Roux"), "{calls}");
        assert!(calls.contains("a répondu STOP aux SMS"), "{calls}");
    }
);

sms_test!(
    async fn any_other_answer_is_kept_for_the_staff_of_the_organisation_that_texted(app: TestApp, kannel: TestKannel) {
        let (org, admin) = app.organisation("arles").await;
        app.organisation("tarascon").await;
        let f = app.session_with(&admin, 5, 3).await;
        assert_eq!(
            app.register(f.session_id, "Jeanne Roux", None, Some("07 81 22 33 44"))
                .await
                .status(),
            201
        );
        assert_eq!(drain_sms(&app).await.sent, 1);
        kannel
            .send_from("+33781223344", "Je serai en retard de 10 minutes")
            .await;
        wait_until("the text is recorded", || async { !replies(&app).await.is_empty() }).await;
        let got = replies(&app).await;
        assert_eq!(got.len(), 1, "kept once, for the one organisation that texted");
        assert_eq!(got[0].organisation_id, org);
        assert_eq!(got[0].body, "Je serai en retard de 10 minutes");
        assert!(opt_outs(&app).await.is_empty());
        // A forged "STOP" (wrong secret) is refused and changes nothing.
        let forged = app
            .get("/sms/kannel/inbound?secret=guess&from=%2B33781223344&text=STOP")
            .await;
        assert_eq!(forged.status(), 404);
        assert!(opt_outs(&app).await.is_empty());

        let v = crate::pages::Visitor::new(&app);
        v.sign_in("admin@arles.example", "mot-de-passe-solide").await;
        let page = v.get("/staff/sms-recus").await;
        assert!(page.body.contains("Jeanne Roux — 07 81 22 33 44"), "{}", page.body);
        assert!(page.body.contains("Je serai en retard de 10 minutes"));
        assert!(page.body.contains("pas encore lu"));

        // Another organisation's staff neither see it nor can mark it.
        let w = crate::pages::Visitor::new(&app);
        w.sign_in("admin@tarascon.example", "mot-de-passe-solide").await;
        let theirs = w.get("/staff/sms-recus").await;
        assert!(!theirs.body.contains("en retard"), "{}", theirs.body);
        let refused = w
            .submit("/staff/sms-recus", &format!("/staff/sms-recus/{}/lu", got[0].id), &[])
            .await;
        assert_eq!(refused.status, 404);
        assert!(replies(&app).await[0].read_at.is_none());

        let read = v
            .submit("/staff/sms-recus", &format!("/staff/sms-recus/{}/lu", got[0].id), &[])
            .await;
        assert_eq!(read.status, 303);
        assert!(replies(&app).await[0].read_at.is_some());
    }
);

db_test!(
    async fn an_incoming_text_with_a_wrong_secret_or_none_configured_answers_404_and_changes_nothing(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 5, 3).await;
        assert_eq!(
            app.register(f.session_id, "Jeanne Roux", None, Some("06 12 34 56 78"))
                .await
                .status(),
            201
        );
        // This app has no inbound secret: every call is refused.
        let resp = app
            .get("/sms/kannel/inbound?secret=&from=%2B33612345678&text=STOP")
            .await;
        assert_eq!(resp.status(), 404);
        let resp = app
            .get("/sms/kannel/inbound?secret=guess&from=%2B33612345678&text=STOP")
            .await;
        assert_eq!(resp.status(), 404);
        assert!(opt_outs(&app).await.is_empty());
        assert!(sms_rows(&app).await.iter().all(|r| r.status == OutboxStatus::Pending));
    }
);
