//! The analyst's formats: CSV (plain or for Dutch Excel), XLSX, and a table
//! for the terminal.

use caseflow_core::disclosure::{Cell, Shown};
use caseflow_core::monitor::MonitorReport;
use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, Table};
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use crate::labels::{self, Unit};
use crate::view::{figure, Line, View};
use crate::ReportError;

/// The columns of the CSV and of the XLSX "Cellen" sheet.
pub const COLUMNS: [&str; 8] = [
    "gemeente",
    "domein",
    "quarter",
    "indicator",
    "category",
    "value",
    "shown",
    "suppressed",
];

/// A number as plain text: integers without a fraction, the rest in the
/// shortest form that reads back to the same number.
fn plain(x: f64, dutch: bool) -> String {
    let s = if x.fract() == 0.0 && x.abs() < 9.0e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    };
    if dutch {
        s.replace('.', ",")
    } else {
        s
    }
}

/// One row per cell. `dutch`: `;` between fields, a decimal comma and a UTF-8
/// byte order mark, so Dutch Excel opens it directly.
pub fn csv(report: &MonitorReport, dutch: bool) -> String {
    let mut w = ::csv::WriterBuilder::new()
        .delimiter(if dutch { b';' } else { b',' })
        .from_writer(Vec::new());
    // Writing into memory cannot fail.
    w.write_record(COLUMNS).expect("in-memory csv");
    for c in &report.cells {
        let value = c.value.map(|v| plain(v, dutch)).unwrap_or_default();
        let shown = match c.shown {
            Shown::Number(x) => plain(x, dutch),
            Shown::Below(t) => format!("<{t}"),
            Shown::Hidden => String::new(),
        };
        let suppressed = c.suppressed.map(labels::suppression_code).unwrap_or("");
        w.write_record([
            c.gemeente.as_str(),
            c.domein.as_str(),
            c.quarter.as_str(),
            c.indicator.as_str(),
            c.category.as_deref().unwrap_or(""),
            &value,
            &shown,
            suppressed,
        ])
        .expect("in-memory csv");
    }
    let bytes = w.into_inner().expect("in-memory csv");
    let body = String::from_utf8(bytes).expect("csv of UTF-8 strings is UTF-8");
    if dutch {
        format!("\u{FEFF}{body}")
    } else {
        body
    }
}

fn number_format(unit: Unit) -> Format {
    Format::new().set_num_format(match unit {
        Unit::Count => "#,##0",
        Unit::Share => "0.0%",
        Unit::Days => "0.0",
        Unit::Staff => "0.00",
    })
}

/// Write what a cell shows: its number, its `"<t"` as text, or nothing.
fn write_shown(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: Option<&Cell>,
) -> Result<(), ReportError> {
    let Some(c) = cell else { return Ok(()) };
    match c.shown {
        Shown::Number(x) => {
            ws.write_number_with_format(row, col, x, &number_format(labels::unit(&c.indicator)))?;
        }
        Shown::Below(t) => {
            ws.write_string(row, col, format!("<{t}"))?;
        }
        Shown::Hidden => {}
    }
    Ok(())
}

/// One sheet per theme with the shown figures (the council's view), and a
/// "Cellen" sheet with every cell, true value included.
pub fn xlsx(report: &MonitorReport) -> Result<Vec<u8>, ReportError> {
    let view = View::new(report);
    let meta = &report.report;
    let bold = Format::new().set_bold();
    let mut wb = Workbook::new();

    for section in &view.sections {
        let ws = wb.add_worksheet();
        ws.set_name(section.theme.sheet)?;
        ws.write_string_with_format(0, 0, "Indicator", &bold)?;
        ws.write_string_with_format(0, 1, "Categorie", &bold)?;
        let mut col: u16 = 2;
        for g in &meta.gemeenten {
            if let Some(b) = &meta.baseline {
                ws.write_string_with_format(0, col, format!("{g} nulmeting {b}"), &bold)?;
                col += 1;
            }
            for p in &meta.periods {
                ws.write_string_with_format(0, col, format!("{g} {p}"), &bold)?;
                col += 1;
            }
            if let Some(b) = &meta.baseline {
                ws.write_string_with_format(
                    0,
                    col,
                    format!("{g} verschil {} t.o.v. {b}", meta.quarter),
                    &bold,
                )?;
                col += 1;
            }
        }
        let mut row: u32 = 1;
        for line in &section.lines {
            let Line::Row {
                indicator,
                category,
            } = *line
            else {
                continue;
            };
            ws.write_string(row, 0, labels::indicator(indicator))?;
            if let Some(c) = category {
                ws.write_string(row, 1, labels::category(c))?;
            }
            let mut col: u16 = 2;
            for g in &meta.gemeenten {
                if let Some(b) = &meta.baseline {
                    write_shown(ws, row, col, view.cell(g, b, indicator, category))?;
                    col += 1;
                }
                for p in &meta.periods {
                    write_shown(ws, row, col, view.cell(g, p, indicator, category))?;
                    col += 1;
                }
                if meta.baseline.is_some() {
                    write_shown(ws, row, col, view.verschil(g, indicator, category))?;
                    col += 1;
                }
            }
            row += 1;
        }
        ws.set_freeze_panes(1, 2)?;
        ws.autofit();
    }

    let ws = wb.add_worksheet();
    ws.set_name("Cellen")?;
    for (i, h) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    for (i, c) in report.cells.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_string(row, 0, &c.gemeente)?;
        ws.write_string(row, 1, &c.domein)?;
        ws.write_string(row, 2, &c.quarter)?;
        ws.write_string(row, 3, &c.indicator)?;
        if let Some(cat) = &c.category {
            ws.write_string(row, 4, cat)?;
        }
        if let Some(v) = c.value {
            ws.write_number(row, 5, v)?;
        }
        match c.shown {
            Shown::Number(x) => {
                ws.write_number(row, 6, x)?;
            }
            Shown::Below(t) => {
                ws.write_string(row, 6, format!("<{t}"))?;
            }
            Shown::Hidden => {}
        }
        if let Some(s) = c.suppressed {
            ws.write_string(row, 7, labels::suppression_code(s))?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, report.cells.len() as u32, COLUMNS.len() as u16 - 1)?;
    ws.autofit();

    Ok(wb.save_to_buffer()?)
}

/// A readable terminal table per theme: rows are indicators and categories,
/// columns the gemeenten, each showing the report quarter's shown figure.
pub fn table(report: &MonitorReport) -> String {
    let view = View::new(report);
    let meta = &report.report;
    let mut out = format!(
        "Monitor {} — {} ({})\n",
        labels::domein(&meta.domein),
        labels::period(&meta.quarter),
        meta.quarter
    );
    for section in &view.sections {
        out.push_str(&format!("\n{}\n", section.theme.title));
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        let mut header = vec!["Indicator".to_string()];
        header.extend(meta.gemeenten.iter().cloned());
        t.set_header(header);
        for i in 1..=meta.gemeenten.len() {
            if let Some(c) = t.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        for line in &section.lines {
            let label = if line.is_category() {
                format!("  {}", line.label())
            } else {
                line.label().to_string()
            };
            let mut row = vec![label];
            if let Line::Row {
                indicator,
                category,
            } = *line
            {
                for g in &meta.gemeenten {
                    row.push(
                        view.cell(g, &meta.quarter, indicator, category)
                            .map(mark)
                            .unwrap_or_default(),
                    );
                }
            }
            t.add_row(row);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    out.push_str(
        "\n<t: klein aantal, niet getoond; —: niet getoond (P primair, S secundair, N noemer te klein, \
         A aandeel geeft klein aantal prijs; zonder letter: niet te berekenen).\n",
    );
    out
}

/// A shown figure with its suppression letter.
fn mark(c: &Cell) -> String {
    let f = figure(c);
    match f.suppressed {
        Some(s) => format!("{} {}", f.text, labels::suppression_mark(s)),
        None => f.text,
    }
}
