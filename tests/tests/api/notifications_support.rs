//! What the notification tests share: an app wired to a real loopback SMTP server, a worker
//! driven step by step, and the received mails parsed back (headers, parts, calendar).
use std::str::FromStr;

use creneau::notifications::{
    smtp::Mailer,
    worker::{self, BatchReport, DeliveryOutcome},
};
use creneau_tests::{
    app::TestApp,
    mail::{ParsedMail, parse_mail},
    smtp_server::TestSmtpServer,
};
use icalendar::{Calendar, Component, EventLike};
use serde_json::{Value, json};

use crate::helpers::json;

/// Declares a test that runs on SQLite and PostgreSQL (like `db_test!`) with a test SMTP
/// server started first and its URL in the app's settings:
/// `mail_test!(async fn a_sentence(app: TestApp, smtp: TestSmtpServer) { … });`
macro_rules! mail_test {
    (async fn $name:ident($app:ident : TestApp, $smtp:ident : TestSmtpServer $(,)?) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: creneau_tests::app::TestApp, $smtp: creneau_tests::smtp_server::TestSmtpServer) $body

            async fn spawn(
                backend: creneau_tests::app::Backend,
            ) -> Option<(creneau_tests::app::TestApp, creneau_tests::smtp_server::TestSmtpServer)> {
                let smtp = creneau_tests::smtp_server::TestSmtpServer::start().await;
                let url = smtp.url();
                let app = creneau_tests::app::TestApp::spawn_with(backend, move |s| s.smtp_url = Some(url.into())).await?;
                Some((app, smtp))
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn on_sqlite() {
                let (app, smtp) = spawn(creneau_tests::app::Backend::Sqlite).await.expect("SQLite always runs");
                run(app, smtp).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            #[cfg_attr(not(postgres_tests), ignore = "set CRENEAU_TEST_POSTGRES_URL to run it on PostgreSQL")]
            async fn on_postgres() {
                let (app, smtp) = spawn(creneau_tests::app::Backend::Postgres)
                    .await
                    .expect("CRENEAU_TEST_POSTGRES_URL was set when this was built: PostgreSQL must be reachable");
                run(app, smtp).await
            }
        }
    };
}
pub(crate) use mail_test;

/// The worker's mailer for this app (SMTP to the test server).
pub fn mailer(app: &TestApp) -> Mailer {
    let m = worker::mailer(&app.state.settings).expect("a valid SMTP URL");
    assert!(matches!(m, Mailer::Smtp(_)), "the tests deliver over SMTP");
    m
}

/// Runs worker steps until nothing is due; answers what they did in total.
pub async fn drain(app: &TestApp, mailer: &Mailer) -> BatchReport {
    let mut total = BatchReport::default();
    for _ in 0..10_000 {
        match worker::try_deliver_batch(&app.state, mailer, "test-worker", 25)
            .await
            .expect("a worker step")
        {
            DeliveryOutcome::EmptyQueue => return total,
            DeliveryOutcome::Delivered(r) => {
                total.sent += r.sent;
                total.retrying += r.retrying;
                total.failed += r.failed;
                total.expired += r.expired;
                total.released += r.released;
            }
        }
    }
    panic!("the queue never emptied");
}

/// Every mail the server accepted so far, parsed.
pub fn received(smtp: &TestSmtpServer) -> Vec<ParsedMail> {
    smtp.messages().iter().map(|m| parse_mail(&m.data)).collect()
}

/// The mails to one address, in order.
pub fn mails_to(smtp: &TestSmtpServer, address: &str) -> Vec<ParsedMail> {
    received(smtp)
        .into_iter()
        .filter(|m| m.to.iter().any(|(_, a)| a == address))
        .collect()
}

/// The one VEVENT of an invite and the calendar's METHOD.
#[derive(Debug, Clone)]
pub struct Invite {
    pub method: Option<String>,
    pub uid: String,
    pub sequence: u32,
    pub status: Option<String>,
    pub dtstart: String,
    pub dtend: String,
    pub dtstamp: String,
    pub summary: String,
    pub location: String,
    pub description: String,
    /// Unfolded `ATTENDEE` and `ORGANIZER` lines.
    pub attendee: Option<String>,
    pub organizer: Option<String>,
}

pub fn parse_invite(ics: &str) -> Invite {
    let cal = Calendar::from_str(ics).expect("the invite parses as iCalendar");
    let events: Vec<_> = cal.events().collect();
    assert_eq!(events.len(), 1, "one event per invite");
    let e = &events[0];
    let lines: Vec<String> = icalendar::parser::unfold(ics)
        .split("\r\n")
        .map(str::to_string)
        .collect();
    let line = |prefix: &str| lines.iter().find(|l| l.starts_with(prefix)).cloned();
    Invite {
        method: cal.property_value("METHOD").map(str::to_string),
        uid: e.get_uid().expect("UID").to_string(),
        sequence: e.get_sequence().expect("SEQUENCE"),
        status: e.property_value("STATUS").map(str::to_string),
        dtstart: e.property_value("DTSTART").expect("DTSTART").to_string(),
        dtend: e.property_value("DTEND").expect("DTEND").to_string(),
        dtstamp: e.property_value("DTSTAMP").expect("DTSTAMP").to_string(),
        summary: e.get_summary().unwrap_or_default().to_string(),
        location: e.get_location().unwrap_or_default().to_string(),
        description: e.get_description().unwrap_or_default().to_string(),
        attendee: line("ATTENDEE"),
        organizer: line("ORGANIZER"),
    }
}

/// The invite of a mail: the inline `text/calendar` part, checked against the `.ics`
/// attachment (same text) and the part's `method` parameter (same as the file's METHOD).
pub fn invite_of(mail: &ParsedMail) -> Invite {
    let part = mail.calendar.as_ref().expect("a text/calendar part");
    let attachment = mail.attachment("invite.ics").expect("an invite.ics attachment");
    assert_eq!(attachment.text(), part.body, "the attachment is the inline invite");
    let invite = parse_invite(&part.body);
    assert_eq!(part.method(), invite.method.as_deref(), "method= matches METHOD");
    invite
}

/// `20270111T130000Z` for an instant.
pub fn ics_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A mediation point open every weekday 09:00–12:00 with a 30-minute reason; answers
/// (place id, motif id).
pub async fn mediation_point(app: &TestApp, admin: &str) -> (i32, i32) {
    let place: Value = json(
        app.admin_post(
            admin,
            "/api/v1/admin/places",
            json!({
                "name": "Maison publique de Trinquetaille", "kind": "mediation_point",
                "address": "Avenue de Camargue", "postal_code": "13200", "city": "Arles",
                "public_phone": "04 90 18 46 73", "desks": 1
            }),
        )
        .await,
    )
    .await;
    let place_id = place["id"].as_i64().unwrap() as i32;
    for day in ["monday", "tuesday", "wednesday", "thursday", "friday"] {
        let resp = app
            .admin_post(
                admin,
                &format!("/api/v1/admin/places/{place_id}/opening-rules"),
                json!({"weekday": day, "start_time": "09:00", "end_time": "12:00"}),
            )
            .await;
        assert_eq!(resp.status(), 201, "opening rule");
    }
    let motif: Value = json(
        app.admin_post(
            admin,
            "/api/v1/admin/motifs",
            json!({
                "label": "Aide CAF", "duration_minutes": 30, "bookable_online": true,
                "instructions": "Votre numéro d'allocataire et votre mot de passe CAF.",
                "place_ids": [place_id]
            }),
        )
        .await,
    )
    .await;
    (place_id, motif["id"].as_i64().expect("a motif") as i32)
}
