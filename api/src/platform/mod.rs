//! What every feature stands on: settings, the database connection, the clock and the
//! organisation's time zone, random tokens, logging, and the short-lived read cache.
pub mod clock;
pub mod config;
pub mod db;
pub mod logging;
pub mod org_scope;
pub mod read_cache;
pub mod state;
pub mod time;
pub mod token;
