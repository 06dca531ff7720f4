//! `caseflow query terms` through the binary: a hand-made stream with exact
//! times, its JSON at a reference time, the status filter, a refused status,
//! and the Dutch table.

use caseflow_tests::{caseflow, event, id, TempDir};
use serde_json::{json, Value};

fn stream() -> String {
    let melding = json!({"kanaal": "telefoon", "verwijzer": "huisarts"});
    let toegewezen = json!({"team": "IGT Noord", "dossiertype": "nieuw"});
    let aanvraag = |a: u32| json!({"aanvraag_id": id(a), "voorziening": "hulp_bij_huishouden", "soort": "nieuw"});
    [
        // Case 1: melding only → onderzoek, due 2020-02-12T10:00Z.
        event(&id(1), "melding.ontvangen", "2020-01-01T10:00:00Z", &id(100), melding.clone()),
        event(&id(2), "case.toegewezen", "2020-01-02T10:00:00Z", &id(100), toegewezen.clone()),
        // Case 2: aanvraag 2020-02-01T08:00Z → besluit, due 2020-02-15T08:00Z.
        event(&id(3), "melding.ontvangen", "2020-01-20T10:00:00Z", &id(200), melding.clone()),
        event(&id(4), "aanvraag.ingediend", "2020-02-01T08:00:00Z", &id(200), aanvraag(900)),
        // Case 3: closed, no term.
        event(&id(5), "melding.ontvangen", "2020-01-05T10:00:00Z", &id(300), melding),
        event(&id(6), "case.afgesloten", "2020-01-06T10:00:00Z", &id(300), json!({"reden": "ingetrokken"})),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn query_terms_lists_every_open_term_at_the_reference_time() {
    let dir = TempDir::new("cli-terms");
    let db = dir.sqlite_url();
    let file = dir.0.join("s.ndjson");
    std::fs::write(&file, stream()).unwrap();
    let out = caseflow(&db).args(["ingest", file.to_str().unwrap(), "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let run = |args: &[&str]| {
        let out = caseflow(&db).args(["query", "terms"]).args(args).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    // 2020-02-12T10:00:01Z: the onderzoek term is one second over; the besluit term
    // has 2 days 22 hours left: within the 5-day window.
    let (ok, stdout, stderr) = run(&["--as-of", "2020-02-12T10:00:01Z", "--json"]);
    assert!(ok, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["counts"], json!({"binnen_termijn": 0, "termijn_nadert": 1, "termijn_verstreken": 1}));
    let terms = v["terms"].as_array().unwrap();
    assert_eq!(terms.len(), 2, "{v}");
    assert_eq!(terms[0]["case_id"], id(100));
    assert_eq!(terms[0]["term"], "onderzoek");
    assert_eq!(terms[0]["aanvraag_id"], Value::Null);
    assert_eq!(terms[0]["team"], "IGT Noord");
    assert_eq!(terms[0]["start"], "2020-01-01T10:00:00Z");
    assert_eq!(terms[0]["deadline"], "2020-02-12T10:00:00Z");
    assert_eq!(terms[0]["status"], "termijn_verstreken");
    assert_eq!(terms[1]["case_id"], id(200));
    assert_eq!(terms[1]["aanvraag_id"], id(900));
    assert_eq!(terms[1]["term"], "besluit");
    assert_eq!(terms[1]["deadline"], "2020-02-15T08:00:00Z");
    assert_eq!(terms[1]["status"], "termijn_nadert");

    // One second earlier the onderzoek term is exactly at its deadline: nadert.
    let (_, stdout, _) = run(&["--as-of", "2020-02-12T10:00:00Z", "--json", "--status", "termijn_nadert"]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["terms"].as_array().unwrap().len(), 2, "{v}");

    let (ok, _, stderr) = run(&["--status", "nadert"]);
    assert!(!ok);
    assert!(stderr.contains("status") && stderr.contains("termijn_nadert"), "{stderr}");

    let (ok, table, stderr) = run(&["--as-of", "2020-02-12T10:00:01Z", "--team", "IGT Noord"]);
    assert!(ok, "{stderr}");
    assert!(table.contains("Uiterste datum") && table.contains("Dagen over/te gaan") && table.contains("Termijn"), "{table}");
    assert!(table.contains("verstreken") && table.contains("2020-02-12"), "{table}");
    assert!(!table.contains(&id(200)), "the team filter keeps case 2 out: {table}");
}
