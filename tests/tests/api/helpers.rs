//! Reading the outbox and the database directly, to check what the API cannot show.
use creneau::notifications::worker::{self, BatchReport};
use creneau_tests::app::TestApp;
use entities::kinds::{Channel, OutboxStatus};
use entities::{outbox, registration, session};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

pub async fn outbox_rows(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

/// (kind, recipient e-mail, iCalendar method, sequence, status) of every e-mail row of the
/// outbox (SMS rows are checked by the SMS tests).
pub async fn outbox_summary(app: &TestApp) -> Vec<(String, Option<String>, Option<String>, Option<i32>, String)> {
    outbox_rows(app)
        .await
        .into_iter()
        .filter(|r| r.channel == entities::kinds::Channel::Email)
        .map(|r| {
            (
                r.kind.to_string(),
                r.recipient_email,
                r.ical_method.map(|m| m.to_string()),
                r.ical_sequence,
                r.status.to_string(),
            )
        })
        .collect()
}

pub async fn session_row(app: &TestApp, id: i32) -> session::Model {
    session::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

pub async fn registrations(app: &TestApp, session_id: i32) -> Vec<registration::Model> {
    registration::Entity::find()
        .filter(registration::Column::SessionId.eq(session_id))
        .order_by_asc(registration::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

pub async fn json(resp: reqwest::Response) -> Value {
    resp.json().await.expect("a JSON body")
}

/// Asserts a JSON problem body with the given status and code; answers the message.
pub async fn problem(resp: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(resp.status().as_u16(), status, "status");
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], code, "problem {body}");
    let message = body["message"].as_str().unwrap().to_string();
    assert!(!message.is_empty());
    message
}

/// The iCalendar UID a booking's invites carry: `registration-12-<the organisation's random
/// part>@127.0.0.1` (`kind` is `registration`, `appointment`, `session` or `appointment…agenda`).
pub async fn expected_uid(app: &creneau_tests::app::TestApp, kind: &str, id: i64) -> String {
    use sea_orm::EntityTrait;
    let db = &app.state.db;
    let org = match kind {
        "registration" => {
            let r = entities::registration::Entity::find_by_id(id as i32)
                .one(db)
                .await
                .unwrap()
                .unwrap();
            entities::session::Entity::find_by_id(r.session_id)
                .one(db)
                .await
                .unwrap()
                .unwrap()
                .organisation_id
        }
        "session" => {
            entities::session::Entity::find_by_id(id as i32)
                .one(db)
                .await
                .unwrap()
                .unwrap()
                .organisation_id
        }
        _ => {
            entities::appointment::Entity::find_by_id(id as i32)
                .one(db)
                .await
                .unwrap()
                .unwrap()
                .organisation_id
        }
    };
    let part = entities::organisation::Entity::find_by_id(org)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .calendar_uid_part;
    assert_eq!(part.len(), 10, "every organisation made here has a random part");
    match kind {
        "agenda" => format!("appointment-{id}-agenda-{part}@127.0.0.1"),
        kind => format!("{kind}-{id}-{part}@127.0.0.1"),
    }
}

/// Worker steps until nothing is due, with the mailer of the app's settings (the SMS tests
/// send no mail over SMTP); answers what they did in all.
pub async fn drain_sms(app: &TestApp) -> BatchReport {
    let mailer = worker::mailer(&app.state.settings).unwrap();
    crate::notifications_support::drain(app, &mailer).await
}

pub async fn sms_rows(app: &TestApp) -> Vec<outbox::Model> {
    outbox_rows(app)
        .await
        .into_iter()
        .filter(|r| r.channel == Channel::Sms)
        .collect()
}

/// Waits (at most 10 s) until the SMS row `id` has `status`.
pub async fn wait_for_status(app: &TestApp, id: i64, status: OutboxStatus) -> outbox::Model {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let row = sms_rows(app).await.into_iter().find(|r| r.id == id).unwrap();
        if row.status == status || std::time::Instant::now() > deadline {
            return row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
