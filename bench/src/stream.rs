//! The benchmark's input: the first N lines of `caseflow simulate` (three gemeenten
//! at the spec's volume, as many years of history as N needs), kept in
//! target/bench/data so later runs reuse it.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;
use chrono::Datelike;
use serde::Serialize;

use crate::config::Settings;

/// What `caseflow simulate --gemeenten 3 --scale 1` writes: the migrated stock
/// of older beschikkingen, then about this many lines a year (measured).
const STOCK_LINES: f64 = 135_000.0;
const LINES_PER_YEAR: f64 = 360_000.0;
const GEMEENTEN: u32 = 3;

#[derive(Debug, Clone, Serialize)]
pub struct Stream {
    pub path: PathBuf,
    pub lines: u64,
    pub bytes: u64,
    /// The `caseflow simulate` arguments it is the prefix of.
    pub simulate: Vec<String>,
}

/// The window ends on `to` (default: today, so the live views — open cases,
/// current workload — have data, as with `make run`) and reaches back as many
/// years as `n` lines need at the spec's volume; below one year's worth the
/// volume (`--scale`) shrinks instead. Only the last days are cut off.
fn simulate_args(seed: u64, to: chrono::NaiveDate, n: u64, attempt: u32) -> Vec<String> {
    let want = n as f64 * (1.02 + 0.1 * attempt as f64);
    let (years, scale) = if want <= STOCK_LINES + LINES_PER_YEAR {
        (1, want / (STOCK_LINES + LINES_PER_YEAR))
    } else {
        (((want - STOCK_LINES) / LINES_PER_YEAR).ceil() as i32, 1.0)
    };
    let from = to.with_year(to.year() - years).unwrap_or(to) + chrono::Duration::days(1);
    let scale = format!("{:.4}", scale.max(0.001));
    ["--seed", &seed.to_string(), "--gemeenten", &GEMEENTEN.to_string(), "--scale", &scale, "--from", &from.to_string(), "--to", &to.to_string()]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The first `n` lines of the simulated stream, generated once.
pub fn prepare(s: &Settings, n: u64) -> anyhow::Result<Stream> {
    std::fs::create_dir_all(s.data())?;
    let path = s.data().join(format!("stream-s{}-{n}.ndjson", s.seed));
    for attempt in 0..20 {
        let args = simulate_args(s.seed, s.simulate_to, n, attempt);
        if let Some(stream) = cached(&path, n, &args)? {
            println!("  input: {} ({} lines, cached)", path.display(), stream.lines);
            return Ok(stream);
        }
        println!("  input: generating {n} lines with caseflow simulate {} …", args.join(" "));
        let lines = write_prefix(s, &args, &path, n)?;
        if lines == n {
            std::fs::write(meta_path(&path), args.join(" "))?;
            let bytes = std::fs::metadata(&path)?.len();
            return Ok(Stream { path, lines, bytes, simulate: args });
        }
        println!("  input: caseflow simulate wrote only {lines} lines; widening the window");
    }
    anyhow::bail!("caseflow simulate did not write {n} lines")
}

fn meta_path(path: &Path) -> PathBuf {
    path.with_extension("args")
}

fn cached(path: &Path, n: u64, args: &[String]) -> anyhow::Result<Option<Stream>> {
    let Ok(meta) = std::fs::read_to_string(meta_path(path)) else { return Ok(None) };
    if meta != args.join(" ") || !path.exists() {
        return Ok(None);
    }
    let f = std::fs::File::open(path)?;
    let bytes = f.metadata()?.len();
    let lines = BufReader::with_capacity(1 << 20, f).split(b'\n').count() as u64;
    Ok((lines == n).then(|| Stream { path: path.to_path_buf(), lines, bytes, simulate: args.to_vec() }))
}

/// Pipe `caseflow simulate` into `path`, stopping after `n` lines; lines written.
fn write_prefix(s: &Settings, args: &[String], path: &Path, n: u64) -> anyhow::Result<u64> {
    let _ = std::fs::remove_file(meta_path(path));
    let mut child = Command::new(&s.caseflow)
        .arg("simulate")
        .args(args)
        .args(["--out", "-"])
        .env("CASEFLOW_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot run caseflow simulate")?;
    let out = child.stdout.take().expect("piped stdout");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?);
    let mut written = 0u64;
    let mut buf = Vec::new();
    let mut r = BufReader::with_capacity(1 << 20, out);
    while written < n {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        if !buf.ends_with(b"\n") {
            buf.push(b'\n');
        }
        w.write_all(&buf)?;
        written += 1;
    }
    w.flush()?;
    drop(r);
    let _ = child.kill();
    let _ = child.wait();
    Ok(written)
}

/// The first `n` lines of `stream` in another file (for the smaller stages).
pub fn prefix_file(stream: &Stream, n: u64, path: &Path) -> anyhow::Result<u64> {
    let r = BufReader::with_capacity(1 << 20, std::fs::File::open(&stream.path)?);
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    let mut k = 0;
    for line in r.split(b'\n') {
        if k >= n {
            break;
        }
        w.write_all(&line?)?;
        w.write_all(b"\n")?;
        k += 1;
    }
    w.flush()?;
    Ok(k)
}

/// Every line of the stream (without its newline), in memory.
pub fn read_lines(stream: &Stream, limit: u64) -> anyhow::Result<Vec<Vec<u8>>> {
    let r = BufReader::with_capacity(1 << 20, std::fs::File::open(&stream.path)?);
    let mut v = Vec::with_capacity(limit.min(stream.lines) as usize);
    for line in r.split(b'\n').take(limit as usize) {
        v.push(line?);
    }
    Ok(v)
}
