mod common;

use caseflow_core::disclosure::{Cell, Shown};
use caseflow_report::{csv, labels, COLUMNS};
use common::sample;

/// Check the parsed rows against the cells, `decimal` being the decimal separator.
fn check_rows(cells: &[Cell], rows: &[csv::StringRecord], decimal: char) {
    assert_eq!(rows.len(), cells.len(), "one row per cell");
    let num = |s: &str| -> f64 {
        assert!(
            !s.contains(if decimal == ',' { '.' } else { ',' }),
            "wrong decimal separator in {s}"
        );
        s.replace(decimal, ".")
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {s}"))
    };
    for (c, r) in cells.iter().zip(rows) {
        assert_eq!(&r[0], c.gemeente);
        assert_eq!(&r[1], c.domein);
        assert_eq!(&r[2], c.quarter);
        assert_eq!(&r[3], c.indicator);
        assert_eq!(&r[4], c.category.as_deref().unwrap_or(""));
        match c.value {
            Some(v) => assert_eq!(num(&r[5]), v, "value of {c:?}"),
            None => assert_eq!(&r[5], ""),
        }
        match c.shown {
            Shown::Number(x) => assert_eq!(num(&r[6]), x),
            Shown::Below(t) => assert_eq!(&r[6], format!("<{t}")),
            Shown::Hidden => assert_eq!(&r[6], ""),
        }
        assert_eq!(
            &r[7],
            c.suppressed.map(labels::suppression_code).unwrap_or("")
        );
    }
}

#[test]
fn plain_csv_reads_back_to_the_cells() {
    let r = sample();
    let text = csv(&r, false);
    assert!(!text.starts_with('\u{FEFF}'));
    assert!(text.starts_with("gemeente,domein,quarter,indicator,category,value,shown,suppressed\n"));
    let mut rd = ::csv::ReaderBuilder::new().from_reader(text.as_bytes());
    assert_eq!(
        rd.headers().expect("header").iter().collect::<Vec<_>>(),
        COLUMNS
    );
    let rows: Vec<_> = rd.records().collect::<Result<_, _>>().expect("parses");
    check_rows(&r.cells, &rows, '.');
    assert!(
        text.contains(",0.734,0.734,\n"),
        "a share as a plain decimal"
    );
    assert!(
        text.contains(",3,<5,primary\n"),
        "a primary cell keeps its true value for analysts"
    );
}

#[test]
fn dutch_csv_has_bom_semicolons_and_decimal_commas() {
    let r = sample();
    let text = csv(&r, true);
    let body = text.strip_prefix('\u{FEFF}').expect("UTF-8 BOM");
    assert!(body.starts_with("gemeente;domein;quarter;indicator;category;value;shown;suppressed\n"));
    assert!(body.contains(";0,734;0,734;\n"), "decimal comma");
    assert!(body.contains(";40,914;40,914;\n"));
    let mut rd = ::csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(body.as_bytes());
    let rows: Vec<_> = rd.records().collect::<Result<_, _>>().expect("parses");
    check_rows(&r.cells, &rows, ',');
}

#[test]
fn fields_with_separators_are_quoted() {
    let mut r = sample();
    r.cells.truncate(1);
    r.cells[0].category = Some("a,b;c \"d\"".into());
    for dutch in [false, true] {
        let text = csv(&r, dutch);
        let body = text.trim_start_matches('\u{FEFF}');
        let mut rd = ::csv::ReaderBuilder::new()
            .delimiter(if dutch { b';' } else { b',' })
            .from_reader(body.as_bytes());
        let rows: Vec<_> = rd.records().collect::<Result<_, _>>().expect("parses");
        assert_eq!(&rows[0][4], "a,b;c \"d\"");
    }
}
