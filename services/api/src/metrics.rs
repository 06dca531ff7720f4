//! Operations: `GET /metrics` (the process metrics of `caseflow-telemetry`
//! plus series read when scraped) and the small health/metrics router that
//! `caseflow project` serves.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use caseflow_store::Store;
use caseflow_telemetry::{family, metrics, sample, single, Probe, CONTENT_TYPE};
use serde_json::json;

/// Process metrics plus the store's write-phase clock and gauges from the
/// database, as Prometheus text. A gauge whose query fails is left out.
pub async fn render_with_store(store: &Store) -> String {
    let mut out = metrics().render();
    let phases = "caseflow_write_phase_seconds_total";
    family(&mut out, phases, "counter", "Wall time of the write path per phase (parse, append, load, folds, writes, alerts, commit): where a batch's time goes.");
    for (phase, secs) in caseflow_store::phase_timings() {
        sample(&mut out, phases, &[("phase", phase)], format_args!("{secs:.6}"));
    }
    let gauges = [
        ("caseflow_log_events", "Events in the log.", store.event_count().await.ok()),
        ("caseflow_dead_letters", "Dead letters stored (all sources).", store.dead_letter_count().await.ok()),
        ("caseflow_database_up", "1 when the database answers.", Some(store.ping().await.is_ok() as i64)),
    ];
    for (name, help, v) in gauges {
        if let Some(v) = v {
            single(&mut out, name, "gauge", help, v);
        }
    }
    out
}

fn text(body: String) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            CONTENT_TYPE,
        )],
        body,
    )
        .into_response()
}

/// `GET /metrics` on the API router: [`render_with_store`] plus the response
/// cache's counters.
pub async fn metrics_handler(
    State(s): State<crate::AppState>,
    access: crate::auth::Access,
    uri: axum::http::Uri,
) -> Result<Response, crate::ApiError> {
    crate::query::Params::parse(&uri, &[], &access)?;
    let mut out = render_with_store(&s.store).await;
    let counters = [
        (
            "caseflow_api_cache_hits_total",
            "Read-model answers served from the response cache.",
            &s.cache.hits,
        ),
        (
            "caseflow_api_cache_misses_total",
            "Read-model answers computed by the database (not in the cache at the data version).",
            &s.cache.misses,
        ),
        (
            "caseflow_api_version_reads_total",
            "Data-version queries (requests that arrive during one share the next).",
            &s.version.reads,
        ),
    ];
    for (name, help, v) in counters {
        single(&mut out, name, "counter", help, v.load(Ordering::Relaxed));
    }
    Ok(text(out))
}

#[derive(Clone)]
struct OpsState {
    store: Store,
    broker: Option<Probe>,
}

/// `/health/live`, `/health/ready` (database, and the broker when `broker` is
/// given) and `/metrics`: what `caseflow project` serves on `--listen`.
pub fn ops_router(store: Store, broker: Option<Probe>) -> Router {
    Router::new()
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(ops_ready))
        .route(
            "/metrics",
            get(|State(s): State<OpsState>| async move { text(render_with_store(&s.store).await) }),
        )
        .with_state(OpsState { store, broker })
}

async fn ops_ready(State(s): State<OpsState>) -> Response {
    let db = match tokio::time::timeout(Duration::from_secs(5), s.store.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 5 s".to_string()),
    };
    let broker = match &s.broker {
        Some(p) => Some(p().await),
        None => None,
    };
    let ok = db.is_ok() && broker.as_ref().is_none_or(|b| b.is_ok());
    let show = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_string(),
        Err(e) => e.clone(),
    };
    let mut body = json!({ "database": show(&db) });
    if let Some(b) = &broker {
        body["broker"] = json!(show(b));
    }
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
        .into_response()
}
