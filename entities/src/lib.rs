//! sea-orm entities, one module per table. Request and response types live in the api
//! crate: these are storage shapes only.

pub mod appointment;
pub mod appointment_claim;
pub mod closure;
pub mod extra_opening;
pub mod feed_token;
pub mod motif;
pub mod opening_rule;
pub mod organisation;
pub mod outbox;
pub mod place;
pub mod place_motif;
pub mod registration;
pub mod session;
pub mod staff_member;
pub mod staff_token;
pub mod workshop;
