//! Appointments at a digital-mediation point: opening hours, reasons, free slots and
//! bookings that can never overlap on a desk.
//!
//! The slot rules themselves are pure ([`crate::domain::slots`]); this folder loads a
//! place's schedule ([`schedule`]), runs the booking transactions ([`service`]) and exposes
//! them to residents ([`public_api`]) and staff ([`admin_api`], [`admin_schedule_api`]).
//!
//! No double booking, whatever the races: an appointment inserts one
//! `appointment_claim` row per 15-minute cell it covers on its desk, and a unique index on
//! (place, desk, cell) lets only one of two overlapping bookings commit, on SQLite and on
//! PostgreSQL alike; a workshop session taking desks and a booking on them wait for each
//! other on the place's lock ([`desk_lock`]).
pub(crate) mod admin_api;
pub(crate) mod admin_schedule_api;
pub(crate) mod desk_lock;
pub(crate) mod dto;
pub(crate) mod public_api;
pub(crate) mod queries;
pub(crate) mod rules;
pub(crate) mod schedule;
pub(crate) mod schedule_admin;
pub(crate) mod service;
pub(crate) mod walk_in;

/// The API structs of this folder, as one group of [`crate::http::openapi::Apis`].
pub(crate) type AppointmentApis = (
    public_api::AppointmentsApi,
    admin_api::AdminAppointmentsApi,
    admin_schedule_api::AdminScheduleApi,
);

pub(crate) fn apis() -> AppointmentApis {
    (
        public_api::AppointmentsApi,
        admin_api::AdminAppointmentsApi,
        admin_schedule_api::AdminScheduleApi,
    )
}
