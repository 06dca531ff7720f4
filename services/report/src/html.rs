//! The council member's report: one self-contained, print-ready A4 HTML page
//! (inline CSS and SVG, no script, nothing loaded from elsewhere).

use std::collections::BTreeSet;
use std::fmt::Write;

use caseflow_core::disclosure::{Cell, Shown};
use caseflow_core::monitor::MonitorReport;

use crate::labels;
use crate::view::{figure, Line, View};

const STYLE: &str = r#"
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 8.5pt; color: #1a1a1a; margin: 0; line-height: 1.3; }
header { border-bottom: 0.6mm solid #1f4e79; padding-bottom: 2mm; margin-bottom: 2mm; }
h1 { font-size: 17pt; margin: 0 0 1mm; color: #1f4e79; }
.sub { margin: 0; font-size: 9.5pt; color: #333; }
.leeswijzer { font-size: 8pt; color: #333; margin: 2mm 0 0; }
h2 { font-size: 11.5pt; margin: 5mm 0 1.5mm; color: #1f4e79; border-bottom: 0.3mm solid #1f4e79; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10pt; margin: 4mm 0 1mm; }
table { border-collapse: collapse; width: 100%; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { padding: 0.7mm 1.4mm; border-bottom: 0.2mm solid #d4d4d4; vertical-align: middle; }
thead th { background: #eaf0f6; font-weight: bold; text-align: center; font-size: 8pt; }
th.label, td.label { text-align: left; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.nu { font-weight: bold; }
td.sup { color: #6b6b6b; }
td.na { color: #9a9a9a; }
sup.m { font-size: 6pt; font-weight: normal; color: #8a3b12; margin-left: 0.3mm; }
tr.cat td.label { padding-left: 5mm; color: #333; }
tr.head td { font-weight: bold; border-bottom: none; padding-top: 1.5mm; }
tr.total td.label, tr.ind td.label { font-weight: bold; }
.g { border-left: 0.3mm solid #9fb3c8; }
td.trend { width: 18mm; padding-top: 0.3mm; padding-bottom: 0.3mm; }
svg.spark { display: block; }
section.voetnoot, footer.colofon { font-size: 8pt; break-inside: avoid; page-break-inside: avoid; }
section.voetnoot ul { margin: 1mm 0; padding-left: 5mm; }
footer.colofon dl { display: grid; grid-template-columns: 45mm auto; gap: 0.5mm 3mm; margin: 1mm 0; }
footer.colofon dt { font-weight: bold; }
footer.colofon dd { margin: 0; }
@media screen { body { max-width: 280mm; margin: 8mm auto; padding: 0 6mm; } }
"#;

/// The report a council member reads: Dutch, A4, one section per theme.
pub fn html(report: &MonitorReport) -> String {
    let view = View::new(report);
    let meta = &report.report;
    let baseline = meta.baseline.as_deref();
    // Per gemeente: was / nu / verschil with a baseline, else nu; plus the trend.
    let per_gemeente = if baseline.is_some() { 4 } else { 2 };
    let columns = 1 + per_gemeente * meta.gemeenten.len();
    let landscape = per_gemeente * meta.gemeenten.len() > 6;
    let half =
        caseflow_core::monitor::ReportPeriod::parse(&meta.quarter).is_some_and(|p| p.is_half());
    let kind = if half {
        "Halfjaarmonitor"
    } else {
        "Kwartaalmonitor"
    };
    let title = format!(
        "{kind} {} — {}",
        labels::domein(&meta.domein),
        labels::period(&meta.quarter)
    );

    let mut o = String::with_capacity(64 * 1024);
    o.push_str("<!DOCTYPE html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(o, "<title>{}</title>", esc(&title));
    o.push_str("<style>\n");
    let _ = writeln!(
        o,
        "@page {{ size: A4{}; margin: 14mm 12mm 16mm 12mm; \
         @bottom-right {{ content: \"pagina \" counter(page) \" van \" counter(pages); font-family: \"DejaVu Sans\", Arial, sans-serif; font-size: 7pt; color: #666; }} }}",
        if landscape { " landscape" } else { "" }
    );
    o.push_str(STYLE);
    o.push_str("</style>\n</head>\n<body>\n");

    // Title block.
    o.push_str("<header>\n");
    let _ = writeln!(o, "<h1>{}</h1>", esc(&title));
    let mut sub = format!(
        "{} ({}) · {} {}",
        labels::period(&meta.quarter),
        meta.quarter,
        if meta.gemeenten.len() == 1 {
            "gemeente"
        } else {
            "gemeenten"
        },
        meta.gemeenten.join(", ")
    );
    if let (Some(first), Some(last)) = (meta.periods.first(), meta.periods.last()) {
        let _ = write!(sub, " · trend {first} t/m {last}");
    }
    if let Some(b) = baseline {
        let _ = write!(sub, " · nulmeting {b}");
    }
    let _ = writeln!(o, "<p class=\"sub\">{}</p>", esc(&sub));
    o.push_str("<p class=\"leeswijzer\">");
    if meta.gemeenten.len() > 1 {
        o.push_str("Per onderwerp staan de gemeenten naast elkaar. ");
    }
    o.push_str("Vetgedrukt is het cijfer van de verslagperiode");
    if baseline.is_some() {
        o.push_str(", met de nulmeting (was) en het verschil daarmee");
    }
    o.push_str(
        "; de lijntjes tonen het verloop over de trendperiode. \
         Cijfers die tot personen herleidbaar kunnen zijn, zijn afgeschermd (zie de toelichting achteraan).</p>\n",
    );
    o.push_str("</header>\n");

    for (n, section) in view.sections.iter().enumerate() {
        let _ = writeln!(
            o,
            "<section class=\"thema\">\n<h2>{}. {}</h2>",
            n + 1,
            esc(section.theme.title)
        );
        o.push_str("<table>\n<thead>\n<tr><th class=\"label\" rowspan=\"2\">Indicator</th>");
        for g in &meta.gemeenten {
            let _ = write!(
                o,
                "<th class=\"g\" colspan=\"{per_gemeente}\">{}</th>",
                esc(g)
            );
        }
        o.push_str("</tr>\n<tr>");
        for _ in &meta.gemeenten {
            if let Some(b) = baseline {
                let _ = write!(o, "<th class=\"g\">was<br>{}</th>", esc(b));
                let _ = write!(o, "<th>nu<br>{}</th>", esc(&meta.quarter));
                o.push_str("<th>verschil</th>");
                o.push_str("<th>trend</th>");
            } else {
                let _ = write!(o, "<th class=\"g\">{}</th>", esc(&meta.quarter));
                o.push_str("<th>trend</th>");
            }
        }
        o.push_str("</tr>\n</thead>\n<tbody>\n");
        for line in &section.lines {
            match *line {
                Line::Heading(_) => {
                    let _ = writeln!(
                        o,
                        "<tr class=\"head\"><td class=\"label\" colspan=\"{columns}\">{}</td></tr>",
                        esc(line.label())
                    );
                }
                Line::Row {
                    indicator,
                    category,
                } => {
                    let class = if line.is_category() {
                        "cat"
                    } else if category.is_some() {
                        "total"
                    } else {
                        "ind"
                    };
                    let _ = write!(
                        o,
                        "<tr class=\"{class}\"><td class=\"label\">{}</td>",
                        esc(line.label())
                    );
                    for g in &meta.gemeenten {
                        if let Some(b) = baseline {
                            value_td(&mut o, view.cell(g, b, indicator, category), "g");
                            value_td(
                                &mut o,
                                view.cell(g, &meta.quarter, indicator, category),
                                "nu",
                            );
                            value_td(&mut o, view.verschil(g, indicator, category), "");
                        } else {
                            value_td(
                                &mut o,
                                view.cell(g, &meta.quarter, indicator, category),
                                "g nu",
                            );
                        }
                        let points: Vec<Option<&Cell>> = meta
                            .periods
                            .iter()
                            .map(|p| view.cell(g, p, indicator, category))
                            .collect();
                        o.push_str("<td class=\"trend\">");
                        sparkline(
                            &mut o,
                            &meta.periods,
                            &points,
                            &format!("{g}|{indicator}|{}", category.unwrap_or("")),
                        );
                        o.push_str("</td>");
                    }
                    o.push_str("</tr>\n");
                }
            }
        }
        o.push_str("</tbody>\n</table>\n</section>\n");
    }

    footnote(&mut o, report);
    colophon(&mut o, report);
    o.push_str("</body>\n</html>\n");
    o
}

/// One figure's cell: the shown text and, when suppressed, its footnote mark.
/// `data-cell` names the cell (gemeente|indicator|category|period) for readers
/// and tests; the cell's true value is never written.
fn value_td(o: &mut String, cell: Option<&Cell>, class: &str) {
    let Some(c) = cell else {
        let _ = write!(o, "<td class=\"num na {class}\"></td>");
        return;
    };
    let f = figure(c);
    let key = format!(
        "{}|{}|{}|{}",
        c.gemeente,
        c.indicator,
        c.category.as_deref().unwrap_or(""),
        c.quarter
    );
    match (f.suppressed, c.shown) {
        (Some(s), _) => {
            let _ = write!(
                o,
                "<td class=\"num sup {class}\" data-cell=\"{}\" title=\"Afgeschermd: {}\">{}<sup class=\"m\">{}</sup></td>",
                esc(&key),
                labels::suppression(s),
                esc(&f.text),
                labels::suppression_mark(s)
            );
        }
        (None, Shown::Hidden) => {
            let _ = write!(
                o,
                "<td class=\"num na {class}\" data-cell=\"{}\" title=\"Niet te berekenen\">{}</td>",
                esc(&key),
                esc(&f.text)
            );
        }
        (None, _) => {
            let _ = write!(
                o,
                "<td class=\"num {class}\" data-cell=\"{}\">{}</td>",
                esc(&key),
                esc(&f.text)
            );
        }
    }
}

const SPARK_W: f64 = 64.0;
const SPARK_H: f64 = 18.0;
const SPARK_PAD: f64 = 2.5;

/// A small line chart of the shown numbers over the trend periods. A period
/// that is not shown as a number is left out (the line breaks there).
fn sparkline(o: &mut String, periods: &[String], cells: &[Option<&Cell>], key: &str) {
    let points: Vec<Option<f64>> = cells
        .iter()
        .map(|c| match c.map(|c| c.shown) {
            Some(Shown::Number(x)) if x.is_finite() => Some(x),
            _ => None,
        })
        .collect();
    let title: Vec<String> = periods
        .iter()
        .zip(cells)
        .map(|(p, c)| {
            format!(
                "{p}: {}",
                c.map_or_else(|| "geen cijfer".to_string(), |c| figure(c).text)
            )
        })
        .collect();
    let title = title.join(" · ");

    let shown: Vec<f64> = points.iter().flatten().copied().collect();
    let (lo, hi) = scale(&shown);
    let n = points.len();
    let x = |i: usize| {
        if n <= 1 {
            SPARK_W / 2.0
        } else {
            SPARK_PAD + i as f64 * (SPARK_W - 2.0 * SPARK_PAD) / (n - 1) as f64
        }
    };
    let y = |v: f64| SPARK_H - SPARK_PAD - (v - lo) / (hi - lo) * (SPARK_H - 2.0 * SPARK_PAD);

    let _ = write!(
        o,
        "<svg class=\"spark\" width=\"{SPARK_W}\" height=\"{SPARK_H}\" viewBox=\"0 0 {SPARK_W} {SPARK_H}\" role=\"img\" aria-label=\"{t}\" data-trend=\"{k}\"><title>{t}</title>",
        t = esc(&title),
        k = esc(key)
    );
    let _ = write!(
        o,
        "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#c8c8c8\" stroke-width=\"0.5\"/>",
        SPARK_PAD,
        SPARK_H - 0.5,
        SPARK_W - SPARK_PAD,
        SPARK_H - 0.5
    );
    // One polyline per run of consecutive shown periods.
    let mut run: Vec<(f64, f64)> = Vec::new();
    let flush = |o: &mut String, run: &mut Vec<(f64, f64)>| {
        if run.len() >= 2 {
            let pts: Vec<String> = run.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
            let _ = write!(
                o,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f4e79\" stroke-width=\"1.2\"/>",
                pts.join(" ")
            );
        }
        run.clear();
    };
    for (i, p) in points.iter().enumerate() {
        match p {
            Some(v) => run.push((x(i), y(*v))),
            None => flush(o, &mut run),
        }
    }
    flush(o, &mut run);
    for (i, p) in points.iter().enumerate() {
        if let Some(v) = p {
            let last = i + 1 == n;
            let _ = write!(
                o,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{}\" fill=\"{}\"/>",
                x(i),
                y(*v),
                if last { "1.8" } else { "1.1" },
                if last { "#c0504d" } else { "#1f4e79" }
            );
        }
    }
    o.push_str("</svg>");
}

/// The y-range of a trend line: from the smallest to the largest shown value,
/// widened to at least a fifth of the largest magnitude so that small wobbles
/// in large figures do not look like swings.
fn scale(shown: &[f64]) -> (f64, f64) {
    let lo = shown.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = shown.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let min_range = (0.2 * lo.abs().max(hi.abs())).max(1e-9);
    if hi - lo >= min_range {
        return (lo, hi);
    }
    let mid = (lo + hi) / 2.0;
    (mid - min_range / 2.0, mid + min_range / 2.0)
}

fn thresholds_text(report: &MonitorReport) -> String {
    let meta = &report.report;
    let distinct: BTreeSet<u32> = meta.thresholds.values().copied().collect();
    match (meta.threshold, distinct.len()) {
        (Some(t), _) => format!("t = {t} voor het hele rapport"),
        (None, 1) => format!("t = {}", distinct.iter().next().copied().unwrap_or(5)),
        _ => {
            let parts: Vec<String> = meta
                .thresholds
                .iter()
                .map(|(g, t)| format!("{g}: t = {t}"))
                .collect();
            format!("per gemeente ({})", parts.join(", "))
        }
    }
}

fn footnote(o: &mut String, report: &MonitorReport) {
    let meta = &report.report;
    o.push_str("<section class=\"voetnoot\">\n<h2>Toelichting: afgeschermde cijfers</h2>\n");
    let _ = writeln!(
        o,
        "<p>Geen cijfer in dit rapport mag herleidbaar zijn tot een persoon. Daarom geldt een drempel t ({}).</p>",
        esc(&thresholds_text(report))
    );
    o.push_str("<ul>\n");
    o.push_str(
        "<li><b>&lt;t</b> <sup class=\"m\">P</sup> primair: een aantal van 1 tot en met t&#8722;1 wordt niet \
         getoond, alleen als &#8220;&lt;t&#8221; (bijvoorbeeld &lt;5). Nul wordt wel getoond.</li>\n",
    );
    o.push_str(
        "<li><b>&#8212;</b> <sup class=\"m\">S</sup> secundair: is in een uitsplitsing met een getoond totaal \
         precies één categorie afgeschermd, dan is ook de kleinste andere categorie (groter dan nul) \
         afgeschermd. Anders zou het afgeschermde aantal uit het totaal terug te rekenen zijn.</li>\n",
    );
    o.push_str(
        "<li><b>&#8212;</b> <sup class=\"m\">N</sup> noemer: een aandeel, gemiddelde of percentiel over minder \
         dan t gevallen wordt niet getoond.</li>\n",
    );
    o.push_str(
        "<li><b>&#8212;</b> <sup class=\"m\">A</sup> aandeel: een aandeel k van n wordt ook niet getoond als k \
         of n&#8722;k tussen 1 en t&#8722;1 ligt, want samen met n zou het dat kleine aantal prijsgeven.</li>\n",
    );
    if meta.baseline.is_some() {
        o.push_str(
            "<li>Een verschil met de nulmeting wordt alleen getoond als het cijfer van beide perioden getoond \
             wordt; anders draagt het de letter van het afgeschermde cijfer. Voor aandelen en \
             formatie wordt geen verschil berekend: dat vak is leeg.</li>\n",
        );
    }
    o.push_str("<li><b>&#8212;</b> zonder letter: niet te berekenen (geen waarnemingen in de periode).</li>\n");
    if meta.national {
        o.push_str(
            "<li>Nationale variant: drempel 10, en elk getoond aantal van 10 of meer is afgerond op een \
             veelvoud van 5. Aandelen en statistieken zijn berekend met de niet-afgeronde aantallen.</li>\n",
        );
    }
    o.push_str(
        "<li>De trendlijnen tonen alleen getoonde cijfers: een afgeschermde periode ontbreekt in de lijn. \
         Formatie en capaciteit gaan over medewerkers, niet over cliënten, en worden nooit afgeschermd.</li>\n",
    );
    o.push_str("</ul>\n</section>\n");
}

fn colophon(o: &mut String, report: &MonitorReport) {
    let meta = &report.report;
    o.push_str("<footer class=\"colofon\">\n<h2>Colofon</h2>\n<dl>\n");
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(o, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    };
    row("Domein", labels::domein(&meta.domein));
    row(
        "Verslagperiode",
        &format!("{} ({})", labels::period(&meta.quarter), meta.quarter),
    );
    row("Trendperioden", &meta.periods.join(", "));
    row("Nulmeting", meta.baseline.as_deref().unwrap_or("geen"));
    row("Gemaakt op", &meta.generated_at);
    row(
        "Gegevens tot en met",
        meta.data_until.as_deref().unwrap_or("geen gegevens"),
    );
    let per: Vec<String> = meta
        .gemeenten
        .iter()
        .map(|g| match meta.thresholds.get(g) {
            Some(t) => format!("{g}: {t}"),
            None => format!("{g}: niet opgegeven"),
        })
        .collect();
    row("Drempel per gemeente", &per.join(", "));
    row(
        "Drempel voor het rapport",
        &meta.threshold.map_or_else(
            || "niet opgegeven (per gemeente ingesteld)".to_string(),
            |t| t.to_string(),
        ),
    );
    row(
        "Nationale variant",
        if meta.national { "ja" } else { "nee" },
    );
    row("Definities", "domeinspecificatie v1.1, §3.5");
    o.push_str("</dl>\n</footer>\n");
}

/// Escape text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{esc, scale};

    #[test]
    fn trend_scale_spans_the_values_but_not_less_than_a_fifth() {
        assert_eq!(scale(&[10.0, 50.0, 30.0]), (10.0, 50.0));
        let (lo, hi) = scale(&[250.0, 252.0, 254.0]);
        assert!((hi - lo - 50.8).abs() < 1e-9, "{lo}..{hi}");
        assert!((lo + hi) / 2.0 == 252.0);
        assert_eq!(scale(&[]), (0.0, 1.0));
        let (lo, hi) = scale(&[0.0, 0.0]);
        assert!(hi > lo);
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>a&b</script>"),
            "&lt;script&gt;a&amp;b&lt;/script&gt;"
        );
        assert_eq!(esc("\"x'"), "&quot;x&#39;");
    }
}
