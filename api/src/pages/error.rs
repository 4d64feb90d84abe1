//! Errors of the pages, shown as French HTML pages with the site's layout.
use poem::{Response, error::ResponseError, http::StatusCode};

use super::render::{self, Site};
use crate::{
    domain::refusal::{DomainError, Refusal, chain},
    platform::state::AppState,
};

#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    /// The request breaks a rule (closed, already cancelled…): 409/422 with its message.
    #[error("{1}")]
    Rule(StatusCode, String),
    #[error("{0}")]
    BadRequest(String),
    #[error(
        "Ce formulaire a expiré ou ne vient pas de ce site. Revenez à la page précédente, rechargez-la, puis \
         recommencez. Si le problème continue, vérifiez que les cookies sont autorisés."
    )]
    Csrf,
    /// Staff pages without a valid session: sent to the sign-in page.
    #[error("Connexion requise.")]
    LoginRequired,
    #[error("Une erreur est survenue de notre côté ; rien n'a été modifié. Réessayez dans un instant.")]
    Internal,
}

pub(crate) type PageResult = Result<Response, PageError>;

impl ResponseError for PageError {
    fn status(&self) -> StatusCode {
        match self {
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::Forbidden(_) | PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::Rule(s, _) => *s,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::LoginRequired => StatusCode::SEE_OTHER,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl PageError {
    pub(crate) fn internal(err: impl std::fmt::Display) -> PageError {
        tracing::error!(error = %crate::platform::logging::redact(&err.to_string()), "page error");
        PageError::Internal
    }
}

impl PageError {
    /// The one mapping of a service's refusal to a page: a rule broken is shown on the page
    /// the agent or resident was on (409/422), the rest as an error page.
    pub(crate) fn from_domain(err: &dyn DomainError) -> PageError {
        let message = err.to_string();
        match err.refusal() {
            Refusal::Unauthenticated => PageError::LoginRequired,
            Refusal::NotFound => PageError::NotFound(message),
            Refusal::Forbidden => PageError::Forbidden(message),
            Refusal::Conflict => PageError::Rule(StatusCode::CONFLICT, message),
            Refusal::Rule | Refusal::Invalid { .. } => PageError::Rule(StatusCode::UNPROCESSABLE_ENTITY, message),
            Refusal::Unexpected => PageError::internal(chain(err)),
        }
    }
}

/// A refusal to show at the top of the form the person is on (409 or 422, with its message),
/// or, when the form cannot help (not found, our failure), the error page.
pub(crate) fn on_form(err: &dyn DomainError) -> Result<(StatusCode, String), PageError> {
    match PageError::from_domain(err) {
        PageError::Rule(status, message) => Ok((status, message)),
        other => Err(other),
    }
}

// `?` on a service's result inside a page handler.
crate::domain::refusal::map_domain_errors!(
    PageError:
    crate::auth::staff::AuthError,
    crate::workshops::service::RegistrationError,
    crate::workshops::service::ChangeError,
    crate::workshops::planning::PlanningError,
    crate::appointments::service::AppointmentError,
    crate::records::service::RecordError,
    crate::auth::accounts::AccountError,
    crate::appointments::schedule_admin::ScheduleError,
    crate::appointments::schedule_admin::CancelOverlappingError,
);

impl From<sea_orm::DbErr> for PageError {
    fn from(e: sea_orm::DbErr) -> PageError {
        PageError::internal(chain(&e))
    }
}

impl From<minijinja::Error> for PageError {
    fn from(e: minijinja::Error) -> PageError {
        PageError::internal(format!("template: {e:#}"))
    }
}

/// The page for any error raised below [`super::page`].
pub(crate) async fn error_page(state: Option<&AppState>, path: &str, err: poem::Error) -> Response {
    let (status, title, message) = match err.downcast_ref::<PageError>() {
        Some(PageError::LoginRequired) => {
            return super::see_other("/staff/connexion");
        }
        Some(e) => {
            let title = match e {
                PageError::NotFound(_) => "Page introuvable",
                PageError::Forbidden(_) => "Accès refusé",
                PageError::Csrf => "Formulaire expiré",
                PageError::Internal => "Erreur du service",
                _ => "Action impossible",
            };
            (e.status(), title, e.to_string())
        }
        None => {
            let status = err.status();
            let (title, message) = match status {
                StatusCode::NOT_FOUND => (
                    "Page introuvable",
                    "Cette adresse ne correspond à aucune page. Vérifiez-la, ou repartez de l'accueil.".to_string(),
                ),
                StatusCode::METHOD_NOT_ALLOWED => (
                    "Action impossible",
                    "Cette page ne s'utilise pas de cette façon. Repartez de l'accueil.".to_string(),
                ),
                s if s.is_server_error() => {
                    tracing::error!(error = %crate::platform::logging::redact(&err.to_string()), "page error");
                    (
                        "Erreur du service",
                        "Une erreur est survenue de notre côté ; rien n'a été modifié. Réessayez dans un instant."
                            .to_string(),
                    )
                }
                _ => (
                    "Demande invalide",
                    "Cette demande n'a pas pu être comprise. Repartez de l'accueil.".to_string(),
                ),
            };
            (status, title, message)
        }
    };
    let site = match state {
        Some(s) => Site::load(&s.db).await.unwrap_or_default(),
        None => Site::default(),
    };
    let staff_area = path.starts_with("/staff");
    render::error_response(&site, status, title, &message, staff_area)
}
