//! The binary under test as a subprocess: its stdout captured, its stderr in a
//! log file, its peak RSS from `/proc/PID/status` while it runs and from
//! `wait4`'s rusage when it ends (exact, including the last moments).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;

/// How a monitored process ended.
#[derive(Debug, Clone, Copy)]
pub struct Exit {
    /// Exit code; `None` when killed by a signal.
    pub code: Option<i32>,
    /// Peak resident set size (ru_maxrss), KiB.
    pub max_rss_kib: u64,
    pub elapsed: Duration,
}

pub struct Monitored {
    pid: i32,
    pub name: String,
    pub started: Instant,
    pub log: PathBuf,
    stdout: Arc<Mutex<String>>,
    lines: mpsc::Receiver<String>,
    exit: Option<Exit>,
}

impl Monitored {
    /// Spawn `cmd` with stdout captured and stderr appended to `log`. The child
    /// is killed when the harness dies (PR_SET_PDEATHSIG), so none outlives it.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> anyhow::Result<Monitored> {
        let err = std::fs::OpenOptions::new().create(true).append(true).open(log).with_context(|| format!("cannot open {}", log.display()))?;
        caseflow_tests::broker::die_with_parent(&mut cmd);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err))
            .spawn()
            .with_context(|| format!("cannot start {name}: {cmd:?}"))?;
        let out = child.stdout.take().expect("piped stdout");
        let stdout = Arc::new(Mutex::new(String::new()));
        let (tx, lines) = mpsc::channel();
        let buf = stdout.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let mut b = buf.lock().unwrap_or_else(|e| e.into_inner());
                b.push_str(&line);
                b.push('\n');
                let _ = tx.send(line);
            }
        });
        let pid = child.id() as i32;
        Ok(Monitored { pid, name: name.to_string(), started: Instant::now(), log: log.to_path_buf(), stdout, lines, exit: None })
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Wait (bounded) for a stdout line starting with `prefix`; the rest of it.
    pub fn wait_line(&mut self, prefix: &str, timeout: Duration) -> anyhow::Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return Ok(rest.trim().to_string());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    anyhow::bail!("{} ended without printing `{prefix}…`; see {}\n{}", self.name, self.log.display(), self.log_tail(20))
                }
            }
            if let Some(e) = self.try_exit() {
                anyhow::bail!("{} exited ({:?}) before printing `{prefix}…`; see {}\n{}", self.name, e.code, self.log.display(), self.log_tail(20));
            }
            anyhow::ensure!(Instant::now() < deadline, "{} did not print `{prefix}…` within {timeout:?}; see {}", self.name, self.log.display());
        }
    }

    /// Everything it printed on stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The last `n` lines of its log.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Peak RSS so far (VmHWM), KiB; `None` once it has ended.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        if self.exit.is_some() {
            return None;
        }
        status_kib(self.pid, "VmHWM:")
    }

    /// Reap it if it has ended (non-blocking).
    pub fn try_exit(&mut self) -> Option<Exit> {
        if self.exit.is_none() {
            self.exit = self.wait4(libc::WNOHANG);
        }
        self.exit
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) -> Exit {
        if let Some(e) = self.try_exit() {
            return e;
        }
        // SAFETY: plain kill(2) on our own, not yet reaped child.
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
        self.wait()
    }

    /// Block until it ends.
    pub fn wait(&mut self) -> Exit {
        if let Some(e) = self.exit {
            return e;
        }
        let e = self.wait4(0).expect("blocking wait4 returns the child");
        self.exit = Some(e);
        e
    }

    fn wait4(&mut self, flags: i32) -> Option<Exit> {
        let mut status = 0;
        // SAFETY: rusage is plain data; wait4 fills it.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        loop {
            // SAFETY: waiting for our own child pid.
            let r = unsafe { libc::wait4(self.pid, &mut status, flags, &mut ru) };
            if r == self.pid {
                let code = if libc::WIFEXITED(status) { Some(libc::WEXITSTATUS(status)) } else { None };
                return Some(Exit { code, max_rss_kib: ru.ru_maxrss as u64, elapsed: self.started.elapsed() });
            }
            if r == 0 {
                return None;
            }
            if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                // Already reaped elsewhere (should not happen): report what we know.
                return Some(Exit { code: None, max_rss_kib: 0, elapsed: self.started.elapsed() });
            }
        }
    }
}

impl Drop for Monitored {
    fn drop(&mut self) {
        if self.exit.is_none() {
            self.kill();
        }
    }
}

/// A `KiB` field of `/proc/PID/status` (VmRSS, VmHWM).
pub fn status_kib(pid: i32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}

/// Run a short command to completion; its stdout, or an error with its output.
pub fn run(cmd: &mut Command, what: &str) -> anyhow::Result<String> {
    let out = cmd.stdin(Stdio::null()).output().with_context(|| format!("cannot run {what}"))?;
    anyhow::ensure!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
