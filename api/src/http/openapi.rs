//! The published API: every operation of every resource, as one OpenAPI service. Built
//! without a database, so `creneau openapi` prints the spec anywhere. Each feature folder
//! lists its own API structs; this file only gathers them.
use poem_openapi::OpenApiService;

use crate::{
    auth::api::{AdminStaffApi, AuthApi},
    places::api::{AdminPlacesApi, PlacesApi},
    workshops::{
        admin_api::AdminWorkshopsApi,
        public_api::{RegistrationsApi, WorkshopsApi},
    },
};

type CoreApis = (
    PlacesApi,
    WorkshopsApi,
    RegistrationsApi,
    AuthApi,
    AdminPlacesApi,
    AdminWorkshopsApi,
    AdminStaffApi,
);

fn core_apis() -> CoreApis {
    (
        PlacesApi,
        WorkshopsApi,
        RegistrationsApi,
        AuthApi,
        AdminPlacesApi,
        AdminWorkshopsApi,
        AdminStaffApi,
    )
}

/// One entry per feature folder (tuples nest, poem-openapi takes at most 16 per level).
/// Add a feature's group here and in `service()`; `()` is an empty slot.
pub(crate) type Apis = (
    CoreApis,
    crate::appointments::AppointmentApis,
    crate::notifications::Apis,
    crate::statistics::api::AdminStatsApi,
    crate::records::Apis,
    crate::exports::api::AdminExportsApi,
    crate::survey::admin_api::AdminSurveyApi,
    crate::organisation::api::AdminOrganisationApi,
);

pub fn service() -> OpenApiService<Apis, ()> {
    let apis = (
        core_apis(),
        crate::appointments::apis(),
        crate::notifications::apis(),
        crate::statistics::api::AdminStatsApi,
        crate::records::apis(),
        crate::exports::api::AdminExportsApi,
        crate::survey::admin_api::AdminSurveyApi,
        crate::organisation::api::AdminOrganisationApi,
    );
    OpenApiService::new(apis, "Créneau", env!("CARGO_PKG_VERSION"))
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
