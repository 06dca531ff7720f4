//! Shared by the PostgreSQL and Kafka test tiers: simulated streams and the
//! figures a database holds for them, read through the CLI as a user would.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use caseflow_tests::{caseflow, TempDir};

/// A simulated NDJSON stream on disk.
pub struct Stream {
    pub dir: TempDir,
    pub file: PathBuf,
    pub lines: u64,
}

/// A temp directory for this test process, removed by a watchdog when the
/// process ends (streams and references live in statics, which are never dropped).
pub fn process_dir() -> &'static std::path::Path {
    static D: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    D.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("caseflow-tests-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let script = format!(
            "while kill -0 {} 2>/dev/null; do sleep 1; done; rm -rf '{}'",
            std::process::id(),
            d.display()
        );
        Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn the temp-dir watchdog");
        d
    })
}

/// `caseflow simulate` with `args` into a temp file.
pub fn simulate(tag: &str, args: &[&str]) -> Stream {
    let dir = TempDir(process_dir().join(format!("{tag}-{}", uuid::Uuid::new_v4())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join("stream.ndjson");
    let st = caseflow("sqlite::memory:")
        .arg("simulate")
        .args(args)
        .arg("--out")
        .arg(&file)
        .output()
        .expect("run caseflow simulate");
    assert!(
        st.status.success(),
        "caseflow simulate failed: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    let lines = std::fs::read(&file)
        .unwrap()
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64;
    Stream { dir, file, lines }
}

/// `caseflow ingest FILE --json` into `database` (the embedded path).
pub fn ingest(database: &str, file: &std::path::Path) -> serde_json::Value {
    let out = caseflow(database)
        .arg("ingest")
        .arg(file)
        .arg("--json")
        .output()
        .expect("run caseflow ingest");
    assert!(
        out.status.success(),
        "caseflow ingest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ingest --json prints JSON")
}

/// Run `caseflow query ARGS` against `database`; stdout.
pub fn query(database: &str, args: &[&str]) -> String {
    let out = caseflow(database)
        .arg("query")
        .args(args)
        .output()
        .expect("run caseflow query");
    assert!(
        out.status.success(),
        "caseflow query {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// What a clean run is compared on: throughput per day and team, the number of
/// dead letters, and the open alerts (beschikking, kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub throughput: String,
    pub dead_letters: usize,
    pub open_alerts: std::collections::BTreeSet<(String, String)>,
}

pub fn outcome(database: &str) -> Outcome {
    let dl: serde_json::Value = serde_json::from_str(&query(
        database,
        &["dead-letters", "--json", "--limit", "10000000"],
    ))
    .unwrap();
    Outcome {
        throughput: query(
            database,
            &["throughput", "--period", "day", "--by-team", "--json"],
        ),
        dead_letters: dl.as_array().unwrap().len(),
        open_alerts: open_alerts(database),
    }
}

/// The open alerts as (beschikking_id, kind).
pub fn open_alerts(database: &str) -> std::collections::BTreeSet<(String, String)> {
    let a: serde_json::Value = serde_json::from_str(&query(
        database,
        &[
            "alerts", "--status", "open", "--json", "--limit", "10000000",
        ],
    ))
    .unwrap();
    a.as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["beschikking_id"].as_str().unwrap().to_string(),
                a["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Assert two outcomes are equal without printing megabytes of JSON.
pub fn assert_same(got: &Outcome, want: &Outcome, what: &str) {
    assert!(
        want.throughput.len() > 1000,
        "the reference throughput is not trivial"
    );
    if got.throughput != want.throughput || got.dead_letters != want.dead_letters {
        eprintln!(
            "{what}: dead letters {} (want {})",
            got.dead_letters, want.dead_letters
        );
    }
    if got.throughput != want.throughput {
        let (g, w): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(&got.throughput).unwrap(),
            serde_json::from_str(&want.throughput).unwrap(),
        );
        let (g, w) = (g.as_array().unwrap(), w.as_array().unwrap());
        let first = g.iter().zip(w).find(|(a, b)| a != b);
        panic!(
            "{what}: throughput differs ({} vs {} rows); first differing row: {first:?}",
            g.len(),
            w.len()
        );
    }
    assert_eq!(got.dead_letters, want.dead_letters, "{what}: dead letters");
    assert!(
        !want.open_alerts.is_empty(),
        "the reference has open alerts"
    );
    if got.open_alerts != want.open_alerts {
        let missing: Vec<_> = want
            .open_alerts
            .difference(&got.open_alerts)
            .take(3)
            .collect();
        let extra: Vec<_> = got
            .open_alerts
            .difference(&want.open_alerts)
            .take(3)
            .collect();
        panic!(
            "{what}: open alerts differ ({} vs {}); missing {missing:?}, extra {extra:?}",
            got.open_alerts.len(),
            want.open_alerts.len()
        );
    }
}

/// The `caseflow query` subcommands (from `--help`), each with the arguments
/// that make its output a pure function of the data.
pub fn query_surfaces() -> Vec<Vec<String>> {
    let help = Command::new(caseflow_tests::caseflow_bin())
        .args(["query", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let names: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        // Not functions of the events: the dead letters are the rejected input,
        // the access log records who read (tests/tests/tokens.rs covers it).
        .filter(|n| n != "help" && n != "dead-letters" && n != "access-log")
        .collect();
    assert!(
        names.iter().any(|n| n == "throughput"),
        "caseflow query --help lists throughput: {help}"
    );
    names
        .into_iter()
        .map(|n| {
            let h = Command::new(caseflow_tests::caseflow_bin())
                .args(["query", &n, "--help"])
                .output()
                .unwrap();
            let h = String::from_utf8_lossy(&h.stdout).into_owned();
            let mut args = vec![n.clone(), "--json".to_string()];
            if h.contains("--as-of") {
                args.extend(["--as-of".into(), "2020-02-20".into()]);
            }
            if h.contains("--by-team") {
                args.push("--by-team".into());
            }
            if h.contains("--period") {
                args.extend(["--period".into(), "day".into()]);
            }
            if n == "alerts" && h.contains("--status") {
                args.extend(["--status".into(), "all".into()]);
            }
            args
        })
        .collect()
}

/// JSON output made comparable across runs: fields that record processing
/// (alert `id`s are insertion order, `raised_at`/`resolved_at` are wall-clock
/// times of the projection) are dropped, and a top-level array is sorted.
pub fn normalize(json: &str) -> String {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for k in ["id", "raised_at", "resolved_at"] {
                    m.remove(k);
                }
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(json) else {
        return json.to_string();
    };
    strip(&mut v);
    if let serde_json::Value::Array(a) = &mut v {
        a.sort_by_cached_key(|x| x.to_string());
    }
    v.to_string()
}
