//! Headers every answer carries: `nosniff` (a JSON body is never read as a script or a
//! page), `Cache-Control: no-store` on API answers that set no cache rule of their own (they
//! may hold a resident's details: no proxy or shared computer may keep them), and
//! `Strict-Transport-Security` when the service is public over https. The pages set their
//! own, stricter set (`pages::security_headers`).
use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderValue, header},
};

pub(crate) struct SecurityHeaders {
    pub(crate) https: bool,
}

impl<E: Endpoint> Middleware<E> for SecurityHeaders {
    type Output = SecurityHeadersEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        SecurityHeadersEndpoint {
            inner: ep,
            https: self.https,
        }
    }
}

pub(crate) struct SecurityHeadersEndpoint<E> {
    inner: E,
    https: bool,
}

/// One year, the value browsers' preload lists expect.
const HSTS: &str = "max-age=31536000";

impl<E: Endpoint> Endpoint for SecurityHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let api = req.uri().path().starts_with("/api/");
        let mut resp = self.inner.call(req).await?.into_response();
        let h = resp.headers_mut();
        h.entry(header::X_CONTENT_TYPE_OPTIONS)
            .or_insert(HeaderValue::from_static("nosniff"));
        if api {
            h.entry(header::CACHE_CONTROL)
                .or_insert(HeaderValue::from_static("no-store"));
        }
        if self.https {
            h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
        }
        Ok(resp)
    }
}
