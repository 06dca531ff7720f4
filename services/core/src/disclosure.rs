//! Disclosure control of the council monitor, spec §3.5: which cells a council
//! member may see, so no published figure can be traced to a person.
//!
//! A report is a list of [`Cell`]s. Each carries its true `value` (for the
//! municipality's own analysts) and what the council sees (`shown`), with the
//! reason a cell is not shown (`suppressed`). [`apply`] sets `shown` and
//! `suppressed` for one period's cells; [`differences`] makes the baseline's
//! `<indicator>_verschil` cells from two periods' suppressed cells.

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
/// (primary, denominator and share, then secondary per group).
pub fn apply(cells: &mut [Cell], rules: Rules) {
    let _ = (cells, rules);
    todo!("disclosure::apply")
}

/// The `<indicator>_verschil` cells of a baseline: for every count, group and
/// statistic cell of `current` (period Q) with a matching cell in `baseline`
/// (period B, same indicator and category), value = Q − B, labelled with Q.
pub fn differences(current: &[Cell], baseline: &[Cell], rules: Rules) -> Vec<Cell> {
    let _ = (current, baseline, rules);
    todo!("disclosure::differences")
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
