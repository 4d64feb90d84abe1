//! The staff side of appointments: a place's agenda, free slots without the online limits,
//! booking on a resident's behalf, moving, cancelling and recording whether they came.
//! Coordinators and admins change; facilitators read. Rows of another organisation are 404.
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use entities::{appointment, place};
use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, param::Path, param::Query, payload::Json};

use super::{
    dto::{
        Agenda, Outcome, OutcomeInput, SlotList, StaffAppointment, StaffAppointmentRequest, StaffCancel,
        StaffRescheduleRequest,
    },
    public_api::{free_texts, slot_range},
    queries::{self, organisation_tz},
    service::{self, Booker, NewAppointment},
};
use crate::{
    auth::{Manager, Staff, StaffIdentity},
    domain::contact::Contact,
    http::error::{ApiError, ApiResult, OrNotFound, bounded_date},
    http::tags::ApiTags,
    places::queries::PLACE_NOT_FOUND,
    platform::org_scope::find_in_org,
    platform::state::AppState,
    platform::time::local,
};

pub struct AdminAppointmentsApi;

#[derive(ApiResponse)]
pub(crate) enum StaffBooked {
    /// Booked; the resident is told by e-mail when they gave one.
    #[oai(status = 201)]
    Created(Json<StaffAppointment>),
}

/// The longest agenda in one call.
pub(crate) const MAX_AGENDA_DAYS: u32 = 7;

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminAppointments")]
impl AdminAppointmentsApi {
    /// A place's agenda for one to seven days from `date`: each day's openings, closures and
    /// appointments (resident, contact, reason, note, accessibility needs, status, desk).
    #[oai(path = "/places/:id/agenda", method = "get", operation_id = "adminAgenda")]
    async fn agenda(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
        /// First day, `YYYY-MM-DD` (default today).
        date: Query<Option<NaiveDate>>,
        /// Number of days, 1 to 7 (default 1).
        days: Query<Option<u32>>,
        /// Also list cancelled appointments (default false).
        include_cancelled: Query<Option<bool>>,
    ) -> ApiResult<Json<Agenda>> {
        let p = find_in_org::<place::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(PLACE_NOT_FOUND)?;
        let days = days.0.unwrap_or(1);
        if !(1..=MAX_AGENDA_DAYS).contains(&days) {
            return Err(ApiError::invalid("days", "Un agenda couvre de 1 à 7 jours."));
        }
        let tz = organisation_tz(&state.db, p.organisation_id).await?;
        let first = bounded_date("date", date.0)?.unwrap_or_else(|| state.clock.now().with_timezone(&tz).date_naive());
        let agenda = queries::agenda(&state.db, &p, tz, first, days, include_cancelled.0.unwrap_or(false)).await?;
        Ok(Json(agenda))
    }

    /// Free slots for any reason the place offers (staff-only ones included), without the
    /// minimum notice and horizon of online bookings. `from` defaults to now and `to` to 28
    /// days after `from`; the range is at most 62 days.
    #[oai(path = "/places/:id/slots", method = "get", operation_id = "adminListSlots")]
    async fn slots(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        id: Path<i32>,
        /// The reason (its duration sets the slots).
        motif: Query<i32>,
        /// Slots starting at or after this instant (RFC 3339).
        from: Query<Option<DateTime<FixedOffset>>>,
        /// Slots ending at or before this instant (RFC 3339).
        to: Query<Option<DateTime<FixedOffset>>>,
    ) -> ApiResult<Json<SlotList>> {
        let p = find_in_org::<place::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(PLACE_NOT_FOUND)?;
        let now = state.clock.now();
        let (from, to) = slot_range(from.0, to.0, now)?;
        let by = staff_booker(&me, false);
        let m = service::offered_motif(&state.db, &p, motif.0, by).await?;
        let tz = organisation_tz(&state.db, p.organisation_id).await?;
        let slots = queries::free_slots(&state.db, &p, tz, &m, None, now, from, to).await?;
        Ok(Json(SlotList {
            place_id: p.id,
            motif_id: m.id,
            duration_minutes: m.duration_minutes,
            from: local(tz, from),
            to: local(tz, to),
            slots: slots.into_iter().map(|s| queries::free_slot_view(s, tz)).collect(),
        }))
    }

    /// Book on a resident's behalf (at the counter, on the phone): a phone number alone is
    /// enough; staff-only reasons allowed; no minimum notice or horizon, but the slot must
    /// not be over and a desk must be free. `override_fair_use` lifts the per-person limit.
    #[oai(
        path = "/places/:id/appointments",
        method = "post",
        operation_id = "adminBookAppointment"
    )]
    async fn book(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<StaffAppointmentRequest>,
    ) -> ApiResult<StaffBooked> {
        let p = find_in_org::<place::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found(PLACE_NOT_FOUND)?;
        let contact = Contact::parse(&body.name, body.email.as_deref(), body.phone.as_deref())?;
        let (note, accessibility_needs) = free_texts(body.note.as_deref(), body.accessibility_needs.as_deref())?;
        let request = NewAppointment {
            place_id: p.id,
            motif_id: body.motif,
            starts_at: body.start.with_timezone(&Utc),
            contact,
            note,
            accessibility_needs,
            sms: body.sms,
        };
        let done = service::book(&state, request, staff_booker(&me, body.override_fair_use)).await?;
        Ok(StaffBooked::Created(Json(
            queries::staff_appointment(&state.db, done.appointment).await?,
        )))
    }

    /// One appointment.
    #[oai(path = "/appointments/:id", method = "get", operation_id = "adminGetAppointment")]
    async fn get(&self, state: Data<&AppState>, Staff(me): Staff, id: Path<i32>) -> ApiResult<Json<StaffAppointment>> {
        let a = find_in_org::<appointment::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found("Ce rendez-vous n\'existe pas.")?;
        Ok(Json(queries::staff_appointment(&state.db, a).await?))
    }

    /// Move an appointment (and possibly change its reason). The new slot is secured before
    /// the old one is released; a failed move changes nothing. The resident gets an
    /// updated invite.
    #[oai(
        path = "/appointments/:id",
        method = "patch",
        operation_id = "adminRescheduleAppointment"
    )]
    async fn reschedule(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<StaffRescheduleRequest>,
    ) -> ApiResult<Json<StaffAppointment>> {
        let a = find_in_org::<appointment::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found("Ce rendez-vous n\'existe pas.")?;
        let moved = service::reschedule(
            &state,
            a.id,
            body.start.with_timezone(&Utc),
            body.motif,
            staff_booker(&me, false),
            None,
        )
        .await?;
        Ok(Json(queries::staff_appointment(&state.db, moved).await?))
    }

    /// Cancel an appointment on the resident's behalf, with a reason told to them.
    #[oai(
        path = "/appointments/:id/cancel",
        method = "post",
        operation_id = "adminCancelAppointment"
    )]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<StaffCancel>,
    ) -> ApiResult<Json<StaffAppointment>> {
        let a = find_in_org::<appointment::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found("Ce rendez-vous n\'existe pas.")?;
        let reason = body.0.reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        let cancelled = service::cancel(&state, a.id, staff_booker(&me, false), reason, None).await?;
        Ok(Json(queries::staff_appointment(&state.db, cancelled).await?))
    }

    /// Record whether the resident came: `honoured`, `no_show` or `excused` (absent but
    /// warned). From the start of the appointment on; may be corrected.
    #[oai(
        path = "/appointments/:id/outcome",
        method = "put",
        operation_id = "adminMarkAppointment"
    )]
    async fn mark(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<OutcomeInput>,
    ) -> ApiResult<Json<StaffAppointment>> {
        let a = find_in_org::<appointment::Entity, _>(&state.db, me.organisation_id, id.0)
            .await?
            .or_not_found("Ce rendez-vous n\'existe pas.")?;
        let outcome = match body.outcome {
            Outcome::Honoured => service::Outcome::Honoured,
            Outcome::NoShow => service::Outcome::NoShow,
            Outcome::Excused => service::Outcome::Excused,
        };
        let marked = service::mark(&state, a.id, outcome).await?;
        Ok(Json(queries::staff_appointment(&state.db, marked).await?))
    }
}

fn staff_booker(me: &StaffIdentity, override_fair_use: bool) -> Booker {
    Booker::Staff {
        staff_id: me.id,
        override_fair_use,
    }
}
