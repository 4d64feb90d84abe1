//! `TestApp`: the real application on port 0 with a database of its own, plus one helper
//! per endpoint. Every test that touches the database runs on SQLite and on PostgreSQL
//! (see [`db_test!`](crate::db_test)).
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use creneau::{
    auth::Role, http::startup::Application, platform::clock::Clock, platform::config::Settings,
    platform::state::AppState,
};
use entities::organisation;
use reqwest::{Client, Method, Response};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, Set};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub client: Client,
    pub backend: Backend,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// (server URL, database name) of a PostgreSQL test database, dropped with the app.
    pg_database: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Best effort: a database left behind by a panicking test is dropped by .ci/run.
        if let Some((server, name)) = self.pg_database.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                rt.block_on(async move {
                    if let Ok(admin) = Database::connect(format!("{server}/postgres")).await {
                        let _ = admin
                            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// The instant every test starts at: Monday 4 January 2027, 09:00 in Paris.
pub fn test_epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 4, 8, 0, 0).unwrap()
}

fn random_suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("{n:016x}")
}

/// A fresh database URL for one test, or `None` when PostgreSQL is not configured (outside CI).
pub async fn fresh_database(backend: Backend) -> Option<String> {
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("creneau-test-{}.db", random_suffix()));
            Some(format!("sqlite://{}?mode=rwc", path.display()))
        }
        Backend::Postgres => {
            let Ok(admin_url) = std::env::var("CRENEAU_TEST_POSTGRES_URL") else {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("CI=true but CRENEAU_TEST_POSTGRES_URL is not set: the PostgreSQL runs must not skip in CI");
                }
                eprintln!(
                    "skipped on PostgreSQL: set CRENEAU_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run it"
                );
                return None;
            };
            let name = format!("creneau_test_{}", random_suffix());
            let admin = Database::connect(&admin_url)
                .await
                .expect("connecting to CRENEAU_TEST_POSTGRES_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("CREATE DATABASE");
            admin.close().await.ok();
            let (base, _) = admin_url.rsplit_once('/').expect("a database URL ends with /dbname");
            Some(format!("{base}/{name}"))
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the app with settings adjusted by `tune` (SMTP URL, rate limits…).
    pub async fn spawn_with(backend: Backend, tune: impl FnOnce(&mut Settings)) -> Option<TestApp> {
        let url = fresh_database(backend).await?;
        let mut settings = Settings::for_database(&url);
        settings.mail_dir = std::env::temp_dir().join(format!("creneau-test-mail-{}", random_suffix()));
        settings.sms_dir = std::env::temp_dir().join(format!("creneau-test-sms-{}", random_suffix()));
        tune(&mut settings);
        let app = Application::build(settings, Clock::fixed(test_epoch()))
            .await
            .expect("the application starts");
        let port = app.port();
        let state = app.state.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        let base = format!("http://127.0.0.1:{port}");
        // Forgets idle connections before the server closes them (after 5 s), so none is reused
        // just as it closes.
        let client = Client::builder()
            .pool_max_idle_per_host(256)
            .pool_idle_timeout(std::time::Duration::from_secs(3))
            .build()
            .unwrap();
        let pg_database = (backend == Backend::Postgres)
            .then(|| {
                url.rsplit_once('/')
                    .map(|(server, name)| (server.to_string(), name.to_string()))
            })
            .flatten();
        Some(TestApp {
            base,
            state,
            client,
            backend,
            shutdown: Some(tx),
            pg_database,
        })
    }

    /// Starts the app on a port chosen beforehand, so that `public_url` is its real address:
    /// what an SMS gateway on this machine calls back (delivery reports).
    pub async fn spawn_reachable(backend: Backend, tune: impl FnOnce(&mut Settings)) -> Option<TestApp> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        Self::spawn_with(backend, move |s| {
            s.listen = format!("127.0.0.1:{port}");
            s.public_url = format!("http://127.0.0.1:{port}");
            s.sms_dir = std::env::temp_dir().join(format!("creneau-test-sms-{}", random_suffix()));
            tune(s);
        })
        .await
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut req = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.request(Method::POST, path, None, Some(body)).await
    }

    /// An organisation with an admin; answers (organisation id, admin bearer token).
    pub async fn organisation(&self, slug: &str) -> (i32, String) {
        let org = organisation::ActiveModel {
            slug: Set(slug.into()),
            name: Set(format!("Ville de {slug}")),
            timezone: Set("Europe/Paris".into()),
            contact_email: Set(format!("contact@{slug}.example")),
            contact_phone: Set(Some("04 90 00 00 00".into())),
            reminder_offsets: Set("2880,180".into()),
            max_future_appointments: Set(2),
            calendar_uid_part: Set(creneau::notifications::enqueue::calendar_uid_part()),
            created_at: Set(self.now()),
            ..Default::default()
        }
        .insert(&self.state.db)
        .await
        .unwrap();
        let email = format!("admin@{slug}.example");
        let token = self.staff(org.id, &email, Role::Admin).await;
        (org.id, token)
    }

    /// A staff member of `organisation_id`, logged in; answers their bearer token.
    pub async fn staff(&self, organisation_id: i32, email: &str, role: Role) -> String {
        creneau::auth::api::create_staff(
            &self.state,
            organisation_id,
            email,
            "Agent Test",
            role,
            "mot-de-passe-solide",
        )
        .await
        .map_err(|e| e.problem().message.clone())
        .unwrap();
        self.login(email, "mot-de-passe-solide").await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let resp = self
            .post("/api/v1/auth/login", json!({"email": email, "password": password}))
            .await;
        assert_eq!(resp.status(), 200, "login of {email}");
        resp.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn admin_post(&self, token: &str, path: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body)).await
    }

    /// A place, a workshop and one session of `capacity` seats starting `days` days after the
    /// test epoch at 14:00 Paris time; answers the session id.
    pub async fn session_with(&self, token: &str, capacity: i32, days: i64) -> Fixture {
        let place: Value = self
            .admin_post(
                token,
                "/api/v1/admin/places",
                json!({
                    "name": "Médiathèque", "kind": "library", "address": "Place Félix Rey",
                    "postal_code": "13200", "city": "Arles", "public_phone": "04 90 49 39 39"
                }),
            )
            .await
            .json()
            .await
            .unwrap();
        let workshop: Value = self
            .admin_post(token, "/api/v1/admin/workshops", json!({
                "title": "Créer mon compte citoyen", "summary": "Pas à pas", "description": "Atelier",
                "level": "Débutant", "audience": "Adultes", "default_duration_minutes": 120, "default_capacity": capacity
            }))
            .await
            .json()
            .await
            .unwrap();
        let start = self.now() + chrono::Duration::days(days) + chrono::Duration::hours(5);
        let end = start + chrono::Duration::hours(2);
        let resp = self
            .admin_post(
                token,
                "/api/v1/admin/sessions",
                json!({
                    "workshop_id": workshop["id"], "place_id": place["id"],
                    "starts_at": start.to_rfc3339(), "ends_at": end.to_rfc3339(), "capacity": capacity
                }),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let session: Value = resp.json().await.unwrap();
        Fixture {
            place_id: place["id"].as_i64().unwrap() as i32,
            workshop_id: workshop["id"].as_i64().unwrap() as i32,
            session_id: session["id"].as_i64().unwrap() as i32,
        }
    }

    pub async fn register(&self, session_id: i32, name: &str, email: Option<&str>, phone: Option<&str>) -> Response {
        self.post(
            &format!("/api/v1/sessions/{session_id}/registrations"),
            json!({"name": name, "email": email, "phone": phone, "consent": true}),
        )
        .await
    }

    pub fn shared(self) -> Arc<TestApp> {
        Arc::new(self)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Fixture {
    pub place_id: i32,
    pub workshop_id: i32,
    pub session_id: i32,
}

/// Declares a test that runs once on SQLite and once on PostgreSQL:
/// `db_test!(async fn a_sentence(app: TestApp) { … });` gives `a_sentence::on_sqlite` and
/// `a_sentence::on_postgres`.
#[macro_export]
macro_rules! db_test {
    (async fn $name:ident($app:ident : TestApp $(,)?) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::app::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn on_sqlite() {
                let app = $crate::app::TestApp::spawn($crate::app::Backend::Sqlite).await.expect("SQLite always runs");
                run(app).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            #[cfg_attr(not(postgres_tests), ignore = "set CRENEAU_TEST_POSTGRES_URL to run it on PostgreSQL")]
            async fn on_postgres() {
                let app = $crate::app::TestApp::spawn($crate::app::Backend::Postgres)
                    .await
                    .expect("CRENEAU_TEST_POSTGRES_URL was set when this was built: PostgreSQL must be reachable");
                run(app).await
            }
        }
    };
}
