//! `caseflow run` (projection + API) and `caseflow serve` (API only).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use caseflow_api::{router, AppState};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::args::{AlertLoopArgs, Global, RunArgs};
use crate::store::open;
use crate::shutdown;

/// How long in-flight requests may take to finish after the shutdown signal;
/// then their connections are closed (an interrupted POST rolls back, and its
/// producer's retry is idempotent by `event_id`).
const REQUEST_GRACE: Duration = Duration::from_secs(5);

pub async fn run(g: &Global, a: &RunArgs, with_projector: bool) -> anyhow::Result<()> {
    let stop = shutdown::on_signal();
    let store = open(g).await?;
    let appended = Arc::new(Notify::new());
    // Bound and checked before anything starts: a refusal leaves nothing running.
    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let auth = match a.auth.auth(listener.local_addr()?, &store).await {
        Ok(auth) => auth,
        Err(e) => {
            store.close().await;
            return Err(e);
        }
    };

    let projector = with_projector.then(|| {
        let (store, appended, stop, batch) = (store.clone(), appended.clone(), stop.clone(), g.batch_size);
        tokio::spawn(async move {
            while !stop.is_cancelled() {
                match store.project_batch(batch).await {
                    Ok(r) if r.events > 0 => {
                        tracing::info!(events = r.events, keys = r.keys, "projected");
                        // More may be pending: project on, checking the token per batch.
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "projection failed; retrying"),
                }
                tokio::select! {
                    _ = appended.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.cancelled() => {}
                }
            }
        })
    });

    // Alerts also change as time passes (a grace period expires without any event).
    let evaluator = with_projector.then(|| {
        let (store, stop, every) = (store.clone(), stop.clone(), Duration::from_secs(a.alert_interval.max(1)));
        tokio::spawn(async move { evaluate_until(&store, every, &stop).await })
    });

    // The access trace's retention, in run and serve alike.
    let retention = {
        let (store, stop, days) = (store.clone(), stop.clone(), a.access_log_retention_days);
        tokio::spawn(async move { crate::token::prune_access_log_until(&store, days, &stop).await })
    };

    let addr = listener.local_addr()?;
    // Tests and scripts read this line to find the port.
    println!("caseflow listening on http://{addr}");
    tracing::info!(%addr, database = %caseflow_store::redact(&g.database), "caseflow API up; dashboard at /");
    let app = router(
        AppState::new(store.clone(), appended, g.batch_size)
            .with_limits(a.limits())
            .with_auth(auth),
    );
    let serve = axum::serve(listener, app).with_graceful_shutdown(stop.clone().cancelled_owned());
    let overdue = async {
        stop.cancelled().await;
        tokio::time::sleep(REQUEST_GRACE).await;
    };
    tokio::select! {
        r = serve => r?,
        _ = overdue => tracing::warn!(seconds = REQUEST_GRACE.as_secs(), "requests still running after the grace period; closing their connections"),
    }
    stop.cancel();
    for task in [projector, evaluator, Some(retention)].into_iter().flatten() {
        let _ = task.await;
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Evaluate the alerts now and every `every` until `stop`.
async fn evaluate_until(store: &caseflow_store::Store, every: Duration, stop: &CancellationToken) {
    while !stop.is_cancelled() {
        evaluate(store).await;
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.cancelled() => {}
        }
    }
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
    let stop = shutdown::on_signal();
    let store = open(g).await?;
    if a.once {
        let r = store.evaluate_alerts(chrono::Utc::now()).await?;
        println!("raised {}, resolved {}", r.raised, r.resolved);
        return Ok(());
    }
    tracing::info!(interval_s = a.interval, "evaluating overdue-PO alerts periodically");
    evaluate_until(&store, Duration::from_secs(a.interval.max(1)), &stop).await;
    store.close().await;
    Ok(())
}
