//! `caseflow run` (projection + API) and `caseflow serve` (API only).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use caseflow_api::{router, AppState};
use tokio::sync::Notify;

use crate::cli::{AlertLoopArgs, Global, RunArgs};
use crate::ingest::open;

pub async fn run(g: &Global, a: &RunArgs, with_projector: bool) -> anyhow::Result<()> {
    let store = open(g).await?;
    let appended = Arc::new(Notify::new());
    let shutdown = Arc::new(Notify::new());

    let projector = with_projector.then(|| {
        let (store, appended, shutdown, batch) = (
            store.clone(),
            appended.clone(),
            shutdown.clone(),
            g.batch_size,
        );
        tokio::spawn(async move {
            loop {
                match store.project_pending(batch).await {
                    Ok(r) if r.events > 0 => {
                        tracing::info!(events = r.events, keys = r.keys, "projected")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "projection failed; retrying"),
                }
                tokio::select! {
                    _ = appended.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.notified() => break,
                }
            }
        })
    });

    // Alerts also change as time passes (a grace period expires without any event).
    let evaluator = with_projector.then(|| {
        let (store, shutdown, every) = (
            store.clone(),
            shutdown.clone(),
            Duration::from_secs(a.alert_interval.max(1)),
        );
        tokio::spawn(async move {
            loop {
                evaluate(&store).await;
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = shutdown.notified() => break,
                }
            }
        })
    });

    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to find the port.
    println!("caseflow listening on http://{addr}");
    tracing::info!(%addr, database = %caseflow_store::redact(&g.database), "caseflow API up; dashboard at /");
    let app = router(AppState::new(store.clone(), appended, g.batch_size));
    let stop = shutdown.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            stop.notify_waiters();
        })
        .await?;
    shutdown.notify_waiters();
    for task in [projector, evaluator].into_iter().flatten() {
        let _ = task.await;
    }
    store.close().await;
    Ok(())
}

async fn evaluate(store: &caseflow_store::Store) {
    match store.evaluate_alerts(chrono::Utc::now()).await {
        Ok(r) if r.raised + r.resolved > 0 => {
            tracing::info!(raised = r.raised, resolved = r.resolved, "alerts evaluated")
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(error = %e, "alert evaluation failed; retrying at the next interval")
        }
    }
}

/// `caseflow alert`: the periodic alert evaluation as a role of its own.
pub async fn alert_loop(g: &Global, a: &AlertLoopArgs) -> anyhow::Result<()> {
    let store = open(g).await?;
    if a.once {
        let r = store.evaluate_alerts(chrono::Utc::now()).await?;
        println!("raised {}, resolved {}", r.raised, r.resolved);
        return Ok(());
    }
    tracing::info!(
        interval_s = a.interval,
        "evaluating overdue-PO alerts periodically"
    );
    loop {
        evaluate(&store).await;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(a.interval.max(1))) => {}
            _ = shutdown_signal() => break,
        }
    }
    store.close().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (graceful shutdown of every long-running role).
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
