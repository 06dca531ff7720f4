//! `GET /api/v1/terms` in process: the answer equals the core's terms report on
//! the same events, with and without filters; a refused status is named.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use caseflow_api::{router, AppState};
use caseflow_core::config::Config;
use caseflow_core::model::MemoryLog;
use caseflow_core::terms::{self, TermStatus, TermsFilter};
use caseflow_sim::{SimConfig, SimLine, Simulator};
use caseflow_store::{Incoming, Store};
use caseflow_tests::TempDir;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use tokio::sync::Notify;
use tower::ServiceExt;

fn lines() -> Vec<String> {
    Simulator::new(SimConfig {
        seed: 24,
        gemeenten: 2,
        from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2020, 3, 31).unwrap(),
        scale: 0.03,
        bad_fraction: 0.0,
        duplicate_fraction: 0.02,
    })
    .filter(|l| !matches!(l, SimLine::Bad { .. }))
    .map(|l| l.to_ndjson())
    .collect()
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let r = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = r.status();
    let body = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{uri}: not JSON ({e})")))
}

#[tokio::test]
async fn the_answer_is_the_core_report_on_the_same_events() {
    let input = lines();
    let dir = TempDir::new("api-terms");
    let store = Store::open(&dir.sqlite_url()).await.unwrap();
    let batch = input.iter().enumerate().map(|(i, l)| Incoming { position: format!("line {}", i + 1), raw: l.clone().into_bytes() }).collect();
    store.append("test", batch).await.unwrap();
    store.project_pending(500).await.unwrap();
    let app = router(AppState::new(store.clone(), Arc::new(Notify::new()), 20_000));

    let log = MemoryLog::from_events(input.iter().filter_map(|l| caseflow_core::Event::from_json_bytes(l.as_bytes()).ok()));
    let cases = log.case_terms();
    let config = Config::default();
    let as_of: DateTime<Utc> = "2020-03-15T12:00:00Z".parse().unwrap();
    let want = |gemeente: Option<&str>, domein: Option<&str>, f: &TermsFilter| {
        let picked: Vec<_> = cases
            .iter()
            .filter(|c| gemeente.is_none_or(|g| c.gemeente == g) && domein.is_none_or(|d| c.domein.as_str() == d))
            .cloned()
            .collect();
        serde_json::to_value(terms::report(&picked, as_of, &config, f)).unwrap()
    };

    let (status, all) = get(&app, "/api/v1/terms?as_of=2020-03-15T12:00:00Z").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all, want(None, None, &TermsFilter::default()));
    for s in ["binnen_termijn", "termijn_nadert", "termijn_verstreken"] {
        assert!(all["counts"][s].as_u64().unwrap() > 0, "{s}: {}", all["counts"]);
    }
    assert!(all["terms"].as_array().unwrap().iter().any(|t| t["aanvraag_id"].is_null()));
    assert!(all["terms"].as_array().unwrap().iter().any(|t| t["term"] == "besluit"));

    // Filters: gemeente and domein narrow the cases, team the terms and counts,
    // status the list only.
    let first = &all["terms"][0];
    let gemeente = first["gemeente"].as_str().unwrap();
    let team = all["terms"].as_array().unwrap().iter().find_map(|t| t["team"].as_str()).expect("a term with a team");
    let uri = format!("/api/v1/terms?as_of=2020-03-15T12:00:00Z&gemeente={gemeente}&domein=wmo");
    assert_eq!(get(&app, &uri).await.1, want(Some(gemeente), Some("wmo"), &TermsFilter::default()));
    let uri = format!("/api/v1/terms?as_of=2020-03-15T12:00:00Z&team={}&status=termijn_verstreken", team.replace(' ', "%20"));
    let f = TermsFilter { team: Some(team.to_string()), status: Some(TermStatus::TermijnVerstreken), limit: None };
    let (status, narrowed) = get(&app, &uri).await;
    assert_eq!(status, StatusCode::OK, "{narrowed}");
    assert_eq!(narrowed, want(None, None, &f));
    let rows = narrowed["terms"].as_array().unwrap();
    assert!(!rows.is_empty(), "the team has overdue terms, so the filter is tested on rows");
    assert!(rows.iter().all(|t| t["team"] == team && t["status"] == "termijn_verstreken"));
    // limit cuts the list to its most urgent rows; the counts stay whole.
    let (_, cut) = get(&app, "/api/v1/terms?as_of=2020-03-15T12:00:00Z&limit=3").await;
    assert_eq!(cut["terms"], Value::Array(all["terms"].as_array().unwrap()[..3].to_vec()));
    assert_eq!(cut["counts"], all["counts"]);

    let (status, err) = get(&app, "/api/v1/terms?status=nadert").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["parameter"], "status", "{err}");
    store.close().await;
}
