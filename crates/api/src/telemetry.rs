//! Logging: tracing to stdout, one line per event. `pretty` (development)
//! is human-readable, coloured on a terminal; `json` (production) is one
//! JSON object per line. Either way a request's lines carry the fields of
//! its `request` span (request id, method, path), set by the envelope
//! middleware.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber (`RUST_LOG` wins over `log.level`).
/// Does nothing when one is installed already.
pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _already_installed = match settings.format {
        LogFormat::Pretty => builder
            .with_ansi(std::io::stdout().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
