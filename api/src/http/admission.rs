//! Admission: at most `max_in_flight` requests are worked on at once; up to `max_waiting`
//! more wait their turn in arrival order; beyond that a request is answered at once with
//! `503` and `Retry-After`.
//!
//! Why: a flash crowd (a thousand residents opening registrations at 9:00) otherwise makes a
//! thousand tasks each holding buffers and a database connection request, which is what
//! pushed the memory of one instance past 100 MiB and every answer's latency up together.
//! Working on a few at a time keeps the database busy, the memory bounded and the queue
//! fair; the rare refused client is told when to come back instead of timing out.
//!
//! Health checks and metrics skip the queue, so that a busy instance still looks alive.
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result, http::StatusCode};
use tokio::sync::Semaphore;

/// Seconds a refused client is asked to wait: the queue drains in well under that.
const RETRY_AFTER_SECONDS: &str = "1";

pub(crate) struct Admission {
    working: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
}

impl Admission {
    pub(crate) fn new(max_in_flight: usize, max_waiting: usize) -> Admission {
        Admission {
            working: Arc::new(Semaphore::new(max_in_flight.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
        }
    }
}

impl<E: Endpoint> Middleware<E> for Admission {
    type Output = AdmissionEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        AdmissionEndpoint {
            inner: ep,
            working: self.working.clone(),
            waiting: self.waiting.clone(),
            max_waiting: self.max_waiting,
        }
    }
}

pub(crate) struct AdmissionEndpoint<E> {
    inner: E,
    working: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
}

/// Takes one place in the waiting line, and gives it back when dropped (also when the client
/// goes away while waiting).
struct InLine<'a>(&'a AtomicUsize);

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<E: Endpoint> Endpoint for AdmissionEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        if matches!(req.uri().path(), "/healthz" | "/metrics") {
            return Ok(self.inner.call(req).await?.into_response());
        }
        let _permit = match self.working.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
                    self.waiting.fetch_sub(1, Ordering::AcqRel);
                    return Ok(busy(req.uri().path().starts_with("/api/")));
                }
                let _in_line = InLine(&self.waiting);
                // Semaphores hand out permits in the order they were asked for.
                self.working
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the admission semaphore is never closed")
            }
        };
        Ok(self.inner.call(req).await?.into_response())
    }
}

/// The answer to a request that found the line full: a problem for the API, a short page
/// for a person.
fn busy(api: bool) -> Response {
    let message = "Le service reçoit beaucoup de demandes en ce moment. Réessayez dans un instant.";
    let builder = Response::builder()
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .header("Retry-After", RETRY_AFTER_SECONDS);
    if api {
        let body = serde_json::json!({ "code": "busy", "message": message });
        builder
            .content_type("application/json; charset=utf-8")
            .body(body.to_string())
    } else {
        builder.content_type("text/html; charset=utf-8").body(format!(
            "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Service occupé</title></head>\
             <body><main><h1>Service occupé</h1><p>{message}</p></main></body></html>"
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use poem::{EndpointExt, handler};

    use super::*;

    #[handler]
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_millis(200)).await;
        "ok"
    }

    #[tokio::test]
    async fn a_request_beyond_the_waiting_line_is_told_to_retry_and_the_others_are_served() {
        let ep = Arc::new(poem::get(slow).with(Admission::new(1, 1)));
        let call = |ep: Arc<_>| async move {
            let req = Request::builder().uri("/api/v1/sessions".parse().unwrap()).finish();
            AdmissionEndpoint::call(&ep, req).await.unwrap()
        };
        let first = tokio::spawn(call(ep.clone()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = tokio::spawn(call(ep.clone()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let third = call(ep.clone()).await;
        assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(third.headers()["retry-after"], "1");
        assert!(third.into_body().into_string().await.unwrap().contains("Réessayez"));
        assert_eq!(first.await.unwrap().status(), StatusCode::OK);
        assert_eq!(second.await.unwrap().status(), StatusCode::OK);
        // The line is empty again: a new request is served.
        assert_eq!(call(ep).await.status(), StatusCode::OK);
    }
}
