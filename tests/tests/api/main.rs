//! End-to-end tests: the real application over HTTP, on SQLite and on PostgreSQL.
mod access_matrix;
mod appointments;
mod appointments_race;
mod appointments_staff;
mod helpers;
mod limits;
mod logs;
mod notifications;
mod notifications_delivery;
mod notifications_feeds;
mod notifications_support;
mod openapi_sync;
mod pages;
mod provisioning;
mod read_cache;
mod workshops;
mod workshops_staff;
