//! Every error the API can answer, mapped to HTTP in this one place.
//!
//! Handlers return `Result<_, ApiError>`; services return their own error enums with a
//! `From` impl into `ApiError`. The body is always a JSON problem `{code, message}`, the
//! message in French since it may be shown to a resident as it is.
use poem_openapi::{ApiResponse, Object, payload::Json};

use crate::domain::refusal::{DomainError, Refusal, chain};
use crate::platform::logging::redact;

/// A JSON problem body.
#[derive(Object, Debug, Clone)]
pub struct Problem {
    /// Stable machine-readable code, e.g. `session_full`, `validation`.
    pub code: String,
    /// What went wrong, in French, fit to show to a resident or an agent.
    pub message: String,
    /// The request field the problem is about, when there is one.
    #[oai(skip_serializing_if_is_none)]
    pub field: Option<String>,
    /// The points of the problem when it lists several: the planning warnings to confirm,
    /// the appointments in the way of a session.
    #[oai(skip_serializing_if_is_none)]
    pub details: Option<Vec<ProblemDetail>>,
}

/// One point of a problem.
#[derive(Object, Debug, Clone)]
pub struct ProblemDetail {
    /// e.g. `public_holiday`, `overlap`, `appointment`.
    pub code: String,
    /// In French, e.g. "Le vendredi 25 décembre 2026 est un jour férié (Noël) : ce lieu ferme
    /// les jours fériés."
    pub message: String,
}

impl Problem {
    pub(crate) fn new(code: &str, message: impl Into<String>) -> Problem {
        Problem {
            code: code.into(),
            message: message.into(),
            field: None,
            details: None,
        }
    }
}

#[derive(ApiResponse, Debug)]
#[oai(bad_request_handler = "bad_request")]
pub enum ApiError {
    /// The request could not be read (malformed JSON, a parameter of the wrong type).
    #[oai(status = 400)]
    BadRequest(Json<Problem>),
    /// No valid staff credentials.
    #[oai(status = 401)]
    Unauthorized(Json<Problem>),
    /// Credentials are valid but the role does not allow this.
    #[oai(status = 403)]
    Forbidden(Json<Problem>),
    /// Nothing here, or not yours to see.
    #[oai(status = 404)]
    NotFound(Json<Problem>),
    /// The request conflicts with the current state (already registered, slot just taken…).
    #[oai(status = 409)]
    Conflict(Json<Problem>),
    /// The request body is over 64 KiB.
    #[oai(status = 413)]
    PayloadTooLarge(Json<Problem>),
    /// The request body is missing or is not JSON: send `Content-Type: application/json`.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<Problem>),
    /// The request is well formed but breaks a rule (closed, outside the window, invalid field).
    #[oai(status = 422)]
    Unprocessable(Json<Problem>),
    /// Too many requests from this client: try again after the `Retry-After` delay.
    #[oai(status = 429)]
    TooManyRequests(Json<Problem>, #[oai(header = "Retry-After")] u64),
    /// Something failed on our side; nothing was changed.
    #[oai(status = 500)]
    Internal(Json<Problem>),
}

/// A body or parameter poem-openapi could not read: 400, unless the JSON was well formed and
/// only a value was refused by our strict types (`domain::text`), which is a 422.
fn bad_request(err: poem::Error) -> ApiError {
    let (status, code, message) = unreadable(&err.to_string());
    if status == 422 {
        ApiError::Unprocessable(Json(Problem::new(code, message)))
    } else {
        ApiError::BadRequest(Json(Problem::new(code, message)))
    }
}

/// What poem-openapi's reason for refusing a value says, in French: the kind of value that
/// was expected and, when the request gave one, what it gave.
fn reason_fr(reason: &str) -> String {
    let expected = quoted_after(reason, "Expected input type \"")
        .or_else(|| quoted_after(reason, "Type \""))
        .or_else(|| quoted_after(reason, "failed to parse \""));
    let what = expected.map(type_fr).unwrap_or("la forme décrite dans /docs");
    if let Some(field) = between(reason, "unknown field `", "`") {
        return format!("le champ « {field} » n'existe pas");
    }
    if let Some(field) = between(reason, "properties `", "` is read only") {
        return format!("le champ « {field} » ne s'envoie pas");
    }
    match reason.split_once(", found ") {
        Some((_, found)) => {
            let found = found.split(". (occurred").next().unwrap_or(found).trim_end_matches('.');
            if found == "null" {
                format!("manque ou vaut null ({what} attendu)")
            } else {
                format!("n'a pas le type attendu ({what} attendu, reçu {})", shorten(found))
            }
        }
        None if reason.contains("expects an input value") => format!("manque ({what} attendu)"),
        None => format!("n'est pas valide ({what} attendu)"),
    }
}

/// The French words for one of poem-openapi's type names.
fn type_fr(name: &str) -> &'static str {
    match name {
        "string" => "du texte",
        "boolean" => "true ou false",
        "string(date-time)" => "une date et une heure, par exemple 2027-01-12T14:00:00+01:00",
        "string(date)" => "une date, par exemple 2027-01-12",
        "string(time)" => "une heure, par exemple 14:30",
        n if n.starts_with("integer") => "un nombre entier",
        n if n.starts_with("number") => "un nombre",
        n if n.starts_with('[') => "une liste",
        n if n.starts_with("string") => "du texte",
        _ => "la forme décrite dans /docs",
    }
}

fn quoted_after<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    between(s, prefix, "\"")
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &s[s.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

/// A value quoted back, cut to 40 characters (it is the client's own input, redacted).
fn shorten(s: &str) -> String {
    let s = redact(s);
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(39).collect::<String>())
    } else {
        s
    }
}

/// The line and column of a JSON syntax error ("… at line 1 column 12").
fn json_position(reason: &str) -> Option<(String, String)> {
    let line = between(&format!("{reason}\n"), " at line ", " column ")?.to_string();
    let column: String = reason
        .rsplit(" column ")
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!column.is_empty()).then_some((line, column))
}

/// The status, code and French message for a request poem-openapi could not read: a path
/// segment, a query parameter or the JSON body. Known wordings of poem-openapi and serde_json
/// are translated; nothing English is passed on.
fn unreadable(detail: &str) -> (u16, &'static str, String) {
    if let Some(message) = crate::domain::text::refusal_in(detail) {
        return (422, "validation", message.to_string());
    }
    let message = if let Some(name) = between(detail, "failed to parse path `", "`") {
        let reason = detail.split_once("`: ").map_or("", |(_, r)| r);
        // A path parameter read by position is named `param0`: say where, not that.
        let what = if name.starts_with("param") {
            "un élément de l'adresse".to_string()
        } else {
            format!("« {name} » dans l'adresse")
        };
        format!("Requête invalide : {what} {}.", reason_fr(reason))
    } else if let Some(name) = between(detail, "failed to parse parameter `", "`") {
        let reason = detail.split_once("`: ").map_or("", |(_, r)| r);
        format!("Requête invalide : le paramètre « {name} » {}.", reason_fr(reason))
    } else if let Some(reason) = detail.strip_prefix("parse request payload error: ") {
        if reason.contains("while parsing")
            && reason.contains(" at line ")
            && reason.starts_with("EOF")
            && reason.ends_with("column 0")
        {
            "Requête invalide : le corps de la requête est vide ; envoyez un objet JSON (voir /docs).".to_string()
        } else if let (Some((line, column)), false) = (json_position(reason), reason.contains("Expected input type")) {
            format!(
                "Requête invalide : le corps n'est pas du JSON valide (ligne {line}, colonne {column}) ; vérifiez \
                 les guillemets, les virgules et les accolades."
            )
        } else {
            format!("Requête invalide : un champ {} (voir /docs).", reason_fr(reason))
        }
    } else {
        "Requête invalide : elle n'a pas pu être lue (voir /docs).".to_string()
    };
    (400, "bad_request", message)
}

impl ApiError {
    pub(crate) fn not_found(message: &str) -> ApiError {
        ApiError::NotFound(Json(Problem::new("not_found", message)))
    }
    pub(crate) fn conflict(code: &str, message: &str) -> ApiError {
        ApiError::Conflict(Json(Problem::new(code, message)))
    }
    pub(crate) fn invalid(field: &str, message: &str) -> ApiError {
        ApiError::Unprocessable(Json(Problem {
            code: "validation".into(),
            message: message.into(),
            field: Some(field.into()),
            details: None,
        }))
    }
    pub(crate) fn unauthorized() -> ApiError {
        ApiError::Unauthorized(Json(Problem::new(
            "unauthorized",
            "Connexion requise : identifiants absents, expirés ou révoqués.",
        )))
    }
    pub(crate) fn forbidden() -> ApiError {
        ApiError::Forbidden(Json(Problem::new(
            "forbidden",
            "Votre rôle ne permet pas cette action.",
        )))
    }
    pub(crate) fn internal(err: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %redact(&err.to_string()), "internal error");
        ApiError::Internal(Json(Problem::new(
            "internal",
            "Une erreur interne est survenue ; rien n'a été modifié. Réessayez dans un instant.",
        )))
    }
    pub fn problem(&self) -> &Problem {
        match self {
            ApiError::BadRequest(p)
            | ApiError::Unauthorized(p)
            | ApiError::Forbidden(p)
            | ApiError::NotFound(p)
            | ApiError::Conflict(p)
            | ApiError::PayloadTooLarge(p)
            | ApiError::UnsupportedMediaType(p)
            | ApiError::Unprocessable(p)
            | ApiError::TooManyRequests(p, _)
            | ApiError::Internal(p) => &p.0,
        }
    }
}

impl ApiError {
    /// The one mapping of a service's refusal to an answer.
    pub(crate) fn from_domain(err: &dyn DomainError) -> ApiError {
        let message = err.to_string();
        let details: Vec<ProblemDetail> = err
            .details()
            .into_iter()
            .map(|(code, message)| ProblemDetail {
                code: code.into(),
                message,
            })
            .collect();
        let problem = |code: &str| {
            let mut p = Problem::new(code, message.clone());
            p.details = (!details.is_empty()).then(|| details.clone());
            Json(p)
        };
        match err.refusal() {
            Refusal::Unauthenticated => ApiError::unauthorized(),
            Refusal::NotFound => ApiError::NotFound(problem(err.code())),
            Refusal::Forbidden => ApiError::Forbidden(problem(err.code())),
            Refusal::Conflict => ApiError::Conflict(problem(err.code())),
            Refusal::Rule => ApiError::Unprocessable(problem(err.code())),
            Refusal::Invalid { field } => ApiError::invalid(field, &message),
            Refusal::Unexpected => ApiError::internal(chain(err)),
        }
    }
}

// `?` on a service's result inside a handler.
crate::domain::refusal::map_domain_errors!(
    ApiError:
    crate::domain::contact::ContactError,
    crate::workshops::service::RegistrationError,
    crate::workshops::service::ChangeError,
    crate::appointments::service::AppointmentError,
    crate::auth::staff::AuthError,
    crate::workshops::planning::PlanningError,
    crate::statistics::FilterError,
    crate::records::service::RecordError,
    crate::auth::accounts::AccountError,
    crate::places::service::PlaceError,
    crate::appointments::schedule_admin::ScheduleError,
    crate::workshops::catalogue::CatalogueError,
);

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> ApiError {
        ApiError::internal(chain(&err))
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> ApiError {
        ApiError::internal(format!("{err:#}"))
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// A date parameter, refused with 422 outside the years the product accepts.
pub(crate) fn bounded_date(field: &str, d: Option<chrono::NaiveDate>) -> ApiResult<Option<chrono::NaiveDate>> {
    match d {
        Some(d) if !crate::domain::dates::date_in_range(d) => {
            Err(ApiError::invalid(field, crate::domain::dates::OUT_OF_RANGE))
        }
        d => Ok(d),
    }
}

/// An instant parameter, refused with 422 outside the years the product accepts.
pub(crate) fn bounded_instant<Z: chrono::TimeZone>(
    field: &str,
    t: Option<chrono::DateTime<Z>>,
) -> ApiResult<Option<chrono::DateTime<Z>>> {
    match t {
        Some(t) if !crate::domain::dates::instant_in_range(&t) => {
            Err(ApiError::invalid(field, crate::domain::dates::OUT_OF_RANGE))
        }
        t => Ok(t),
    }
}

/// `find_in_org(…).await?.or_not_found("Ce lieu n'existe pas.")?` in a handler.
pub(crate) trait OrNotFound<T> {
    fn or_not_found(self, message: &str) -> ApiResult<T>;
}

impl<T> OrNotFound<T> for Option<T> {
    fn or_not_found(self, message: &str) -> ApiResult<T> {
        self.ok_or_else(|| ApiError::not_found(message))
    }
}

/// Marks the answer to a handler that panicked, so the pages can render their own French
/// error page in its place.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Panicked;

/// poem's `CatchPanic` handler: a 500 problem, counted and logged like any other answer
/// (the panic's message is not logged here: it may quote request data).
pub(crate) fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> poem::Response {
    tracing::error!("a handler panicked; answered 500");
    let mut resp = problem_response(poem::Error::from_status(poem::http::StatusCode::INTERNAL_SERVER_ERROR));
    resp.extensions_mut().insert(Panicked);
    resp
}

/// Turns any error poem raises outside our handlers (unknown route, wrong method, body too
/// large, missing credentials) into the same JSON problem shape.
pub(crate) fn problem_response(err: poem::Error) -> poem::Response {
    use poem::http::StatusCode;
    // An `ApiError` returned by a handler arrives here already rendered: keep it.
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "Adresse introuvable.".to_string()),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "Méthode non permise sur cette adresse.".into()),
        StatusCode::UNAUTHORIZED => (
            "unauthorized",
            "Connexion requise : identifiants absents, expirés ou révoqués.".into(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "Requête trop volumineuse.".into()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Type de contenu non pris en charge : envoyez du JSON (application/json).".into(),
        ),
        s if s.is_server_error() => {
            tracing::error!(error = %redact(&err.to_string()), "unhandled error");
            (
                "internal",
                "Une erreur interne est survenue ; rien n'a été modifié.".into(),
            )
        }
        StatusCode::BAD_REQUEST => {
            let (s, code, message) = unreadable(&err.to_string());
            let status = StatusCode::from_u16(s).unwrap_or(status);
            let body = serde_json::json!({ "code": code, "message": message });
            return poem::Response::builder()
                .status(status)
                .content_type("application/json; charset=utf-8")
                .body(body.to_string());
        }
        _ => (
            "bad_request",
            "Requête invalide : elle n'a pas pu être traitée (voir /docs).".into(),
        ),
    };
    let body = serde_json::json!({ "code": code, "message": message });
    poem::Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(body.to_string())
}

#[cfg(test)]
mod tests {
    use poem::{Endpoint, EndpointExt, IntoResponse, Request, middleware::CatchPanic};

    use super::*;

    #[poem::handler]
    fn boom() -> &'static str {
        panic!("a bug in a handler")
    }

    fn message(detail: &str) -> String {
        unreadable(detail).2
    }

    #[test]
    fn a_body_that_is_not_json_or_is_empty_is_said_in_french_with_where_it_breaks() {
        let m = message("parse request payload error: expected `,` or `}` at line 1 column 12");
        assert_eq!(
            m,
            "Requête invalide : le corps n'est pas du JSON valide (ligne 1, colonne 12) ; vérifiez les guillemets, \
             les virgules et les accolades."
        );
        let m = message("parse request payload error: EOF while parsing a value at line 1 column 0");
        assert!(m.contains("le corps de la requête est vide"), "{m}");
    }

    #[test]
    fn a_missing_field_or_a_wrong_type_says_what_was_expected() {
        let m = message(
            r#"parse request payload error: Expected input type "string", found null. (occurred while parsing "RegistrationRequest")"#,
        );
        assert_eq!(
            m,
            "Requête invalide : un champ manque ou vaut null (du texte attendu) (voir /docs)."
        );
        let m = message(
            r#"parse request payload error: Expected input type "integer(int32)", found "deux". (occurred while parsing "X")"#,
        );
        assert_eq!(
            m,
            r#"Requête invalide : un champ n'a pas le type attendu (un nombre entier attendu, reçu "deux") (voir /docs)."#
        );
        let m = message(r#"parse request payload error: failed to parse "X": unknown field `nom`."#);
        assert!(m.contains("le champ « nom » n'existe pas"), "{m}");
    }

    #[test]
    fn a_bad_path_segment_or_query_parameter_is_named() {
        let m =
            message(r#"failed to parse path `id`: failed to parse "integer(int32)": invalid digit found in string"#);
        assert_eq!(
            m,
            "Requête invalide : « id » dans l'adresse n'est pas valide (un nombre entier attendu)."
        );
        let m = message(r#"failed to parse path `param0`: failed to parse "integer(int32)": invalid digit"#);
        assert_eq!(
            m,
            "Requête invalide : un élément de l'adresse n'est pas valide (un nombre entier attendu)."
        );
        let m = message(r#"failed to parse parameter `motif`: Type "integer(int32)" expects an input value."#);
        assert_eq!(
            m,
            "Requête invalide : le paramètre « motif » manque (un nombre entier attendu)."
        );
        let m = message(
            r#"failed to parse parameter `from`: failed to parse "string(date-time)": input contains invalid characters"#,
        );
        assert!(
            m.contains("le paramètre « from » n'est pas valide (une date et une heure"),
            "{m}"
        );
        for m in [m, message("something else entirely")] {
            assert!(!m.contains("failed") && !m.contains("parse"), "{m}");
        }
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_a_french_500_problem_instead_of_closing_the_connection() {
        let ep = poem::get(boom).with(CatchPanic::new().with_handler(panic_response));
        let resp = ep.call(Request::default()).await.unwrap().into_response();
        assert_eq!(resp.status(), 500);
        let body = resp.into_body().into_string().await.unwrap();
        assert!(body.contains(r#""code":"internal""#), "{body}");
        assert!(body.contains("rien n'a été modifié"), "{body}");
    }
}
