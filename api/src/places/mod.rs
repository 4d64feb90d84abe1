//! Places: the media library, the digital-mediation points, the association house.
pub(crate) mod api;
pub(crate) mod queries;
pub(crate) mod service;
