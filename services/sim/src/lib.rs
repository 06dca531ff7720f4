//! A seeded, deterministic generator of realistic event streams (spec §1 figures,
//! §2 contract), for the CLI, the store tests and property tests.
//!
//! The same [`SimConfig`] always gives byte-identical output: all randomness comes
//! from one xoshiro256** generator seeded through SplitMix64, every UUID is drawn
//! from it (`uuid::Builder::from_random_bytes`), and work is processed in a fixed
//! order (a priority queue keyed by time and a sequence number; no hash-map
//! iteration). The crate is pure: no I/O, no clock, no threads.
//!
//! # How the stream is built
//!
//! [`Simulator`] is a discrete-event simulation advanced one Amsterdam calendar day
//! at a time; only the current day's lines are buffered, and state is kept only for
//! open cases, beschikkingen with pending follow-ups and each team's staffing, so
//! memory is bounded by volume (`scale` × `gemeenten`), not by the period's length.
//! The stream has three parts, in (roughly) chronological order:
//!
//! 1. **History before `from`** (a migration at go-live): a stock of Wmo and jeugd
//!    beschikkingen whose PO and care events fall in the period, the open work
//!    stock (cases still open on `from`, with all their events) and the staffing,
//!    so PO work and workload figures are realistic from week 1.
//! 2. **The simulated period** `from..=to`: meldingen arrive, every case runs its
//!    course (beoordeling, toewijzing, aanvragen, beschikkingen, care, the PO
//!    cycle), staffing changes. Nothing has an `occurred_at` after `to`.
//! 3. **Stragglers**: late arrivals and duplicates whose arrival falls after `to`.
//!
//! The volumes, shares and delays follow spec §1 at scale 1.0 per gemeente (each
//! gemeente with its own volume and quality factor: how often work is late or
//! forgotten). The named figures are the constants in `params.rs`; the chances
//! and delays of each step are where the step is drawn, in `simulation.rs`.
//!
//! # Imperfections, as in real input
//!
//! Corrections (a mistaken twin withdrawn by `event.ingetrokken`, sometimes before
//! the twin arrives), late arrivals (so a beschikking's follow-ups can precede it),
//! duplicates (`duplicate_fraction`: same event_id and content, later in the
//! stream) and bad lines (about `bad_fraction` of all lines: [`SimLine::Bad`],
//! right after the valid event it was derived from). A bad line's `why` is one of
//! [`BAD_WHYS`]; for all but `"conflict"` it equals
//! [`caseflow_core::ValidationError::kind`] of the error the validator returns.
//! A `"conflict"` line is a valid event reusing an earlier event's `event_id` with
//! other content: it passes [`Event::from_json_bytes`], and a store must reject it.

use caseflow_core::event::Event;
use chrono::NaiveDate;

mod calendar;
mod params;
mod queue;
mod rng;
mod simulation;
#[cfg(test)]
mod tests;

pub use simulation::Simulator;

use crate::rng::Rng;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    /// Number of gemeenten (CBS codes from a fixed list of real codes; beyond it,
    /// synthetic GM9xxx codes).
    pub gemeenten: usize,
    /// First day (inclusive).
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
    /// 1.0 = the mid-sized city of spec §1; every volume scales proportionally.
    pub scale: f64,
    /// Fraction of output lines that are bad (see the module docs for the kinds).
    pub bad_fraction: f64,
    /// Fraction of events emitted twice (exact duplicates) later in the stream.
    pub duplicate_fraction: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            gemeenten: 3,
            from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid date"),
            to: NaiveDate::from_ymd_opt(2020, 6, 30).expect("valid date"),
            scale: 1.0,
            bad_fraction: 0.001,
            duplicate_fraction: 0.01,
        }
    }
}

/// One output line.
#[derive(Debug, Clone, PartialEq)]
pub enum SimLine {
    /// A valid event (possibly a duplicate, a late arrival or a correction).
    Event(Event),
    /// A line a consumer must dead-letter; `why` is one of [`BAD_WHYS`].
    Bad { line: String, why: &'static str },
}

impl SimLine {
    /// The line as NDJSON: one line, no trailing newline.
    pub fn to_ndjson(&self) -> String {
        match self {
            SimLine::Event(e) => serde_json::to_string(e).expect("an Event always serializes"),
            SimLine::Bad { line, .. } => line.clone(),
        }
    }
}

/// `why` of a line that is not JSON.
pub const WHY_INVALID_JSON: &str = "invalid_json";
/// `why` of a line missing a required field.
pub const WHY_MISSING_FIELD: &str = "missing_field";
/// `why` of a line with a value the contract does not accept.
pub const WHY_INVALID_VALUE: &str = "invalid_value";
/// `why` of a line with a field the contract does not define.
pub const WHY_UNKNOWN_FIELD: &str = "unknown_field";
/// `why` of a line carrying a BSN.
pub const WHY_BSN: &str = "bsn";
/// `why` of a valid event whose event_id was already used for different content.
pub const WHY_CONFLICT: &str = "conflict";
/// Every `why` a [`SimLine::Bad`] can carry.
pub const BAD_WHYS: &[&str] = &[
    WHY_INVALID_JSON,
    WHY_MISSING_FIELD,
    WHY_INVALID_VALUE,
    WHY_UNKNOWN_FIELD,
    WHY_BSN,
    WHY_CONFLICT,
];

/// Convenience for tests: only the valid events (bad lines dropped), duplicates included.
pub fn events(cfg: SimConfig) -> Vec<Event> {
    Simulator::new(cfg)
        .filter_map(|l| match l {
            SimLine::Event(e) => Some(e),
            SimLine::Bad { .. } => None,
        })
        .collect()
}

/// Shuffle `v` deterministically (Fisher–Yates on the simulator's PRNG): for tests
/// that replay a stream in another order.
pub fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut rng = Rng::new(seed);
    for i in (1..v.len()).rev() {
        v.swap(i, (rng.u64() % (i as u64 + 1)) as usize);
    }
}
