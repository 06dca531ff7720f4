//! Overdue PO (periodiek onderzoek), spec §3.4.
//!
//! Monitored: every Wmo beschikking with besluit `toegekend` and `einddatum` null.
//! It stops being monitored at `zorg.beeindigd`, or at `po.uitgevoerd` with uitkomst
//! `gewijzigd` or `beeindigd` (a new beschikking is monitored on its own).
//!
//! A PO cycle starts at the beschikking's `occurred_at`, and again at each
//! `po.uitgevoerd` with uitkomst `ongewijzigd`. The current plan is the latest
//! `po.gepland` (by `occurred_at`) in the current cycle. Evaluated at a reference
//! time T, counting only events with `occurred_at` ≤ T, the status is the first
//! that holds:
//!
//! 1. `geen_po_gepland` — no plan in the current cycle and T − cycle start > grace
//!    (default 14 days); `po_zonder_vervolg` instead when a PO (ongewijzigd)
//!    started the cycle.
//! 2. `po_verlopen` — the plan's `gepland_op` is before T's date (Amsterdam) and no
//!    `po.uitgevoerd` followed it.
//! 3. `po_te_ver_gepland` — `gepland_op` is more than 3 years after the cycle start.
//! 4. `ok`, or `in_behandeling` while still within the grace period.
//!
//! Statuses 1–3 raise an alert; an alert resolves when its condition no longer holds.
//!
//! Choices: a `po.gepland` belongs to the cycle in which it occurred (its
//! `occurred_at` ≥ the cycle start); "more than 3 years after the cycle start"
//! compares `gepland_op` with the cycle start's Amsterdam date plus 3 calendar
//! years; the team is the latest assignment at T among the beschikking's case and
//! the PO cases that reviewed it.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::Config;
use crate::event::{Besluit, Domein, Event, EventData, PoUitkomst};
use crate::dims::{Assignment, Assignments};
use crate::period::local_date;

/// What happened to a monitored beschikking, in business order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PoEntry {
    Gepland {
        at: DateTime<Utc>,
        gepland_op: NaiveDate,
    },
    Uitgevoerd {
        at: DateTime<Utc>,
        uitkomst: PoUitkomst,
    },
    ZorgBeeindigd {
        at: DateTime<Utc>,
    },
}

impl PoEntry {
    fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Gepland { at, .. } | Self::Uitgevoerd { at, .. } | Self::ZorgBeeindigd { at } => {
                *at
            }
        }
    }
}

/// A monitored beschikking and everything needed to evaluate it at any T.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoTimeline {
    pub beschikking_id: Uuid,
    pub case_id: Option<Uuid>,
    pub gemeente: String,
    pub domein: Domein,
    pub voorziening: String,
    pub afgegeven_at: DateTime<Utc>,
    pub entries: Vec<PoEntry>,
    /// Assignments of the beschikking's case, for the team at T.
    pub assignments: Vec<Assignment>,
}

/// The timeline of a beschikking, if it is monitored (sorted events of its key).
pub fn timeline(
    beschikking_id: Uuid,
    events: &[Event],
    assignments: &Assignments,
) -> Option<PoTimeline> {
    let b = events
        .iter()
        .find(|e| matches!(e.data, EventData::BeschikkingAfgegeven { .. }))?;
    let EventData::BeschikkingAfgegeven {
        besluit,
        einddatum,
        voorziening,
        ..
    } = &b.data
    else {
        unreachable!()
    };
    if b.domein != Domein::Wmo || *besluit != Besluit::Toegekend || einddatum.is_some() {
        return None;
    }
    let entries = events
        .iter()
        .filter_map(|e| {
            let at = e.occurred_at.with_timezone(&Utc);
            match &e.data {
                EventData::PoGepland { gepland_op, .. } => Some(PoEntry::Gepland {
                    at,
                    gepland_op: *gepland_op,
                }),
                EventData::PoUitgevoerd { uitkomst, .. } => Some(PoEntry::Uitgevoerd {
                    at,
                    uitkomst: *uitkomst,
                }),
                EventData::ZorgBeeindigd { .. } => Some(PoEntry::ZorgBeeindigd { at }),
                _ => None,
            }
        })
        .collect();
    Some(PoTimeline {
        beschikking_id,
        case_id: b.case_id,
        gemeente: b.gemeente.clone(),
        domein: b.domein,
        voorziening: voorziening.clone(),
        afgegeven_at: b.occurred_at.with_timezone(&Utc),
        entries,
        assignments: responsible_assignments(events, assignments),
    })
}

/// The assignments of every case the beschikking's events belong to (its own case,
/// and the PO cases that reviewed it), in time order: the team at T is the one
/// that last took the beschikking or its PO up.
fn responsible_assignments(events: &[Event], assignments: &Assignments) -> Vec<Assignment> {
    let mut cases: Vec<Uuid> = events
        .iter()
        .filter(|e| e.beschikking_id().is_some())
        .filter_map(|e| e.case_id)
        .collect();
    cases.sort();
    cases.dedup();
    let mut all: Vec<Assignment> = cases
        .iter()
        .flat_map(|c| assignments.of_case(*c).iter().cloned())
        .collect();
    all.sort_by(|a, b| a.at.cmp(&b.at).then(a.team.cmp(&b.team)));
    all
}

/// The statuses of spec §3.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoStatus {
    GeenPoGepland,
    PoZonderVervolg,
    PoVerlopen,
    PoTeVerGepland,
    InBehandeling,
    Ok,
}

impl PoStatus {
    pub const ALL: &'static [PoStatus] = &[
        Self::GeenPoGepland,
        Self::PoZonderVervolg,
        Self::PoVerlopen,
        Self::PoTeVerGepland,
        Self::InBehandeling,
        Self::Ok,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GeenPoGepland => "geen_po_gepland",
            Self::PoZonderVervolg => "po_zonder_vervolg",
            Self::PoVerlopen => "po_verlopen",
            Self::PoTeVerGepland => "po_te_ver_gepland",
            Self::InBehandeling => "in_behandeling",
            Self::Ok => "ok",
        }
    }

    pub fn parse(s: &str) -> Option<PoStatus> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }

    /// Statuses 1–3 raise an alert.
    pub fn is_alert(self) -> bool {
        !matches!(self, Self::InBehandeling | Self::Ok)
    }
}

/// A beschikking's state at T.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoState {
    pub beschikking_id: Uuid,
    pub case_id: Option<Uuid>,
    pub gemeente: String,
    pub domein: String,
    pub team: Option<String>,
    pub voorziening: String,
    pub status: PoStatus,
    pub cycle_start: DateTime<Utc>,
    /// True when the current cycle was started by a PO (ongewijzigd).
    pub cycle_started_by_po: bool,
    pub gepland_op: Option<NaiveDate>,
}

fn add_years(d: NaiveDate, years: u32) -> NaiveDate {
    // 29 February + n years → 28 February when the target year has none.
    NaiveDate::from_ymd_opt(d.year() + years as i32, d.month(), d.day()).unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(d.year() + years as i32, d.month(), 28).expect("valid")
    })
}

impl PoTimeline {
    /// The state at T, or None when the beschikking is not monitored at T.
    pub fn state_at(&self, t: DateTime<Utc>, config: &Config) -> Option<PoState> {
        self.state_with(t, |at| at <= t, config)
    }

    /// The state at T counting only events strictly before T: the monitor's
    /// peildatum rule (spec §3.5), where an event at exactly T belongs to the next day.
    pub fn state_before(&self, t: DateTime<Utc>, config: &Config) -> Option<PoState> {
        self.state_with(t, |at| at < t, config)
    }

    /// The state at `t` over the events whose time `counts`.
    fn state_with(&self, t: DateTime<Utc>, counts: impl Fn(DateTime<Utc>) -> bool, config: &Config) -> Option<PoState> {
        if !counts(self.afgegeven_at) {
            return None;
        }
        let p = config.params(&self.gemeente);
        let mut cycle_start = self.afgegeven_at;
        let mut by_po = false;
        let mut plan: Option<(DateTime<Utc>, NaiveDate)> = None;
        let mut entries: Vec<&PoEntry> = self.entries.iter().filter(|e| counts(e.at())).collect();
        entries.sort_by_key(|e| e.at());
        for e in entries {
            match e {
                PoEntry::ZorgBeeindigd { .. } => return None,
                PoEntry::Uitgevoerd {
                    uitkomst: PoUitkomst::Gewijzigd | PoUitkomst::Beeindigd,
                    ..
                } => return None,
                PoEntry::Uitgevoerd {
                    at,
                    uitkomst: PoUitkomst::Ongewijzigd,
                } => {
                    cycle_start = *at;
                    by_po = true;
                    plan = None;
                }
                PoEntry::Gepland { at, gepland_op } => {
                    if *at >= cycle_start && plan.is_none_or(|(pat, _)| *at >= pat) {
                        plan = Some((*at, *gepland_op));
                    }
                }
            }
        }
        let grace = Duration::milliseconds((p.po_grace_days * 86_400_000.0).round() as i64);
        let status = match plan {
            None if t - cycle_start > grace => {
                if by_po {
                    PoStatus::PoZonderVervolg
                } else {
                    PoStatus::GeenPoGepland
                }
            }
            None => PoStatus::InBehandeling,
            Some((_, op)) if op < local_date(&t) => PoStatus::PoVerlopen,
            Some((_, op)) if op > add_years(local_date(&cycle_start), p.po_max_interval_jaren) => {
                PoStatus::PoTeVerGepland
            }
            Some(_) => PoStatus::Ok,
        };
        let team = self
            .assignments
            .iter()
            .rev()
            .find(|a| counts(a.at))
            .map(|a| a.team.clone());
        Some(PoState {
            beschikking_id: self.beschikking_id,
            case_id: self.case_id,
            gemeente: self.gemeente.clone(),
            domein: self.domein.as_str().to_string(),
            team,
            voorziening: self.voorziening.clone(),
            status,
            cycle_start,
            cycle_started_by_po: by_po,
            gepland_op: plan.map(|(_, op)| op),
        })
    }
}

/// The overdue-PO model at T: every monitored beschikking and counts per status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoReport {
    pub as_of: String,
    pub beschikkingen: Vec<PoState>,
    pub counts: BTreeMap<&'static str, u64>,
}

pub fn report<'a>(
    timelines: impl IntoIterator<Item = &'a PoTimeline>,
    t: DateTime<Utc>,
    config: &Config,
    status: Option<PoStatus>,
) -> PoReport {
    report_for(
        timelines,
        t,
        config,
        &PoFilter {
            status,
            ..PoFilter::default()
        },
    )
}

/// Narrowing of the PO model: by team (counts too), by status and length (list only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoFilter {
    pub team: Option<String>,
    pub status: Option<PoStatus>,
    pub limit: Option<usize>,
}

pub fn report_for<'a>(
    timelines: impl IntoIterator<Item = &'a PoTimeline>,
    t: DateTime<Utc>,
    config: &Config,
    f: &PoFilter,
) -> PoReport {
    let status = f.status;
    let mut counts: BTreeMap<&'static str, u64> =
        PoStatus::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    let mut list: Vec<PoState> = Vec::new();
    for tl in timelines {
        if let Some(s) = tl
            .state_at(t, config)
            .filter(|s| f.team.is_none() || s.team == f.team)
        {
            *counts.get_mut(s.status.as_str()).expect("all statuses") += 1;
            if status.is_none_or(|want| want == s.status) {
                list.push(s);
            }
        }
    }
    list.sort_by(|a, b| {
        a.status
            .cmp(&b.status)
            .then(a.cycle_start.cmp(&b.cycle_start))
            .then(a.beschikking_id.cmp(&b.beschikking_id))
    });
    if let Some(n) = f.limit {
        list.truncate(n);
    }
    PoReport {
        as_of: t.to_rfc3339(),
        beschikkingen: list,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Dossiertype;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn tl(entries: Vec<PoEntry>) -> PoTimeline {
        PoTimeline {
            beschikking_id: Uuid::from_u128(1),
            case_id: Some(Uuid::from_u128(2)),
            gemeente: "GM0935".into(),
            domein: Domein::Wmo,
            voorziening: "hulp_bij_huishouden".into(),
            afgegeven_at: t("2020-01-10T10:00:00Z"),
            entries,
            assignments: vec![Assignment {
                at: t("2020-01-02T10:00:00Z"),
                team: "IGT Noord".into(),
                consulent_ref: None,
                dossiertype: Dossiertype::Nieuw,
            }],
        }
    }

    fn status(tl: &PoTimeline, at: &str) -> Option<PoStatus> {
        tl.state_at(t(at), &Config::default()).map(|s| s.status)
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn grace_then_geen_po_gepland() {
        let x = tl(vec![]);
        assert_eq!(status(&x, "2020-01-09T00:00:00Z"), None);
        assert_eq!(
            status(&x, "2020-01-24T10:00:00Z"),
            Some(PoStatus::InBehandeling)
        ); // exactly 14 days: not over grace
        assert_eq!(
            status(&x, "2020-01-24T10:00:01Z"),
            Some(PoStatus::GeenPoGepland)
        );
    }

    #[test]
    fn planned_ok_then_verlopen() {
        let x = tl(vec![PoEntry::Gepland {
            at: t("2020-01-15T10:00:00Z"),
            gepland_op: d("2022-01-10"),
        }]);
        assert_eq!(status(&x, "2020-03-01T00:00:00Z"), Some(PoStatus::Ok));
        assert_eq!(status(&x, "2022-01-10T12:00:00Z"), Some(PoStatus::Ok)); // due today is not before today
        assert_eq!(
            status(&x, "2022-01-11T12:00:00Z"),
            Some(PoStatus::PoVerlopen)
        );
        // A plan that only exists after T does not count at T.
        assert_eq!(
            status(&x, "2020-01-14T10:00:00Z"),
            Some(PoStatus::InBehandeling)
        );
    }

    #[test]
    fn too_far_ahead() {
        let x = tl(vec![PoEntry::Gepland {
            at: t("2020-01-15T10:00:00Z"),
            gepland_op: d("2023-01-11"),
        }]);
        assert_eq!(
            status(&x, "2020-03-01T00:00:00Z"),
            Some(PoStatus::PoTeVerGepland)
        );
        let y = tl(vec![PoEntry::Gepland {
            at: t("2020-01-15T10:00:00Z"),
            gepland_op: d("2023-01-10"),
        }]);
        assert_eq!(status(&y, "2020-03-01T00:00:00Z"), Some(PoStatus::Ok));
        // The latest plan by occurred_at wins.
        let z = tl(vec![
            PoEntry::Gepland {
                at: t("2020-01-20T10:00:00Z"),
                gepland_op: d("2022-06-01"),
            },
            PoEntry::Gepland {
                at: t("2020-01-15T10:00:00Z"),
                gepland_op: d("2024-01-01"),
            },
        ]);
        assert_eq!(status(&z, "2020-03-01T00:00:00Z"), Some(PoStatus::Ok));
    }

    #[test]
    fn po_without_follow_up() {
        let x = tl(vec![
            PoEntry::Gepland {
                at: t("2020-01-15T10:00:00Z"),
                gepland_op: d("2021-01-10"),
            },
            PoEntry::Uitgevoerd {
                at: t("2021-01-08T10:00:00Z"),
                uitkomst: PoUitkomst::Ongewijzigd,
            },
        ]);
        assert_eq!(
            status(&x, "2021-01-20T10:00:00Z"),
            Some(PoStatus::InBehandeling)
        );
        let s = x
            .state_at(t("2021-02-01T10:00:00Z"), &Config::default())
            .unwrap();
        assert_eq!(s.status, PoStatus::PoZonderVervolg);
        assert_eq!(s.cycle_start, t("2021-01-08T10:00:00Z"));
        assert!(s.cycle_started_by_po);
        assert_eq!(s.gepland_op, None);
        assert_eq!(s.team.as_deref(), Some("IGT Noord"));
    }

    #[test]
    fn stops_being_monitored() {
        let x = tl(vec![PoEntry::Uitgevoerd {
            at: t("2020-06-01T10:00:00Z"),
            uitkomst: PoUitkomst::Gewijzigd,
        }]);
        assert_eq!(
            status(&x, "2020-05-01T10:00:00Z"),
            Some(PoStatus::GeenPoGepland)
        );
        assert_eq!(status(&x, "2020-06-02T10:00:00Z"), None);
        let y = tl(vec![PoEntry::ZorgBeeindigd {
            at: t("2020-02-01T10:00:00Z"),
        }]);
        assert_eq!(status(&y, "2020-03-01T10:00:00Z"), None);
    }

    #[test]
    fn grace_is_configurable() {
        let c = Config::from_json(r#"{"gemeenten": {"GM0935": {"po_grace_days": 30}}}"#).unwrap();
        let x = tl(vec![]);
        assert_eq!(
            x.state_at(t("2020-02-01T10:00:00Z"), &c).unwrap().status,
            PoStatus::InBehandeling
        );
        assert_eq!(
            x.state_at(t("2020-02-10T10:00:00Z"), &c).unwrap().status,
            PoStatus::GeenPoGepland
        );
    }
}
