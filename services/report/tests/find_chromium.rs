//! `find_chromium` reads the environment: its own test binary, one test, so
//! no other test sees the changed variables.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use caseflow_report::find_chromium;

#[test]
fn env_variable_first_then_the_names_on_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, mode: u32| {
        let p = dir.path().join(name);
        std::fs::write(&p, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
        p
    };
    // Not executable: skipped. Then chromium-browser before google-chrome.
    write("chromium", 0o644);
    let browser = write("chromium-browser", 0o755);
    write("google-chrome", 0o755);

    // SAFETY of the environment: this binary runs this one test only.
    std::env::set_var("CASEFLOW_CHROMIUM", "/opt/elders/chromium");
    std::env::set_var("PATH", dir.path());
    assert_eq!(find_chromium(), Some(PathBuf::from("/opt/elders/chromium")));

    std::env::set_var("CASEFLOW_CHROMIUM", "");
    assert_eq!(find_chromium(), Some(browser.clone()));

    std::env::remove_var("CASEFLOW_CHROMIUM");
    std::fs::remove_file(&browser).expect("rm");
    assert_eq!(find_chromium(), Some(dir.path().join("google-chrome")));

    std::env::set_var("PATH", "/nonexistent");
    assert_eq!(find_chromium(), None);
}
