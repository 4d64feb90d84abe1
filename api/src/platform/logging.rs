//! Structured logs: human-readable by default, JSON with CRENEAU_LOG_FORMAT=json. The level
//! comes from CRENEAU_LOG, else RUST_LOG, else `info`; colours only on a terminal, so a log
//! file holds plain text.
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init(json: bool) {
    let filter = EnvFilter::try_from_env("CRENEAU_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal());
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
