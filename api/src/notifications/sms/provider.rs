//! Where SMS go, chosen by `CRENEAU_SMS_URL`: Kannel's `sendsms` HTTP interface
//! (`kannel://USER:PASSWORD@HOST:PORT`), Brevo's transactional SMS API
//! (`brevo://API_KEY@api.brevo.com`, see [`super::brevo`]), or, unset, a text file per message
//! in a folder.
//!
//! Errors never carry the number or the text: they end up in logs and in `last_error`. Both
//! HTTP gateways sort their refusals with [`retry_later`], so they retry or fail as mail does.
use std::{future::Future, path::PathBuf, pin::Pin, time::Duration};

use anyhow::{Context, bail};

use crate::platform::config::{ExposeSecret, Settings};

/// One SMS ready to go.
#[derive(Debug, Clone)]
pub struct OutgoingSms {
    /// A stable name for the message (the row's `message_id`).
    pub id: String,
    /// E.164 number.
    pub to: String,
    /// The sender name (at most 11 letters or digits).
    pub from: String,
    /// GSM text.
    pub text: String,
    /// Where the gateway reports on delivery; each gateway has its own path under it.
    pub report: ReportAddress,
}

/// The row a delivery report is about and the secret it must carry: a report cannot be forged
/// for a message without its own secret. Each gateway builds its URL from it
/// ([`ReportAddress::kannel_url`], [`ReportAddress::brevo_url`]).
#[derive(Debug, Clone)]
pub struct ReportAddress {
    /// `CRENEAU_PUBLIC_URL`, which the gateway must be able to reach.
    pub public_url: String,
    pub id: i64,
    pub secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// Try again later (gateway down, busy, network).
    #[error("transient SMS error: {0}")]
    Transient(String),
    /// Retrying will not help (refused by the gateway).
    #[error("permanent SMS error: {0}")]
    Permanent(String),
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SmsError>> + Send + 'a>>;

/// A way to send SMS. Implementations must be cheap to share between tasks.
pub trait SmsProvider: Send + Sync {
    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> SendFuture<'a>;
    /// For the start-up log line: never the password.
    fn describe(&self) -> String;
}

/// The provider of these settings, by the scheme of `CRENEAU_SMS_URL`.
pub fn from_settings(settings: &Settings) -> anyhow::Result<std::sync::Arc<dyn SmsProvider>> {
    let Some(url) = settings.sms_url.as_ref().map(|u| u.expose_secret().to_string()) else {
        return Ok(std::sync::Arc::new(Files {
            dir: settings.sms_dir.clone(),
        }));
    };
    Ok(match url.split_once("://").map(|(scheme, _)| scheme) {
        Some("kannel") => std::sync::Arc::new(Kannel::from_url(&url)?),
        Some(scheme) if super::brevo::Brevo::accepts(scheme) => {
            std::sync::Arc::new(super::brevo::Brevo::from_url(&url)?)
        }
        _ => bail!("CRENEAU_SMS_URL: kannel://USER:PASSWORD@HOST:PORT or brevo://API_KEY@api.brevo.com"),
    })
}

/// Whether a refusal by an HTTP gateway may pass if the message is sent again later: its
/// server failing (5xx), too many requests (429) or a request timeout (408). Anything else
/// it refused would be refused again, so the message fails at once and staff see why (as a
/// mail server's 5xx does; its 4xx, like these, is retried with the outbox's backoff).
pub(crate) fn retry_later(status: reqwest::StatusCode) -> bool {
    status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408
}

/// The HTTP client of a gateway: a send that hangs is given up after 20 s (and retried).
pub(crate) fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .context("HTTP client")
}

/// The user or password part of a gateway URL, percent-decoded.
pub(crate) fn userinfo(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Each SMS written as `<id>.txt` in `dir`: for the demo and for development.
pub struct Files {
    pub dir: PathBuf,
}

impl SmsProvider for Files {
    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> SendFuture<'a> {
        Box::pin(async move {
            tokio::fs::create_dir_all(&self.dir)
                .await
                .map_err(|e| SmsError::Transient(format!("SMS folder: {e}")))?;
            let name: String = sms
                .id
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
                .collect();
            let body = format!("À : {}\nDe : {}\n\n{}\n", sms.to, sms.from, sms.text);
            tokio::fs::write(self.dir.join(format!("{name}.txt")), body)
                .await
                .map_err(|e| SmsError::Transient(format!("SMS file: {e}")))
        })
    }

    fn describe(&self) -> String {
        format!("SMS files in {}", self.dir.display())
    }
}

/// Kannel's `sendsms` interface (smsbox), with delivery reports to [`ReportAddress::kannel_url`].
pub struct Kannel {
    endpoint: String,
    username: String,
    password: String,
    client: reqwest::Client,
}

impl Kannel {
    pub fn from_url(url: &str) -> anyhow::Result<Kannel> {
        let u = url::Url::parse(url).context("CRENEAU_SMS_URL is not a URL")?;
        if u.scheme() != "kannel" {
            bail!("CRENEAU_SMS_URL: a Kannel URL is kannel://USER:PASSWORD@HOST:PORT");
        }
        let host = u.host_str().context("CRENEAU_SMS_URL: no host")?;
        let port = u.port().unwrap_or(13013);
        Ok(Kannel {
            endpoint: format!("http://{host}:{port}/cgi-bin/sendsms"),
            username: userinfo(u.username()),
            password: userinfo(u.password().unwrap_or_default()),
            client: http_client()?,
        })
    }

    /// The gateway's `sendsms` address (no credentials: they go in the query).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

/// Report types Kannel is asked for: delivered (1), not delivered (2), rejected by the SMS
/// centre (16). Buffered (4) and accepted by the centre (8) change nothing.
pub const DLR_MASK: &str = "19";

impl SmsProvider for Kannel {
    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> SendFuture<'a> {
        Box::pin(async move {
            let resp = self
                .client
                .get(&self.endpoint)
                .query(&[
                    ("username", self.username.as_str()),
                    ("password", self.password.as_str()),
                    ("from", sms.from.as_str()),
                    ("to", sms.to.as_str()),
                    ("text", sms.text.as_str()),
                    ("charset", "UTF-8"),
                    ("coding", "0"),
                    ("dlr-mask", DLR_MASK),
                    ("dlr-url", sms.report.kannel_url().as_str()),
                ])
                .send()
                .await
                .map_err(|e| SmsError::Transient(format!("Kannel unreachable: {}", without_url(&e))))?;
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            let body = body.trim().chars().take(200).collect::<String>();
            if status.is_success() {
                Ok(())
            } else if retry_later(status) {
                // "Sending failed" / queue full: the gateway may take it later.
                Err(SmsError::Transient(format!("Kannel {status}: {body}")))
            } else {
                Err(SmsError::Permanent(format!("Kannel {status}: {body}")))
            }
        })
    }

    fn describe(&self) -> String {
        format!("Kannel at {}", self.endpoint)
    }
}

/// reqwest's errors print the URL, which carries the number, the text and the password.
pub(crate) fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "connection refused or failed"
    } else if e.is_timeout() {
        "timeout"
    } else if e.is_request() {
        "request error"
    } else {
        "error"
    };
    kind.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kannel_url_gives_the_sendsms_endpoint_and_the_credentials() {
        let k = Kannel::from_url("kannel://creneau:s%40cret@127.0.0.1:14013").unwrap();
        assert_eq!(k.endpoint, "http://127.0.0.1:14013/cgi-bin/sendsms");
        assert_eq!(k.username, "creneau");
        assert_eq!(k.password, "s@cret");
        assert!(!k.describe().contains("cret"));
        assert!(Kannel::from_url("https://x.example").is_err());
    }
}
