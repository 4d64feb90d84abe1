//! The resident side of workshops: no account, just a name and a way to be reached.
use chrono::{DateTime, Duration, FixedOffset, Utc};
use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, param::Path, param::Query, payload::Json};
use sea_orm::DbErr;

use super::{
    dto::{RegistrationCreated, RegistrationRequest, RegistrationStatus, RegistrationView, Session, Workshop},
    queries::{self, SessionFilter},
    service::{self, Booker, RegistrationError},
};
use crate::{
    domain::{capacity, contact::Contact},
    http::error::{ApiError, ApiResult, bounded_instant},
    http::tags::ApiTags,
    notifications::payload::BookingKind,
    platform::state::AppState,
};

pub struct WorkshopsApi;

#[derive(ApiResponse)]
pub(crate) enum RegisterResponse {
    /// Registered: `status` says whether a seat was taken or the person is on the waiting list.
    #[oai(status = 201)]
    Created(Json<RegistrationCreated>),
}

/// At most this many sessions in one listing.
const LIST_LIMIT: u64 = 500;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Workshops")]
impl WorkshopsApi {
    /// The workshop catalogue (active entries).
    #[oai(path = "/workshops", method = "get", operation_id = "listWorkshops")]
    async fn list_workshops(&self, state: Data<&AppState>) -> ApiResult<Json<Vec<Workshop>>> {
        let rows = queries::catalogue(&state.db, None).await?;
        Ok(Json(rows.into_iter().map(Workshop::from).collect()))
    }

    /// Upcoming sessions, soonest first, with seats left and waiting-list length.
    /// `from` defaults to now and `to` to 90 days later.
    #[oai(path = "/sessions", method = "get", operation_id = "listSessions")]
    async fn list_sessions(
        &self,
        state: Data<&AppState>,
        /// Only sessions still running after this instant (RFC 3339).
        from: Query<Option<DateTime<FixedOffset>>>,
        /// Only sessions starting before this instant (RFC 3339).
        to: Query<Option<DateTime<FixedOffset>>>,
        /// Only sessions at this place.
        place: Query<Option<i32>>,
        /// Only sessions of this workshop.
        workshop: Query<Option<i32>>,
    ) -> ApiResult<Json<Vec<Session>>> {
        let now = state.clock.now();
        let from = bounded_instant("from", from.0)?
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or(now);
        let to = bounded_instant("to", to.0)?
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or(from + Duration::days(90));
        if to < from {
            return Err(ApiError::invalid("to", "La date de fin doit suivre la date de début."));
        }
        let filter = SessionFilter {
            from: Some(from),
            to: Some(to),
            place_id: place.0,
            workshop_id: workshop.0,
            limit: LIST_LIMIT,
            ..Default::default()
        };
        Ok(Json(queries::sessions(&state.db, &filter, now).await?))
    }

    /// One session.
    #[oai(path = "/sessions/:id", method = "get", operation_id = "getSession")]
    async fn get_session(&self, state: Data<&AppState>, id: Path<i32>) -> ApiResult<Json<Session>> {
        queries::session(&state.db, id.0, state.clock.now())
            .await?
            .map(Json)
            .ok_or_else(|| ApiError::not_found("Cette séance n'existe pas."))
    }

    /// Register for a session. A seat if one is left, otherwise the waiting list. Either an
    /// e-mail or a phone number is needed.
    #[oai(path = "/sessions/:id/registrations", method = "post", operation_id = "register")]
    async fn register(
        &self,
        state: Data<&AppState>,
        id: Path<i32>,
        body: Json<RegistrationRequest>,
    ) -> ApiResult<RegisterResponse> {
        let contact = Contact::parse(&body.name, body.email.as_deref(), body.phone.as_deref())?;
        let done = service::register(&state, id.0, contact, body.sms, Booker::Resident).await;
        crate::http::metrics::registration(&done, |d| d.registration.status == RegistrationStatus::Waitlisted);
        let done = done?;
        Ok(RegisterResponse::Created(Json(RegistrationCreated {
            id: done.registration.id,
            booking_code: crate::domain::booking_code::display(&done.registration.booking_code),
            status: done.registration.status,
            waitlist_position: done.waitlist_position,
            manage_url: manage_url(&state, BookingKind::Registration, &done.manage_token),
            manage_token: done.manage_token,
            session: done.session,
        })))
    }
}

pub(crate) fn manage_url(state: &AppState, booking: BookingKind, token: &str) -> String {
    let page = match booking {
        BookingKind::Registration => "inscription",
        BookingKind::Appointment => "rendez-vous",
    };
    format!("{}/{page}/{token}", state.settings.public_url)
}

pub struct RegistrationsApi;

#[derive(ApiResponse)]
pub(crate) enum CancelResponse {
    /// Cancelled; the seat went to the first on the waiting list.
    #[oai(status = 200)]
    Cancelled(Json<RegistrationView>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Registrations")]
impl RegistrationsApi {
    /// A registration, seen by the holder of its manage token.
    #[oai(path = "/registrations/:token", method = "get", operation_id = "getRegistration")]
    async fn get(&self, state: Data<&AppState>, token: Path<String>) -> ApiResult<Json<RegistrationView>> {
        let r = service::find_by_token(&state.db, &token.0).await?;
        Ok(Json(view(&state, r).await?))
    }

    /// Cancel a registration (until the session starts). The seat goes to the first on the
    /// waiting list in the same transaction.
    #[oai(
        path = "/registrations/:token",
        method = "delete",
        operation_id = "cancelRegistration"
    )]
    async fn cancel(&self, state: Data<&AppState>, token: Path<String>) -> ApiResult<CancelResponse> {
        let r = service::cancel_by_token(&state, &token.0).await?;
        Ok(CancelResponse::Cancelled(Json(view(&state, r).await?)))
    }
}

pub(crate) async fn view(
    state: &AppState,
    r: entities::registration::Model,
) -> Result<RegistrationView, RegistrationError> {
    let now = state.clock.now();
    let session = queries::session(&state.db, r.session_id, now)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the session of a registration".into()))?;
    let status = r.status;
    let waitlist_position = match status {
        RegistrationStatus::Waitlisted => Some(service::waitlist_position(&state.db, &r).await?),
        _ => None,
    };
    let can_cancel = status != RegistrationStatus::Cancelled
        && capacity::resident_may_cancel(session.starts_at.with_timezone(&Utc), now);
    Ok(RegistrationView {
        id: r.id,
        booking_code: crate::domain::booking_code::display(&r.booking_code),
        name: r.name,
        status,
        waitlist_position,
        can_cancel,
        session,
    })
}
