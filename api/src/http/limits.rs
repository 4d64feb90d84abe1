//! Per-client rate limits: on staff sign-in and on every public write (registering,
//! cancelling, booking…). A client is its IP address (an IPv6 client its /64), taken from the
//! TCP peer, or from `X-Forwarded-For` when `CRENEAU_TRUST_PROXY=1` says a reverse proxy in
//! front sets it.
//!
//! The limits are sized for a library room: twenty shared computers behind one address must
//! never be refused, so the defaults are 600 public writes a minute (bursts of 120) and 120
//! sign-ins a minute (bursts of 30). They stop a script, not a room. Guessing one account's
//! password is slowed apart from this, by the growing per-account delay of `auth::api`.
//!
//! Staff operations under `/api/v1/admin/` are not limited here: they need a token.
use std::{
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, http::Method};

use crate::platform::config::Settings;

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Login,
    PublicWrite,
    Unlimited,
}

/// The class of a request, from its method and path alone.
pub(crate) fn classify(method: &Method, path: &str) -> Class {
    let write = matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    if !write {
        return Class::Unlimited;
    }
    if path == "/api/v1/auth/login" || path == "/staff/connexion" {
        return Class::Login;
    }
    // Staff operations need a token or a staff session cookie.
    if path.starts_with("/api/v1/admin/") || path.starts_with("/api/v1/auth/") || path.starts_with("/staff/") {
        return Class::Unlimited;
    }
    // A gateway's delivery reports come from a few addresses, one or more per message sent,
    // and each must carry its message's own secret: counting them would drop real reports.
    if path == "/sms/brevo/report" {
        return Class::Unlimited;
    }
    Class::PublicWrite
}

/// The address a client is counted under. Behind a trusted proxy, the right-most address of
/// `X-Forwarded-For` is the one the proxy saw (addresses to its left are whatever the client
/// wrote); without one the header is ignored, since anyone can send it.
pub(crate) fn client_key(peer: Option<IpAddr>, forwarded_for: Option<&str>, trust_proxy: bool) -> Option<IpAddr> {
    let forwarded = if trust_proxy {
        forwarded_for.and_then(|h| h.rsplit(',').find_map(|part| part.trim().parse::<IpAddr>().ok()))
    } else {
        None
    };
    forwarded.or(peer).map(|ip| match ip.to_canonical() {
        IpAddr::V6(v6) => {
            // One household or device gets a whole /64: count the prefix, not the address.
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    })
}

/// The client address of a request, counted as [`client_key`] does.
pub(crate) fn client_of(req: &Request, trust_proxy: bool) -> Option<IpAddr> {
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    client_key(peer, forwarded, trust_proxy)
}

/// A rate of `per_minute` with bursts of `burst` (both at least 1).
pub(crate) fn quota(per_minute: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_minute.max(1)).expect("at least 1");
    let burst = NonZeroU32::new(burst.max(1)).expect("at least 1");
    Quota::per_minute(rate).allow_burst(burst)
}

/// The limiters of one running application.
pub(crate) struct RateLimits {
    login: DefaultKeyedRateLimiter<IpAddr>,
    public_write: DefaultKeyedRateLimiter<IpAddr>,
    trust_proxy: bool,
    calls: AtomicU64,
}

/// Forget idle clients every this many limited requests, so memory stays bounded.
const SWEEP_EVERY: u64 = 4096;

impl RateLimits {
    pub(crate) fn from_settings(s: &Settings) -> RateLimits {
        RateLimits {
            login: RateLimiter::keyed(quota(s.login_per_minute, s.login_burst)),
            public_write: RateLimiter::keyed(quota(s.public_post_per_minute, s.public_post_burst)),
            trust_proxy: s.trust_proxy,
            calls: AtomicU64::new(0),
        }
    }

    /// `Ok` to go on, or `Err(seconds)` to wait before the next try.
    pub(crate) fn check(&self, class: Class, client: IpAddr) -> Result<(), u64> {
        let limiter = match class {
            Class::Login => &self.login,
            Class::PublicWrite => &self.public_write,
            Class::Unlimited => return Ok(()),
        };
        if self.calls.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.login.retain_recent();
            self.public_write.retain_recent();
        }
        limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            // Round up: a client that waits exactly this long is let in.
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// The 429 answer with `Retry-After` in seconds: a JSON problem like every other API error,
/// or a short French page for the pages' forms.
pub(crate) fn too_many_requests(retry_after: u64, api: bool) -> Response {
    let retry_after = retry_after.max(1);
    let message = format!(
        "Trop de demandes depuis cette connexion : réessayez dans {retry_after} seconde{}.",
        if retry_after > 1 { "s" } else { "" }
    );
    let builder = Response::builder()
        .status(poem::http::StatusCode::TOO_MANY_REQUESTS)
        .header("Retry-After", retry_after.to_string());
    if api {
        let body = serde_json::json!({ "code": "rate_limited", "message": message });
        builder
            .content_type("application/json; charset=utf-8")
            .body(body.to_string())
    } else {
        builder.content_type("text/html; charset=utf-8").body(format!(
            "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Trop de demandes</title></head>\
             <body><h1>Trop de demandes</h1><p>{message}</p><p>Revenez ensuite à la page précédente pour envoyer le formulaire à nouveau.</p></body></html>"
        ))
    }
}

/// The middleware: counts each limited request against its client's bucket.
pub(crate) struct RateLimit(pub Arc<RateLimits>);

impl<E: Endpoint> Middleware<E> for RateLimit {
    type Output = RateLimitEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        RateLimitEndpoint {
            inner: ep,
            limits: self.0.clone(),
        }
    }
}

pub(crate) struct RateLimitEndpoint<E> {
    inner: E,
    limits: Arc<RateLimits>,
}

impl<E: Endpoint> Endpoint for RateLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let class = classify(req.method(), req.uri().path());
        if class != Class::Unlimited {
            let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
            let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
            if let Some(client) = client_key(peer, forwarded, self.limits.trust_proxy)
                && let Err(wait) = self.limits.check(class, client)
            {
                tracing::warn!(limit = ?class, retry_after = wait, "rate limited");
                return Ok(too_many_requests(wait, req.uri().path().starts_with("/api/")));
            }
        }
        Ok(self.inner.call(req).await?.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_public_writes_and_sign_in_are_limited() {
        assert_eq!(classify(&Method::POST, "/api/v1/auth/login"), Class::Login);
        assert_eq!(
            classify(&Method::POST, "/api/v1/sessions/3/registrations"),
            Class::PublicWrite
        );
        assert_eq!(
            classify(&Method::DELETE, "/api/v1/registrations/abc"),
            Class::PublicWrite
        );
        assert_eq!(classify(&Method::PATCH, "/api/v1/appointments/abc"), Class::PublicWrite);
        assert_eq!(classify(&Method::GET, "/api/v1/sessions"), Class::Unlimited);
        assert_eq!(classify(&Method::POST, "/api/v1/admin/sessions"), Class::Unlimited);
        assert_eq!(classify(&Method::POST, "/api/v1/auth/logout"), Class::Unlimited);
        assert_eq!(classify(&Method::POST, "/staff/connexion"), Class::Login);
        assert_eq!(classify(&Method::POST, "/staff/seances/3/inscrire"), Class::Unlimited);
        assert_eq!(classify(&Method::POST, "/ateliers/3"), Class::PublicWrite);
        assert_eq!(classify(&Method::POST, "/inscription/abc/annuler"), Class::PublicWrite);
        assert_eq!(classify(&Method::POST, "/sms/brevo/report"), Class::Unlimited);
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy_and_then_its_right_most_address() {
        let peer = Some(ip("10.0.0.1"));
        assert_eq!(client_key(peer, Some("1.2.3.4"), false), peer);
        assert_eq!(client_key(peer, Some("6.6.6.6, 1.2.3.4"), true), Some(ip("1.2.3.4")));
        assert_eq!(client_key(peer, Some("garbage"), true), peer);
        assert_eq!(client_key(peer, None, true), peer);
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_prefix() {
        assert_eq!(
            client_key(Some(ip("2001:db8:1:2:aaaa::1")), None, false),
            Some(ip("2001:db8:1:2::"))
        );
        assert_eq!(
            client_key(Some(ip("::ffff:192.0.2.7")), None, false),
            Some(ip("192.0.2.7"))
        );
    }

    #[test]
    fn a_burst_past_the_limit_is_refused_with_a_delay_and_other_clients_are_unaffected() {
        let mut s = Settings::for_database("sqlite::memory:");
        s.public_post_per_minute = 60;
        s.public_post_burst = 3;
        let limits = RateLimits::from_settings(&s);
        let a = ip("192.0.2.1");
        for _ in 0..3 {
            assert_eq!(limits.check(Class::PublicWrite, a), Ok(()));
        }
        let wait = limits.check(Class::PublicWrite, a).unwrap_err();
        assert_eq!(wait, 1, "one request a second refills the bucket");
        assert_eq!(limits.check(Class::PublicWrite, ip("192.0.2.2")), Ok(()));
        assert_eq!(limits.check(Class::Login, a), Ok(()));
    }

    #[test]
    fn a_room_of_twenty_computers_booking_at_once_is_never_refused_by_default() {
        let mut s = Settings::for_database("sqlite::memory:");
        s.public_post_per_minute = 600;
        s.public_post_burst = 120;
        let limits = RateLimits::from_settings(&s);
        let room = ip("192.0.2.10");
        // Twenty residents each register, see it went wrong, and retry twice: 60 writes at once.
        for _ in 0..60 {
            assert_eq!(limits.check(Class::PublicWrite, room), Ok(()));
        }
    }
}
