//! The shutdown signal of the long-running hosts (feature `http`).

use tracing::{info, warn};

/// Completes on SIGTERM (what container platforms send) or SIGINT (Ctrl-C), logging which.
pub async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => info!("SIGINT received"),
                }
                return;
            }
            Err(error) => warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops this process"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    info!("SIGINT received");
}
