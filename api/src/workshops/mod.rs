//! Library workshops: the catalogue, their sessions, registrations and the waiting list.
pub(crate) mod admin_api;
pub(crate) mod catalogue;
pub(crate) mod demand;
pub(crate) mod desks;
pub(crate) mod dto;
pub(crate) mod planning;
pub(crate) mod public_api;
pub(crate) mod queries;
pub mod service;
pub(crate) mod warnings;
