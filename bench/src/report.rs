//! The table on stdout and target/bench/report.json.

use serde::Serialize;
use serde_json::Value;

/// A target a measure is held to.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
}

impl Target {
    fn met(self, v: f64) -> bool {
        match self {
            Target::AtLeast(t) => v >= t,
            Target::AtMost(t) => v <= t,
        }
    }

    fn text(self) -> String {
        match self {
            Target::AtLeast(t) => format!(">= {}", human(t)),
            Target::AtMost(t) => format!("<= {}", human(t)),
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub measure: String,
    pub value: Option<f64>,
    pub unit: String,
    pub target: Option<Target>,
    pub met: Option<bool>,
    /// e.g. "52.1x naive"
    pub ratio: Vec<String>,
    /// partial (time budget), stalled, failed: the value is not the full measurement.
    pub note: Option<String>,
}

impl Row {
    pub fn new(measure: impl Into<String>, value: Option<f64>, unit: &str) -> Row {
        Row { measure: measure.into(), value, unit: unit.into(), target: None, met: None, ratio: Vec::new(), note: None }
    }

    pub fn target(mut self, t: Target) -> Row {
        self.target = Some(t);
        self.met = self.value.map(|v| t.met(v));
        self
    }

    /// Add "R x against" when `r` is known.
    pub fn ratio(mut self, r: Option<f64>, against: &str) -> Row {
        if let Some(r) = r {
            self.ratio.push(format!("{}x {against}", fmt_ratio(r)));
        }
        self
    }

    pub fn note(mut self, n: Option<String>) -> Row {
        if n.is_some() {
            self.note = n;
        }
        self
    }
}

fn fmt_ratio(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}")
    } else if r >= 10.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.2}")
    }
}

/// A number for people: 1234567 → 1,234,567; small values keep two decimals.
pub fn human(v: f64) -> String {
    if v.abs().round() >= 1000.0 {
        let s = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 {
            out.insert(0, '-');
        }
        out
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The table, aligned for a terminal.
pub fn table(rows: &[Row]) -> String {
    let header = ["measure", "value", "unit", "target", "met", "ratio", "note"];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.measure.clone(),
                r.value.map(human).unwrap_or_else(|| "-".into()),
                r.unit.clone(),
                r.target.map(Target::text).unwrap_or_default(),
                match r.met {
                    Some(true) => "yes".into(),
                    Some(false) => "NO".into(),
                    None if r.target.is_some() => "?".into(),
                    None => String::new(),
                },
                r.ratio.join(", "),
                r.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let mut width = header.map(|h| h.chars().count());
    for c in &cells {
        for (w, s) in width.iter_mut().zip(c) {
            *w = (*w).max(s.chars().count());
        }
    }
    let line = |c: &[String; 7]| -> String {
        let mut s = String::new();
        for (i, (cell, w)) in c.iter().zip(width).enumerate() {
            let pad = w - cell.chars().count();
            // Numbers right-aligned, text left-aligned.
            if i == 1 {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                s.push_str(&" ".repeat(pad));
            }
            s.push_str("  ");
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(&header.map(String::from));
    out.push_str(&line(&width.map(|w| "-".repeat(w))));
    for c in &cells {
        out.push_str(&line(c));
    }
    out
}

/// Machine facts for the report.
pub fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim().to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: Option<u64> = meminfo.lines().find(|l| l.starts_with("MemTotal:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_string());
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("PRETTY_NAME=")).map(|l| l["PRETTY_NAME=".len()..].trim_matches('"').to_string()));
    serde_json::json!({
        "nproc": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "cpu_model": model,
        "mem_total_mib": mem_kib.map(|k| k / 1024),
        "kernel": kernel,
        "os": os,
        "load_average_at_start": std::fs::read_to_string("/proc/loadavg").ok().map(|s| s.trim().to_string()),
    })
}

/// The git commit of the workspace (and whether the tree has changes).
pub fn git(dir: &std::path::Path) -> Value {
    let run = |args: &[&str]| -> Option<String> {
        let o = std::process::Command::new("git").args(args).current_dir(dir).output().ok()?;
        o.status.success().then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    serde_json::json!({
        "commit": run(&["rev-parse", "HEAD"]),
        "branch": run(&["rev-parse", "--abbrev-ref", "HEAD"]),
        "dirty": run(&["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humans() {
        assert_eq!(human(1_234_567.0), "1,234,567");
        assert_eq!(human(100_000.0), "100,000");
        assert_eq!(human(999.4), "999");
        assert_eq!(human(999.9), "1,000");
        assert_eq!(human(12.345), "12.3");
        assert_eq!(human(1.234), "1.23");
    }

    #[test]
    fn targets() {
        let r = Row::new("x", Some(120.0), "events/s").target(Target::AtLeast(100.0));
        assert_eq!(r.met, Some(true));
        let r = Row::new("x", Some(30.0), "ms").target(Target::AtMost(20.0));
        assert_eq!(r.met, Some(false));
        let r = Row::new("x", None, "ms").target(Target::AtMost(20.0));
        assert_eq!(r.met, None);
        let t = table(&[r, Row::new("y", Some(5.0), "ms").ratio(Some(52.123), "naive")]);
        assert!(t.contains("52.1x naive"), "{t}");
        assert!(t.lines().nth(2).unwrap().contains(" ?"), "{t}");
    }
}
