//! Stage `api`: `caseflow serve` over the embedded stage's SQLite database, the
//! dashboard's endpoints loaded with wrk (50 connections by default).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::Settings;
use crate::proc::Monitored;
use crate::stats::{parse_wrk, WrkResult};

/// wrk's --timeout: a request without an answer this long counts as a timeout.
pub const API_TIMEOUT_SECS: u64 = 10;

#[derive(Debug, Clone, Serialize)]
pub struct EndpointResult {
    pub name: String,
    pub path: String,
    /// One request before the load: status, body size, time.
    pub status: u16,
    pub body_bytes: usize,
    pub single_request_ms: f64,
    pub wrk: Option<WrkResult>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiResult {
    pub database: PathBuf,
    /// Events in the log / projected when the load ran.
    pub events_in_log: Option<u64>,
    pub events_projected: Option<u64>,
    pub connections: u32,
    pub threads: u32,
    pub seconds_per_endpoint: f64,
    /// `caseflow alert --once` before serving (so /alerts has the alerts a running product would have).
    pub alert_once_seconds: Option<f64>,
    pub endpoints: Vec<EndpointResult>,
    pub serve_peak_rss_mib: f64,
}

/// The dashboard's four live views, filtered the way the dashboard does.
pub fn endpoints(s: &Settings) -> Vec<(&'static str, String)> {
    let scope = format!("gemeente={}&domein={}", s.api_gemeente, s.api_domein);
    vec![
        ("throughput", format!("/api/v1/throughput?period=week&{scope}")),
        ("workload", format!("/api/v1/workload?{scope}")),
        ("alerts", format!("/api/v1/alerts?{scope}&status=open&limit=200")),
        ("open cases", format!("/api/v1/cases/open?{scope}")),
    ]
}

pub async fn run(s: &Settings, db: &Path) -> anyhow::Result<ApiResult> {
    anyhow::ensure!(db.exists(), "no database at {} for the API stage: run the `embedded` stage first (BENCH_STAGES)", db.display());
    let wrk = crate::prereq::wrk()?;
    let url = format!("sqlite://{}", db.display());
    let (events_in_log, events_projected) = match crate::embedded::progress(db).await {
        Some((a, p)) => (Some(a), Some(p)),
        None => (None, None),
    };

    // Alerts are raised by the running product's alert loop; do one evaluation.
    let log = s.logs().join("api-alert.log");
    let mut cmd = Command::new(&s.caseflow);
    cmd.arg("--database").arg(&url).args(["alert", "--once"]).env("CASEFLOW_LOG", "warn");
    let mut a = Monitored::spawn("caseflow alert --once", cmd, &log)?;
    let alert_once_seconds = loop {
        if let Some(e) = a.try_exit() {
            break (e.code == Some(0)).then_some(e.elapsed.as_secs_f64());
        }
        if a.started.elapsed() > s.budget {
            println!("  [api] caseflow alert --once still running after {:?}: stopped", s.budget);
            a.kill();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if alert_once_seconds.is_none() {
        println!("  [api] caseflow alert --once did not succeed; see {}", log.display());
    }

    let mut cmd = Command::new(&s.caseflow);
    cmd.arg("--database").arg(&url).args(["serve", "--listen", "127.0.0.1:0"]).env("CASEFLOW_LOG", "warn");
    let mut server = Monitored::spawn("caseflow serve", cmd, &s.logs().join("api-serve.log"))?;
    println!("  [api] caseflow serve pid {}", server.pid());
    let base = server.wait_line("caseflow listening on ", Duration::from_secs(120))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while caseflow_tests::broker::http_get(&format!("{base}/health/ready")).0 != 200 {
        anyhow::ensure!(Instant::now() < deadline, "caseflow serve did not become ready; see {}", server.log.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut out = Vec::new();
    for (name, path) in endpoints(s) {
        let t = Instant::now();
        let (status, body) = caseflow_tests::broker::http_get(&format!("{base}{path}"));
        let single = t.elapsed().as_secs_f64() * 1000.0;
        let mut e = EndpointResult { name: name.into(), path: path.clone(), status, body_bytes: body.len(), single_request_ms: single, wrk: None, error: None };
        if status != 200 {
            e.error = Some(format!("GET {path} answered {status}: {}", body.chars().take(300).collect::<String>()));
            println!("  [api] {name}: {}", e.error.as_deref().unwrap_or_default());
            out.push(e);
            continue;
        }
        println!("  [api] {name}: one request {single:.1} ms, {} bytes; wrk -c{} -t{} -d{}s …", body.len(), s.api_connections, s.api_threads, s.api_duration.as_secs());
        let output = Command::new(&wrk)
            .args([
                "-c",
                &s.api_connections.to_string(),
                "-t",
                &s.api_threads.to_string(),
                "-d",
                &format!("{}s", s.api_duration.as_secs()),
                "--timeout",
                &format!("{API_TIMEOUT_SECS}s"),
                "--latency",
            ])
            .arg(format!("{base}{path}"))
            .output()?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        std::fs::write(s.logs().join(format!("api-wrk-{}.txt", name.replace(' ', "-"))), &text)?;
        match parse_wrk(&text) {
            Ok(w) => e.wrk = Some(w),
            Err(err) => e.error = Some(format!("{err}\n{}", String::from_utf8_lossy(&output.stderr))),
        }
        out.push(e);
    }
    let exit = server.kill();
    Ok(ApiResult {
        database: db.to_path_buf(),
        events_in_log,
        events_projected,
        connections: s.api_connections,
        threads: s.api_threads,
        seconds_per_endpoint: s.api_duration.as_secs_f64(),
        alert_once_seconds,
        endpoints: out,
        serve_peak_rss_mib: crate::kib_to_mib(exit.max_rss_kib),
    })
}
