mod common;

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Range, Reader, Xlsx};
use caseflow_core::disclosure::Shown;
use caseflow_report::{labels, xlsx, COLUMNS};
use common::{cell, sample, Q};

fn open(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).expect("a readable workbook")
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

#[test]
fn cellen_sheet_holds_every_cell_with_numbers_as_numbers() {
    let r = sample();
    let mut wb = open(xlsx(&r).expect("xlsx"));
    let names = wb.sheet_names();
    for s in [
        "Instroom en uitstroom",
        "Tijdigheid",
        "Wachtlijst",
        "Voorzieningen en cliënten",
        "Casusregie",
        "Periodiek onderzoek",
        "Formatie en capaciteit",
        "Cellen",
    ] {
        assert!(names.iter().any(|n| n == s), "sheet {s} missing: {names:?}");
    }
    for n in &names {
        assert!(n.chars().count() <= 31);
    }
    let range: Range<Data> = wb.worksheet_range("Cellen").expect("Cellen");
    let rows: Vec<&[Data]> = range.rows().collect();
    let header: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(header, COLUMNS);
    assert_eq!(rows.len() - 1, r.cells.len());
    let mut below = 0;
    for (c, row) in r.cells.iter().zip(&rows[1..]) {
        assert_eq!(text(&row[0]), c.gemeente);
        assert_eq!(text(&row[3]), c.indicator);
        assert_eq!(text(&row[4]), c.category.clone().unwrap_or_default());
        match (c.value, &row[5]) {
            (Some(v), Data::Float(x)) => assert_eq!(*x, v, "{c:?}"),
            (None, Data::Empty) => {}
            (v, d) => panic!("value {v:?} written as {d:?}"),
        }
        match (c.shown, row.get(6).unwrap_or(&Data::Empty)) {
            (Shown::Number(v), Data::Float(x)) => assert_eq!(*x, v),
            (Shown::Below(t), Data::String(s)) => {
                assert_eq!(*s, format!("<{t}"));
                below += 1;
            }
            (Shown::Hidden, Data::Empty) => {}
            (s, d) => panic!("shown {s:?} written as {d:?}"),
        }
        let sup = row.get(7).map(text).unwrap_or_default();
        assert_eq!(
            sup,
            c.suppressed.map(labels::suppression_code).unwrap_or("")
        );
    }
    assert!(below >= 4, "the sample has <t cells ({below})");
}

#[test]
fn theme_sheets_show_what_the_council_sees() {
    let r = sample();
    let mut wb = open(xlsx(&r).expect("xlsx"));
    let range = wb.worksheet_range("Instroom en uitstroom").expect("sheet");
    let rows: Vec<&[Data]> = range.rows().collect();
    let header: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(header[0], "Indicator");
    let col = |h: &str| {
        header
            .iter()
            .position(|x| x == h)
            .unwrap_or_else(|| panic!("no column {h}: {header:?}"))
    };
    let row = |label: &str, cat: &str| {
        *rows
            .iter()
            .find(|r| text(&r[0]) == label && text(&r[1]) == cat)
            .unwrap_or_else(|| panic!("no row {label}/{cat}"))
    };
    let afgevangen = row(labels::indicator("afgevangen"), "");
    assert_eq!(
        afgevangen[col(&format!("GM0002 {Q}"))],
        Data::String("<5".into())
    );
    assert_eq!(afgevangen[col(&format!("GM0001 {Q}"))], Data::Float(367.0));
    let ratio = row(labels::indicator("afvangratio"), "");
    assert_eq!(
        ratio[col(&format!("GM0002 {Q}"))],
        Data::Empty,
        "a hidden share is empty, not its value"
    );
    assert_eq!(ratio[col(&format!("GM0001 {Q}"))], Data::Float(0.734));
    let herindicatie = row(labels::indicator("aanvragen"), "Herindicatie");
    assert_eq!(
        herindicatie[col(&format!("GM0002 {Q}"))],
        Data::Empty,
        "secondary suppression"
    );
    let meldingen = row("Meldingen", "");
    let verschil = meldingen[col(&format!("GM0001 verschil {Q} t.o.v. 2025-Q3"))].clone();
    let expected = cell(&r, "GM0001", Q, "meldingen", None).value.expect("v")
        - cell(&r, "GM0001", "2025-Q3", "meldingen", None)
            .value
            .expect("v");
    assert_eq!(verschil, Data::Float(expected));
    // No theme sheet holds a suppressed cell's true value.
    for name in wb.sheet_names().into_iter().filter(|n| n != "Cellen") {
        let range = wb.worksheet_range(&name).expect("sheet");
        for d in range.used_cells() {
            if let Data::Float(x) = d.2 {
                assert!(
                    ![
                        3.0,
                        17.0,
                        4321.0,
                        987.65,
                        876.5,
                        38.0,
                        28.0 / 31.0,
                        3.0 / 86.0,
                        0.25
                    ]
                    .contains(x),
                    "{name} holds {x}"
                );
            }
        }
    }
}
