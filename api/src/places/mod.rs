//! Places: the media library, the digital-mediation points, the association house.
pub mod api;
