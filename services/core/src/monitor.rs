//! The quarterly council monitor, spec §3.5: per gemeente and domein, the cells of
//! a quarter (or half year), its trend and an optional baseline.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::disclosure::Cell;

/// A report period: a calendar quarter (`2026-Q3`) or half year (`2026-H1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportPeriod {
    pub start: NaiveDate,
    /// 3 for a quarter, 6 for a half year.
    pub months: u32,
}

impl ReportPeriod {
    pub fn quarter(year: i32, q: u32) -> Option<ReportPeriod> {
        (1..=4).contains(&q).then(|| ReportPeriod {
            start: NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1, 1).expect("valid"),
            months: 3,
        })
    }

    pub fn half(year: i32, h: u32) -> Option<ReportPeriod> {
        (1..=2).contains(&h).then(|| ReportPeriod {
            start: NaiveDate::from_ymd_opt(year, (h - 1) * 6 + 1, 1).expect("valid"),
            months: 6,
        })
    }

    /// Parse `2026-Q3` or `2026-H1`.
    pub fn parse(s: &str) -> Option<ReportPeriod> {
        let (y, rest) = s.split_once('-')?;
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let (kind, n) = rest.split_at_checked(1)?;
        if n.len() != 1 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = n.parse().ok()?;
        match kind {
            "Q" => Self::quarter(year, n),
            "H" => Self::half(year, n),
            _ => None,
        }
    }

    pub fn is_half(&self) -> bool {
        self.months == 6
    }

    pub fn label(&self) -> String {
        let idx = self.start.month0() / self.months + 1;
        let kind = if self.is_half() { 'H' } else { 'Q' };
        format!("{:04}-{kind}{idx}", self.start.year())
    }

    /// The first day after the period.
    pub fn end_exclusive(&self) -> NaiveDate {
        self.start
            .checked_add_months(chrono::Months::new(self.months))
            .expect("in range")
    }

    /// The peildatum: the period's last day.
    pub fn peildatum(&self) -> NaiveDate {
        self.end_exclusive().pred_opt().expect("in range")
    }

    pub fn previous(&self) -> ReportPeriod {
        ReportPeriod {
            start: self
                .start
                .checked_sub_months(chrono::Months::new(self.months))
                .expect("in range"),
            months: self.months,
        }
    }

    /// The `n` periods ending at this one, oldest first.
    pub fn trend(&self, n: u32) -> Vec<ReportPeriod> {
        let mut out = vec![*self];
        while out.len() < n as usize {
            let p = out.last().expect("non-empty").previous();
            out.push(p);
        }
        out.reverse();
        out
    }
}

/// The report's parameters and provenance, the `report` object of the JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportMeta {
    pub gemeenten: Vec<String>,
    pub domein: String,
    /// The report period's label (`2026-Q3` or `2026-H1`).
    pub quarter: String,
    /// The trend's periods, oldest first, ending at `quarter`.
    pub periods: Vec<String>,
    pub trend: u32,
    pub baseline: Option<String>,
    /// The threshold given for the whole report, if any.
    pub threshold: Option<u32>,
    /// The threshold in force per gemeente.
    pub thresholds: BTreeMap<String, u32>,
    pub national: bool,
    /// RFC 3339, when the report was made.
    pub generated_at: String,
    /// The last day (Amsterdam) with events of these gemeenten and domein.
    pub data_until: Option<String>,
}

/// A whole report: `{"report": {…}, "cells": [{…}, …]}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitorReport {
    pub report: ReportMeta,
    pub cells: Vec<Cell>,
}

mod cells;
mod facts;

pub use cells::{Categories, Source, COUNT_METRICS, ONBEKEND};
pub use facts::{beschikking_fact, case_fact, BeschikkingFact, CaseFact, MonitorFact};

use crate::config::Config;
use crate::disclosure::{self, Rules};
use crate::event::Domein;
use crate::params::{given, parse_bool, parse_gemeente, ParamError};

/// At most this many gemeenten side by side, and periods in a trend: bounds a
/// request's work.
pub const MAX_GEMEENTEN: usize = 12;
pub const MAX_TREND: u32 = 12;
/// A threshold above this suppresses nearly everything: a mistake, not a policy.
pub const MAX_THRESHOLD: u32 = 100;

/// A monitor request as it arrives from a URL or the command line.
#[derive(Debug, Clone, Default)]
pub struct MonitorParams {
    pub gemeente: Option<String>,
    pub domein: Option<String>,
    pub quarter: Option<String>,
    pub half: Option<String>,
    pub trend: Option<String>,
    pub baseline: Option<String>,
    pub threshold: Option<String>,
    pub national: Option<String>,
}

/// A checked monitor request.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorRequest {
    pub gemeenten: Vec<String>,
    pub domein: Domein,
    pub period: ReportPeriod,
    pub trend: u32,
    pub baseline: Option<ReportPeriod>,
    pub threshold: Option<u32>,
    pub national: bool,
}

fn bad(parameter: &'static str, message: impl Into<String>) -> ParamError {
    ParamError { parameter, message: message.into() }
}

impl MonitorParams {
    pub fn parse(&self) -> Result<MonitorRequest, ParamError> {
        let list = given("gemeente", self.gemeente.as_deref())?
            .ok_or_else(|| bad("gemeente", "required: one CBS code or several separated by commas, e.g. GM0344,GM0363"))?;
        let mut gemeenten: Vec<String> = Vec::new();
        for g in list.split(',') {
            let g = parse_gemeente(Some(g))?.ok_or_else(|| bad("gemeente", "an empty code in the list"))?;
            if !gemeenten.contains(&g) {
                gemeenten.push(g);
            }
        }
        if gemeenten.len() > MAX_GEMEENTEN {
            return Err(bad("gemeente", format!("at most {MAX_GEMEENTEN} gemeenten side by side; {} were given", gemeenten.len())));
        }
        let domein = given("domein", self.domein.as_deref())?
            .ok_or_else(|| bad("domein", "required: wmo or jeugd"))?;
        let domein = Domein::parse(domein).ok_or_else(|| bad("domein", format!("`{domein}` is not a domein; accepted: wmo, jeugd")))?;
        let quarter = given("quarter", self.quarter.as_deref())?;
        let half = given("half", self.half.as_deref())?;
        let period = match (quarter, half) {
            (Some(_), Some(_)) => return Err(bad("half", "give either quarter or half, not both")),
            (None, None) => return Err(bad("quarter", "required: a quarter such as 2026-Q3 (or half=2026-H1 for a half year)")),
            (Some(q), None) => ReportPeriod::parse(q)
                .filter(|p| !p.is_half())
                .ok_or_else(|| bad("quarter", format!("`{q}` is not a quarter; write YYYY-QN, e.g. 2026-Q3")))?,
            (None, Some(h)) => ReportPeriod::parse(h)
                .filter(ReportPeriod::is_half)
                .ok_or_else(|| bad("half", format!("`{h}` is not a half year; write YYYY-HN, e.g. 2026-H1")))?,
        };
        let trend = match given("trend", self.trend.as_deref())? {
            None => 4,
            Some(t) => t
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_TREND).contains(n))
                .ok_or_else(|| bad("trend", format!("`{t}` is not accepted; give a number of periods from 1 to {MAX_TREND}")))?,
        };
        let baseline = match given("baseline", self.baseline.as_deref())? {
            None => None,
            Some(b) => {
                let kind = if period.is_half() { "a half year such as 2025-H2" } else { "a quarter such as 2025-Q4" };
                let p = ReportPeriod::parse(b)
                    .filter(|p| p.months == period.months)
                    .ok_or_else(|| bad("baseline", format!("`{b}` is not accepted; give {kind}, like the report period")))?;
                if p >= period {
                    return Err(bad("baseline", format!("the baseline {b} must lie before the report period {}", period.label())));
                }
                Some(p)
            }
        };
        let threshold = match given("threshold", self.threshold.as_deref())? {
            None => None,
            Some(t) => Some(
                t.parse::<u32>()
                    .ok()
                    .filter(|n| (2..=MAX_THRESHOLD).contains(n))
                    .ok_or_else(|| bad("threshold", format!("`{t}` is not accepted; give a whole number from 2 to {MAX_THRESHOLD}")))?,
            ),
        };
        let national = parse_bool("national", self.national.as_deref())?;
        Ok(MonitorRequest { gemeenten, domein, period, trend, baseline, threshold, national })
    }
}

impl MonitorRequest {
    /// The disclosure rules for one gemeente's cells.
    pub fn rules(&self, gemeente: &str, config: &Config) -> Rules {
        let threshold = self.threshold.unwrap_or(if self.national {
            Rules::NATIONAL_THRESHOLD
        } else {
            config.params(gemeente).monitor_drempel
        });
        Rules { threshold, national: self.national }
    }

    /// The periods with cells: the baseline (when outside the trend), then the trend.
    pub fn periods(&self) -> Vec<ReportPeriod> {
        let trend = self.period.trend(self.trend);
        let mut out: Vec<ReportPeriod> = self.baseline.filter(|b| !trend.contains(b)).into_iter().collect();
        out.extend(trend);
        out
    }
}

/// The report for `req` from one [`Source`] per requested gemeente (same order).
/// Fails, naming the parameter, for a gemeente without data or a period after the data.
pub fn build(
    req: &MonitorRequest,
    sources: &[Source],
    config: &Config,
    generated_at: chrono::DateTime<chrono::Utc>,
) -> Result<MonitorReport, ParamError> {
    let mut data_until: Option<NaiveDate> = None;
    for (g, src) in req.gemeenten.iter().zip(sources) {
        let last = src.counts.iter().filter(|(_, v)| *v != 0.0).map(|(k, _)| k.day).max();
        let Some(last) = last else {
            return Err(bad("gemeente", format!("no {} events for {g}: check the CBS code, or ingest its events first", req.domein)));
        };
        data_until = Some(data_until.map_or(last, |d| d.max(last)));
    }
    if let Some(until) = data_until {
        if req.period.start > until {
            let which = if req.period.is_half() { "half" } else { "quarter" };
            return Err(bad(which, format!("{} starts after the data, which runs to {until}", req.period.label())));
        }
    }
    let periods = req.periods();
    let mut all: Vec<Cell> = Vec::new();
    let mut thresholds = BTreeMap::new();
    for (g, src) in req.gemeenten.iter().zip(sources) {
        let rules = req.rules(g, config);
        thresholds.insert(g.clone(), rules.threshold);
        let cats = Categories::of(src);
        let mut per_period: BTreeMap<ReportPeriod, Vec<Cell>> = BTreeMap::new();
        for p in &periods {
            let mut cells = cells::period_cells(src, &cats, *p, config);
            disclosure::apply(&mut cells, rules);
            per_period.insert(*p, cells);
        }
        let verschil = req
            .baseline
            .map(|b| disclosure::differences(&per_period[&req.period], &per_period[&b], rules))
            .unwrap_or_default();
        for p in &periods {
            all.append(per_period.get_mut(p).expect("computed"));
        }
        all.extend(verschil);
    }
    Ok(MonitorReport {
        report: ReportMeta {
            gemeenten: req.gemeenten.clone(),
            domein: req.domein.as_str().to_string(),
            quarter: req.period.label(),
            periods: req.period.trend(req.trend).iter().map(ReportPeriod::label).collect(),
            trend: req.trend,
            baseline: req.baseline.map(|b| b.label()),
            threshold: req.threshold,
            thresholds,
            national: req.national,
            generated_at: generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            data_until: data_until.map(|d| d.to_string()),
        },
        cells: all,
    })
}

/// What the monitor reads, held in memory: built from a [`crate::model::MemoryLog`]
/// this is the reference the store's report is tested against, and a report
/// made from a scan of the whole log.
#[derive(Debug, Clone)]
pub struct Owned {
    pub gemeente: String,
    pub domein: Domein,
    pub counts: Vec<(crate::dims::CountKey, f64)>,
    pub samples: Vec<crate::leadtime::Sample>,
    pub facts: Vec<MonitorFact>,
    pub po: Vec<crate::overdue_po::PoTimeline>,
}

impl Owned {
    pub fn source<'a>(&'a self, staffing: &'a [crate::workload::Formatie], extent: &'a crate::workload::Extent) -> Source<'a> {
        Source {
            gemeente: &self.gemeente,
            domein: self.domein,
            counts: &self.counts,
            samples: &self.samples,
            facts: &self.facts,
            po: &self.po,
            staffing,
            extent,
        }
    }
}

/// The report for `req` from an in-memory log: every key's facts folded afresh.
pub fn report_from_log(
    log: &crate::model::MemoryLog,
    req: &MonitorRequest,
    config: &Config,
    generated_at: chrono::DateTime<chrono::Utc>,
) -> Result<MonitorReport, ParamError> {
    let by_key = log.facts_by_key();
    let mut all = crate::fact::Facts::default();
    for f in by_key.values() {
        all.merge_counts(f);
    }
    all.counts.retain(|_, v| *v != 0.0);
    let staffing = log.formatie();
    let extent = crate::workload::Extent::of(all.counts.iter().map(|(k, v)| (k, *v)), &staffing);
    let owned: Vec<Owned> = req
        .gemeenten
        .iter()
        .map(|g| {
            let mine = |gem: &str, dom: Domein| gem == g && dom == req.domein;
            Owned {
                gemeente: g.clone(),
                domein: req.domein,
                counts: all
                    .counts
                    .iter()
                    .filter(|(k, _)| mine(&k.dims.gemeente, k.dims.domein))
                    .map(|(k, v)| (k.clone(), *v))
                    .collect(),
                samples: by_key
                    .values()
                    .flat_map(|f| f.samples.iter())
                    .filter(|s| mine(&s.dims.gemeente, s.dims.domein))
                    .cloned()
                    .collect(),
                facts: by_key
                    .values()
                    .filter_map(|f| f.monitor.clone())
                    .filter(|m| mine(m.gemeente(), m.domein()))
                    .collect(),
                po: by_key
                    .values()
                    .filter_map(|f| f.po.clone())
                    .filter(|p| mine(&p.gemeente, p.domein))
                    .collect(),
            }
        })
        .collect();
    let sources: Vec<Source> = owned.iter().map(|o| o.source(&staffing, &extent)).collect();
    build(req, &sources, config, generated_at)
}
