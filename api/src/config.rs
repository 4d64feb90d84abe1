//! Settings read from the environment (and an optional `KEY=value` file), once, at start.
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono_tz::Tz;

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub listen: String,
    /// Base of every link sent to residents (manage pages, calendar URLs).
    pub public_url: String,
    pub timezone: Tz,
    /// `None`: messages are written as `.eml` files to `mail_dir` instead of being sent.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub mail_dir: PathBuf,
    pub log_json: bool,
    /// Run the outbox worker inside `serve` (the default) or leave it to `creneau worker`.
    pub run_worker: bool,
    /// Requests a client may make per minute on login and on public POSTs.
    pub public_post_per_minute: u32,
    pub login_per_minute: u32,
    /// How many of those a client may send at once before the per-minute rate applies.
    pub public_post_burst: u32,
    pub login_burst: u32,
    /// Count clients by `X-Forwarded-For` (set by a reverse proxy in front) instead of the
    /// TCP peer. Only with a proxy that overwrites the header: anyone can send it.
    pub trust_proxy: bool,
    /// When set, `GET /metrics` asks for `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
}

impl Settings {
    /// Reads `CRENEAU_*` variables. `CRENEAU_CONFIG` may name a file of `KEY=value` lines,
    /// whose values apply where the environment does not already set one.
    pub fn from_env() -> anyhow::Result<Settings> {
        if let Ok(path) = std::env::var("CRENEAU_CONFIG") {
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("reading the configuration file {path}"))?;
            for line in text.lines() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let Some((key, value)) = line.split_once('=') else {
                    bail!("{path}: a line is not KEY=value: {line}");
                };
                if std::env::var_os(key.trim()).is_none() {
                    // SAFETY: called once at start, before any other thread exists.
                    unsafe { std::env::set_var(key.trim(), value.trim()) };
                }
            }
        }
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let listen = var("CRENEAU_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
        let timezone: Tz = var("CRENEAU_TIMEZONE")
            .unwrap_or_else(|| "Europe/Paris".into())
            .parse()
            .map_err(|e| anyhow::anyhow!("CRENEAU_TIMEZONE: {e}"))?;
        let number = |k: &str, default: u32| -> anyhow::Result<u32> {
            var(k).map_or(Ok(default), |v| {
                v.parse().with_context(|| format!("{k} must be a whole number"))
            })
        };
        Ok(Settings {
            database_url: var("CRENEAU_DATABASE_URL").unwrap_or_else(|| "sqlite://creneau.db?mode=rwc".into()),
            public_url: var("CRENEAU_PUBLIC_URL")
                .unwrap_or_else(|| format!("http://{listen}"))
                .trim_end_matches('/')
                .to_string(),
            listen,
            timezone,
            smtp_url: var("CRENEAU_SMTP_URL"),
            mail_from: var("CRENEAU_MAIL_FROM").unwrap_or_else(|| "ne-pas-repondre@creneau.localhost".into()),
            mail_dir: var("CRENEAU_MAIL_DIR").unwrap_or_else(|| "outbox-mail".into()).into(),
            log_json: var("CRENEAU_LOG_FORMAT").is_some_and(|v| v == "json"),
            run_worker: var("CRENEAU_WORKER").is_none_or(|v| v != "off"),
            public_post_per_minute: number("CRENEAU_RATE_PUBLIC_POST_PER_MINUTE", 600)?,
            login_per_minute: number("CRENEAU_RATE_LOGIN_PER_MINUTE", 120)?,
            public_post_burst: number("CRENEAU_RATE_PUBLIC_POST_BURST", 120)?,
            login_burst: number("CRENEAU_RATE_LOGIN_BURST", 30)?,
            trust_proxy: var("CRENEAU_TRUST_PROXY").is_some_and(|v| v == "1" || v == "true"),
            metrics_token: var("CRENEAU_METRICS_TOKEN"),
        })
    }

    /// Settings for tests and the demo: everything explicit, nothing read from the environment.
    pub fn for_database(database_url: &str) -> Settings {
        Settings {
            database_url: database_url.to_string(),
            listen: "127.0.0.1:0".into(),
            public_url: "http://127.0.0.1".into(),
            timezone: chrono_tz::Europe::Paris,
            smtp_url: None,
            mail_from: "ne-pas-repondre@creneau.localhost".into(),
            mail_dir: std::env::temp_dir().join("creneau-mail"),
            log_json: false,
            run_worker: false,
            public_post_per_minute: 100_000,
            login_per_minute: 100_000,
            public_post_burst: 100_000,
            login_burst: 100_000,
            trust_proxy: false,
            metrics_token: None,
        }
    }
}
