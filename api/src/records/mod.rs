//! Activity records (comptes rendus d'activité) in the shape La Coop de la médiation
//! numérique asks: each honoured appointment and each session whose attendance is taken
//! yields a draft pre-filled from what Créneau knows ([`drafts`]), which a mediator completes
//! or declines in the console or through the API ([`service`], [`completion`]). The codes
//! and their French labels are in [`codes`]; the counts for the statistics page in [`stats`].
pub(crate) mod admin_api;
pub(crate) mod codes;
pub(crate) mod communes;
pub(crate) mod completion;
pub(crate) mod drafts;
pub(crate) mod dto;
pub(crate) mod queries;
pub(crate) mod service;
pub mod stats;

/// The API structs of this folder, as one group of [`crate::http::openapi::Apis`].
pub(crate) type Apis = admin_api::AdminRecordsApi;

pub(crate) fn apis() -> Apis {
    admin_api::AdminRecordsApi
}
