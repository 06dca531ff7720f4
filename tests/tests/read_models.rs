//! End to end: the read models of spec §3.2–3.4 through the API and the CLI, and
//! alerts that are raised as time passes and resolved when a PO gets planned.

use std::time::{Duration, Instant};

use caseflow_tests::{caseflow, event, id, Server, TempDir};
use serde_json::{json, Value};

fn ago(d: Duration) -> String {
    (chrono::Utc::now() - chrono::Duration::from_std(d).unwrap())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn beschikking(event_id: &str, at: &str, case: &str, b: &str, a: &str) -> String {
    event(
        event_id,
        "beschikking.afgegeven",
        at,
        case,
        json!({"beschikking_id": b, "aanvraag_id": a, "voorziening": "hulp_bij_huishouden", "besluit": "toegekend",
               "ingangsdatum": "2020-01-01", "einddatum": null, "leveringsvorm": "zin"}),
    )
}

async fn get(base: &str, path: &str) -> Value {
    let r = reqwest::get(format!("{base}{path}")).await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

async fn post(base: &str, body: String) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/events"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Poll (bounded) until `f` holds for the alerts list.
async fn wait_for_alerts(base: &str, query: &str, f: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = get(base, &format!("/api/v1/alerts?{query}")).await;
        let list = v.as_array().unwrap().clone();
        if f(&list) {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "alerts never reached the expected state: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn alerts_are_raised_as_time_passes_and_resolved_by_a_plan() {
    let dir = TempDir::new("e2e-alerts");
    // Evaluate every second.
    let server = Server::start_with(&dir.sqlite_url(), &["run", "--alert-interval", "1"]);
    server.wait_ready().await;
    let base = &server.base;
    let (case, b) = (id(500), id(501));

    // A Wmo indefinite beschikking whose 14-day grace ends 4 seconds from now.
    let grace_left = Duration::from_secs(14 * 86_400) - Duration::from_secs(4);
    let lines = [
        event(
            &id(1),
            "case.toegewezen",
            &ago(Duration::from_secs(20 * 86_400)),
            &case,
            json!({"team": "IGT Oost", "dossiertype": "nieuw"}),
        ),
        beschikking(&id(2), &ago(grace_left), &case, &b, &id(502)),
    ];
    let r = post(base, lines.join("\n")).await;
    assert_eq!(r["accepted"], 2);
    let po = get(base, "/api/v1/po").await;
    assert_eq!(po["counts"]["in_behandeling"], 1, "{po}");
    assert!(get(base, "/api/v1/alerts")
        .await
        .as_array()
        .unwrap()
        .is_empty());

    // No new event arrives; the periodic evaluation raises the alert.
    let open = wait_for_alerts(base, "status=open", |l| !l.is_empty()).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["kind"], "geen_po_gepland");
    assert_eq!(open[0]["beschikking_id"], b.as_str());
    assert_eq!(open[0]["team"], "IGT Oost");
    assert!(open[0]["resolved_at"].is_null());

    // A PO gets planned (in a PO case of its own): the alert resolves.
    let plan = event(
        &id(3),
        "po.gepland",
        &ago(Duration::from_secs(1)),
        &id(600),
        json!({"beschikking_id": b, "gepland_op": "2027-06-01"}),
    );
    post(base, plan).await;
    let resolved = wait_for_alerts(base, "status=resolved", |l| l.len() == 1).await;
    assert_eq!(resolved[0]["kind"], "geen_po_gepland");
    assert!(resolved[0]["resolved_at"].is_string());
    assert!(get(base, "/api/v1/alerts?status=open")
        .await
        .as_array()
        .unwrap()
        .is_empty());
    let po = get(base, &format!("/api/v1/po?as_of={}", ago(Duration::ZERO))).await;
    assert_eq!(po["counts"]["ok"], 1, "{po}");
    assert_eq!(po["beschikkingen"][0]["gepland_op"], "2027-06-01");
    // Counts only, and narrowed by team.
    let counts_only = get(base, "/api/v1/po?limit=0").await;
    assert_eq!(
        (
            counts_only["counts"]["ok"].clone(),
            counts_only["beschikkingen"].clone()
        ),
        (json!(1), json!([]))
    );
    assert_eq!(
        get(base, "/api/v1/po?team=IGT%20West").await["counts"]["ok"],
        0
    );
    assert_eq!(
        get(base, "/api/v1/alerts?status=all&team=IGT%20Oost")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        get(base, "/api/v1/alerts?status=all&team=IGT%20West")
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // The PO status at an earlier reference time is still answerable.
    let earlier = get(
        base,
        &format!("/api/v1/po?as_of={}", ago(Duration::from_secs(2 * 86_400))),
    )
    .await;
    assert_eq!(earlier["counts"]["in_behandeling"], 1, "{earlier}");

    // Bad parameters: 400 naming the parameter.
    let r = reqwest::get(format!("{base}/api/v1/alerts?status=closed"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["parameter"], "status");
    let r = reqwest::get(format!("{base}/api/v1/po?as_of=gisteren"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["parameter"], "as_of");
}

/// One Wmo case in March 2020 and two consultants.
fn stream() -> String {
    let c = id(101);
    let staff = |eid: u32, who: &str, fte: f64| {
        json!({"event_id": id(eid), "event_type": "formatie.vastgesteld", "schema_version": 1, "occurred_at": "2020-01-01T09:00:00+01:00",
               "gemeente": "GM0935", "domein": "wmo", "data": {"team": "IGT Noord", "consulent_ref": who, "fte": fte, "geldig_vanaf": "2020-01-01"}})
        .to_string()
    };
    [
        staff(90, "mw-1", 0.8),
        staff(91, "mw-2", 1.0),
        event(
            &id(1),
            "melding.ontvangen",
            "2020-03-02T09:00:00+01:00",
            &c,
            json!({"kanaal": "telefoon", "verwijzer": "huisarts"}),
        ),
        event(
            &id(2),
            "melding.beoordeeld",
            "2020-03-02T11:00:00+01:00",
            &c,
            json!({"uitkomst": "doorgezet"}),
        ),
        event(
            &id(3),
            "case.toegewezen",
            "2020-03-04T10:00:00+01:00",
            &c,
            json!({"team": "IGT Noord", "consulent_ref": "mw-1", "dossiertype": "nieuw"}),
        ),
        event(
            &id(4),
            "aanvraag.ingediend",
            "2020-03-10T10:00:00+01:00",
            &c,
            json!({"aanvraag_id": id(201), "voorziening": "hulp_bij_huishouden", "soort": "nieuw"}),
        ),
        beschikking(&id(5), "2020-03-27T10:00:00+01:00", &c, &id(301), &id(201)),
        // A second case still open: melding and aanvraag, no beschikking.
        event(
            &id(6),
            "melding.ontvangen",
            "2020-03-05T09:00:00+01:00",
            &id(102),
            json!({"kanaal": "email", "verwijzer": "geen"}),
        ),
        event(
            &id(7),
            "case.toegewezen",
            "2020-03-06T09:00:00+01:00",
            &id(102),
            json!({"team": "IGT Noord", "dossiertype": "bestaand"}),
        ),
        event(
            &id(8),
            "aanvraag.ingediend",
            "2020-03-09T09:00:00+01:00",
            &id(102),
            json!({"aanvraag_id": id(202), "voorziening": "rolstoel", "soort": "nieuw"}),
        ),
    ]
    .join("\n")
        + "\n"
}

#[tokio::test]
async fn lead_time_workload_and_open_cases_via_api_and_cli() {
    let dir = TempDir::new("e2e-models");
    let db = dir.sqlite_url();
    let file = dir.0.join("s.ndjson");
    std::fs::write(&file, stream()).unwrap();
    let out = caseflow(&db)
        .args(["ingest", file.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        json!({"accepted": 10, "duplicates": 0, "rejected": 0})
    );

    let server = Server::start(&db, "serve");
    server.wait_ready().await;
    let base = &server.base;

    // Lead time: besluit 17 days, over the 14-day Wmo norm.
    let lt = get(base, "/api/v1/leadtime?period=month&measure=besluit").await;
    assert_eq!(lt.as_array().unwrap().len(), 1, "{lt}");
    assert_eq!(lt[0]["period"], "2020-03");
    assert_eq!(
        (
            lt[0]["n"].clone(),
            lt[0]["mean"].clone(),
            lt[0]["norm"].clone(),
            lt[0]["over_norm"].clone()
        ),
        (json!(1), json!(17.0), json!(14.0), json!(1))
    );
    let cli = caseflow(&db)
        .args([
            "query",
            "leadtime",
            "--period",
            "month",
            "--measure",
            "besluit",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&cli.stdout).unwrap(), lt);

    // Workload: 1.8 FTE; week 10 took up two new cases.
    let wl = get(base, "/api/v1/workload?from=2020-W10&to=2020-W13").await;
    let w10 = wl["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["week"] == "2020-W10")
        .unwrap()
        .clone();
    assert_eq!(
        (
            w10["fte"].clone(),
            w10["opgepakt_nieuw"].clone(),
            w10["open"].clone()
        ),
        (json!(1.8), json!(2), json!(2))
    );
    assert_eq!(w10["norm_uren_open"], 10.0);
    assert_eq!(wl["summary"]["weeks"], 4);
    assert_eq!(wl["summary"]["opgepakt_nieuw"], 2);
    assert_eq!(wl["summary"]["open"], 1);
    let cli = caseflow(&db)
        .args([
            "query", "workload", "--from", "2020-W10", "--to", "2020-W13", "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&cli.stdout).unwrap(), wl);

    // Open cases at 1 April 2020: case 102, besluit due 23 March (past).
    let open = get(base, "/api/v1/cases/open?as_of=2020-04-01T10:00:00%2B02:00").await;
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open[0]["case_id"], id(102));
    assert_eq!(open[0]["deadline_kind"], "besluit");
    assert_eq!(open[0]["days_left"], -9.0);
    let table = caseflow(&db)
        .args(["query", "open", "--as-of", "2020-04-01T10:00:00+02:00"])
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains("1 open cases, 1 past their legal deadline"),
        "{table}"
    );

    // Workload bad parameter.
    let r = reqwest::get(format!("{base}/api/v1/workload?from=week10"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
