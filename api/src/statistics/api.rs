//! `GET /api/v1/admin/stats`: the console's figures as JSON, same filters, same numbers.
use poem::web::Data;
use poem_openapi::{OpenApi, param::Query, payload::Json};

use super::{RawFilter, Statistics, StatsFilter, compute};
use crate::{
    auth::Staff,
    http::{error::ApiResult, tags::ApiTags},
    platform::state::AppState,
};

pub struct AdminStatsApi;

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminStatistics")]
impl AdminStatsApi {
    /// The programme's figures for a period: bookings, distinct people, attendance and
    /// no-show rates, fill rate of sessions, waiting-list promotions, days to an appointment,
    /// one entry per month. Without dates, this year up to today. A day that does not exist,
    /// a start after the end, a period over three years, or a place, workshop or reason that
    /// is not the organisation's answer 422 with a French message.
    #[oai(path = "/stats", method = "get", operation_id = "adminStatistics")]
    #[allow(clippy::too_many_arguments)] // one parameter per filter, as the spec lists them
    async fn statistics(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        /// First day, `2027-01-31` (or `31/01/2027`), in the organisation's zone.
        from: Query<Option<String>>,
        /// Last day, included.
        to: Query<Option<String>>,
        /// Only this place (its id).
        place: Query<Option<String>>,
        /// Only this workshop's sessions (its id); appointments are then left out.
        workshop: Query<Option<String>>,
        /// Only appointments for this reason (its id); sessions are then left out.
        motif: Query<Option<String>>,
    ) -> ApiResult<Json<Statistics>> {
        let raw = RawFilter {
            from: from.0,
            to: to.0,
            place: place.0,
            workshop: workshop.0,
            motif: motif.0,
        };
        let stats = for_request(&state, me.organisation_id, &raw).await?;
        Ok(Json(stats))
    }
}

/// Parses, checks and computes, as the console and the API both do.
pub(crate) async fn for_request(
    state: &AppState,
    organisation_id: i32,
    raw: &RawFilter,
) -> Result<Statistics, super::FilterError> {
    let tz = state.settings.timezone;
    let now = state.clock.now();
    let filter = StatsFilter::parse(raw, now.with_timezone(&tz).date_naive())?
        .check(&state.db, organisation_id)
        .await?;
    Ok(compute(&state.db, organisation_id, &filter, tz, now).await?)
}
