//! The HTTP edge: the application's start-up and routes, the OpenAPI description, the one
//! mapping of errors to answers, and the middleware every request goes through.
pub mod access_log;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod startup;
pub mod tags;
