//! `GET/PUT /api/v1/admin/organisation`: the caller's organisation's settings. Coordinators
//! and admins read them (coordinators see the month's SMS use); only admins change them, as
//! they decide what the town pays and how it signs its messages.
use poem::web::Data;
use poem_openapi::{Object, OpenApi, payload::Json};

use super::settings::{self, Settings, SettingsFields};
use crate::{
    auth::{Admin, Manager},
    http::error::{ApiError, ApiResult},
    http::tags::ApiTags,
    platform::state::AppState,
};

crate::domain::refusal::map_domain_errors!(ApiError: settings::SettingsError);

/// The organisation's settings and the month's use of SMS.
#[derive(Object, Debug, Clone)]
pub(crate) struct OrganisationSettings {
    pub id: i32,
    pub name: String,
    /// Where residents may write: the invitations' organizer and the messages' Reply-To.
    pub contact_email: String,
    /// Given in messages and SMS when a place has no phone of its own.
    #[oai(skip_serializing_if_is_none)]
    pub contact_phone: Option<String>,
    /// The name SMS come from (1 to 11 letters or digits); when never set, the letters of
    /// the organisation's name.
    pub sms_sender: String,
    /// The most SMS segments sent in a calendar month of the organisation's zone; absent: no
    /// limit.
    #[oai(skip_serializing_if_is_none)]
    pub sms_monthly_budget: Option<i32>,
    /// The current month in the organisation's zone, e.g. `2027-01`.
    pub sms_month: String,
    /// Segments handed to the SMS gateway this month.
    pub sms_segments_this_month: i32,
    /// Whether SMS are stopped until the next month (the budget is reached).
    pub sms_budget_reached: bool,
}

impl From<Settings> for OrganisationSettings {
    fn from(s: Settings) -> OrganisationSettings {
        OrganisationSettings {
            id: s.organisation.id,
            name: s.organisation.name,
            contact_email: s.organisation.contact_email,
            contact_phone: s.organisation.contact_phone,
            sms_sender: s.sms_sender,
            sms_monthly_budget: s.organisation.sms_monthly_budget,
            sms_month: s.usage.month.key(),
            sms_segments_this_month: s.usage.used,
            sms_budget_reached: s.usage.reached(),
        }
    }
}

/// The settings to save (every field; checked with French messages, 422 on a bad value).
#[derive(Object, Debug, Clone)]
pub(crate) struct OrganisationSettingsInput {
    /// 1 to 200 characters.
    pub name: String,
    pub contact_email: String,
    /// A French number, or a foreign one in `+` form; absent or empty: none.
    pub contact_phone: Option<String>,
    /// 1 to 11 ASCII letters or digits: no accent, space or sign.
    pub sms_sender: String,
    /// Segments a month, 0 to 10,000,000; absent or null: no limit.
    pub sms_monthly_budget: Option<i32>,
}

impl From<OrganisationSettingsInput> for SettingsFields {
    fn from(i: OrganisationSettingsInput) -> SettingsFields {
        SettingsFields {
            name: i.name,
            contact_email: i.contact_email,
            contact_phone: i.contact_phone,
            sms_sender: i.sms_sender,
            sms_monthly_budget: i.sms_monthly_budget,
        }
    }
}

pub struct AdminOrganisationApi;

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminOrganisation")]
impl AdminOrganisationApi {
    /// The organisation's settings and this month's SMS use (coordinator or admin).
    #[oai(path = "/organisation", method = "get", operation_id = "adminGetOrganisation")]
    async fn get(&self, state: Data<&AppState>, Manager(me): Manager) -> ApiResult<Json<OrganisationSettings>> {
        Ok(Json(settings::load(&state, me.organisation_id).await?.into()))
    }

    /// Change the organisation's settings (admin).
    #[oai(path = "/organisation", method = "put", operation_id = "adminUpdateOrganisation")]
    async fn update(
        &self,
        state: Data<&AppState>,
        Admin(me): Admin,
        body: Json<OrganisationSettingsInput>,
    ) -> ApiResult<Json<OrganisationSettings>> {
        let saved = settings::update(&state, me.organisation_id, &body.0.into()).await?;
        Ok(Json(saved.into()))
    }
}
