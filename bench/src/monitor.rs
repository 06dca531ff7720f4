//! Stage `monitor`: the council monitor (spec §3.5) over the embedded stage's
//! SQLite database — three gemeenten side by side, the last complete quarter of
//! the stream with a trend of four and a baseline a year earlier — made from the
//! read model, and once from a scan of the whole log (`--from-log`) as the baseline.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde::Serialize;
use sqlx::Connection;

use crate::config::Settings;

/// Runs of the read-model report; the median is the result.
const RUNS: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct MonitorResult {
    pub gemeenten: Vec<String>,
    pub quarter: String,
    pub baseline: String,
    pub cells: usize,
    /// Wall time of `caseflow report monitor --json` (process start to exit), per run.
    pub seconds: Vec<f64>,
    pub median_seconds: f64,
    /// The same report with `--from-log`: the whole log read and folded afresh.
    pub from_log_seconds: f64,
    /// Whether both gave the same cells.
    pub same_cells: bool,
}

fn quarter_label(d: chrono::NaiveDate) -> (i32, u32) {
    use chrono::Datelike;
    (d.year(), d.month0() / 3 + 1)
}

/// The quarter before the one holding `d`, and the same quarter a year before that.
fn periods(d: chrono::NaiveDate) -> (String, String) {
    let (y, q) = quarter_label(d);
    let (y, q) = if q == 1 { (y - 1, 4) } else { (y, q - 1) };
    (format!("{y}-Q{q}"), format!("{}-Q{q}", y - 1))
}

pub async fn run(s: &Settings, db: &Path) -> anyhow::Result<MonitorResult> {
    anyhow::ensure!(db.exists(), "no database at {} for the monitor stage: run the `embedded` stage first (BENCH_STAGES)", db.display());
    let url = format!("sqlite://{}?mode=ro", db.display());
    let mut c = sqlx::SqliteConnection::connect(&url).await?;
    let gemeenten: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT gemeente FROM agg_daily WHERE metric = 'meldingen' AND domein = 'wmo' ORDER BY gemeente")
        .fetch_all(&mut c)
        .await?;
    let last: (Option<String>,) = sqlx::query_as("SELECT MAX(day) FROM agg_daily WHERE metric = 'meldingen'").fetch_one(&mut c).await?;
    let _ = c.close().await;
    let gemeenten: Vec<String> = gemeenten.into_iter().map(|g| g.0).take(3).collect();
    anyhow::ensure!(!gemeenten.is_empty(), "no Wmo meldingen in {}", db.display());
    let last: chrono::NaiveDate = last.0.unwrap_or_default().parse()?;
    let (quarter, baseline) = periods(last);
    let report = |from_log: bool| -> anyhow::Result<(f64, serde_json::Value)> {
        let mut cmd = Command::new(&s.caseflow);
        cmd.arg("--database")
            .arg(format!("sqlite://{}", db.display()))
            .args(["report", "monitor", "--domein", "wmo", "--trend", "4", "--json"])
            .args(["--gemeente", &gemeenten.join(","), "--quarter", &quarter, "--baseline", &baseline])
            .env("CASEFLOW_LOG", "warn");
        if from_log {
            cmd.arg("--from-log");
        }
        let t = Instant::now();
        let out = crate::proc::run(&mut cmd, "caseflow report monitor")?;
        let secs = t.elapsed().as_secs_f64();
        Ok((secs, serde_json::from_str(&out)?))
    };
    let mut seconds = Vec::new();
    let mut first = None;
    for i in 0..RUNS {
        let (secs, v) = report(false)?;
        println!("  [monitor] run {}: {secs:.3} s", i + 1);
        seconds.push(secs);
        first.get_or_insert(v);
    }
    let first = first.expect("at least one run");
    let (from_log_seconds, scanned) = report(true)?;
    println!("  [monitor] --from-log: {from_log_seconds:.1} s");
    let mut sorted = seconds.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(MonitorResult {
        gemeenten,
        quarter,
        baseline,
        cells: first["cells"].as_array().map_or(0, Vec::len),
        median_seconds: sorted[sorted.len() / 2],
        seconds,
        from_log_seconds,
        same_cells: first["cells"] == scanned["cells"],
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_report_quarter_is_the_last_complete_one() {
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(super::periods(d("2026-12-06")), ("2026-Q3".to_string(), "2025-Q3".to_string()));
        assert_eq!(super::periods(d("2027-02-01")), ("2026-Q4".to_string(), "2025-Q4".to_string()));
    }
}
