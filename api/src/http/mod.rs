//! The HTTP edge: the application's start-up and routes, the OpenAPI description, the one
//! mapping of errors to answers, and the middleware every request goes through.
pub(crate) mod access_log;
pub(crate) mod admission;
pub(crate) mod allow;
pub(crate) mod deadline;
pub(crate) mod error;
pub(crate) mod headers;
pub(crate) mod limits;
pub(crate) mod metrics;
pub mod openapi;
pub mod startup;
pub(crate) mod tags;
