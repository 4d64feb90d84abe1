//! The one-second read cache seen from outside: crowds of readers, and a booking among them.
use std::sync::Arc;

use creneau_tests::{app::TestApp, db_test};
use serde_json::Value;

use crate::helpers::*;

/// What a listing answer is made of, without what differs per request.
async fn answer(app: &TestApp) -> (u16, Vec<(String, String)>, String) {
    let resp = app.get("/api/v1/sessions").await;
    let mut headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_string()))
        .collect();
    headers.sort();
    (resp.status().as_u16(), headers, resp.text().await.unwrap())
}

db_test!(
    async fn a_crowd_of_readers_on_a_fresh_listing_all_get_the_same_answer(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        app.session_with(&admin, 8, 3).await;
        let app = app.shared();
        let crowd: Vec<_> = (0..32)
            .map(|_| {
                let app = app.clone();
                tokio::spawn(async move { answer(&app).await })
            })
            .collect();
        let mut answers = Vec::new();
        for reader in crowd {
            answers.push(reader.await.unwrap());
        }
        let first = answer(&app).await;
        assert_eq!(first.0, 200);
        assert!(
            first
                .1
                .iter()
                .any(|(n, v)| n == "content-type" && v.starts_with("application/json"))
        );
        for a in &answers {
            assert_eq!(a, &first, "a copy differs from the original");
        }
    }
);

db_test!(
    async fn a_booking_made_while_readers_crowd_the_listing_is_seen_by_the_booker(app: TestApp) {
        let (_, admin) = app.organisation("arles").await;
        let f = app.session_with(&admin, 8, 3).await;
        let app = app.shared();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let crowd: Vec<_> = (0..16)
            .map(|_| {
                let (app, stop) = (app.clone(), stop.clone());
                tokio::spawn(async move {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        assert_eq!(app.get("/api/v1/sessions").await.status(), 200);
                    }
                })
            })
            .collect();
        let seats = |v: Value| v[0]["seats_left"].as_i64();
        for (i, left) in [(0, 7), (1, 6), (2, 5)] {
            let booked = app
                .register(f.session_id, "Ana", Some(&format!("ana{i}@exemple.fr")), None)
                .await;
            assert_eq!(booked.status(), 201);
            assert_eq!(seats(json(app.get("/api/v1/sessions").await).await), Some(left));
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for reader in crowd {
            reader.await.unwrap();
        }
    }
);
