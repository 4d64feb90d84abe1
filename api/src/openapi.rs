//! The published API: every operation of every resource, as one OpenAPI service. Built
//! without a database, so `creneau openapi` prints the spec anywhere.
use poem_openapi::OpenApiService;

use crate::{
    auth::api::{AdminStaffApi, AuthApi},
    places::api::{AdminPlacesApi, PlacesApi},
    workshops::{
        admin_api::AdminWorkshopsApi,
        public_api::{RegistrationsApi, WorkshopsApi},
    },
};

pub type Apis = (
    PlacesApi,
    WorkshopsApi,
    RegistrationsApi,
    AuthApi,
    AdminPlacesApi,
    AdminWorkshopsApi,
    AdminStaffApi,
);

pub fn service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            PlacesApi,
            WorkshopsApi,
            RegistrationsApi,
            AuthApi,
            AdminPlacesApi,
            AdminWorkshopsApi,
            AdminStaffApi,
        ),
        "Créneau",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Ateliers numériques et rendez-vous de médiation numérique pour les communes : \
         séances, inscriptions avec liste d'attente, créneaux des points de médiation, \
         invitations iCalendar et rappels par e-mail.",
    )
    .license("AGPL-3.0-or-later")
}

/// The spec as committed in `openapi.yaml`.
pub fn spec_yaml() -> String {
    service().spec_yaml()
}
