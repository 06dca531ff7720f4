//! The vocabulary the read models share: the dimensions every model is available
//! by, count keys, and the assignments that give an event its team.
//!
//! The read models (`throughput`, `leadtime`, `workload`, `overdue_po`) build on
//! this module; `fact` combines their output per projection key.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::{Domein, Dossiertype, Event, EventData};

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

/// Add `value` to `metric`/`category` on `day` in `counts`; a count that reaches
/// zero is removed, so equal counts compare equal however they were reached.
pub fn add_count(
    counts: &mut BTreeMap<CountKey, f64>,
    dims: &Dims,
    day: NaiveDate,
    metric: &str,
    category: &str,
    value: f64,
) {
    let key = CountKey {
        dims: dims.clone(),
        day,
        metric: metric.to_string(),
        category: category.to_string(),
    };
    let v = counts.entry(key.clone()).or_insert(0.0);
    *v += value;
    if *v == 0.0 {
        counts.remove(&key);
    }
}

/// One assignment of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub at: DateTime<Utc>,
    pub team: String,
    pub consulent_ref: Option<String>,
    pub dossiertype: Dossiertype,
}

/// The assignments of each case, in business order.
#[derive(Debug, Clone, Default)]
pub struct Assignments {
    by_case: HashMap<Uuid, Vec<Assignment>>,
}

impl Assignments {
    /// From sorted events.
    pub fn new(events: &[Event]) -> Self {
        let mut by_case: HashMap<Uuid, Vec<Assignment>> = HashMap::new();
        for e in events {
            if let (
                Some(c),
                EventData::CaseToegewezen {
                    team,
                    consulent_ref,
                    dossiertype,
                },
            ) = (e.case_id, &e.data)
            {
                by_case.entry(c).or_default().push(Assignment {
                    at: e.occurred_at.with_timezone(&Utc),
                    team: team.clone(),
                    consulent_ref: consulent_ref.clone(),
                    dossiertype: *dossiertype,
                });
            }
        }
        Assignments { by_case }
    }

    /// The case's latest assignment at time `t` (assignments at `t` included).
    pub fn at(&self, case: Option<Uuid>, t: DateTime<Utc>) -> Option<&Assignment> {
        self.by_case.get(&case?)?.iter().rev().find(|a| a.at <= t)
    }

    pub fn team_at(&self, case: Option<Uuid>, t: DateTime<Utc>) -> Option<String> {
        self.at(case, t).map(|a| a.team.clone())
    }

    pub fn of_case(&self, case: Uuid) -> &[Assignment] {
        self.by_case.get(&case).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The dimensions of an event: its gemeente and domein, and its case's team then.
pub fn dims_of(e: &Event, assignments: &Assignments) -> Dims {
    Dims {
        gemeente: e.gemeente.clone(),
        domein: e.domein,
        team: assignments.team_at(e.case_id, e.occurred_at.with_timezone(&Utc)),
    }
}
