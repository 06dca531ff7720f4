//! What the harness needs besides the caseflow binary, each with what to do
//! when it is missing.

use std::path::PathBuf;
use std::process::Command;

use anyhow::bail;

/// The PostgreSQL server binaries (as the test harness finds them).
pub fn postgres() -> anyhow::Result<PathBuf> {
    if let Ok(dir) = std::env::var("CASEFLOW_PG_BIN") {
        let dir = PathBuf::from(dir);
        if dir.join("initdb").exists() {
            return Ok(dir);
        }
        bail!("CASEFLOW_PG_BIN={} has no initdb", dir.display());
    }
    let found = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .find(|b| b.join("initdb").exists());
    found.ok_or_else(|| anyhow::anyhow!("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): run `make test-deps`"))
}

/// The tansu broker.
pub fn tansu() -> anyhow::Result<PathBuf> {
    let p = match std::env::var("CASEFLOW_TANSU") {
        Ok(p) => PathBuf::from(p),
        Err(_) => PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cache/caseflow/tansu-0.6.0/bin/tansu"),
    };
    if !p.exists() {
        bail!("the tansu broker is not at {} (CASEFLOW_TANSU): run `make test-deps` (builds it once, ~8 min)", p.display());
    }
    Ok(p)
}

/// The HTTP load tool.
pub fn wrk() -> anyhow::Result<PathBuf> {
    let p = std::env::var("BENCH_WRK").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from("wrk"));
    match Command::new(&p).arg("--version").output() {
        Ok(_) => Ok(p),
        Err(_) => bail!("wrk not found ({}): `apt-get install -y wrk` (make bench does), or set BENCH_WRK", p.display()),
    }
}
