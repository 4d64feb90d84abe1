//! A one-second cache for the busiest public reads: the session list and free slots.
//!
//! When a popular workshop opens, hundreds of people reload the same listing. Each answer
//! is kept for the rest of the current second (the service clock's second is part of the
//! key), so a listing is never staler than the last committed booking by more than one
//! second, on any instance. On this instance every write (any request that is not a GET)
//! also voids the cache at once, so whoever just booked sees their own booking.
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result, http::Method};

use crate::platform::clock::Clock;

/// Beyond this many distinct listings in one second the cache simply stops adding.
const MAX_ENTRIES: usize = 1024;

#[derive(Clone)]
pub(crate) struct ReadCache {
    clock: Clock,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    generation: AtomicU64,
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Clone)]
struct Entry {
    generation: u64,
    second: i64,
    content_type: Option<poem::http::HeaderValue>,
    /// Kept so that a served copy is still counted under the operation that made it.
    operation: Option<poem_openapi::OperationId>,
    body: bytes::Bytes,
}

impl ReadCache {
    pub(crate) fn new(clock: Clock) -> ReadCache {
        ReadCache {
            clock,
            shared: Arc::default(),
        }
    }
}

/// Only these answers are shared between callers: public, the same for everyone.
pub(crate) fn cacheable(path: &str) -> bool {
    path == "/api/v1/sessions"
        || path
            .strip_prefix("/api/v1/places/")
            .and_then(|rest| rest.strip_suffix("/slots"))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

impl<E: Endpoint> Middleware<E> for ReadCache {
    type Output = ReadCacheEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        ReadCacheEndpoint {
            inner: ep,
            cache: self.clone(),
        }
    }
}

pub(crate) struct ReadCacheEndpoint<E> {
    inner: E,
    cache: ReadCache,
}

impl<E: Endpoint> Endpoint for ReadCacheEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let shared = &self.cache.shared;
        if req.method() != Method::GET {
            let result = self.inner.call(req).await.map(IntoResponse::into_response);
            // After the write has committed: later reads must not be served what came before.
            shared.generation.fetch_add(1, Ordering::SeqCst);
            return result;
        }
        if !cacheable(req.uri().path()) {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        let second = self.cache.clock.now().timestamp();
        let key = req.uri().to_string();
        // Read before computing: a write that lands meanwhile makes this answer unstorable.
        let generation = shared.generation.load(Ordering::SeqCst);
        let hit = shared.entries.lock().expect("cache poisoned").get(&key).cloned();
        if let Some(e) = hit.filter(|e| e.second == second && e.generation == generation) {
            return Ok(rebuild(&e));
        }
        let resp = self.inner.call(req).await?.into_response();
        if resp.status() != poem::http::StatusCode::OK {
            return Ok(resp);
        }
        let content_type = resp.headers().get(poem::http::header::CONTENT_TYPE).cloned();
        let operation = resp.data::<poem_openapi::OperationId>().copied();
        let body = resp.into_body().into_bytes().await.map_err(poem::Error::from)?;
        let entry = Entry {
            generation,
            second,
            content_type,
            operation,
            body,
        };
        {
            let mut entries = shared.entries.lock().expect("cache poisoned");
            entries.retain(|_, e| e.second == second && e.generation == shared.generation.load(Ordering::SeqCst));
            if entries.len() < MAX_ENTRIES && generation == shared.generation.load(Ordering::SeqCst) {
                entries.insert(key, entry.clone());
            }
        }
        Ok(rebuild(&entry))
    }
}

fn rebuild(e: &Entry) -> Response {
    let mut resp = Response::builder().body(Body::from_bytes(e.body.clone()));
    if let Some(ct) = &e.content_type {
        resp.headers_mut().insert(poem::http::header::CONTENT_TYPE, ct.clone());
    }
    if let Some(op) = e.operation {
        resp.set_data(op);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_public_listings_are_shared() {
        assert!(cacheable("/api/v1/sessions"));
        assert!(cacheable("/api/v1/places/12/slots"));
        assert!(!cacheable("/api/v1/places//slots"));
        assert!(!cacheable("/api/v1/places/12/slots/x"));
        assert!(!cacheable("/api/v1/admin/sessions"));
        assert!(!cacheable("/api/v1/registrations/abc"));
    }
}
