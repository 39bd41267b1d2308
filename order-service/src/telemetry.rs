//! The one log initialiser of every host: `tracing` events to stdout, filtered by `RUST_LOG`
//! (default `info`).

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines, coloured on a terminal (development).
    Text,
    /// One JSON object per line with the current span's fields and no colour codes: what
    /// CloudWatch Logs and other log stores index (Lambda, containers).
    Json,
}

/// Installs the global subscriber. Call once, first thing in a host's `main`; a second call
/// (or a subscriber set elsewhere) leaves the first one in place.
pub fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let installed = match format {
        // Colours only on a terminal: a log file or a pipe gets plain text.
        LogFormat::Text => builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())).try_init(),
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).with_ansi(false).try_init(),
    };
    // Already installed: keep the first subscriber, as documented.
    drop(installed);
}

/// The exit status of a host whose work ended with `result`: success, or the error logged with
/// its message (`Display`, never `Debug`: a start-up error names every setting missing or
/// invalid) and a failure status.
pub fn exit_code<E: std::fmt::Display>(result: Result<(), E>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "failed");
            std::process::ExitCode::FAILURE
        }
    }
}
