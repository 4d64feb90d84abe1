//! Admission under a crowd: a few requests worked on at once, a bounded line, and a `503`
//! with `Retry-After` beyond it; health checks never wait.
use creneau::platform::db;
use creneau_tests::app::{Backend, TestApp};
use serde_json::json;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn beyond_the_waiting_line_a_request_gets_503_with_retry_after_and_changes_nothing() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.max_in_flight = 2;
        s.max_waiting = 2;
    })
    .await
    .unwrap();
    let (_, admin) = app.organisation("arles").await;
    let f = app.session_with(&admin, 10, 3).await;

    // Another writer holds the database: the registrations admitted wait for it.
    let holder = db::begin_write(&app.state.db).await.unwrap();
    let mut crowd = Vec::new();
    for n in 0..6 {
        let client = app.client.clone();
        let url = format!("{}/api/v1/sessions/{}/registrations", app.base, f.session_id);
        crowd.push(tokio::spawn(async move {
            client
                .post(url)
                .json(
                    &json!({"name": format!("Personne {n}"), "phone": format!("06 12 34 56 {n:02}"), "consent": true}),
                )
                .send()
                .await
                .unwrap()
        }));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Two are worked on, two wait: the last two are refused at once, while the health check
    // still answers.
    let mut refused = Vec::new();
    for resp in crowd.drain(4..) {
        refused.push(resp.await.unwrap());
    }
    assert_eq!(app.get("/healthz").await.status(), 200);
    for resp in refused {
        assert_eq!(resp.headers()["retry-after"], "1");
        let message = problem(resp, 503, "busy").await;
        assert!(message.contains("Réessayez"), "{message}");
    }
    holder.commit().await.unwrap();
    for resp in crowd {
        assert_eq!(resp.await.unwrap().status(), 201);
    }
    assert_eq!(registrations(&app, f.session_id).await.len(), 4);
}
