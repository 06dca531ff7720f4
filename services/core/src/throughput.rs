//! Throughput, spec §3.1: counts per gemeente, domein, (team,) and period.
//!
//! - `meldingen` — `melding.ontvangen`
//! - `doorgezet`, `afgevangen` — `melding.beoordeeld` by uitkomst;
//!   `afvangratio = afgevangen / (afgevangen + doorgezet)`
//! - `toegewezen` — cases whose first `case.toegewezen` falls in the period
//! - `aanvragen` by soort, `beschikkingen` by besluit, `po_uitgevoerd` by uitkomst
//! - `zorg_gestart`, `zorg_beeindigd` by reden
//!
//! Each event counts in the Amsterdam period of its own `occurred_at`, and for the
//! team of its case's latest `case.toegewezen` at that time (none before the first).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::event::{AanvraagSoort, Besluit, Event, EventData, PoUitkomst, ZorgEindeReden};
use crate::dims::{add_count, dims_of, Assignments, CountKey};
use crate::period::{local_date, Granularity, Period};

pub const MELDINGEN: &str = "meldingen";
pub const DOORGEZET: &str = "doorgezet";
pub const AFGEVANGEN: &str = "afgevangen";
pub const TOEGEWEZEN: &str = "toegewezen";
pub const AANVRAGEN: &str = "aanvragen";
pub const BESCHIKKINGEN: &str = "beschikkingen";
pub const PO_UITGEVOERD: &str = "po_uitgevoerd";
pub const ZORG_GESTART: &str = "zorg_gestart";
pub const ZORG_BEEINDIGD: &str = "zorg_beeindigd";

/// All metric names this model stores.
pub const METRICS: &[&str] = &[
    MELDINGEN,
    DOORGEZET,
    AFGEVANGEN,
    TOEGEWEZEN,
    AANVRAGEN,
    BESCHIKKINGEN,
    PO_UITGEVOERD,
    ZORG_GESTART,
    ZORG_BEEINDIGD,
];

/// Throughput facts of one case. `events` sorted, retractions already applied.
pub fn case_facts(
    events: &[Event],
    assignments: &Assignments,
    counts: &mut BTreeMap<CountKey, f64>,
) {
    let mut first_assignment_seen = false;
    for e in events {
        let dims = dims_of(e, assignments);
        let day = local_date(&e.occurred_at);
        let mut count = |metric: &str, category: &str| add_count(counts, &dims, day, metric, category, 1.0);
        match &e.data {
            EventData::MeldingOntvangen { .. } => count(MELDINGEN, ""),
            EventData::MeldingBeoordeeld { uitkomst, .. } => count(uitkomst.as_str(), ""),
            EventData::CaseToegewezen { .. } if !first_assignment_seen => {
                first_assignment_seen = true;
                count(TOEGEWEZEN, "");
            }
            EventData::AanvraagIngediend { soort, .. } => count(AANVRAGEN, soort.as_str()),
            EventData::BeschikkingAfgegeven { besluit, .. } => {
                count(BESCHIKKINGEN, besluit.as_str())
            }
            EventData::PoUitgevoerd { uitkomst, .. } => count(PO_UITGEVOERD, uitkomst.as_str()),
            EventData::ZorgGestart { .. } => count(ZORG_GESTART, ""),
            EventData::ZorgBeeindigd { reden, .. } => count(ZORG_BEEINDIGD, reden.as_str()),
            _ => {}
        }
    }
}

/// A count split by category, with its total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdown {
    pub total: u64,
    #[serde(flatten)]
    pub by: BTreeMap<String, u64>,
}

impl Breakdown {
    fn with_categories(categories: &[&str]) -> Self {
        Breakdown {
            total: 0,
            by: categories.iter().map(|c| (c.to_string(), 0)).collect(),
        }
    }

    fn add(&mut self, category: &str, n: u64) {
        self.total += n;
        *self.by.entry(category.to_string()).or_insert(0) += n;
    }
}

/// One row of the throughput model, as the API and CLI show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThroughputRow {
    pub gemeente: String,
    pub domein: String,
    pub team: Option<String>,
    pub period: String,
    pub meldingen: u64,
    pub doorgezet: u64,
    pub afgevangen: u64,
    /// `afgevangen / (afgevangen + doorgezet)`; null when nothing was assessed.
    pub afvangratio: Option<f64>,
    pub toegewezen: u64,
    pub aanvragen: Breakdown,
    pub beschikkingen: Breakdown,
    pub po_uitgevoerd: Breakdown,
    pub zorg_gestart: u64,
    pub zorg_beeindigd: Breakdown,
}

impl ThroughputRow {
    fn empty(gemeente: String, domein: String, team: Option<String>, period: String) -> Self {
        fn cats<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
            all.iter().map(|x| f(*x)).collect()
        }
        ThroughputRow {
            gemeente,
            domein,
            team,
            period,
            meldingen: 0,
            doorgezet: 0,
            afgevangen: 0,
            afvangratio: None,
            toegewezen: 0,
            aanvragen: Breakdown::with_categories(&cats(AanvraagSoort::ALL, AanvraagSoort::as_str)),
            beschikkingen: Breakdown::with_categories(&cats(Besluit::ALL, Besluit::as_str)),
            po_uitgevoerd: Breakdown::with_categories(&cats(PoUitkomst::ALL, PoUitkomst::as_str)),
            zorg_gestart: 0,
            zorg_beeindigd: Breakdown::with_categories(&cats(
                ZorgEindeReden::ALL,
                ZorgEindeReden::as_str,
            )),
        }
    }

    fn add(&mut self, metric: &str, category: &str, n: u64) {
        match metric {
            MELDINGEN => self.meldingen += n,
            DOORGEZET => self.doorgezet += n,
            AFGEVANGEN => self.afgevangen += n,
            TOEGEWEZEN => self.toegewezen += n,
            AANVRAGEN => self.aanvragen.add(category, n),
            BESCHIKKINGEN => self.beschikkingen.add(category, n),
            PO_UITGEVOERD => self.po_uitgevoerd.add(category, n),
            ZORG_GESTART => self.zorg_gestart += n,
            ZORG_BEEINDIGD => self.zorg_beeindigd.add(category, n),
            _ => {}
        }
    }
}

/// Which rows a throughput query asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ThroughputQuery {
    pub granularity: Granularity,
    pub gemeente: Option<String>,
    pub domein: Option<String>,
    pub by_team: bool,
    /// First and last day (inclusive) of the window, Amsterdam dates.
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

impl ThroughputQuery {
    pub fn matches(&self, k: &CountKey) -> bool {
        self.gemeente.as_ref().is_none_or(|g| *g == k.dims.gemeente)
            && self
                .domein
                .as_ref()
                .is_none_or(|d| d == k.dims.domein.as_str())
            && self.from.is_none_or(|f| k.day >= f)
            && self.to.is_none_or(|t| k.day <= t)
    }
}

/// Group daily counts into the rows of a query, sorted by gemeente, domein,
/// period, team. Counts outside the query's filter are skipped.
pub fn rows<'a>(
    counts: impl IntoIterator<Item = (&'a CountKey, f64)>,
    q: &ThroughputQuery,
) -> Vec<ThroughputRow> {
    let mut rows: BTreeMap<(String, String, Period, Option<String>), ThroughputRow> =
        BTreeMap::new();
    for (k, v) in counts {
        if v == 0.0 || !q.matches(k) || !METRICS.contains(&k.metric.as_str()) {
            continue;
        }
        let period = Period::containing(q.granularity, k.day);
        let team = if q.by_team { k.dims.team.clone() } else { None };
        let key = (
            k.dims.gemeente.clone(),
            k.dims.domein.as_str().to_string(),
            period,
            team.clone(),
        );
        let row = rows.entry(key).or_insert_with(|| {
            ThroughputRow::empty(
                k.dims.gemeente.clone(),
                k.dims.domein.as_str().to_string(),
                team,
                period.label(),
            )
        });
        row.add(&k.metric, &k.category, v.round() as u64);
    }
    rows.into_values()
        .map(|mut r| {
            let assessed = r.afgevangen + r.doorgezet;
            r.afvangratio = (assessed > 0).then(|| r.afgevangen as f64 / assessed as f64);
            r
        })
        .collect()
}
