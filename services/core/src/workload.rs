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
//!
//! Stored as daily count facts: `wl_opgepakt` (per team, first assignment to that
//! team), `wl_eerste` (the case's very first assignment), and `wl_open` deltas (+1/−1
//! on the Monday of each week whose end-of-week state changes, by dossiertype);
//! `open` is their running sum. Staffing is folded at query time from the log.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::config::{Config, Params};
use crate::event::{Domein, Dossiertype, Event, EventData};
use crate::fact::{Assignments, CountKey, Dims, Facts};
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
pub fn case_facts(events: &[Event], assignments: &Assignments, facts: &mut Facts) {
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
            facts.add(&base(&a.team), day, WL_EERSTE, cat, 1.0);
        }
        if seen_teams.insert(a.team.as_str()) {
            facts.add(&base(&a.team), day, WL_OPGEPAKT, cat, 1.0);
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
                facts.add(&base(team), w, WL_OPEN, d.as_str(), -1.0);
            }
            if let Some((team, d)) = &now {
                facts.add(&base(team), w, WL_OPEN, d.as_str(), 1.0);
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

type TeamKey = (String, Domein, String);

/// FTE per team on a given Monday: each consultant's latest staffing event with
/// `geldig_vanaf` ≤ that day (ties: later `occurred_at`, then `event_id`).
pub fn fte_on(staffing: &[Formatie], day: NaiveDate) -> BTreeMap<TeamKey, f64> {
    let mut latest: HashMap<(&str, &str), &Formatie> = HashMap::new();
    for f in staffing.iter().filter(|f| f.geldig_vanaf <= day) {
        let k = (f.gemeente.as_str(), f.consulent_ref.as_str());
        let newer = |old: &Formatie| {
            (f.geldig_vanaf, f.occurred_at, f.event_id)
                > (old.geldig_vanaf, old.occurred_at, old.event_id)
        };
        if latest.get(&k).is_none_or(|old| newer(old)) {
            latest.insert(k, f);
        }
    }
    let mut out: BTreeMap<TeamKey, f64> = BTreeMap::new();
    for f in latest.values() {
        *out.entry((f.gemeente.clone(), f.domein, f.team.clone()))
            .or_insert(0.0) += f.fte;
    }
    out
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

/// Compute the report from daily counts (window metrics within the window, and
/// `wl_open` deltas from the beginning up to the window's end) and staffing.
pub fn report<'a>(
    counts: impl IntoIterator<Item = (&'a CountKey, f64)>,
    staffing: &[Formatie],
    q: &WorkloadQuery,
    config: &Config,
) -> WorkloadReport {
    let counts: Vec<(&CountKey, f64)> = counts
        .into_iter()
        .filter(|(k, v)| {
            *v != 0.0
                && k.dims
                    .team
                    .as_ref()
                    .is_some_and(|t| q.selects(&k.dims.gemeente, k.dims.domein, t))
        })
        .collect();
    let staffing: Vec<Formatie> = staffing
        .iter()
        .filter(|f| q.selects(&f.gemeente, f.domein, &f.team))
        .cloned()
        .collect();

    // The window: as asked, else the weeks that have data.
    let data_weeks = || {
        counts
            .iter()
            .filter(|(k, _)| k.metric != WL_OPEN)
            .map(|(k, _)| monday(k.day))
    };
    let from = q.from.map(monday).or_else(|| data_weeks().min());
    let to = q.to.map(monday).or_else(|| data_weeks().max());
    let (Some(from), Some(to)) = (from, to) else {
        return WorkloadReport {
            weeks: vec![],
            summary: empty_summary(config, q),
        };
    };
    let mondays: Vec<NaiveDate> =
        std::iter::successors(Some(from), |d| Some(*d + Duration::days(7)))
            .take_while(|d| *d <= to)
            .collect();

    // Per team-week sums.
    #[derive(Default, Clone)]
    struct Acc {
        nieuw: f64,
        po: f64,
        eerste_nieuw: f64,
        eerste_po: f64,
        aanvragen: f64,
        beschikkingen: f64,
    }
    let mut acc: BTreeMap<(TeamKey, NaiveDate), Acc> = BTreeMap::new();
    let mut open_delta: BTreeMap<TeamKey, BTreeMap<NaiveDate, BTreeMap<String, f64>>> =
        BTreeMap::new();
    let mut teams: BTreeSet<TeamKey> = BTreeSet::new();
    for (k, v) in &counts {
        let team = (
            k.dims.gemeente.clone(),
            k.dims.domein,
            k.dims.team.clone().expect("filtered"),
        );
        let w = monday(k.day);
        if k.metric == WL_OPEN {
            if w <= to {
                *open_delta
                    .entry(team.clone())
                    .or_default()
                    .entry(w)
                    .or_default()
                    .entry(k.category.clone())
                    .or_insert(0.0) += v;
                teams.insert(team);
            }
            continue;
        }
        if w < from || w > to {
            continue;
        }
        teams.insert(team.clone());
        let a = acc.entry((team, w)).or_default();
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
    let fte_weeks: Vec<BTreeMap<TeamKey, f64>> =
        mondays.iter().map(|m| fte_on(&staffing, *m)).collect();
    for f in &fte_weeks {
        teams.extend(f.keys().cloned());
    }

    let mut rows = Vec::new();
    let (mut total_fte, mut open_end, mut hours_end) = (vec![0.0; mondays.len()], 0.0, 0.0);
    let mut totals = Acc::default();
    for team in &teams {
        let p = config.params(&team.0);
        let deltas = open_delta.get(team);
        for (i, m) in mondays.iter().enumerate() {
            let a = acc.get(&(team.clone(), *m)).cloned().unwrap_or_default();
            let fte = fte_weeks[i].get(team).copied().unwrap_or(0.0);
            let mut open_by_type: BTreeMap<&str, f64> = BTreeMap::new();
            for (_, cats) in deltas.into_iter().flat_map(|d| d.range(..=*m)) {
                for (c, v) in cats {
                    *open_by_type.entry(c.as_str()).or_insert(0.0) += v;
                }
            }
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
