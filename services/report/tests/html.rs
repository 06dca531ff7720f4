mod common;

use caseflow_core::disclosure::{Cell, Kind, Shown, Suppression};
use caseflow_report::{html, labels};
use common::{cell, sample, B, DATA_UNTIL, GEMEENTEN, GENERATED_AT, PERIODS, Q};

/// The content of the `<td>` of the cell with this `data-cell` key.
fn td<'a>(page: &'a str, key: &str) -> &'a str {
    let attr = format!("data-cell=\"{key}\"");
    let at = page
        .find(&attr)
        .unwrap_or_else(|| panic!("no td for {key}"));
    assert_eq!(
        page.matches(&attr).count(),
        1,
        "{key} rendered more than once"
    );
    let open_end = at + page[at..].find('>').expect("tag end") + 1;
    let close = open_end + page[open_end..].find("</td>").expect("td end");
    &page[open_end..close]
}

/// The `<svg>` of a trend line.
fn svg<'a>(page: &'a str, key: &str) -> &'a str {
    let attr = format!("data-trend=\"{key}\"");
    let at = page
        .find(&attr)
        .unwrap_or_else(|| panic!("no svg for {key}"));
    let end = at + page[at..].find("</svg>").expect("svg end");
    &page[at..end]
}

fn key(c: &Cell) -> String {
    format!(
        "{}|{}|{}|{}",
        c.gemeente,
        c.indicator,
        c.category.as_deref().unwrap_or(""),
        c.quarter
    )
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for ch in s.chars() {
        match ch {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn page_is_dutch_a4_self_contained_and_sectioned() {
    let page = html(&sample());
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<html lang=\"nl\">"));
    assert!(page.contains("@page { size: A4"), "print CSS missing");
    assert!(page.contains("<h1>Kwartaalmonitor Wmo — 3e kwartaal 2026</h1>"));
    for title in [
        "Instroom, doorstroom en uitstroom",
        "Tijdigheid (wettelijke termijnen)",
        "Wachtlijst",
        "Voorzieningen en cliënten",
        "Casusregie",
        "Periodiek onderzoek",
        "Formatie en capaciteit",
    ] {
        assert!(
            page.contains(&format!(". {title}</h2>")),
            "section {title} missing"
        );
    }
    assert!(
        !page.contains("Overige indicatoren"),
        "every sample indicator has a theme"
    );
    for g in GEMEENTEN {
        assert!(
            page.contains(&format!("<th class=\"g\" colspan=\"4\">{g}</th>")),
            "column {g} missing"
        );
    }
    assert!(page.contains(&format!("was<br>{B}")) && page.contains(&format!("nu<br>{Q}")));
    assert!(page.contains("<th>verschil</th>"));
    assert!(page.contains("<svg"));
    let lower = page.to_lowercase();
    assert!(!lower.contains("<script"), "no JavaScript");
    assert!(
        !lower.contains("http://") && !lower.contains("https://"),
        "nothing from the internet"
    );
    assert!(
        !lower.contains("<link") && !lower.contains(" src="),
        "no external resources"
    );
    // Lead times have measures but no total: a heading line carries the indicator.
    assert!(page.contains(
        "<tr class=\"head\"><td class=\"label\" colspan=\"13\">Doorlooptijd p90 (dagen)</td></tr>"
    ));
    // Categories carry their Dutch label; a free-text voorziening code stays as is.
    assert!(page.contains("<td class=\"label\">Huisarts</td>"));
    assert!(page.contains("<td class=\"label\">PO verlopen</td>"));
    assert!(page.contains("<td class=\"label\">hulp_bij_huishouden</td>"));
}

#[test]
fn shown_figures_read_in_dutch_notation() {
    let page = html(&sample());
    assert_eq!(td(&page, "GM0001|meldingen||2026-Q3"), "1.234");
    assert_eq!(td(&page, "GM0001|meldingen||2025-Q3"), "1.200");
    assert_eq!(td(&page, "GM0001|meldingen_verschil||2026-Q3"), "+34");
    assert_eq!(td(&page, "GM0001|afvangratio||2026-Q3"), "73,4%");
    assert_eq!(td(&page, "GM0001|leadtime_p90|onderzoek|2026-Q3"), "12,3");
    assert_eq!(td(&page, "GM0001|fte||2026-Q3"), "40,91");
    assert_eq!(
        td(&page, "GM0003|instroom|onbekend|2026-Q3"),
        "0",
        "zero is shown"
    );
}

#[test]
fn suppressed_cells_show_only_their_mark() {
    let r = sample();
    let page = html(&r);
    assert_eq!(
        td(&page, "GM0002|afgevangen||2026-Q3"),
        "&lt;5<sup class=\"m\">P</sup>"
    );
    assert_eq!(
        td(&page, "GM0003|leadtime_n|besluit|2026-Q3"),
        "&lt;10<sup class=\"m\">P</sup>"
    );
    assert_eq!(
        td(&page, "GM0002|aanvragen|herindicatie|2026-Q3"),
        "—<sup class=\"m\">S</sup>"
    );
    assert_eq!(
        td(&page, "GM0003|leadtime_p90|besluit|2026-Q3"),
        "—<sup class=\"m\">N</sup>"
    );
    assert_eq!(
        td(&page, "GM0001|casusregie_een_consulent||2026-Q3"),
        "—<sup class=\"m\">A</sup>"
    );
    assert_eq!(
        td(&page, "GM0001|po_status|po_verlopen|2025-Q3"),
        "&lt;5<sup class=\"m\">P</sup>"
    );
    assert_eq!(
        td(&page, "GM0002|afgevangen_verschil||2026-Q3"),
        "—<sup class=\"m\">P</sup>"
    );

    // Every suppressed cell of the baseline, the quarter and the differences:
    // only "<t" or "—" and a letter, no digit of its true value.
    let mut checked = 0;
    for c in r
        .cells
        .iter()
        .filter(|c| c.suppressed.is_some() && (c.quarter == Q || c.quarter == B))
    {
        let content = strip_tags(td(&page, &key(c)));
        let expected = match c.shown {
            Shown::Below(t) => format!("&lt;{t}"),
            Shown::Hidden => "—".to_string(),
            Shown::Number(_) => panic!("a suppressed cell shown as a number"),
        };
        let mark = labels::suppression_mark(c.suppressed.expect("suppressed"));
        assert_eq!(content, format!("{expected}{mark}"), "{}", key(c));
        checked += 1;
    }
    assert!(
        checked >= 10,
        "the sample has suppressed cells of every kind ({checked})"
    );

    // Distinctive true values of suppressed cells appear nowhere on the page.
    for leak in [
        "4321", "4.321", "876,5", "987,6", "987,7", "987.65", "90,3%", "25,0%", "3,5%",
    ] {
        assert!(!page.contains(leak), "true value {leak} leaked");
    }
}

#[test]
fn trend_lines_leave_suppressed_periods_out() {
    let r = sample();
    let page = html(&r);
    let full = svg(&page, "GM0001|meldingen|");
    assert_eq!(full.matches("<circle").count(), PERIODS.len());
    let gap = svg(&page, "GM0001|wachtlijst|scootmobiel");
    assert_eq!(gap.matches("<circle").count(), PERIODS.len() - 1);
    assert!(
        gap.contains("2026-Q1: &lt;5"),
        "the title tells what the council sees"
    );
    let hidden = svg(&page, "GM0001|wachtlijst|hulp_bij_huishouden");
    assert_eq!(hidden.matches("<circle").count(), PERIODS.len() - 1);
    assert!(hidden.contains("2026-Q1: —"));
    // The last (report) quarter suppressed: no highlighted end point, and a break.
    let end = svg(&page, "GM0002|afgevangen|");
    assert_eq!(end.matches("<circle").count(), PERIODS.len() - 1);
    assert!(!end.contains("#c0504d"));
    // Scaled from zero to the largest shown value: the top point sits at the top margin.
    let y: Vec<f64> = full
        .split("cy=\"")
        .skip(1)
        .map(|s| s[..s.find('"').expect("quote")].parse().expect("number"))
        .collect();
    let top = y.iter().copied().fold(f64::MAX, f64::min);
    assert!((top - 2.5).abs() < 0.051, "top point at {top}");
}

#[test]
fn footnote_and_colophon() {
    let page = html(&sample());
    assert!(page.contains("Toelichting: afgeschermde cijfers"));
    assert!(page.contains("per gemeente (GM0001: t = 5, GM0002: t = 5, GM0003: t = 10)"));
    for word in ["primair", "secundair", "noemer", "aandeel", "nulmeting"] {
        assert!(page.contains(word), "footnote lacks {word}");
    }
    assert!(page.contains("<h2>Colofon</h2>"));
    assert!(page.contains(&format!("<dt>Gemaakt op</dt><dd>{GENERATED_AT}</dd>")));
    assert!(page.contains(&format!(
        "<dt>Gegevens tot en met</dt><dd>{DATA_UNTIL}</dd>"
    )));
    assert!(page.contains("<dt>Drempel per gemeente</dt><dd>GM0001: 5, GM0002: 5, GM0003: 10</dd>"));
    assert!(page.contains("<dt>Nationale variant</dt><dd>nee</dd>"));
    assert!(page.contains("<dt>Definities</dt><dd>domeinspecificatie v1.1, §3.5</dd>"));
    assert!(
        !page.contains("Nationale variant: drempel 10"),
        "not a national report"
    );

    let mut national = sample();
    national.report.national = true;
    national.report.threshold = Some(10);
    let page = html(&national);
    assert!(page.contains("<dt>Nationale variant</dt><dd>ja</dd>"));
    assert!(page.contains("Nationale variant: drempel 10"));
    assert!(page.contains("t = 10 voor het hele rapport"));
}

#[test]
fn strings_from_the_data_are_escaped() {
    let mut r = sample();
    for g in ["GM<b>&\"x\"", "GM0002"] {
        r.cells.push(Cell::new(
            g,
            "wmo",
            Q,
            "wachtlijst",
            Some("<script>alert(1)</script>"),
            Some(12.0),
            Kind::GroupCategory,
        ));
    }
    r.cells.push(Cell::new(
        "GM0002",
        "wmo",
        Q,
        "iets<i>nieuws",
        None,
        Some(55.0),
        Kind::Count,
    ));
    r.report.gemeenten.push("GM<b>&\"x\"".to_string());
    r.report.generated_at = "<img src=x onerror=alert(1)>".to_string();
    let page = html(&r);
    assert!(!page.to_lowercase().contains("<script"));
    assert!(!page.contains("GM<b>"));
    assert!(!page.contains("<img"));
    assert!(!page.contains("<i>nieuws"));
    assert!(page.contains("<td class=\"label\">&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
    assert!(page.contains("GM&lt;b&gt;&amp;&quot;x&quot;"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // An unknown indicator lands in its own section, labelled by its code.
    assert!(page.contains("Overige indicatoren</h2>"));
    assert!(page.contains("<td class=\"label\">iets&lt;i&gt;nieuws</td>"));
}

#[test]
fn without_a_baseline_one_column_per_gemeente_and_portrait() {
    let mut r = sample();
    r.report.baseline = None;
    r.cells
        .retain(|c| c.quarter != B && !c.indicator.ends_with("_verschil"));
    r.report.gemeenten.truncate(2);
    r.report.thresholds.remove("GM0003");
    let page = html(&r);
    assert!(page.contains("@page { size: A4; margin"));
    assert!(page.contains("<th class=\"g\" colspan=\"2\">GM0001</th>"));
    assert!(!page.contains("verschil"));
    assert!(!page.contains("GM0003"));
    assert_eq!(
        td(&page, "GM0002|afgevangen||2026-Q3"),
        "&lt;5<sup class=\"m\">P</sup>"
    );
    // A suppression letter still explains itself in the hover text.
    let c = cell(&r, "GM0002", Q, "afgevangen", None);
    assert_eq!(c.suppressed, Some(Suppression::Primary));
    assert!(page.contains(&format!(
        "title=\"Afgeschermd: {}\"",
        labels::suppression(Suppression::Primary)
    )));
}
