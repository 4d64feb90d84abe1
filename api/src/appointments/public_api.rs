//! The resident side of appointments: reasons, opening hours, free slots, booking, and the
//! booking's own page reached with its manage token. No account needed.
use chrono::{DateTime, Duration, FixedOffset, SubsecRound, Utc};
use entities::place;
use poem::web::Data;
use poem_openapi::{ApiResponse, OpenApi, param::Path, param::Query, payload::Json};

use super::{
    dto::{AppointmentCreated, AppointmentRequest, AppointmentView, Motif, OpeningHours, RescheduleRequest, SlotList},
    queries::{self, organisation_tz},
    service::{self, Booker, NewAppointment},
};
use crate::{
    domain::contact::{Contact, free_text},
    http::error::{ApiError, ApiResult, bounded_instant},
    http::tags::ApiTags,
    notifications::payload::BookingKind,
    platform::state::AppState,
    workshops::public_api::manage_url,
};

/// Slots listed by default: four weeks from `from`.
pub(crate) const DEFAULT_SLOT_RANGE_DAYS: i64 = 28;
/// The longest range one slot listing may cover.
pub(crate) const MAX_SLOT_RANGE_DAYS: i64 = 62;

pub struct AppointmentsApi;

#[derive(ApiResponse)]
pub(crate) enum BookResponse {
    /// Booked: the desk is held, the confirmation is on its way (by e-mail when one was given).
    #[oai(status = 201)]
    Created(Json<AppointmentCreated>),
}

/// An active place, or 404.
async fn public_place(state: &AppState, id: i32) -> ApiResult<place::Model> {
    crate::places::queries::active_by_id(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Ce lieu n'existe pas."))
}

/// `[from, to)` of a slot listing: `from` defaults to now, `to` to 28 days after `from`;
/// at most 62 days.
pub(crate) fn slot_range(
    from: Option<DateTime<FixedOffset>>,
    to: Option<DateTime<FixedOffset>>,
    now: DateTime<Utc>,
) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let from = bounded_instant("from", from)?;
    let to = bounded_instant("to", to)?;
    // Whole seconds, as every stored instant (see `Clock::now`).
    let from = from.map_or(now, |d| d.with_timezone(&Utc).trunc_subsecs(0));
    let to = to.map_or(from + Duration::days(DEFAULT_SLOT_RANGE_DAYS), |d| {
        d.with_timezone(&Utc).trunc_subsecs(0)
    });
    if to <= from {
        return Err(ApiError::invalid("to", "La date de fin doit suivre la date de début."));
    }
    if to - from > Duration::days(MAX_SLOT_RANGE_DAYS) {
        return Err(ApiError::invalid("to", "La période demandée couvre 62 jours au plus."));
    }
    Ok((from, to))
}

/// A note and accessibility needs, trimmed and bounded.
pub(crate) fn free_texts(note: Option<&str>, needs: Option<&str>) -> ApiResult<(Option<String>, Option<String>)> {
    let note = free_text(note, 1000).map_err(|e| ApiError::invalid("note", &e.to_string()))?;
    let needs = free_text(needs, 500).map_err(|e| ApiError::invalid("accessibility_needs", &e.to_string()))?;
    Ok((note, needs))
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Appointments")]
impl AppointmentsApi {
    /// Reasons residents can book online, in display order, each with the places offering
    /// it. With `place`, only the reasons that place offers.
    #[oai(path = "/motifs", method = "get", operation_id = "listMotifs")]
    async fn list_motifs(
        &self,
        state: Data<&AppState>,
        /// Only reasons offered at this place.
        place: Query<Option<i32>>,
    ) -> ApiResult<Json<Vec<Motif>>> {
        Ok(Json(queries::online_motifs(&state.db, place.0).await?))
    }

    /// Reasons a place offers online.
    #[oai(path = "/places/:id/motifs", method = "get", operation_id = "listPlaceMotifs")]
    async fn list_place_motifs(&self, state: Data<&AppState>, id: Path<i32>) -> ApiResult<Json<Vec<Motif>>> {
        let p = public_place(&state, id.0).await?;
        Ok(Json(queries::online_motifs(&state.db, Some(p.id)).await?))
    }

    /// A place's opening hours: weekly rules in force, and the extra openings, closures and
    /// public holidays of the next 90 days.
    #[oai(path = "/places/:id/opening-hours", method = "get", operation_id = "getOpeningHours")]
    async fn opening_hours(&self, state: Data<&AppState>, id: Path<i32>) -> ApiResult<Json<OpeningHours>> {
        let p = public_place(&state, id.0).await?;
        let tz = organisation_tz(&state.db, p.organisation_id).await?;
        Ok(Json(
            queries::opening_hours(&state.db, &p, tz, state.clock.now()).await?,
        ))
    }

    /// Free slots for a reason at a place, soonest first, each with the number of desks
    /// still free. Only slots within the reason's minimum notice and horizon are listed.
    /// `from` defaults to now and `to` to 28 days after `from`; the range is at most 62 days.
    #[oai(path = "/places/:id/slots", method = "get", operation_id = "listSlots")]
    async fn slots(
        &self,
        state: Data<&AppState>,
        id: Path<i32>,
        /// The reason (its duration sets the slots).
        motif: Query<i32>,
        /// Slots starting at or after this instant (RFC 3339).
        from: Query<Option<DateTime<FixedOffset>>>,
        /// Slots ending at or before this instant (RFC 3339).
        to: Query<Option<DateTime<FixedOffset>>>,
    ) -> ApiResult<Json<SlotList>> {
        let now = state.clock.now();
        let (from, to) = slot_range(from.0, to.0, now)?;
        let p = public_place(&state, id.0).await?;
        let m = service::offered_motif(&state.db, &p, motif.0, Booker::Resident).await?;
        let tz = organisation_tz(&state.db, p.organisation_id).await?;
        let window = service::window(&m, Booker::Resident);
        let slots = queries::free_slots(&state.db, &p, tz, &m, window.as_ref(), now, from, to).await?;
        Ok(Json(SlotList {
            place_id: p.id,
            motif_id: m.id,
            duration_minutes: m.duration_minutes,
            from: crate::platform::time::local(tz, from),
            to: crate::platform::time::local(tz, to),
            slots: slots.into_iter().map(|s| queries::free_slot_view(s, tz)).collect(),
        }))
    }

    /// Book a slot. Either an e-mail or a phone number is needed. One person (same e-mail or
    /// same phone) holds at most the organisation's maximum of upcoming appointments.
    /// 409 `slot_taken` when the slot was just taken; 422 `off_grid`, `outside_window`,
    /// `closed` or `motif_not_offered` when it cannot be booked.
    #[oai(path = "/places/:id/appointments", method = "post", operation_id = "bookAppointment")]
    async fn book(
        &self,
        state: Data<&AppState>,
        id: Path<i32>,
        body: Json<AppointmentRequest>,
    ) -> ApiResult<BookResponse> {
        let contact = Contact::parse(&body.name, body.email.as_deref(), body.phone.as_deref())?;
        let (note, accessibility_needs) = free_texts(body.note.as_deref(), body.accessibility_needs.as_deref())?;
        let request = NewAppointment {
            place_id: id.0,
            motif_id: body.motif,
            starts_at: body.start.with_timezone(&Utc),
            contact,
            note,
            accessibility_needs,
            sms: body.sms,
        };
        let done = service::book(&state, request, Booker::Resident).await;
        crate::http::metrics::appointment(&done, |e| matches!(e, service::AppointmentError::SlotTaken));
        let done = done?;
        let view = queries::appointment_view(&state.db, done.appointment, state.clock.now()).await?;
        Ok(BookResponse::Created(Json(AppointmentCreated {
            id: view.id,
            manage_url: manage_url(&state, BookingKind::Appointment, &done.manage_token),
            manage_token: done.manage_token,
            appointment: view,
        })))
    }

    /// An appointment, seen by the holder of its manage token.
    #[oai(path = "/appointments/:token", method = "get", operation_id = "getAppointment")]
    async fn get(&self, state: Data<&AppState>, token: Path<String>) -> ApiResult<Json<AppointmentView>> {
        let a = service::find_by_token(&state.db, &token.0).await?;
        Ok(Json(queries::appointment_view(&state.db, a, state.clock.now()).await?))
    }

    /// Cancel an appointment (until it starts). The desk is free again at once.
    #[oai(path = "/appointments/:token", method = "delete", operation_id = "cancelAppointment")]
    async fn cancel(&self, state: Data<&AppState>, token: Path<String>) -> ApiResult<Json<AppointmentView>> {
        let a = service::find_by_token(&state.db, &token.0).await?;
        let cancelled = service::cancel(&state, a.id, Booker::Resident, None, Some(&token.0)).await?;
        Ok(Json(
            queries::appointment_view(&state.db, cancelled, state.clock.now()).await?,
        ))
    }

    /// Move an appointment to another free slot of the same reason and place (until it
    /// starts). The new slot is secured before the old one is released: if the move fails,
    /// the appointment stays as it was.
    #[oai(
        path = "/appointments/:token",
        method = "patch",
        operation_id = "rescheduleAppointment"
    )]
    async fn reschedule(
        &self,
        state: Data<&AppState>,
        token: Path<String>,
        body: Json<RescheduleRequest>,
    ) -> ApiResult<Json<AppointmentView>> {
        let a = service::find_by_token(&state.db, &token.0).await?;
        let moved = service::reschedule(
            &state,
            a.id,
            body.start.with_timezone(&Utc),
            None,
            Booker::Resident,
            Some(&token.0),
        )
        .await?;
        Ok(Json(
            queries::appointment_view(&state.db, moved, state.clock.now()).await?,
        ))
    }
}
