mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use caseflow_report::{find_chromium, html, pdf, ReportError};
use common::sample;

/// One Chromium run: the sample report printed, and its text read back.
#[test]
fn chromium_prints_the_report_to_pdf() {
    let chromium = find_chromium()
        .expect("Chromium (Debian's chromium package) must be installed for this test");
    let bytes = pdf(&html(&sample()), &chromium, Duration::from_secs(120)).expect("pdf");
    assert!(bytes.starts_with(b"%PDF"));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("rapport.pdf");
    std::fs::write(&file, &bytes).expect("write");
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed for this test");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "Kwartaalmonitor Wmo",
        "Instroom, doorstroom en uitstroom",
        "Formatie en capaciteit",
        "1.234",
        "73,4%",
        "40,91",
        "+34",
        "<5",
        "<10",
        "Colofon",
        "domeinspecificatie v1.1, §3.5",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in the PDF text:\n{text}"
        );
    }
    for leak in ["4.321", "987,6", "876,5", "90,3%"] {
        assert!(!text.contains(leak), "true value {leak} in the PDF");
    }
    // A4 landscape: 842 × 595 points.
    let info = Command::new("pdfinfo")
        .arg(&file)
        .output()
        .expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("(A4)"), "{info}");
}

/// Whether process `pid` is gone, a zombie, or has SIGKILL pending.
fn stopped(pid: &str) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return true;
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    };
    let sigkill = |mask: String| u64::from_str_radix(&mask, 16).is_ok_and(|m| m & (1 << 8) != 0);
    field("State:").starts_with('Z') || sigkill(field("SigPnd:")) || sigkill(field("ShdPnd:"))
}

fn script(dir: &Path, body: &str) -> std::path::PathBuf {
    let p = dir.join("fake-chromium");
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    p
}

#[test]
fn a_missing_chromium_says_how_to_install_it() {
    let err = pdf(
        "<p>x</p>",
        Path::new("/nonexistent/chromium"),
        Duration::from_secs(5),
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::ChromiumNotFound(_)));
    let msg = err.to_string();
    assert!(
        msg.contains("/nonexistent/chromium")
            && msg.contains("`chromium` package")
            && msg.contains("--chromium"),
        "{msg}"
    );
}

#[test]
fn a_bare_name_is_looked_up_on_path() {
    // `true` ignores Chromium's flags and exits 0 without a PDF: found, then NoPdf.
    let err = pdf("<p>x</p>", Path::new("true"), Duration::from_secs(20)).unwrap_err();
    assert!(matches!(err, ReportError::NoPdf { .. }), "{err:?}");
    let err = pdf(
        "<p>x</p>",
        Path::new("geen-chromium-hier"),
        Duration::from_secs(5),
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::ChromiumNotFound(_)), "{err:?}");
}

#[test]
fn a_failing_chromium_reports_status_and_stderr_tail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = script(
        dir.path(),
        "echo 'early noise' >&2\necho 'cannot open display' >&2\nexit 3",
    );
    let err = pdf("<p>x</p>", &fake, Duration::from_secs(20)).unwrap_err();
    let ReportError::ChromiumFailed { status, stderr } = &err else {
        panic!("{err:?}")
    };
    assert!(status.contains('3'), "{status}");
    assert!(stderr.contains("cannot open display"), "{stderr}");
}

#[test]
fn a_chromium_that_writes_nothing_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = script(dir.path(), "exit 0");
    let err = pdf("<p>x</p>", &fake, Duration::from_secs(20)).unwrap_err();
    assert!(matches!(err, ReportError::NoPdf { .. }), "{err:?}");
}

#[test]
fn a_hanging_chromium_is_stopped_at_the_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The fake starts a helper process, as Chromium does, and records both ids.
    let pids = dir.path().join("pids");
    let fake = script(
        dir.path(),
        &format!("sleep 30 &\necho $$ $! > {}\necho started >&2\nwait", pids.display()),
    );
    let err = pdf("<p>x</p>", &fake, Duration::from_millis(300)).unwrap_err();
    let ReportError::ChromiumTimeout { stderr, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(stderr.contains("started"), "{stderr}");
    // Stopped, helper included: each is gone, a zombie, or has SIGKILL pending
    // (the kernel delivers it when the process next runs).
    let ids = std::fs::read_to_string(&pids).expect("the fake wrote its ids");
    for pid in ids.split_whitespace() {
        assert!(stopped(pid), "process {pid} is still running");
    }}
