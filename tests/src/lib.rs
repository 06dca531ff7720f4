//! Helpers for the end-to-end tests: find (or build) the `caseflow` binary, run
//! it as a user would, and make events. [`pg`]: a PostgreSQL server of the tests' own;
//! [`broker`]: a tansu Kafka broker and the external (Python) Kafka client.

pub mod broker;
pub mod pg;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The workspace's target directory profile folder holding the test executable.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test>-<hash>
    exe.parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_path_buf()
}

/// Path of the `caseflow` binary, built once if cargo has not built it yet.
pub fn caseflow_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = profile_dir();
        let bin = dir.join("caseflow");
        let release = dir.file_name().is_some_and(|n| n == "release");
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "-p", "caseflow", "--bin", "caseflow"]);
        if release {
            cmd.arg("--release");
        }
        // Always ask cargo: it is a no-op when the binary is up to date.
        let status = cmd
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building the caseflow binary failed");
        assert!(bin.exists(), "no binary at {}", bin.display());
        bin
    })
    .clone()
}

/// Debian's `chromium` on PATH; panics with what to install when missing.
pub fn chromium() -> String {
    let out = Command::new("sh")
        .args(["-c", "command -v chromium"])
        .output()
        .expect("run sh");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!path.is_empty(), "chromium is not on PATH (apt-get install chromium, or `make deps`)");
    path
}

/// A `caseflow` command against the given database.
pub fn caseflow(database: &str) -> Command {
    let mut c = Command::new(caseflow_bin());
    c.env("CASEFLOW_DATABASE_URL", database)
        .env("CASEFLOW_LOG", "warn");
    c
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "caseflow-{tag}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn sqlite_url(&self) -> String {
        format!("sqlite://{}/caseflow.db", self.0.display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `caseflow run` process on a free port; killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    pub fn start(database: &str, subcommand: &str) -> Server {
        Self::start_with(database, &[subcommand])
    }

    /// Start `caseflow ARGS… --listen 127.0.0.1:0`.
    pub fn start_with(database: &str, args: &[&str]) -> Server {
        Self::spawn(caseflow(database).args(args).stderr(Stdio::inherit()))
    }

    /// Like [`Server::start_with`], logging at `info` into the file `log`.
    pub fn start_logged(database: &str, args: &[&str], log: &Path) -> Server {
        let file = std::fs::File::create(log).expect("create the log file");
        Self::spawn(caseflow(database).env("CASEFLOW_LOG", "info").args(args).stderr(file))
    }

    fn spawn(cmd: &mut Command) -> Server {
        let mut child = cmd
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn caseflow");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("caseflow listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("caseflow printed its address");
        Server { child, base }
    }

    /// Wait (bounded) until the readiness endpoint answers 200.
    pub async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = reqwest::get(format!("{}/health/ready", self.base)).await {
                if r.status() == 200 {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "caseflow did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Build one event line. `data` is the type-specific part.
pub fn event(
    event_id: &str,
    event_type: &str,
    occurred_at: &str,
    case_id: &str,
    data: Value,
) -> String {
    json!({
        "event_id": event_id,
        "event_type": event_type,
        "schema_version": 1,
        "occurred_at": occurred_at,
        "gemeente": "GM0935",
        "domein": "wmo",
        "case_id": case_id,
        "client_ref": "c-1a2b3c",
        "data": data,
    })
    .to_string()
}

/// A deterministic UUID text from a small number, for readable tests.
pub fn id(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// SplitMix64: a test's own random choices, reproducible from the seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One of `xs`.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}
