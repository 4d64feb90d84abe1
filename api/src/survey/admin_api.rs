//! `GET /api/v1/admin/survey/results`: the survey's results for staff.
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};

use super::results::{self, THRESHOLD, parse_month};
use crate::{
    auth::Staff,
    http::error::{ApiError, ApiResult},
    http::tags::ApiTags,
    platform::state::AppState,
};

pub struct AdminSurveyApi;

/// The results of a group of answers, or why they are hidden.
#[derive(Object, Debug)]
pub(crate) struct SurveyResults {
    /// Whether the group has enough answers to be shown; when false, every figure is absent.
    pub shown: bool,
    /// The fewest answers a result is shown for (5).
    pub minimum_answers: u64,
    /// Number of answers.
    #[oai(skip_serializing_if_is_none)]
    pub answers: Option<u64>,
    /// Answers "ça s'est mal passé".
    #[oai(skip_serializing_if_is_none)]
    pub bad: Option<u64>,
    /// Answers "moyennement".
    #[oai(skip_serializing_if_is_none)]
    pub average: Option<u64>,
    /// Answers "ça s'est bien passé".
    #[oai(skip_serializing_if_is_none)]
    pub good: Option<u64>,
    /// Mean clarity mark, from 1 (pas clair du tout) to 5 (très clair), when any was given.
    #[oai(skip_serializing_if_is_none)]
    pub mean_clarity: Option<f64>,
    /// Invitations sent for the same months and group.
    #[oai(skip_serializing_if_is_none)]
    pub invitations: Option<u64>,
    /// Answers divided by invitations sent (0 to 1).
    #[oai(skip_serializing_if_is_none)]
    pub response_rate: Option<f64>,
}

impl From<Option<results::Results>> for SurveyResults {
    fn from(r: Option<results::Results>) -> SurveyResults {
        SurveyResults {
            shown: r.is_some(),
            minimum_answers: THRESHOLD,
            answers: r.as_ref().map(|r| r.answers),
            bad: r.as_ref().map(|r| r.bad),
            average: r.as_ref().map(|r| r.average),
            good: r.as_ref().map(|r| r.good),
            mean_clarity: r.as_ref().and_then(|r| r.mean_clarity),
            invitations: r.as_ref().map(|r| r.invitations),
            response_rate: r.as_ref().and_then(|r| r.response_rate),
        }
    }
}

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminSurvey")]
impl AdminSurveyApi {
    /// The satisfaction survey's results for the months `from` to `to` (`YYYY-MM`, both
    /// included, in the organisation's zone), optionally for one place, workshop or reason.
    /// Hidden (`shown: false`) under five answers.
    #[oai(path = "/survey/results", method = "get", operation_id = "adminSurveyResults")]
    #[allow(clippy::too_many_arguments)]
    async fn survey_results(
        &self,
        state: Data<&AppState>,
        Staff(me): Staff,
        /// First month, `YYYY-MM`.
        from: Query<String>,
        /// Last month, `YYYY-MM`.
        to: Query<String>,
        /// Only this place.
        place_id: Query<Option<i32>>,
        /// Only this workshop.
        workshop_id: Query<Option<i32>>,
        /// Only this appointment reason.
        motif_id: Query<Option<i32>>,
    ) -> ApiResult<Json<SurveyResults>> {
        let from = parse_month(&from.0)
            .ok_or_else(|| ApiError::invalid("from", "Mois invalide : écrivez-le AAAA-MM, par exemple 2027-01."))?;
        let to = parse_month(&to.0)
            .ok_or_else(|| ApiError::invalid("to", "Mois invalide : écrivez-le AAAA-MM, par exemple 2027-03."))?;
        if to < from {
            return Err(ApiError::invalid("to", "Le dernier mois est avant le premier."));
        }
        let r = results::results(
            &state.db,
            me.organisation_id,
            &from,
            &to,
            place_id.0,
            workshop_id.0,
            motif_id.0,
        )
        .await?;
        Ok(Json(r.into()))
    }
}
