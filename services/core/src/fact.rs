//! Facts: what one projection key (a case, a beschikking, a gemeente's staffing)
//! contributes to the read models, per Amsterdam calendar day.
//!
//! Every read model is a sum of facts. A key's facts are a pure function of the
//! key's events (sorted by `occurred_at`, then `event_id`), so the result does not
//! depend on the order or the number of times events arrived. When new events
//! reach a key, its facts are recomputed and only the difference is applied to the
//! stored aggregates.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::{Domein, Event};

/// The dimensions every model is available by (spec §3: gemeente, domein, team).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Dims {
    pub gemeente: String,
    pub domein: Domein,
    /// The team of the case's latest assignment at the time of the event, if any.
    pub team: Option<String>,
}

/// A count contribution: `value` added to `metric`/`category` on `day`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CountKey {
    pub dims: Dims,
    pub day: NaiveDate,
    pub metric: String,
    /// Category within the metric (soort, besluit, uitkomst, reden); empty when none.
    pub category: String,
}

/// The facts of one projection key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// Counts summed into the daily aggregates.
    pub counts: BTreeMap<CountKey, f64>,
}

impl Facts {
    pub fn add(&mut self, dims: &Dims, day: NaiveDate, metric: &str, category: &str, value: f64) {
        let key = CountKey { dims: dims.clone(), day, metric: metric.to_string(), category: category.to_string() };
        *self.counts.entry(key).or_insert(0.0) += value;
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// What must be added to the aggregates to go from `old` to `self`.
    pub fn delta_from(&self, old: &Facts) -> Vec<(CountKey, f64)> {
        let mut delta: BTreeMap<CountKey, f64> = self.counts.clone();
        for (k, v) in &old.counts {
            *delta.entry(k.clone()).or_insert(0.0) -= v;
        }
        delta.into_iter().filter(|(_, v)| *v != 0.0).collect()
    }

    /// Add another key's facts (used by the in-memory reference model).
    pub fn merge(&mut self, other: &Facts) {
        for (k, v) in &other.counts {
            *self.counts.entry(k.clone()).or_insert(0.0) += v;
        }
    }
}

/// A projection key: the unit whose facts are recomputed together.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProjectionKey {
    Case(Uuid),
}

impl ProjectionKey {
    /// The keys an event belongs to.
    pub fn of(event: &Event) -> Vec<ProjectionKey> {
        event.case_id.map(ProjectionKey::Case).into_iter().collect()
    }

    pub fn encode(&self) -> String {
        match self {
            Self::Case(id) => format!("case:{id}"),
        }
    }
}

/// Sort a key's events into their business order: `occurred_at`, then `event_id`
/// as a deterministic tie-break.
pub fn sort_events(events: &mut [Event]) {
    events.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then(a.event_id.cmp(&b.event_id)));
}

/// Compute the facts of one key from its (effective, deduplicated) events.
pub fn facts_for(key: &ProjectionKey, events: &[Event]) -> Facts {
    let mut sorted: Vec<Event> = events.to_vec();
    sort_events(&mut sorted);
    let mut facts = Facts::default();
    match key {
        ProjectionKey::Case(_) => crate::throughput::case_facts(&sorted, &mut facts),
    }
    facts
}
