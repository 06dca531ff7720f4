//! The in-memory reference model: the whole stream folded at once.
//!
//! This is the definition the incremental store path is tested against: for any
//! stream, the stored read models must equal what this fold computes. It also
//! holds the idempotency and correction rules that both paths share.

use std::collections::{BTreeMap, HashMap, HashSet};

use uuid::Uuid;

use crate::event::Event;
use crate::fact::{facts_for, group_by_key, Facts, ProjectionKey};
use crate::leadtime::Sample;

/// The result of offering an event to the log (spec §2: idempotency by `event_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// New: appended.
    Accepted,
    /// Same `event_id`, identical content: ignored.
    Duplicate,
    /// Same `event_id`, different content: rejected.
    Conflict,
}

/// Compare an incoming event with the stored one of the same `event_id`.
pub fn admit(existing: Option<&str>, incoming: &Event) -> Admission {
    match existing {
        None => Admission::Accepted,
        Some(canonical) if canonical == incoming.canonical_json() => Admission::Duplicate,
        Some(_) => Admission::Conflict,
    }
}

/// The reason text stored with a conflicting event in the dead-letter store.
pub fn conflict_reason(event_id: &Uuid) -> String {
    format!("conflict: event_id {event_id} was already accepted with different content; send a new event_id, or withdraw the earlier event with event.ingetrokken")
}

/// Whether `retraction` may withdraw `target`: only an event of its own gemeente
/// and domein. Another's correction stays in the log without effect (and is
/// dead-lettered at the append when its target is already known).
pub fn may_withdraw(retraction: &Event, target: &Event) -> bool {
    same_scope(retraction, &target.gemeente, target.domein.as_str())
}

/// Whether `e` belongs to `gemeente` and `domein`.
pub fn same_scope(e: &Event, gemeente: &str, domein: &str) -> bool {
    e.gemeente == gemeente && e.domein.as_str() == domein
}

/// Which events are withdrawn. A retraction withdraws its target unless the
/// retraction is itself withdrawn (one level: withdrawing a correction restores
/// the original event).
pub fn withdrawn_ids<'a>(
    retractions: impl IntoIterator<Item = (Uuid, Uuid)> + Clone,
) -> HashSet<Uuid> {
    let targets: HashSet<Uuid> = retractions
        .clone()
        .into_iter()
        .map(|(_, target)| target)
        .collect();
    retractions
        .into_iter()
        .filter(|(retraction, _)| !targets.contains(retraction))
        .map(|(_, target)| target)
        .collect()
}

/// An append-only log held in memory, with the same admission rules as the stores.
#[derive(Debug, Default, Clone)]
pub struct MemoryLog {
    events: Vec<Event>,
    by_id: HashMap<Uuid, String>,
}

impl MemoryLog {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn offer(&mut self, event: Event) -> Admission {
        let a = admit(self.by_id.get(&event.event_id).map(String::as_str), &event);
        if a == Admission::Accepted {
            self.by_id.insert(event.event_id, event.canonical_json());
            self.events.push(event);
        }
        a
    }

    pub fn from_events(events: impl IntoIterator<Item = Event>) -> Self {
        let mut log = Self::new();
        for e in events {
            log.offer(e);
        }
        log
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The events that count: accepted and not withdrawn.
    pub fn effective(&self) -> Vec<&Event> {
        let by_id: HashMap<Uuid, &Event> = self.events.iter().map(|e| (e.event_id, e)).collect();
        let withdrawn = withdrawn_ids(
            self.events
                .iter()
                .filter_map(|e| {
                    let target = by_id.get(&e.retracts()?)?;
                    may_withdraw(e, target).then_some((e.event_id, target.event_id))
                })
                .collect::<Vec<_>>(),
        );
        self.events
            .iter()
            .filter(|e| !withdrawn.contains(&e.event_id))
            .collect()
    }

    /// The facts of every projection key: the read models' content.
    pub fn facts_by_key(&self) -> BTreeMap<ProjectionKey, Facts> {
        group_by_key(self.effective())
            .into_iter()
            .map(|(k, events)| {
                let f = facts_for(&k, &events);
                (k, f)
            })
            .filter(|(_, f)| !f.is_empty())
            .collect()
    }

    /// Every key's counts summed, and all lead-time samples (sorted).
    pub fn facts(&self) -> Facts {
        let mut total = Facts::default();
        for f in self.facts_by_key().values() {
            total.merge_counts(f);
            total.samples.extend(f.samples.iter().cloned());
        }
        total.counts.retain(|_, v| *v != 0.0);
        total.samples.sort_by(sample_order);
        total
    }

    /// The open cases (the open-case list's content), by case.
    pub fn open_cases(&self) -> Vec<crate::leadtime::OpenCase> {
        self.facts_by_key()
            .into_values()
            .filter_map(|f| f.open_case)
            .collect()
    }

    /// The monitored beschikkingen's PO timelines, by beschikking.
    pub fn po_timelines(&self) -> Vec<crate::overdue_po::PoTimeline> {
        self.facts_by_key()
            .into_values()
            .filter_map(|f| f.po)
            .collect()
    }

    /// The cases' legal-term facts (spec §3.6), by case.
    pub fn case_terms(&self) -> Vec<crate::terms::CaseTerms> {
        self.facts_by_key()
            .into_values()
            .filter_map(|f| f.terms)
            .collect()
    }

    /// The monitor facts of every key.
    pub fn monitor_facts(&self) -> Vec<crate::monitor::MonitorFact> {
        self.facts_by_key()
            .into_values()
            .filter_map(|f| f.monitor)
            .collect()
    }

    /// The effective staffing events.
    pub fn formatie(&self) -> Vec<crate::workload::Formatie> {
        self.effective()
            .into_iter()
            .filter_map(crate::workload::Formatie::from_event)
            .collect()
    }
}

/// A total order on samples, for comparing sets of them.
pub fn sample_order(a: &Sample, b: &Sample) -> std::cmp::Ordering {
    (&a.measure, &a.dims, a.day)
        .cmp(&(&b.measure, &b.dims, b.day))
        .then(a.days.total_cmp(&b.days))
}
