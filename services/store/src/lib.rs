//! caseflow's storage layer: the event log, dead letters, checkpoints and the read
//! models, on SQLite (the embedded default) or PostgreSQL, behind one interface.
//!
//! One projection code path serves both databases: the facts of every affected
//! projection key are recomputed by the pure core and only their difference is
//! written, in one transaction together with the checkpoint.
//!
//! Each module holds its own `impl Store` block (so `Store::append` is in `log`,
//! `Store::workload` in `read_models::workload`). Modules use only the ones
//! below them:
//!
//! ```text
//! input             the three ways in (file, HTTP, Kafka): positions, NDJSON framing
//! source            partitioned sources (Kafka): offsets, append then project
//!   └ project       the projection engine: batches, checkpoints, the Writes of a batch
//!       ├ read_models/{throughput, leadtime, open_cases, workload, po, monitor}
//!       │   └ read_models/keyed   tables of one JSON body per key
//!       ├ alerts    overdue-PO alerts, evaluated in the projection transaction
//!       ├ log       append, dead letters ── outbox (alert publication) uses it too
//!       └ cache     the projector's key cache
//! events            reading the log: parse_stored, effective, log_end, locks
//! tokens, access_log API tokens and the access trace (issue #23)
//! sql               dialect helpers, row parsing (used by all of the above)
//! error, timings, version                                      (leaves)
//! ```

mod access_log;
mod alerts;
mod cache;
mod error;
mod events;
mod input;
mod log;
mod outbox;
mod project;
mod read_models;
mod source;
mod sql;
mod timings;
mod tokens;
mod version;

use std::sync::Arc;

use caseflow_core::config::Config;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

pub use cache::DEFAULT_CAPACITY as DEFAULT_PROJECTION_CACHE;
pub use access_log::{AccessLogQuery, AccessRecord, AccessRecordRow, MAX_ENDPOINT_CHARS, MAX_QUERY_CHARS};
pub use alerts::{Alert, AlertQuery, AlertReport, ALERTS_TOPIC};
pub use error::StoreError;
pub use input::{is_blank, ndjson_body, NdjsonLines, Position};
pub use log::{AppendReport, DeadLetter, Incoming, Prepared, Rejected, MAX_DEAD_LETTER_BYTES};
pub use outbox::{OutboxMessage, RelayLease};
pub use project::ProjectReport;
pub use timings::phase_timings;
pub use tokens::{check_token_name, NewToken, TokenCheck, TokenInfo, MAX_SECRET_BYTES, TOKEN_PREFIX};
pub use source::{offsets_behind, Appended, PendingDeadLetter, SourceMessage, SourceReport};

/// Which SQL database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A handle on the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    /// Serializes writers within this process. SQLite allows one writer at a
    /// time; taking turns here avoids busy errors between ingest and projection.
    /// It guards the projector's cache of key facts and events.
    write_lock: Arc<tokio::sync::Mutex<cache::KeyCache>>,
    /// Per-gemeente norms and parameters (alerts are evaluated with them).
    config: Arc<Config>,
    /// PostgreSQL: whether a source batch's transactions wait for the WAL
    /// flush at commit ([`Store::with_synchronous_source_commits`]).
    synchronous_source_commits: bool,
    /// SQLite: the background WAL checkpointer, stopped with the last handle.
    _checkpointer: Option<Arc<WalCheckpointer>>,
}

/// How often the SQLite WAL is checkpointed in the background.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// SQLite copies committed WAL frames into the database file (a checkpoint);
/// left to itself the writer does that at commit once the WAL exceeds
/// `wal_autocheckpoint` pages, and a large ingest transaction always does, so
/// every commit waited for it. A passive checkpoint on another connection every
/// [`CHECKPOINT_EVERY`] does that work on another thread instead; it never
/// blocks the writer or readers. `wal_autocheckpoint` is raised, not disabled:
/// should this task fall behind, the writer still checkpoints. It has a
/// connection of its own, on which a checkpoint taking over a second (normal
/// during a large ingest) is not logged as a slow statement.
struct WalCheckpointer(tokio::task::AbortHandle);

impl WalCheckpointer {
    /// Runs until the store's `pool` is closed or this is dropped.
    fn start(url: &str, store_pool: AnyPool) -> WalCheckpointer {
        use sqlx::ConnectOptions;
        let options = connect_options(url).map(|o| o.log_slow_statements(::log::LevelFilter::Debug, std::time::Duration::from_secs(1)));
        let task = tokio::spawn(async move {
            let pool = match async { AnyPoolOptions::new().max_connections(1).connect_with(options?).await }.await {
                Ok(p) => p,
                Err(e) => return tracing::warn!(error = %e, "no connection for background WAL checkpoints; the writer checkpoints instead"),
            };
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if store_pool.is_closed() {
                    pool.close().await;
                    break;
                }
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                    tracing::debug!(error = %e, "background WAL checkpoint failed; the writer checkpoints instead");
                }
            }
        });
        WalCheckpointer(task.abort_handle())
    }
}

impl Drop for WalCheckpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A statement slower than this is logged as a warning (sqlx's default is
/// 1 s). A batch of tens of thousands of events takes over a second on a busy
/// machine as a matter of course, and each such warning carried the whole
/// statement; the projection latency metric shows how long batches take.
const SLOW_STATEMENT: std::time::Duration = std::time::Duration::from_secs(10);

fn connect_options(url: &str) -> Result<sqlx::any::AnyConnectOptions, sqlx::Error> {
    use sqlx::ConnectOptions;
    use std::str::FromStr;
    Ok(sqlx::any::AnyConnectOptions::from_str(url)?.log_slow_statements(::log::LevelFilter::Warn, SLOW_STATEMENT))
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Open (and create, for SQLite) the database at `url` and bring its schema
    /// up to date. Accepts `sqlite://PATH`, a bare file path, or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (url, dialect) = normalize_url(url)?;
        let open_error = |e: sqlx::Error| StoreError::Open(format!("{e} (database URL: {})", redact(&url)));
        let options = connect_options(&url).map_err(open_error)?;
        let pool = match dialect {
            Dialect::Sqlite => {
                if let Some(dir) = sqlite_path(&url).and_then(|p| std::path::Path::new(&p).parent().map(|d| d.to_path_buf())) {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(&dir).map_err(|e| StoreError::Open(format!("cannot create {}: {e}", dir.display())))?;
                    }
                }
                AnyPoolOptions::new()
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            use sqlx::Executor;
                            conn.execute("PRAGMA page_size=32768; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=32768; PRAGMA journal_size_limit=268435456;").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
            }
            Dialect::Postgres => AnyPoolOptions::new().max_connections(8).connect_with(options).await,
        }
        .map_err(open_error)?;
        let migrator = match dialect {
            Dialect::Sqlite => &SQLITE_MIGRATOR,
            Dialect::Postgres => &POSTGRES_MIGRATOR,
        };
        migrator.run(&pool).await?;
        let checkpointer = (dialect == Dialect::Sqlite).then(|| Arc::new(WalCheckpointer::start(&url, pool.clone())));
        Ok(Store {
            pool,
            dialect,
            write_lock: Arc::new(tokio::sync::Mutex::new(cache::KeyCache::new(cache::DEFAULT_CAPACITY))),
            config: Arc::new(Config::default()),
            synchronous_source_commits: false,
            _checkpointer: checkpointer,
        })
    }

    /// Use these norms and parameters (the spec's defaults otherwise).
    pub fn with_config(mut self, config: Config) -> Store {
        self.config = Arc::new(config);
        self
    }

    /// Whether the two transactions of a Kafka source batch
    /// ([`Store::append_source_batch`], [`Store::project_appended`]) wait at
    /// commit until PostgreSQL has flushed them to disk. Off by default: they
    /// commit with `synchronous_commit = off`, so a batch is visible without
    /// waiting for a disk flush (the WAL writer flushes within about 200 ms).
    /// That keeps exactly-once effect: the partitions' offsets are in the same
    /// transactions as the log and the read models, and PostgreSQL never keeps a
    /// later transaction while losing an earlier one, so a server crash can only
    /// lose the last batches together with their offsets, and the projector
    /// reads those messages from Kafka again. (Transactions whose only source is
    /// the caller, such as [`Store::ingest_batch`], always wait for the flush.)
    pub fn with_synchronous_source_commits(mut self, on: bool) -> Store {
        self.synchronous_source_commits = on;
        self
    }

    /// Bound the projector's cache (events plus keys held in memory; 0 keeps
    /// nothing between batches). The default is [`cache::DEFAULT_CAPACITY`].
    pub async fn set_projection_cache_capacity(&self, capacity: usize) {
        self.write_lock.lock().await.set_capacity(capacity);
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Is the database reachable? (readiness)
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn normalize_url(url: &str) -> Result<(String, Dialect), StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok((url.to_string(), Dialect::Postgres))
    } else if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let sep = if rest.contains('?') { '&' } else { '?' };
        let url = if rest.contains("mode=") {
            format!("sqlite://{rest}")
        } else {
            format!("sqlite://{rest}{sep}mode=rwc")
        };
        Ok((url, Dialect::Sqlite))
    } else if !url.contains("://") {
        Ok((format!("sqlite://{url}?mode=rwc"), Dialect::Sqlite))
    } else {
        Err(StoreError::Open(format!(
            "unsupported database URL `{}`: use sqlite://PATH (embedded) or postgres://USER@HOST/DB",
            redact(url)
        )))
    }
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://")?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// A URL without its password, for error messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            normalize_url("caseflow-data/x.db").unwrap(),
            (
                "sqlite://caseflow-data/x.db?mode=rwc".into(),
                Dialect::Sqlite
            )
        );
        assert_eq!(
            normalize_url("sqlite://a.db").unwrap().0,
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            normalize_url("sqlite::memory:").unwrap().0,
            "sqlite://:memory:?mode=rwc"
        );
        assert_eq!(
            normalize_url("postgres://u@h/db").unwrap().1,
            Dialect::Postgres
        );
        assert!(normalize_url("mysql://x")
            .unwrap_err()
            .to_string()
            .contains("use sqlite://PATH"));
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            sqlite_path("sqlite://caseflow-data/x.db?mode=rwc").as_deref(),
            Some("caseflow-data/x.db")
        );
    }
}
