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
    /// RFC 3339, the latest `occurred_at` in the log of these gemeenten and domein.
    pub data_until: Option<String>,
}

/// A whole report: `{"report": {…}, "cells": [{…}, …]}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitorReport {
    pub report: ReportMeta,
    pub cells: Vec<Cell>,
}
