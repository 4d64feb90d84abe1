//! Library workshops: the catalogue, their sessions, registrations and the waiting list.
pub mod admin_api;
pub mod dto;
pub mod planning;
pub mod public_api;
pub mod queries;
pub mod service;
