//! Process telemetry shared by every role: the Prometheus metrics a process
//! records (on `metrics` + `metrics-exporter-prometheus`), the text helpers for
//! series whose value is read when scraped, and the readiness [`Probe`] type.
//!
//! Counters and histograms live in one process-wide [`Metrics`]
//! ([`metrics()`]), which owns its recorder: it is not installed as the global
//! `metrics` recorder, so tests can build their own and nothing else in the
//! process can change what `/metrics` shows.

use std::collections::BTreeMap;
use std::fmt::{Display, Write as _};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};

use metrics::{Counter, Histogram, Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::formatting::sanitize_label_value;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

/// Upper bounds of the batch-size histogram (messages per batch).
const SIZE_BUCKETS: &[f64] = &[1.0, 10.0, 100.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0];
/// Upper bounds of the batch-latency histograms (seconds per batch).
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A readiness check of something other than the database (e.g. the broker).
pub type Probe =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

const APPLIED: &str = "caseflow_events_applied_total";
const LAG: &str = "caseflow_consumer_lag";
const ASSIGNED: &str = "caseflow_assigned_partitions";

/// Counters without labels: name and help.
const COUNTERS: [(&str, &str); 12] = [
    ("caseflow_events_accepted_total", "Messages appended to the log as new events."),
    ("caseflow_events_duplicate_total", "Messages that repeated an event already in the log."),
    ("caseflow_messages_already_applied_total", "Redelivered messages skipped because their offset was already applied."),
    ("caseflow_dead_letters_total", "Messages dead-lettered by this process."),
    ("caseflow_dlq_published_total", "Dead letters published to the dead-letter topic."),
    ("caseflow_dlq_publish_errors_total", "Failed dead-letter publications (retried)."),
    ("caseflow_alerts_published_total", "Alert transitions published to the alerts topic."),
    ("caseflow_alerts_reconciled_total", "Alert transitions found already on the topic after an interrupted publication (marked, not sent again)."),
    ("caseflow_alerts_publish_errors_total", "Failed alert publications (retried)."),
    ("caseflow_batches_total", "Batches applied."),
    ("caseflow_batch_retries_total", "Batch attempts that failed (database unavailable) and were retried."),
    ("caseflow_partition_rereads_total", "Partitions re-read from a hole in the delivered offsets."),
];

/// Histograms: name, help and bucket bounds.
const HISTOGRAMS: &[(&str, &str, &[f64])] = &[
    ("caseflow_batch_size", "Messages per applied batch.", SIZE_BUCKETS),
    ("caseflow_batch_duration_seconds", "Time to append one batch to the log, with its offsets (one database transaction).", LATENCY_BUCKETS),
    ("caseflow_projection_duration_seconds", "Time to project one appended batch into the read models (one database transaction).", LATENCY_BUCKETS),
];

/// The counter handles, in the order of [`COUNTERS`].
struct Counters([Counter; COUNTERS.len()]);

/// What the process counts. All counters are totals since start.
pub struct Metrics {
    recorder: PrometheusRecorder,
    counters: Counters,
    batch_size: Histogram,
    batch_seconds: Histogram,
    projection_seconds: Histogram,
    /// Consumer lag per (topic, partition) and the partitions assigned per
    /// topic. Kept here and written when scraped, because a revoked
    /// partition's series must disappear and the exporter cannot remove one.
    partitions: Mutex<Partitions>,
}

#[derive(Default)]
struct Partitions {
    lag: BTreeMap<(String, i32), i64>,
    assigned: BTreeMap<String, Vec<i32>>,
}

/// A counter of [`COUNTERS`], by name.
#[derive(Clone, Copy)]
enum C {
    Accepted,
    Duplicate,
    AlreadyApplied,
    DeadLetters,
    DlqPublished,
    DlqPublishErrors,
    AlertsPublished,
    AlertsReconciled,
    AlertsPublishErrors,
    Batches,
    BatchRetries,
    PartitionRereads,
}

fn metadata() -> Metadata<'static> {
    Metadata::new(module_path!(), metrics::Level::INFO, None)
}

impl Metrics {
    /// A registry of its own (tests); the process uses [`metrics()`].
    pub fn new() -> Metrics {
        let mut builder = PrometheusBuilder::new();
        for (name, _, bounds) in HISTOGRAMS {
            builder = builder
                .set_buckets_for_metric(Matcher::Full(name.to_string()), bounds)
                .expect("bucket bounds are not empty");
        }
        let recorder = builder.build_recorder();
        let meta = metadata();
        let counters = Counters(COUNTERS.map(|(name, help)| {
            recorder.describe_counter(name.into(), None, help.into());
            recorder.register_counter(&Key::from_static_name(name), &meta)
        }));
        recorder.describe_counter(
            APPLIED.into(),
            None,
            "Events newly appended and projected, per event type.".into(),
        );
        let mut histograms = HISTOGRAMS.iter().map(|(name, help, _)| {
            recorder.describe_histogram((*name).into(), None, (*help).into());
            recorder.register_histogram(&Key::from_static_name(name), &meta)
        });
        let mut next = || histograms.next().expect("three histograms");
        let (batch_size, batch_seconds, projection_seconds) = (next(), next(), next());
        Metrics {
            recorder,
            counters,
            batch_size,
            batch_seconds,
            projection_seconds,
            partitions: Mutex::new(Partitions::default()),
        }
    }

    fn counter(&self, c: C) -> &Counter {
        &self.counters.0[c as usize]
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
        self.counter(C::Batches).increment(1);
        self.batch_size.record(size as f64);
        self.batch_seconds.record(seconds);
        self.counter(C::Accepted).increment(accepted);
        self.counter(C::Duplicate).increment(duplicates);
        self.counter(C::AlreadyApplied).increment(already);
        self.counter(C::DeadLetters).increment(dead);
    }

    /// `n` more events of `event_type` newly appended and projected.
    pub fn add_applied_type(&self, event_type: &str, n: u64) {
        let key = Key::from_parts(APPLIED, vec![Label::new("event_type", event_type.to_string())]);
        self.recorder.register_counter(&key, &metadata()).increment(n);
    }

    /// Time to project one appended batch.
    pub fn projection(&self, seconds: f64) {
        self.projection_seconds.record(seconds);
    }

    /// A batch attempt failed and is retried.
    pub fn batch_retry(&self) {
        self.counter(C::BatchRetries).increment(1);
    }

    /// A partition is read again from a hole in the delivered offsets.
    pub fn partition_reread(&self) {
        self.counter(C::PartitionRereads).increment(1);
    }

    pub fn dlq_published(&self, n: u64) {
        self.counter(C::DlqPublished).increment(n);
    }

    pub fn dlq_publish_error(&self) {
        self.counter(C::DlqPublishErrors).increment(1);
    }

    pub fn alerts_published(&self, n: u64) {
        self.counter(C::AlertsPublished).increment(n);
    }

    pub fn alerts_reconciled(&self, n: u64) {
        self.counter(C::AlertsReconciled).increment(n);
    }

    pub fn alerts_publish_error(&self) {
        self.counter(C::AlertsPublishErrors).increment(1);
    }

    pub fn set_lag(&self, topic: &str, partition: i32, lag: i64) {
        self.partitions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .lag
            .insert((topic.to_string(), partition), lag.max(0));
    }

    /// The partitions of `topic` now assigned; the lag of the others is dropped.
    pub fn set_assigned(&self, topic: &str, partitions: Vec<i32>) {
        let mut p = self.partitions.lock().unwrap_or_else(|e| e.into_inner());
        p.lag.retain(|(t, n), _| t != topic || partitions.contains(n));
        p.assigned.insert(topic.to_string(), partitions);
    }

    /// The Prometheus text exposition of the process metrics.
    pub fn render(&self) -> String {
        // Blank lines between families are dropped: line-based scrapers
        // (the tests' and the bench's) read every line as a sample or comment.
        let mut out = String::new();
        for line in self.recorder.handle().render().lines().filter(|l| !l.is_empty()) {
            out.push_str(line);
            out.push('\n');
        }
        let p = self.partitions.lock().unwrap_or_else(|e| e.into_inner());
        family(&mut out, LAG, "gauge", "Messages behind the partition's high watermark.");
        for ((topic, partition), v) in &p.lag {
            sample(&mut out, LAG, &[("topic", topic), ("partition", &partition.to_string())], v);
        }
        family(&mut out, ASSIGNED, "gauge", "Partitions assigned to this process.");
        for (topic, ps) in &p.assigned {
            sample(&mut out, ASSIGNED, &[("topic", topic)], ps.len());
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::new)
}

/// The `# HELP` and `# TYPE` lines of a family whose samples are read when
/// scraped (from the database, the store's phase clock, a cache's counters).
pub fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// One sample line; label values are escaped.
pub fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl Display) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", sanitize_label_value(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// A family with one unlabelled sample.
pub fn single(out: &mut String, name: &str, kind: &str, help: &str, value: impl Display) {
    family(out, name, kind, help);
    sample(out, name, &[], value);
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

    #[test]
    fn every_series_keeps_its_name_help_and_buckets() {
        let m = Metrics::new();
        m.set_assigned("t", vec![0, 1]);
        let s = m.render();
        for (name, help) in COUNTERS {
            assert!(s.contains(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} 0\n")), "{name}: {s}");
        }
        for (name, help, bounds) in HISTOGRAMS {
            assert!(s.contains(&format!("# HELP {name} {help}\n# TYPE {name} histogram\n")), "{name}: {s}");
            for b in *bounds {
                assert!(s.contains(&format!("{name}_bucket{{le=\"{b}\"}} 0\n")), "{name} {b}: {s}");
            }
            assert!(s.contains(&format!("{name}_bucket{{le=\"+Inf\"}} 0\n{name}_sum 0\n{name}_count 0\n")), "{name}: {s}");
        }
        assert!(s.contains("caseflow_assigned_partitions{topic=\"t\"} 2\n"), "{s}");
        assert!(!s.contains("\n\n"), "{s}");
    }

    #[test]
    fn a_revoked_partition_loses_its_lag() {
        let m = Metrics::new();
        m.set_lag("t", 0, 5);
        m.set_lag("t", 1, 7);
        m.set_assigned("t", vec![1]);
        let s = m.render();
        assert!(!s.contains("partition=\"0\""), "{s}");
        assert!(s.contains("caseflow_consumer_lag{topic=\"t\",partition=\"1\"} 7"), "{s}");
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        sample(&mut out, "x", &[("a", "q\"b\\n\nc")], 1);
        assert_eq!(out, "x{a=\"q\\\"b\\\\n\\nc\"} 1\n");
    }
}
