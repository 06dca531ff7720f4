//! End to end: the quarterly council monitor (spec §3.5) as a user gets it.
//!
//! One simulated stream (three gemeenten, Oct 2025 – Nov 2026) is ingested once
//! into SQLite and shared by every test. The report for 2026-Q3 with baseline
//! 2025-Q4 is asked from the CLI and the API and computed by the in-memory
//! reference (`report_from_log`); PostgreSQL must give the same cells. The PDF
//! (one Chromium run), HTML, XLSX and CSV must hold the JSON's figures, and bad
//! parameters are refused by name on both surfaces, never with a 5xx or a report.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;
use std::sync::OnceLock;

use caseflow_core::config::Config;
use caseflow_core::event::Event;
use caseflow_core::model::MemoryLog;
use caseflow_core::monitor::{report_from_log, MonitorParams};
use caseflow_tests::pg::PgServer;
use caseflow_tests::{caseflow, Server, TempDir};
use serde_json::Value;

mod support;

/// The simulator's first three gemeenten, in the order the report puts them.
const GEMEENTEN: [&str; 3] = ["GM0935", "GM0344", "GM0363"];
const QUARTER: &str = "2026-Q3";
const BASELINE: &str = "2025-Q4";
/// The default disclosure threshold (no config file is given).
const THRESHOLD: f64 = 5.0;

/// Every indicator of §3.5's table.
const INDICATORS: &[&str] = &[
    "meldingen",
    "doorgezet",
    "afgevangen",
    "toegewezen",
    "zorg_gestart",
    "aanvragen",
    "beschikkingen",
    "po_uitgevoerd",
    "uitstroom",
    "afvangratio",
    "leadtime_n",
    "leadtime_mean",
    "leadtime_p50",
    "leadtime_p90",
    "binnen_norm",
    "instroom",
    "actieve_voorzieningen",
    "actieve_clienten",
    "wachtlijst",
    "wachtlijst_leeftijd_mean",
    "wachtlijst_leeftijd_p50",
    "wachtlijst_leeftijd_max",
    "casusregie_n",
    "casusregie_een_consulent",
    "po_status",
    "fte",
    "per_fte_nieuw",
    "per_fte_po",
    "per_fte_aanvragen",
    "benodigde_fte",
    "capaciteit",
];
const SHARES: &[&str] = &["afvangratio", "binnen_norm", "casusregie_een_consulent"];
const STATISTICS: &[&str] = &[
    "leadtime_mean",
    "leadtime_p50",
    "leadtime_p90",
    "wachtlijst_leeftijd_mean",
    "wachtlijst_leeftijd_p50",
    "wachtlijst_leeftijd_max",
];
const STAFF: &[&str] = &[
    "fte",
    "per_fte_nieuw",
    "per_fte_po",
    "per_fte_aanvragen",
    "benodigde_fte",
    "capaciteit",
];

/// The Dutch section titles a council member reads.
const SECTION_TITLES: &[&str] = &[
    "Instroom, doorstroom en uitstroom",
    "Tijdigheid (wettelijke termijnen)",
    "Wachtlijst",
    "Voorzieningen en cliënten",
    "Casusregie",
    "Periodiek onderzoek",
    "Formatie en capaciteit",
];

/// The shared stream and the SQLite database holding it.
struct Data {
    stream: support::Stream,
    sqlite: String,
    accepted: u64,
}

fn data() -> &'static Data {
    static D: OnceLock<Data> = OnceLock::new();
    D.get_or_init(|| {
        let stream = support::simulate(
            "monitor",
            &[
                "--gemeenten",
                "3",
                "--scale",
                "0.3",
                "--from",
                "2025-10-01",
                "--to",
                "2026-11-30",
            ],
        );
        let sqlite = format!("sqlite://{}/caseflow.db", stream.dir.0.display());
        let counts = support::ingest(&sqlite, &stream.file);
        let accepted = counts["accepted"].as_u64().expect("accepted count");
        assert!(
            accepted > 50_000 && counts["rejected"].as_u64().unwrap() > 0,
            "the simulated stream is substantial and has bad lines: {counts}"
        );
        Data {
            stream,
            sqlite,
            accepted,
        }
    })
}

fn gemeenten() -> String {
    GEMEENTEN.join(",")
}

/// The report's parameters on the command line.
fn report_args() -> Vec<String> {
    [
        "--gemeente",
        &gemeenten(),
        "--domein",
        "wmo",
        "--quarter",
        QUARTER,
        "--baseline",
        BASELINE,
    ]
    .map(str::to_string)
    .to_vec()
}

/// The same parameters as a query string.
fn report_query() -> String {
    format!(
        "gemeente={}&domein=wmo&quarter={QUARTER}&baseline={BASELINE}",
        gemeenten()
    )
}

/// `caseflow report monitor ARGS`.
fn monitor(db: &str, args: &[String]) -> Output {
    caseflow(db)
        .args(["report", "monitor"])
        .args(args)
        .output()
        .expect("run caseflow report monitor")
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The report as JSON from the CLI.
fn cli_json(db: &str) -> Value {
    let mut args = report_args();
    args.push("--json".into());
    let out = monitor(db, &args);
    ok(&out, "report monitor --json");
    serde_json::from_slice(&out.stdout).expect("--json prints JSON")
}

/// The report made by the in-memory reference from the stream itself.
fn reference() -> Value {
    let d = data();
    let text = std::fs::read(&d.stream.file).expect("read the stream");
    let log = MemoryLog::from_events(
        text.split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .filter_map(|l| Event::from_json_bytes(l).ok()),
    );
    assert_eq!(
        log.events().len() as u64,
        d.accepted,
        "the reference admits the events the database accepted"
    );
    let req = MonitorParams {
        gemeente: Some(gemeenten()),
        domein: Some("wmo".into()),
        quarter: Some(QUARTER.into()),
        baseline: Some(BASELINE.into()),
        ..Default::default()
    }
    .parse()
    .expect("valid parameters");
    let report = report_from_log(&log, &req, &Config::default(), chrono::Utc::now())
        .expect("the reference report");
    serde_json::to_value(&report).expect("a report serializes")
}

fn cells(report: &Value) -> &Vec<Value> {
    report["cells"].as_array().expect("cells is an array")
}

/// The `report` object without `generated_at` (a wall-clock time).
fn meta(report: &Value) -> Value {
    let mut m = report["report"].clone();
    let obj = m.as_object_mut().expect("report is an object");
    assert!(
        obj.remove("generated_at").is_some(),
        "report has generated_at"
    );
    m
}

/// Two reports have the same parameters and the same cells, in the same order.
fn assert_same_report(got: &Value, want: &Value, what: &str) {
    assert_eq!(meta(got), meta(want), "{what}: the report object");
    let (g, w) = (cells(got), cells(want));
    if let Some((i, (a, b))) = g.iter().zip(w).enumerate().find(|(_, (a, b))| a != b) {
        panic!("{what}: cell {i} differs: {a} vs {b}");
    }
    assert_eq!(g.len(), w.len(), "{what}: number of cells");
}

fn key(c: &Value) -> (String, String, String, Option<String>) {
    (
        c["gemeente"].as_str().unwrap().to_string(),
        c["quarter"].as_str().unwrap().to_string(),
        c["indicator"].as_str().unwrap().to_string(),
        c["category"].as_str().map(str::to_string),
    )
}

/// Disclosure control (§3.5) checked on the JSON itself.
fn assert_disclosure(report: &Value) {
    let cells = cells(report);
    let by_key: BTreeMap<_, &Value> = cells.iter().map(|c| (key(c), c)).collect();
    assert_eq!(by_key.len(), cells.len(), "no two cells share a key");
    let below = format!("<{THRESHOLD}");
    for c in cells {
        let ind = c["indicator"].as_str().unwrap();
        let base = ind.strip_suffix("_verschil").unwrap_or(ind);
        let counted =
            !SHARES.contains(&base) && !STATISTICS.contains(&base) && !STAFF.contains(&base);
        match c["suppressed"].as_str() {
            Some("primary") => {
                let v = c["value"].as_f64().unwrap();
                if ind == base {
                    assert!((1.0..THRESHOLD).contains(&v), "primary on {v}: {c}");
                    assert_eq!(c["shown"], below.as_str(), "{c}");
                } else {
                    assert!(
                        c["shown"].is_null(),
                        "a suppressed difference is not shown: {c}"
                    );
                }
            }
            Some(_) => assert!(c["shown"].is_null(), "a suppressed cell shows nothing: {c}"),
            None => {}
        }
        if STAFF.contains(&ind) {
            assert!(
                c["suppressed"].is_null(),
                "staff cells are never suppressed: {c}"
            );
        }
        if counted && ind == base {
            if let Some(shown) = c["shown"].as_f64() {
                let v = c["value"].as_f64().unwrap();
                assert!(v == 0.0 || v >= THRESHOLD, "a small count is shown: {c}");
                assert_eq!(shown, v, "a shown count is its value: {c}");
            }
        }
        if let Some(base) = ind.strip_suffix("_verschil") {
            let (g, q, _, cat) = key(c);
            assert_eq!(q, QUARTER, "a difference carries the report quarter: {c}");
            let now = by_key[&(
                g.clone(),
                QUARTER.to_string(),
                base.to_string(),
                cat.clone(),
            )];
            let was = by_key[&(g, BASELINE.to_string(), base.to_string(), cat)];
            if let (Some(a), Some(b)) = (now["value"].as_f64(), was["value"].as_f64()) {
                assert!(
                    (c["value"].as_f64().unwrap() - (a - b)).abs() < 1e-9,
                    "Q − B: {c}"
                );
            }
            let both_shown = now["suppressed"].is_null() && was["suppressed"].is_null();
            assert_eq!(
                c["shown"].is_number(),
                both_shown && c["value"].is_number(),
                "a difference is shown exactly when neither side is suppressed: {c} ({now} / {was})"
            );
        }
    }
    // Secondary: in a group whose total is shown, never exactly one suppressed category.
    let mut groups: BTreeMap<(String, String, String), Vec<&Value>> = BTreeMap::new();
    for c in cells {
        let (g, q, i, cat) = key(c);
        if cat.is_some() && cat.as_deref() != Some("totaal") && !i.ends_with("_verschil") {
            groups.entry((g, q, i)).or_default().push(c);
        }
    }
    for ((g, q, i), members) in &groups {
        let Some(total) =
            by_key.get(&(g.clone(), q.clone(), i.clone(), Some("totaal".to_string())))
        else {
            continue;
        };
        if !total["shown"].is_null() {
            let hidden = members
                .iter()
                .filter(|c| !c["suppressed"].is_null())
                .count();
            assert_ne!(
                hidden, 1,
                "{g} {q} {i}: one suppressed category can be recomputed"
            );
        }
    }
}

/// What every report of this data must hold: all indicators, both kinds of
/// suppression, and baseline differences.
fn assert_substantial(report: &Value) {
    let cells = cells(report);
    for g in GEMEENTEN {
        let here: BTreeSet<&str> = cells
            .iter()
            .filter(|c| c["gemeente"] == g && c["quarter"] == QUARTER)
            .map(|c| c["indicator"].as_str().unwrap())
            .collect();
        for i in INDICATORS {
            assert!(here.contains(i), "{g} {QUARTER} has no `{i}` cell");
        }
        for p in ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"] {
            assert!(
                cells.iter().any(|c| c["gemeente"] == g
                    && c["quarter"] == p
                    && c["indicator"] == "meldingen"),
                "{g} has the trend period {p}"
            );
        }
    }
    let count = |s: &str| cells.iter().filter(|c| c["suppressed"] == s).count();
    assert!(count("primary") > 0, "some cells are suppressed as primary");
    assert!(
        count("secondary") > 0,
        "some cells are suppressed as secondary"
    );
    assert!(
        cells
            .iter()
            .any(|c| c["indicator"].as_str().unwrap().ends_with("_verschil")
                && c["shown"].is_number()),
        "shown `_verschil` cells exist"
    );
    assert!(
        cells
            .iter()
            .any(|c| c["indicator"] == "meldingen" && c["value"].as_f64().unwrap() > 100.0),
        "the counts are not trivial"
    );
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.expect("the API answers")
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn cli_and_api_agree_and_equal_the_reference() {
    let d = data();
    let cli = cli_json(&d.sqlite);
    assert_substantial(&cli);
    assert_disclosure(&cli);
    assert_eq!(cli["report"]["gemeenten"], serde_json::json!(GEMEENTEN));
    assert_eq!(cli["report"]["baseline"], BASELINE);
    assert_eq!(
        cli["report"]["periods"],
        serde_json::json!(["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"])
    );

    let server = Server::start(&d.sqlite, "run");
    server.wait_ready().await;
    let r = get(&format!(
        "{}/api/v1/monitor?{}",
        server.base,
        report_query()
    ))
    .await;
    assert_eq!(r.status(), 200);
    assert!(
        content_type(&r).starts_with("application/json"),
        "{}",
        content_type(&r)
    );
    let api: Value = r.json().await.expect("JSON");
    assert_same_report(&api, &cli, "API vs CLI");

    let want = reference();
    assert_same_report(&cli, &want, "CLI vs the in-memory reference");
}

#[tokio::test]
async fn postgres_gives_the_same_report() {
    let d = data();
    let pg = PgServer::shared().database();
    let counts = support::ingest(&pg, &d.stream.file);
    assert_eq!(
        counts["accepted"].as_u64(),
        Some(d.accepted),
        "PostgreSQL accepts the same events"
    );
    let on_pg = cli_json(&pg);
    assert_substantial(&on_pg);
    assert_same_report(&on_pg, &cli_json(&d.sqlite), "PostgreSQL vs SQLite");
}

/// `1122` as the report writes a count: `1.122`.
fn dutch_count(v: f64) -> String {
    assert_eq!(v.fract(), 0.0, "a count is whole: {v}");
    let digits = (v.abs() as u64).to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).expect("ASCII digits"))
        .collect();
    let out = groups.join(".");
    if v < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

/// The report quarter's shown counts of `indicator` (total or plain), per gemeente in report order.
fn shown_counts(report: &Value, indicator: &str) -> Vec<String> {
    GEMEENTEN
        .iter()
        .map(|g| {
            let c = cells(report)
                .iter()
                .find(|c| {
                    c["gemeente"] == *g
                        && c["quarter"] == QUARTER
                        && c["indicator"] == indicator
                        && (c["category"].is_null() || c["category"] == "totaal")
                })
                .unwrap_or_else(|| panic!("{g} has a {indicator} cell"));
            dutch_count(
                c["shown"]
                    .as_f64()
                    .unwrap_or_else(|| panic!("{c} is shown")),
            )
        })
        .collect()
}

#[tokio::test]
async fn pdf_holds_the_figures() {
    let d = data();
    let json = cli_json(&d.sqlite);
    let dir = TempDir::new("monitor-pdf");
    let pdf = dir.0.join("monitor.pdf");
    let mut args = report_args();
    args.extend([
        "--format".into(),
        "pdf".into(),
        "--out".into(),
        pdf.display().to_string(),
    ]);
    args.extend(["--chromium".into(), caseflow_tests::chromium()]);
    let out = monitor(&d.sqlite, &args);
    ok(&out, "report monitor --format pdf");
    let bytes = std::fs::read(&pdf).expect("the PDF was written");
    assert!(bytes.starts_with(b"%PDF"), "a PDF file");
    let text = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    ok(&text, "pdftotext");
    let text = String::from_utf8(text.stdout).expect("UTF-8 text");

    for t in SECTION_TITLES {
        assert!(text.contains(t), "the PDF has the section `{t}`:\n{text}");
    }
    assert!(text.contains("Kwartaalmonitor"), "the PDF's title");
    for g in GEMEENTEN {
        assert!(text.contains(g), "the PDF names {g}");
    }
    // The Meldingen line holds the three gemeenten's figures in report order.
    let meldingen = shown_counts(&json, "meldingen");
    assert!(
        meldingen.iter().any(|m| m.contains('.')),
        "a figure above 999 shows the Dutch thousands separator: {meldingen:?}"
    );
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("Meldingen"))
        .unwrap_or_else(|| panic!("a Meldingen line in:\n{text}"));
    let mut rest = line;
    for m in &meldingen {
        let at = rest
            .find(&format!(" {m} "))
            .or_else(|| {
                rest.ends_with(&format!(" {m}"))
                    .then(|| rest.len() - m.len() - 1)
            })
            .unwrap_or_else(|| {
                panic!("the Meldingen line shows {m} (after the previous gemeente): {line}")
            });
        rest = &rest[at + m.len() + 1..];
    }
    for ind in ["aanvragen", "beschikkingen", "toegewezen"] {
        for f in shown_counts(&json, ind) {
            assert!(text.contains(&f), "the PDF shows {ind} {f}");
        }
    }
    assert!(text.contains("<5"), "a suppressed small count reads <5");

    // The API serves the same page as HTML: self-contained, with sparklines.
    let server = Server::start(&d.sqlite, "run");
    server.wait_ready().await;
    let r = get(&format!(
        "{}/api/v1/monitor?{}&format=html",
        server.base,
        report_query()
    ))
    .await;
    assert_eq!(r.status(), 200);
    assert!(
        content_type(&r).starts_with("text/html"),
        "{}",
        content_type(&r)
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("<svg"), "the HTML draws its trends in SVG");
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "the HTML has no script"
    );
    for m in &meldingen {
        assert!(html.contains(&format!(">{m}<")), "the HTML shows {m}");
    }
    for t in SECTION_TITLES {
        assert!(html.contains(t), "the HTML has the section `{t}`");
    }
}

fn xlsx_number(v: &calamine::Data) -> Option<f64> {
    match v {
        calamine::Data::Float(x) => Some(*x),
        calamine::Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// The JSON's `shown` as the CSV writes it.
fn shown_text(c: &Value, dutch: bool) -> String {
    match &c["shown"] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            let s = n.to_string();
            if dutch {
                s.replace('.', ",")
            } else {
                s
            }
        }
        other => panic!("shown is {other}"),
    }
}

/// A CSV's rows against the JSON's cells, field by field.
fn assert_csv_rows(rows: &[csv::StringRecord], json: &[Value], dutch: bool, what: &str) {
    assert_eq!(rows.len(), json.len(), "{what}: one row per cell");
    for (i, (r, c)) in rows.iter().zip(json).enumerate() {
        let (g, q, ind, cat) = key(c);
        assert_eq!(
            (&r[0], &r[1], &r[2], &r[3], &r[4]),
            (
                g.as_str(),
                "wmo",
                q.as_str(),
                ind.as_str(),
                cat.as_deref().unwrap_or("")
            ),
            "{what}: row {i}"
        );
        let value =
            (!r[5].is_empty()).then(|| r[5].replace(',', ".").parse::<f64>().expect("a number"));
        assert_eq!(value, c["value"].as_f64(), "{what}: row {i} value");
        if dutch {
            assert!(
                !r[5].contains('.'),
                "{what}: a decimal comma in row {i}: {}",
                &r[5]
            );
        }
        match c["shown"].as_f64() {
            Some(x) => assert_eq!(
                r[6].replace(',', ".").parse::<f64>().ok(),
                Some(x),
                "{what}: row {i} shown"
            ),
            None => assert_eq!(&r[6], shown_text(c, dutch), "{what}: row {i} shown"),
        }
        assert_eq!(
            &r[7],
            c["suppressed"].as_str().unwrap_or(""),
            "{what}: row {i} suppressed"
        );
    }
}

const COLUMNS: [&str; 8] = [
    "gemeente",
    "domein",
    "quarter",
    "indicator",
    "category",
    "value",
    "shown",
    "suppressed",
];

#[tokio::test]
async fn xlsx_holds_the_json_numbers() {
    use calamine::Reader;

    let d = data();
    let json = cli_json(&d.sqlite);
    let cells = cells(&json);

    // XLSX: the "Cellen" sheet, one row per cell.
    let dir = TempDir::new("monitor-xlsx");
    let file = dir.0.join("monitor.xlsx");
    let mut args = report_args();
    args.extend([
        "--format".into(),
        "xlsx".into(),
        "--out".into(),
        file.display().to_string(),
    ]);
    ok(&monitor(&d.sqlite, &args), "report monitor --format xlsx");
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&file).expect("an XLSX workbook");
    let names = wb.sheet_names();
    for t in [
        "Instroom en uitstroom",
        "Tijdigheid",
        "Wachtlijst",
        "Cellen",
    ] {
        assert!(
            names.iter().any(|n| n == t),
            "a sheet `{t}` among {names:?}"
        );
    }
    let sheet = wb.worksheet_range("Cellen").expect("the Cellen sheet");
    assert_eq!(sheet.start(), Some((0, 0)), "the sheet starts at A1");
    let rows: Vec<&[calamine::Data]> = sheet.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, COLUMNS, "the Cellen header");
    assert_eq!(rows.len() - 1, cells.len(), "one row per cell");
    let mut below = 0;
    for (i, (r, c)) in rows[1..].iter().zip(cells).enumerate() {
        let (g, q, ind, cat) = key(c);
        assert_eq!(
            (
                r[0].to_string(),
                r[2].to_string(),
                r[3].to_string(),
                r[4].to_string()
            ),
            (g, q, ind, cat.unwrap_or_default()),
            "row {i}"
        );
        assert_eq!(
            xlsx_number(&r[5]),
            c["value"].as_f64(),
            "row {i} value: {c}"
        );
        if r[5] == calamine::Data::Empty {
            assert!(c["value"].is_null(), "row {i}");
        }
        match &c["shown"] {
            Value::Number(n) => assert_eq!(xlsx_number(&r[6]), n.as_f64(), "row {i} shown: {c}"),
            Value::String(s) => {
                assert_eq!(s, "<5", "{c}");
                assert_eq!(
                    r[6],
                    calamine::Data::String("<5".into()),
                    "row {i} shown: {c}"
                );
                below += 1;
            }
            Value::Null => assert_eq!(r[6], calamine::Data::Empty, "row {i} shown: {c}"),
            other => panic!("shown is {other}"),
        }
        assert_eq!(
            r[7].to_string(),
            c["suppressed"].as_str().unwrap_or(""),
            "row {i} suppressed"
        );
    }
    assert!(below > 0, "some cells read <5");

    // CSV: one row per cell, the same numbers.
    let mut args = report_args();
    args.extend(["--format".into(), "csv".into()]);
    let out = monitor(&d.sqlite, &args);
    ok(&out, "report monitor --format csv");
    let mut rd = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(
        rd.headers().unwrap(),
        &csv::StringRecord::from(COLUMNS.to_vec())
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("a CSV row")).collect();
    assert_csv_rows(&rows, cells, false, "csv");

    // csv-nl: BOM, semicolons, decimal commas.
    let mut args = report_args();
    args.extend(["--format".into(), "csv-nl".into()]);
    let out = monitor(&d.sqlite, &args);
    ok(&out, "report monitor --format csv-nl");
    let body = out
        .stdout
        .strip_prefix("\u{FEFF}".as_bytes())
        .expect("csv-nl starts with a UTF-8 BOM");
    assert!(
        body.starts_with(b"gemeente;domein;quarter;"),
        "csv-nl uses ;"
    );
    let mut rd = csv::ReaderBuilder::new().delimiter(b';').from_reader(body);
    assert_eq!(
        rd.headers().unwrap(),
        &csv::StringRecord::from(COLUMNS.to_vec())
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("a csv-nl row")).collect();
    assert_csv_rows(&rows, cells, true, "csv-nl");
    assert!(
        rows.iter().any(|r| r[5].contains(',')),
        "csv-nl has fractional values with a decimal comma"
    );

    // The API gives the same CSV for `Accept: text/csv`.
    let server = Server::start(&d.sqlite, "run");
    server.wait_ready().await;
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/monitor?{}", server.base, report_query()))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        content_type(&r).starts_with("text/csv"),
        "{}",
        content_type(&r)
    );
    let api = r.bytes().await.unwrap();
    let mut args = report_args();
    args.extend(["--format".into(), "csv".into()]);
    let cli = monitor(&d.sqlite, &args);
    assert_eq!(
        api.as_ref(),
        cli.stdout.as_slice(),
        "the API's CSV is the CLI's"
    );
}

/// A GET over a plain TCP connection: a URL of 100 KB is longer than an
/// `http::Uri` may be, so reqwest cannot send it. Returns status, content type, body.
fn raw_get(base: &str, path: &str) -> (u16, String, Vec<u8>) {
    use std::io::{Read, Write};
    let addr = base.strip_prefix("http://").expect("an http base URL");
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the API");
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read the answer");
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut body = buf[split + 4..].to_vec();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    };
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut out = Vec::new();
        let mut rest = body.as_slice();
        loop {
            let eol = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("a chunk size");
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16)
                .unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = &rest[eol + 2 + size + 2..];
        }
        body = out;
    }
    (status, header("content-type").unwrap_or_default(), body)
}

/// A valid BSN (it passes the 11-test): an API answer never repeats one.
const BSN: &str = "123456782";

/// The longest request target an `http::Uri` holds; hyper answers 414 to a longer one.
const MAX_URI: usize = 65_534;

/// Percent-encode every byte but unreserved ones.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One bad request: its parameters (name, value) as both surfaces take them,
/// and the names an answer may give (the first is the API's).
struct Bad {
    what: String,
    params: Vec<(&'static str, String)>,
    names: Vec<&'static str>,
    /// Whether the CLI can be given these (argv cannot hold a NUL byte).
    cli: bool,
}

fn bad_cases() -> Vec<Bad> {
    let base = |over: &[(&'static str, &str)], drop: &[&str]| -> Vec<(&'static str, String)> {
        let mut p: Vec<(&'static str, String)> = vec![
            ("gemeente", gemeenten()),
            ("domein", "wmo".into()),
            ("quarter", QUARTER.into()),
        ];
        p.retain(|(k, _)| !drop.contains(k) && !over.iter().any(|(o, _)| o == k));
        p.extend(over.iter().map(|(k, v)| (*k, v.to_string())));
        p
    };
    let case = |what: &str, over: &[(&'static str, &str)], names: &[&'static str]| Bad {
        what: what.to_string(),
        params: base(over, &[]),
        names: names.to_vec(),
        cli: true,
    };
    let thirteen: Vec<String> = (1..=13).map(|n| format!("GM{:04}", n * 7)).collect();
    let long_code = format!("GM{}", "9".repeat(100_000));
    let long_list: Vec<String> = (0..14_000).map(|n| format!("GM{n:04}")).collect();
    let long_quarter = format!("{QUARTER}{}", "x".repeat(100_000));
    // Long, yet within a URI's bound: the API itself must refuse these by name.
    let long_code_60 = format!("GM{}", "9".repeat(60_000));
    let long_list_60: Vec<String> = (0..6_000).map(|n| format!("GM{n:04}")).collect();
    let mut v = vec![
        case("unknown gemeente", &[("gemeente", "GM9999")], &["gemeente"]),
        case("short code", &[("gemeente", "GM12")], &["gemeente"]),
        case(
            "markup",
            &[("gemeente", "<script>alert(1)</script>")],
            &["gemeente"],
        ),
        case("a BSN as gemeente", &[("gemeente", BSN)], &["gemeente"]),
        case("a BSN as quarter", &[("quarter", BSN)], &["quarter"]),
        case(
            "a bad code in a list",
            &[("gemeente", "GM0935,GM12")],
            &["gemeente"],
        ),
        case("empty gemeente", &[("gemeente", "")], &["gemeente"]),
        case("domein zorg", &[("domein", "zorg")], &["domein"]),
        case("quarter 5", &[("quarter", "2026-Q5")], &["quarter"]),
        case("lower-case q", &[("quarter", "2026-q3")], &["quarter"]),
        case("two-digit year", &[("quarter", "26-Q1")], &["quarter"]),
        case("a half as quarter", &[("quarter", "2026-H1")], &["quarter"]),
        case(
            "quarter and half",
            &[("half", "2026-H1")],
            &["half", "quarter"],
        ),
        case("baseline equal", &[("baseline", QUARTER)], &["baseline"]),
        case("baseline after", &[("baseline", "2026-Q4")], &["baseline"]),
        case(
            "baseline a half year",
            &[("baseline", "2025-H2")],
            &["baseline"],
        ),
        case("after the data", &[("quarter", "2030-Q1")], &["quarter"]),
        case("threshold 1", &[("threshold", "1")], &["threshold"]),
        case("threshold 0", &[("threshold", "0")], &["threshold"]),
        case("threshold -3", &[("threshold", "-3")], &["threshold"]),
        case(
            "threshold 10^30",
            &[("threshold", "1000000000000000000000000000000")],
            &["threshold"],
        ),
        case("threshold abc", &[("threshold", "abc")], &["threshold"]),
        case("trend 0", &[("trend", "0")], &["trend"]),
        case("trend 13", &[("trend", "13")], &["trend"]),
        case("format docx", &[("format", "docx")], &["format"]),
        case(
            "13 gemeenten",
            &[("gemeente", &thirteen.join(","))],
            &["gemeente"],
        ),
        case("100 KB code", &[("gemeente", &long_code)], &["gemeente"]),
        case(
            "100 KB list",
            &[("gemeente", &long_list.join(","))],
            &["gemeente"],
        ),
        case(
            "100 KB quarter",
            &[("quarter", &long_quarter)],
            &["quarter"],
        ),
        case("60 KB code", &[("gemeente", &long_code_60)], &["gemeente"]),
        case(
            "60 KB list",
            &[("gemeente", &long_list_60.join(","))],
            &["gemeente"],
        ),
        Bad {
            what: "no domein".into(),
            params: base(&[], &["domein"]),
            names: vec!["domein"],
            cli: true,
        },
        Bad {
            what: "no quarter".into(),
            params: base(&[], &["quarter"]),
            names: vec!["quarter", "half"],
            cli: true,
        },
        Bad {
            what: "unknown parameter".into(),
            params: {
                let mut p = base(&[], &["gemeente"]);
                p.push(("gemente", "GM0935".into()));
                p
            },
            names: vec!["gemente"],
            cli: true,
        },
        Bad {
            what: "repeated parameter".into(),
            params: {
                let mut p = base(&[], &[]);
                p.push(("domein", "wmo".into()));
                p
            },
            names: vec!["domein"],
            cli: true,
        },
    ];
    for (what, over) in [
        ("NUL in gemeente", ("gemeente", "GM09\u{0}35")),
        ("NUL after gemeente", ("gemeente", "GM0935\u{0}")),
        ("NUL in domein", ("domein", "wmo\u{0}")),
    ] {
        v.push(Bad {
            what: what.into(),
            params: base(&[(over.0, over.1)], &[]),
            names: vec![over.0],
            cli: false,
        });
    }
    v
}

/// The CLI's refusal of `case`: exit code 2, nothing on stdout, the parameter named.
fn check_cli_refuses(case: &Bad, db: &str, failures: &mut Vec<String>) {
    if case.cli {
        let mut args = Vec::new();
        for (k, v) in &case.params {
            // `--threshold=-3`: a value starting with `-` is not taken for a flag.
            args.push(format!("--{k}={v}"));
        }
        args.push("--json".into());
        let out = monitor(db, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let head: String = stderr.chars().take(300).collect();
        if out.status.code() != Some(2)
            || !out.stdout.is_empty()
            || !names_parameter(&stderr, &case.names)
        {
            failures.push(format!(
                "CLI {}: exit {:?}, {} bytes on stdout, stderr {head}",
                case.what,
                out.status.code(),
                out.stdout.len()
            ));
        }
        if stderr.contains("panicked") {
            failures.push(format!("CLI {}: a panic: {head}", case.what));
        }
    }
}

/// The error as the CLI prints it names the parameter (ours or clap's wording).
fn names_parameter(stderr: &str, names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| stderr.contains(&format!("parameter `{n}`")) || stderr.contains(&format!("--{n}")))
}

#[tokio::test]
async fn bad_input_is_refused_by_name() {
    let d = data();
    let server = Server::start(&d.sqlite, "run");
    server.wait_ready().await;
    // The valid request answers, so the refusals below are about the parameters.
    let r = get(&format!(
        "{}/api/v1/monitor?{}",
        server.base,
        report_query()
    ))
    .await;
    assert_eq!(r.status(), 200);

    let mut failures = Vec::new();
    for case in bad_cases() {
        let query: Vec<String> = case
            .params
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect();
        let path = format!("/api/v1/monitor?{}", query.join("&"));
        let (status, ct, body) = raw_get(&server.base, &path);
        if path.len() > MAX_URI {
            // Refused by the HTTP layer before any handler sees it.
            if status != 414 {
                failures.push(format!(
                    "API {}: {status} for a {} byte URI",
                    case.what,
                    path.len()
                ));
            }
            check_cli_refuses(&case, &d.sqlite, &mut failures);
            continue;
        }
        let shown = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        let parameter = json
            .as_ref()
            .and_then(|j| j["parameter"].as_str())
            .map(str::to_string);
        let error = json
            .as_ref()
            .and_then(|j| j["error"].as_str())
            .unwrap_or("")
            .to_string();
        if status != 400
            || !ct.starts_with("application/json")
            || error.is_empty()
            || parameter.as_deref() != Some(case.names[0])
        {
            failures.push(format!("API {}: {status} {ct} {shown}", case.what));
        } else if body.len() > 4096 {
            failures.push(format!(
                "API {}: a {} byte error answer",
                case.what,
                body.len()
            ));
        }
        if body.windows(BSN.len()).any(|w| w == BSN.as_bytes()) {
            failures.push(format!(
                "API {}: the answer repeats a BSN: {shown}",
                case.what
            ));
        }
        if case.what == "unknown parameter" {
            let accepted = json
                .as_ref()
                .map(|j| j["accepted"].clone())
                .unwrap_or_default();
            assert!(
                accepted
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == "gemeente")),
                "the unknown-parameter answer lists the accepted ones: {shown}"
            );
        }

        check_cli_refuses(&case, &d.sqlite, &mut failures);
    }
    // The server survived every request.
    let r = get(&format!(
        "{}/api/v1/monitor?{}",
        server.base,
        report_query()
    ))
    .await;
    assert_eq!(r.status(), 200, "the server still answers");
    assert!(
        failures.is_empty(),
        "{} refusals went wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every quoted link to the monitor in a page: `"/monitor…"` or `"/api/v1/monitor?…"`.
fn monitor_links(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for quote in ['"', '\''] {
        for part in page.split(quote).skip(1).step_by(2) {
            if part.starts_with("/monitor") || part.starts_with("/api/v1/monitor?") {
                out.push(part.replace("&amp;", "&"));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn the_dashboard_links_to_the_monitor() {
    let d = data();
    let server = Server::start(&d.sqlite, "run");
    server.wait_ready().await;
    let r = get(&format!("{}/", server.base)).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let links = monitor_links(&page);
    assert!(!links.is_empty(), "the dashboard links to the monitor");
    // Each link leads (directly or by redirect) to the monitor's HTML page.
    for link in &links {
        let r = get(&format!("{}{link}", server.base)).await;
        assert_eq!(r.status(), 200, "{link}");
        let landed = r.url().clone();
        assert_eq!(
            landed.path(),
            "/api/v1/monitor",
            "{link} leads to the monitor"
        );
        assert!(
            landed
                .query_pairs()
                .any(|(k, v)| k == "format" && v == "html"),
            "{link} asks for HTML: {landed}"
        );
        assert!(
            content_type(&r).starts_with("text/html"),
            "{link}: {}",
            content_type(&r)
        );
        let html = r.text().await.unwrap();
        assert!(
            html.contains("<svg") && html.contains("Kwartaalmonitor"),
            "{link} is the monitor page"
        );
    }
}

#[test]
fn dutch_count_groups_thousands() {
    assert_eq!(dutch_count(1122.0), "1.122");
    assert_eq!(dutch_count(823.0), "823");
    assert_eq!(dutch_count(1234567.0), "1.234.567");
    assert_eq!(dutch_count(-1000.0), "-1.000");
}

#[test]
fn enc_escapes_what_a_query_cannot_hold() {
    assert_eq!(enc("GM09\u{0}35"), "GM09%0035");
    assert_eq!(enc("<a&b=c>"), "%3Ca%26b%3Dc%3E");
}

/// After an upgrade whose migration rewinds the projection (or with no projector
/// running), the log is ahead of the read models: the CLI report projects the
/// rest first and says so, rather than reporting from what happens to be projected.
#[tokio::test]
async fn a_report_over_a_rewound_projection_catches_up_first() {
    let d = data();
    let want = cli_json(&d.sqlite);
    let dir = TempDir::new("monitor-rewound");
    let copy = dir.0.join("caseflow.db");
    let src = d.sqlite.trim_start_matches("sqlite://");
    let backup = std::process::Command::new("sqlite3")
        .arg(src)
        .arg(format!(".backup '{}'", copy.display()))
        .output()
        .expect("sqlite3 runs (make test-deps installs it)");
    assert!(backup.status.success(), "{}", String::from_utf8_lossy(&backup.stderr));
    // What migrations 0006/0007 do to an existing database.
    let rewind = std::process::Command::new("sqlite3")
        .arg(&copy)
        .arg(
            "DELETE FROM key_facts; DELETE FROM agg_daily; DELETE FROM leadtime_samples; DELETE FROM open_cases; \
             DELETE FROM po_monitor; DELETE FROM monitor_facts; DELETE FROM formatie; \
             DELETE FROM checkpoints WHERE name IN ('embedded', 'projection_token');",
        )
        .output()
        .expect("sqlite3 runs");
    assert!(rewind.status.success(), "{}", String::from_utf8_lossy(&rewind.stderr));
    let url = format!("sqlite://{}", copy.display());
    let out = monitor(&url, &[report_args(), vec!["--json".to_string()]].concat());
    ok(&out, "report over a rewound projection");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("behind the log"), "the report says it catches up: {stderr}");
    let got: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_same_report(&got, &want, "rewound and caught up vs the projected database");
}
