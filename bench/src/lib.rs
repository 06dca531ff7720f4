//! `make bench`: the benchmark harness of issue #5. It runs the release `caseflow`
//! binary as a user would (subprocesses), measures what it does, and writes a
//! table to stdout and target/bench/report.json. See docs/benchmarks.md.
//!
//! Stages (BENCH_STAGES): `parse` and `copy` (upper bounds), `embedded` (SQLite
//! ingest + project), `api` (wrk on the dashboard endpoints over the embedded
//! database), `kafka` (the projector draining the broker into PostgreSQL),
//! `naive` (the same projector, one message per transaction), `freshness`
//! (produce-to-visibility latency at a fixed rate) and `large` (BENCH_LARGE=1:
//! the memory comparison at 10M events).

// `n % k == 0` rather than is_multiple_of: the workspace's rust-version is 1.85.
#![allow(clippy::manual_is_multiple_of)]

pub mod api;
pub mod baselines;
pub mod config;
pub mod embedded;
pub mod kafka;
pub mod monitor;
pub mod pg;
pub mod prereq;
pub mod phases;
pub mod proc;
pub mod report;
pub mod stats;
pub mod stream;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Instant;

use caseflow_tests::broker::Broker;
use serde::Serialize;

use config::Settings;
use report::{Row, Target};
use stats::ratio;

/// How a timed stage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Complete,
    /// Stopped at the time budget; the rate is what was achieved until then.
    Partial,
    /// Stopped because nothing progressed for BENCH_STALL_SECS.
    Stalled,
}

impl Status {
    pub fn note(self) -> Option<String> {
        match self {
            Status::Complete => None,
            Status::Partial => Some("PARTIAL: time budget".into()),
            Status::Stalled => Some("STALLED: no progress".into()),
        }
    }
}

pub fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// 1000000 → "1M", 50000 → "50k".
pub fn short(n: u64) -> String {
    if n >= 1_000_000 && n % 100_000 == 0 {
        let m = n as f64 / 1e6;
        if m.fract() == 0.0 { format!("{m:.0}M") } else { format!("{m:.1}M") }
    } else if n >= 1000 && n % 1000 == 0 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

pub use api::API_TIMEOUT_SECS;

/// The 10M memory comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LargeResult {
    pub events: u64,
    pub embedded: Option<embedded::EmbeddedResult>,
    pub produce: Option<kafka::ProduceResult>,
    pub kafka: Option<kafka::DrainResult>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Results {
    pub parse: Option<baselines::ParseResult>,
    pub embedded: Option<embedded::EmbeddedResult>,
    pub api: Option<api::ApiResult>,
    pub monitor: Option<monitor::MonitorResult>,
    pub produce: Option<kafka::ProduceResult>,
    pub kafka: Option<kafka::DrainResult>,
    /// The naive projector with durable commits (`--synchronous-commit`).
    pub naive: Option<kafka::DrainResult>,
    /// The naive projector committing without waiting for the disk (the projector's default).
    pub naive_unflushed: Option<kafka::DrainResult>,
    pub copy: Option<baselines::CopyResult>,
    /// The event ids alone into a uuid primary key (PostgreSQL, `COPY`).
    pub copy_keyed: Option<baselines::KeyedResult>,
    /// The event ids alone into a keyed SQLite table.
    pub sqlite_keyed: Option<baselines::KeyedResult>,
    pub freshness: Option<kafka::FreshnessResult>,
    pub large: Option<LargeResult>,
    pub postgres: Option<pg::PgInfo>,
    /// Stage → what went wrong (the other stages still ran).
    pub errors: BTreeMap<String, String>,
}

/// Run a stage; a failure is recorded and the next stage runs.
async fn stage<T, F: Future<Output = anyhow::Result<T>>>(errors: &mut BTreeMap<String, String>, name: &str, f: F) -> Option<T> {
    println!("== {name}");
    let t = Instant::now();
    match f.await {
        Ok(v) => {
            println!("   {name} done in {:.1} s", t.elapsed().as_secs_f64());
            Some(v)
        }
        Err(e) => {
            let msg = format!("{e:#}");
            eprintln!("   {name} FAILED: {msg}");
            errors.insert(name.to_string(), msg);
            None
        }
    }
}

fn start_broker() -> anyhow::Result<Broker> {
    prereq::tansu()?;
    std::panic::catch_unwind(Broker::start).map_err(|_| anyhow::anyhow!("starting the tansu broker failed (see the message above); `make test-deps`"))
}

/// Run the harness. `target_dir` holds release/caseflow; `workspace` is the
/// repository (for the git commit). Returns whether every stage ran.
pub async fn main(target_dir: PathBuf, workspace: &Path) -> anyhow::Result<bool> {
    let s = Settings::from_env(target_dir)?;
    let _ = std::fs::remove_dir_all(s.logs());
    std::fs::create_dir_all(s.logs())?;
    std::fs::create_dir_all(s.work())?;
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let machine = report::machine();
    let git = report::git(workspace);
    let version = proc::run(std::process::Command::new(&s.caseflow).arg("--version"), "caseflow --version")?.trim().to_string();
    println!(
        "caseflow-bench: {} events, stages {}, budget {:?} per stage; {version} at {}",
        s.events,
        s.stages.iter().cloned().collect::<Vec<_>>().join(","),
        s.budget,
        s.caseflow.display()
    );
    println!("logs in {}", s.logs().display());

    let mut r = Results::default();
    let stream = stream::prepare(&s, s.events)?;

    if s.runs("parse") {
        r.parse = stage(&mut r.errors, "parse", async { baselines::parse(&stream) }).await;
    }
    let embedded_db = s.work().join("embedded.db");
    if s.runs("embedded") {
        r.embedded = stage(&mut r.errors, "embedded", embedded::run(&s, &stream, &embedded_db, "embedded")).await;
    }
    if s.runs("api") {
        r.api = stage(&mut r.errors, "api", api::run(&s, &embedded_db)).await;
    }
    if s.runs("monitor") {
        r.monitor = stage(&mut r.errors, "monitor", monitor::run(&s, &embedded_db)).await;
    }
    let ids = if s.runs("copy") { stage(&mut r.errors, "event ids", async { baselines::event_ids(&stream) }).await } else { None };
    if let Some(ids) = &ids {
        r.sqlite_keyed = stage(&mut r.errors, "sqlite keyed", baselines::sqlite_keyed(&s.work(), ids)).await;
    }

    if ["kafka", "naive", "copy", "freshness"].iter().any(|st| s.runs(st)) {
        let setup = stage(&mut r.errors, "postgres+broker", async {
            let (pg, info) = pg::start(s.pg_durable)?;
            let broker = start_broker()?;
            Ok((pg, info, broker))
        })
        .await;
        if let Some((pg, info, broker)) = setup {
            r.postgres = Some(info);
            let bootstrap = broker.bootstrap();
            let topic = "bench.events";
            if s.runs("kafka") || s.runs("naive") {
                r.produce = stage(&mut r.errors, "produce", async {
                    kafka::create_topic(&broker, topic, s.partitions)?;
                    kafka::create_topic(&broker, &format!("{topic}.dlq"), 1)?;
                    kafka::produce_all(&s, &bootstrap, topic, &stream)
                })
                .await;
            }
            if let Some(produced) = r.produce.clone() {
                if s.runs("kafka") {
                    let db = pg.database();
                    r.kafka = stage(&mut r.errors, "kafka", kafka::drain(&s, &db, &bootstrap, topic, "bench-drain", produced.messages, None, &[], "kafka-projector")).await;
                }
                if s.runs("naive") {
                    let db = pg.database();
                    let n = s.naive_events.min(produced.messages);
                    // As event-sourcing libraries apply events: each commit
                    // waits for the disk. Then the same without that wait.
                    r.naive = stage(&mut r.errors, "naive", kafka::drain(&s, &db, &bootstrap, topic, "bench-naive", n, Some(1), &["--synchronous-commit"], "naive-projector")).await;
                    let db = pg.database();
                    r.naive_unflushed = stage(&mut r.errors, "naive unflushed", kafka::drain(&s, &db, &bootstrap, topic, "bench-naive-unflushed", n, Some(1), &[], "naive-unflushed-projector")).await;
                }
            }
            if s.runs("copy") {
                let db = pg.database();
                r.copy = stage(&mut r.errors, "copy", baselines::copy(&db, &stream)).await;
                if let Some(ids) = &ids {
                    r.copy_keyed = stage(&mut r.errors, "copy keyed", baselines::copy_keyed(&db, ids)).await;
                }
            }
            if s.runs("freshness") {
                let db = pg.database();
                let t = "bench.fresh";
                r.freshness = stage(&mut r.errors, "freshness", async {
                    kafka::create_topic(&broker, t, s.partitions)?;
                    kafka::create_topic(&broker, &format!("{t}.dlq"), 1)?;
                    kafka::freshness(&s, &db, &bootstrap, t, &stream).await
                })
                .await;
            }
            drop(broker);
            drop(pg);
        }
    }

    if s.runs("large") {
        r.large = stage(&mut r.errors, "large", large(&s)).await;
    }

    let rows = rows(&s, &r);
    println!();
    println!("caseflow-bench: {} events ({}), {}", s.events, stream.path.display(), machine["cpu_model"].as_str().unwrap_or("?"));
    print!("{}", report::table(&rows));
    let embedded_phases = r.embedded.as_ref().map_or(&[][..], |e| &e.phases[..]);
    let kafka_phases = r.kafka.as_ref().map_or(&[][..], |k| &k.phases[..]);
    if let Some(t) = phases::table(&[("embedded", embedded_phases), ("kafka->postgres", kafka_phases)]) {
        println!();
        println!("where the time went (the product's own account: `ingest --timings`, the projector's caseflow_write_phase_seconds_total;");
        println!("`write: …` are parts of `project: write read models`; the Kafka projector appends and projects at the same time):");
        print!("{t}");
    }
    for (st, e) in &r.errors {
        println!("stage {st} failed: {}", e.lines().next().unwrap_or(""));
    }
    let load_end = std::fs::read_to_string("/proc/loadavg").ok().map(|l| l.trim().to_string());
    if let Some(l) = &load_end {
        println!("load average at the end: {l} (other processes on the machine skew every number; see docs/benchmarks.md)");
    }
    let finished_at = chrono::Utc::now();
    let json = serde_json::json!({
        "load_average_at_end": load_end,
        "harness": "caseflow-bench",
        "started_at": started_at.to_rfc3339(),
        "finished_at": finished_at.to_rfc3339(),
        "duration_seconds": clock.elapsed().as_secs_f64(),
        "events": s.events,
        "machine": machine,
        "git": git,
        "caseflow": { "binary": s.caseflow, "version": version },
        "settings": s,
        "input": stream,
        "results": r,
        "table": rows,
    });
    let path = s.out.join("report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json)? + "\n")?;
    println!("report: {}", path.display());
    Ok(r.errors.is_empty())
}

/// BENCH_LARGE: the embedded ingest and the projector over 10M events, for the
/// peak-RSS comparison with the main run.
async fn large(s: &Settings) -> anyhow::Result<LargeResult> {
    let n = s.large_events;
    let stream = stream::prepare(s, n)?;
    let mut out = LargeResult { events: n, ..Default::default() };
    if s.large_paths.contains("embedded") {
        let db = s.work().join("embedded-large.db");
        println!("  [large] embedded ingest of {n} events");
        let e = embedded::run(s, &stream, &db, "embedded-large").await;
        embedded::remove_sqlite(&db);
        out.embedded = Some(e?);
    }
    if !s.large_paths.contains("kafka") {
        return Ok(out);
    }
    let (pg, _) = pg::start(s.pg_durable)?;
    let broker = start_broker()?;
    let topic = "bench.large";
    kafka::create_topic(&broker, topic, s.partitions)?;
    kafka::create_topic(&broker, &format!("{topic}.dlq"), 1)?;
    println!("  [large] producing {n} events");
    let produced = kafka::produce_all(s, &broker.bootstrap(), topic, &stream)?;
    let db = pg.database();
    out.kafka = Some(kafka::drain(s, &db, &broker.bootstrap(), topic, "bench-large", produced.messages, None, &[], "kafka-projector-large").await?);
    out.produce = Some(produced);
    Ok(out)
}

/// The table: every measure with its target and ratios.
pub fn rows(s: &Settings, r: &Results) -> Vec<Row> {
    let n = short(s.events);
    let mut rows = Vec::new();
    let kafka_rate = r.kafka.as_ref().and_then(|k| k.events_per_sec);
    let naive_rate = r.naive.as_ref().and_then(|k| k.events_per_sec);
    let copy_rate = r.copy.as_ref().map(|c| c.events_per_sec);
    let parse_rate = r.parse.as_ref().map(|p| p.events_per_sec_1_thread);
    let pg_keyed_rate = r.copy_keyed.as_ref().map(|c| c.ids_per_sec);
    let sqlite_keyed_rate = r.sqlite_keyed.as_ref().map(|c| c.ids_per_sec);
    let embedded_rate = r.embedded.as_ref().and_then(|e| e.events_per_sec);

    if let Some(e) = &r.embedded {
        rows.push(
            Row::new(format!("embedded: ingest+project {n} (SQLite)"), e.events_per_sec, "events/s")
                .target(Target::AtLeast(150_000.0))
                .ratio(ratio(embedded_rate, parse_rate), "parse")
                .ratio(ratio(embedded_rate, sqlite_keyed_rate), "ids")
                .note(e.status.note()),
        );
    }
    if let Some(m) = &r.monitor {
        rows.push(
            Row::new(format!("monitor: {} gemeenten x 4 quarters + baseline", m.gemeenten.len()), Some(m.median_seconds), "s")
                .target(Target::AtMost(1.0))
                .ratio(ratio(Some(m.from_log_seconds), Some(m.median_seconds)), "faster than a log scan")
                .note((!m.same_cells).then(|| "differs from --from-log".to_string())),
        );
    }
    if let Some(k) = &r.kafka {
        rows.push(
            Row::new(format!("kafka->postgres: drain {n}"), k.events_per_sec, "events/s")
                .target(Target::AtLeast(100_000.0))
                .ratio(ratio(kafka_rate, copy_rate), "COPY")
                .ratio(ratio(kafka_rate, parse_rate), "parse")
                .ratio(ratio(kafka_rate, pg_keyed_rate), "ids")
                .note(k.status.note()),
        );
        rows.push(Row::new("kafka->postgres: incl. startup", k.events_per_sec_incl_startup, "events/s").note(k.status.note()));
        rows.push(
            Row::new("kafka->postgres / naive", ratio(kafka_rate, naive_rate), "x")
                .target(Target::AtLeast(50.0))
                .note(r.naive.is_none().then(|| "naive not run".to_string())),
        );
        if let Some(u) = &r.naive_unflushed {
            rows.push(Row::new("kafka->postgres / naive, commits unflushed", ratio(kafka_rate, u.events_per_sec), "x"));
        }
    }
    if let Some(f) = &r.freshness {
        let note = (f.not_visible > 0).then(|| format!("{} of {} never visible", f.not_visible, f.sent));
        let rate = format!("@{}/s", f.target_rate);
        rows.push(Row::new(format!("freshness p50 {rate}"), f.p50_ms, "ms").note(note.clone()));
        rows.push(Row::new(format!("freshness p99 {rate}"), f.p99_ms, "ms").target(Target::AtMost(500.0)).note(note));
    }
    if let Some(p) = &r.parse {
        rows.push(Row::new(format!("baseline: parse+validate {n}, 1 thread"), Some(p.events_per_sec_1_thread), "events/s"));
        rows.push(Row::new(format!("baseline: parse+validate, {} threads", p.threads), Some(p.events_per_sec_all_threads), "events/s"));
    }
    if let Some(c) = &r.copy {
        rows.push(Row::new(format!("baseline: COPY {n} into a plain table"), Some(c.events_per_sec), "events/s"));
    }
    if let Some(c) = &r.copy_keyed {
        rows.push(Row::new(format!("baseline: COPY {} event ids into a uuid key (PG)", short(c.ids)), Some(c.ids_per_sec), "ids/s"));
    }
    if let Some(c) = &r.sqlite_keyed {
        rows.push(Row::new(format!("baseline: {} event ids into a keyed SQLite table", short(c.ids)), Some(c.ids_per_sec), "ids/s"));
    }
    if let Some(k) = &r.naive {
        rows.push(
            Row::new(format!("baseline: naive projector (1 event/batch, durable commits), first {}", short(k.target)), k.events_per_sec, "events/s")
                .note(k.status.note()),
        );
    }
    if let Some(k) = &r.naive_unflushed {
        rows.push(
            Row::new(format!("baseline: naive projector, commits unflushed, first {}", short(k.target)), k.events_per_sec, "events/s")
                .note(k.status.note()),
        );
    }
    if let Some(p) = &r.produce {
        rows.push(Row::new(format!("producer: {n} to the broker (rdkafka)"), Some(p.messages_per_sec), "msgs/s"));
    }
    if let Some(a) = &r.api {
        let over = a.events_projected.map(|e| format!("over {} events", short(e)));
        for e in &a.endpoints {
            match &e.wrk {
                Some(w) => {
                    let timeout = format!("> {} s (wrk timeout)", API_TIMEOUT_SECS);
                    let mut note = Vec::new();
                    if w.requests == 0 {
                        note.push(format!("no response within {} s", a.seconds_per_endpoint));
                    }
                    if w.non_2xx > 0 {
                        note.push(format!("{} non-2xx", w.non_2xx));
                    }
                    if w.timeouts + w.socket_errors > 0 {
                        note.push(format!("{} timeouts, {} socket errors", w.timeouts, w.socket_errors));
                    }
                    let (p50, p99) = (w.percentile_ms(50.0), w.percentile_ms(99.0));
                    let mut r50 = Row::new(format!("api {}: p50 (c={})", e.name, a.connections), p50, "ms").note(over.clone());
                    if p50.is_none() {
                        r50.note = Some(timeout.clone());
                    }
                    let mut r99 = Row::new(format!("api {}: p99", e.name), p99, "ms").target(Target::AtMost(20.0));
                    if p99.is_none() {
                        r99.met = Some(false);
                        note.insert(0, timeout.clone());
                    }
                    rows.push(r50);
                    rows.push(r99.note((!note.is_empty()).then(|| note.join(", "))));
                    let few = (w.requests < 1000).then(|| format!("{} requests completed", w.requests));
                    rows.push(Row::new(format!("api {}: throughput", e.name), Some(w.requests_per_sec), "req/s").note(few));
                }
                None => rows.push(Row::new(format!("api {}", e.name), None, "").note(e.error.as_ref().map(|m| m.lines().next().unwrap_or("").to_string()))),
            }
        }
    }
    // Memory: peak RSS, and whether it grows with the length of history.
    let flat = Target::AtMost(1.25);
    if let Some(e) = &r.embedded {
        rows.push(Row::new(format!("RSS peak: embedded ingest @{n}"), Some(e.peak_rss_mib), "MiB").note(e.status.note()));
    }
    if let Some(k) = &r.kafka {
        rows.push(Row::new(format!("RSS peak: projector @{n}"), Some(k.peak_rss_mib), "MiB").note(k.status.note()));
        // Within one run this includes the projection cache filling up (bounded
        // by --projection-cache, 300,000 entries: full by about 0.7M events), so
        // it is shown without a target; whether memory grows with history is
        // judged on the 10M run against this one (BENCH_LARGE=1, below).
        let filling = (r.large.as_ref().and_then(|l| l.kafka.as_ref()).is_none()).then(|| "incl. the cache filling; flat: BENCH_LARGE=1".to_string());
        rows.push(
            Row::new("RSS growth: projector 10% -> 100% of history", ratio(Some(k.peak_rss_mib), k.peak_rss_mib_at_10pct), "x")
                .note(k.status.note().or(filling)),
        );
    }
    if let Some(l) = &r.large {
        let big = short(l.events);
        if let Some(e) = &l.embedded {
            rows.push(
                Row::new(format!("RSS peak: embedded ingest @{big}"), Some(e.peak_rss_mib), "MiB")
                    .ratio(ratio(Some(e.peak_rss_mib), r.embedded.as_ref().map(|x| x.peak_rss_mib)), &format!("@{n}"))
                    .note(e.status.note()),
            );
        }
        if let Some(k) = &l.kafka {
            let growth = ratio(Some(k.peak_rss_mib), r.kafka.as_ref().map(|x| x.peak_rss_mib));
            rows.push(Row::new(format!("RSS peak: projector @{big}"), Some(k.peak_rss_mib), "MiB").note(k.status.note()));
            rows.push(Row::new(format!("RSS growth: projector @{big} / @{n}"), growth, "x").target(flat).note(k.status.note()));
        }
    }
    rows
}
