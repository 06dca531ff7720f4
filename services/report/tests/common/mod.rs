//! A hand-built monitor report: three gemeenten, four quarters, a baseline,
//! and suppressed cells of every kind, with distinctive true values.
#![allow(dead_code)]

use std::collections::BTreeMap;

use caseflow_core::disclosure::{Cell, Kind, Shown, Suppression, TOTAAL};
use caseflow_core::monitor::{MonitorReport, ReportMeta};

pub const GEMEENTEN: [&str; 3] = ["GM0001", "GM0002", "GM0003"];
pub const PERIODS: [&str; 4] = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"];
pub const Q: &str = "2026-Q3";
pub const B: &str = "2025-Q3";
pub const GENERATED_AT: &str = "2026-10-05T09:30:00+02:00";
pub const DATA_UNTIL: &str = "2026-09-30T17:12:44+02:00";

/// A count of at least 10 (the largest threshold), different per gemeente, period and indicator.
fn count(g: usize, p: usize, salt: u32) -> f64 {
    f64::from(40 + 11 * g as u32 + 6 * p as u32 + salt)
}

struct Builder {
    cells: Vec<Cell>,
}

impl Builder {
    fn add(
        &mut self,
        g: &str,
        p: &str,
        ind: &str,
        cat: Option<&str>,
        value: Option<f64>,
        kind: Kind,
    ) {
        self.cells
            .push(Cell::new(g, "wmo", p, ind, cat, value, kind));
    }

    fn group(&mut self, g: &str, p: &str, ind: &str, cats: &[(&str, f64)]) {
        let total: f64 = cats.iter().map(|c| c.1).sum();
        self.add(g, p, ind, Some(TOTAAL), Some(total), Kind::GroupTotal);
        for (c, v) in cats {
            self.add(g, p, ind, Some(c), Some(*v), Kind::GroupCategory);
        }
    }

    fn find(&mut self, g: &str, p: &str, ind: &str, cat: Option<&str>) -> &mut Cell {
        self.cells
            .iter_mut()
            .find(|c| {
                c.gemeente == g
                    && c.quarter == p
                    && c.indicator == ind
                    && c.category.as_deref() == cat
            })
            .unwrap_or_else(|| panic!("no cell {g} {p} {ind} {cat:?}"))
    }

    fn set(&mut self, g: &str, p: &str, ind: &str, cat: Option<&str>, value: f64) {
        let c = self.find(g, p, ind, cat);
        c.value = Some(value);
        c.shown = Shown::Number(value);
    }

    /// Suppress the cell `(gemeente, period, indicator, category)`.
    fn suppress(
        &mut self,
        key: (&str, &str, &str, Option<&str>),
        value: f64,
        shown: Shown,
        s: Suppression,
    ) {
        let c = self.find(key.0, key.1, key.2, key.3);
        c.value = Some(value);
        c.shown = shown;
        c.suppressed = Some(s);
    }

    /// Re-add a group's total from its categories (after edits).
    fn retotal(&mut self, g: &str, p: &str, ind: &str) {
        let total: f64 = self
            .cells
            .iter()
            .filter(|c| c.gemeente == g && c.quarter == p && c.indicator == ind)
            .filter(|c| c.category.as_deref() != Some(TOTAAL))
            .filter_map(|c| c.value)
            .sum();
        self.set(g, p, ind, Some(TOTAAL), total);
    }
}

/// The sample report; every true value of a suppressed cell is chosen so that
/// it appears nowhere among the shown figures.
pub fn sample() -> MonitorReport {
    let mut b = Builder { cells: Vec::new() };
    let all: Vec<&str> = std::iter::once(B).chain(PERIODS).collect();
    for (gi, g) in GEMEENTEN.iter().enumerate() {
        for (pi, p) in all.iter().enumerate() {
            let c = |salt| count(gi, pi, salt);
            b.add(g, p, "meldingen", None, Some(c(200)), Kind::Count);
            let (door, afg) = (c(30), c(60));
            b.add(g, p, "doorgezet", None, Some(door), Kind::Count);
            b.add(g, p, "afgevangen", None, Some(afg), Kind::Count);
            let ratio = afg / (afg + door);
            b.add(
                g,
                p,
                "afvangratio",
                None,
                Some(ratio),
                Kind::Share {
                    numerator: afg,
                    denominator: afg + door,
                },
            );
            b.group(
                g,
                p,
                "aanvragen",
                &[
                    ("nieuw", c(20)),
                    ("herindicatie", c(5)),
                    ("periodiek_onderzoek", c(12)),
                    ("mutatie", c(0)),
                ],
            );
            b.group(
                g,
                p,
                "instroom",
                &[("huisarts", c(8)), ("wijkteam", c(3)), ("onbekend", c(1))],
            );
            for (m, salt) in [("onderzoek", 9), ("besluit", 14)] {
                let n = c(salt);
                b.add(g, p, "leadtime_n", Some(m), Some(n), Kind::Count);
                let days = 10.0 + gi as f64 + pi as f64 * 0.5 + f64::from(salt) / 10.0;
                b.add(
                    g,
                    p,
                    "leadtime_mean",
                    Some(m),
                    Some(days),
                    Kind::Statistic { denominator: n },
                );
                b.add(
                    g,
                    p,
                    "leadtime_p90",
                    Some(m),
                    Some(days * 2.0),
                    Kind::Statistic { denominator: n },
                );
                b.add(
                    g,
                    p,
                    "binnen_norm",
                    Some(m),
                    Some(0.8 + gi as f64 * 0.01),
                    Kind::Share {
                        numerator: n * 0.8,
                        denominator: n,
                    },
                );
            }
            b.group(
                g,
                p,
                "wachtlijst",
                &[("hulp_bij_huishouden", c(4)), ("scootmobiel", c(2))],
            );
            b.add(
                g,
                p,
                "wachtlijst_leeftijd_mean",
                None,
                Some(20.0 + pi as f64),
                Kind::Statistic { denominator: c(6) },
            );
            b.add(g, p, "actieve_clienten", None, Some(c(400)), Kind::Count);
            b.add(g, p, "casusregie_n", None, Some(c(10)), Kind::Count);
            b.add(
                g,
                p,
                "casusregie_een_consulent",
                None,
                Some(0.75),
                Kind::Share {
                    numerator: 0.0,
                    denominator: 0.0,
                },
            );
            b.group(
                g,
                p,
                "po_status",
                &[
                    ("geen_po_gepland", c(7)),
                    ("po_zonder_vervolg", c(2)),
                    ("po_verlopen", c(5)),
                    ("po_te_ver_gepland", c(1)),
                    ("in_behandeling", c(15)),
                    ("ok", c(300)),
                ],
            );
            b.add(g, p, "fte", None, Some(20.5 + gi as f64), Kind::Staff);
            b.add(
                g,
                p,
                "benodigde_fte",
                None,
                Some(15.25 + pi as f64),
                Kind::Staff,
            );
        }
    }

    // Figures the renderings are checked against.
    b.set("GM0001", Q, "meldingen", None, 1234.0);
    b.set("GM0001", B, "meldingen", None, 1200.0);
    b.set("GM0001", Q, "afgevangen", None, 367.0);
    b.set("GM0001", Q, "doorgezet", None, 133.0);
    b.set("GM0001", Q, "afvangratio", None, 0.734);
    b.set("GM0001", Q, "leadtime_p90", Some("onderzoek"), 12.34);
    b.set("GM0001", Q, "fte", None, 40.914);

    // Primary, and the share it gives away: GM0002 afgevangen 3 in Q.
    b.suppress(
        ("GM0002", Q, "afgevangen", None),
        3.0,
        Shown::Below(5),
        Suppression::Primary,
    );
    b.suppress(
        ("GM0002", Q, "afvangratio", None),
        3.0 / 86.0,
        Shown::Hidden,
        Suppression::Share,
    );
    // Primary and secondary in a group: GM0002 aanvragen in Q.
    b.suppress(
        ("GM0002", Q, "aanvragen", Some("mutatie")),
        2.0,
        Shown::Below(5),
        Suppression::Primary,
    );
    b.suppress(
        ("GM0002", Q, "aanvragen", Some("herindicatie")),
        17.0,
        Shown::Hidden,
        Suppression::Secondary,
    );
    b.retotal("GM0002", Q, "aanvragen");
    // GM0003's threshold is 10: a small leadtime_n hides its statistics (denominator).
    b.suppress(
        ("GM0003", Q, "leadtime_n", Some("besluit")),
        4.0,
        Shown::Below(10),
        Suppression::Primary,
    );
    b.suppress(
        ("GM0003", Q, "leadtime_mean", Some("besluit")),
        876.5,
        Shown::Hidden,
        Suppression::Denominator,
    );
    b.suppress(
        ("GM0003", Q, "leadtime_p90", Some("besluit")),
        987.65,
        Shown::Hidden,
        Suppression::Denominator,
    );
    b.suppress(
        ("GM0003", Q, "binnen_norm", Some("besluit")),
        0.25,
        Shown::Hidden,
        Suppression::Denominator,
    );
    // A share whose complement is small (n − k = 3).
    b.set("GM0001", Q, "casusregie_n", None, 31.0);
    b.suppress(
        ("GM0001", Q, "casusregie_een_consulent", None),
        28.0 / 31.0,
        Shown::Hidden,
        Suppression::Share,
    );
    // In a trend quarter: primary and its secondary partner.
    b.suppress(
        ("GM0001", "2026-Q1", "wachtlijst", Some("scootmobiel")),
        1.0,
        Shown::Below(5),
        Suppression::Primary,
    );
    b.suppress(
        (
            "GM0001",
            "2026-Q1",
            "wachtlijst",
            Some("hulp_bij_huishouden"),
        ),
        4321.0,
        Shown::Hidden,
        Suppression::Secondary,
    );
    b.retotal("GM0001", "2026-Q1", "wachtlijst");
    // In the baseline quarter.
    b.suppress(
        ("GM0001", B, "po_status", Some("po_verlopen")),
        2.0,
        Shown::Below(5),
        Suppression::Primary,
    );
    b.suppress(
        ("GM0001", B, "po_status", Some("po_te_ver_gepland")),
        38.0,
        Shown::Hidden,
        Suppression::Secondary,
    );
    // Zero is shown.
    b.set("GM0003", Q, "instroom", Some("onbekend"), 0.0);
    b.retotal("GM0003", Q, "instroom");

    // The baseline's differences, spec §3.5.
    let mut diffs = Vec::new();
    for q in b.cells.iter().filter(|c| c.quarter == Q) {
        if matches!(q.kind, Kind::Share { .. } | Kind::Staff | Kind::Verschil) {
            continue;
        }
        let Some(base) = b.cells.iter().find(|c| {
            c.quarter == B
                && c.gemeente == q.gemeente
                && c.indicator == q.indicator
                && c.category == q.category
        }) else {
            continue;
        };
        let value = match (q.value, base.value) {
            (Some(x), Some(y)) => Some(x - y),
            _ => None,
        };
        let mut d = Cell::new(
            &q.gemeente,
            "wmo",
            Q,
            &format!("{}_verschil", q.indicator),
            q.category.as_deref(),
            value,
            Kind::Verschil,
        );
        if let Some(s) = q.suppressed.or(base.suppressed) {
            d.shown = Shown::Hidden;
            d.suppressed = Some(s);
        }
        diffs.push(d);
    }
    b.cells.extend(diffs);

    let thresholds: BTreeMap<String, u32> = [("GM0001", 5), ("GM0002", 5), ("GM0003", 10)]
        .into_iter()
        .map(|(g, t)| (g.to_string(), t))
        .collect();
    MonitorReport {
        report: ReportMeta {
            gemeenten: GEMEENTEN.iter().map(|g| g.to_string()).collect(),
            domein: "wmo".into(),
            quarter: Q.into(),
            periods: PERIODS.iter().map(|p| p.to_string()).collect(),
            trend: 4,
            baseline: Some(B.into()),
            threshold: None,
            thresholds,
            national: false,
            generated_at: GENERATED_AT.into(),
            data_until: Some(DATA_UNTIL.into()),
        },
        cells: b.cells,
    }
}

/// The cell of a report, by its key.
pub fn cell<'a>(r: &'a MonitorReport, g: &str, p: &str, ind: &str, cat: Option<&str>) -> &'a Cell {
    r.cells
        .iter()
        .find(|c| {
            c.gemeente == g && c.quarter == p && c.indicator == ind && c.category.as_deref() == cat
        })
        .unwrap_or_else(|| panic!("no cell {g} {p} {ind} {cat:?}"))
}
