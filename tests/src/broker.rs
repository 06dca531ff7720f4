//! A Kafka broker of the tests' own — `tansu` (a Kafka-protocol broker from
//! crates.io) as a separate process with in-memory storage on a free port — and
//! the external Kafka client the tests produce and consume with (the Python
//! `kafka-python` package, see `tests/kafka_client.py`).
//!
//! Prerequisites (`make deps` installs them): `$CASEFLOW_TANSU` or
//! `~/.cache/caseflow/tansu-0.6.0/bin/tansu`, and `$CASEFLOW_PYTHON` or
//! `~/.cache/caseflow/venv/bin/python` with kafka-python. A missing one fails
//! the test with what to do; nothing is skipped.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::pg::free_port;

/// Let the kernel kill `cmd`'s process when the test thread that started it ends
/// (a panicking, interrupted or killed test leaves no broker or projector behind).
pub fn die_with_parent(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        })
    }
}

fn cache_dir() -> PathBuf {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    PathBuf::from(home).join(".cache/caseflow")
}

/// The tansu binary; panics with what to do when it is missing.
pub fn tansu_bin() -> PathBuf {
    let p = std::env::var("CASEFLOW_TANSU")
        .map(PathBuf::from)
        .unwrap_or_else(|_| cache_dir().join("tansu-0.6.0/bin/tansu"));
    assert!(p.exists(), "tansu broker not found at {} (set CASEFLOW_TANSU, or run `make deps` to build it once, ~8 min)", p.display());
    p
}

/// The Python interpreter with kafka-python; panics with what to do when missing.
pub fn python() -> PathBuf {
    let p = std::env::var("CASEFLOW_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| cache_dir().join("venv/bin/python"));
    assert!(
        p.exists(),
        "Python venv with kafka-python not found at {} (set CASEFLOW_PYTHON, or run `make deps`)",
        p.display()
    );
    let ok = Command::new(&p)
        .args(["-c", "import kafka"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{} cannot import kafka (kafka-python); run `make deps`",
        p.display()
    );
    p
}

/// `tests/kafka_client.py`.
pub fn client_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("kafka_client.py")
}

/// A running tansu broker; killed on drop.
pub struct Broker {
    child: Child,
    pub port: u16,
}

impl Broker {
    /// Start a broker on a free port and wait until it answers.
    pub fn start() -> Broker {
        Self::start_on(free_port())
    }

    pub fn start_on(port: u16) -> Broker {
        Self::start_advertised(port, port)
    }

    /// Listen on `port` but advertise `advertised` (e.g. a proxy in front).
    pub fn start_advertised(port: u16, advertised: u16) -> Broker {
        let url = format!("tcp://127.0.0.1:{port}");
        let adv = format!("tcp://127.0.0.1:{advertised}");
        let child = die_with_parent(&mut Command::new(tansu_bin()))
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &adv,
                "--storage-engine",
                "memory://tansu/",
            ])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn tansu");
        let b = Broker { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tansu did not listen on {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        b
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Create a topic with `partitions` partitions.
    pub fn create_topic(&self, name: &str, partitions: u32) {
        let out = Command::new(tansu_bin())
            .args([
                "topic",
                "create",
                name,
                "--partitions",
                &partitions.to_string(),
                "--broker",
                &format!("tcp://127.0.0.1:{}", self.port),
            ])
            .stdin(Stdio::null())
            .output()
            .expect("run tansu topic create");
        assert!(
            out.status.success(),
            "tansu topic create {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Run `kafka_client.py COMMAND ARGS…` (the external client) and return its
    /// standard output; a failure ends the test with the client's error.
    fn client(command: &str, args: &[&std::ffi::OsStr]) -> String {
        let out = Command::new(python())
            .arg(client_script())
            .arg(command)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run kafka_client.py {command}: {e}"));
        assert!(
            out.status.success(),
            "kafka_client.py {command} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Produce NDJSON `file` with the external client (key per the producer
    /// contract); `extra` are further `kafka_client.py produce` arguments.
    /// Returns the number of messages produced (each one acknowledged).
    pub fn produce_with(bootstrap: &str, file: &std::path::Path, extra: &[&str]) -> u64 {
        let mut args: Vec<&std::ffi::OsStr> = vec!["--brokers".as_ref(), bootstrap.as_ref(), "--file".as_ref(), file.as_os_str()];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        Self::client("produce", &args).trim().parse().expect("produced count")
    }

    pub fn produce(&self, file: &std::path::Path, extra: &[&str]) -> u64 {
        Self::produce_with(&self.bootstrap(), file, extra)
    }

    /// The end offset of each partition of `topic` (what the broker holds), read
    /// with the external client.
    pub fn end_offsets(&self, topic: &str) -> std::collections::BTreeMap<i64, i64> {
        let bootstrap = self.bootstrap();
        let out = Self::client("offsets", &["--brokers".as_ref(), bootstrap.as_ref(), "--topic".as_ref(), topic.as_ref()]);
        let ends: std::collections::BTreeMap<String, i64> = serde_json::from_str(&out).expect("offsets JSON");
        ends.into_iter()
            .map(|(p, o)| (p.parse().expect("partition number"), o))
            .collect()
    }

    /// Read `topic` from the beginning with the external client until `expect`
    /// messages arrived (or `timeout`).
    /// With `distinct_header`, `expect` counts distinct values of that header
    /// (for at-least-once topics, where a message may be there twice).
    pub fn consume(&self, topic: &str, expect: usize, distinct_header: Option<&str>, timeout: Duration) -> Vec<serde_json::Value> {
        let (bootstrap, expect, timeout) = (self.bootstrap(), expect.to_string(), timeout.as_secs().to_string());
        let mut args: Vec<&std::ffi::OsStr> = ["--brokers", &bootstrap, "--topic", topic, "--expect", &expect, "--timeout", &timeout]
            .into_iter()
            .map(std::ffi::OsStr::new)
            .collect();
        if let Some(h) = distinct_header {
            args.extend([std::ffi::OsStr::new("--distinct-header"), std::ffi::OsStr::new(h)]);
        }
        Self::client("consume", &args)
            .lines()
            .map(|l| serde_json::from_str(l).expect("consume output is JSON"))
            .collect()
    }
}

impl Broker {
    /// Freeze the broker process (SIGSTOP): to its clients it stops answering,
    /// while its in-memory topics stay.
    pub fn freeze(&self) {
        let st = Command::new("kill")
            .args(["-STOP", &self.child.id().to_string()])
            .status()
            .expect("kill -STOP");
        assert!(st.success());
    }

    /// Let a frozen broker run again (SIGCONT).
    pub fn thaw(&self) {
        let st = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status()
            .expect("kill -CONT");
        assert!(st.success());
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `caseflow project` process.
pub struct ProjectorProcess {
    pub child: Child,
    /// `http://127.0.0.1:PORT` of its health and metrics endpoints.
    pub base: String,
}

impl ProjectorProcess {
    /// Start `caseflow project` with `args` (brokers, topic, …) against `database`,
    /// health/metrics on a free port.
    pub fn start(database: &str, args: &[&str]) -> ProjectorProcess {
        let mut child = die_with_parent(&mut crate::caseflow(database))
            .arg("project")
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .env("CASEFLOW_LOG", "warn,caseflow_kafka=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn caseflow project");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(url) = line.strip_prefix("caseflow listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("caseflow project printed its address");
        ProjectorProcess { child, base }
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait (bounded) for the exit; returns whether it exited with 0.
    pub fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st.success();
            }
            assert!(
                Instant::now() < deadline,
                "caseflow project did not stop within 60 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Still running?
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// GET a path of its HTTP port: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        http_get(&format!("{}{path}", self.base))
    }

    /// The sum of a metric's samples on its /metrics (`None` when unreachable
    /// or absent).
    pub fn metric(&self, name: &str) -> Option<f64> {
        metric(&self.base, name)
    }
}

/// The sum of a metric's samples (all label sets) on `base`/metrics; `None`
/// when unreachable or absent.
pub fn metric(base: &str, name: &str) -> Option<f64> {
    let (status, body) = http_get(&format!("{base}/metrics"));
    if status != 200 {
        return None;
    }
    let mut sum = None;
    // The exposition format allows blank lines between families.
    for l in body.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (n, v) = l.rsplit_once(' ')?;
        let n = n.split('{').next().unwrap_or(n);
        if n == name {
            *sum.get_or_insert(0.0) += v.parse::<f64>().unwrap_or(0.0);
        }
    }
    sum
}

impl Drop for ProjectorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal blocking HTTP/1.0 GET (status, body); (0, error) when unreachable.
pub fn http_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut s = match TcpStream::connect(host) {
        Ok(s) => s,
        Err(e) => return (0, e.to_string()),
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    let mut buf = String::new();
    if let Err(e) = s.read_to_string(&mut buf) {
        return (0, e.to_string());
    }
    let status = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}
