//! The harness's settings, from `BENCH_*` environment variables (docs/benchmarks.md).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Serialize;

/// Every stage, in the order they run.
pub const STAGES: &[&str] = &["parse", "embedded", "api", "monitor", "kafka", "naive", "copy", "freshness", "large"];

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Events (NDJSON lines of `caseflow simulate`) per throughput stage.
    pub events: u64,
    /// The history length for the memory comparison (the `large` stage).
    pub large_events: u64,
    /// Which paths the `large` stage runs: `embedded`, `kafka` or both.
    pub large_paths: BTreeSet<String>,
    pub stages: BTreeSet<String>,
    pub seed: u64,
    /// Last day of the simulated history (BENCH_SIM_TO, default today).
    pub simulate_to: chrono::NaiveDate,
    /// Longest a stage may take before it is stopped and recorded as partial.
    #[serde(serialize_with = "secs")]
    pub budget: Duration,
    /// A projector without progress this long is stopped and recorded as stalled.
    #[serde(serialize_with = "secs")]
    pub stall: Duration,
    pub partitions: u32,
    pub naive_events: u64,
    pub freshness_rate: u64,
    #[serde(serialize_with = "secs")]
    pub freshness_duration: Duration,
    #[serde(serialize_with = "millis")]
    pub poll_interval: Duration,
    #[serde(serialize_with = "secs")]
    pub api_duration: Duration,
    pub api_connections: u32,
    pub api_threads: u32,
    pub api_gemeente: String,
    pub api_domein: String,
    /// librdkafka `batch.num.messages` of the bench producer (1 = one record per batch).
    pub produce_batch: u64,
    pub produce_linger_ms: u64,
    /// PostgreSQL with fsync, synchronous_commit and full_page_writes on (as in production).
    pub pg_durable: bool,
    /// Extra arguments for every `caseflow project` (BENCH_PROJECT_ARGS, split on
    /// whitespace), e.g. `-X fetch.wait.max.ms=10`.
    pub project_args: Vec<String>,
    /// target/bench: report.json, logs/, data/ (generated streams, kept), work/ (databases).
    pub out: PathBuf,
    /// The release `caseflow` binary under test.
    pub caseflow: PathBuf,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// A variable's value, or `default` when it is unset or empty.
/// The comma-separated `list` of variable `name`, each one of `allowed` (a `what`).
fn names(name: &str, list: &str, what: &str, allowed: &[&str]) -> anyhow::Result<BTreeSet<String>> {
    let mut set = BTreeSet::new();
    for s in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !allowed.contains(&s) {
            bail!("{name}: unknown {what} `{s}`; {what}s: {}", allowed.join(","));
        }
        set.insert(s.to_string());
    }
    Ok(set)
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn num<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(v) => {
            let v = v.replace('_', "");
            v.parse().map_err(|e| anyhow::anyhow!("{name}={v}: {e} (expected a number)"))
        }
    }
}

fn flag(name: &str, default: bool) -> anyhow::Result<bool> {
    match var(name).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(v) => bail!("{name}={v}: expected 1 or 0"),
    }
}

impl Settings {
    /// Read the environment. `target_dir` is the cargo target directory holding
    /// `release/caseflow`.
    pub fn from_env(target_dir: PathBuf) -> anyhow::Result<Settings> {
        let events: u64 = num("BENCH_EVENTS", 1_000_000)?;
        anyhow::ensure!(events >= 1000, "BENCH_EVENTS={events}: use at least 1000 events");
        let large_events: u64 = num("BENCH_LARGE_EVENTS", 10_000_000)?;
        const LARGE_PATHS: &[&str] = &["embedded", "kafka"];
        let large_paths = match var("BENCH_LARGE_PATHS") {
            None => LARGE_PATHS.iter().map(|p| p.to_string()).collect(),
            Some(list) => names("BENCH_LARGE_PATHS", &list, "path", LARGE_PATHS)?,
        };
        let mut stages: BTreeSet<String> = match var("BENCH_STAGES") {
            None => STAGES.iter().filter(|s| **s != "large").map(|s| s.to_string()).collect(),
            Some(list) => names("BENCH_STAGES", &list, "stage", STAGES)?,
        };
        // The 10M memory run: opt-in, and pointless when the main run is that long already.
        if flag("BENCH_LARGE", false)? {
            stages.insert("large".into());
        }
        if large_events <= events {
            stages.remove("large");
        }
        let caseflow = match var("BENCH_CASEFLOW_BIN") {
            Some(p) => PathBuf::from(p),
            None => target_dir.join("release/caseflow"),
        };
        anyhow::ensure!(
            caseflow.exists(),
            "the caseflow binary is not at {}: run `cargo build --release --locked -p caseflow` (make bench does), or set BENCH_CASEFLOW_BIN",
            caseflow.display()
        );
        let out = match var("BENCH_OUT") {
            Some(p) => PathBuf::from(p),
            None => target_dir.join("bench"),
        };
        std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
        let s = Settings {
            events,
            large_events,
            large_paths,
            stages,
            seed: num("BENCH_SEED", 2020)?,
            simulate_to: match var("BENCH_SIM_TO") {
                None => chrono::Utc::now().date_naive(),
                Some(d) => d.parse().map_err(|e| anyhow::anyhow!("BENCH_SIM_TO={d}: {e} (expected YYYY-MM-DD)"))?,
            },
            budget: Duration::from_secs(num("BENCH_BUDGET_SECS", 900)?),
            stall: Duration::from_secs(num("BENCH_STALL_SECS", 120)?),
            partitions: num("BENCH_PARTITIONS", 4)?,
            naive_events: num("BENCH_NAIVE_EVENTS", 20_000)?,
            freshness_rate: num("BENCH_FRESHNESS_RATE", 2000)?,
            freshness_duration: Duration::from_secs(num("BENCH_FRESHNESS_SECS", 20)?),
            poll_interval: Duration::from_millis(num("BENCH_POLL_MS", 10)?),
            api_duration: Duration::from_secs(num("BENCH_API_SECS", 10)?),
            api_connections: num("BENCH_API_CONNECTIONS", 50)?,
            api_threads: num("BENCH_API_THREADS", 2)?,
            api_gemeente: var("BENCH_API_GEMEENTE").unwrap_or_else(|| "GM0344".into()),
            api_domein: var("BENCH_API_DOMEIN").unwrap_or_else(|| "wmo".into()),
            produce_batch: num("BENCH_PRODUCE_BATCH", 1000)?,
            produce_linger_ms: num("BENCH_PRODUCE_LINGER_MS", 5)?,
            pg_durable: flag("BENCH_PG_DURABLE", true)?,
            project_args: var("BENCH_PROJECT_ARGS").map(|v| v.split_whitespace().map(String::from).collect()).unwrap_or_default(),
            out: out.canonicalize().unwrap_or(out),
            caseflow: caseflow.canonicalize().unwrap_or(caseflow),
        };
        anyhow::ensure!(s.partitions >= 1, "BENCH_PARTITIONS must be at least 1");
        anyhow::ensure!(s.freshness_rate >= 1, "BENCH_FRESHNESS_RATE must be at least 1");
        anyhow::ensure!(s.naive_events >= 1, "BENCH_NAIVE_EVENTS must be at least 1");
        anyhow::ensure!(!s.poll_interval.is_zero(), "BENCH_POLL_MS must be at least 1");
        Ok(s)
    }

    pub fn runs(&self, stage: &str) -> bool {
        self.stages.contains(stage)
    }

    pub fn logs(&self) -> PathBuf {
        self.out.join("logs")
    }

    pub fn data(&self) -> PathBuf {
        self.out.join("data")
    }

    pub fn work(&self) -> PathBuf {
        self.out.join("work")
    }
}
