//! The PostgreSQL server of the Kafka stages: the test harness's own server
//! (`initdb` + `pg_ctl` in a temp dir, stopped by a watchdog when the harness
//! ends), switched to durable settings unless BENCH_PG_DURABLE=0.

use caseflow_tests::pg::PgServer;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct PgInfo {
    pub version: String,
    pub settings: Vec<(String, String)>,
}

/// Start the server; `durable` turns fsync, synchronous_commit and
/// full_page_writes back on (the test harness starts it with them off).
pub fn start(durable: bool) -> anyhow::Result<(PgServer, PgInfo)> {
    crate::prereq::postgres()?;
    let pg = std::panic::catch_unwind(PgServer::start)
        .map_err(|_| anyhow::anyhow!("starting PostgreSQL failed (see the message above); `make test-deps` installs it"))?;
    let mut sql = vec!["ALTER SYSTEM SET shared_buffers = '1GB'", "ALTER SYSTEM SET max_wal_size = '4GB'"];
    if durable {
        sql.extend(["ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET synchronous_commit = on", "ALTER SYSTEM SET full_page_writes = on"]);
    }
    for q in sql {
        pg.try_psql("postgres", q).map_err(|e| anyhow::anyhow!("{q}: {e}"))?;
    }
    // shared_buffers needs a restart.
    std::panic::catch_unwind(|| {
        pg.stop_server();
        pg.start_server();
    })
    .map_err(|_| anyhow::anyhow!("restarting PostgreSQL with the benchmark settings failed; see {}", pg.data_dir().join("log").display()))?;
    let version = pg.try_psql("postgres", "SHOW server_version").map_err(anyhow::Error::msg)?;
    let mut settings = Vec::new();
    for name in ["fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "max_wal_size", "wal_level"] {
        settings.push((name.to_string(), pg.try_psql("postgres", &format!("SHOW {name}")).map_err(anyhow::Error::msg)?));
    }
    Ok((pg, PgInfo { version, settings }))
}
