//! Stage `embedded`: `caseflow ingest FILE --json --timings` into a fresh SQLite
//! database (the embedded default: append to the log, then project), timed from
//! spawn to exit, peak RSS from rusage, seconds per phase from `--timings`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;
use sqlx::Connection;

use crate::config::Settings;
use crate::phases::{self, Phases};
use crate::proc::Monitored;
use crate::stream::Stream;
use crate::{kib_to_mib, Status};

#[derive(Debug, Clone, Serialize)]
pub struct EmbeddedResult {
    pub lines: u64,
    pub status: Status,
    pub seconds: f64,
    /// Input lines per second for a complete run; for a partial run, events
    /// projected (appended to the log and folded into the read models) per second.
    pub events_per_sec: Option<f64>,
    /// `caseflow ingest --json` (complete runs).
    pub accepted: Option<u64>,
    pub duplicates: Option<u64>,
    pub rejected: Option<u64>,
    /// Read from the database when the run was stopped (partial runs).
    pub appended_at_stop: Option<u64>,
    pub projected_at_stop: Option<u64>,
    pub peak_rss_mib: f64,
    pub database: PathBuf,
    pub database_mib: Option<f64>,
    pub log: PathBuf,
    /// Seconds per phase of the write path (`caseflow ingest --timings`; complete runs).
    pub phases: Phases,
}

/// (events appended, events projected) so far, counted (`seq` orders the log
/// but may skip values); `None` while unreadable. The projected ones are the log
/// less its unprojected tail, so only that tail is scanned.
pub async fn progress(db: &Path) -> Option<(u64, u64)> {
    let url = format!("sqlite://{}?mode=ro", db.display());
    let mut c = sqlx::SqliteConnection::connect(&url).await.ok()?;
    let row: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM events), \
                (SELECT COUNT(*) FROM events WHERE seq > (SELECT COALESCE(MAX(position), 0) FROM checkpoints WHERE name = 'embedded'))",
    )
    .fetch_one(&mut c)
    .await
    .ok()?;
    let _ = c.close().await;
    Some((row.0 as u64, (row.0 - row.1) as u64))
}

pub fn remove_sqlite(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

pub async fn run(s: &Settings, stream: &Stream, db: &Path, tag: &str) -> anyhow::Result<EmbeddedResult> {
    remove_sqlite(db);
    std::fs::create_dir_all(db.parent().expect("database in a directory"))?;
    let log = s.logs().join(format!("{tag}.log"));
    let mut cmd = Command::new(&s.caseflow);
    cmd.arg("--database").arg(format!("sqlite://{}", db.display())).arg("ingest").arg(&stream.path).arg("--json").arg("--timings").env("CASEFLOW_LOG", "warn");
    let mut p = Monitored::spawn("caseflow ingest", cmd, &log)?;
    println!("  [{tag}] caseflow ingest pid {} (log {})", p.pid(), log.display());
    let mut last_print = Instant::now();
    let mut status = Status::Complete;
    let exit = loop {
        if let Some(e) = p.try_exit() {
            break e;
        }
        if p.started.elapsed() > s.budget {
            status = Status::Partial;
            println!("  [{tag}] time budget of {:?} reached: stopping (BENCH_BUDGET_SECS)", s.budget);
            break p.kill();
        }
        if last_print.elapsed() >= Duration::from_secs(10) {
            last_print = Instant::now();
            let (a, pr) = progress(db).await.unwrap_or((0, 0));
            println!(
                "  [{tag}] {:>5.0} s: {a} appended, {pr} projected of {} lines, RSS peak {:.0} MiB",
                p.started.elapsed().as_secs_f64(),
                stream.lines,
                kib_to_mib(p.peak_rss_kib().unwrap_or(0))
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let seconds = exit.elapsed.as_secs_f64();
    let mut r = EmbeddedResult {
        lines: stream.lines,
        status,
        seconds,
        events_per_sec: None,
        accepted: None,
        duplicates: None,
        rejected: None,
        appended_at_stop: None,
        projected_at_stop: None,
        peak_rss_mib: kib_to_mib(exit.max_rss_kib),
        database: db.to_path_buf(),
        database_mib: std::fs::metadata(db).ok().map(|m| m.len() as f64 / 1048576.0),
        log: log.clone(),
        phases: Phases::new(),
    };
    if status == Status::Complete {
        anyhow::ensure!(exit.code == Some(0), "caseflow ingest failed ({:?}); see {}\n{}", exit.code, log.display(), p.log_tail(20));
        let v: serde_json::Value = serde_json::from_str(p.stdout().trim())
            .map_err(|e| anyhow::anyhow!("caseflow ingest --json printed no JSON ({e}): {}", p.stdout()))?;
        r.accepted = v["accepted"].as_u64();
        r.duplicates = v["duplicates"].as_u64();
        r.rejected = v["rejected"].as_u64();
        r.events_per_sec = Some(stream.lines as f64 / seconds);
        r.phases = phases::from_timings(&std::fs::read_to_string(&log).unwrap_or_default());
    } else {
        let (a, pr) = progress(db).await.unwrap_or((0, 0));
        r.appended_at_stop = Some(a);
        r.projected_at_stop = Some(pr);
        r.events_per_sec = Some(pr as f64 / seconds);
    }
    Ok(r)
}
