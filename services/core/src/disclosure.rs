//! Disclosure control of the council monitor, spec §3.5: which cells a council
//! member may see, so no published figure can be traced to a person.
//!
//! A report is a list of [`Cell`]s. Each carries its true `value` (for the
//! municipality's own analysts) and what the council sees (`shown`), with the
//! reason a cell is not shown (`suppressed`). [`apply`] sets `shown` and
//! `suppressed` for one period's cells; [`differences`] makes the baseline's
//! `<indicator>_verschil` cells from two periods' suppressed cells.

use std::collections::HashMap;

use serde::{Serialize, Serializer};

/// What kind of figure a cell holds: this decides which rules apply to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A count without categories (`meldingen`, `leadtime_n`, …): primary rule.
    Count,
    /// A group's total (`category: "totaal"`): primary rule.
    GroupTotal,
    /// A group's category cell: primary and secondary rule.
    GroupCategory,
    /// A share k / n: denominator and share rule. `value` is k / n (None when n = 0).
    Share { numerator: f64, denominator: f64 },
    /// A statistic over n values (days): denominator rule.
    Statistic { denominator: f64 },
    /// Staff and capacity: never suppressed.
    Staff,
    /// A baseline difference `<indicator>_verschil`, made by [`differences`].
    Verschil,
}

/// Why a cell is not shown as its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Suppression {
    Primary,
    Secondary,
    Denominator,
    Share,
}

/// What the council sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shown {
    /// The number (rounded in the national variant).
    Number(f64),
    /// `"<t"`: a small count, t the threshold in force.
    Below(u32),
    /// `null`: not shown.
    Hidden,
}

/// One cell of the monitor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub gemeente: String,
    pub domein: String,
    /// The period label: `2026-Q3`, or `2026-H1` for a half year.
    pub quarter: String,
    pub indicator: String,
    /// None for an indicator without categories, `"totaal"` for a group's total.
    pub category: Option<String>,
    /// The true number; None where it is undefined (a mean of no values).
    #[serde(serialize_with = "number")]
    pub value: Option<f64>,
    pub shown: Shown,
    pub suppressed: Option<Suppression>,
    #[serde(skip)]
    pub kind: Kind,
}

/// The category of a group's total.
pub const TOTAAL: &str = "totaal";

/// The rules in force for one gemeente's cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// t: counts 1 ..= t − 1 are suppressed. At least 2.
    pub threshold: u32,
    /// The national variant: every shown count ≥ t rounded to a multiple of 5.
    pub national: bool,
}

impl Rules {
    pub const DEFAULT_THRESHOLD: u32 = 5;
    pub const NATIONAL_THRESHOLD: u32 = 10;
}

impl Cell {
    /// A cell before disclosure control: shown as its value.
    pub fn new(
        gemeente: &str,
        domein: &str,
        quarter: &str,
        indicator: &str,
        category: Option<&str>,
        value: Option<f64>,
        kind: Kind,
    ) -> Cell {
        Cell {
            gemeente: gemeente.to_string(),
            domein: domein.to_string(),
            quarter: quarter.to_string(),
            indicator: indicator.to_string(),
            category: category.map(str::to_string),
            value,
            shown: value.map_or(Shown::Hidden, Shown::Number),
            suppressed: None,
            kind,
        }
    }
}

/// Apply the disclosure rules to the cells of one gemeente, domein and period
/// (primary, denominator and share, then secondary per group, then the national
/// rounding). Every cell but a `_verschil` is set afresh from its `value`, so
/// applying twice gives the same cells.
pub fn apply(cells: &mut [Cell], rules: Rules) {
    for cell in cells.iter_mut() {
        if matches!(cell.kind, Kind::Verschil) {
            continue;
        }
        cell.shown = cell.value.map_or(Shown::Hidden, Shown::Number);
        cell.suppressed = None;
        per_cell(cell, rules.threshold);
    }
    for i in secondary_picks(cells) {
        cells[i].shown = Shown::Hidden;
        cells[i].suppressed = Some(Suppression::Secondary);
    }
    if rules.national {
        let t = f64::from(rules.threshold);
        for cell in cells.iter_mut() {
            if !is_count(cell.kind) || cell.suppressed.is_some() {
                continue;
            }
            if let Shown::Number(v) = cell.shown {
                if v >= t {
                    cell.shown = Shown::Number(round_to_five(v));
                }
            }
        }
    }
}

/// The `<indicator>_verschil` cells of a baseline: for every count, group and
/// statistic cell of `current` (period Q) with a matching cell in `baseline`
/// (period B, same gemeente, domein, indicator and category), value = Q − B,
/// labelled with Q. Both slices have been through [`apply`]. A count or group
/// cell without a partner in B compares with 0; a statistic without one gets no
/// value. Shares and staff get no difference. The order is that of `current`.
pub fn differences(current: &[Cell], baseline: &[Cell], rules: Rules) -> Vec<Cell> {
    let mut partners: HashMap<(&str, &str, &str, Option<&str>), &Cell> = HashMap::new();
    for b in baseline {
        partners.entry(match_key(b)).or_insert(b);
    }
    // A count or group that did not occur in B: 0 there, shown as 0.
    let zero = Cell::new("", "", "", "", None, Some(0.0), Kind::Count);

    let mut out = Vec::new();
    for q in current {
        let counts = is_count(q.kind);
        if !counts && !matches!(q.kind, Kind::Statistic { .. }) {
            continue;
        }
        let mut cell = Cell {
            gemeente: q.gemeente.clone(),
            domein: q.domein.clone(),
            quarter: q.quarter.clone(),
            indicator: format!("{}_verschil", q.indicator),
            category: q.category.clone(),
            value: None,
            shown: Shown::Hidden,
            suppressed: None,
            kind: Kind::Verschil,
        };
        let b = match partners.get(&match_key(q)) {
            Some(b) => *b,
            None if counts => &zero,
            // A statistic of a category B did not have: nothing to compare with.
            None => {
                out.push(cell);
                continue;
            }
        };
        cell.value = q.value.zip(b.value).map(|(x, y)| x - y);
        match q.suppressed.or(b.suppressed) {
            Some(reason) => cell.suppressed = Some(reason),
            None => {
                // Nationally the shown numbers are rounded: their difference is
                // what adds up on paper. Locally the shown numbers are the values.
                let shown = if rules.national {
                    match (q.shown, b.shown) {
                        (Shown::Number(x), Shown::Number(y)) => Some(x - y),
                        _ => None,
                    }
                } else {
                    cell.value
                };
                cell.shown = shown.map_or(Shown::Hidden, Shown::Number);
            }
        }
        out.push(cell);
    }
    out
}

/// Count, group total and group category: the kinds the primary rule, the
/// national rounding and a baseline's zero apply to.
fn is_count(kind: Kind) -> bool {
    matches!(kind, Kind::Count | Kind::GroupTotal | Kind::GroupCategory)
}

/// 1 ≤ x ≤ t − 1: a count small enough to point at a person.
fn small(x: f64, t: u32) -> bool {
    x >= 1.0 && x <= f64::from(t) - 1.0
}

/// Primary, denominator and share rules: each looks at its own cell only.
fn per_cell(cell: &mut Cell, t: u32) {
    let reason = match cell.kind {
        Kind::Count | Kind::GroupTotal | Kind::GroupCategory => {
            if cell.value.is_some_and(|v| small(v, t)) {
                cell.shown = Shown::Below(t);
                cell.suppressed = Some(Suppression::Primary);
            }
            return;
        }
        Kind::Share {
            numerator: k,
            denominator: n,
        } => {
            if n < f64::from(t) {
                Some(Suppression::Denominator)
            } else if small(k, t) || small(n - k, t) {
                Some(Suppression::Share)
            } else {
                None
            }
        }
        Kind::Statistic { denominator: n } => {
            (n < f64::from(t)).then_some(Suppression::Denominator)
        }
        Kind::Staff | Kind::Verschil => None,
    };
    if let Some(reason) = reason {
        cell.shown = Shown::Hidden;
        cell.suppressed = Some(reason);
    }
}

/// The cells the secondary rule suppresses: per group (same gemeente, domein,
/// period and indicator, with a total) whose total is shown and which has
/// exactly one suppressed category, the shown category with the smallest value
/// above 0, ties to the category code that sorts first.
fn secondary_picks(cells: &[Cell]) -> Vec<usize> {
    #[derive(Default)]
    struct Group {
        total: Option<usize>,
        categories: Vec<usize>,
    }
    let mut groups: HashMap<(&str, &str, &str, &str), Group> = HashMap::new();
    for (i, c) in cells.iter().enumerate() {
        let key = (
            c.gemeente.as_str(),
            c.domein.as_str(),
            c.quarter.as_str(),
            c.indicator.as_str(),
        );
        match c.kind {
            Kind::GroupTotal => {
                groups.entry(key).or_default().total.get_or_insert(i);
            }
            Kind::GroupCategory => groups.entry(key).or_default().categories.push(i),
            _ => {}
        }
    }
    let mut picks: Vec<usize> = groups
        .into_values()
        .filter_map(|g| {
            let total = &cells[g.total?];
            if total.suppressed.is_some() || !matches!(total.shown, Shown::Number(_)) {
                return None;
            }
            let suppressed = g
                .categories
                .iter()
                .filter(|&&i| cells[i].suppressed.is_some())
                .count();
            if suppressed != 1 {
                return None;
            }
            g.categories
                .iter()
                .copied()
                .filter_map(|i| {
                    let c = &cells[i];
                    match (c.suppressed, c.value) {
                        (None, Some(v)) if v > 0.0 => Some((v, c.category.as_deref(), i)),
                        _ => None,
                    }
                })
                .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)))
                .map(|(_, _, i)| i)
        })
        .collect();
    picks.sort_unstable();
    picks
}

/// The nearest multiple of 5, halves up (12.5 → 15).
fn round_to_five(v: f64) -> f64 {
    (v / 5.0 + 0.5).floor() * 5.0
}

/// The key a baseline cell is matched on: its period left out.
fn match_key(c: &Cell) -> (&str, &str, &str, Option<&str>) {
    (
        c.gemeente.as_str(),
        c.domein.as_str(),
        c.indicator.as_str(),
        c.category.as_deref(),
    )
}

/// Whole numbers as JSON integers, the rest as floats, None as null.
fn number<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => s.serialize_i64(*x as i64),
        Some(x) => s.serialize_f64(*x),
        None => s.serialize_none(),
    }
}

impl Serialize for Shown {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Shown::Number(x) => number(&Some(*x), s),
            Shown::Below(t) => s.serialize_str(&format!("<{t}")),
            Shown::Hidden => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests;
