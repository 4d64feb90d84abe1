//! The staff side of workshops: catalogue, sessions and series, registrants, attendance.
use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Utc};
use entities::kinds::{RegistrationStatus, SessionStatus};
use entities::{place, registration, session, workshop};
use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, param::Path, param::Query, payload::Json};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{
    dto::*,
    planning::{self, check_facilitator, check_times, in_org},
    queries::{self, SessionFilter},
    service::{self, Booker},
    warnings::Confirmation,
};
use crate::{
    auth::{Manager, Staff},
    domain::{contact::Contact, series::WeeklySeries},
    http::error::{ApiError, ApiResult, bounded_instant},
    http::tags::ApiTags,
    platform::state::AppState,
};

pub struct AdminWorkshopsApi;

#[derive(ApiResponse)]
pub(crate) enum WorkshopCreated {
    #[oai(status = 201)]
    Created(Json<Workshop>),
}

#[derive(ApiResponse)]
pub(crate) enum SessionCreated {
    #[oai(status = 201)]
    Created(Json<Session>),
}

#[derive(ApiResponse)]
pub(crate) enum SeriesResponse {
    /// Every session of the series, created together; public holidays skipped are listed.
    #[oai(status = 201)]
    Created(Json<SeriesCreated>),
}

#[derive(ApiResponse)]
pub(crate) enum StaffRegistered {
    #[oai(status = 201)]
    Created(Json<StaffRegistration>),
}

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminWorkshops")]
impl AdminWorkshopsApi {
    /// The whole catalogue, inactive entries included.
    #[oai(path = "/workshops", method = "get", operation_id = "adminListWorkshops")]
    async fn list_workshops(&self, state: Data<&AppState>, Staff(me): Staff) -> ApiResult<Json<Vec<Workshop>>> {
        let rows = workshop::Entity::find()
            .filter(workshop::Column::OrganisationId.eq(me.organisation_id))
            .order_by_asc(workshop::Column::Title)
            .all(&state.db)
            .await?;
        Ok(Json(rows.into_iter().map(Workshop::from).collect()))
    }

    /// Add a workshop to the catalogue.
    #[oai(path = "/workshops", method = "post", operation_id = "adminCreateWorkshop")]
    async fn create_workshop(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        body: Json<WorkshopInput>,
    ) -> ApiResult<WorkshopCreated> {
        let mut a = fill_workshop(<workshop::ActiveModel as Default>::default(), body.0);
        a.organisation_id = Set(me.organisation_id);
        a.created_at = Set(state.clock.now());
        Ok(WorkshopCreated::Created(Json(a.insert(&state.db).await?.into())))
    }

    /// Change a catalogue entry.
    #[oai(path = "/workshops/:id", method = "put", operation_id = "adminUpdateWorkshop")]
    async fn update_workshop(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<WorkshopInput>,
    ) -> ApiResult<Json<Workshop>> {
        let existing = in_org::<workshop::Entity>(&state, &me, id.0).await?;
        Ok(Json(
            fill_workshop(existing.into(), body.0).update(&state.db).await?.into(),
        ))
    }

    /// Sessions of the organisation, cancelled ones included. `from` defaults to 7 days ago,
    /// `to` to 90 days after `from`.
    #[oai(path = "/sessions", method = "get", operation_id = "adminListSessions")]
    async fn list_sessions(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        from: Query<Option<DateTime<FixedOffset>>>,
        to: Query<Option<DateTime<FixedOffset>>>,
        place: Query<Option<i32>>,
        workshop: Query<Option<i32>>,
    ) -> ApiResult<Json<Vec<Session>>> {
        let now = state.clock.now();
        let from = bounded_instant("from", from.0)?
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or(now - Duration::days(7));
        let to = bounded_instant("to", to.0)?
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or(from + Duration::days(90));
        let filter = SessionFilter {
            from: Some(from),
            to: Some(to),
            place_id: place.0,
            workshop_id: workshop.0,
            organisation_id: Some(me.organisation_id),
            include_cancelled: true,
            limit: 1000,
        };
        Ok(Json(queries::sessions(&state.db, &filter, now).await?))
    }

    /// Create one session, not in the past (422). 409 `planning_warnings` when it falls on a
    /// public holiday at a place that closes on them or overlaps another session at the place
    /// (send again with `confirm_warnings`); 409 `appointments_in_the_way` when, at a
    /// mediation point, appointments are booked on its desks meanwhile.
    #[oai(path = "/sessions", method = "post", operation_id = "adminCreateSession")]
    async fn create_session(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        body: Json<SessionInput>,
    ) -> ApiResult<SessionCreated> {
        let created = planning::create_session(
            &state,
            &me,
            planning::NewSession {
                workshop_id: body.workshop_id,
                place_id: body.place_id,
                starts_at: body.starts_at.with_timezone(&Utc),
                ends_at: body.ends_at.with_timezone(&Utc),
                capacity: body.capacity,
                facilitator_id: body.facilitator_id,
                registration_closes_at: body.registration_closes_at.map(|d| d.with_timezone(&Utc)),
                desks: body.desks.clone(),
                confirmation: confirmation(body.confirm_warnings),
            },
        )
        .await?;
        let view = queries::decorate(&state.db, vec![created], state.clock.now())
            .await?
            .pop()
            .ok_or_else(|| ApiError::internal("no session"))?;
        Ok(SessionCreated::Created(Json(view)))
    }

    /// Create a weekly series in one call ("every Tuesday 14:00–16:00 from D1 to D2"), in
    /// the organisation's wall time. Each date is checked as one session is: public holidays
    /// skipped at a place that closes on them (unless told otherwise: then 409
    /// `planning_warnings` without `confirm_warnings`), dates over appointments on the desks
    /// skipped, overlaps created; all listed, and summed up in `summary`.
    #[oai(path = "/sessions/series", method = "post", operation_id = "adminCreateSeries")]
    async fn create_series(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        body: Json<SeriesInput>,
    ) -> ApiResult<SeriesResponse> {
        let time = |field: &str, v: &str| {
            NaiveTime::parse_from_str(v, "%H:%M")
                .map_err(|_| ApiError::invalid(field, "Heure attendue au format HH:MM."))
        };
        let series = WeeklySeries {
            weekday: body.weekday.into(),
            start_time: time("start_time", &body.start_time)?,
            end_time: time("end_time", &body.end_time)?,
            first_date: body.first_date,
            last_date: body.last_date,
            skip_public_holidays: body.skip_public_holidays,
        };
        let created = planning::create_series(
            &state,
            &me,
            planning::NewSeries {
                workshop_id: body.workshop_id,
                place_id: body.place_id,
                series,
                capacity: body.capacity,
                facilitator_id: body.facilitator_id,
                desks: body.desks.clone(),
                confirmation: confirmation(body.confirm_warnings),
            },
        )
        .await?;
        let sessions = queries::decorate(&state.db, created.sessions, state.clock.now()).await?;
        let skipped = created
            .skipped
            .into_iter()
            .map(|(date, name)| SkippedDate {
                date,
                holiday: name.to_string(),
            })
            .collect();
        let overlaps = created
            .overlaps
            .into_iter()
            .map(|(date, w)| SeriesNote { date, message: w.text })
            .collect();
        // Time and desk only: the residents' names stay on the staff pages.
        let skipped_for_appointments = created
            .over_appointments
            .into_iter()
            .map(|(date, found)| SeriesNote {
                date,
                message: found.into_iter().map(|a| a.text).collect::<Vec<_>>().join(" ; "),
            })
            .collect();
        Ok(SeriesResponse::Created(Json(SeriesCreated {
            sessions,
            skipped,
            overlaps,
            skipped_for_appointments,
            summary: created.summary.sentence(),
        })))
    }

    /// One session, cancelled or not.
    #[oai(path = "/sessions/:id", method = "get", operation_id = "adminGetSession")]
    async fn get_session(&self, state: Data<&AppState>, Staff(me): Staff, id: Path<i32>) -> ApiResult<Json<Session>> {
        let s = in_org::<session::Entity>(&state, &me, id.0).await?;
        let view = queries::decorate(&state.db, vec![s], state.clock.now())
            .await?
            .pop()
            .ok_or_else(|| ApiError::internal("no session"))?;
        Ok(Json(view))
    }

    /// Change a session: times or place (registrants are told, invites updated), capacity (a
    /// rise promotes from the waiting list; a cut below the confirmed count is refused),
    /// facilitator, closing time.
    #[oai(path = "/sessions/:id", method = "patch", operation_id = "adminUpdateSession")]
    async fn update_session(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<SessionUpdate>,
    ) -> ApiResult<Json<Session>> {
        let s = in_org::<session::Entity>(&state, &me, id.0).await?;
        if s.status == SessionStatus::Cancelled {
            return Err(ApiError::rule(
                "session_cancelled",
                "Cette séance est annulée : elle ne peut plus être modifiée.",
            ));
        }
        if let Some(p) = body.place_id {
            in_org::<place::Entity>(&state, &me, p).await?;
        }
        check_facilitator(&state, &me, body.facilitator_id).await?;
        let starts_at = body.starts_at.map(|d| d.with_timezone(&Utc)).unwrap_or(s.starts_at);
        let ends_at = body.ends_at.map(|d| d.with_timezone(&Utc)).unwrap_or(s.ends_at);
        check_times(starts_at, ends_at)?;
        let closes = body.registration_closes_at.map(|d| d.with_timezone(&Utc)).unwrap_or(
            if body.starts_at.is_some() && s.registration_closes_at == s.starts_at {
                starts_at
            } else {
                s.registration_closes_at
            },
        );
        if let Some(c) = body.capacity {
            service::change_capacity(&state, s.id, i64::from(c)).await?;
        }
        if let Some(f) = body.facilitator_id {
            let mut a: session::ActiveModel = s.clone().into();
            a.facilitator_id = Set(Some(f));
            a.update(&state.db).await?;
        }
        service::move_session(
            &state,
            s.id,
            starts_at,
            ends_at,
            body.place_id.unwrap_or(s.place_id),
            closes,
        )
        .await?;
        let view = queries::session(&state.db, s.id, state.clock.now())
            .await?
            .ok_or_else(|| ApiError::internal("no session"))?;
        Ok(Json(view))
    }

    /// Cancel a session: every registration is cancelled and every resident told.
    #[oai(path = "/sessions/:id/cancel", method = "post", operation_id = "adminCancelSession")]
    async fn cancel_session(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<CancelSession>,
    ) -> ApiResult<Json<Session>> {
        let s = in_org::<session::Entity>(&state, &me, id.0).await?;
        let reason = body.0.reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        let cancelled = service::cancel_session(&state, s.id, reason).await?;
        let view = queries::decorate(&state.db, vec![cancelled], state.clock.now())
            .await?
            .pop()
            .ok_or_else(|| ApiError::internal("no session"))?;
        Ok(Json(view))
    }

    /// A session's registrations: confirmed first, then the waiting list in order, then
    /// cancelled ones.
    #[oai(
        path = "/sessions/:id/registrations",
        method = "get",
        operation_id = "adminListRegistrations"
    )]
    async fn list_registrations(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
    ) -> ApiResult<Json<Vec<StaffRegistration>>> {
        let s = in_org::<session::Entity>(&state, &me, id.0).await?;
        let rows = registration::Entity::find()
            .filter(registration::Column::SessionId.eq(s.id))
            .order_by_asc(registration::Column::Id)
            .all(&state.db)
            .await?;
        let tz = state.settings.timezone;
        let mut out = Vec::with_capacity(rows.len());
        let mut position = 0;
        for r in rows.iter().filter(|r| r.status == RegistrationStatus::Confirmed) {
            out.push(StaffRegistration::new(r.clone(), None, tz));
        }
        for r in rows.iter().filter(|r| r.status == RegistrationStatus::Waitlisted) {
            position += 1;
            out.push(StaffRegistration::new(r.clone(), Some(position), tz));
        }
        for r in rows.iter().filter(|r| r.status == RegistrationStatus::Cancelled) {
            out.push(StaffRegistration::new(r.clone(), None, tz));
        }
        Ok(Json(out))
    }

    /// Register a resident on their behalf (at the counter, on the phone): a phone number
    /// alone is enough; consent is taken orally.
    #[oai(
        path = "/sessions/:id/registrations",
        method = "post",
        operation_id = "adminRegister"
    )]
    async fn register(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<StaffRegistrationRequest>,
    ) -> ApiResult<StaffRegistered> {
        let s = in_org::<session::Entity>(&state, &me, id.0).await?;
        let contact = Contact::parse(&body.name, body.email.as_deref(), body.phone.as_deref())?;
        let done = service::register(&state, s.id, contact, true, body.sms, Booker::Staff(me.id)).await?;
        Ok(StaffRegistered::Created(Json(StaffRegistration::new(
            done.registration,
            done.waitlist_position,
            state.settings.timezone,
        ))))
    }

    /// Mark attendance. Facilitators may do it for their own sessions only.
    #[oai(
        path = "/registrations/:id/attendance",
        method = "put",
        operation_id = "adminMarkAttendance"
    )]
    async fn mark_attendance(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
        body: Json<AttendanceUpdate>,
    ) -> ApiResult<Json<StaffRegistration>> {
        let r = planning::mark_attendance(&state, &me, id.0, body.attendance).await?;
        Ok(Json(StaffRegistration::new(r, None, state.settings.timezone)))
    }

    /// Cancel one registration on the resident's behalf (even after the start).
    #[oai(
        path = "/registrations/:id",
        method = "delete",
        operation_id = "adminCancelRegistration"
    )]
    async fn cancel_registration(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
    ) -> ApiResult<Json<StaffRegistration>> {
        let r = in_org::<registration::Entity>(&state, &me, id.0).await?;
        let r = service::cancel(&state, r.id, None, true).await?;
        Ok(Json(StaffRegistration::new(r, None, state.settings.timezone)))
    }
}

/// The API's `confirm_warnings`.
fn confirmation(confirm_warnings: bool) -> Confirmation {
    if confirm_warnings {
        Confirmation::All
    } else {
        Confirmation::None
    }
}

fn fill_workshop(mut a: workshop::ActiveModel, w: WorkshopInput) -> workshop::ActiveModel {
    a.title = Set(w.title.trim().to_string());
    a.summary = Set(w.summary.trim().to_string());
    a.description = Set(w.description.trim().to_string());
    a.level = Set(w.level.trim().to_string());
    a.audience = Set(w.audience.trim().to_string());
    a.default_duration_minutes = Set(w.default_duration_minutes);
    a.default_capacity = Set(w.default_capacity);
    a.active = Set(w.active);
    a
}
