//! The pages' route table. Each page route is declared once, with the methods it answers,
//! and that one declaration both mounts the handlers and feeds the `Allow` header of a 405
//! (`http::allow`): poem's router does not say which methods a path has, so a second,
//! hand-written list would drift from the routes.
use poem::{IntoEndpoint, Response, Route, RouteMethod, endpoint::BoxEndpoint};

/// A path template (`/ateliers/:id`) and the methods it answers (`GET, POST, HEAD`).
pub(crate) type AllowRow = (String, String);

/// The methods of one path, as poem's `get(…).post(…)`, keeping their names.
pub(crate) struct Methods {
    route: RouteMethod,
    names: Vec<&'static str>,
}

pub(crate) fn get<E>(ep: E) -> Methods
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    Methods {
        route: poem::get(ep),
        names: vec!["GET"],
    }
}

pub(crate) fn post<E>(ep: E) -> Methods
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    Methods {
        route: poem::post(ep),
        names: vec!["POST"],
    }
}

impl Methods {
    pub(crate) fn post<E>(mut self, ep: E) -> Methods
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.route = self.route.post(ep);
        self.names.push("POST");
        self
    }

    /// `Allow`'s value: poem answers HEAD wherever GET is.
    pub(crate) fn allow(&self) -> String {
        let mut names = self.names.clone();
        if names.contains(&"GET") {
            names.push("HEAD");
        }
        names.join(", ")
    }

    /// The endpoint, for a path mounted outside a table (the home page).
    pub(crate) fn into_endpoint(self) -> RouteMethod {
        self.route
    }
}

/// A tree of page routes and its allow rows, built together.
#[derive(Default)]
pub(crate) struct PageRoutes {
    route: Route,
    allow: Vec<AllowRow>,
}

impl PageRoutes {
    pub(crate) fn new() -> PageRoutes {
        PageRoutes::default()
    }

    /// Continues `route` (the application's tree), with no rows yet.
    pub(crate) fn on(route: Route) -> PageRoutes {
        PageRoutes {
            route,
            allow: Vec::new(),
        }
    }

    pub(crate) fn at(mut self, path: &str, methods: Methods) -> PageRoutes {
        self.allow.push((path.to_string(), methods.allow()));
        self.route = self.route.at(path, methods.route);
        self
    }

    /// One path, its endpoint wrapped by `wrap` (the pages' layer).
    pub(crate) fn at_wrapped(
        mut self,
        path: &str,
        methods: Methods,
        wrap: impl FnOnce(RouteMethod) -> BoxEndpoint<'static, Response>,
    ) -> PageRoutes {
        self.allow.push((path.to_string(), methods.allow()));
        self.route = self.route.at(path, wrap(methods.route));
        self
    }

    /// `inner` under `prefix`, its endpoint wrapped by `wrap` (the pages' layer).
    pub(crate) fn nest(
        mut self,
        prefix: &str,
        inner: PageRoutes,
        wrap: impl FnOnce(Route) -> BoxEndpoint<'static, Response>,
    ) -> PageRoutes {
        let prefix = prefix.trim_end_matches('/');
        self.allow.extend(
            inner
                .allow
                .into_iter()
                .map(|(path, methods)| (format!("{prefix}{path}"), methods)),
        );
        self.route = self.route.nest(prefix, wrap(inner.route));
        self
    }

    pub(crate) fn into_parts(self) -> (Route, Vec<AllowRow>) {
        (self.route, self.allow)
    }
}

#[cfg(test)]
mod tests {
    use poem::EndpointExt;

    use super::*;

    #[poem::handler]
    fn ok() -> &'static str {
        "ok"
    }

    #[test]
    fn every_route_and_nested_route_lists_the_methods_it_was_given() {
        let inner = PageRoutes::new().at("/", get(ok)).at("/:id", get(ok).post(ok));
        let (_, rows) = PageRoutes::new()
            .at("/connexion", post(ok))
            .nest("/ateliers", inner, |r| r.map_to_response().boxed())
            .into_parts();
        assert_eq!(
            rows,
            vec![
                ("/connexion".to_string(), "POST".to_string()),
                ("/ateliers/".to_string(), "GET, HEAD".to_string()),
                ("/ateliers/:id".to_string(), "GET, POST, HEAD".to_string()),
            ]
        );
    }
}
