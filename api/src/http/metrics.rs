//! `GET /metrics` in the Prometheus text format: requests by operation and status, latency,
//! requests in flight and bookings by outcome, all kept by the `metrics` crate's Prometheus
//! recorder; and the outbox and the SMS segments, read from the database at scrape time.
//!
//! An answer of the API is labelled by the operation id the OpenAPI document gives it
//! (`register`, `getRegistration`), which poem-openapi attaches to the response. Every
//! other answer gets one of a few fixed words (`pages`, `healthz`, `unmatched`…). Never the
//! path as sent: it may carry a manage token, and raw paths would let any client grow the
//! label set without end.
use entities::kinds::OutboxStatus;
use std::{
    fmt::Write,
    sync::OnceLock,
    time::{Duration, Instant},
};

use entities::outbox;
use metrics::{Gauge, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, handler,
    http::{Method, StatusCode},
    web::Data,
};
use poem_openapi::OperationId;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::platform::state::AppState;

pub(crate) const REQUESTS: &str = "creneau_http_requests_total";
pub(crate) const REQUEST_DURATION: &str = "creneau_http_request_duration_seconds";
pub(crate) const IN_FLIGHT: &str = "creneau_http_requests_in_flight";
pub(crate) const BOOKINGS: &str = "creneau_bookings_total";
pub(crate) const UPTIME: &str = "creneau_uptime_seconds";
pub(crate) const SMS_SEGMENTS: &str = "creneau_sms_segments_total";
pub(crate) const SMS_MONTH: &str = "creneau_sms_segments_this_month";
pub(crate) const SMS_BUDGET: &str = "creneau_sms_segment_budget";

/// Upper bounds of the latency histogram, in seconds.
pub(crate) const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Latency samples wait in the recorder until folded into their buckets; a scrape does it,
/// and so does this timer, so that an unscraped process does not grow.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

struct Installed {
    handle: PrometheusHandle,
    started: Instant,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// The process's recorder, installed on first use. The `metrics` macros write to a single
/// global recorder, which fits: a process serves one application. Tests that start several
/// applications in one process therefore share the request and booking counters.
fn installed() -> &'static Installed {
    INSTALLED.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), &BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first: /metrics will lack the request counters");
        }
        describe();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "metrics: no upkeep thread; latency samples are folded at scrape time only");
        }
        Installed {
            handle,
            started: Instant::now(),
        }
    })
}

fn describe() {
    describe_counter!(REQUESTS, "HTTP requests answered, by method, operation and status.");
    describe_histogram!(REQUEST_DURATION, "Time to answer, by method and operation.");
    describe_gauge!(IN_FLIGHT, "Requests being answered now.");
    describe_counter!(BOOKINGS, "Bookings asked for, by kind and outcome.");
    describe_gauge!(UPTIME, "Time since the application started.");
    // Every outcome is shown from the start, at zero, so a rate over it is never undefined.
    for (kind, outcome) in [
        ("workshop", "confirmed"),
        ("workshop", "waitlisted"),
        ("workshop", "refused"),
        ("appointment", "booked"),
        ("appointment", "slot_taken"),
        ("appointment", "refused"),
    ] {
        counter!(BOOKINGS, "kind" => kind, "outcome" => outcome).increment(0);
    }
    gauge!(IN_FLIGHT).set(0.0);
}

/// Counts a workshop registration by what came of it: the new row's status
/// (`confirmed`/`waitlisted`), or refused when the service said no.
pub(crate) fn registration<T, E>(result: &Result<T, E>, waitlisted: impl Fn(&T) -> bool) {
    let outcome = match result {
        Ok(done) if waitlisted(done) => "waitlisted",
        Ok(_) => "confirmed",
        Err(_) => "refused",
    };
    counter!(BOOKINGS, "kind" => "workshop", "outcome" => outcome).increment(1);
}

/// Counts an appointment booking: booked, the slot just taken by someone else, or refused.
pub(crate) fn appointment<T, E>(result: &Result<T, E>, slot_taken: impl Fn(&E) -> bool) {
    let outcome = match result {
        Ok(_) => "booked",
        Err(e) if slot_taken(e) => "slot_taken",
        Err(_) => "refused",
    };
    counter!(BOOKINGS, "kind" => "appointment", "outcome" => outcome).increment(1);
}

/// The label of a request that reached no API operation, from the few routes outside the
/// API; taken before the request is handed on, so the path need not be kept.
fn place_of(path: &str) -> &'static str {
    match path {
        "/healthz" => "healthz",
        "/metrics" => "metrics",
        "/openapi.yaml" => "spec",
        _ if path == "/docs" || path.starts_with("/docs/") => "docs",
        _ if path.starts_with("/static/") => "static",
        // Answered before routing: rate limited, body too large, timed out.
        _ if path.starts_with("/api/") => "api",
        _ => "pages",
    }
}

/// The operation label of an answer: the operation id when an API operation answered,
/// `unmatched` when no route did, else where the request went.
fn operation_label(operation: Option<&OperationId>, place: &'static str, status: StatusCode) -> &'static str {
    match operation {
        Some(op) => op.0,
        None if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED => "unmatched",
        None => place,
    }
}

/// A bounded method label: any method poem accepts could otherwise become one.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The middleware counting every answered request. It sits outside `CatchPanic`, so a
/// panicking handler is seen as the 500 it became.
pub(crate) struct Measure {
    in_flight: Gauge,
}

impl Measure {
    pub(crate) fn new() -> Measure {
        installed();
        Measure {
            in_flight: gauge!(IN_FLIGHT),
        }
    }
}

impl Default for Measure {
    fn default() -> Measure {
        Measure::new()
    }
}

impl<E: Endpoint> Middleware<E> for Measure {
    type Output = MeasureEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        MeasureEndpoint {
            inner: ep,
            in_flight: self.in_flight.clone(),
        }
    }
}

pub(crate) struct MeasureEndpoint<E> {
    inner: E,
    in_flight: Gauge,
}

/// Leaves the in-flight gauge as it found it even when the request is dropped half-way
/// (the client went away, the server shut down).
struct InFlight<'a>(&'a Gauge);

impl<'a> InFlight<'a> {
    fn enter(gauge: &'a Gauge) -> InFlight<'a> {
        gauge.increment(1.0);
        InFlight(gauge)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

impl<E: Endpoint> Endpoint for MeasureEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let started = Instant::now();
        let method = method_label(req.method());
        let place = place_of(req.uri().path());
        let in_flight = InFlight::enter(&self.in_flight);
        let resp = match self.inner.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        drop(in_flight);
        let status = resp.status();
        let operation = operation_label(resp.data::<OperationId>(), place, status);
        counter!(REQUESTS, "method" => method, "operation" => operation, "status" => status.as_str().to_owned())
            .increment(1);
        histogram!(REQUEST_DURATION, "method" => method, "operation" => operation)
            .record(started.elapsed().as_secs_f64());
        Ok(resp)
    }
}

/// What the outbox holds now: due rows not yet sent, failures, and how late the oldest is.
/// Read from this application's database at each scrape rather than kept in the recorder,
/// which is shared by the whole process.
async fn render_outbox(state: &AppState, out: &mut String) -> Result<(), sea_orm::DbErr> {
    let now = state.clock.now();
    let due = || {
        outbox::Entity::find()
            .filter(outbox::Column::Status.eq(OutboxStatus::Pending))
            .filter(outbox::Column::NotBefore.lte(now))
    };
    let backlog = due().count(&state.db).await?;
    let oldest = due()
        .select_only()
        .column(outbox::Column::NotBefore)
        .order_by_asc(outbox::Column::NotBefore)
        .into_tuple::<chrono::DateTime<chrono::Utc>>()
        .one(&state.db)
        .await?;
    let failed = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(OutboxStatus::Failed))
        .count(&state.db)
        .await?;
    let lag = oldest.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
    gauge_lines(
        out,
        "creneau_outbox_due",
        "Messages due and not yet sent.",
        backlog as f64,
    );
    gauge_lines(
        out,
        "creneau_outbox_oldest_due_seconds",
        "How long the oldest due message has waited.",
        lag,
    );
    gauge_lines(
        out,
        "creneau_outbox_failed",
        "Messages given up on (status failed).",
        failed as f64,
    );
    Ok(())
}

/// SMS segments per organisation (its id, never its name): handed to the gateway since the
/// start (a counter), this month, and the monthly budget of those that have one. Read from the
/// database, as the outbox is: every worker of every instance counts in the same rows.
async fn render_sms(state: &AppState, out: &mut String) -> Result<(), sea_orm::DbErr> {
    let rows = crate::notifications::sms::budget::every_organisation(&state.db, state.clock.now()).await?;
    let _ = writeln!(
        out,
        "# HELP {SMS_SEGMENTS} SMS segments handed to the gateway, by organisation id.\n# TYPE {SMS_SEGMENTS} counter"
    );
    for (id, total, _) in &rows {
        let _ = writeln!(out, "{SMS_SEGMENTS}{{organisation=\"{id}\"}} {total}");
    }
    let _ = writeln!(
        out,
        "# HELP {SMS_MONTH} SMS segments handed to the gateway this month (organisation's zone), by organisation id.\n# TYPE {SMS_MONTH} gauge"
    );
    for (id, _, usage) in &rows {
        let _ = writeln!(out, "{SMS_MONTH}{{organisation=\"{id}\"}} {}", usage.used);
    }
    let _ = writeln!(
        out,
        "# HELP {SMS_BUDGET} Monthly budget of SMS segments, by organisation id (absent: no limit).\n# TYPE {SMS_BUDGET} gauge"
    );
    for (id, _, usage) in &rows {
        if let Some(budget) = usage.budget {
            let _ = writeln!(out, "{SMS_BUDGET}{{organisation=\"{id}\"}} {budget}");
        }
    }
    Ok(())
}

fn gauge_lines(out: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
}

/// `GET /metrics`. With `CRENEAU_METRICS_TOKEN` set, only for `Authorization: Bearer <it>`.
#[handler]
pub(crate) async fn endpoint(req: &Request, Data(state): Data<&AppState>) -> Response {
    if let Some(expected) = &state.settings.metrics_token {
        let given = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let ok = given.is_some_and(|g| {
            use sha2::{Digest, Sha256};
            // Compare digests, so the time taken does not tell how much of the token matched.
            Sha256::digest(g.as_bytes()) == Sha256::digest(secrecy::ExposeSecret::expose_secret(expected).as_bytes())
        });
        if !ok {
            return crate::http::error::problem_response(poem::Error::from_status(StatusCode::UNAUTHORIZED));
        }
    }
    let installed = installed();
    gauge!(UPTIME).set(installed.started.elapsed().as_secs_f64());
    let mut out = installed.handle.render();
    let mut db_up = 1.0;
    if let Err(e) = render_outbox(state, &mut out).await {
        tracing::warn!(error = %e, "metrics: reading the outbox failed");
        db_up = 0.0;
    }
    if let Err(e) = render_sms(state, &mut out).await {
        tracing::warn!(error = %e, "metrics: reading the SMS counters failed");
        db_up = 0.0;
    }
    gauge_lines(
        &mut out,
        "creneau_database_up",
        "Whether the database answered this scrape.",
        db_up,
    );
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, atomic::AtomicU64};

    use poem::{EndpointExt, get, middleware::CatchPanic};

    use super::*;

    #[test]
    fn an_api_answer_is_labelled_by_its_operation_id_whatever_its_status() {
        let op = OperationId("getRegistration");
        assert_eq!(operation_label(Some(&op), "api", StatusCode::OK), "getRegistration");
        assert_eq!(
            operation_label(Some(&op), "api", StatusCode::NOT_FOUND),
            "getRegistration"
        );
    }

    #[test]
    fn other_answers_get_one_of_a_few_fixed_labels_never_the_path() {
        let token = crate::platform::token::generate();
        let label = |path: &str, status| operation_label(None, place_of(path), status);
        assert_eq!(label("/healthz", StatusCode::OK), "healthz");
        assert_eq!(label("/metrics", StatusCode::UNAUTHORIZED), "metrics");
        assert_eq!(label("/docs/index.css", StatusCode::OK), "docs");
        assert_eq!(label("/static/site.css", StatusCode::OK), "static");
        assert_eq!(label(&format!("/rendez-vous/{token}"), StatusCode::OK), "pages");
        assert_eq!(
            label("/api/v1/sessions/3/registrations", StatusCode::TOO_MANY_REQUESTS),
            "api"
        );
        assert_eq!(label("/wp-login.php", StatusCode::NOT_FOUND), "unmatched");
        assert_eq!(label("/api/v1/nothing", StatusCode::METHOD_NOT_ALLOWED), "unmatched");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }

    #[test]
    fn every_api_operation_has_an_operation_id_to_be_counted_under() {
        let spec: serde_json::Value = serde_json::from_str(&crate::http::openapi::service().spec()).unwrap();
        let paths = spec["paths"].as_object().unwrap();
        assert!(!paths.is_empty());
        for (path, ops) in paths {
            for (method, op) in ops.as_object().unwrap() {
                assert!(
                    op["operationId"].as_str().is_some_and(|id| !id.is_empty()),
                    "{method} {path} has no operation id: its requests would be counted as `api`"
                );
            }
        }
    }

    #[poem::handler]
    fn boom() -> &'static str {
        panic!("a bug in a handler")
    }

    #[tokio::test]
    async fn a_panicking_handler_is_counted_as_a_500_and_leaves_nothing_in_flight() {
        installed();
        // A gauge of its own, so that other tests answering requests do not move it.
        let cell = Arc::new(AtomicU64::new(0));
        let measure = Measure {
            in_flight: Gauge::from_arc(cell.clone()),
        };
        let ep = get(boom)
            .with(CatchPanic::new().with_handler(crate::http::error::panic_response))
            .with(measure);
        let resp = ep.call(Request::builder().uri_str("/boom").finish()).await.unwrap();
        assert_eq!(resp.status(), 500);
        assert_eq!(f64::from_bits(cell.load(std::sync::atomic::Ordering::Relaxed)), 0.0);
        let text = installed().handle.render();
        assert!(
            text.contains(r#"creneau_http_requests_total{method="GET",operation="pages",status="500"}"#),
            "{text}"
        );
        assert!(!text.contains("boom"), "{text}");
    }
}
