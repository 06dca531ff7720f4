//! One shutdown token for every long-running role.
//!
//! The first SIGTERM or Ctrl-C cancels the token: every loop that checks it
//! finishes its unit of work (a batch, a request) and returns, and the process
//! exits 0. A second signal exits at once with status 130, for an operator who
//! does not want to wait.

use tokio_util::sync::CancellationToken;

/// Install the signal handlers now (so a signal that arrives before the first
/// await is not lost) and return the token the first signal cancels.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let mut signals = Signals::install();
    let cancel = token.clone();
    tokio::spawn(async move {
        signals.next().await;
        tracing::info!("shutting down; a second signal exits at once");
        cancel.cancel();
        signals.next().await;
        tracing::warn!("second signal: exiting without finishing the work in progress");
        std::process::exit(130);
    });
    token
}

struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Signals {
        #[cfg(unix)]
        {
            let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(|e| tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only"))
                .ok();
            Signals { term }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The next SIGTERM or Ctrl-C.
    async fn next(&mut self) {
        let ctrl_c = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await
            }
        };
        #[cfg(unix)]
        let term = async {
            match self.term.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    }
}
