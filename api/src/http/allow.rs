//! The `Allow` header of a 405 answer (RFC 9110 §15.5.6): the methods the published spec
//! gives the path, the pages' methods from their route table (`pages::routes`), plus the few
//! routes outside both. Built once from what mounts the routes, so it cannot drift from them.
use poem::{Endpoint, IntoResponse, Request, Response, http::StatusCode};

/// Path templates (`/api/v1/sessions/{id}`) and the methods each answers.
pub(crate) struct AllowTable(Vec<(Vec<String>, String)>);

impl AllowTable {
    /// From the spec's JSON text.
    pub(crate) fn from_spec(spec_json: &str) -> AllowTable {
        let spec: serde_json::Value = serde_json::from_str(spec_json).unwrap_or_default();
        let mut rows: Vec<(Vec<String>, String)> = Vec::new();
        if let Some(paths) = spec["paths"].as_object() {
            for (path, ops) in paths {
                let mut methods: Vec<String> = ops
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_uppercase()).collect())
                    .unwrap_or_default();
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".into());
                }
                rows.push((segments(path), methods.join(", ")));
            }
        }
        for fixed in ["/healthz", "/metrics", "/openapi.yaml"] {
            rows.push((segments(fixed), "GET, HEAD".into()));
        }
        AllowTable(rows).sorted()
    }

    /// Adds routes declared with poem's templates (`/ateliers/:id`), e.g. the pages'.
    pub(crate) fn with_routes(mut self, rows: impl IntoIterator<Item = (String, String)>) -> AllowTable {
        self.0
            .extend(rows.into_iter().map(|(path, methods)| (segments(&path), methods)));
        self.sorted()
    }

    /// A literal segment wins over a parameter, as in poem's router.
    fn sorted(mut self) -> AllowTable {
        self.0.sort_by_key(|(s, _)| s.iter().filter(|p| is_param(p)).count());
        self
    }

    /// The methods for a request path, when it is one of ours.
    pub(crate) fn methods(&self, path: &str) -> Option<&str> {
        let wanted = segments(path);
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == wanted.len() && template.iter().zip(&wanted).all(|(t, w)| is_param(t) || t == w)
            })
            .map(|(_, m)| m.as_str())
    }
}

/// `{id}` in the spec, `:id` (or `:file<regex>`) in poem's routes.
fn is_param(segment: &str) -> bool {
    segment.starts_with('{') || segment.starts_with(':')
}

fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Adds `Allow` to every 405 whose path the table knows.
pub(crate) async fn add_allow<E: Endpoint>(
    ep: std::sync::Arc<E>,
    table: std::sync::Arc<AllowTable>,
    req: Request,
) -> poem::Result<Response> {
    let path = req.uri().path().to_string();
    let mut resp = ep.call(req).await?.into_response();
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED
        && !resp.headers().contains_key("allow")
        && let Some(methods) = table.methods(&path)
        && let Ok(value) = methods.parse()
    {
        resp.headers_mut().insert("allow", value);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_gets_the_methods_of_its_template_and_literal_segments_win() {
        let spec = r#"{"paths":{
            "/api/v1/sessions/{id}":{"get":{},"patch":{}},
            "/api/v1/sessions/export":{"post":{}}
        }}"#;
        let t = AllowTable::from_spec(spec);
        assert_eq!(t.methods("/api/v1/sessions/12"), Some("GET, PATCH, HEAD"));
        assert_eq!(t.methods("/api/v1/sessions/export"), Some("POST"));
        assert_eq!(t.methods("/healthz"), Some("GET, HEAD"));
        assert_eq!(t.methods("/nowhere"), None);
    }

    #[test]
    fn page_routes_join_the_table_with_their_own_parameters() {
        let t = AllowTable::from_spec("{}").with_routes([
            ("/ateliers/".to_string(), "GET, HEAD".to_string()),
            ("/ateliers/:id".to_string(), "GET, POST, HEAD".to_string()),
            ("/staff/seances/nouvelle".to_string(), "GET, POST, HEAD".to_string()),
            ("/staff/seances/:id".to_string(), "GET, HEAD".to_string()),
        ]);
        assert_eq!(t.methods("/ateliers"), Some("GET, HEAD"));
        assert_eq!(t.methods("/ateliers/4"), Some("GET, POST, HEAD"));
        assert_eq!(t.methods("/staff/seances/12"), Some("GET, HEAD"));
        assert_eq!(t.methods("/staff/seances/nouvelle"), Some("GET, POST, HEAD"));
    }
}
