//! Workload per FTE, spec §3.3: per team and ISO week, and a window summary.
//!
//! - `fte` — sum over the team's consultants of the `fte` of each consultant's
//!   latest `formatie.vastgesteld` with `geldig_vanaf` ≤ the week's Monday; a later
//!   event with another team moves the consultant.
//! - `opgepakt_nieuw` / `opgepakt_po` — cases first assigned to the team in the week,
//!   by the dossiertype of that assignment (other than / equal to
//!   `periodiek_onderzoek`). A handover counts for the new team; for all teams
//!   together a case counts once, in the week of its very first assignment.
//! - `aanvragen`, `beschikkingen` — in cases assigned to the team, in the week (the
//!   team of the case's latest assignment at the event's time).
//! - `open` — cases assigned to the team at the end of the week and not closed
//!   (closed: `case.afgesloten`, `melding.beoordeeld` afgevangen, or every aanvraag
//!   has a beschikking, at least one aanvraag).
//! - `norm_uren_open` — norm hours of the open cases by the dossiertype of their
//!   latest assignment (nieuw 6, bestaand 4, mutatie 2, periodiek_onderzoek 4).
//! - per-FTE rates of each count; `capaciteit` = werkweek × productiviteit /
//!   gemiddelde normtijd (36 × 0.75 / 4 = 6.75); `benodigde_fte` =
//!   (opgepakt_nieuw + opgepakt_po) per week × normtijd / (werkweek × productiviteit).
//!
//! Over a window, rates are totals / weeks / mean FTE, without intermediate rounding.
//! The window is clamped to the weeks with data ([`Extent`]): a request far beyond
//! the data costs no more than one covering it exactly.
//!
//! Stored as daily count facts: `wl_opgepakt` (per team, first assignment to that
//! team), `wl_eerste` (the case's very first assignment), and `wl_open` deltas (+1/−1
//! on the Monday of each week whose end-of-week state changes, by dossiertype);
//! `open` is their running sum. Staffing is folded at query time from the log.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::config::{Config, Params};
use crate::event::{Domein, Dossiertype, Event, EventData};
use crate::dims::{add_count, Assignments, CountKey, Dims};
use crate::leadtime::Closure;
use crate::period::{local_date, start_of_local_day, Granularity, Period};
use crate::throughput::{AANVRAGEN, BESCHIKKINGEN};

pub const WL_OPGEPAKT: &str = "wl_opgepakt";
pub const WL_EERSTE: &str = "wl_eerste";
pub const WL_OPEN: &str = "wl_open";
pub const NIEUW: &str = "nieuw";
pub const PO: &str = "po";

/// Metrics the workload query reads within its window (`wl_open` is read from the start).
pub const WINDOW_METRICS: &[&str] = &[WL_OPGEPAKT, WL_EERSTE, AANVRAGEN, BESCHIKKINGEN];

fn intake_category(d: Dossiertype) -> &'static str {
    if d == Dossiertype::PeriodiekOnderzoek {
        PO
    } else {
        NIEUW
    }
}

/// The Monday of the ISO week containing `d`.
pub fn monday(d: NaiveDate) -> NaiveDate {
    Period::containing(Granularity::Week, d).start
}

/// Workload facts of one case (sorted events).
pub fn case_facts(
    events: &[Event],
    assignments: &Assignments,
    counts: &mut BTreeMap<CountKey, f64>,
) {
    let Some(first) = events.first() else { return };
    let Some(case) = first.case_id else { return };
    let base = |team: &str| Dims {
        gemeente: first.gemeente.clone(),
        domein: first.domein,
        team: Some(team.to_string()),
    };

    let list = assignments.of_case(case);
    let mut seen_teams: BTreeSet<&str> = BTreeSet::new();
    for (i, a) in list.iter().enumerate() {
        let day = local_date(&a.at);
        let cat = intake_category(a.dossiertype);
        if i == 0 {
            add_count(counts, &base(&a.team), day, WL_EERSTE, cat, 1.0);
        }
        if seen_teams.insert(a.team.as_str()) {
            add_count(counts, &base(&a.team), day, WL_OPGEPAKT, cat, 1.0);
        }
    }

    // Open at the end of each week in which something happened.
    let mut weeks: Vec<NaiveDate> = events
        .iter()
        .map(|e| monday(local_date(&e.occurred_at)))
        .collect();
    weeks.dedup();
    let mut closure = Closure::default();
    let mut idx = 0;
    let mut prev: Option<(String, Dossiertype)> = None;
    for w in weeks {
        let end: DateTime<Utc> = start_of_local_day(w + Duration::days(7));
        while idx < events.len() && events[idx].occurred_at.with_timezone(&Utc) < end {
            closure.apply(&events[idx]);
            idx += 1;
        }
        let latest = list.iter().rev().find(|a| a.at < end);
        let now = latest
            .filter(|_| !closure.closed())
            .map(|a| (a.team.clone(), a.dossiertype));
        if now != prev {
            if let Some((team, d)) = &prev {
                add_count(counts, &base(team), w, WL_OPEN, d.as_str(), -1.0);
            }
            if let Some((team, d)) = &now {
                add_count(counts, &base(team), w, WL_OPEN, d.as_str(), 1.0);
            }
            prev = now;
        }
    }
}

/// One staffing event, as the FTE fold needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Formatie {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub gemeente: String,
    pub domein: Domein,
    pub team: String,
    pub consulent_ref: String,
    pub fte: f64,
    pub geldig_vanaf: NaiveDate,
}

impl Formatie {
    pub fn from_event(e: &Event) -> Option<Formatie> {
        match &e.data {
            EventData::FormatieVastgesteld {
                team,
                consulent_ref,
                fte,
                geldig_vanaf,
            } => Some(Formatie {
                event_id: e.event_id,
                occurred_at: e.occurred_at.with_timezone(&Utc),
                gemeente: e.gemeente.clone(),
                domein: e.domein,
                team: team.clone(),
                consulent_ref: consulent_ref.clone(),
                fte: *fte,
                geldig_vanaf: *geldig_vanaf,
            }),
            _ => None,
        }
    }
}

/// A team: gemeente, domein, team name.
pub type TeamKey = (String, Domein, String);

/// The first Monday on or after `geldig_vanaf`: the first week whose FTE a staffing
/// event counts in (FTE is taken on each week's Monday).
pub fn effective_monday(geldig_vanaf: NaiveDate) -> NaiveDate {
    monday(geldig_vanaf + Duration::days(6))
}

/// The weeks in which a log has workload data, which bound every report's window:
/// each team's first week with anything (a count of any metric, or staffing taking
/// effect), and the last week with anything of any gemeente. Before a team's first
/// week all its figures are zero; after the last week `open` and `fte` only repeat
/// (they carry forward), so nothing outside these weeks is information.
///
/// The last week is the whole log's, not the selection's: a team's rows then do not
/// depend on what else a query selects (a filtered query gives exactly the matching
/// rows of the unfiltered one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extent {
    team_first: BTreeMap<TeamKey, NaiveDate>,
    last: Option<NaiveDate>,
}

impl Extent {
    /// Data of `gemeente`/`domein` on days `first..=last`, of `team` (none: a case
    /// not yet assigned).
    pub fn add_days(
        &mut self,
        gemeente: &str,
        domein: Domein,
        team: Option<&str>,
        first: NaiveDate,
        last: NaiveDate,
    ) {
        self.add_weeks(gemeente, domein, team, monday(first), monday(last));
    }

    /// The staffing events, each in the week it takes effect.
    pub fn add_staffing(&mut self, staffing: &[Formatie]) {
        for f in staffing {
            let w = effective_monday(f.geldig_vanaf);
            self.add_weeks(&f.gemeente, f.domein, Some(&f.team), w, w);
        }
    }

    fn add_weeks(
        &mut self,
        gemeente: &str,
        domein: Domein,
        team: Option<&str>,
        first: NaiveDate,
        last: NaiveDate,
    ) {
        self.last = Some(self.last.map_or(last, |l| l.max(last)));
        if let Some(team) = team {
            self.team_first
                .entry((gemeente.to_string(), domein, team.to_string()))
                .and_modify(|d| *d = (*d).min(first))
                .or_insert(first);
        }
    }

    /// The extent of daily counts (zero counts are no data) and staffing.
    pub fn of<'a>(
        counts: impl IntoIterator<Item = (&'a CountKey, f64)>,
        staffing: &[Formatie],
    ) -> Extent {
        let mut extent = Extent::default();
        for (k, v) in counts {
            if v != 0.0 {
                let d = &k.dims;
                extent.add_days(&d.gemeente, d.domein, d.team.as_deref(), k.day, k.day);
            }
        }
        extent.add_staffing(staffing);
        extent
    }

    /// The weeks (Mondays, inclusive) a query covers: as asked, clamped to the
    /// first week of the selected teams and the last week of the log; none when
    /// nothing is left.
    pub fn window(&self, q: &WorkloadQuery) -> Option<(NaiveDate, NaiveDate)> {
        let first = self
            .team_first
            .iter()
            .filter(|(t, _)| q.selects(&t.0, t.1, &t.2))
            .map(|(_, d)| *d)
            .min()?;
        let last = self.last?;
        // Compared as dates first, so a far-off request never needs its Monday computed.
        let from = match q.from {
            Some(f) if f > first => monday(f),
            _ => first,
        };
        let to = match q.to {
            Some(t) if t < last => monday(t),
            _ => last,
        };
        (from <= to).then_some((from, to))
    }
}

/// Which workload a query asks for. Weeks are given by their Mondays.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadQuery {
    pub gemeente: Option<String>,
    pub domein: Option<String>,
    pub team: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl WorkloadQuery {
    fn selects(&self, gemeente: &str, domein: Domein, team: &str) -> bool {
        self.gemeente.as_ref().is_none_or(|g| g == gemeente)
            && self.domein.as_ref().is_none_or(|d| d == domein.as_str())
            && self.team.as_ref().is_none_or(|t| t == team)
    }
}

/// One team-week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekRow {
    pub gemeente: String,
    pub domein: String,
    pub team: String,
    pub week: String,
    pub fte: f64,
    pub opgepakt_nieuw: u64,
    pub opgepakt_po: u64,
    pub aanvragen: u64,
    pub beschikkingen: u64,
    pub open: u64,
    pub norm_uren_open: f64,
    pub opgepakt_nieuw_per_fte: Option<f64>,
    pub opgepakt_po_per_fte: Option<f64>,
    pub aanvragen_per_fte: Option<f64>,
    pub beschikkingen_per_fte: Option<f64>,
    pub open_per_fte: Option<f64>,
    pub benodigde_fte: f64,
}

/// The window summary over the selection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub from: String,
    pub to: String,
    pub weeks: u64,
    pub fte_mean: f64,
    pub opgepakt_nieuw: u64,
    pub opgepakt_po: u64,
    pub aanvragen: u64,
    pub beschikkingen: u64,
    pub opgepakt_nieuw_per_fte_week: Option<f64>,
    pub opgepakt_po_per_fte_week: Option<f64>,
    pub aanvragen_per_fte_week: Option<f64>,
    pub beschikkingen_per_fte_week: Option<f64>,
    /// Open cases and their norm hours at the end of the window.
    pub open: u64,
    pub norm_uren_open: f64,
    pub capaciteit: f64,
    pub benodigde_fte: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadReport {
    pub weeks: Vec<WeekRow>,
    pub summary: Summary,
}

fn per(x: f64, fte: f64) -> Option<f64> {
    (fte > 0.0).then(|| x / fte + 0.0)
}

/// Needed FTE for a weekly intake: intake × normtijd / (werkweek × productiviteit).
pub fn benodigde_fte(intake_per_week: f64, p: &Params) -> f64 {
    intake_per_week * p.gemiddelde_normtijd_uren / (p.werkweek_uren * p.productiviteit)
}

/// Compute the report from daily counts and staffing, the window bounded by the
/// weeks the counts and staffing have data in. `counts` must then be all of them,
/// unfiltered; see [`report_within`] for a caller that reads only what a query needs.
pub fn report<'a>(
    counts: impl IntoIterator<Item = (&'a CountKey, f64)>,
    staffing: &[Formatie],
    q: &WorkloadQuery,
    config: &Config,
) -> WorkloadReport {
    let counts: Vec<(&CountKey, f64)> = counts.into_iter().collect();
    let extent = Extent::of(counts.iter().copied(), staffing);
    report_within(counts, staffing, q, config, &extent)
}

/// Per team and week, the sums of the window metrics.
#[derive(Default, Clone)]
struct Acc {
    nieuw: f64,
    po: f64,
    eerste_nieuw: f64,
    eerste_po: f64,
    aanvragen: f64,
    beschikkingen: f64,
}

/// One team's counts: window metrics per week, `wl_open` deltas per week and dossiertype.
#[derive(Default)]
struct TeamCounts {
    acc: BTreeMap<NaiveDate, Acc>,
    open: BTreeMap<NaiveDate, BTreeMap<String, f64>>,
}

/// Compute the report over `extent`'s window for the query ([`Extent::window`]).
/// `counts` must hold the window metrics within the window and the `wl_open` deltas
/// from the beginning up to the window's end (more is ignored); `staffing` every
/// effective staffing event, unfiltered: a consultant's latest event decides their
/// team, whichever team the query asks for.
///
/// Sums are taken in a fixed order (by team, week, dossiertype and consultant), so
/// the same log always gives the same bytes.
pub fn report_within<'a>(
    counts: impl IntoIterator<Item = (&'a CountKey, f64)>,
    staffing: &[Formatie],
    q: &WorkloadQuery,
    config: &Config,
    extent: &Extent,
) -> WorkloadReport {
    let Some((from, to)) = extent.window(q) else {
        return WorkloadReport {
            weeks: vec![],
            summary: empty_summary(config, q),
        };
    };
    let mondays: Vec<NaiveDate> =
        std::iter::successors(Some(from), |d| Some(*d + Duration::days(7)))
            .take_while(|d| *d <= to)
            .collect();

    // The selected teams that exist by the window's end, from their first week.
    let mut teams: BTreeMap<&TeamKey, (NaiveDate, TeamCounts)> = extent
        .team_first
        .iter()
        .filter(|(t, first)| **first <= to && q.selects(&t.0, t.1, &t.2))
        .map(|(t, first)| (t, (*first, TeamCounts::default())))
        .collect();
    for (k, v) in counts {
        let w = monday(k.day);
        let Some(team) = &k.dims.team else { continue };
        if v == 0.0 || w > to {
            continue;
        }
        let key = (k.dims.gemeente.clone(), k.dims.domein, team.clone());
        let Some((_, c)) = teams.get_mut(&key) else {
            continue;
        };
        if k.metric == WL_OPEN {
            *c.open
                .entry(w)
                .or_default()
                .entry(k.category.clone())
                .or_insert(0.0) += v;
            continue;
        }
        if w < from {
            continue;
        }
        let a = c.acc.entry(w).or_default();
        match (k.metric.as_str(), k.category.as_str()) {
            (WL_OPGEPAKT, NIEUW) => a.nieuw += v,
            (WL_OPGEPAKT, PO) => a.po += v,
            (WL_EERSTE, NIEUW) => a.eerste_nieuw += v,
            (WL_EERSTE, PO) => a.eerste_po += v,
            (AANVRAGEN, _) => a.aanvragen += v,
            (BESCHIKKINGEN, _) => a.beschikkingen += v,
            _ => {}
        }
    }
    let fte_weeks = fte_per_week(staffing, &mondays, q);

    let mut rows = Vec::new();
    let (mut total_fte, mut open_end, mut hours_end) = (vec![0.0; mondays.len()], 0.0, 0.0);
    let mut totals = Acc::default();
    for (team, (first, c)) in &teams {
        let p = config.params(&team.0);
        let mut deltas = c.open.iter().peekable();
        let mut open_by_type: BTreeMap<&str, f64> = BTreeMap::new();
        for (i, m) in mondays.iter().enumerate() {
            while let Some((_, cats)) = deltas.next_if(|(w, _)| *w <= m) {
                for (cat, v) in cats {
                    *open_by_type.entry(cat.as_str()).or_insert(0.0) += v;
                }
            }
            if m < first {
                continue;
            }
            let a = c.acc.get(m).cloned().unwrap_or_default();
            let fte = fte_weeks[i]
                .get(&(team.0.as_str(), team.1, team.2.as_str()))
                .copied()
                .unwrap_or(0.0);
            let open: f64 = open_by_type.values().sum();
            let hours: f64 = open_by_type
                .iter()
                .map(|(c, n)| Dossiertype::parse(c).map(|d| p.normuren(d)).unwrap_or(0.0) * n)
                .sum();
            total_fte[i] += fte;
            totals.nieuw += a.nieuw;
            totals.po += a.po;
            totals.eerste_nieuw += a.eerste_nieuw;
            totals.eerste_po += a.eerste_po;
            totals.aanvragen += a.aanvragen;
            totals.beschikkingen += a.beschikkingen;
            if i + 1 == mondays.len() {
                open_end += open;
                hours_end += hours;
            }
            rows.push(WeekRow {
                gemeente: team.0.clone(),
                domein: team.1.as_str().to_string(),
                team: team.2.clone(),
                week: Period {
                    granularity: Granularity::Week,
                    start: *m,
                }
                .label(),
                fte: round6(fte),
                opgepakt_nieuw: a.nieuw as u64,
                opgepakt_po: a.po as u64,
                aanvragen: a.aanvragen as u64,
                beschikkingen: a.beschikkingen as u64,
                open: open.max(0.0) as u64,
                // `+ 0.0` turns a −0.0 from cancelling deltas into 0.0.
                norm_uren_open: hours + 0.0,
                opgepakt_nieuw_per_fte: per(a.nieuw, fte),
                opgepakt_po_per_fte: per(a.po, fte),
                aanvragen_per_fte: per(a.aanvragen, fte),
                beschikkingen_per_fte: per(a.beschikkingen, fte),
                open_per_fte: per(open, fte),
                benodigde_fte: benodigde_fte(a.nieuw + a.po, p),
            });
        }
    }

    // A case counts once for all teams together: across teams, use the very first assignment.
    let (nieuw, po) = if q.team.is_some() {
        (totals.nieuw, totals.po)
    } else {
        (totals.eerste_nieuw, totals.eerste_po)
    };
    let weeks = mondays.len() as f64;
    let fte_mean = total_fte.iter().sum::<f64>() / weeks;
    let p = summary_params(config, q);
    let rate = |x: f64| per(x / weeks, fte_mean);
    let summary = Summary {
        from: Period {
            granularity: Granularity::Week,
            start: from,
        }
        .label(),
        to: Period {
            granularity: Granularity::Week,
            start: to,
        }
        .label(),
        weeks: mondays.len() as u64,
        fte_mean: round6(fte_mean),
        opgepakt_nieuw: nieuw as u64,
        opgepakt_po: po as u64,
        aanvragen: totals.aanvragen as u64,
        beschikkingen: totals.beschikkingen as u64,
        opgepakt_nieuw_per_fte_week: rate(nieuw),
        opgepakt_po_per_fte_week: rate(po),
        aanvragen_per_fte_week: rate(totals.aanvragen),
        beschikkingen_per_fte_week: rate(totals.beschikkingen),
        open: open_end.max(0.0) as u64,
        norm_uren_open: hours_end + 0.0,
        capaciteit: p.capaciteit(),
        benodigde_fte: benodigde_fte((nieuw + po) / weeks, p),
    };
    WorkloadReport {
        weeks: rows,
        summary,
    }
}

/// FTE per selected team on each of `mondays` (ascending): each consultant's latest
/// staffing event with `geldig_vanaf` ≤ that Monday (ties: later `occurred_at`, then
/// `event_id`) puts their `fte` in that event's team. The consultant's events are
/// folded whatever the query selects — a later event in a team the query does not
/// ask for still moves them out of the one it does — and each team's FTE is summed
/// in consultant order, so the figure does not depend on the order of `staffing`.
fn fte_per_week<'s>(
    staffing: &'s [Formatie],
    mondays: &[NaiveDate],
    q: &WorkloadQuery,
) -> Vec<BTreeMap<(&'s str, Domein, &'s str), f64>> {
    // A consultant is one per gemeente, so other gemeenten can be left out.
    let mut order: Vec<&Formatie> = staffing
        .iter()
        .filter(|f| q.gemeente.as_ref().is_none_or(|g| *g == f.gemeente))
        .collect();
    order.sort_by_key(|f| (f.geldig_vanaf, f.occurred_at, f.event_id));
    let mut order = order.into_iter().peekable();
    let mut latest: BTreeMap<(&str, &str), &Formatie> = BTreeMap::new();
    mondays
        .iter()
        .map(|m| {
            while let Some(f) = order.next_if(|f| f.geldig_vanaf <= *m) {
                latest.insert((f.gemeente.as_str(), f.consulent_ref.as_str()), f);
            }
            let mut out: BTreeMap<(&str, Domein, &str), f64> = BTreeMap::new();
            for f in latest.values() {
                if q.selects(&f.gemeente, f.domein, &f.team) {
                    *out.entry((f.gemeente.as_str(), f.domein, f.team.as_str()))
                        .or_insert(0.0) += f.fte;
                }
            }
            out
        })
        .collect()
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn summary_params<'a>(config: &'a Config, q: &WorkloadQuery) -> &'a Params {
    match &q.gemeente {
        Some(g) => config.params(g),
        None => &config.default,
    }
}

fn empty_summary(config: &Config, q: &WorkloadQuery) -> Summary {
    let p = summary_params(config, q);
    Summary {
        from: String::new(),
        to: String::new(),
        weeks: 0,
        fte_mean: 0.0,
        opgepakt_nieuw: 0,
        opgepakt_po: 0,
        aanvragen: 0,
        beschikkingen: 0,
        opgepakt_nieuw_per_fte_week: None,
        opgepakt_po_per_fte_week: None,
        aanvragen_per_fte_week: None,
        beschikkingen_per_fte_week: None,
        open: 0,
        norm_uren_open: 0.0,
        capaciteit: p.capaciteit(),
        benodigde_fte: 0.0,
    }
}
