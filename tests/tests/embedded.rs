//! End to end, embedded: `caseflow run` on port 0, events POSTed as NDJSON, the
//! API and the CLI queried as a user would.

use std::collections::BTreeSet;

use caseflow_tests::{caseflow, event, id, Server, TempDir};
use serde_json::{json, Value};

/// Two Wmo cases in March 2020 (ISO weeks 10 and 11), one withdrawn… plus bad lines.
fn batch() -> String {
    let c1 = id(101);
    let c2 = id(102);
    let lines = vec![
        // Case 1: melding → doorgezet → toegewezen (IGT Noord) → aanvraag → beschikking.
        event(
            &id(1),
            "melding.ontvangen",
            "2020-03-02T09:00:00+01:00",
            &c1,
            json!({"kanaal": "telefoon", "verwijzer": "huisarts"}),
        ),
        event(
            &id(2),
            "melding.beoordeeld",
            "2020-03-02T11:00:00+01:00",
            &c1,
            json!({"uitkomst": "doorgezet"}),
        ),
        event(
            &id(3),
            "case.toegewezen",
            "2020-03-04T10:00:00+01:00",
            &c1,
            json!({"team": "IGT Noord", "consulent_ref": "mw-1", "dossiertype": "nieuw"}),
        ),
        event(
            &id(4),
            "aanvraag.ingediend",
            "2020-03-10T10:00:00+01:00",
            &c1,
            json!({"aanvraag_id": id(201), "voorziening": "hulp_bij_huishouden", "soort": "nieuw"}),
        ),
        event(
            &id(5),
            "beschikking.afgegeven",
            "2020-03-12T10:00:00+01:00",
            &c1,
            json!({"beschikking_id": id(301), "aanvraag_id": id(201), "voorziening": "hulp_bij_huishouden", "besluit": "toegekend", "ingangsdatum": "2020-03-16", "einddatum": null, "leveringsvorm": "zin"}),
        ),
        // Line 6: not JSON.
        "{\"event_id\": \"broken".to_string(),
        // Case 2: melding → afgevangen.
        event(
            &id(6),
            "melding.ontvangen",
            "2020-03-03T09:00:00+01:00",
            &c2,
            json!({"kanaal": "balie", "verwijzer": "geen"}),
        ),
        event(
            &id(7),
            "melding.beoordeeld",
            "2020-03-03T09:30:00+01:00",
            &c2,
            json!({"uitkomst": "afgevangen"}),
        ),
        // Line 9: a BSN as client_ref.
        event(
            &id(8),
            "melding.ontvangen",
            "2020-03-03T10:00:00+01:00",
            &id(103),
            json!({"kanaal": "balie", "verwijzer": "geen"}),
        )
        .replace("c-1a2b3c", "111222333"),
        // Line 10: an exact repeat of line 1 (a duplicate, ignored).
        event(
            &id(1),
            "melding.ontvangen",
            "2020-03-02T09:00:00+01:00",
            &c1,
            json!({"kanaal": "telefoon", "verwijzer": "huisarts"}),
        ),
        // Line 11: same event_id as line 2, other content (a conflict).
        event(
            &id(2),
            "melding.beoordeeld",
            "2020-03-02T11:00:00+01:00",
            &c1,
            json!({"uitkomst": "afgevangen"}),
        ),
        // Line 12: unknown field in data.
        event(
            &id(9),
            "zorg.gestart",
            "2020-03-20T10:00:00+01:00",
            &c1,
            json!({"beschikking_id": id(301), "aanbieder": "Thuiszorg Zuid", "startdatum": "2020-03-23", "kleur": "blauw"}),
        ),
        // Provider start, week 12.
        event(
            &id(10),
            "zorg.gestart",
            "2020-03-20T10:00:00+01:00",
            &c1,
            json!({"beschikking_id": id(301), "aanbieder": "Thuiszorg Zuid", "startdatum": "2020-03-23"}),
        ),
    ];
    lines.join("\n") + "\n"
}

fn row<'a>(rows: &'a [Value], period: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["period"] == period)
        .unwrap_or_else(|| panic!("no row for {period} in {rows:?}"))
}

#[tokio::test]
async fn post_events_then_query_the_api() {
    let dir = TempDir::new("e2e-api");
    let server = Server::start(&dir.sqlite_url(), "run");
    server.wait_ready().await;
    let http = reqwest::Client::new();

    let r = http
        .post(format!("{}/api/v1/events", server.base))
        .body(batch())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["accepted"], 8, "{report}");
    assert_eq!(report["duplicates"], 1, "{report}");
    assert_eq!(report["rejected"], 4, "{report}");

    // Throughput per week, straight after the POST returned.
    let rows: Vec<Value> = http
        .get(format!(
            "{}/api/v1/throughput?period=week&gemeente=GM0935",
            server.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let w10 = row(&rows, "2020-W10");
    assert_eq!(w10["meldingen"], 2);
    assert_eq!(w10["doorgezet"], 1);
    assert_eq!(w10["afgevangen"], 1);
    assert_eq!(w10["afvangratio"], 0.5);
    assert_eq!(w10["toegewezen"], 1);
    assert_eq!(w10["team"], Value::Null);
    let w11 = row(&rows, "2020-W11");
    assert_eq!(
        w11["aanvragen"],
        json!({"total": 1, "nieuw": 1, "herindicatie": 0, "periodiek_onderzoek": 0, "mutatie": 0})
    );
    assert_eq!(
        w11["beschikkingen"],
        json!({"total": 1, "toegekend": 1, "afgewezen": 0})
    );
    assert_eq!(row(&rows, "2020-W12")["zorg_gestart"], 1);

    // By team: the melding came before the assignment, so it has no team.
    let rows: Vec<Value> = http
        .get(format!(
            "{}/api/v1/throughput?period=month&by_team=true",
            server.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let noord: Vec<&Value> = rows.iter().filter(|r| r["team"] == "IGT Noord").collect();
    assert_eq!(noord.len(), 1);
    assert_eq!(noord[0]["period"], "2020-03");
    assert_eq!(noord[0]["toegewezen"], 1);
    assert_eq!(noord[0]["aanvragen"]["total"], 1);
    assert_eq!(noord[0]["meldingen"], 0);
    let none: Vec<&Value> = rows.iter().filter(|r| r["team"].is_null()).collect();
    assert_eq!(none[0]["meldingen"], 2);

    // Dead letters: position and reason for each rejected line.
    let dl: Vec<Value> = http
        .get(format!("{}/api/v1/dead-letters", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Positions are `request <id> line <n>`, the id of the one POST.
    let request_ids: BTreeSet<&str> = dl
        .iter()
        .map(|d| d["position"].as_str().unwrap().split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(request_ids.len(), 1, "{dl:?}");
    let got: Vec<(String, String)> = dl
        .iter()
        .map(|d| {
            let position = d["position"].as_str().unwrap();
            assert!(position.starts_with("request "), "{position}");
            (
                position.split_once(" line ").map(|(_, n)| format!("line {n}")).unwrap(),
                d["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("line 6".to_string(), "invalid_json".to_string()),
            ("line 9".to_string(), "bsn".to_string()),
            ("line 11".to_string(), "conflict".to_string()),
            ("line 12".to_string(), "unknown_field".to_string()),
        ]
    );
    assert!(dl[3]["reason"].as_str().unwrap().contains("data.kleur"));
    assert!(dl[0]["raw"]
        .as_str()
        .unwrap()
        .starts_with("{\"event_id\": \"broken"));

    // Posting the same batch again changes nothing.
    let again: Value = http
        .post(format!("{}/api/v1/events", server.base))
        .body(batch())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["accepted"], 0);
    assert_eq!(again["duplicates"], 9);
    let rows2: Vec<Value> = http
        .get(format!(
            "{}/api/v1/throughput?period=month&by_team=true",
            server.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rows, rows2);

    // Bad parameters: 400 naming the parameter.
    let r = http
        .get(format!(
            "{}/api/v1/throughput?period=fortnight",
            server.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["parameter"], "period");
    assert!(e["error"]
        .as_str()
        .unwrap()
        .contains("accepted: day, week, month, quarter, year"));
    let r = http
        .get(format!(
            "{}/api/v1/throughput?gemeente=Maastricht",
            server.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The dashboard is served.
    let page = http
        .get(format!("{}/", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("caseflow"));
}

#[test]
fn cli_ingest_query_and_dead_letters() {
    let dir = TempDir::new("e2e-cli");
    let db = dir.sqlite_url();
    let file = dir.0.join("batch.ndjson");
    std::fs::write(&file, batch()).unwrap();

    let out = caseflow(&db)
        .args(["ingest", file.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        counts,
        json!({"accepted": 8, "duplicates": 1, "rejected": 4})
    );

    let out = caseflow(&db)
        .args([
            "query",
            "throughput",
            "--period",
            "quarter",
            "--domein",
            "wmo",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["period"], "2020-Q1");
    assert_eq!(rows[0]["meldingen"], 2);
    assert_eq!(rows[0]["zorg_gestart"], 1);

    // The table for people names the columns.
    let out = caseflow(&db)
        .args(["query", "throughput", "--period", "quarter"])
        .output()
        .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("meldingen") && table.contains("2020-Q1"),
        "{table}"
    );

    let out = caseflow(&db)
        .args(["query", "dead-letters", "--json"])
        .output()
        .unwrap();
    let dl: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(dl.len(), 4);
    assert!(dl
        .iter()
        .all(|d| d["position"].as_str().unwrap().starts_with("line ")
            && !d["reason"].as_str().unwrap().is_empty()));

    // A bad parameter: exit code 2 and a message naming it.
    let out = caseflow(&db)
        .args(["query", "throughput", "--period", "fortnight"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("parameter `period`"));

    // Rebuild from the log gives the same model.
    let before = caseflow(&db)
        .args([
            "query",
            "throughput",
            "--period",
            "day",
            "--by-team",
            "--json",
        ])
        .output()
        .unwrap()
        .stdout;
    assert!(caseflow(&db).arg("rebuild").status().unwrap().success());
    let after = caseflow(&db)
        .args([
            "query",
            "throughput",
            "--period",
            "day",
            "--by-team",
            "--json",
        ])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(
        String::from_utf8(before).unwrap(),
        String::from_utf8(after).unwrap()
    );
}

/// Answers are cached by data version: a repeated question is answered from
/// memory, and every POST that changes the data changes the answer at once.
#[tokio::test]
async fn cached_answers_follow_every_change() {
    let dir = TempDir::new("e2e-cache");
    let server = Server::start(&dir.sqlite_url(), "run");
    server.wait_ready().await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/throughput?period=week&gemeente=GM0935", server.base);
    let get = || async {
        let r = http.get(&url).send().await.unwrap();
        assert_eq!(r.headers()["content-type"], "application/json");
        r.json::<Vec<Value>>().await.unwrap()
    };
    assert!(get().await.is_empty(), "no data yet");
    assert!(get().await.is_empty(), "asked twice");

    let post = |body: String| {
        let http = http.clone();
        let url = format!("{}/api/v1/events", server.base);
        async move { assert_eq!(http.post(url).body(body).send().await.unwrap().status(), 200) }
    };
    post(batch()).await;
    let rows = get().await;
    assert_eq!(row(&rows, "2020-W10")["meldingen"], 2, "the first POST shows at once");
    assert_eq!(get().await, rows, "a repeat gives the same answer");

    post(event(&id(50), "melding.ontvangen", "2020-03-05T09:00:00+01:00", &id(150), json!({"kanaal": "balie", "verwijzer": "geen"})) + "\n").await;
    assert_eq!(row(&get().await, "2020-W10")["meldingen"], 3, "the next POST shows at once, too");

    // Another question of the same data is its own answer.
    let all: Vec<Value> = http.get(format!("{}/api/v1/throughput?period=month", server.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(row(&all, "2020-03")["meldingen"], 3, "{all:?}");
}
