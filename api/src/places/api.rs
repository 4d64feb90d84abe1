pub(crate) use entities::kinds::PlaceKind;
use entities::place;
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};

use super::{
    queries,
    service::{self, PlaceFields},
};
use crate::{
    auth::{Manager, Staff},
    http::error::{ApiError, ApiResult},
    http::tags::ApiTags,
    platform::state::AppState,
};

#[derive(Object, Debug, Clone)]
pub(crate) struct Place {
    pub id: i32,
    pub name: String,
    pub kind: PlaceKind,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    #[oai(skip_serializing_if_is_none)]
    pub public_phone: Option<String>,
    /// e.g. "Ordinateur, imprimante, scanner".
    #[oai(skip_serializing_if_is_none)]
    pub equipment: Option<String>,
    /// How to get in: step-free access, bus line, floor.
    #[oai(skip_serializing_if_is_none)]
    pub access_notes: Option<String>,
    /// Appointments that can run at the same time (mediation points).
    pub desks: i32,
    pub close_on_public_holidays: bool,
    pub active: bool,
}

impl From<place::Model> for Place {
    fn from(p: place::Model) -> Place {
        Place {
            id: p.id,
            name: p.name,
            kind: p.kind,
            address: p.address,
            postal_code: p.postal_code,
            city: p.city,
            public_phone: p.public_phone,
            equipment: p.equipment,
            access_notes: p.access_notes,
            desks: p.desks,
            close_on_public_holidays: p.close_on_public_holidays,
            active: p.active,
        }
    }
}

#[derive(Object, Debug, Clone)]
pub(crate) struct PlaceInput {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: crate::domain::text::Line,
    pub kind: PlaceKind,
    #[oai(validator(min_length = 1, max_length = 300))]
    pub address: crate::domain::text::Line,
    #[oai(validator(min_length = 1, max_length = 10))]
    pub postal_code: crate::domain::text::Line,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub city: crate::domain::text::Line,
    #[oai(validator(max_length = 40))]
    pub public_phone: Option<crate::domain::text::Line>,
    #[oai(validator(max_length = 1000))]
    pub equipment: Option<crate::domain::text::Lines>,
    #[oai(validator(max_length = 2000))]
    pub access_notes: Option<crate::domain::text::Lines>,
    #[oai(default = "one", validator(minimum(value = "1"), maximum(value = "20")))]
    pub desks: i32,
    #[oai(default = "yes")]
    pub close_on_public_holidays: bool,
    #[oai(default = "yes")]
    pub active: bool,
}

fn one() -> i32 {
    1
}
fn yes() -> bool {
    true
}

pub struct PlacesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Places")]
impl PlacesApi {
    /// Every open place, by name.
    #[oai(path = "/places", method = "get", operation_id = "listPlaces")]
    async fn list(&self, state: Data<&AppState>) -> ApiResult<Json<Vec<Place>>> {
        let rows = queries::active(&state.db).await?;
        Ok(Json(rows.into_iter().map(Place::from).collect()))
    }

    /// One place.
    #[oai(path = "/places/:id", method = "get", operation_id = "getPlace")]
    async fn get(&self, state: Data<&AppState>, id: Path<i32>) -> ApiResult<Json<Place>> {
        queries::active_by_id(&state.db, id.0)
            .await?
            .map(|p| Json(p.into()))
            .ok_or_else(|| ApiError::not_found(PLACE_NOT_FOUND))
    }
}

pub struct AdminPlacesApi;

#[derive(ApiResponse)]
pub(crate) enum PlaceCreated {
    #[oai(status = 201)]
    Created(Json<Place>),
}

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::AdminWorkshops")]
impl AdminPlacesApi {
    /// The organisation's places, closed ones included.
    #[oai(path = "/places", method = "get", operation_id = "adminListPlaces")]
    async fn list(&self, state: Data<&AppState>, Staff(me): Staff) -> ApiResult<Json<Vec<Place>>> {
        let rows = queries::of_organisation(&state.db, me.organisation_id, false).await?;
        Ok(Json(rows.into_iter().map(Place::from).collect()))
    }

    /// Add a place (coordinator or admin).
    #[oai(path = "/places", method = "post", operation_id = "adminCreatePlace")]
    async fn create(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        body: Json<PlaceInput>,
    ) -> ApiResult<PlaceCreated> {
        let created = service::create(&state, me.organisation_id, &body.0.into()).await?;
        Ok(PlaceCreated::Created(Json(created.into())))
    }

    /// Change a place (coordinator or admin).
    #[oai(path = "/places/:id", method = "put", operation_id = "adminUpdatePlace")]
    async fn update(
        &self,
        state: Data<&AppState>,
        Manager(me): Manager,
        id: Path<i32>,
        body: Json<PlaceInput>,
    ) -> ApiResult<Json<Place>> {
        let updated = service::update(&state, me.organisation_id, id.0, &body.0.into()).await?;
        Ok(Json(updated.into()))
    }
}

pub(crate) use super::queries::PLACE_NOT_FOUND;

impl From<PlaceInput> for PlaceFields {
    fn from(p: PlaceInput) -> PlaceFields {
        PlaceFields {
            name: p.name.to_string(),
            kind: p.kind,
            address: p.address.to_string(),
            postal_code: p.postal_code.to_string(),
            city: p.city.to_string(),
            public_phone: p.public_phone.map(|v| v.to_string()),
            equipment: p.equipment.map(|v| v.to_string()),
            access_notes: p.access_notes.map(|v| v.to_string()),
            desks: p.desks,
            close_on_public_holidays: p.close_on_public_holidays,
            active: p.active,
        }
    }
}
