//! End-to-end tests: the real application over HTTP, on SQLite and on PostgreSQL.
mod helpers;
mod openapi_sync;
mod workshops;
mod workshops_staff;
