//! Upper bounds the product is compared with: parse + validate only (stage
//! `parse`, in process, with caseflow-core's own entry point) and a raw `COPY`
//! of the same lines into a plain PostgreSQL table (stage `copy`).

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
