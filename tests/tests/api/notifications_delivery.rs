//! Delivery: each message once, whatever happens to the mail server; retries with backoff on
//! the test clock; failures listed and retried by staff; reminders at the right wall time,
//! never late; two workers on one database never sending the same message.
use entities::kinds::OutboxStatus;
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, TimeZone, Utc};
use creneau::{
    auth::Role,
    notifications::{
        enqueue::{self, Context, Recipient},
        ical::CalendarMethod,
        payload::{BookingKind, Event},
        worker::{self, DeliveryOutcome},
    },
    platform::db,
    platform::state::AppState,
};
use entities::{organisation, place};
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::{helpers::*, notifications_support::*};

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

mail_test!(
    async fn while_the_mail_server_is_down_messages_wait_with_backoff_and_each_arrives_once_it_is_back(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        for name in ["ana", "bob", "chloe"] {
            app.register(f.session_id, name, Some(&format!("{name}@exemple.fr")), None)
                .await;
        }
        let mailer = mailer(&app);
        smtp.set_down(true);
        let t0 = app.now();

        let report = drain(&app, &mailer).await;
        assert_eq!((report.sent, report.retrying), (0, 3));
        let due: Vec<_> = rows_of_kind(&app, Event::RegistrationConfirmed).await;
        assert!(due.iter().all(|r| r.status == OutboxStatus::Pending && r.attempts == 1));
        assert!(due.iter().all(|r| r.not_before == t0 + Duration::seconds(30)));
        assert!(due.iter().all(|r| r.locked_by.is_none()));
        assert!(
            due.iter()
                .all(|r| r.last_error.as_deref().is_some_and(|e| e.contains("421")))
        );

        // Not due again before the backoff has passed.
        app.state.clock.advance(Duration::seconds(29));
        assert_eq!(drain(&app, &mailer).await, Default::default());
        app.state.clock.advance(Duration::seconds(1));
        assert_eq!(drain(&app, &mailer).await.retrying, 3);
        let due = rows_of_kind(&app, Event::RegistrationConfirmed).await;
        assert!(
            due.iter()
                .all(|r| r.attempts == 2 && r.not_before == app.now() + Duration::seconds(60))
        );

        app.state.clock.advance(Duration::seconds(60));
        assert_eq!(drain(&app, &mailer).await.retrying, 3);
        assert!(smtp.messages().is_empty());

        // Back up: everything arrives, once.
        smtp.set_down(false);
        app.state.clock.advance(Duration::seconds(120));
        assert_eq!(drain(&app, &mailer).await.sent, 3);
        app.state.clock.advance(Duration::hours(2));
        assert_eq!(drain(&app, &mailer).await, Default::default());

        let mails = received(&smtp);
        assert_eq!(mails.len(), 3);
        let ids: BTreeSet<_> = mails.iter().map(|m| m.message_id.clone().unwrap()).collect();
        let rows = rows_of_kind(&app, Event::RegistrationConfirmed).await;
        let expected: BTreeSet<_> = rows.iter().map(|r| r.message_id.clone()).collect();
        assert_eq!(ids, expected);
        assert!(
            rows.iter()
                .all(|r| r.status == OutboxStatus::Sent && r.attempts == 4 && r.last_error.is_none())
        );
    }
);

async fn rows_of_kind(app: &creneau_tests::app::TestApp, kind: Event) -> Vec<entities::outbox::Model> {
    outbox_rows(app).await.into_iter().filter(|r| r.kind == kind).collect()
}

mail_test!(
    async fn a_refused_address_fails_at_once_and_staff_list_and_retry_it(app: TestApp, smtp: TestSmtpServer) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        smtp.reject_recipients_containing(Some("refus"));
        let body = json(app.register(f.session_id, "Ana", Some("refus@exemple.fr"), None).await).await;
        let token = body["manage_token"].as_str().unwrap().to_string();
        app.register(f.session_id, "Bob", Some("bob@exemple.fr"), None).await;
        let mailer = mailer(&app);
        let report = drain(&app, &mailer).await;
        assert_eq!((report.sent, report.failed), (1, 1));

        let failed = rows_of_kind(&app, Event::RegistrationConfirmed).await;
        let failed = failed.iter().find(|r| r.status == OutboxStatus::Failed).unwrap();
        assert_eq!(failed.attempts, 1);
        assert!(failed.last_error.as_deref().unwrap().contains("550"));

        // Listed for coordinators and admins, without the manage link.
        let resp = app
            .request(Method::GET, "/api/v1/admin/outbox?status=failed", Some(&admin), None)
            .await;
        assert_eq!(resp.status(), 200);
        let text = resp.text().await.unwrap();
        assert!(!text.contains(&token), "no token in the listing");
        let listed: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["id"], failed.id);
        assert_eq!(listed[0]["status"], "failed");
        assert_eq!(listed[0]["recipient_email"], "refus@exemple.fr");
        assert_eq!(listed[0]["calendar_method"], "REQUEST");
        assert_eq!(
            listed[0]["subject"],
            "Inscription confirmée : Créer mon compte citoyen, mardi 12 janvier"
        );
        assert!(listed[0]["last_error"].as_str().unwrap().contains("550"));
        assert!(listed[0].get("payload").is_none() && listed[0].get("manage_url").is_none());
        let all = json(
            app.request(Method::GET, "/api/v1/admin/outbox", Some(&admin), None)
                .await,
        )
        .await;
        assert!(all.as_array().unwrap().len() >= 4, "confirmations and reminders");

        // Facilitators may not; another organisation sees nothing of it.
        let facilitator = app.staff(org, "animation@arles.example", Role::Facilitator).await;
        let resp = app
            .request(Method::GET, "/api/v1/admin/outbox", Some(&facilitator), None)
            .await;
        problem(resp, 403, "forbidden").await;
        let (_, other) = app.organisation("tarascon").await;
        let theirs = json(
            app.request(Method::GET, "/api/v1/admin/outbox?status=failed", Some(&other), None)
                .await,
        )
        .await;
        assert_eq!(theirs, json!([]));
        let retry = format!("/api/v1/admin/outbox/{}/retry", failed.id);
        problem(app.admin_post(&other, &retry, json!({})).await, 404, "not_found").await;
        problem(app.admin_post(&facilitator, &retry, json!({})).await, 403, "forbidden").await;

        // Only a failed message can be retried.
        let sent = rows_of_kind(&app, Event::RegistrationConfirmed).await;
        let sent = sent.iter().find(|r| r.status == OutboxStatus::Sent).unwrap();
        let resp = app
            .admin_post(&admin, &format!("/api/v1/admin/outbox/{}/retry", sent.id), json!({}))
            .await;
        problem(resp, 409, "not_failed").await;

        // The address is fixed on the server's side; staff retry.
        smtp.reject_recipients_containing(None);
        app.state.clock.advance(Duration::minutes(5));
        let resp = app.admin_post(&admin, &retry, json!({})).await;
        assert_eq!(resp.status(), 200);
        let entry = json(resp).await;
        assert_eq!(
            (entry["status"].as_str(), entry["attempts"].as_i64()),
            (Some("pending"), Some(0))
        );
        assert_eq!(drain(&app, &mailer).await.sent, 1);
        let to_ana = mails_to(&smtp, "refus@exemple.fr");
        assert_eq!(to_ana.len(), 1);
        assert_eq!(to_ana[0].message_id.as_deref(), Some(failed.message_id.as_str()));
        // The retried message still carries the link the resident needs.
        assert!(to_ana[0].text.as_deref().unwrap().contains(&token));
        let row = entities::outbox::Entity::find_by_id(failed.id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((row.status, row.attempts), (OutboxStatus::Sent, 1));
        assert!(!row.payload.contains(&token));
        let failed_now = json(
            app.request(Method::GET, "/api/v1/admin/outbox?status=failed", Some(&admin), None)
                .await,
        )
        .await;
        assert_eq!(failed_now, json!([]));
    }
);

mail_test!(
    async fn a_message_that_keeps_failing_is_given_up_after_eight_attempts(app: TestApp, smtp: TestSmtpServer) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        let mailer = mailer(&app);
        smtp.set_down(true);
        let mut waits = Vec::new();
        for _ in 0..7 {
            let before = app.now();
            assert_eq!(drain(&app, &mailer).await.retrying, 1);
            let row = &rows_of_kind(&app, Event::RegistrationConfirmed).await[0];
            waits.push((row.not_before - before).num_seconds());
            app.state.clock.set(row.not_before);
        }
        assert_eq!(waits, vec![30, 60, 120, 240, 480, 960, 1920]);
        let report = drain(&app, &mailer).await;
        assert_eq!((report.failed, report.retrying), (1, 0));
        let row = &rows_of_kind(&app, Event::RegistrationConfirmed).await[0];
        assert_eq!((row.status, row.attempts), (OutboxStatus::Failed, 8));
        assert!(row.last_error.is_some());

        // Failed stays failed: the server coming back changes nothing until staff retry.
        smtp.set_down(false);
        app.state.clock.advance(Duration::hours(3));
        assert_eq!(drain(&app, &mailer).await, Default::default());
        assert!(smtp.messages().is_empty());
        let resp = app
            .admin_post(&admin, &format!("/api/v1/admin/outbox/{}/retry", row.id), json!({}))
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(drain(&app, &mailer).await.sent, 1);
        assert_eq!(smtp.messages().len(), 1);
    }
);

mail_test!(
    async fn reminders_across_the_clock_change_arrive_at_the_wall_time_they_promise(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        // Monday 29 March 2027, 10:00–12:00 in Paris: the clocks go forward on Sunday 28. It is
        // Easter Monday too, a warning to confirm at a place closed on holidays.
        let starts = utc("2027-03-29T08:00:00Z");
        let session = json(
            app.admin_post(
                &admin,
                "/api/v1/admin/sessions",
                json!({
                    "workshop_id": f.workshop_id, "place_id": f.place_id,
                    "starts_at": "2027-03-29T10:00:00+02:00", "ends_at": "2027-03-29T12:00:00+02:00",
                    "confirm_warnings": true
                }),
            )
            .await,
        )
        .await;
        let session_id = session["id"].as_i64().unwrap() as i32;
        let body = json(app.register(session_id, "Hugo", Some("hugo@exemple.fr"), None).await).await;
        let token = body["manage_token"].as_str().unwrap().to_string();
        let mailer = mailer(&app);
        assert_eq!(drain(&app, &mailer).await.sent, 1, "the confirmation");

        let reminders = rows_of_kind(&app, Event::Reminder).await;
        let due: Vec<_> = reminders.iter().map(|r| r.not_before).collect();
        // Saturday 27 March 10:00 (UTC+1) and Monday 29 March 07:00 (UTC+2).
        assert_eq!(due, vec![utc("2027-03-27T09:00:00Z"), utc("2027-03-29T05:00:00Z")]);
        assert!(reminders.iter().all(|r| r.expires_at == Some(starts)));

        let reminder_mails = || {
            mails_to(&smtp, "hugo@exemple.fr")
                .into_iter()
                .filter(|m| m.subject.as_deref().is_some_and(|s| s.starts_with("Rappel")))
                .collect::<Vec<_>>()
        };
        app.state.clock.set(utc("2027-03-27T08:59:59Z"));
        assert_eq!(drain(&app, &mailer).await, Default::default());
        assert!(reminder_mails().is_empty(), "not a second early");

        app.state.clock.set(utc("2027-03-27T09:00:00Z"));
        assert_eq!(drain(&app, &mailer).await.sent, 1);
        let first = reminder_mails();
        assert_eq!(first.len(), 1);
        assert_eq!(
            first[0].subject.as_deref(),
            Some("Rappel : Créer mon compte citoyen, lundi 29 mars à 10 h"),
            "the header carries a plain space"
        );
        let text = first[0].text.as_deref().unwrap();
        assert!(text.contains("Nous vous rappelons votre atelier « Créer mon compte citoyen »."));
        assert!(
            text.contains("Quand : lundi 29 mars 2027 de 10\u{a0}h à 12\u{a0}h"),
            "{text}"
        );
        assert!(text.contains(&token), "the reminder carries the manage link");
        assert!(first[0].calendar.is_none(), "a reminder is a plain message");

        app.state.clock.set(utc("2027-03-29T04:59:59Z"));
        assert_eq!(drain(&app, &mailer).await, Default::default());
        app.state.clock.set(utc("2027-03-29T05:00:00Z"));
        assert_eq!(drain(&app, &mailer).await.sent, 1);
        app.state.clock.set(utc("2027-03-29T09:00:00Z"));
        assert_eq!(drain(&app, &mailer).await, Default::default());
        assert_eq!(reminder_mails().len(), 2, "each reminder once");
        assert!(
            rows_of_kind(&app, Event::Reminder)
                .await
                .iter()
                .all(|r| r.status == OutboxStatus::Sent)
        );
    }
);

mail_test!(
    async fn a_reminder_that_comes_due_after_the_start_is_never_sent(app: TestApp, smtp: TestSmtpServer) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        let body = json(app.register(f.session_id, "Inès", Some("ines@exemple.fr"), None).await).await;
        let token = body["manage_token"].as_str().unwrap().to_string();
        let mailer = mailer(&app);
        assert_eq!(drain(&app, &mailer).await.sent, 1);

        // The worker was stopped all week-end; it comes back one minute after the start.
        let start = Utc.with_ymd_and_hms(2027, 1, 12, 13, 0, 0).unwrap();
        app.state.clock.set(start + Duration::minutes(1));
        let report = drain(&app, &mailer).await;
        assert_eq!((report.sent, report.expired), (0, 2));
        assert_eq!(smtp.messages().len(), 1, "only the confirmation");
        let reminders = rows_of_kind(&app, Event::Reminder).await;
        assert!(
            reminders
                .iter()
                .all(|r| r.status == OutboxStatus::Expired && r.sent_at.is_none())
        );
        assert!(reminders.iter().all(|r| !r.payload.contains(&token)));
        assert_eq!(drain(&app, &mailer).await, Default::default());
    }
);

/// Queues `n` confirmations (each with its invite) in one transaction, through the same
/// enqueue code the bookings use.
async fn queue_confirmations(app: &creneau_tests::app::TestApp, org_id: i32, place_id: i32, n: i32) {
    let org = organisation::Entity::find_by_id(org_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let place = place::Entity::find_by_id(place_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let host = app.state.public_host();
    let ctx = Context {
        organisation: &org,
        place: &place,
        public_url: &app.state.settings.public_url,
        public_host: &host,
        now: app.now(),
    };
    let start = app.now() + Duration::days(8);
    let txn = db::begin_write(&app.state.db).await.unwrap();
    for i in 0..n {
        let to = Recipient {
            booking: BookingKind::Registration,
            booking_id: 100_000 + i,
            name: format!("Personne {i}"),
            email: Some(format!("p{i}@exemple.fr")),
            sms_to: None,
            answer: false,
            booking_code: String::new(),
            sequence: 0,
            manage_key: None,
        };
        let payload = ctx.payload(
            Event::RegistrationConfirmed,
            BookingKind::Registration,
            "Créer mon compte citoyen",
            start,
            start + Duration::hours(2),
        );
        enqueue::enqueue(&txn, &ctx, &to, &payload, Some(CalendarMethod::Request))
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
}

/// Steps one worker until the queue is empty; answers how many messages it sent.
async fn run_worker(state: AppState, id: &'static str) -> usize {
    let mailer = worker::mailer(&state.settings).unwrap();
    let mut sent = 0;
    loop {
        match worker::try_deliver_batch(&state, &mailer, id, 20).await.unwrap() {
            DeliveryOutcome::EmptyQueue => return sent,
            DeliveryOutcome::Delivered(r) => {
                assert_eq!((r.retrying, r.failed), (0, 0), "{id}: {r:?}");
                sent += r.sent;
            }
        }
    }
}

mail_test!(
    async fn two_workers_on_one_database_deliver_five_hundred_messages_each_exactly_once(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        queue_confirmations(&app, org, f.place_id, 500).await;

        // A second process: its own connection pool on the same database, the same clock.
        let other = AppState {
            db: creneau::platform::db::connect(&app.state.settings.database_url)
                .await
                .unwrap(),
            clock: app.state.clock.clone(),
            settings: app.state.settings.clone(),
            sms: app.state.sms.clone(),
        };
        let started = std::time::Instant::now();
        let a = tokio::spawn(run_worker(app.state.clone(), "worker-a"));
        let b = tokio::spawn(run_worker(other, "worker-b"));
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        let elapsed = started.elapsed();
        eprintln!(
            "{:?}: 500 messages by two workers in {elapsed:.2?} ({:.0} messages/s; worker-a {a}, worker-b {b})",
            app.backend,
            500.0 / elapsed.as_secs_f64()
        );
        assert_eq!(a + b, 500);

        let messages = smtp.messages();
        assert_eq!(messages.len(), 500, "no message twice, none missing");
        let mut per_id: HashMap<String, usize> = HashMap::new();
        for m in &messages {
            let id = creneau_tests::mail::parse_mail(&m.data).message_id.unwrap();
            *per_id.entry(id).or_default() += 1;
        }
        assert!(per_id.values().all(|n| *n == 1));
        let rows = outbox_rows(&app).await;
        assert_eq!(rows.len(), 500);
        assert!(rows.iter().all(|r| r.status == OutboxStatus::Sent && r.attempts == 1));
        let stored: BTreeSet<_> = rows.iter().map(|r| r.message_id.clone()).collect();
        let got: BTreeSet<_> = per_id.into_keys().collect();
        assert_eq!(stored, got);
    }
);

creneau_tests::db_test!(
    async fn without_an_smtp_server_messages_are_written_as_eml_files(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        let mailer = worker::mailer(&app.state.settings).unwrap();
        let creneau::notifications::smtp::Mailer::Files(files) = &mailer else {
            panic!("no SMTP URL: files");
        };
        assert_eq!(files.dir(), app.state.settings.mail_dir.as_path());
        let outcome = worker::try_deliver_batch(&app.state, &mailer, "w", 10).await.unwrap();
        assert!(matches!(outcome, DeliveryOutcome::Delivered(r) if r.sent == 1));
        let written: Vec<_> = std::fs::read_dir(&app.state.settings.mail_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(written.len(), 1);
        assert!(written[0].extension().is_some_and(|e| e == "eml"));
        let mail = creneau_tests::mail::parse_mail(&std::fs::read(&written[0]).unwrap());
        assert_eq!(
            mail.subject.as_deref(),
            Some("Inscription confirmée : Créer mon compte citoyen, mardi 12 janvier")
        );
        assert_eq!(invite_of(&mail).method.as_deref(), Some("REQUEST"));
        let _ = std::fs::remove_dir_all(&app.state.settings.mail_dir);
    }
);

mail_test!(
    async fn the_worker_loop_delivers_what_is_due_and_stops_when_asked(app: TestApp, smtp: TestSmtpServer) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(worker::run_until(app.state.clone(), async move {
            let _ = stopped.await;
        }));
        let mails = smtp.wait_for(1, std::time::Duration::from_secs(30)).await;
        assert_eq!(mails.len(), 1);
        stop.send(()).unwrap();
        handle.await.unwrap().unwrap();
        assert!(rows_of_kind(&app, Event::RegistrationConfirmed).await[0].status == OutboxStatus::Sent);
    }
);

mail_test!(
    async fn rows_held_by_a_worker_that_died_are_delivered_by_another_once_its_lease_runs_out(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        // Worker A claims the confirmation, then its process dies before sending.
        let claimed = creneau::notifications::lease::claim(
            &app.state.db,
            "worker-a",
            app.now(),
            worker::Policy::default().lease,
            10,
        )
        .await
        .unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].locked_by.as_deref(), Some("worker-a"));

        // While the lease holds, nobody else touches it.
        let mailer = mailer(&app);
        assert_eq!(drain(&app, &mailer).await, Default::default());
        app.state
            .clock
            .advance(worker::Policy::default().lease - Duration::seconds(1));
        assert_eq!(drain(&app, &mailer).await, Default::default());
        assert!(smtp.messages().is_empty());

        // Past it, worker B delivers it, once; A's late answer cannot overwrite B's record.
        app.state.clock.advance(Duration::seconds(2));
        assert_eq!(drain(&app, &mailer).await.sent, 1);
        assert_eq!(smtp.messages().len(), 1);
        let late =
            creneau::notifications::lease::mark_retry(&app.state.db, &claimed[0], "worker-a", app.now(), "too late")
                .await
                .unwrap();
        assert!(!late, "worker A no longer holds the row");
        let row = &rows_of_kind(&app, Event::RegistrationConfirmed).await[0];
        assert_eq!((row.status, row.attempts), (OutboxStatus::Sent, 1));
    }
);

/// A bound for a wait that only a broken test reaches (not a speed check).
const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Polls `check` every 10 ms until it holds; panics after [`WAIT`].
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while !check().await {
        assert!(started.elapsed() < WAIT, "never happened: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

async fn count_with_status(app: &creneau_tests::app::TestApp, status: OutboxStatus) -> usize {
    outbox_rows(app).await.iter().filter(|r| r.status == status).count()
}

/// How many times the server received each message id.
fn deliveries_per_message(smtp: &creneau_tests::smtp_server::TestSmtpServer) -> HashMap<String, usize> {
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for m in received(smtp) {
        *per_id.entry(m.message_id.expect("a Message-ID")).or_default() += 1;
    }
    per_id
}

mail_test!(
    async fn a_worker_killed_mid_batch_gives_its_rows_back_within_a_minute_and_only_its_messages_in_flight_go_twice(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        queue_confirmations(&app, org, f.place_id, 50).await;
        let policy = worker::Policy::default();
        // The server answers 20 messages, then takes the next ones in and goes silent.
        smtp.hold_replies_after(Some(20));
        let state = app.state.clone();
        let dying = tokio::spawn(async move {
            let mailer = worker::mailer(&state.settings).unwrap();
            worker::try_deliver_batch(&state, &mailer, "worker-a", 50).await
        });
        // One message on each connection is received and waits for its answer.
        smtp.wait_for(20 + policy.parallel, WAIT).await;
        // The answered ones are recorded while the batch is still under way, not at its end.
        eventually("the 20 answered messages recorded as sent", || async {
            count_with_status(&app, OutboxStatus::Sent).await == 20
        })
        .await;
        // The process dies (nothing more of it runs); the server comes back to life.
        dying.abort();
        let _ = dying.await;
        smtp.hold_replies_after(None);

        // Its rows are held for a minute after the claim (no renewal moved it: the clock stood
        // still while the worker lived), then another worker delivers them.
        let mailer = mailer(&app);
        app.state.clock.advance(Duration::seconds(59));
        assert_eq!(drain(&app, &mailer).await, Default::default(), "still under its lease");
        app.state.clock.advance(Duration::seconds(2));
        assert_eq!(
            drain(&app, &mailer).await.sent,
            30,
            "within a minute, the rest is delivered"
        );

        let per_id = deliveries_per_message(&smtp);
        assert_eq!(per_id.len(), 50, "every message arrived");
        let twice = per_id.values().filter(|n| **n == 2).count();
        assert_eq!(twice, policy.parallel, "only those in flight at the crash went twice");
        assert!(per_id.values().all(|n| *n <= 2));
        assert!(twice <= policy.in_flight, "within the stated window");
        let rows = outbox_rows(&app).await;
        assert!(
            rows.iter()
                .all(|r| r.status == OutboxStatus::Sent && r.attempts == 1 && r.locked_by.is_none())
        );
    }
);

mail_test!(
    async fn a_live_worker_renews_its_lease_so_a_slow_server_never_lets_another_worker_send_its_messages(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (org, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        queue_confirmations(&app, org, f.place_id, 10).await;
        let policy = worker::Policy {
            renew_every: std::time::Duration::from_millis(20),
            ..worker::Policy::default()
        };
        smtp.hold_replies_after(Some(0));
        let (state, slow_policy) = (app.state.clone(), policy.clone());
        let slow = tokio::spawn(async move {
            let mailer = worker::mailer(&state.settings).unwrap();
            worker::try_deliver_batch_with(&state, &mailer, "worker-a", 10, &slow_policy).await
        });
        smtp.wait_for(policy.parallel, WAIT).await;

        // Two minutes pass, twice the lease: each renewal holds the rows a minute from then.
        let mailer = mailer(&app);
        for _ in 0..3 {
            app.state.clock.advance(Duration::seconds(40));
            let until = app.now() + policy.lease;
            eventually("the lease renewed from the new time", || async {
                outbox_rows(&app)
                    .await
                    .iter()
                    .all(|r| r.locked_by.as_deref() == Some("worker-a") && r.locked_until == Some(until))
            })
            .await;
            assert_eq!(
                drain(&app, &mailer).await,
                Default::default(),
                "the rows stay with worker A"
            );
        }

        smtp.hold_replies_after(None);
        let outcome = slow.await.unwrap().unwrap();
        assert!(
            matches!(outcome, DeliveryOutcome::Delivered(r) if r.sent == 10),
            "{outcome:?}"
        );
        let per_id = deliveries_per_message(&smtp);
        assert_eq!(per_id.len(), 10);
        assert!(per_id.values().all(|n| *n == 1), "each message once");
    }
);

mail_test!(
    async fn a_reminder_due_while_the_confirmation_waits_under_a_dead_workers_lease_goes_after_it(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        // Tuesday 12 January, 14:00 in Paris: booked 30 s before the 3-hour reminder is due.
        let reminder_due = utc("2027-01-12T10:00:00Z");
        app.state.clock.set(reminder_due - Duration::seconds(30));
        app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await;
        let reminders = rows_of_kind(&app, Event::Reminder).await;
        assert_eq!(reminders.len(), 1);
        assert_eq!(reminders[0].not_before, reminder_due);

        // Worker A takes the confirmation and dies before sending it.
        let lease = worker::Policy::default().lease;
        let claimed = creneau::notifications::lease::claim(&app.state.db, "worker-a", app.now(), lease, 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].kind, Event::RegistrationConfirmed);

        // The reminder comes due while the confirmation is still held: it waits.
        let mailer = mailer(&app);
        app.state.clock.set(reminder_due + Duration::seconds(1));
        assert_eq!(drain(&app, &mailer).await, Default::default());
        assert!(smtp.messages().is_empty(), "no reminder before the confirmation");

        // A's lease runs out: the confirmation goes, then the reminder.
        app.state
            .clock
            .set(reminder_due - Duration::seconds(30) + lease + Duration::seconds(1));
        assert_eq!(drain(&app, &mailer).await.sent, 2);
        let subjects: Vec<String> = received(&smtp).into_iter().map(|m| m.subject.unwrap()).collect();
        assert_eq!(subjects.len(), 2);
        assert!(subjects[0].starts_with("Inscription confirmée"), "{subjects:?}");
        assert!(subjects[1].starts_with("Rappel"), "{subjects:?}");
    }
);

/// Everything the database holds about bookings, messages and accounts, as text (and on
/// SQLite the database files themselves): what a dump would give.
async fn database_dump(app: &creneau_tests::app::TestApp) -> String {
    use entities::*;
    let db = &app.state.db;
    let mut out = String::new();
    macro_rules! dump {
        ($($m:ident),*) => {$(
            out.push_str(&format!("{:?}\n", $m::Entity::find().all(db).await.unwrap()));
        )*};
    }
    dump!(
        organisation,
        staff_member,
        staff_token,
        place,
        workshop,
        session,
        registration,
        appointment,
        appointment_claim,
        outbox,
        feed_token,
        motif,
        opening_rule,
        place_motif,
        closure,
        extra_opening
    );
    if app.backend == creneau_tests::app::Backend::Sqlite {
        let url = &app.state.settings.database_url;
        let path = url.trim_start_matches("sqlite://").split('?').next().unwrap();
        for suffix in ["", "-wal"] {
            if let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    out
}

/// Every run of token characters of a token's length in `text`.
fn token_shaped(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| w.len() == 43)
        .map(str::to_string)
        .collect()
}

mail_test!(
    async fn no_working_manage_link_can_be_built_from_the_database_but_the_link_in_the_e_mail_works(
        app: TestApp,
        smtp: TestSmtpServer,
    ) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 8).await;
        let reg = json(app.register(f.session_id, "Ana", Some("ana@exemple.fr"), None).await).await;
        let (point, motif) = mediation_point(&app, &admin).await;
        let resp = app
            .post(
                &format!("/api/v1/places/{point}/appointments"),
                json!({"motif": motif, "start": "2027-01-12T10:00:00+01:00", "name": "Zoé", "email": "zoe@exemple.fr"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let appt = json(resp).await;
        let links = [
            (
                reg["manage_url"].as_str().unwrap().to_string(),
                "ana@exemple.fr",
                "registrations",
            ),
            (
                appt["manage_url"].as_str().unwrap().to_string(),
                "zoe@exemple.fr",
                "appointments",
            ),
        ];
        let token_of = |url: &str| url.rsplit('/').next().unwrap().to_string();

        // Before anything is sent (confirmations and reminders queued): no token in the database,
        // and no token-shaped string from it opens a booking.
        let dump = database_dump(&app).await;
        assert!(dump.contains("ana@exemple.fr"), "the dump holds the bookings");
        for (url, _, _) in &links {
            assert!(
                !dump.contains(&token_of(url)),
                "the raw token is nowhere in the database"
            );
        }
        let candidates = token_shaped(&dump);
        assert!(!candidates.is_empty(), "keys and hashes are there to try");
        for candidate in &candidates {
            for kind in ["registrations", "appointments"] {
                let resp = app.get(&format!("/api/v1/{kind}/{candidate}/invite.ics")).await;
                assert_eq!(resp.status(), 404, "{candidate} must not open a {kind}");
            }
        }
        let pending = outbox_rows(&app).await;
        assert!(pending.iter().any(|r| r.kind == entities::kinds::Event::Reminder));
        assert!(
            pending.iter().all(|r| !r.payload.contains("manage_url\":\"http")),
            "no link in any payload"
        );

        // The worker rebuilds the links with the server secret: the e-mails carry working ones.
        drain(&app, &mailer(&app)).await;
        for (url, to, kind) in &links {
            let mails = mails_to(&smtp, to);
            assert!(!mails.is_empty(), "a confirmation to {to}");
            assert!(
                mails[0].text.as_deref().unwrap().contains(url.as_str()),
                "the link of the answer is in the e-mail"
            );
            let token = token_of(url);
            let resp = app.get(&format!("/api/v1/{kind}/{token}/invite.ics")).await;
            assert_eq!(resp.status(), 200, "the e-mailed link opens the booking");
        }
        let dump = database_dump(&app).await;
        for (url, _, _) in &links {
            assert!(!dump.contains(&token_of(url)));
        }
    }
);
