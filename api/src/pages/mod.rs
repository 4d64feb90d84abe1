//! The pages people use: the residents' booking site and the staff console, rendered on the
//! server, working without JavaScript (none is shipped).
//!
//! Every page goes through [`page`], which
//! * gives the request a public CSRF token (double-submit cookie, see [`csrf`]),
//! * turns every error into a French HTML page (never the API's JSON problem),
//! * adds the security headers: a strict Content-Security-Policy (no script at all, styles
//!   from our own origin), `nosniff`, `Referrer-Policy: no-referrer` (manage links carry
//!   tokens), `frame-ancestors 'none'`.
//!
//! Handlers call the same services as the API (`workshops::service`, …), never the API
//! over HTTP.
use std::sync::Arc;

use poem::{
    Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route,
    endpoint::BoxEndpoint,
    http::{HeaderValue, StatusCode, header},
    middleware::{CatchPanic, CookieJarManager},
};

use crate::{
    http::error::{Panicked, panic_response},
    platform::state::AppState,
};

pub(crate) mod accessibility;
pub(crate) mod appointments;
pub(crate) mod csrf;
pub(crate) mod error;
pub(crate) mod find;
pub(crate) mod forms;
pub(crate) mod home;
pub(crate) mod manage;
pub(crate) mod params;
pub(crate) mod privacy;
pub(crate) mod render;
pub(crate) mod routes;
pub(crate) mod session_cookie;
pub(crate) mod staff;
pub(crate) mod statistics;
pub(crate) mod workshops;

pub(crate) use error::{PageError, PageResult};
pub(crate) use render::Ctx;
use routes::{PageRoutes, get};

/// The policy sent with every page: no script at all, no inline style, forms only to us.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'none'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds every page route to `route` (the application's tree, with the API nested at `/`
/// through [`home_or`]); answers it with each page path's methods, for `Allow`.
pub(crate) fn mount(route: Route) -> (Route, Vec<routes::AllowRow>) {
    let (route, mut allow) = PageRoutes::on(route)
        .at_wrapped("/accessibilite", get(accessibility::page), page)
        .at_wrapped("/donnees-personnelles", get(privacy::page), page)
        .nest("/avis", crate::survey::pages::routes(), page)
        .nest("/ateliers", workshops::routes(), page)
        .nest("/inscription", manage::registration_routes(), page)
        .nest("/prendre-rendez-vous", appointments::booking_routes(), page)
        .nest("/rendez-vous", appointments::manage_routes(), page)
        .nest("/retrouver", find::find_routes(), page)
        .nest("/r", find::short_routes(), page)
        .nest("/staff", staff::routes(), page)
        .at_wrapped("/statistiques", get(statistics::page), page)
        .nest("/static", static_files(), page)
        .into_parts();
    // The home page sits in front of the API (see `home_or`), outside this tree.
    allow.push(("/".to_string(), home_page().allow()));
    (route, allow)
}

fn home_page() -> routes::Methods {
    get(home::home)
}

/// The API nested at `/` catches the bare path `/` too (poem's catch-all wins over a route
/// at `/`), so the home page sits in front of it: exactly `/` is the home page, every other
/// path goes to `api` untouched.
pub(crate) fn home_or<E: IntoEndpoint>(api: E) -> HomeOr<E::Endpoint> {
    HomeOr {
        api: api.into_endpoint(),
        home: page(home_page().into_endpoint()),
    }
}

pub(crate) struct HomeOr<E> {
    api: E,
    home: BoxEndpoint<'static, Response>,
}

impl<E: Endpoint> Endpoint for HomeOr<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if req.uri().path() == "/" {
            self.home.call(req).await
        } else {
            self.api.call(req).await.map(IntoResponse::into_response)
        }
    }
}

/// Wraps a page endpoint: CSRF token, French HTML errors, security headers.
pub(crate) fn page(ep: impl Endpoint + 'static) -> BoxEndpoint<'static, Response> {
    ep.with(CatchPanic::new().with_handler(panic_response))
        .around(page_layer)
        .with(CookieJarManager::new())
        .boxed()
}

async fn page_layer<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let state = req.data::<AppState>().cloned();
    let secure = state
        .as_ref()
        .is_some_and(|s| s.settings.public_url.starts_with("https://"));
    // Without the state (never in practice) no cookie can verify: forms are refused.
    let secret = state
        .as_ref()
        .map(|s| s.settings.secret().clone())
        .unwrap_or_else(|| crate::platform::config::SecretString::from(crate::platform::token::generate()));
    let token = csrf::PublicToken::from_request(&req, &secret, secure);
    if !token.from_cookie {
        req.cookie().add(csrf::cookie(&token.value, &secret, secure));
    }
    req.set_data(token);
    let path = req.original_uri().path().to_string();
    let mut resp = match ep.call(req).await.map(IntoResponse::into_response) {
        Ok(r) if r.extensions().get::<Panicked>().is_some() => {
            let err = poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR);
            error::error_page(state.as_ref(), &path, err).await
        }
        Ok(r) => r,
        Err(err) => error::error_page(state.as_ref(), &path, err).await,
    };
    security_headers(&mut resp);
    Ok(resp)
}

fn security_headers(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages show live seat counts and, behind tokens, personal data: never cached.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

const SITE_CSS: &str = include_str!("../../static/site.css");

fn static_files() -> PageRoutes {
    PageRoutes::new().at(
        "/site.css",
        get(poem::endpoint::make_sync(|_| {
            Response::builder()
                .content_type("text/css; charset=utf-8")
                .header(header::CACHE_CONTROL, "public, max-age=3600")
                .body(SITE_CSS)
        })),
    )
}

/// A 303 to `location`: the GET after a POST.
pub(crate) fn see_other(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[poem::handler]
    fn boom() -> &'static str {
        panic!("a bug in a page")
    }

    #[tokio::test]
    async fn a_panicking_page_answers_the_french_error_page() {
        let resp = page(poem::get(boom)).call(Request::default()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(resp.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        let body = resp.into_body().into_string().await.unwrap();
        assert!(body.contains("Erreur du service"), "{body}");
        assert!(body.contains(r#"lang="fr""#), "{body}");
    }
}
