//! Brevo's transactional SMS API, a commercial gateway French towns buy from.
//!
//! `CRENEAU_SMS_URL=brevo://API_KEY@api.brevo.com` sends to `https://api.brevo.com`;
//! `brevo+http://API_KEY@HOST:PORT` to a plain-HTTP base (the tests' fake Brevo).
//!
//! Written from Brevo's documentation, not tried against the live service: this path is
//! contract-tested against a local server that checks the documented request and answers the
//! documented bodies (`tests/src/brevo.rs`).
//!
//! * The request — <https://developers.brevo.com/docs/transactional-sms-endpoints> and the
//!   reference of `sendTransacSms`: `POST /v3/transactionalSMS/sms` with the headers `api-key`,
//!   `accept: application/json` and `content-type: application/json`, and a JSON body of
//!   `sender` (at most 11 alphanumeric characters), `recipient` ("mobile number … with the
//!   country code", international form without `+`), `content`, `type` (`transactional`),
//!   `tag`, `webUrl` ("webhook to call for each event triggered by the message") and
//!   `unicodeEnabled` (false: our texts are GSM 7-bit, see [`super::gsm`]).
//! * The answers — `201` with `{reference, messageId, smsCount, usedCredits, remainingCredits}`;
//!   errors as `{code, message}` (<https://developers.brevo.com/docs/how-it-works>), e.g. `400`
//!   `invalid_parameter`, `401` `unauthorized`, `402` `not_enough_credits`.
//! * The events — <https://developers.brevo.com/docs/transactional-webhooks>, "Transactional
//!   SMS": a POST to `webUrl` with a JSON body whose `msg_status` is `sent`, `delivered`,
//!   `soft_bounce` or `hard_bounce` (with `messageId`, `to`, `date`, …); see [`status_of`].
//!
//! Brevo's changelog marks this endpoint deprecated in favour of `/v3/transactionalSMS/send`
//! (answering only `{messageId}`) while keeping it in service; the documented request above is
//! the one with a full reference, so it is the one followed here.
//!
//! What fails how (see [`failure`]): a network error, a 5xx, a 429 or a 408 is retried with
//! the outbox's backoff, like mail. Anything else fails at once: `invalid_parameter` (the
//! number or the sender refused) would be refused again; `not_enough_credits` fails too,
//! with a French text for staff, because credit comes back only when someone buys it: failed
//! rows put the person on the calls list at once and are retried by staff in one click once
//! the account is topped up, where automatic retries would spend hours and deliver reminders
//! late. Nothing personal (number, text, key) goes into an error: only Brevo's status and code.
use anyhow::{Context, bail};
use entities::kinds::OutboxStatus;
use serde::{Deserialize, Serialize};

use super::provider::{
    OutgoingSms, SendFuture, SmsError, SmsProvider, http_client, retry_later, userinfo, without_url,
};

/// The path of the documented endpoint.
pub const SEND_PATH: &str = "/v3/transactionalSMS/sms";

/// Brevo's API behind `CRENEAU_SMS_URL`.
pub struct Brevo {
    endpoint: String,
    api_key: String,
    client: reqwest::Client,
}

/// The body of `sendTransacSms`, as documented.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SendTransacSms<'a> {
    sender: &'a str,
    recipient: &'a str,
    content: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    tag: &'static str,
    web_url: String,
    unicode_enabled: bool,
}

/// The fields of the `201` answer we read (`messageId` goes into the debug log, for support).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sent {
    message_id: Option<i64>,
    sms_count: Option<i64>,
}

/// An error body: `{code, message}`. Only `code` is kept: `message` may quote the number.
#[derive(Debug, Deserialize)]
struct Refusal {
    code: Option<String>,
}

impl Brevo {
    /// `brevo` (HTTPS) and `brevo+http` (a local base, for the tests).
    pub(crate) fn accepts(scheme: &str) -> bool {
        matches!(scheme, "brevo" | "brevo+http")
    }

    pub fn from_url(url: &str) -> anyhow::Result<Brevo> {
        let u = url::Url::parse(url).context("CRENEAU_SMS_URL is not a URL")?;
        let base = match u.scheme() {
            "brevo" => "https",
            "brevo+http" => "http",
            _ => bail!("CRENEAU_SMS_URL: a Brevo URL is brevo://API_KEY@api.brevo.com"),
        };
        let host = u.host_str().context("CRENEAU_SMS_URL: no host")?;
        let api_key = userinfo(u.username());
        if api_key.is_empty() {
            bail!("CRENEAU_SMS_URL: the Brevo API key goes before the @ (brevo://API_KEY@api.brevo.com)");
        }
        let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
        Ok(Brevo {
            endpoint: format!("{base}://{host}{port}{SEND_PATH}"),
            api_key,
            client: http_client()?,
        })
    }
}

impl SmsProvider for Brevo {
    fn send<'a>(&'a self, sms: &'a OutgoingSms) -> SendFuture<'a> {
        Box::pin(async move {
            let body = SendTransacSms {
                sender: &sms.from,
                // "with the country code", without the `+` of E.164.
                recipient: sms.to.trim_start_matches('+'),
                content: &sms.text,
                kind: "transactional",
                tag: "creneau",
                web_url: sms.report.brevo_url(),
                unicode_enabled: false,
            };
            let resp = self
                .client
                .post(&self.endpoint)
                .header("api-key", &self.api_key)
                .header("accept", "application/json")
                .json(&body)
                .send()
                .await
                .map_err(|e| SmsError::Transient(format!("Brevo unreachable: {}", without_url(&e))))?;
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            if status.is_success() {
                let sent: Option<Sent> = serde_json::from_str(&text).ok();
                tracing::debug!(
                    message_id = %sms.id,
                    brevo_message_id = ?sent.as_ref().and_then(|s| s.message_id),
                    sms_count = ?sent.as_ref().and_then(|s| s.sms_count),
                    "SMS accepted by Brevo"
                );
                return Ok(());
            }
            let code = serde_json::from_str::<Refusal>(&text).ok().and_then(|r| r.code);
            Err(failure(status, code.as_deref()))
        })
    }

    fn describe(&self) -> String {
        format!("Brevo at {}", self.endpoint)
    }
}

/// What a refusal by Brevo means for the message: retried when it may pass later, else
/// failed with a text staff can act on. The code is Brevo's documented word, kept when it
/// is one (letters and `_`), so nothing the request carried is echoed.
pub(crate) fn failure(status: reqwest::StatusCode, code: Option<&str>) -> SmsError {
    let code =
        code.filter(|c| !c.is_empty() && c.len() <= 40 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    let said = code.map(|c| format!(" ({c})")).unwrap_or_default();
    if retry_later(status) {
        return SmsError::Transient(format!("Brevo {status}{said}"));
    }
    SmsError::Permanent(match code {
        Some("not_enough_credits") => format!(
            "Brevo {status}{said} : plus de crédit SMS sur le compte Brevo. Rechargez-le, puis relancez ce message."
        ),
        Some("invalid_parameter") | Some("missing_parameter") => format!(
            "Brevo {status}{said} : Brevo refuse ce numéro ou cet expéditeur. Vérifiez le numéro de la personne."
        ),
        Some("unauthorized") | Some("permission_denied") => format!(
            "Brevo {status}{said} : la clé d'API Brevo est refusée. Vérifiez CRENEAU_SMS_URL, puis relancez ce message."
        ),
        _ => format!("Brevo {status}{said} : message refusé par Brevo."),
    })
}

/// The event Brevo posts to `webUrl`, as documented: the status is `msg_status`, and some
/// SMS events name it `event`.
#[derive(Debug, Deserialize)]
struct Event {
    msg_status: Option<String>,
    event: Option<String>,
}

/// What an event means for the row: `delivered` delivered; `hard_bounce`, `soft_bounce`,
/// `rejected` and `blocked` undelivered (a later `delivered` still moves it back); anything
/// else (`sent`, `accepted`, a reply, an unreadable body) changes nothing.
pub(crate) fn status_of(body: &str) -> Option<OutboxStatus> {
    let event: Event = serde_json::from_str(body).ok()?;
    let status = event.msg_status.or(event.event)?;
    match status.to_ascii_lowercase().as_str() {
        "delivered" => Some(OutboxStatus::Delivered),
        "hard_bounce" | "soft_bounce" | "rejected" | "blocked" => Some(OutboxStatus::Undelivered),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_brevo_url_gives_the_documented_endpoint_and_the_key_never_shows() {
        let b = Brevo::from_url("brevo://xkeysib-abc%2Bdef@api.brevo.com").unwrap();
        assert_eq!(b.endpoint, "https://api.brevo.com/v3/transactionalSMS/sms");
        assert_eq!(b.api_key, "xkeysib-abc+def");
        assert!(!b.describe().contains("xkeysib"));
        let local = Brevo::from_url("brevo+http://KEY@127.0.0.1:18080").unwrap();
        assert_eq!(local.endpoint, "http://127.0.0.1:18080/v3/transactionalSMS/sms");
        assert!(Brevo::from_url("brevo://api.brevo.com").is_err());
        assert!(Brevo::from_url("kannel://a:b@127.0.0.1:1").is_err());
    }

    #[test]
    fn server_errors_and_throttling_are_retried_refusals_fail_with_a_french_reason() {
        let s = |n: u16| reqwest::StatusCode::from_u16(n).unwrap();
        assert!(matches!(failure(s(500), None), SmsError::Transient(_)));
        assert!(matches!(
            failure(s(429), Some("too_many_requests")),
            SmsError::Transient(_)
        ));
        let SmsError::Permanent(no_credit) = failure(s(402), Some("not_enough_credits")) else {
            panic!("no credit is not retried")
        };
        assert!(no_credit.contains("plus de crédit SMS"), "{no_credit}");
        assert!(matches!(
            failure(s(400), Some("invalid_parameter")),
            SmsError::Permanent(_)
        ));
        // A code that is not one of Brevo's words is not repeated.
        let SmsError::Permanent(odd) = failure(s(400), Some("+33612345678")) else {
            panic!()
        };
        assert!(!odd.contains("612345678"), "{odd}");
    }

    #[test]
    fn delivered_moves_to_delivered_bounces_to_undelivered_and_sent_changes_nothing() {
        let ev = |s: &str| {
            status_of(&format!(
                r#"{{"id":26570,"to":"33612345678","messageId":1,"msg_status":"{s}","date":"2027-01-04 09:00:00"}}"#
            ))
        };
        assert_eq!(ev("delivered"), Some(OutboxStatus::Delivered));
        assert_eq!(ev("hard_bounce"), Some(OutboxStatus::Undelivered));
        assert_eq!(ev("soft_bounce"), Some(OutboxStatus::Undelivered));
        assert_eq!(ev("sent"), None);
        assert_eq!(status_of(r#"{"event":"rejected"}"#), Some(OutboxStatus::Undelivered));
        assert_eq!(status_of("not json"), None);
    }
}
