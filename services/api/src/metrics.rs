//! Operations: Prometheus metrics (hand-written text exposition, no extra crate)
//! and the small health/metrics router that `caseflow project` serves.
//!
//! Process-wide metrics live in one static [`Metrics`]; the projector records
//! into it, and `GET /metrics` renders it together with a few gauges read from
//! the database (events in the log, dead letters, unpublished dead letters).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use caseflow_store::Store;
use serde_json::json;

/// Upper bounds of the batch-size histogram (messages per batch).
const SIZE_BUCKETS: &[f64] = &[1.0, 10.0, 100.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0];
/// Upper bounds of the batch-latency histogram (seconds per applied batch).
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A cumulative histogram.
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    count: AtomicU64,
    /// Sum in micro-units, to stay atomic.
    sum_micro: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_micro: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, v: f64) {
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            if v <= *b {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micro
            .fetch_add((v.max(0.0) * 1e6) as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{b}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        let n = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {n}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum_micro.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {n}");
    }
}

/// What the process counts. All counters are totals since start.
pub struct Metrics {
    /// Messages per event type that were new to the log (accepted).
    pub applied_by_type: Mutex<BTreeMap<String, u64>>,
    pub events_accepted: AtomicU64,
    pub events_duplicate: AtomicU64,
    pub events_already_applied: AtomicU64,
    pub dead_letters: AtomicU64,
    pub dlq_published: AtomicU64,
    pub dlq_publish_errors: AtomicU64,
    pub alerts_published: AtomicU64,
    pub alerts_reconciled: AtomicU64,
    pub alerts_publish_errors: AtomicU64,
    pub batches: AtomicU64,
    pub batch_retries: AtomicU64,
    /// Partitions re-read because their delivered offsets had a hole.
    pub partition_rereads: AtomicU64,
    pub batch_size: Histogram,
    pub batch_seconds: Histogram,
    /// Time to project one appended batch into the read models.
    pub projection_seconds: Histogram,
    /// Consumer lag per (topic, partition): high watermark − next offset to apply.
    pub lag: Mutex<BTreeMap<(String, i32), i64>>,
    /// Partitions currently assigned to this process.
    pub assigned: Mutex<BTreeMap<String, Vec<i32>>>,
}

impl Metrics {
    fn new() -> Metrics {
        Metrics {
            applied_by_type: Mutex::new(BTreeMap::new()),
            events_accepted: AtomicU64::new(0),
            events_duplicate: AtomicU64::new(0),
            events_already_applied: AtomicU64::new(0),
            dead_letters: AtomicU64::new(0),
            dlq_published: AtomicU64::new(0),
            dlq_publish_errors: AtomicU64::new(0),
            alerts_published: AtomicU64::new(0),
            alerts_reconciled: AtomicU64::new(0),
            alerts_publish_errors: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            batch_retries: AtomicU64::new(0),
            partition_rereads: AtomicU64::new(0),
            batch_size: Histogram::new(SIZE_BUCKETS),
            batch_seconds: Histogram::new(LATENCY_BUCKETS),
            projection_seconds: Histogram::new(LATENCY_BUCKETS),
            lag: Mutex::new(BTreeMap::new()),
            assigned: Mutex::new(BTreeMap::new()),
        }
    }

    /// Record one applied batch.
    pub fn batch(
        &self,
        size: usize,
        seconds: f64,
        accepted: u64,
        duplicates: u64,
        already: u64,
        dead: u64,
    ) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.batch_size.observe(size as f64);
        self.batch_seconds.observe(seconds);
        self.events_accepted.fetch_add(accepted, Ordering::Relaxed);
        self.events_duplicate
            .fetch_add(duplicates, Ordering::Relaxed);
        self.events_already_applied
            .fetch_add(already, Ordering::Relaxed);
        self.dead_letters.fetch_add(dead, Ordering::Relaxed);
    }

    pub fn add_applied_type(&self, event_type: &str, n: u64) {
        let mut m = self
            .applied_by_type
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *m.entry(event_type.to_string()).or_default() += n;
    }

    pub fn set_lag(&self, topic: &str, partition: i32, lag: i64) {
        self.lag
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((topic.to_string(), partition), lag.max(0));
    }

    pub fn set_assigned(&self, topic: &str, partitions: Vec<i32>) {
        let mut lag = self.lag.lock().unwrap_or_else(|e| e.into_inner());
        lag.retain(|(t, p), _| t != topic || partitions.contains(p));
        self.assigned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(topic.to_string(), partitions);
    }

    /// The Prometheus text exposition of the process metrics.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP caseflow_events_applied_total Events newly appended and projected, per event type.\n# TYPE caseflow_events_applied_total counter");
        for (t, n) in self
            .applied_by_type
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "caseflow_events_applied_total{{event_type=\"{}\"}} {n}",
                escape(t)
            );
        }
        counter(
            &mut out,
            "caseflow_events_accepted_total",
            "Messages appended to the log as new events.",
            self.events_accepted.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "caseflow_events_duplicate_total",
            "Messages that repeated an event already in the log.",
            self.events_duplicate.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "caseflow_messages_already_applied_total",
            "Redelivered messages skipped because their offset was already applied.",
            self.events_already_applied.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "caseflow_dead_letters_total",
            "Messages dead-lettered by this process.",
            self.dead_letters.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "caseflow_dlq_published_total",
            "Dead letters published to the dead-letter topic.",
            self.dlq_published.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "caseflow_dlq_publish_errors_total",
            "Failed dead-letter publications (retried).",
            self.dlq_publish_errors.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "caseflow_alerts_published_total",
            "Alert transitions published to the alerts topic.",
            self.alerts_published.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "caseflow_alerts_reconciled_total",
            "Alert transitions found already on the topic after an interrupted publication (marked, not sent again).",
            self.alerts_reconciled.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "caseflow_alerts_publish_errors_total",
            "Failed alert publications (retried).",
            self.alerts_publish_errors.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "caseflow_batches_total",
            "Batches applied.",
            self.batches.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "caseflow_batch_retries_total",
            "Batch attempts that failed (database unavailable) and were retried.",
            self.batch_retries.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "caseflow_partition_rereads_total",
            "Partitions re-read from a hole in the delivered offsets.",
            self.partition_rereads.load(Ordering::Relaxed),
        );
        self.batch_size.render(
            &mut out,
            "caseflow_batch_size",
            "Messages per applied batch.",
        );
        self.batch_seconds.render(
            &mut out,
            "caseflow_batch_duration_seconds",
            "Time to append one batch to the log, with its offsets (one database transaction).",
        );
        self.projection_seconds.render(
            &mut out,
            "caseflow_projection_duration_seconds",
            "Time to project one appended batch into the read models (one database transaction).",
        );
        let _ = writeln!(out, "# HELP caseflow_consumer_lag Messages behind the partition's high watermark.\n# TYPE caseflow_consumer_lag gauge");
        for ((t, p), v) in self.lag.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(
                out,
                "caseflow_consumer_lag{{topic=\"{}\",partition=\"{p}\"}} {v}",
                escape(t)
            );
        }
        let _ = writeln!(out, "# HELP caseflow_assigned_partitions Partitions assigned to this process.\n# TYPE caseflow_assigned_partitions gauge");
        for (t, ps) in self
            .assigned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "caseflow_assigned_partitions{{topic=\"{}\"}} {}",
                escape(t),
                ps.len()
            );
        }
        let _ = writeln!(out, "# HELP caseflow_write_phase_seconds_total Wall time of the write path per phase (parse, append, load, folds, writes, alerts, commit): where a batch's time goes.\n# TYPE caseflow_write_phase_seconds_total counter");
        for (phase, secs) in caseflow_store::phase_timings() {
            let _ = writeln!(
                out,
                "caseflow_write_phase_seconds_total{{phase=\"{}\"}} {secs:.6}",
                escape(phase)
            );
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One counter without labels, with its HELP and TYPE lines.
fn counter(out: &mut String, name: &str, help: &str, v: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
    );
}

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::new)
}

/// Process metrics plus gauges from the database, as Prometheus text.
pub async fn render_with_store(store: &Store) -> String {
    let mut out = metrics().render();
    let gauge = |out: &mut String, name: &str, help: &str, v: Option<i64>| {
        if let Some(v) = v {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
    };
    gauge(
        &mut out,
        "caseflow_log_events",
        "Events in the log.",
        store.event_count().await.ok(),
    );
    gauge(
        &mut out,
        "caseflow_dead_letters",
        "Dead letters stored (all sources).",
        store.dead_letter_count().await.ok(),
    );
    let up = store.ping().await.is_ok();
    gauge(
        &mut out,
        "caseflow_database_up",
        "1 when the database answers.",
        Some(up as i64),
    );
    out
}

fn text(body: String) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// `GET /metrics` on the API router: [`render_with_store`] plus the response
/// cache's counters.
pub async fn metrics_handler(State(s): State<crate::AppState>) -> Response {
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
        counter(&mut out, name, help, v.load(Ordering::Relaxed));
    }
    text(out)
}

/// A readiness check of something other than the database (e.g. the broker).
pub type Probe =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_the_documented_series() {
        let m = Metrics::new();
        m.batch(3, 0.02, 2, 1, 0, 1);
        m.add_applied_type("melding.ontvangen", 2);
        m.set_lag("t", 0, 5);
        let s = m.render();
        assert!(
            s.contains("caseflow_events_applied_total{event_type=\"melding.ontvangen\"} 2"),
            "{s}"
        );
        assert!(s.contains("caseflow_batch_size_bucket{le=\"10\"} 1"), "{s}");
        assert!(s.contains("caseflow_batch_size_bucket{le=\"1\"} 0"), "{s}");
        assert!(s.contains("caseflow_batch_duration_seconds_count 1"), "{s}");
        assert!(
            s.contains("caseflow_consumer_lag{topic=\"t\",partition=\"0\"} 5"),
            "{s}"
        );
        assert!(s.contains("caseflow_dead_letters_total 1"), "{s}");
    }
}
