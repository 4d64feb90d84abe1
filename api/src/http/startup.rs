//! Building the application: database, routes, middleware, the listener and its port.
use std::{sync::Arc, time::Duration};

use poem::{
    Endpoint, EndpointExt, IntoEndpoint, Route, Server, get, handler,
    listener::{Acceptor, Listener, TcpListener},
    middleware::CatchPanic,
    web::Data,
};

use crate::{
    http::access_log::AccessLog,
    http::admission::Admission,
    http::error::{panic_response, problem_response},
    http::headers::SecurityHeaders,
    http::limits::{RateLimit, RateLimits},
    http::metrics::Measure,
    http::openapi,
    platform::clock::Clock,
    platform::config::Settings,
    platform::db,
    platform::read_cache::ReadCache,
    platform::state::AppState,
};

/// Request bodies above this are refused (413): no form or JSON of ours comes near it.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;
/// A request that takes longer is answered 503; no honest request does.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection must finish a request's headers this soon after opening or after its last
/// answer, or it is closed: one that sends partial headers or nothing, and an idle
/// keep-alive one (see `http::deadline`).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Application {
    pub state: AppState,
    port: u16,
    acceptor: poem::listener::BoxAcceptor,
}

impl Application {
    /// Connects, migrates and binds; `settings.listen` may use port 0.
    pub async fn build(mut settings: Settings, clock: Clock) -> anyhow::Result<Application> {
        settings.resolve_secret()?;
        let db = db::connect(&settings.database_url).await?;
        let state = AppState::new(db, clock, settings)?;
        Self::with_state(state).await
    }

    pub(crate) async fn with_state(state: AppState) -> anyhow::Result<Application> {
        let acceptor = TcpListener::bind(state.settings.listen.clone()).into_acceptor().await?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .ok_or_else(|| anyhow::anyhow!("no local address"))?;
        Ok(Application {
            state,
            port,
            acceptor: poem::listener::AcceptorExt::boxed(crate::http::deadline::HeadDeadline {
                inner: acceptor,
                timeout: IDLE_TIMEOUT,
            }),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish (up to 10 s).
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = routes(self.state);
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app, shutdown, Some(Duration::from_secs(10)))
            .await
    }
}

#[handler]
fn spec(Data(yaml): Data<&Arc<String>>) -> poem::Response {
    poem::Response::builder()
        .content_type("application/yaml")
        .body(yaml.as_str().to_string())
}

#[handler]
async fn healthz(Data(state): Data<&AppState>) -> poem::Response {
    use sea_orm::ConnectionTrait;
    match state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => poem::Response::builder()
            .content_type("application/json")
            .body(r#"{"status":"ok"}"#),
        Err(_) => poem::Response::builder()
            .status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
            .content_type("application/json")
            .body(r#"{"status":"database_unreachable"}"#),
    }
}

/// Refuses bodies over [`MAX_BODY_BYTES`] (413), whether announced by Content-Length or
/// streamed in chunks. poem's own SizeLimit also refuses GETs that carry no Content-Length.
async fn limit_body<E: Endpoint>(ep: std::sync::Arc<E>, mut req: poem::Request) -> poem::Result<poem::Response> {
    use poem::{IntoResponse, http::StatusCode};
    let too_large = || poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE);
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(n) if n > MAX_BODY_BYTES => return Err(too_large()),
        Some(_) => {}
        None if req.headers().contains_key("transfer-encoding") => {
            let body = req
                .take_body()
                .into_bytes_limit(MAX_BODY_BYTES)
                .await
                .map_err(|_| too_large())?;
            req.set_body(body);
        }
        None => {}
    }
    Ok(ep.call(req).await?.into_response())
}

pub(crate) fn routes(state: AppState) -> impl poem::Endpoint {
    let api = openapi::service();
    let yaml = Arc::new(api.spec_yaml());
    let spec_allow = crate::http::allow::AllowTable::from_spec(&api.spec());
    let limits = Arc::new(RateLimits::from_settings(&state.settings));
    let clock = state.clock.clone();
    let https = state.settings.public_url.starts_with("https://");
    let admission = Admission::new(
        state.settings.max_in_flight as usize,
        state.settings.max_waiting as usize,
    );
    let docs_csp = crate::http::headers::docs_csp(&api.swagger_ui_html());
    let docs = api
        .swagger_ui()
        .with(poem::middleware::SetHeader::new().overriding(poem::http::header::CONTENT_SECURITY_POLICY, docs_csp));
    // The pages (`/`, `/ateliers`, `/staff`…) render their own errors as French HTML pages.
    let (route, page_methods) = crate::pages::mount(Route::new().nest("/", crate::pages::home_or(api)));
    let allow = Arc::new(spec_allow.with_routes(page_methods));
    route
        .at("/openapi.yaml", get(spec))
        .at("/healthz", get(healthz))
        .at(
            "/sms/kannel/report",
            get(crate::notifications::sms::reports::kannel_report),
        )
        .at(
            "/sms/kannel/inbound",
            get(crate::notifications::sms::inbound::kannel_inbound),
        )
        .at("/metrics", get(crate::http::metrics::endpoint))
        .nest("/docs", docs)
        .data(yaml)
        .data(crate::bookings::FindAgainLimits::new())
        .data(state)
        .around(limit_body)
        .around(|ep, req| async move {
            match tokio::time::timeout(REQUEST_TIMEOUT, ep.call(req)).await {
                Ok(r) => r,
                Err(_) => Err(poem::Error::from_status(poem::http::StatusCode::SERVICE_UNAVAILABLE)),
            }
        })
        .catch_all_error(|err| async move {
            // Carried over to the rewritten answer, so that it is counted under its operation.
            let operation = err.data::<poem_openapi::OperationId>().copied();
            let mut resp = problem_response(err);
            if let Some(op) = operation {
                resp.set_data(op);
            }
            resp
        })
        .around(move |ep, req| crate::http::allow::add_allow(ep, allow.clone(), req))
        .with(CatchPanic::new().with_handler(panic_response))
        .with(admission)
        .with(ReadCache::new(clock))
        .with(RateLimit(limits))
        .with(SecurityHeaders { https })
        .with(Measure::new())
        .with(AccessLog)
        .into_endpoint()
}
