//! The projector's cache: per projection key, the facts last written for it
//! (what `key_facts` holds) and, for a case, its effective events; for a
//! beschikking, the cases it occurs in (its events are found in theirs).
//!
//! It saves loading and parsing a key's events and facts again for every batch
//! that touches the key. It is bounded (least recently used keys are dropped),
//! so the projector's memory does not grow with the length of the history; a
//! dropped key is loaded from the log and `key_facts` when it is next touched.

use std::collections::{BTreeSet, HashMap};

use caseflow_core::event::EventData;
use caseflow_core::fact::{Facts, ProjectionKey};
use caseflow_core::Event;
use uuid::Uuid;

/// Default bound: cached events plus cached keys.
/// 300,000 keeps the keys a time-ordered stream touches again within a few
/// weeks of history (a case's life, a beschikking's first PO steps); about
/// 250 MiB of the projector's memory once full.
pub const DEFAULT_CAPACITY: usize = 300_000;

struct CaseEntry {
    /// Effective events of the case, each once.
    events: Vec<Event>,
    facts: Facts,
    used: u64,
}

struct BeschikkingEntry {
    /// Every case holding an event of this beschikking (withdrawn ones too).
    cases: BTreeSet<Uuid>,
    facts: Facts,
    used: u64,
}

pub(crate) struct KeyCache {
    /// The projection token of the transaction that last committed this state.
    token: Option<i64>,
    cases: HashMap<Uuid, CaseEntry>,
    beschikkingen: HashMap<Uuid, BeschikkingEntry>,
    /// Events and keys held, against `capacity`.
    size: usize,
    capacity: usize,
    tick: u64,
}

impl KeyCache {
    pub fn new(capacity: usize) -> KeyCache {
        KeyCache { token: None, cases: HashMap::new(), beschikkingen: HashMap::new(), size: 0, capacity, tick: 0 }
    }

    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.evict();
    }

    pub fn token(&self) -> Option<i64> {
        self.token
    }

    /// Forget everything (after a failed transaction, a rebuild, another writer).
    pub fn clear(&mut self) {
        self.token = None;
        self.cases.clear();
        self.beschikkingen.clear();
        self.size = 0;
    }

    /// The state is what the transaction with `token` committed.
    pub fn committed(&mut self, token: i64) {
        self.token = Some(token);
    }

    pub fn tick(&mut self) {
        self.tick += 1;
    }

    pub fn remove(&mut self, key: &ProjectionKey) {
        match key {
            ProjectionKey::Case(c) => {
                if let Some(e) = self.cases.remove(c) {
                    self.size -= e.events.len() + 1;
                }
            }
            ProjectionKey::Beschikking(b) => {
                if let Some(e) = self.beschikkingen.remove(b) {
                    self.size -= e.cases.len() + 1;
                }
            }
        }
    }

    pub fn has_case(&self, c: &Uuid) -> bool {
        self.cases.contains_key(c)
    }

    pub fn has_beschikking(&self, b: &Uuid) -> bool {
        self.beschikkingen.contains_key(b)
    }

    pub fn insert_case(&mut self, c: Uuid, events: Vec<Event>, facts: Facts) {
        self.remove(&ProjectionKey::Case(c));
        self.size += events.len() + 1;
        self.cases.insert(c, CaseEntry { events, facts, used: self.tick });
    }

    pub fn insert_beschikking(&mut self, b: Uuid, cases: BTreeSet<Uuid>, facts: Facts) {
        self.remove(&ProjectionKey::Beschikking(b));
        self.size += cases.len() + 1;
        self.beschikkingen.insert(b, BeschikkingEntry { cases, facts, used: self.tick });
    }

    /// Add a new event to a cached case (once).
    pub fn add_event(&mut self, c: Uuid, event: Event) {
        let entry = self.cases.get_mut(&c).expect("case is cached");
        entry.used = self.tick;
        if !entry.events.iter().any(|e| e.event_id == event.event_id) {
            entry.events.push(event);
            self.size += 1;
        }
    }

    pub fn add_beschikking_case(&mut self, b: Uuid, c: Uuid) {
        let entry = self.beschikkingen.get_mut(&b).expect("beschikking is cached");
        entry.used = self.tick;
        if entry.cases.insert(c) {
            self.size += 1;
        }
    }

    /// The beschikkingen that effective events of a cached case refer to.
    pub fn beschikkingen_of(&self, c: &Uuid) -> Vec<Uuid> {
        self.cases.get(c).map(|e| e.events.iter().filter_map(Event::beschikking_id).collect()).unwrap_or_default()
    }

    pub fn cases_of(&self, b: &Uuid) -> Vec<Uuid> {
        self.beschikkingen.get(b).map(|e| e.cases.iter().copied().collect()).unwrap_or_default()
    }

    pub fn case_events(&mut self, c: &Uuid) -> &[Event] {
        let entry = self.cases.get_mut(c).expect("case is cached");
        entry.used = self.tick;
        &entry.events
    }

    /// A beschikking's events as the log groups them: its own effective events,
    /// plus the assignments of the cases those occur in. Its cases must be cached.
    pub fn beschikking_events(&mut self, b: &Uuid) -> Vec<Event> {
        let tick = self.tick;
        let entry = self.beschikkingen.get_mut(b).expect("beschikking is cached");
        entry.used = tick;
        let mut out = Vec::new();
        let mut with_events: Vec<Uuid> = Vec::new();
        for c in &entry.cases {
            let case = self.cases.get_mut(c).expect("cases of a beschikking are cached");
            case.used = tick;
            let before = out.len();
            out.extend(case.events.iter().filter(|e| e.beschikking_id() == Some(*b)).cloned());
            if out.len() > before {
                with_events.push(*c);
            }
        }
        for c in with_events {
            out.extend(self.cases[&c].events.iter().filter(|e| matches!(e.data, EventData::CaseToegewezen { .. })).cloned());
        }
        out
    }

    pub fn facts(&self, key: &ProjectionKey) -> &Facts {
        match key {
            ProjectionKey::Case(c) => &self.cases[c].facts,
            ProjectionKey::Beschikking(b) => &self.beschikkingen[b].facts,
        }
    }

    /// Set a cached key's facts; returns the previous ones.
    pub fn replace_facts(&mut self, key: &ProjectionKey, facts: Facts) -> Facts {
        let slot = match key {
            ProjectionKey::Case(c) => &mut self.cases.get_mut(c).expect("case is cached").facts,
            ProjectionKey::Beschikking(b) => &mut self.beschikkingen.get_mut(b).expect("beschikking is cached").facts,
        };
        std::mem::replace(slot, facts)
    }

    /// Drop the least recently used keys while over capacity (down to 3/4 of it).
    pub fn evict(&mut self) {
        if self.size <= self.capacity {
            return;
        }
        let target = self.capacity / 4 * 3;
        let mut by_use: Vec<(u64, ProjectionKey)> = self
            .cases
            .iter()
            .map(|(c, e)| (e.used, ProjectionKey::Case(*c)))
            .chain(self.beschikkingen.iter().map(|(b, e)| (e.used, ProjectionKey::Beschikking(*b))))
            .collect();
        by_use.sort_unstable_by_key(|a| a.0);
        for (_, key) in by_use {
            if self.size <= target {
                break;
            }
            self.remove(&key);
        }
    }
}
