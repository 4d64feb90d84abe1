//! `GET /metrics` in the Prometheus text format: requests by route and status, latency,
//! bookings by outcome, and the outbox read from the database at scrape time.
//!
//! Routes are labelled by their template (`/api/v1/registrations/{token}`), never by the path
//! as sent: a path may carry a manage token, and raw paths would let any client grow the
//! label set without end.
use entities::kinds::OutboxStatus;
use std::{
    collections::HashMap,
    fmt::Write,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use entities::outbox;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, handler, http::StatusCode, web::Data};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::platform::state::AppState;

/// Upper bounds of the latency histogram, in seconds.
pub const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Beyond this many distinct route labels, further ones are counted as `other`.
const MAX_ROUTES: usize = 256;

/// Bookings by outcome, counted process-wide (a process serves one application).
pub mod bookings {
    use std::sync::atomic::{AtomicU64, Ordering};

    pub static WORKSHOP_CONFIRMED: AtomicU64 = AtomicU64::new(0);
    pub static WORKSHOP_WAITLISTED: AtomicU64 = AtomicU64::new(0);
    pub static WORKSHOP_REFUSED: AtomicU64 = AtomicU64::new(0);
    pub static APPOINTMENT_BOOKED: AtomicU64 = AtomicU64::new(0);
    pub static APPOINTMENT_SLOT_TAKEN: AtomicU64 = AtomicU64::new(0);
    pub static APPOINTMENT_REFUSED: AtomicU64 = AtomicU64::new(0);

    pub fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts a workshop registration by what came of it: the new row's status
/// (`confirmed`/`waitlisted`), or refused when the service said no.
pub fn registration<T, E>(result: &Result<T, E>, waitlisted: impl Fn(&T) -> bool) {
    use bookings::*;
    match result {
        Ok(done) if waitlisted(done) => add(&WORKSHOP_WAITLISTED),
        Ok(_) => add(&WORKSHOP_CONFIRMED),
        Err(_) => add(&WORKSHOP_REFUSED),
    }
}

/// Counts an appointment booking: booked, the slot just taken by someone else, or refused.
pub fn appointment<T, E>(result: &Result<T, E>, slot_taken: impl Fn(&E) -> bool) {
    use bookings::*;
    match result {
        Ok(_) => add(&APPOINTMENT_BOOKED),
        Err(e) if slot_taken(e) => add(&APPOINTMENT_SLOT_TAKEN),
        Err(_) => add(&APPOINTMENT_REFUSED),
    }
}

#[derive(Default)]
struct RouteStats {
    by_status: HashMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

/// One segment of a route template.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Param,
}

#[derive(Debug, Clone)]
struct Template {
    method: String,
    label: Arc<str>,
    segments: Vec<Segment>,
}

/// The request counters of one running application.
pub struct Metrics {
    templates: Vec<Template>,
    routes: Mutex<HashMap<(String, Arc<str>), RouteStats>>,
    in_flight: AtomicU64,
    started: Instant,
}

impl Metrics {
    /// Route templates come from the OpenAPI document (`paths` and their methods) plus the
    /// few plain routes of `startup`.
    pub fn new(spec_json: &str) -> Metrics {
        let mut templates = Vec::new();
        if let Ok(spec) = serde_json::from_str::<serde_json::Value>(spec_json)
            && let Some(paths) = spec["paths"].as_object()
        {
            for (path, ops) in paths {
                let Some(ops) = ops.as_object() else { continue };
                for method in ops.keys() {
                    templates.push(Template::parse(&method.to_uppercase(), path));
                }
            }
        }
        for path in ["/healthz", "/metrics", "/openapi.yaml"] {
            templates.push(Template::parse("GET", path));
        }
        Metrics {
            templates,
            routes: Mutex::new(HashMap::new()),
            in_flight: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// The label of a request: its template, `/docs` for the documentation pages, a redacted
    /// path for other routes that answered (pages), `unmatched` for the rest.
    pub fn route_label(&self, method: &str, path: &str, status: u16) -> Arc<str> {
        let segs: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        for t in &self.templates {
            if t.method == method && t.matches(&segs) {
                return t.label.clone();
            }
        }
        if path == "/docs" || path.starts_with("/docs/") {
            return "/docs".into();
        }
        if status == 404 || status == 405 {
            return "unmatched".into();
        }
        generalise(path).into()
    }

    fn record(&self, method: &str, route: Arc<str>, status: u16, seconds: f64) {
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let key = (method.to_string(), route);
        let key = if routes.len() >= MAX_ROUTES && !routes.contains_key(&key) {
            (key.0, Arc::from("other"))
        } else {
            key
        };
        let stats = routes.entry(key).or_default();
        *stats.by_status.entry(status).or_default() += 1;
        stats.count += 1;
        stats.sum_seconds += seconds;
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            stats.buckets[i] += 1;
        }
    }

    /// The request metrics in the Prometheus text format.
    pub fn render_requests(&self, out: &mut String) {
        let routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let mut keys: Vec<_> = routes.keys().cloned().collect();
        keys.sort();
        out.push_str(
            "# HELP creneau_http_requests_total HTTP requests answered, by method, route template and status.\n",
        );
        out.push_str("# TYPE creneau_http_requests_total counter\n");
        for key in &keys {
            let stats = &routes[key];
            let mut statuses: Vec<_> = stats.by_status.iter().collect();
            statuses.sort();
            for (status, n) in statuses {
                let _ = writeln!(
                    out,
                    "creneau_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    key.0,
                    escape(&key.1)
                );
            }
        }
        out.push_str("# HELP creneau_http_request_duration_seconds Time to answer, by method and route template.\n");
        out.push_str("# TYPE creneau_http_request_duration_seconds histogram\n");
        for key in &keys {
            let stats = &routes[key];
            let labels = format!("method=\"{}\",route=\"{}\"", key.0, escape(&key.1));
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(stats.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "creneau_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "creneau_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                stats.count
            );
            let _ = writeln!(
                out,
                "creneau_http_request_duration_seconds_sum{{{labels}}} {}",
                stats.sum_seconds
            );
            let _ = writeln!(
                out,
                "creneau_http_request_duration_seconds_count{{{labels}}} {}",
                stats.count
            );
        }
        out.push_str("# HELP creneau_http_requests_in_flight Requests being answered now.\n");
        out.push_str("# TYPE creneau_http_requests_in_flight gauge\n");
        let _ = writeln!(
            out,
            "creneau_http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out.push_str("# HELP creneau_uptime_seconds Time since the application started.\n");
        out.push_str("# TYPE creneau_uptime_seconds gauge\n");
        let _ = writeln!(out, "creneau_uptime_seconds {}", self.started.elapsed().as_secs_f64());
    }
}

impl Template {
    fn parse(method: &str, path: &str) -> Template {
        let segments = path
            .trim_end_matches('/')
            .split('/')
            .skip(1)
            .map(|s| {
                if s.starts_with('{') && s.ends_with('}') {
                    Segment::Param
                } else {
                    Segment::Literal(s.to_string())
                }
            })
            .collect();
        Template {
            method: method.to_string(),
            label: path.into(),
            segments,
        }
    }

    fn matches(&self, segs: &[&str]) -> bool {
        self.segments.len() == segs.len()
            && self.segments.iter().zip(segs).all(|(t, s)| match t {
                Segment::Param => !s.is_empty(),
                Segment::Literal(l) => l == s,
            })
    }
}

/// A path with its tokens and numbers blanked: `/rendez-vous/{token}`, `/lieux/{id}`.
pub fn generalise(path: &str) -> String {
    crate::http::access_log::redact_path(path)
        .split('/')
        .map(|seg| {
            if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The middleware counting every answered request.
pub struct Measure(pub Arc<Metrics>);

impl<E: Endpoint> Middleware<E> for Measure {
    type Output = MeasureEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        MeasureEndpoint {
            inner: ep,
            metrics: self.0.clone(),
        }
    }
}

pub struct MeasureEndpoint<E> {
    inner: E,
    metrics: Arc<Metrics>,
}

impl<E: Endpoint> Endpoint for MeasureEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let started = Instant::now();
        let method = req.method().as_str().to_string();
        let path = req.uri().path().to_string();
        self.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
        let resp = match self.inner.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        self.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
        let status = resp.status().as_u16();
        let route = self.metrics.route_label(&method, &path, status);
        self.metrics
            .record(&method, route, status, started.elapsed().as_secs_f64());
        Ok(resp)
    }
}

/// What the outbox holds now: due rows not yet sent, failures, and how late the oldest is.
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
    out.push_str("# HELP creneau_outbox_due Messages due and not yet sent.\n");
    out.push_str("# TYPE creneau_outbox_due gauge\n");
    let _ = writeln!(out, "creneau_outbox_due {backlog}");
    out.push_str("# HELP creneau_outbox_oldest_due_seconds How long the oldest due message has waited.\n");
    out.push_str("# TYPE creneau_outbox_oldest_due_seconds gauge\n");
    let _ = writeln!(out, "creneau_outbox_oldest_due_seconds {lag}");
    out.push_str("# HELP creneau_outbox_failed Messages given up on (status failed).\n");
    out.push_str("# TYPE creneau_outbox_failed gauge\n");
    let _ = writeln!(out, "creneau_outbox_failed {failed}");
    Ok(())
}

fn render_bookings(out: &mut String) {
    use bookings::*;
    out.push_str("# HELP creneau_bookings_total Bookings asked for, by kind and outcome.\n");
    out.push_str("# TYPE creneau_bookings_total counter\n");
    for (kind, outcome, counter) in [
        ("workshop", "confirmed", &WORKSHOP_CONFIRMED),
        ("workshop", "waitlisted", &WORKSHOP_WAITLISTED),
        ("workshop", "refused", &WORKSHOP_REFUSED),
        ("appointment", "booked", &APPOINTMENT_BOOKED),
        ("appointment", "slot_taken", &APPOINTMENT_SLOT_TAKEN),
        ("appointment", "refused", &APPOINTMENT_REFUSED),
    ] {
        let _ = writeln!(
            out,
            "creneau_bookings_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {}",
            counter.load(Ordering::Relaxed)
        );
    }
}

/// `GET /metrics`. With `CRENEAU_METRICS_TOKEN` set, only for `Authorization: Bearer <it>`.
#[handler]
pub async fn endpoint(req: &Request, Data(state): Data<&AppState>, Data(metrics): Data<&Arc<Metrics>>) -> Response {
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
    let mut out = String::with_capacity(16 * 1024);
    metrics.render_requests(&mut out);
    render_bookings(&mut out);
    let mut db_up = 1;
    if let Err(e) = render_outbox(state, &mut out).await {
        tracing::warn!(error = %e, "metrics: reading the outbox failed");
        db_up = 0;
    }
    out.push_str("# HELP creneau_database_up Whether the database answered this scrape.\n");
    out.push_str("# TYPE creneau_database_up gauge\n");
    let _ = writeln!(out, "creneau_database_up {db_up}");
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> Metrics {
        Metrics::new(&crate::http::openapi::service().spec())
    }

    #[test]
    fn a_manage_token_in_a_path_is_labelled_by_the_template() {
        let m = metrics();
        let token = crate::platform::token::generate();
        assert_eq!(
            &*m.route_label("GET", &format!("/api/v1/registrations/{token}"), 200),
            "/api/v1/registrations/{token}"
        );
        assert_eq!(
            &*m.route_label("POST", "/api/v1/sessions/12/registrations", 201),
            "/api/v1/sessions/{id}/registrations"
        );
        assert_eq!(&*m.route_label("GET", "/healthz", 200), "/healthz");
    }

    #[test]
    fn unknown_paths_do_not_grow_the_label_set() {
        let m = metrics();
        assert_eq!(&*m.route_label("GET", "/wp-login.php", 404), "unmatched");
        assert_eq!(&*m.route_label("GET", "/inscription/12", 200), "/inscription/{id}");
        let token = crate::platform::token::generate();
        assert_eq!(
            &*m.route_label("GET", &format!("/rendez-vous/{token}"), 200),
            "/rendez-vous/{token}"
        );
    }

    #[test]
    fn requests_render_as_counters_and_a_cumulative_histogram() {
        let m = metrics();
        m.record("GET", "/api/v1/sessions".into(), 200, 0.003);
        m.record("GET", "/api/v1/sessions".into(), 200, 0.2);
        m.record("GET", "/api/v1/sessions".into(), 500, 0.0001);
        let mut out = String::new();
        m.render_requests(&mut out);
        assert!(out.contains(r#"creneau_http_requests_total{method="GET",route="/api/v1/sessions",status="200"} 2"#));
        assert!(out.contains(r#"creneau_http_requests_total{method="GET",route="/api/v1/sessions",status="500"} 1"#));
        assert!(out.contains(
            r#"creneau_http_request_duration_seconds_bucket{method="GET",route="/api/v1/sessions",le="0.005"} 2"#
        ));
        assert!(out.contains(
            r#"creneau_http_request_duration_seconds_bucket{method="GET",route="/api/v1/sessions",le="+Inf"} 3"#
        ));
    }
}
