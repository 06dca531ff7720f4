//! Lead time, spec §3.2, and the live open-case list.
//!
//! | measure          | from → to                                                            | norm (days)      |
//! |------------------|----------------------------------------------------------------------|------------------|
//! | `toewijzing`     | `melding.beoordeeld` (doorgezet) → the case's first `case.toegewezen` | —                |
//! | `onderzoek`      | `melding.ontvangen` → the case's first `aanvraag.ingediend`           | Wmo 42           |
//! | `besluit`        | `aanvraag.ingediend` → the `beschikking.afgegeven` with that aanvraag | Wmo 14, Jeugd 56 |
//! | `doorlooptijd`   | `melding.ontvangen` → the case's first `beschikking.afgegeven`        | —                |
//! | `wachttijd_zorg` | `beschikking.afgegeven` (toegekend) → the `zorg.gestart` for it       | —                |
//!
//! Each measured pair counts in the Amsterdam period of its end event, for the team
//! of the end event's case at that time. Durations are exact: seconds / 86,400.
//! Percentiles are nearest-rank. A duration is over its norm when strictly greater.
//!
//! Choices where the spec is silent (docs/decisions.md): the first start event
//! counts when there are several (the first `doorgezet`, the first melding); the
//! aanvraag and its beschikking are matched within the case; a pair whose end lies
//! before its start (a registration error) is not measured.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::Config;
use crate::event::{Besluit, Domein, Dossiertype, Event, EventData, MeldingUitkomst};
use crate::dims::{dims_of, Assignments, Dims};
use crate::period::{local_date, Granularity, Period};

pub const TOEWIJZING: &str = "toewijzing";
pub const ONDERZOEK: &str = "onderzoek";
pub const BESLUIT: &str = "besluit";
pub const DOORLOOPTIJD: &str = "doorlooptijd";
pub const WACHTTIJD_ZORG: &str = "wachttijd_zorg";
pub const MEASURES: &[&str] = &[TOEWIJZING, ONDERZOEK, BESLUIT, DOORLOOPTIJD, WACHTTIJD_ZORG];

/// One measured pair: its duration in days, in the period and team of its end event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub measure: String,
    pub dims: Dims,
    pub day: NaiveDate,
    pub days: f64,
}

/// Exact duration in days.
pub fn days_between(start: DateTime<Utc>, end: DateTime<Utc>) -> f64 {
    (end - start).num_milliseconds() as f64 / 1000.0 / 86_400.0
}

fn utc(e: &Event) -> DateTime<Utc> {
    e.occurred_at.with_timezone(&Utc)
}

fn push_sample(
    samples: &mut Vec<Sample>,
    measure: &str,
    start: &Event,
    end: &Event,
    assignments: &Assignments,
) {
    let (s, t) = (utc(start), utc(end));
    if t < s {
        return;
    }
    samples.push(Sample {
        measure: measure.to_string(),
        dims: dims_of(end, assignments),
        day: local_date(&end.occurred_at),
        days: days_between(s, t),
    });
}

/// The state of a case that decides whether it is closed (spec §3.3): closed at
/// `case.afgesloten`, at `melding.beoordeeld` afgevangen, or when every aanvraag
/// in it has a beschikking (at least one aanvraag).
#[derive(Debug, Clone, Default)]
pub struct Closure {
    afgesloten: bool,
    afgevangen: bool,
    aanvragen: HashMap<Uuid, DateTime<Utc>>,
    beschikt: HashSet<Uuid>,
}

impl Closure {
    pub fn apply(&mut self, e: &Event) {
        match &e.data {
            EventData::CaseAfgesloten { .. } => self.afgesloten = true,
            EventData::MeldingBeoordeeld {
                uitkomst: MeldingUitkomst::Afgevangen,
                ..
            } => self.afgevangen = true,
            EventData::AanvraagIngediend { aanvraag_id, .. } => {
                self.aanvragen.entry(*aanvraag_id).or_insert(utc(e));
            }
            EventData::BeschikkingAfgegeven { aanvraag_id, .. } => {
                self.beschikt.insert(*aanvraag_id);
            }
            _ => {}
        }
    }

    pub fn closed(&self) -> bool {
        self.afgesloten
            || self.afgevangen
            || (!self.aanvragen.is_empty()
                && self.aanvragen.keys().all(|a| self.beschikt.contains(a)))
    }

    /// The earliest aanvraag still without a beschikking.
    pub fn first_open_aanvraag(&self) -> Option<DateTime<Utc>> {
        self.aanvragen
            .iter()
            .filter(|(a, _)| !self.beschikt.contains(a))
            .map(|(_, t)| *t)
            .min()
    }

    pub fn has_aanvraag(&self) -> bool {
        !self.aanvragen.is_empty()
    }
}

/// A case while it is open, for the live open-case list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenCase {
    pub case_id: Uuid,
    pub gemeente: String,
    pub domein: Domein,
    pub team: Option<String>,
    pub consulent_ref: Option<String>,
    pub dossiertype: Option<Dossiertype>,
    /// The melding, or the case's first event when it has none (a PO case).
    pub started_at: DateTime<Utc>,
    pub melding_at: Option<DateTime<Utc>>,
    pub has_aanvraag: bool,
    pub first_open_aanvraag_at: Option<DateTime<Utc>>,
}

/// Lead-time samples of one case (sorted events), added to `samples`, and its
/// open-case row while it is open.
pub fn case_facts(
    events: &[Event],
    assignments: &Assignments,
    samples: &mut Vec<Sample>,
) -> Option<OpenCase> {
    let first = |f: &dyn Fn(&Event) -> bool| events.iter().find(|e| f(e));
    let melding = first(&|e| matches!(e.data, EventData::MeldingOntvangen { .. }));
    let doorgezet = first(&|e| {
        matches!(
            e.data,
            EventData::MeldingBeoordeeld {
                uitkomst: MeldingUitkomst::Doorgezet,
                ..
            }
        )
    });
    let toegewezen = first(&|e| matches!(e.data, EventData::CaseToegewezen { .. }));
    let aanvraag = first(&|e| matches!(e.data, EventData::AanvraagIngediend { .. }));
    let beschikking = first(&|e| matches!(e.data, EventData::BeschikkingAfgegeven { .. }));

    if let (Some(s), Some(t)) = (doorgezet, toegewezen) {
        push_sample(samples, TOEWIJZING, s, t, assignments);
    }
    if let (Some(s), Some(t)) = (melding, aanvraag) {
        push_sample(samples, ONDERZOEK, s, t, assignments);
    }
    if let (Some(s), Some(t)) = (melding, beschikking) {
        push_sample(samples, DOORLOOPTIJD, s, t, assignments);
    }
    // besluit: each aanvraag with the first beschikking for it.
    let mut seen_aanvraag: HashSet<Uuid> = HashSet::new();
    for a in events {
        if let EventData::AanvraagIngediend { aanvraag_id, .. } = &a.data {
            if !seen_aanvraag.insert(*aanvraag_id) {
                continue;
            }
            let b = events.iter().find(|e| matches!(&e.data, EventData::BeschikkingAfgegeven { aanvraag_id: x, .. } if x == aanvraag_id));
            if let Some(b) = b {
                push_sample(samples, BESLUIT, a, b, assignments);
            }
        }
    }

    // The open-case row: cases in the work stock (a melding or an assignment)
    // that are not closed. Cases holding only provider or PO events, or a
    // migrated beschikking, are not live work.
    let first_event = events.first()?;
    if melding.is_none() && toegewezen.is_none() {
        return None;
    }
    let mut closure = Closure::default();
    for e in events {
        closure.apply(e);
    }
    if closure.closed() {
        return None;
    }
    let last = events.last().map(utc).expect("non-empty");
    let current = assignments.at(first_event.case_id, last);
    Some(OpenCase {
        case_id: first_event.case_id.expect("case events carry a case_id"),
        gemeente: first_event.gemeente.clone(),
        domein: first_event.domein,
        team: current.map(|a| a.team.clone()),
        consulent_ref: current.and_then(|a| a.consulent_ref.clone()),
        dossiertype: current.map(|a| a.dossiertype),
        started_at: melding.map(utc).unwrap_or_else(|| utc(first_event)),
        melding_at: melding.map(utc),
        has_aanvraag: closure.has_aanvraag(),
        first_open_aanvraag_at: closure.first_open_aanvraag(),
    })
}

/// `wachttijd_zorg` of one beschikking (sorted events of the beschikking key).
pub fn beschikking_facts(
    events: &[Event],
    assignments: &Assignments,
    samples: &mut Vec<Sample>,
) {
    let afgegeven = events.iter().find(|e| {
        matches!(
            e.data,
            EventData::BeschikkingAfgegeven {
                besluit: Besluit::Toegekend,
                ..
            }
        )
    });
    let gestart = events
        .iter()
        .find(|e| matches!(e.data, EventData::ZorgGestart { .. }));
    if let (Some(s), Some(t)) = (afgegeven, gestart) {
        push_sample(samples, WACHTTIJD_ZORG, s, t, assignments);
    }
}

/// The next legal deadline of an open case (spec §3.2): melding + 42 days while
/// no aanvraag in Wmo; aanvraag + 14 (Wmo) or 56 (Jeugd) days while no beschikking.
pub fn next_deadline(c: &OpenCase, config: &Config) -> Option<(&'static str, DateTime<Utc>)> {
    let p = config.params(&c.gemeente);
    let add = |t: DateTime<Utc>, days: f64| {
        t + Duration::milliseconds((days * 86_400_000.0).round() as i64)
    };
    if let Some(a) = c.first_open_aanvraag_at {
        let norm = p.norm(BESLUIT, c.domein)?;
        return Some((BESLUIT, add(a, norm)));
    }
    if !c.has_aanvraag {
        if let (Some(m), Some(norm)) = (c.melding_at, p.norm(ONDERZOEK, c.domein)) {
            return Some((ONDERZOEK, add(m, norm)));
        }
    }
    None
}

/// One row of the open-case list, as the API and CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenCaseRow {
    pub case_id: Uuid,
    pub gemeente: String,
    pub domein: String,
    pub team: Option<String>,
    pub consulent_ref: Option<String>,
    pub dossiertype: Option<String>,
    pub started_at: String,
    /// Days since the melding (or the case's first event), at `as_of`.
    pub age_days: f64,
    /// `onderzoek` (aanvraag due) or `besluit` (beschikking due); null when none applies.
    pub deadline_kind: Option<&'static str>,
    pub deadline: Option<String>,
    /// Negative when the deadline has passed.
    pub days_left: Option<f64>,
}

pub fn open_case_row(c: &OpenCase, as_of: DateTime<Utc>, config: &Config) -> OpenCaseRow {
    let deadline = next_deadline(c, config);
    OpenCaseRow {
        case_id: c.case_id,
        gemeente: c.gemeente.clone(),
        domein: c.domein.as_str().to_string(),
        team: c.team.clone(),
        consulent_ref: c.consulent_ref.clone(),
        dossiertype: c.dossiertype.map(|d| d.as_str().to_string()),
        started_at: c.started_at.to_rfc3339(),
        age_days: round3(days_between(c.started_at, as_of)),
        deadline_kind: deadline.map(|(k, _)| k),
        deadline: deadline.map(|(_, t)| t.to_rfc3339()),
        days_left: deadline.map(|(_, t)| round3(days_between(as_of, t))),
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Nearest-rank percentile of ascending `sorted` values: the value at rank ⌈p/100 · n⌉.
pub fn nearest_rank(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// Which lead-time rows a query asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadtimeQuery {
    pub granularity: Granularity,
    pub gemeente: Option<String>,
    pub domein: Option<String>,
    pub by_team: bool,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub measure: Option<String>,
}

/// One row of the lead-time model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadtimeRow {
    pub gemeente: String,
    pub domein: String,
    pub team: Option<String>,
    pub period: String,
    pub measure: String,
    pub n: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub max: f64,
    /// The norm in days, null when the measure has none in this domein.
    pub norm: Option<f64>,
    /// Pairs strictly over the norm; null when there is no norm.
    pub over_norm: Option<u64>,
}

impl LeadtimeRow {
    /// Share of pairs within the norm (for the council monitor); null without a norm.
    pub fn share_within_norm(&self) -> Option<f64> {
        self.over_norm
            .filter(|_| self.n > 0)
            .map(|o| (self.n - o) as f64 / self.n as f64)
    }
}

/// Group samples into rows, sorted by gemeente, domein, measure, period, team.
pub fn rows<'a>(
    samples: impl IntoIterator<Item = &'a Sample>,
    q: &LeadtimeQuery,
    config: &Config,
) -> Vec<LeadtimeRow> {
    type Key = (String, String, String, Period, Option<String>);
    let mut groups: BTreeMap<Key, (Domein, Vec<f64>)> = BTreeMap::new();
    for s in samples {
        if q.gemeente.as_ref().is_some_and(|g| *g != s.dims.gemeente)
            || q.domein
                .as_ref()
                .is_some_and(|d| d != s.dims.domein.as_str())
            || q.measure.as_ref().is_some_and(|m| *m != s.measure)
            || q.from.is_some_and(|f| s.day < f)
            || q.to.is_some_and(|t| s.day > t)
        {
            continue;
        }
        let team = if q.by_team { s.dims.team.clone() } else { None };
        let key = (
            s.dims.gemeente.clone(),
            s.dims.domein.as_str().to_string(),
            s.measure.clone(),
            Period::containing(q.granularity, s.day),
            team,
        );
        groups
            .entry(key)
            .or_insert_with(|| (s.dims.domein, Vec::new()))
            .1
            .push(s.days);
    }
    groups
        .into_iter()
        .map(
            |((gemeente, domein_text, measure, period, team), (domein, mut v))| {
                v.sort_by(f64::total_cmp);
                let n = v.len();
                let norm = config.params(&gemeente).norm(&measure, domein);
                LeadtimeRow {
                    team,
                    period: period.label(),
                    n: n as u64,
                    mean: v.iter().sum::<f64>() / n as f64,
                    p50: nearest_rank(&v, 50.0).expect("non-empty"),
                    p90: nearest_rank(&v, 90.0).expect("non-empty"),
                    max: *v.last().expect("non-empty"),
                    over_norm: norm.map(|nm| v.iter().filter(|d| **d > nm).count() as u64),
                    norm,
                    gemeente,
                    domein: domein_text,
                    measure,
                }
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(nearest_rank(&v, 50.0), Some(5.0));
        assert_eq!(nearest_rank(&v, 90.0), Some(9.0));
        assert_eq!(nearest_rank(&v, 91.0), Some(10.0));
        assert_eq!(nearest_rank(&[7.0], 90.0), Some(7.0));
        assert_eq!(nearest_rank(&[1.0, 2.0, 3.0], 50.0), Some(2.0));
        assert_eq!(nearest_rank(&[1.0, 2.0, 3.0, 4.0], 50.0), Some(2.0));
        assert_eq!(nearest_rank(&[], 50.0), None);
    }

    #[test]
    fn exact_days() {
        let a: DateTime<Utc> = "2020-03-28T12:00:00Z".parse().unwrap();
        let b: DateTime<Utc> = "2020-03-30T00:00:00Z".parse().unwrap();
        assert_eq!(days_between(a, b), 1.5);
    }
}
