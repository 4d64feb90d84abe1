//! Sign-in throttling: counted atomically, per account and client address with a slower
//! per-account ceiling, the same for known and unknown accounts, and never a lock-out from
//! one slow guesser.
use creneau_tests::app::{Backend, TestApp};
use serde_json::json;

use crate::helpers::*;

const OWNER: &str = "admin@arles.example";
const RIGHT: &str = "mot-de-passe-solide";

async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/auth/login", app.base))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn behind_proxy(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |s| s.trust_proxy = true).await
}

macro_rules! both {
    ($name:ident, $run:ident) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn on_sqlite() {
                $run(behind_proxy(Backend::Sqlite).await.unwrap()).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            #[cfg_attr(
                not(postgres_tests),
                ignore = "set CRENEAU_TEST_POSTGRES_URL to run it on PostgreSQL"
            )]
            async fn on_postgres() {
                $run(
                    behind_proxy(Backend::Postgres)
                        .await
                        .expect("CRENEAU_TEST_POSTGRES_URL was set when this was built: PostgreSQL must be reachable"),
                )
                .await
            }
        }
    };
}

both!(
    thirty_wrong_passwords_sent_at_once_are_throttled_after_five,
    thirty_at_once
);
async fn thirty_at_once(app: TestApp) {
    app.organisation("arles").await;
    let app = app.shared();
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..30 {
        let app = app.clone();
        tries.spawn(async move { login_from(&app, "203.0.113.9", OWNER, "wrong").await.status().as_u16() });
    }
    let mut statuses = tries.join_all().await;
    statuses.sort();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 25, "{statuses:?}");
}

both!(
    the_owner_signs_in_from_another_address_while_an_attacker_is_throttled,
    owner_gets_in
);
async fn owner_gets_in(app: TestApp) {
    app.organisation("arles").await;
    for _ in 0..5 {
        problem(
            login_from(&app, "203.0.113.9", OWNER, "wrong").await,
            401,
            "bad_credentials",
        )
        .await;
    }
    for _ in 0..20 {
        let resp = login_from(&app, "203.0.113.9", OWNER, "wrong").await;
        assert_eq!(resp.status(), 429);
        let retry: i64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=180).contains(&retry), "Retry-After {retry}");
    }
    // The attacker keeps trying as fast as the throttle lets it for two hours.
    for _ in 0..40 {
        app.state.clock.advance(chrono::Duration::minutes(3));
        problem(
            login_from(&app, "203.0.113.9", OWNER, "wrong").await,
            401,
            "bad_credentials",
        )
        .await;
    }
    let resp = login_from(&app, "198.51.100.7", OWNER, RIGHT).await;
    assert_eq!(resp.status(), 200, "the owner, elsewhere, is let in");
}

both!(a_known_and_an_unknown_account_answer_the_same_sequence, same_sequence);
async fn same_sequence(app: TestApp) {
    app.organisation("arles").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..8 {
        known.push(login_from(&app, "203.0.113.9", OWNER, "wrong").await.status().as_u16());
        unknown.push(
            login_from(&app, "203.0.113.9", "personne@arles.example", "wrong")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(known, [401, 401, 401, 401, 401, 429, 429, 429]);
    assert_eq!(known, unknown);
}

both!(
    one_wrong_try_every_fifteen_minutes_never_locks_the_account,
    slow_guesser
);
async fn slow_guesser(app: TestApp) {
    app.organisation("arles").await;
    for _ in 0..20 {
        problem(
            login_from(&app, "203.0.113.9", OWNER, "wrong").await,
            401,
            "bad_credentials",
        )
        .await;
        app.state.clock.advance(chrono::Duration::minutes(15));
        assert_eq!(login_from(&app, "198.51.100.7", OWNER, RIGHT).await.status(), 200);
    }
    // The guesser's own address too: its own typo-budget is back each time.
    assert_eq!(login_from(&app, "203.0.113.9", OWNER, RIGHT).await.status(), 200);
}

both!(
    after_the_announced_wait_the_owner_gets_in_from_the_same_address,
    wait_then_in
);
async fn wait_then_in(app: TestApp) {
    app.organisation("arles").await;
    for _ in 0..5 {
        problem(
            login_from(&app, "203.0.113.9", OWNER, "wrong").await,
            401,
            "bad_credentials",
        )
        .await;
    }
    let resp = login_from(&app, "203.0.113.9", OWNER, RIGHT).await;
    assert_eq!(resp.status(), 429);
    let retry: i64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    let message = problem(resp, 429, "login_delayed").await;
    assert!(message.contains("patientez"), "{message}");
    app.state.clock.advance(chrono::Duration::seconds(retry));
    assert_eq!(login_from(&app, "203.0.113.9", OWNER, RIGHT).await.status(), 200);
}
