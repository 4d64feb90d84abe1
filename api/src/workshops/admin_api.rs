//! The staff side of workshops: catalogue, sessions and series, registrants, attendance.
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use entities::kinds::RegistrationStatus;
use entities::{registration, session};
use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, param::Path, param::Query, payload::Json};

use super::{
    catalogue,
    desks::DeskChange,
    dto::*,
    planning::{self, in_org},
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
        let rows = queries::catalogue(&state.db, Some(me.organisation_id)).await?;
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
        let created = catalogue::create(&state, me.organisation_id, &body.0.into()).await?;
        Ok(WorkshopCreated::Created(Json(created.into())))
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
        Ok(Json(
            catalogue::update(&state, me.organisation_id, id.0, &body.0.into())
                .await?
                .into(),
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
    /// facilitator, closing time, desks. A new time, place or desks follow the rules of
    /// creation: a new start in the past is refused (422), appointments booked on its desks
    /// meanwhile too (409 `appointments_in_the_way`), and a public holiday at a place that
    /// closes on them or another session at the place answers 409 `planning_warnings` (send
    /// again with `confirm_warnings`).
    #[oai(path = "/sessions/:id", method = "patch", operation_id = "adminUpdateSession")]
    async fn update_session(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<SessionUpdate>,
    ) -> ApiResult<Json<Session>> {
        let change = service::SessionChange {
            place_id: body.place_id,
            starts_at: body.starts_at.map(|d| d.with_timezone(&Utc)),
            ends_at: body.ends_at.map(|d| d.with_timezone(&Utc)),
            capacity: body.capacity,
            facilitator_id: body.facilitator_id.map(Some),
            registration_closes_at: body.registration_closes_at.map(|d| d.with_timezone(&Utc)),
            desks: body
                .desks
                .clone()
                .map_or(DeskChange::Unchanged, |d| DeskChange::Chosen(Some(d))),
            confirmation: confirmation(body.confirm_warnings),
            seen_version: None,
        };
        let s = service::edit_session(&state, &me, id.0, change).await?;
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
        let rows = queries::registrations(&state.db, s.id).await?;
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
    /// alone is enough; consent is taken orally. With `extra_seat`, a full session takes one
    /// more seat for this person.
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
        let done = if body.extra_seat {
            service::register_with_extra_seat(&state, s.id, contact, body.sms, me.id).await?
        } else {
            service::register(&state, s.id, contact, body.sms, Booker::Staff(me.id)).await?
        };
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

    /// Move one registrant to another session of the same workshop, in one transaction: a
    /// seat taken there (409 `session_full` when none is left), the one here given to the
    /// first in line; the person is told the new time and place.
    #[oai(
        path = "/registrations/:id/move",
        method = "post",
        operation_id = "adminMoveRegistration"
    )]
    async fn move_registration(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<MoveRegistration>,
    ) -> ApiResult<Json<StaffRegistration>> {
        let moved = service::move_registration(&state, &me, id.0, body.session_id).await?;
        Ok(Json(StaffRegistration::new(moved, None, state.settings.timezone)))
    }

    /// Take one registrant off a session with a reason, written in the message to the
    /// person; a freed seat goes to the first in line.
    #[oai(
        path = "/registrations/:id/remove",
        method = "post",
        operation_id = "adminRemoveRegistration"
    )]
    async fn remove_registration(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<RemoveRegistration>,
    ) -> ApiResult<Json<StaffRegistration>> {
        let reason = body.0.reason.trim().to_string();
        if reason.is_empty() {
            return Err(ApiError::invalid(
                "reason",
                "Indiquez le motif : il est écrit dans le message envoyé à la personne.",
            ));
        }
        let r = service::remove_registration(&state, &me, id.0, Some(reason)).await?;
        Ok(Json(StaffRegistration::new(r, None, state.settings.timezone)))
    }

    /// Give a seat to one person of the waiting list, out of turn: a free seat, else 409
    /// `no_seat_left` unless `extra_seat` adds one for them.
    #[oai(
        path = "/registrations/:id/promote",
        method = "post",
        operation_id = "adminPromoteRegistration"
    )]
    async fn promote_registration(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<PromoteRegistration>,
    ) -> ApiResult<Json<StaffRegistration>> {
        let r = service::promote_by_hand(&state, &me, id.0, body.extra_seat).await?;
        Ok(Json(StaffRegistration::new(r, None, state.settings.timezone)))
    }

    /// The sessions of this session's weekly series, not cancelled and not started, from
    /// `from` (a day, in the organisation's time zone) on: what cancelling the series from
    /// that day would cancel.
    #[oai(path = "/sessions/:id/series", method = "get", operation_id = "adminListSeriesFrom")]
    async fn series_from(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
        from: Query<NaiveDate>,
    ) -> ApiResult<Json<Vec<Session>>> {
        let rows = service::series_from(&state, &me, id.0, from.0).await?;
        Ok(Json(queries::decorate(&state.db, rows, state.clock.now()).await?))
    }

    /// Cancel this session's weekly series from `from` on: each session as by
    /// `adminCancelSession`, every registrant told, with the reason.
    #[oai(
        path = "/sessions/:id/series/cancel",
        method = "post",
        operation_id = "adminCancelSeriesFrom"
    )]
    async fn cancel_series_from(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<CancelSeriesFrom>,
    ) -> ApiResult<Json<Vec<Session>>> {
        let reason = body.0.reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        let rows = service::cancel_series_from(&state, &me, id.0, body.0.from, reason).await?;
        Ok(Json(queries::decorate(&state.db, rows, state.clock.now()).await?))
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

impl From<WorkshopInput> for catalogue::WorkshopFields {
    fn from(w: WorkshopInput) -> catalogue::WorkshopFields {
        catalogue::WorkshopFields {
            title: w.title.to_string(),
            summary: w.summary.to_string(),
            description: w.description.to_string(),
            level: w.level.to_string(),
            audience: w.audience.to_string(),
            default_duration_minutes: w.default_duration_minutes,
            default_capacity: w.default_capacity,
            active: w.active,
        }
    }
}
