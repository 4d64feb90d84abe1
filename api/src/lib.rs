//! Créneau: workshops and appointments for a town's digital-inclusion programme.
//!
//! Features live in folders named for them (`workshops/`, `appointments/`, `notifications/`,
//! `pages/`, `auth/`, `places/`, `calls/`); pure rules in `domain/`; the HTTP edge in `http/`; what every
//! feature stands on (configuration, database, clock, tokens, logs) in `platform/`.
pub mod appointments;
pub mod auth;
pub mod bookings;
pub mod calls;
pub mod demo;
pub mod domain;
pub mod exports;
pub mod french;
pub mod http;
pub mod notifications;
pub mod pages;
pub mod places;
pub mod platform;
pub mod records;
pub mod retention;
pub mod statistics;
pub mod survey;
pub mod workshops;
