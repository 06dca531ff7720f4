//! SIGTERM stops `caseflow run` cleanly, every time: exit 0 within 10 s, idle
//! (with the alert evaluator ticking every second), with the projector in the
//! middle of a catch-up, and with a POST in flight, on SQLite and PostgreSQL.
//! Nothing is lost: after the interrupted runs, a restart and a re-POST give the
//! figures of an uninterrupted ingest.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use caseflow_tests::pg::PgServer;
use caseflow_tests::{caseflow, TempDir};
use support::*;

const ROUNDS: usize = 20;
const DEADLINE: Duration = Duration::from_secs(10);

/// A `caseflow run` on port 0 with its stderr (log) read in the background.
struct Run {
    child: Child,
    base: String,
    /// Log lines as they arrive.
    log: std::sync::mpsc::Receiver<String>,
}

impl Run {
    fn start(database: &str, extra: &[&str]) -> Run {
        let mut child = caseflow(database)
            .env("CASEFLOW_LOG", "info")
            .args(["--batch-size", "1000", "run", "--listen", "127.0.0.1:0", "--alert-interval", "1"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn caseflow run");
        let (tx, log) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx2.send(l);
            }
        });
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let base = loop {
            let l = log
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("caseflow run printed its address");
            if let Some(url) = l.strip_prefix("caseflow listening on ") {
                break url.trim().to_string();
            }
        };
        Run { child, base, log }
    }

    /// Wait for a log line containing `needle` (bounded).
    fn wait_log(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match self.log.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(l) if l.contains(needle) => return,
                Ok(_) => {}
                Err(_) => panic!("no log line with `{needle}`"),
            }
        }
    }

    /// SIGTERM, then the exit status, which must come within [`DEADLINE`].
    fn terminate(mut self, what: &str) {
        let pid = self.child.id() as i32;
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let sent = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{what}: exit status {status:?} after SIGTERM");
                return;
            }
            if sent.elapsed() > DEADLINE {
                let _ = self.child.kill();
                panic!("{what}: still running {DEADLINE:?} after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A small deterministic jitter (0..max ms) so the signal lands at different
/// points of the work from round to round.
fn jitter(round: usize, max: u64) -> Duration {
    Duration::from_millis((round as u64 * 7919 + 13) % max)
}

fn stream() -> Stream {
    simulate(
        "shutdown",
        &["--seed", "5", "--gemeenten", "1", "--from", "2025-01-01", "--to", "2025-03-31", "--scale", "0.3"],
    )
}

/// The NDJSON stream cut into POST bodies of `n` lines.
fn bodies(s: &Stream, n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(&s.file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 4 * n, "the stream has {} lines", lines.len());
    lines.chunks(n).map(|c| c.join("\n")).collect()
}

/// How a database is copied for each round.
trait Databases {
    /// A new, empty database.
    fn empty(&self) -> String;
    /// A copy of `db` (which no process uses at the time).
    fn copy(&self, db: &str) -> String;
    /// Make the projector re-project the whole log (a real backlog for its
    /// catch-up; the folds recompute the same facts).
    fn reset_checkpoint(&self, db: &str);
}

struct Sqlite(TempDir);
impl Databases for Sqlite {
    fn empty(&self) -> String {
        format!("sqlite://{}/{}.db", self.0 .0.display(), uuid::Uuid::new_v4().simple())
    }
    fn copy(&self, db: &str) -> String {
        let to = self.empty();
        std::fs::copy(db.strip_prefix("sqlite://").unwrap(), to.strip_prefix("sqlite://").unwrap()).unwrap();
        to
    }
    fn reset_checkpoint(&self, db: &str) {
        let out = std::process::Command::new("sqlite3")
            .arg(db.strip_prefix("sqlite://").unwrap())
            .arg("PRAGMA journal_mode=DELETE; UPDATE checkpoints SET position = 0 WHERE name = 'embedded';")
            .output()
            .expect("run sqlite3 (make test-deps installs it)");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

struct Postgres(&'static PgServer);
impl Databases for Postgres {
    fn empty(&self) -> String {
        self.0.database()
    }
    fn copy(&self, db: &str) -> String {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let from = db.rsplit('/').next().unwrap();
        self.0.psql("postgres", &format!("CREATE DATABASE {name} TEMPLATE {from}"));
        self.0.url(&name)
    }
    fn reset_checkpoint(&self, db: &str) {
        self.0.psql(db, "UPDATE checkpoints SET position = 0 WHERE name = 'embedded'");
    }
}

async fn sigterm_always_stops_cleanly(dbs: &dyn Databases, what: &str) {
    let s = stream();
    let reference = dbs.empty();
    ingest(&reference, &s.file);
    let want = outcome(&reference);

    // Idle: the API up, the alert evaluator ticking every second.
    let idle = dbs.copy(&reference);
    for round in 0..ROUNDS {
        let run = Run::start(&idle, &[]);
        std::thread::sleep(jitter(round, 1500));
        run.terminate(&format!("{what} idle, round {round}"));
    }

    // Mid-batch: the projector catching up on a backlog when the signal comes.
    let backlog = dbs.copy(&reference);
    dbs.reset_checkpoint(&backlog);
    for round in 0..ROUNDS {
        let db = dbs.copy(&backlog);
        let run = Run::start(&db, &[]);
        run.wait_log("projected");
        std::thread::sleep(jitter(round, 50));
        run.terminate(&format!("{what} mid-batch, round {round}"));
    }
    // A restart finishes the catch-up with the figures of the reference.
    let resumed = dbs.copy(&backlog);
    let run = Run::start(&resumed, &[]);
    run.terminate(&format!("{what} restart"));
    let run = Run::start(&resumed, &[]);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut got = outcome(&resumed);
    while got != want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        got = outcome(&resumed);
    }
    run.terminate(&format!("{what} after the catch-up"));
    assert_same(&got, &want, &format!("{what}: interrupted catch-ups"));

    // Mid-POST: a 2,000-line POST in flight when the signal comes.
    let posted = dbs.empty();
    let bodies = bodies(&s, 2000);
    for round in 0..ROUNDS {
        let run = Run::start(&posted, &[]);
        let body = bodies[round % bodies.len()].clone();
        let url = format!("{}/api/v1/events", run.base);
        let post = tokio::spawn(async move { reqwest::Client::new().post(url).body(body).send().await });
        tokio::time::sleep(jitter(round, 300)).await;
        run.terminate(&format!("{what} mid-POST, round {round}"));
        // The POST either finished or its connection closed; never a 5xx.
        if let Ok(Ok(r)) = post.await {
            assert!(r.status().is_success(), "{what} mid-POST round {round}: {}", r.status());
        }
    }
    // Nothing is lost: the producer re-sends every body (idempotent by event_id).
    let run = Run::start(&posted, &[]);
    let http = reqwest::Client::new();
    for body in &bodies {
        let r = http.post(format!("{}/api/v1/events", run.base)).body(body.clone()).send().await.unwrap();
        assert!(r.status().is_success(), "{what}: re-POST {}", r.status());
    }
    run.terminate(&format!("{what} after the re-POST"));
    let got = outcome(&posted);
    assert_eq!(got.throughput, want.throughput, "{what}: interrupted POSTs lost or doubled events");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_run_cleanly_on_sqlite() {
    sigterm_always_stops_cleanly(&Sqlite(TempDir::new("shutdown")), "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_run_cleanly_on_postgres() {
    sigterm_always_stops_cleanly(&Postgres(PgServer::shared()), "postgres").await;
}
