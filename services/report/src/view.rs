//! The report's layout shared by every format: its sections, their rows, the
//! cell of a row for a gemeente and period, and how a shown figure reads.

use std::collections::{BTreeSet, HashMap};

use caseflow_core::disclosure::{Cell, Shown, Suppression, TOTAAL};
use caseflow_core::monitor::MonitorReport;

use crate::labels::{self, Theme, Unit, OTHER, THEMES, VERSCHIL};

/// One line of a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// The title of an indicator whose categories have no total (lead times).
    Heading(&'a str),
    /// An indicator (category None), a group's total, or a category.
    Row {
        indicator: &'a str,
        category: Option<&'a str>,
    },
}

impl Line<'_> {
    /// The Dutch label of the line; a category's is its category label.
    pub fn label(&self) -> &str {
        match self {
            Line::Heading(i) => labels::indicator(i),
            Line::Row {
                indicator,
                category: None | Some("totaal"),
            } => labels::indicator(indicator),
            Line::Row {
                category: Some(c), ..
            } => labels::category(c),
        }
    }

    /// A category line, drawn indented below its indicator.
    pub fn is_category(&self) -> bool {
        matches!(self, Line::Row { category: Some(c), .. } if *c != TOTAAL)
    }
}

/// A theme with the lines it has cells for.
pub struct Section<'a> {
    pub theme: &'static Theme,
    pub lines: Vec<Line<'a>>,
}

/// The report's cells, found by gemeente, period, indicator and category.
pub struct View<'a> {
    pub report: &'a MonitorReport,
    cells: HashMap<(&'a str, &'a str, &'a str, Option<&'a str>), &'a Cell>,
    pub sections: Vec<Section<'a>>,
}

impl<'a> View<'a> {
    pub fn new(report: &'a MonitorReport) -> View<'a> {
        let mut cells = HashMap::new();
        // Every base line: a `_verschil` cell belongs to the line of its indicator.
        let mut lines: BTreeSet<(&'a str, (usize, String), Option<&'a str>)> = BTreeSet::new();
        for c in &report.cells {
            cells.insert(
                (
                    c.gemeente.as_str(),
                    c.quarter.as_str(),
                    c.indicator.as_str(),
                    c.category.as_deref(),
                ),
                c,
            );
            let base = c.indicator.strip_suffix(VERSCHIL).unwrap_or(&c.indicator);
            let category = c.category.as_deref();
            lines.insert((base, labels::category_rank(category), category));
        }
        let mut by_indicator: HashMap<&'a str, Vec<Option<&'a str>>> = HashMap::new();
        for (i, _, c) in lines {
            by_indicator.entry(i).or_default().push(c);
        }

        let mut sections = Vec::new();
        let mut known = BTreeSet::new();
        for theme in THEMES {
            let mut out = Vec::new();
            for ind in theme.indicators {
                known.insert(*ind);
                if let Some(cats) = by_indicator.get(ind) {
                    push_lines(&mut out, cats, ind);
                }
            }
            if !out.is_empty() {
                sections.push(Section { theme, lines: out });
            }
        }
        let mut rest: Vec<&&'a str> = by_indicator
            .keys()
            .filter(|i| !known.contains(**i))
            .collect();
        rest.sort();
        let mut out = Vec::new();
        for ind in rest {
            push_lines(&mut out, &by_indicator[*ind], ind);
        }
        if !out.is_empty() {
            sections.push(Section {
                theme: &OTHER,
                lines: out,
            });
        }
        View {
            report,
            cells,
            sections,
        }
    }

    pub fn cell(
        &self,
        gemeente: &str,
        period: &str,
        indicator: &str,
        category: Option<&str>,
    ) -> Option<&'a Cell> {
        self.cells
            .get(&(gemeente, period, indicator, category))
            .copied()
    }

    /// The `_verschil` cell of a line (labelled with the report quarter).
    pub fn verschil(
        &self,
        gemeente: &str,
        indicator: &str,
        category: Option<&str>,
    ) -> Option<&'a Cell> {
        let name = format!("{indicator}{VERSCHIL}");
        self.cells
            .get(&(
                gemeente,
                self.report.report.quarter.as_str(),
                name.as_str(),
                category,
            ))
            .copied()
    }
}

fn push_lines<'a>(out: &mut Vec<Line<'a>>, cats: &[Option<&'a str>], indicator: &'a str) {
    let has_head = cats.iter().any(|c| matches!(c, None | Some("totaal")));
    if !has_head {
        out.push(Line::Heading(indicator));
    }
    for c in cats {
        out.push(Line::Row {
            indicator,
            category: *c,
        });
    }
}

/// A figure as the council reads it: the text and, when not shown as a
/// number, why.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub text: String,
    pub suppressed: Option<Suppression>,
}

/// What a cell shows, formatted for its indicator; never its `value` when suppressed.
pub fn figure(cell: &Cell) -> Figure {
    let unit = labels::unit(&cell.indicator);
    let signed = cell.indicator.ends_with(VERSCHIL);
    let text = match cell.shown {
        Shown::Number(x) if signed => signed_number(x, unit),
        Shown::Number(x) => number(x, unit),
        Shown::Below(t) => format!("<{t}"),
        Shown::Hidden => "—".to_string(),
    };
    Figure {
        text,
        suppressed: cell.suppressed,
    }
}

/// A number in Dutch notation for its unit: counts as integers, shares as a
/// percentage with one decimal, days with one, staff figures with two.
pub fn number(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Count if x.fract() == 0.0 => decimal(x, 0),
        Unit::Count => decimal(x, 1),
        Unit::Share => format!("{}%", decimal(x * 100.0, 1)),
        Unit::Days => decimal(x, 1),
        Unit::Staff => decimal(x, 2),
    }
}

/// A difference: always with its sign (`+3`, `−2,5`, `0`).
pub fn signed_number(x: f64, unit: Unit) -> String {
    let s = number(x.abs(), unit);
    if s.chars().all(|c| !c.is_ascii_digit() || c == '0') {
        return s;
    }
    if x < 0.0 {
        format!("−{s}")
    } else {
        format!("+{s}")
    }
}

/// `x` rounded to `decimals`, with a decimal comma and a dot between thousands.
pub fn decimal(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    let zero = s.chars().all(|c| c == '0' || c == '.');
    let mut out = String::new();
    if x < 0.0 && !zero {
        out.push('-');
    }
    out.push_str(&grouped);
    if let Some(f) = frac {
        out.push(',');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_numbers() {
        assert_eq!(number(0.734, Unit::Share), "73,4%");
        assert_eq!(number(12.34, Unit::Days), "12,3");
        assert_eq!(number(1234.0, Unit::Count), "1.234");
        assert_eq!(number(40.914, Unit::Staff), "40,91");
        assert_eq!(number(1234567.0, Unit::Count), "1.234.567");
        assert_eq!(decimal(-0.04, 1), "0,0");
        assert_eq!(decimal(-12.25, 2), "-12,25");
        assert_eq!(signed_number(-2.5, Unit::Days), "−2,5");
        assert_eq!(signed_number(3.0, Unit::Count), "+3");
        assert_eq!(signed_number(0.0, Unit::Count), "0");
    }
}
