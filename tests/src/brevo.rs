//! A fake Brevo for the contract tests of the Brevo SMS provider, on 127.0.0.1 with an
//! ephemeral port. It holds Créneau to Brevo's documentation of `sendTransacSms`
//! (<https://developers.brevo.com/docs/transactional-sms-endpoints>): every request is checked
//! — method, path, the `api-key`, `accept` and `content-type` headers, the JSON body's fields
//! and their types — and answered with the documented bodies: `201` with `messageId`,
//! `smsCount`, `usedCredits`, `remainingCredits`, or an error `{code, message}`. The events it
//! posts back to `webUrl` have the documented shape of the transactional SMS webhooks
//! (<https://developers.brevo.com/docs/transactional-webhooks>).
//!
//! A request that breaks the contract is answered `400` and recorded as a violation;
//! [`FakeBrevo::requests`] fails the test when there is one.
//!
//! ```ignore
//! let brevo = FakeBrevo::start().await;
//! // CRENEAU_SMS_URL = brevo.url()
//! brevo.answer_next([Answer::ServerError]);
//! let sent = brevo.requests();
//! brevo.report(&sent[0], "delivered").await;
//! ```
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use poem::{
    EndpointExt, Request, Response, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    web::Data,
};
use serde_json::{Value, json};

/// The API key the fake accepts (what `CRENEAU_SMS_URL` carries before the `@`).
pub const API_KEY: &str = "xkeysib-0123456789abcdef-Test";

/// The documented endpoint.
pub const PATH: &str = "/v3/transactionalSMS/sms";

/// How the fake answers the next well-formed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `201` and the documented success body.
    Sent,
    /// `400` `invalid_parameter`: the number is refused.
    InvalidNumber,
    /// `402` `not_enough_credits`: no credit left on the account.
    NoCredit,
    /// `500`: Brevo failing.
    ServerError,
}

/// One well-formed request, as the fake read it, and how it was answered.
#[derive(Debug, Clone, PartialEq)]
pub struct BrevoRequest {
    pub sender: String,
    pub recipient: String,
    pub content: String,
    pub kind: String,
    pub tag: Option<String>,
    pub web_url: Option<String>,
    pub unicode_enabled: Option<bool>,
    pub answer: Answer,
    /// The `messageId` answered, when sent.
    pub message_id: Option<i64>,
}

#[derive(Default)]
struct Inner {
    answers: VecDeque<Answer>,
    requests: Vec<BrevoRequest>,
    violations: Vec<String>,
    next_id: i64,
}

type Shared = Arc<Mutex<Inner>>;

pub struct FakeBrevo {
    port: u16,
    shared: Shared,
    client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for FakeBrevo {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl FakeBrevo {
    pub async fn start() -> FakeBrevo {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("a loopback port for the fake Brevo");
        let port = acceptor.local_addr()[0].as_socket_addr().expect("a TCP address").port();
        let shared: Shared = Arc::new(Mutex::new(Inner {
            next_id: 1_511_882_900_176_220,
            ..Default::default()
        }));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = endpoint.data(shared.clone());
        tokio::spawn(poem::Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
            app,
            async move {
                let _ = rx.await;
            },
            None,
        ));
        FakeBrevo {
            port,
            shared,
            client: reqwest::Client::new(),
            shutdown: Some(tx),
        }
    }

    /// The `CRENEAU_SMS_URL` that points Créneau at this fake.
    pub fn url(&self) -> String {
        format!("brevo+http://{API_KEY}@127.0.0.1:{}", self.port)
    }

    /// The answers to give, in order, before going back to [`Answer::Sent`].
    pub fn answer_next(&self, answers: impl IntoIterator<Item = Answer>) {
        self.shared.lock().unwrap().answers.extend(answers);
    }

    /// Every well-formed request so far; fails the test if any request broke the contract.
    pub fn requests(&self) -> Vec<BrevoRequest> {
        let inner = self.shared.lock().unwrap();
        assert!(
            inner.violations.is_empty(),
            "requests to Brevo broke its documented contract: {:#?}",
            inner.violations
        );
        inner.requests.clone()
    }

    /// The messages Brevo took (answered `201`).
    pub fn sent(&self) -> Vec<BrevoRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.answer == Answer::Sent)
            .collect()
    }

    /// Posts to the request's `webUrl` the documented event of a transactional SMS with
    /// `msg_status` (`delivered`, `hard_bounce`, …), as Brevo does; answers the status.
    pub async fn report(&self, request: &BrevoRequest, msg_status: &str) -> reqwest::StatusCode {
        let url = request.web_url.as_deref().expect("the request gave a webUrl");
        self.post_event(url, request, msg_status).await
    }

    /// The same event posted to any URL (a forged or wrong one).
    pub async fn post_event(&self, url: &str, request: &BrevoRequest, msg_status: &str) -> reqwest::StatusCode {
        let event = json!({
            "id": 26570,
            "to": request.recipient,
            "sms_count": segments(&request.content),
            "credits_used": 1.5,
            "messageId": request.message_id.unwrap_or(0),
            "remaining_credit": 11488.845,
            "msg_status": msg_status,
            "date": "2027-01-04 09:00:05",
            "type": "transactional",
            "reference": "ab1cde2fgh3i4jklmno",
            "tag": request.tag,
        });
        self.client
            .post(url)
            .json(&event)
            .send()
            .await
            .expect("the webhook call reached Créneau")
            .status()
    }
}

/// Segments of a GSM text, as Brevo counts them for `smsCount`.
fn segments(content: &str) -> usize {
    let n = content.chars().count();
    if n <= 160 { 1 } else { n.div_ceil(153) }
}

fn answer(status: StatusCode, body: Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

#[handler]
async fn endpoint(req: &Request, body: String, Data(shared): Data<&Shared>) -> Response {
    let mut inner = shared.lock().unwrap();
    let request = match check(req, &body) {
        Ok(r) => r,
        Err(Refused::Unauthorized(why)) => {
            inner.violations.push(why);
            return answer(
                StatusCode::UNAUTHORIZED,
                json!({"code": "unauthorized", "message": "Key not found"}),
            );
        }
        Err(Refused::Contract(why)) => {
            inner.violations.extend(why);
            return answer(
                StatusCode::BAD_REQUEST,
                json!({"code": "invalid_parameter", "message": "The request does not follow the documentation"}),
            );
        }
    };
    let given = inner.answers.pop_front().unwrap_or(Answer::Sent);
    let (resp, message_id) = match given {
        Answer::Sent => {
            inner.next_id += 1;
            let id = inner.next_id;
            let count = segments(&request.content);
            (
                answer(
                    StatusCode::CREATED,
                    json!({
                        "reference": "ab1cde2fgh3i4jklmno",
                        "messageId": id,
                        "smsCount": count,
                        "usedCredits": 0.7 * count as f64,
                        "remainingCredits": 82.85,
                    }),
                ),
                Some(id),
            )
        }
        Answer::InvalidNumber => (
            answer(
                StatusCode::BAD_REQUEST,
                json!({"code": "invalid_parameter", "message": "Invalid phone number"}),
            ),
            None,
        ),
        Answer::NoCredit => (
            answer(
                StatusCode::PAYMENT_REQUIRED,
                json!({"code": "not_enough_credits", "message": "SMS credits are not enough"}),
            ),
            None,
        ),
        Answer::ServerError => (
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"code": "internal_error", "message": "Internal server error"}),
            ),
            None,
        ),
    };
    inner.requests.push(BrevoRequest {
        answer: given,
        message_id,
        ..request
    });
    resp
}

enum Refused {
    Unauthorized(String),
    Contract(Vec<String>),
}

/// The documented request, field by field.
fn check(req: &Request, body: &str) -> Result<BrevoRequest, Refused> {
    let mut why = Vec::new();
    if *req.method() != poem::http::Method::POST {
        why.push(format!("method {} instead of POST", req.method()));
    }
    if req.uri().path() != PATH || req.uri().query().is_some() {
        why.push(format!("path {} instead of {PATH}", req.uri()));
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    match header("api-key") {
        Some(k) if k == API_KEY => {}
        Some(_) => return Err(Refused::Unauthorized("a wrong api-key".into())),
        None => return Err(Refused::Unauthorized("no api-key header".into())),
    }
    if header("accept").as_deref() != Some("application/json") {
        why.push(format!("accept: {:?} instead of application/json", header("accept")));
    }
    if !header("content-type").is_some_and(|c| c.starts_with("application/json")) {
        why.push(format!(
            "content-type: {:?} instead of application/json",
            header("content-type")
        ));
    }
    let value: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => {
            why.push(format!("the body is not JSON: {e}"));
            return Err(Refused::Contract(why));
        }
    };
    let Some(obj) = value.as_object() else {
        why.push("the body is not a JSON object".into());
        return Err(Refused::Contract(why));
    };
    const DOCUMENTED: [&str; 8] = [
        "sender",
        "recipient",
        "content",
        "type",
        "tag",
        "webUrl",
        "unicodeEnabled",
        "organisationPrefix",
    ];
    for key in obj.keys() {
        if !DOCUMENTED.contains(&key.as_str()) {
            why.push(format!("undocumented field {key:?}"));
        }
    }
    let string = |key: &str, why: &mut Vec<String>, required: bool| match obj.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        None if !required => None,
        other => {
            why.push(format!("{key} must be a string, got {other:?}"));
            None
        }
    };
    let sender = string("sender", &mut why, true).unwrap_or_default();
    let alphanumeric = (1..=11).contains(&sender.len()) && sender.bytes().all(|b| b.is_ascii_alphanumeric());
    let numeric = (1..=15).contains(&sender.len()) && sender.bytes().all(|b| b.is_ascii_digit());
    if !alphanumeric && !numeric {
        why.push(format!(
            "sender {sender:?}: at most 11 alphanumeric characters or 15 digits"
        ));
    }
    let recipient = string("recipient", &mut why, true).unwrap_or_default();
    if !(6..=15).contains(&recipient.len()) || !recipient.bytes().all(|b| b.is_ascii_digit()) {
        why.push("recipient: a number with its country code, digits only (no +)".into());
    }
    let content = string("content", &mut why, true).unwrap_or_default();
    if content.is_empty() {
        why.push("content is empty".into());
    }
    // Créneau's messages answer what the person did or booked: transactional, never marketing.
    let kind = string("type", &mut why, true).unwrap_or_default();
    if kind != "transactional" {
        why.push(format!("type {kind:?} instead of \"transactional\""));
    }
    let tag = string("tag", &mut why, false);
    let web_url = string("webUrl", &mut why, false);
    if let Some(u) = &web_url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        why.push(format!("webUrl {u:?} is not an http(s) URL"));
    }
    let unicode_enabled = match obj.get("unicodeEnabled") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            why.push(format!("unicodeEnabled must be a boolean, got {other}"));
            None
        }
    };
    if !why.is_empty() {
        return Err(Refused::Contract(why));
    }
    Ok(BrevoRequest {
        sender,
        recipient,
        content,
        kind,
        tag,
        web_url,
        unicode_enabled,
        answer: Answer::Sent,
        message_id: None,
    })
}
