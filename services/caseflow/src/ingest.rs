//! `caseflow ingest` and `caseflow rebuild`.

use std::io::{BufReader, Read};

use anyhow::Context;
use caseflow_store::{AppendReport, NdjsonLines, Prepared};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::{Global, IngestArgs};
use crate::store::open;

/// Lines per ingest transaction (appended, and projected in the same
/// transaction while the projector is at the end of the log). Larger
/// transactions mean fewer commits and WAL checkpoints.
const LINES_PER_BATCH: usize = 50_000;

fn bar(len: Option<u64>, what: &str) -> ProgressBar {
    let pb = match len {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template(
                "{msg:10} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{msg:10} {spinner} {pos} {per_sec}")
                .expect("valid template"),
        ),
    };
    pb.set_message(what.to_string());
    pb
}

pub async fn ingest(g: &Global, a: &IngestArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let store = open(g).await?;
    let (reader, source, len): (Box<dyn Read + Send>, String, Option<u64>) = if a.file == "-" {
        (Box::new(std::io::stdin()), "stdin".to_string(), None)
    } else {
        let f = std::fs::File::open(&a.file).with_context(|| format!("cannot open {}", a.file))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(f), format!("file:{}", a.file), len)
    };
    let pb = bar(len, "ingest");
    // A reader thread reads and parses the next batch while this one is written.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Prepared>>(1);
    let reader_pb = pb.clone();
    let reader_thread = std::thread::spawn(move || read_batches(reader, &reader_pb, &tx));
    let mut report = AppendReport::default();
    while let Some(batch) = rx.recv().await {
        // Appended and projected in one transaction while the projector is at the
        // end of the log; anything left is projected below.
        report.absorb(store.ingest_batch(&source, batch.context("reading input")?).await?);
    }
    reader_thread.join().map_err(|_| anyhow::anyhow!("the input reader panicked"))?;
    pb.finish_and_clear();

    let pb = bar(None, "project");
    let mut projected = 0u64;
    loop {
        let r = store.project_batch(g.batch_size).await?;
        if r.events == 0 {
            break;
        }
        projected += r.events;
        pb.set_position(projected);
    }
    pb.finish_and_clear();

    if a.json {
        println!(
            "{}",
            serde_json::json!({"accepted": report.accepted, "duplicates": report.duplicates, "rejected": report.rejected})
        );
    } else {
        println!(
            "accepted {}, duplicates {}, rejected {}",
            report.accepted, report.duplicates, report.rejected
        );
        for r in report.rejections.iter().take(10) {
            println!("  rejected {}: {}", r.position, r.reason);
        }
        if report.rejections.len() > 10 {
            println!(
                "  … and {} more: caseflow query dead-letters",
                report.rejections.len() - 10
            );
        }
    }
    if a.timings {
        print_timings(started.elapsed().as_secs_f64());
    }
    store.close().await;
    Ok(())
}

pub async fn rebuild(g: &Global) -> anyhow::Result<()> {
    let store = open(g).await?;
    let total = store.event_count().await?;
    let pb = ProgressBar::new(total as u64).with_style(
        ProgressStyle::with_template(
            "rebuild    [{bar:40}] {pos}/{len} events {per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    // Reset, then project batch by batch so the bar moves.
    store.reset_read_models().await?;
    loop {
        let r = store.project_batch(g.batch_size).await?;
        if r.events == 0 {
            break;
        }
        pb.inc(r.events);
    }
    pb.finish_and_clear();
    println!("rebuilt the read models from {total} events");
    store.close().await;
    Ok(())
}

/// Wall seconds per phase of the write path, and what is left (reading input, the bar, …).
fn print_timings(total: f64) {
    let phases = caseflow_store::phase_timings();
    // `write: …` are parts of `project: write read models`; `prepare: …` runs on the reader thread, alongside.
    let accounted: f64 = phases.iter().filter(|(name, _)| !name.starts_with("write: ") && !name.starts_with("prepare: ")).map(|(_, s)| s).sum();
    eprintln!("{:<34} {:>9} {:>6}", "phase", "seconds", "share");
    for (name, secs) in phases.iter().map(|(n, s)| (n.to_string(), *s)).chain([("other".to_string(), (total - accounted).max(0.0)), ("total".to_string(), total)]) {
        let indent = if name.starts_with("write: ") { "  " } else { "" };
        eprintln!("{indent}{:<w$} {:>9.2} {:>5.1}%", name, secs, 100.0 * secs / total.max(1e-9), w = 34 - indent.len());
    }
}

/// Read NDJSON lines ([`NdjsonLines`]) in batches of [`LINES_PER_BATCH`], parse
/// and validate each batch, and send it on; stops at the end of the input, on a
/// read error (sent on) or when the receiver is gone. The bar counts the bytes read.
fn read_batches(reader: Box<dyn Read + Send>, pb: &ProgressBar, tx: &tokio::sync::mpsc::Sender<std::io::Result<Prepared>>) {
    let send = |batch: &mut Vec<_>| {
        let prepared = Prepared::new(std::mem::replace(batch, Vec::with_capacity(LINES_PER_BATCH)));
        tx.blocking_send(Ok(prepared)).is_ok()
    };
    let mut batch = Vec::with_capacity(LINES_PER_BATCH);
    for line in NdjsonLines::new(BufReader::with_capacity(1 << 20, pb.wrap_read(reader))) {
        match line {
            Ok(line) => batch.push(line),
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
        if batch.len() >= LINES_PER_BATCH && !send(&mut batch) {
            return;
        }
    }
    if !batch.is_empty() {
        send(&mut batch);
    }
}
