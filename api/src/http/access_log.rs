//! Access log and request ids. Paths are logged with secrets blanked: manage and feed tokens
//! travel in URLs, and a token must never reach a log line.
use std::time::Instant;

use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tracing::Instrument;

pub(crate) struct AccessLog;

impl<E: Endpoint> Middleware<E> for AccessLog {
    type Output = AccessLogEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        AccessLogEndpoint(ep)
    }
}

pub(crate) struct AccessLogEndpoint<E>(E);

/// Replaces every path segment that looks like a token (long, random-looking) by `{token}`.
pub(crate) fn redact_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let stem = seg.split('.').next().unwrap_or(seg);
            if stem.len() >= 20
                && stem
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                "{token}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl<E: Endpoint> Endpoint for AccessLogEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let started = Instant::now();
        let id = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
            .map(str::to_string)
            .unwrap_or_else(|| crate::platform::token::generate()[..16].to_string());
        let method = req.method().clone();
        let path = redact_path(req.uri().path());
        // Every line a handler logs carries this span, hence the request id.
        let span = tracing::info_span!("request", request_id = %id);
        let result = self.0.call(req).instrument(span).await;
        let mut resp = match result {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        let status = resp.status().as_u16();
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(request_id = %id, %method, path = %path, status, elapsed_ms, "request");
        if let Ok(v) = id.parse() {
            resp.headers_mut().insert("x-request-id", v);
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_paths_are_blanked_before_logging() {
        let t = crate::platform::token::generate();
        assert_eq!(
            redact_path(&format!("/api/v1/registrations/{t}")),
            "/api/v1/registrations/{token}"
        );
        assert_eq!(redact_path(&format!("/api/v1/feeds/{t}.ics")), "/api/v1/feeds/{token}");
        assert_eq!(redact_path("/api/v1/sessions/12"), "/api/v1/sessions/12");
    }
}
