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

/// The Content-Security-Policy of `/docs`: the Swagger UI page is one HTML file whose
/// scripts and styles are inline (poem-openapi embeds them), so its scripts are allowed by
/// their SHA-256 hashes, computed from the page itself at start, and nothing else runs.
/// Styles stay inline-allowed (the UI sets `style` attributes); images may be `data:`; the
/// "try it out" calls go to this origin only.
pub(crate) fn docs_csp(page: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut hashes = Vec::new();
    let mut rest = page;
    while let Some(open) = rest.find("<script") {
        let after = &rest[open..];
        let Some(body_start) = after.find('>') else { break };
        let body = &after[body_start + 1..];
        let Some(end) = body.find("</script>") else { break };
        let digest = Sha256::digest(&body.as_bytes()[..end]);
        hashes.push(format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        ));
        rest = &body[end..];
    }
    format!(
        "default-src 'none'; script-src {}; style-src 'unsafe-inline'; img-src 'self' data:; \
         font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hashes.join(" ")
    )
}
