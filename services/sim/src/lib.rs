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
//! [`Simulator`] is a discrete-event simulation that is advanced one Amsterdam
//! calendar day at a time; only the lines of the current day are buffered. State is
//! kept for open cases, beschikkingen with pending follow-ups and the staffing of
//! each team, so memory is bounded by volume (`scale` × `gemeenten`), not by the
//! length of the period.
//!
//! The stream has three parts, emitted in (roughly) chronological order:
//!
//! 1. **History before `from`** (a migration at go-live):
//!    * a stock of indefinite Wmo beschikkingen issued in the 4.5 years before
//!      `from` whose next periodic review (PO) is due from about `from` on: their
//!      `beschikking.afgegeven`, `zorg.gestart` and `po.gepland` with historical
//!      `occurred_at`, so PO work appears from week 1 (≈102 stock beschikkingen a
//!      week of history at scale 1.0, ≈12,500 in stock);
//!    * a stock of active jeugd beschikkingen (issued in the year before `from`,
//!      einddatum on or after `from`);
//!    * the open work stock: meldingen of the 16 weeks before `from` whose case is
//!      still open on `from` are emitted with all their events (cases that closed
//!      before `from` are left out entirely);
//!    * `formatie.vastgesteld` for every consultant, `geldig_vanaf` the Monday of
//!      the ISO week in which that run-in starts.
//! 2. **The simulated period** `from..=to`: meldingen arrive every day, every case
//!    runs its course, PO cases are picked up, providers start and stop care,
//!    staffing changes. Nothing is emitted with `occurred_at` after `to`.
//! 3. **Stragglers**: late arrivals and duplicates whose arrival falls after `to`.
//!
//! # Distributions (per gemeente, scale 1.0; every volume × `scale` × the gemeente's
//! volume factor, 1.0 for the first gemeente, a fixed 0.75–1.3 for the others)
//!
//! * Meldingen (Poisson per day; 97 % on working days, Dutch public holidays count
//!   as non-working days; weekends only `digitaal`/`email`): Wmo 235 a week, of
//!   which 94 % via the CIT (telefoon 48 %, digitaal 24 %, email 16 %, balie 12 %)
//!   and 6 % direct (consulent_direct, sociaal_team, derden, knooppunt). Jeugd 74 a
//!   week: 59 via the CIT (spec: 1,539 a half-year) and 15 direct (mostly knooppunt
//!   = schools and sociaal_team). Verwijzer: Wmo mostly `geen` (45 %), huisarts,
//!   wijkteam, gemeente, medisch_specialist; jeugd gemeente, wijkteam, huisarts,
//!   jeugdarts, gecertificeerde_instelling. `wijk` is a CBS wijk code (85 %).
//! * `melding.beoordeeld` 0–3 working days later. Afgevangen: Wmo CIT 78 %, direct
//!   15 % (overall ≈74 %, spec 6,106 → 1,572 doorgezet); jeugd CIT 35 %, direct 5 %.
//!   Afgevangen cases close at once (`case.afgesloten` afgevangen).
//! * Doorgezet: `case.toegewezen` 1–5 working days later to the team of the wijk
//!   (80 %) or another team. Jeugd always in two steps (team Load, then a
//!   consultant 1–10 working days later); Wmo 25 % in two steps, else straight to a
//!   consultant. Handover (another `case.toegewezen`) in 12 % (Wmo) / 15 % (jeugd),
//!   35 % of them to another team. Dossiertype nieuw 65 %, bestaand 25 %, mutatie
//!   10 % (jeugd 75/18/7); bestaand/mutatie clients are reused from active
//!   beschikkingen where one is found.
//! * Aanvragen per doorgezet case: Wmo 0 (4 %, case closed `ingetrokken`/`overig`),
//!   else 1/2/3 with 38/42/20 % (≈1.75 a case: spec 2,766 non-PO aanvragen for
//!   1,572 booked meldingen); jeugd 1/2/3 with 85/12/3 % (5 % none). One per distinct
//!   voorziening. The first aanvraag comes 8–38 days after the melding in 82 % of
//!   Wmo cases and 44–90 days in 18 % (over the 42-day norm); jeugd 10–70 days.
//!   Soort: nieuw, herindicatie (bestaand clients), mutatie (mutatie dossiers).
//! * `beschikking.afgegeven` per aanvraag: Wmo 1–10 days later (87 %) or 15–45
//!   (13 %, over the 14-day norm); jeugd 5–50 days (86 %) or 57–110 (over 56).
//!   Toegekend 90 % (jeugd 93 %). Einddatum: per voorziening; overall ≈80 % of Wmo
//!   indefinite (null), ≈90 % of jeugd with an einddatum 1–12 months on.
//!   Leveringsvorm zin 88 % / pgb 12 % (jeugd 85/15). Aanbieder for zin only.
//!   `case.afgesloten` beschikt 0–5 working days after the last beschikking (90 %;
//!   otherwise the case closes implicitly).
//! * `zorg.gestart` for 93 % of zin and 60 % of pgb grants, Wmo 2–35 days after the
//!   beschikking (9 %: 43–130 days, late), jeugd 5–35 (18 %: 43–150). Grants with an
//!   einddatum get `zorg.beeindigd` at the einddatum (75 %) or earlier (12 %).
//!   Indefinite Wmo care ends at a rate of ≈20 % a year (overleden, wlz, verhuisd,
//!   …), which keeps the PO stock, and so the PO rate, in steady state over years.
//! * PO cycle of every granted indefinite Wmo beschikking, starting at the
//!   beschikking (or at a `po.uitgevoerd` ongewijzigd): `po.gepland` within 0–8
//!   working days (on time) or 16–70 days (late, 6 %); forgotten in 5 % (after a PO
//!   ongewijzigd: 15 %, the `po_zonder_vervolg` gap); `gepland_op` 1, 2 or 3 years
//!   on (25/30/45 %, always a little under), or more than 3 years on (3 %). The PO is
//!   taken up 0–42 days before `gepland_op`, or 1–150 days after it (28 %);
//!   forgotten cycles are discovered 1.2–4 years on. A PO case: new case_id, same
//!   client_ref, `case.toegewezen` periodiek_onderzoek (15 % team-only first),
//!   `aanvraag.ingediend` periodiek_onderzoek (97 %; always when gewijzigd),
//!   `po.uitgevoerd` ongewijzigd 72 % / gewijzigd 18 % (a new beschikking in the PO
//!   case, with its own cycle) / beeindigd 10 % (mostly followed by
//!   `zorg.beeindigd`), then `case.afgesloten`. This gives ≈96 PO aanvragen a week.
//! * Gemeenten differ a little in quality: a factor (0.6–1.5, 1.0 for the first)
//!   multiplies the chances of late and forgotten work.
//! * Staffing: 7 teams per gemeente and domein ("IGT Noord" … "IGT Buitenwijken",
//!   "Jeugd Noord" …), consultants `mw-<gemeente digits>-<nnn>` with fte 0.5–1.0
//!   summing to 40.91 (Wmo) and 23.44 (jeugd) × volume; about 24 changes a year
//!   per 40 FTE (leave with fte 0, new hire, move to another team, fte change).
//!
//! # Imperfections, as in real input
//!
//! * Corrections (0.4 % of melding, toewijzing, aanvraag, po.gepland and
//!   zorg.gestart events): a mistaken twin of the event (same data, or a wrong
//!   team, plan date or start date) is registered minutes later and withdrawn by an
//!   `event.ingetrokken` 10 minutes to 10 days after that; in 20 % of them the
//!   retraction arrives before the twin it withdraws.
//! * Late arrival: 1.5 % of events arrive 10 minutes to 5 days after their
//!   `occurred_at`; 4 % of `beschikking.afgegeven` arrive 3–25 days late, so the
//!   `po.gepland`/`zorg.gestart` of that beschikking may arrive before it.
//! * Duplicates: `duplicate_fraction` of events are emitted again (same event_id,
//!   same content) 10 minutes to 20 days later in the stream.
//! * Bad lines: about `bad_fraction` of all lines are [`SimLine::Bad`], each
//!   right after a valid event it was derived from. `why` is one of [`BAD_WHYS`]:
//!   - `"invalid_json"`: the line is cut short (or is a CSV-like line), not JSON;
//!   - `"missing_field"`: a required envelope field was dropped;
//!   - `"invalid_value"`: a closed value is wrong (domein, gemeente code, timestamp
//!     without offset, schema_version 2, unknown event_type, an enum or date in
//!     `data`, fte out of range, a malformed UUID);
//!   - `"unknown_field"`: an extra field in the envelope or in `data`;
//!   - `"bsn"`: client_ref (staffing events: data.consulent_ref) is a 9-digit
//!     number passing the 11-test;
//!   - `"conflict"`: a valid event with the `event_id` of an event emitted before it
//!     but different content (occurred_at moved). This one passes
//!     [`Event::from_json_bytes`]; a store must reject it as a conflict.
//!
//!   For all but `"conflict"`, `why` equals [`caseflow_core::ValidationError::kind`] of the
//!   error the validator returns.

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
