//! Settings read from the environment (and an optional `KEY=value` file), once, at start.
use std::{collections::HashMap, path::PathBuf};

use anyhow::{Context, bail};
use chrono_tz::Tz;
pub use secrecy::{ExposeSecret, SecretString};

/// `Debug` prints secrets as `[REDACTED]` (the SMTP URL carries a password).
#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub listen: String,
    /// Base of every link sent to residents (manage pages, calendar URLs).
    pub public_url: String,
    pub timezone: Tz,
    /// `None`: messages are written as `.eml` files to `mail_dir` instead of being sent.
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    pub mail_dir: PathBuf,
    /// `kannel://USER:PASSWORD@HOST:PORT` or `brevo://API_KEY@api.brevo.com`; `None`: SMS are
    /// written as text files to `sms_dir`.
    pub sms_url: Option<SecretString>,
    pub sms_dir: PathBuf,
    /// The secret in the URL Kannel calls with each incoming text
    /// (`/sms/kannel/inbound?secret=…`); `None`: replies are not taken.
    pub sms_inbound_secret: Option<SecretString>,
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
    pub metrics_token: Option<SecretString>,
    /// Requests worked on at once, and how many more may wait their turn before the next
    /// is answered `503` (see `http::admission`).
    pub max_in_flight: u32,
    pub max_waiting: u32,
    /// The server secret (`CRENEAU_SECRET`, see [`crate::platform::secret`]); filled at start
    /// by [`Settings::resolve_secret`] when the configuration has none.
    pub secret: Option<SecretString>,
    /// Months after a booking's date when its personal data is erased
    /// (`CRENEAU_RETENTION_MONTHS`, default 24); the privacy page states it.
    pub retention_months: u32,
}

impl Settings {
    /// Reads `CRENEAU_*` variables. `CRENEAU_CONFIG` may name a file of `KEY=value` lines,
    /// whose values apply where the environment does not already set one.
    pub fn from_env() -> anyhow::Result<Settings> {
        let file = match std::env::var("CRENEAU_CONFIG") {
            Ok(path) => read_config_file(&path)?,
            Err(_) => HashMap::new(),
        };
        Self::from_sources(|k| std::env::var(k).ok(), &file)
    }

    /// The environment wins over the file; an empty value counts as unset.
    fn from_sources(env: impl Fn(&str) -> Option<String>, file: &HashMap<String, String>) -> anyhow::Result<Settings> {
        let var = |k: &str| env(k).or_else(|| file.get(k).cloned()).filter(|v| !v.is_empty());
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
            smtp_url: var("CRENEAU_SMTP_URL").map(SecretString::from),
            mail_from: var("CRENEAU_MAIL_FROM").unwrap_or_else(|| "ne-pas-repondre@creneau.localhost".into()),
            mail_dir: var("CRENEAU_MAIL_DIR").unwrap_or_else(|| "outbox-mail".into()).into(),
            sms_url: var("CRENEAU_SMS_URL").map(SecretString::from),
            sms_dir: var("CRENEAU_SMS_DIR").unwrap_or_else(|| "outbox-sms".into()).into(),
            sms_inbound_secret: var("CRENEAU_SMS_INBOUND_SECRET").map(SecretString::from),
            log_json: var("CRENEAU_LOG_FORMAT").is_some_and(|v| v == "json"),
            run_worker: var("CRENEAU_WORKER").is_none_or(|v| v != "off"),
            public_post_per_minute: number("CRENEAU_RATE_PUBLIC_POST_PER_MINUTE", 600)?,
            login_per_minute: number("CRENEAU_RATE_LOGIN_PER_MINUTE", 120)?,
            public_post_burst: number("CRENEAU_RATE_PUBLIC_POST_BURST", 120)?,
            login_burst: number("CRENEAU_RATE_LOGIN_BURST", 30)?,
            trust_proxy: var("CRENEAU_TRUST_PROXY").is_some_and(|v| v == "1" || v == "true"),
            metrics_token: var("CRENEAU_METRICS_TOKEN").map(SecretString::from),
            max_in_flight: number("CRENEAU_MAX_IN_FLIGHT", 16)?,
            max_waiting: number("CRENEAU_MAX_WAITING", 1024)?,
            secret: var("CRENEAU_SECRET").map(SecretString::from),
            retention_months: match number("CRENEAU_RETENTION_MONTHS", 24)? {
                0 => bail!("CRENEAU_RETENTION_MONTHS must be 1 or more"),
                n => n,
            },
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
            sms_url: None,
            sms_dir: std::env::temp_dir().join("creneau-sms"),
            sms_inbound_secret: None,
            log_json: false,
            run_worker: false,
            public_post_per_minute: 100_000,
            login_per_minute: 100_000,
            public_post_burst: 100_000,
            login_burst: 100_000,
            trust_proxy: false,
            metrics_token: None,
            max_in_flight: 16,
            max_waiting: 1024,
            secret: Some(SecretString::from(crate::platform::token::generate())),
            retention_months: 24,
        }
    }

    /// Takes the server secret from the configuration, or from the file next to the SQLite
    /// database; refuses PostgreSQL without one (see [`crate::platform::secret`]).
    pub fn resolve_secret(&mut self) -> anyhow::Result<()> {
        self.secret = Some(crate::platform::secret::resolve(
            &self.database_url,
            self.secret.as_ref(),
        )?);
        Ok(())
    }

    /// The server secret; [`Settings::resolve_secret`] runs before anything needs it.
    pub fn secret(&self) -> &SecretString {
        self.secret.as_ref().expect("the server secret is resolved at start")
    }
}

/// `KEY=value` lines; blank lines and `#` comments are skipped.
fn read_config_file(path: &str) -> anyhow::Result<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the configuration file {path}"))?;
    let mut values = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            bail!("{path}: a line is not KEY=value: {line}");
        };
        values.insert(key.trim().to_string(), value.trim().to_string());
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_wins_over_the_file_and_an_empty_variable_means_the_default() {
        let file = HashMap::from([
            ("CRENEAU_LISTEN".to_string(), "127.0.0.1:9000".to_string()),
            ("CRENEAU_MAIL_FROM".to_string(), "mairie@exemple.fr".to_string()),
        ]);
        let env = |k: &str| match k {
            "CRENEAU_LISTEN" => Some("127.0.0.1:7000".to_string()),
            "CRENEAU_MAIL_FROM" => Some(String::new()),
            _ => None,
        };
        let s = Settings::from_sources(env, &file).unwrap();
        assert_eq!(s.listen, "127.0.0.1:7000");
        assert_eq!(s.mail_from, "ne-pas-repondre@creneau.localhost");
    }

    #[test]
    fn secrets_never_show_in_the_settings_debug_output() {
        let file = HashMap::from([
            (
                "CRENEAU_SMTP_URL".to_string(),
                "smtp://agent:motdepasse@smtp.exemple.fr".to_string(),
            ),
            ("CRENEAU_METRICS_TOKEN".to_string(), "jeton-secret".to_string()),
        ]);
        let s = Settings::from_sources(|_| None, &file).unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("motdepasse"), "{shown}");
        assert!(!shown.contains("jeton-secret"), "{shown}");
        assert_eq!(
            s.smtp_url.unwrap().expose_secret(),
            "smtp://agent:motdepasse@smtp.exemple.fr"
        );
    }
}
