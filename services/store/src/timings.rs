//! Where the write path's time goes: wall time per phase (parse, append, load,
//! folds, writes, alerts, commit), summed over the process's life. Shown by
//! `caseflow ingest --timings`; the figures in docs/performance.md come from it.

use std::sync::Mutex;
use std::time::Instant;

static PHASES: Mutex<Vec<(&'static str, f64)>> = Mutex::new(Vec::new());

/// Add the time since `started` to `phase`.
pub(crate) fn record(phase: &'static str, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    let mut phases = PHASES.lock().unwrap_or_else(|e| e.into_inner());
    match phases.iter_mut().find(|(name, _)| *name == phase) {
        Some((_, total)) => *total += secs,
        None => phases.push((phase, secs)),
    }
}

/// Seconds per phase so far, in the order the phases first ran.
pub fn phase_timings() -> Vec<(&'static str, f64)> {
    PHASES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}
