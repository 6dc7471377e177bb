//! Structured logs through `tracing`: human text by default, JSON lines for log collectors.
use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

/// The portal and workers log at `info`; `RUST_LOG` overrides.
pub const SERVICE_LEVEL: &str = "info";
/// `fountain copy` keeps the terminal for its progress and summary: warnings only (the journal's
/// schema migrations and the engine's info lines show with `RUST_LOG=debug`).
pub const TERMINAL_LEVEL: &str = "warn";

/// `RUST_LOG` sets the level (default `default_level`).
pub fn init(format: LogFormat, default_level: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// A short id that ties what people read to the log line with the details.
pub fn reference() -> String {
    format!("{:08x}", rand::random::<u32>())
}
