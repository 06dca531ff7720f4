//! Upper bounds the product is compared with: parse + validate only (stage
//! `parse`, in process, with caseflow-core's own entry point), a raw `COPY`
//! of the same lines into a plain PostgreSQL table, and (stage `copy` too) the
//! floor of the one index every design needs: the event ids alone, inserted into
//! a table keyed by them, in PostgreSQL (`COPY`) and in SQLite (50,000 a
//! transaction, as the embedded ingest commits). The spec makes `event_id` the
//! idempotency key (a repeat with other content is a conflict), so whatever the
//! log looks like, each new event costs at least one insert into such an index.

use std::io::Read;
use std::time::Instant;

use caseflow_core::event::Event;
use serde::Serialize;
use sqlx::Connection;

use crate::stream::Stream;

#[derive(Debug, Clone, Serialize)]
pub struct ParseResult {
    pub lines: u64,
    pub valid: u64,
    pub invalid: u64,
    /// One thread (the projector's parse is sequential per batch).
    pub seconds_1_thread: f64,
    pub events_per_sec_1_thread: f64,
    /// Every core, lines split evenly.
    pub threads: usize,
    pub seconds_all_threads: f64,
    pub events_per_sec_all_threads: f64,
}

/// `Event::from_json_bytes` over every line, already in memory (no I/O timed).
pub fn parse(stream: &Stream) -> anyhow::Result<ParseResult> {
    let lines = crate::stream::read_lines(stream, stream.lines)?;
    let count = |chunk: &[Vec<u8>]| -> u64 { chunk.iter().filter(|l| std::hint::black_box(Event::from_json_bytes(l)).is_ok()).count() as u64 };

    let t = Instant::now();
    let valid = count(&lines);
    let one = t.elapsed().as_secs_f64();

    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let per = lines.len().div_ceil(threads).max(1);
    let t = Instant::now();
    let valid_all: u64 = std::thread::scope(|sc| {
        let hs: Vec<_> = lines.chunks(per).map(|c| sc.spawn(move || count(c))).collect();
        hs.into_iter().map(|h| h.join().expect("parse thread")).sum()
    });
    let all = t.elapsed().as_secs_f64();
    anyhow::ensure!(valid == valid_all, "parse results differ between runs ({valid} vs {valid_all})");
    let n = lines.len() as u64;
    Ok(ParseResult {
        lines: n,
        valid,
        invalid: n - valid,
        seconds_1_thread: one,
        events_per_sec_1_thread: n as f64 / one,
        threads,
        seconds_all_threads: all,
        events_per_sec_all_threads: n as f64 / all,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct CopyResult {
    pub lines: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub events_per_sec: f64,
    pub mib_per_sec: f64,
    pub table: &'static str,
}

const COPY_TABLE: &str = "CREATE TABLE bench_copy (body text NOT NULL)";

/// `COPY bench_copy (body) FROM STDIN` with the file's bytes as they are (CSV with
/// delimiter and quote characters that JSON text never holds), one transaction.
pub async fn copy(db: &str, stream: &Stream) -> anyhow::Result<CopyResult> {
    let mut c = crate::kafka::connect(db).await?;
    sqlx::query("DROP TABLE IF EXISTS bench_copy").execute(&mut c).await?;
    sqlx::query(COPY_TABLE).execute(&mut c).await?;
    let mut f = std::fs::File::open(&stream.path)?;
    let t = Instant::now();
    let mut copy = c.copy_in_raw("COPY bench_copy (body) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')").await?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        copy.send(&buf[..n]).await?;
    }
    let rows = copy.finish().await?;
    let seconds = t.elapsed().as_secs_f64();
    anyhow::ensure!(rows == stream.lines, "COPY stored {rows} rows for {} lines", stream.lines);
    sqlx::query("DROP TABLE bench_copy").execute(&mut c).await?;
    let _ = c.close().await;
    Ok(CopyResult {
        lines: rows,
        bytes: stream.bytes,
        seconds,
        events_per_sec: rows as f64 / seconds,
        mib_per_sec: stream.bytes as f64 / 1048576.0 / seconds,
        table: COPY_TABLE,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyedResult {
    /// Distinct event ids of the valid-looking lines (repeats left out, as the
    /// product ignores or rejects them).
    pub ids: u64,
    pub seconds: f64,
    pub ids_per_sec: f64,
    pub table: &'static str,
}

/// The distinct event ids of the stream, in stream order (not timed).
pub fn event_ids(stream: &Stream) -> anyhow::Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Id<'a> {
        #[serde(borrow)]
        event_id: std::borrow::Cow<'a, str>,
    }
    let mut seen = std::collections::HashSet::new();
    let mut ids = Vec::new();
    for line in crate::stream::read_lines(stream, stream.lines)? {
        let Ok(id) = serde_json::from_slice::<Id>(&line) else { continue };
        let Ok(u) = id.event_id.parse::<uuid::Uuid>() else { continue };
        if seen.insert(u) {
            ids.push(u.hyphenated().to_string());
        }
    }
    Ok(ids)
}

const COPY_KEYED_TABLE: &str = "CREATE TABLE bench_ids (event_id uuid PRIMARY KEY)";

/// `COPY bench_ids FROM STDIN`: every distinct event id, one transaction.
pub async fn copy_keyed(db: &str, ids: &[String]) -> anyhow::Result<KeyedResult> {
    let mut c = crate::kafka::connect(db).await?;
    sqlx::query("DROP TABLE IF EXISTS bench_ids").execute(&mut c).await?;
    sqlx::query(COPY_KEYED_TABLE).execute(&mut c).await?;
    let mut text = String::with_capacity(ids.len() * 37);
    for id in ids {
        text.push_str(id);
        text.push('\n');
    }
    let t = Instant::now();
    let mut copy = c.copy_in_raw("COPY bench_ids (event_id) FROM STDIN").await?;
    for chunk in text.as_bytes().chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    let rows = copy.finish().await?;
    let seconds = t.elapsed().as_secs_f64();
    anyhow::ensure!(rows == ids.len() as u64, "COPY stored {rows} ids of {}", ids.len());
    sqlx::query("DROP TABLE bench_ids").execute(&mut c).await?;
    let _ = c.close().await;
    Ok(KeyedResult { ids: rows, seconds, ids_per_sec: rows as f64 / seconds, table: COPY_KEYED_TABLE })
}

const SQLITE_KEYED_TABLE: &str = "CREATE TABLE ids (event_id TEXT PRIMARY KEY) WITHOUT ROWID";

/// The event ids into a fresh SQLite database with caseflow's pragmas (32 KiB
/// pages, WAL, synchronous=NORMAL), 50,000 per transaction (the embedded
/// ingest's batch), each batch one statement over a JSON array (`json_each`),
/// so the time is SQLite's B-tree, not the driver.
pub async fn sqlite_keyed(dir: &std::path::Path, ids: &[String]) -> anyhow::Result<KeyedResult> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    let path = dir.join("bench-ids.db");
    crate::embedded::remove_sqlite(&path);
    let opts = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .page_size(32768)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .pragma("cache_size", "-65536");
    let mut c = sqlx::SqliteConnection::connect_with(&opts).await?;
    sqlx::query(SQLITE_KEYED_TABLE).execute(&mut c).await?;
    let batches: Vec<String> = ids.chunks(50_000).map(|b| serde_json::to_string(b).expect("ids as JSON")).collect();
    let t = Instant::now();
    for b in &batches {
        let mut tx = c.begin().await?;
        sqlx::query("INSERT INTO ids (event_id) SELECT value FROM json_each(?1)").bind(b).execute(&mut *tx).await?;
        tx.commit().await?;
    }
    let seconds = t.elapsed().as_secs_f64();
    let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM ids").fetch_one(&mut c).await?;
    anyhow::ensure!(rows as usize == ids.len(), "SQLite stored {rows} ids of {}", ids.len());
    let _ = c.close().await;
    crate::embedded::remove_sqlite(&path);
    Ok(KeyedResult { ids: ids.len() as u64, seconds, ids_per_sec: ids.len() as f64 / seconds, table: SQLITE_KEYED_TABLE })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_distinct_valid_ids_in_stream_order() {
        let dir = std::env::temp_dir().join(format!("caseflow-bench-ids-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.ndjson");
        let (a, b) = ("6f1c1a52-5d5e-4c4b-9a55-0a6f6b1d2e01", "0b7a4a51-2c6e-4f0e-8d7b-3c2b1a0f9e02");
        let text = [
            format!(r#"{{"event_id":"{b}","event_type":"melding.ontvangen"}}"#),
            "not json".to_string(),
            r#"{"event_id":"not-a-uuid"}"#.to_string(),
            format!(r#"{{"event_id":"{a}","data":{{"x":1}}}}"#),
            format!(r#"{{"event_id":"{b}","event_type":"other content, same id"}}"#),
        ]
        .join("\n");
        std::fs::write(&path, &text).unwrap();
        let stream = Stream { path, lines: 5, bytes: text.len() as u64, simulate: vec![] };
        let ids = event_ids(&stream).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(ids, [b, a]);
    }
}
