//! PDF through headless Chromium: the HTML page printed as the browser prints it.

use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::ReportError;

/// How much of Chromium's stderr an error carries.
const STDERR_TAIL: usize = 2000;

/// Print `html` to PDF with the Chromium at `chromium`; kill it after `timeout`.
/// Blocking: async callers run it on a blocking thread.
pub fn pdf(html: &str, chromium: &Path, timeout: Duration) -> Result<Vec<u8>, ReportError> {
    let chromium = resolve(chromium)
        .ok_or_else(|| ReportError::ChromiumNotFound(chromium.display().to_string()))?;
    let chromium = chromium.as_path();
    let dir = tempfile::Builder::new()
        .prefix("caseflow-report-")
        .tempdir()
        .map_err(|e| ReportError::Io("creating a temporary directory", e))?;
    let input = dir.path().join("rapport.html");
    let output = dir.path().join("rapport.pdf");
    let profile = dir.path().join("profiel");
    let stderr_path = dir.path().join("chromium.stderr");
    fs::write(&input, html).map_err(|e| ReportError::Io("writing the HTML", e))?;
    let stderr =
        File::create(&stderr_path).map_err(|e| ReportError::Io("creating the stderr file", e))?;

    let mut child = Command::new(chromium)
        .arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--no-pdf-header-footer")
        .arg("--no-first-run")
        .arg("--disable-extensions")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", output.display()))
        .arg(format!("file://{}", input.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        // Its own process group, so a timeout ends its helper processes too.
        .process_group(0)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                ReportError::ChromiumNotFound(chromium.display().to_string())
            }
            _ => ReportError::Io("starting Chromium", e),
        })?;

    let started = Instant::now();
    let status = loop {
        match child
            .try_wait()
            .map_err(|e| ReportError::Io("waiting for Chromium", e))?
        {
            Some(status) => break status,
            None if started.elapsed() >= timeout => {
                kill_group(child.id());
                let _ = child.kill();
                let _ = child.wait();
                return Err(ReportError::ChromiumTimeout {
                    after: timeout,
                    stderr: tail(&stderr_path),
                });
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    // Helpers that outlive the browser process have nothing left to do.
    kill_group(child.id());
    if !status.success() {
        return Err(ReportError::ChromiumFailed {
            status: status.to_string(),
            stderr: tail(&stderr_path),
        });
    }
    let bytes = match fs::read(&output) {
        Ok(b) if b.starts_with(b"%PDF") => b,
        _ => {
            return Err(ReportError::NoPdf {
                stderr: tail(&stderr_path),
            })
        }
    };
    Ok(bytes)
}

fn kill_group(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals the process group we
        // created for this child; it has no memory-safety preconditions.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// The last part of Chromium's stderr, on a character boundary.
fn tail(path: &Path) -> String {
    let text = fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let text = text.trim_end();
    if text.len() <= STDERR_TAIL {
        return text.to_string();
    }
    let mut start = text.len() - STDERR_TAIL;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

/// The Chromium to use: `$CASEFLOW_CHROMIUM` when set, else the first of
/// `chromium`, `chromium-browser`, `google-chrome` on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CASEFLOW_CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(on_path)
}

/// An executable named `name` in a directory of `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

/// The executable a `--chromium` value names: a path, or a bare name looked up on `PATH`.
fn resolve(chromium: &Path) -> Option<PathBuf> {
    if chromium.is_file() {
        return Some(chromium.to_path_buf());
    }
    let bare = chromium.components().count() == 1 && !chromium.has_root();
    if bare {
        return chromium.to_str().and_then(on_path);
    }
    None
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
