//! Where the time went, in the product's own account: the write path's wall
//! seconds per phase (parse, append, loads, folds, writes per table, alerts,
//! commit). The embedded stage reads them from `caseflow ingest --timings`
//! (stderr, in its log), the Kafka stages from the projector's
//! `caseflow_write_phase_seconds_total{phase}` on /metrics. The harness prints
//! them beside each other after the results table, and keeps them in the report,
//! so every run says where its time went.

/// (phase, seconds), in the order the product lists them.
pub type Phases = Vec<(String, f64)>;

/// The phase rows of `caseflow ingest --timings`: `name  seconds  share%`, a part
/// of a phase indented by two spaces (kept, so it reads as a part). The header
/// and the `total` row (the wall time, not a phase) are left out; `other` (what
/// no phase covers: reading input, the progress bar, …) is kept.
pub fn from_timings(text: &str) -> Phases {
    let mut out = Phases::new();
    for line in text.lines().map(str::trim_end) {
        let Some((head, share)) = line.rsplit_once(char::is_whitespace) else { continue };
        if share.strip_suffix('%').is_none_or(|v| v.parse::<f64>().is_err()) {
            continue;
        }
        let Some((name, secs)) = head.trim_end().rsplit_once(char::is_whitespace) else { continue };
        let Ok(secs) = secs.parse::<f64>() else { continue };
        let name = name.trim_end();
        if name.trim().is_empty() || name.trim() == "total" {
            continue;
        }
        out.push((name.to_string(), secs));
    }
    out
}

/// The samples of `caseflow_write_phase_seconds_total{phase="…"}` in a /metrics
/// text, a part of a phase (`write: …`) indented as in [`from_timings`].
pub fn from_metrics(text: &str) -> Phases {
    const PREFIX: &str = "caseflow_write_phase_seconds_total{phase=\"";
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(PREFIX)?;
            let (name, value) = rest.split_once("\"}")?;
            let secs = value.trim().parse::<f64>().ok()?;
            let indent = if name.starts_with("write: ") { "  " } else { "" };
            Some((format!("{indent}{name}"), secs))
        })
        .collect()
}

/// The paths' phases side by side (`columns`: heading, phases), one row per
/// phase in the order first seen; `-` where a path has no such phase. `None`
/// when no path has any.
pub fn table(columns: &[(&str, &[(String, f64)])]) -> Option<String> {
    if columns.iter().all(|(_, p)| p.is_empty()) {
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    for (_, phases) in columns {
        for (name, _) in *phases {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).max("phase (seconds)".len());
    let col = |h: &str| h.chars().count().max(9);
    let mut out = format!("{:<width$}", "phase (seconds)");
    for (heading, _) in columns {
        out += &format!("  {:>w$}", heading, w = col(heading));
    }
    out.push('\n');
    for name in names {
        out += &format!("{name:<width$}");
        for (heading, phases) in columns {
            let cell = phases.iter().find(|(n, _)| n == name).map_or("-".to_string(), |(_, s)| format!("{s:.1}"));
            out += &format!("  {cell:>w$}", w = col(heading));
        }
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMINGS: &str = "\
2026-12-07T10:00:00Z  WARN something the log said first
phase                                seconds  share
prepare: parse, validate                9.79  13.6%
append: insert                         23.80  33.0%
project: folds, differences             6.76   9.4%
  write: agg_daily                      1.60   2.2%
project: write read models             10.31  14.3%
other                                   2.24   3.1%
total                                  72.03 100.0%
";

    #[test]
    fn timings_rows_become_phases_without_header_or_total() {
        let p = from_timings(TIMINGS);
        assert_eq!(
            p,
            vec![
                ("prepare: parse, validate".to_string(), 9.79),
                ("append: insert".to_string(), 23.80),
                ("project: folds, differences".to_string(), 6.76),
                ("  write: agg_daily".to_string(), 1.60),
                ("project: write read models".to_string(), 10.31),
                ("other".to_string(), 2.24),
            ]
        );
        assert!(from_timings("accepted 10, duplicates 0, rejected 0\n50% done\n").is_empty());
    }

    #[test]
    fn metrics_samples_become_phases() {
        let text = "# HELP caseflow_write_phase_seconds_total Wall time\n\
                    # TYPE caseflow_write_phase_seconds_total counter\n\
                    caseflow_write_phase_seconds_total{phase=\"append: insert\"} 47.906775\n\
                    caseflow_write_phase_seconds_total{phase=\"write: key_facts\"} 5.180506\n\
                    caseflow_events_accepted_total 1000000\n";
        assert_eq!(from_metrics(text), vec![("append: insert".to_string(), 47.906775), ("  write: key_facts".to_string(), 5.180506)]);
    }

    #[test]
    fn table_puts_paths_side_by_side() {
        let embedded = from_timings(TIMINGS);
        let kafka = vec![("append: insert".to_string(), 47.9), ("commit: append".to_string(), 0.08)];
        let t = table(&[("embedded", &embedded[..]), ("kafka->pg", &kafka[..])]).unwrap();
        let line = |name: &str| t.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no row {name} in\n{t}")).split_whitespace().rev().take(2).collect::<Vec<_>>();
        assert_eq!(line("append: insert"), vec!["47.9", "23.8"]);
        assert_eq!(line("commit: append"), vec!["0.1", "-"]);
        assert_eq!(line("other"), vec!["-", "2.2"]);
        assert!(t.lines().next().unwrap().contains("kafka->pg"), "{t}");
        assert!(table(&[("embedded", &[][..])]).is_none());
    }
}
