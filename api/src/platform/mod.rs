//! What every feature stands on: settings, the database connection, the clock and the
//! organisation's time zone, random tokens, logging, the short-lived read cache, and the
//! organisation rows every feature reads.
pub mod clock;
pub mod config;
pub mod db;
pub mod logging;
pub(crate) mod org_scope;
pub(crate) mod organisations;
pub(crate) mod read_cache;
pub mod secret;
pub mod state;
pub(crate) mod templates;
pub(crate) mod time;
pub mod token;
