//! A one-second cache for the busiest public reads: the session list and free slots.
//!
//! When a popular workshop opens, hundreds of people reload the same listing. Each answer
//! is kept for the rest of the current second (the service clock's second is part of the
//! key), so a listing is never staler than the last committed booking by more than one
//! second, on any instance. On this instance every write (any request that is not a GET)
//! also voids the cache at once, so whoever just booked sees their own booking.
//!
//! **Single flight.** When a listing is missing (a new second, or just after a write), the
//! first caller computes it and every caller that misses the same listing meanwhile waits
//! for that answer instead of running the same queries beside it: a burst of misses costs
//! one computation, not one per connection. A waiter only joins a computation begun in its
//! own second and after the last write it could have seen, so what it gets is exactly what a
//! hit would have given it. Waiting is chosen over serving the previous second's answer
//! while the refresh runs: that answer could be almost two seconds old, and right after a
//! write it would be the one without the writer's booking, breaking both promises above.
//! The wait is at most one computation, which the waiter would have paid on its own anyway.
//!
//! If the computing caller gets anything but a 200, fails, panics or is dropped (its client
//! went away), its waiters are released at once and each computes its own answer, as if
//! there were no cache. They do not get its error: an answer that is not a 200 may be
//! particular to that request (a GET announcing a body too large is refused, for one).
//!
//! **Hits do little.** An answer is kept as prepared parts: the body as [`Bytes`] and the
//! headers and response extensions as the handler made them (content type, and whatever else
//! the answer carries; the extensions hold the [`OperationId`](poem_openapi::OperationId) the
//! metrics count it under). A hit clones them under a shared read lock: no lookup allocates
//! and no lock is ever held across an await.
use std::{
    collections::HashMap,
    sync::{
        Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
        atomic::{AtomicU64, Ordering},
    },
};

use bytes::Bytes;
use poem::{
    Body, Endpoint, IntoResponse, Middleware, Request, Response, ResponseParts, Result,
    http::{Extensions, HeaderMap, Method, StatusCode, Version},
};
use tokio::sync::watch;

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
    next_flight: AtomicU64,
    /// Read-locked by a hit; write-locked only by a miss, to join or start a computation,
    /// and by the computing caller to store its answer.
    slots: RwLock<HashMap<Arc<str>, Slot>>,
}

/// One listing: its last answer, and the computation under way if any.
#[derive(Default)]
struct Slot {
    ready: Option<Arc<Answer>>,
    flight: Option<Flight>,
}

struct Answer {
    second: i64,
    generation: u64,
    version: Version,
    headers: HeaderMap,
    /// Kept so that a served copy is still counted under the operation that made it.
    extensions: Extensions,
    body: Bytes,
}

impl Answer {
    fn serves(&self, second: i64, generation: u64) -> bool {
        self.second == second && self.generation == generation
    }

    fn response(&self) -> Response {
        let parts = ResponseParts {
            status: StatusCode::OK,
            version: self.version,
            headers: self.headers.clone(),
            extensions: self.extensions.clone(),
        };
        Response::from_parts(parts, Body::from_bytes(self.body.clone()))
    }
}

struct Flight {
    id: u64,
    second: i64,
    generation: u64,
    /// Closed without an answer when the computing caller goes away.
    done: watch::Receiver<Outcome>,
}

#[derive(Clone)]
enum Outcome {
    Pending,
    Shared(Arc<Answer>),
    /// The answer was not a 200: each waiter computes its own.
    NotShared,
}

enum Role<'a> {
    Hit(Arc<Answer>),
    Wait(watch::Receiver<Outcome>),
    Lead(Leader<'a>),
    /// The cache is full: compute without sharing.
    Alone,
}

/// The caller computing a listing for others. However it ends (an answer, an error, a panic,
/// or its future dropped), its flight is taken down and its waiters released.
struct Leader<'a> {
    shared: &'a Shared,
    key: Arc<str>,
    id: u64,
    settled: bool,
    tx: watch::Sender<Outcome>,
}

impl Leader<'_> {
    fn settle(&mut self, answer: Option<Arc<Answer>>) {
        // Set first: should anything below panic, Drop must not take the lock a second time.
        self.settled = true;
        {
            let mut slots = write(&self.shared.slots);
            if let Some(slot) = slots.get_mut(&*self.key) {
                if slot.flight.as_ref().is_some_and(|f| f.id == self.id) {
                    slot.flight = None;
                }
                // A write that committed while this was computing makes it unstorable.
                let current = self.shared.generation.load(Ordering::SeqCst);
                if let Some(a) = &answer
                    && a.generation == current
                    && slot.ready.as_ref().is_none_or(|r| r.second <= a.second)
                {
                    slot.ready = Some(a.clone());
                }
                if answer.is_some() {
                    let second = answer.as_ref().map_or(0, |a| a.second);
                    prune(&mut slots, second, current);
                }
            }
        }
        // send_replace: the value stays even when nobody is waiting.
        self.tx.send_replace(answer.map_or(Outcome::NotShared, Outcome::Shared));
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.settle(None);
        }
    }
}

/// Keeps what can still be served or is being computed.
fn prune(slots: &mut HashMap<Arc<str>, Slot>, second: i64, generation: u64) {
    slots.retain(|_, slot| {
        if slot.ready.as_ref().is_some_and(|r| !r.serves(second, generation)) {
            slot.ready = None;
        }
        slot.ready.is_some() || slot.flight.is_some()
    });
}

// No section under these locks panics, so a poisoned lock still holds a consistent map.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl ReadCache {
    pub(crate) fn new(clock: Clock) -> ReadCache {
        ReadCache {
            clock,
            shared: Arc::default(),
        }
    }

    fn role(&self, key: &str, second: i64, generation: u64) -> Role<'_> {
        let shared = &*self.shared;
        let hit = |slot: Option<&Slot>| {
            slot.and_then(|s| s.ready.as_ref())
                .filter(|a| a.serves(second, generation))
                .cloned()
        };
        if let Some(a) = hit(read(&shared.slots).get(key)) {
            return Role::Hit(a);
        }
        let mut slots = write(&shared.slots);
        // Someone may have stored it or started it between the two locks.
        if let Some(a) = hit(slots.get(key)) {
            return Role::Hit(a);
        }
        if let Some(f) = slots.get(key).and_then(|s| s.flight.as_ref())
            && f.second == second
            && f.generation == generation
        {
            return Role::Wait(f.done.clone());
        }
        if !slots.contains_key(key) && slots.len() >= MAX_ENTRIES {
            prune(&mut slots, second, generation);
            if slots.len() >= MAX_ENTRIES {
                return Role::Alone;
            }
        }
        let id = shared.next_flight.fetch_add(1, Ordering::Relaxed);
        let (tx, done) = watch::channel(Outcome::Pending);
        // One allocation per computation, none per hit: the map and the leader share the key.
        let key: Arc<str> = match slots.get_key_value(key) {
            Some((k, _)) => k.clone(),
            None => key.into(),
        };
        slots.entry(key.clone()).or_default().flight = Some(Flight {
            id,
            second,
            generation,
            done,
        });
        Role::Lead(Leader {
            shared,
            key,
            id,
            settled: false,
            tx,
        })
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
        // Read before computing: a write that lands meanwhile makes this answer unstorable.
        let generation = shared.generation.load(Ordering::SeqCst);
        let uri = req.uri();
        let key = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
        let mut leader = match self.cache.role(key, second, generation) {
            Role::Hit(a) => return Ok(a.response()),
            Role::Wait(mut done) => {
                let outcome = done
                    .wait_for(|o| !matches!(o, Outcome::Pending))
                    .await
                    .map(|o| o.clone());
                if let Ok(Outcome::Shared(a)) = outcome {
                    return Ok(a.response());
                }
                return self.inner.call(req).await.map(IntoResponse::into_response);
            }
            Role::Alone => return self.inner.call(req).await.map(IntoResponse::into_response),
            Role::Lead(leader) => leader,
        };
        // Any early return from here on drops the leader, which releases the waiters.
        let resp = self.inner.call(req).await?.into_response();
        if resp.status() != StatusCode::OK {
            return Ok(resp);
        }
        let (parts, body) = resp.into_parts();
        let body = body.into_bytes().await.map_err(poem::Error::from)?;
        let answer = Arc::new(Answer {
            second,
            generation,
            version: parts.version,
            headers: parts.headers,
            extensions: parts.extensions,
            body,
        });
        leader.settle(Some(answer.clone()));
        Ok(answer.response())
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::atomic::{AtomicBool, AtomicUsize},
        time::Duration,
    };

    use chrono::{TimeZone, Utc};
    use poem::http::Uri;
    use poem_openapi::OperationId;

    use super::*;

    const LISTING: &str = "/api/v1/sessions";

    /// Stands for the application: a GET answers the number of bookings so far, a POST books.
    #[derive(Default)]
    struct Backend {
        computed: AtomicUsize,
        bookings: AtomicUsize,
        /// While set, a GET waits for the gate before answering.
        hold: AtomicBool,
        /// While set when a GET begins, it answers 500.
        fail: AtomicBool,
        gate: tokio::sync::Notify,
    }

    type Cached = ReadCacheEndpoint<poem::endpoint::BoxEndpoint<'static, Response>>;

    fn app(clock: Clock) -> (Arc<Cached>, Arc<Backend>) {
        let backend = Arc::new(Backend::default());
        let b = backend.clone();
        let inner = poem::endpoint::make(move |req: Request| {
            let b = b.clone();
            async move {
                if req.method() != Method::GET {
                    b.bookings.fetch_add(1, Ordering::SeqCst);
                    return StatusCode::CREATED.into_response();
                }
                b.computed.fetch_add(1, Ordering::SeqCst);
                let seen = b.bookings.load(Ordering::SeqCst);
                let fail = b.fail.load(Ordering::SeqCst);
                if b.hold.load(Ordering::SeqCst) {
                    b.gate.notified().await;
                }
                if fail {
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
                let mut resp = Response::builder()
                    .content_type("application/json; charset=utf-8")
                    .header("x-content-type-options", "nosniff")
                    .header("cache-control", "public, max-age=1")
                    .body(seen.to_string());
                resp.set_data(OperationId("listSessions"));
                resp
            }
        });
        let inner = poem::EndpointExt::boxed(poem::EndpointExt::map_to_response(inner));
        (Arc::new(ReadCache::new(clock).transform(inner)), backend)
    }

    fn clock() -> Clock {
        Clock::fixed(Utc.with_ymd_and_hms(2027, 1, 4, 8, 0, 0).unwrap())
    }

    fn request(method: Method, path: &'static str) -> Request {
        Request::builder().method(method).uri(Uri::from_static(path)).finish()
    }

    async fn body(ep: &Cached) -> String {
        let resp = ep.call(request(Method::GET, LISTING)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.into_body().into_string().await.unwrap()
    }

    /// Lets every spawned task run up to its first wait (the test runtime has one thread).
    async fn settle_tasks() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    fn spawn_reads(ep: &Arc<Cached>, n: usize) -> Vec<tokio::task::JoinHandle<Response>> {
        (0..n)
            .map(|_| {
                let ep = ep.clone();
                tokio::spawn(async move { ep.call(request(Method::GET, LISTING)).await.unwrap() })
            })
            .collect()
    }

    /// Waits for every read, failing the test instead of hanging.
    async fn answers(reads: Vec<tokio::task::JoinHandle<Response>>) -> Vec<(StatusCode, String)> {
        let mut out = Vec::new();
        for r in reads {
            let resp = tokio::time::timeout(Duration::from_secs(5), r)
                .await
                .expect("a read hung")
                .unwrap();
            let status = resp.status();
            out.push((status, resp.into_body().into_string().await.unwrap()));
        }
        out
    }

    #[test]
    fn only_the_public_listings_are_shared() {
        assert!(cacheable("/api/v1/sessions"));
        assert!(cacheable("/api/v1/places/12/slots"));
        assert!(!cacheable("/api/v1/places//slots"));
        assert!(!cacheable("/api/v1/places/12/slots/x"));
        assert!(!cacheable("/api/v1/admin/sessions"));
        assert!(!cacheable("/api/v1/registrations/abc"));
    }

    #[tokio::test]
    async fn many_concurrent_misses_on_one_listing_compute_it_once() {
        let (ep, backend) = app(clock());
        backend.hold.store(true, Ordering::SeqCst);
        let reads = spawn_reads(&ep, 50);
        settle_tasks().await;
        assert_eq!(backend.computed.load(Ordering::SeqCst), 1, "the others wait");
        backend.gate.notify_waiters();
        let got = answers(reads).await;
        assert!(got.iter().all(|a| *a == (StatusCode::OK, "0".to_string())), "{got:?}");
        assert_eq!(backend.computed.load(Ordering::SeqCst), 1);
        assert_eq!(body(&ep).await, "0");
        assert_eq!(backend.computed.load(Ordering::SeqCst), 1, "then it is a hit");
    }

    #[tokio::test]
    async fn a_served_copy_carries_the_headers_and_operation_of_the_original() {
        let (ep, _) = app(clock());
        let first = ep.call(request(Method::GET, LISTING)).await.unwrap();
        let copy = ep.call(request(Method::GET, LISTING)).await.unwrap();
        for resp in [&first, &copy] {
            assert_eq!(resp.headers()["content-type"], "application/json; charset=utf-8");
            assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
            assert_eq!(resp.headers()["cache-control"], "public, max-age=1");
            assert_eq!(resp.data::<OperationId>(), Some(&OperationId("listSessions")));
        }
        assert_eq!(first.headers().len(), copy.headers().len());
    }

    #[tokio::test]
    async fn a_write_voids_the_cache_and_the_writer_reads_its_own_write() {
        let (ep, backend) = app(clock());
        assert_eq!(body(&ep).await, "0");
        assert_eq!(body(&ep).await, "0");
        assert_eq!(backend.computed.load(Ordering::SeqCst), 1);
        let booked = ep.call(request(Method::POST, LISTING)).await.unwrap();
        assert_eq!(booked.status(), StatusCode::CREATED);
        assert_eq!(body(&ep).await, "1");
        assert_eq!(backend.computed.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_read_after_a_write_does_not_wait_for_a_computation_begun_before_it() {
        let (ep, backend) = app(clock());
        backend.hold.store(true, Ordering::SeqCst);
        let before = spawn_reads(&ep, 1);
        settle_tasks().await;
        ep.call(request(Method::POST, LISTING)).await.unwrap();
        backend.hold.store(false, Ordering::SeqCst);
        // Computed on its own, not handed the answer that began before the booking.
        assert_eq!(body(&ep).await, "1");
        backend.gate.notify_waiters();
        assert_eq!(answers(before).await, [(StatusCode::OK, "0".to_string())]);
        // The stale answer, finished last, was not stored over the fresh one.
        assert_eq!(body(&ep).await, "1");
        assert_eq!(backend.computed.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_waiters_of_a_failing_leader_compute_their_own_answers() {
        let (ep, backend) = app(clock());
        backend.hold.store(true, Ordering::SeqCst);
        backend.fail.store(true, Ordering::SeqCst);
        let leader = spawn_reads(&ep, 1);
        settle_tasks().await;
        let waiters = spawn_reads(&ep, 10);
        settle_tasks().await;
        backend.hold.store(false, Ordering::SeqCst);
        backend.fail.store(false, Ordering::SeqCst);
        backend.gate.notify_waiters();
        assert_eq!(answers(leader).await[0].0, StatusCode::INTERNAL_SERVER_ERROR);
        let got = answers(waiters).await;
        assert!(got.iter().all(|a| *a == (StatusCode::OK, "0".to_string())), "{got:?}");
        assert_eq!(backend.computed.load(Ordering::SeqCst), 11, "each waiter computed");
        // No flight is left behind: the next read computes, then the cache serves it.
        assert_eq!(body(&ep).await, "0");
        assert_eq!(body(&ep).await, "0");
        assert!(backend.computed.load(Ordering::SeqCst) <= 12);
    }

    #[tokio::test]
    async fn the_waiters_of_a_leader_that_went_away_are_released() {
        let (ep, backend) = app(clock());
        backend.hold.store(true, Ordering::SeqCst);
        let leader = spawn_reads(&ep, 1);
        settle_tasks().await;
        let waiters = spawn_reads(&ep, 10);
        settle_tasks().await;
        backend.hold.store(false, Ordering::SeqCst);
        // Its client hung up: poem drops the request's future, here the task.
        leader[0].abort();
        let got = answers(waiters).await;
        assert!(got.iter().all(|a| *a == (StatusCode::OK, "0".to_string())), "{got:?}");
        assert_eq!(backend.computed.load(Ordering::SeqCst), 11);
    }

    #[tokio::test]
    async fn a_new_second_computes_the_listing_again() {
        let clock = clock();
        let (ep, backend) = app(clock.clone());
        assert_eq!(body(&ep).await, "0");
        assert_eq!(body(&ep).await, "0");
        assert_eq!(backend.computed.load(Ordering::SeqCst), 1);
        // Another instance's booking: not seen here before the next second.
        backend.bookings.fetch_add(1, Ordering::SeqCst);
        assert_eq!(body(&ep).await, "0");
        clock.advance(chrono::Duration::seconds(1));
        assert_eq!(body(&ep).await, "1");
        assert_eq!(backend.computed.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn other_answers_than_a_200_are_not_kept() {
        let (ep, backend) = app(clock());
        backend.fail.store(true, Ordering::SeqCst);
        let resp = ep.call(request(Method::GET, LISTING)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        backend.fail.store(false, Ordering::SeqCst);
        assert_eq!(body(&ep).await, "0");
        assert_eq!(backend.computed.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn past_the_limit_of_listings_the_cache_computes_without_keeping() {
        let (ep, backend) = app(clock());
        let paths: Vec<&'static str> = (0..=MAX_ENTRIES)
            .map(|i| &*Box::leak(format!("/api/v1/places/{i}/slots").into_boxed_str()))
            .collect();
        for p in &paths {
            ep.call(request(Method::GET, p)).await.unwrap();
        }
        assert_eq!(read(&ep.cache.shared.slots).len(), MAX_ENTRIES);
        let before = backend.computed.load(Ordering::SeqCst);
        ep.call(request(Method::GET, paths[MAX_ENTRIES])).await.unwrap();
        assert_eq!(backend.computed.load(Ordering::SeqCst), before + 1);
        ep.call(request(Method::GET, paths[0])).await.unwrap();
        assert_eq!(
            backend.computed.load(Ordering::SeqCst),
            before + 1,
            "a kept one is still a hit"
        );
    }
}
