//! Facts: what one projection key (a case, a beschikking) contributes to the read
//! models.
//!
//! Every read model is built from facts. A key's facts are a pure function of the
//! key's events (sorted by `occurred_at`, then `event_id`), so the result does not
//! depend on the order or the number of times events arrived. When new events
//! reach a key, its facts are recomputed and only the difference is applied to the
//! stored read models.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::dims::{add_count, Assignments};
pub use crate::dims::{CountKey, Dims};
use crate::event::{Domein, Event, EventData};
use crate::leadtime::{self, OpenCase, Sample};
use crate::monitor::{self, MonitorFact};
use crate::overdue_po::{self, PoTimeline};
use crate::terms::{self, CaseTerms};
use crate::{throughput, workload};

/// The facts of one projection key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Counts summed into the daily aggregates (throughput, workload).
    #[serde(with = "count_list")]
    pub counts: BTreeMap<CountKey, f64>,
    /// Lead-time durations (spec §3.2), kept individually for percentiles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Sample>,
    /// The case as the live open-case list shows it, while it is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_case: Option<OpenCase>,
    /// A monitored beschikking's PO timeline (spec §3.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po: Option<PoTimeline>,
    /// What the council monitor needs of this key (spec §3.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<MonitorFact>,
    /// A case's legal-term facts (spec §3.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<CaseTerms>,
}

/// Counts as a list of flat rows, `[gemeente, domein, team, day, metric,
/// category, value]` (a third of the nested form's size: the store keeps these
/// per key). The nested `[{dims, day, metric, category}, value]` form of earlier
/// versions is still read.
mod count_list {
    use super::*;
    use serde::{Deserializer, Serializer};

    type Flat<'a> = (&'a str, Domein, Option<&'a str>, NaiveDate, &'a str, &'a str, f64);

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Flat(String, Domein, Option<String>, NaiveDate, String, String, f64),
        Nested(CountKey, f64),
    }

    pub fn serialize<S: Serializer>(m: &BTreeMap<CountKey, f64>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(m.iter().map(|(k, v)| -> Flat<'_> {
            (&k.dims.gemeente, k.dims.domein, k.dims.team.as_deref(), k.day, &k.metric, &k.category, *v)
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<CountKey, f64>, D::Error> {
        let v: Vec<Stored> = Vec::deserialize(d)?;
        Ok(v.into_iter()
            .map(|row| match row {
                Stored::Flat(gemeente, domein, team, day, metric, category, value) => {
                    (CountKey { dims: Dims { gemeente, domein, team }, day, metric, category }, value)
                }
                Stored::Nested(k, value) => (k, value),
            })
            .collect())
    }
}

impl Facts {
    pub fn add(&mut self, dims: &Dims, day: NaiveDate, metric: &str, category: &str, value: f64) {
        add_count(&mut self.counts, dims, day, metric, category, value);
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
            && self.samples.is_empty()
            && self.open_case.is_none()
            && self.po.is_none()
            && self.monitor.is_none()
            && self.terms.is_none()
    }

    /// What must be added to the count aggregates to go from `old` to `self`.
    pub fn delta_from(&self, old: &Facts) -> Vec<(CountKey, f64)> {
        let mut delta: BTreeMap<CountKey, f64> = self.counts.clone();
        for (k, v) in &old.counts {
            *delta.entry(k.clone()).or_insert(0.0) -= v;
        }
        delta.into_iter().filter(|(_, v)| *v != 0.0).collect()
    }

    /// Add another key's counts (used by the in-memory reference model).
    pub fn merge_counts(&mut self, other: &Facts) {
        for (k, v) in &other.counts {
            *self.counts.entry(k.clone()).or_insert(0.0) += v;
        }
    }
}

/// A projection key: the unit whose facts are recomputed together.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProjectionKey {
    /// A case (work process): throughput, case lead times, workload, open cases.
    Case(Uuid),
    /// A beschikking: wachttijd_zorg and the PO timeline. Its events are those
    /// carrying its `beschikking_id`, plus the assignments of their cases.
    Beschikking(Uuid),
}

impl ProjectionKey {
    /// The keys an event belongs to (assignments also reach the beschikkingen of
    /// their case; the store and the reference model add those).
    pub fn of(event: &Event) -> Vec<ProjectionKey> {
        let mut keys: Vec<ProjectionKey> =
            event.case_id.map(ProjectionKey::Case).into_iter().collect();
        keys.extend(event.beschikking_id().map(ProjectionKey::Beschikking));
        keys
    }

    pub fn encode(&self) -> String {
        match self {
            Self::Case(id) => format!("case:{id}"),
            Self::Beschikking(id) => format!("beschikking:{id}"),
        }
    }

    pub fn decode(s: &str) -> Option<ProjectionKey> {
        let (kind, id) = s.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "case" => Some(Self::Case(id)),
            "beschikking" => Some(Self::Beschikking(id)),
            _ => None,
        }
    }
}

/// Sort a key's events into their business order: `occurred_at`, then `event_id`
/// as a deterministic tie-break.
pub fn sort_events(events: &mut [Event]) {
    events.sort_by(|a, b| {
        a.occurred_at
            .cmp(&b.occurred_at)
            .then(a.event_id.cmp(&b.event_id))
    });
}

/// Compute the facts of one key from its effective, deduplicated events.
pub fn facts_for(key: &ProjectionKey, events: &[Event]) -> Facts {
    let mut sorted: Vec<Event> = events.to_vec();
    sort_events(&mut sorted);
    let assignments = Assignments::new(&sorted);
    let mut facts = Facts::default();
    match key {
        ProjectionKey::Case(case) => {
            // Only the case's own events count here.
            sorted.retain(|e| e.case_id == Some(*case));
            throughput::case_facts(&sorted, &assignments, &mut facts.counts);
            facts.open_case = leadtime::case_facts(&sorted, &assignments, &mut facts.samples);
            workload::case_facts(&sorted, &assignments, &mut facts.counts);
            facts.monitor = monitor::case_fact(&sorted);
            facts.terms = terms::case_terms(&sorted, &assignments);
        }
        ProjectionKey::Beschikking(b) => {
            sorted.retain(|e| {
                e.beschikking_id() == Some(*b) || matches!(e.data, EventData::CaseToegewezen { .. })
            });
            leadtime::beschikking_facts(&sorted, &assignments, &mut facts.samples);
            facts.po = overdue_po::timeline(*b, &sorted, &assignments);
            facts.monitor = monitor::beschikking_fact(*b, &sorted);
        }
    }
    facts
}

/// Group effective events by projection key, as the store loads them: a case's
/// events; a beschikking's events plus the assignments of their cases.
pub fn group_by_key<'a>(
    events: impl IntoIterator<Item = &'a Event>,
) -> BTreeMap<ProjectionKey, Vec<Event>> {
    let events: Vec<&Event> = events.into_iter().collect();
    let mut by_key: BTreeMap<ProjectionKey, Vec<Event>> = BTreeMap::new();
    let mut assignments_by_case: HashMap<Uuid, Vec<&Event>> = HashMap::new();
    for e in &events {
        if let (Some(c), EventData::CaseToegewezen { .. }) = (e.case_id, &e.data) {
            assignments_by_case.entry(c).or_default().push(e);
        }
        for k in ProjectionKey::of(e) {
            by_key.entry(k).or_default().push((*e).clone());
        }
    }
    for (k, v) in by_key.iter_mut() {
        if let ProjectionKey::Beschikking(_) = k {
            let mut cases: Vec<Uuid> = v.iter().filter_map(|e| e.case_id).collect();
            cases.sort();
            cases.dedup();
            for c in cases {
                for a in assignments_by_case.get(&c).into_iter().flatten() {
                    v.push((*a).clone());
                }
            }
        }
    }
    by_key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        let mut f = Facts::default();
        let dims = |team: Option<&str>| Dims { gemeente: "GM0935".into(), domein: Domein::Wmo, team: team.map(String::from) };
        let day = NaiveDate::from_ymd_opt(2024, 3, 31).unwrap();
        f.add(&dims(None), day, "meldingen", "", 1.0);
        f.add(&dims(Some("IGT Noord")), day, "aanvragen", "nieuw", 2.0);
        f.add(&dims(Some("IGT Noord")), day, "wl_open", "periodiek_onderzoek", -1.0);
        f
    }

    #[test]
    fn counts_are_stored_as_flat_rows_and_read_back() {
        let f = facts();
        let text = serde_json::to_string(&f).unwrap();
        assert!(text.contains(r#"["GM0935","wmo","IGT Noord","2024-03-31","aanvragen","nieuw",2.0]"#), "{text}");
        assert!(text.contains(r#"["GM0935","wmo",null,"2024-03-31","meldingen","",1.0]"#), "{text}");
        let back: Facts = serde_json::from_str(&text).unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn counts_of_earlier_versions_are_read() {
        let f = facts();
        let nested: Vec<(&CountKey, &f64)> = f.counts.iter().collect();
        let old = serde_json::json!({ "counts": nested }).to_string();
        assert!(old.contains(r#""dims":{"#), "{old}");
        let back: Facts = serde_json::from_str(&old).unwrap();
        assert_eq!(back.counts, f.counts);
    }
}
