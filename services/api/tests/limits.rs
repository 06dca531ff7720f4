//! The API's input handling and bounds, in process: the router over a temporary
//! SQLite store. Query strings (unknown, empty, repeated, malformed parameters),
//! body and line limits, row caps, the request timeout and the concurrency limit.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use caseflow_api::{accepted, router, AppState, Limits};
use caseflow_sim::{SimConfig, Simulator};
use caseflow_store::Store;
use caseflow_tests::TempDir;
use serde_json::Value;
use tokio::sync::Notify;
use tower::ServiceExt;

/// Every GET endpoint of the API and the parameters it accepts.
const GETS: &[(&str, &[&str])] = &[
    ("/api/v1/throughput", accepted::THROUGHPUT),
    ("/api/v1/leadtime", accepted::LEADTIME),
    ("/api/v1/workload", accepted::WORKLOAD),
    ("/api/v1/po", accepted::PO),
    ("/api/v1/alerts", accepted::ALERTS),
    ("/api/v1/cases/open", accepted::OPEN_CASES),
    ("/api/v1/dead-letters", accepted::DEAD_LETTERS),
];

struct Api {
    _dir: TempDir,
    store: Store,
    app: Router,
}

async fn api(limits: Limits) -> Api {
    let dir = TempDir::new("api-limits");
    let store = Store::open(&dir.sqlite_url()).await.unwrap();
    let app =
        router(AppState::new(store.clone(), Arc::new(Notify::new()), 20_000).with_limits(limits));
    Api {
        _dir: dir,
        store,
        app,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    /// The body as JSON; fails the test when it is not (every API answer is).
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The number of rows of a list answer (an array, or the list of an object).
    fn rows(&self, path: &str) -> usize {
        let v = self.json();
        match path {
            "/api/v1/workload" => v["weeks"].as_array(),
            "/api/v1/po" => v["beschikkingen"].as_array(),
            _ => v.as_array(),
        }
        .unwrap_or_else(|| panic!("{path}: no list in {v}"))
        .len()
    }
}

impl Api {
    async fn send(&self, req: Request<Body>) -> Answer {
        let r = self.app.clone().oneshot(req).await.unwrap();
        let (parts, body) = r.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: axum::body::to_bytes(body, usize::MAX).await.unwrap(),
        }
    }

    async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn post(&self, uri: &str, body: impl Into<Body>) -> Answer {
        self.send(Request::post(uri).body(body.into()).unwrap())
            .await
    }
}

/// A 400 naming `parameter`.
fn assert_bad_parameter(a: &Answer, uri: &str, parameter: &str) {
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "{uri}: {}",
        String::from_utf8_lossy(&a.body)
    );
    let v = a.json();
    assert_eq!(v["parameter"], parameter, "{uri}: {v}");
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains(parameter)),
        "{uri}: {v}"
    );
}

/// `n` lines of the simulator's realistic stream (a few bad lines and duplicates included).
fn simulated(n: usize) -> String {
    let lines: Vec<String> = Simulator::new(SimConfig::default())
        .take(n)
        .map(|l| l.to_ndjson())
        .collect();
    assert_eq!(lines.len(), n, "the simulator gives {n} lines");
    lines.join("\n")
}

/// A small gemeente's first quarter of 2020 with its history (about 7,500
/// lines, staffing included): rows in every read model.
fn small_gemeente() -> String {
    let cfg = SimConfig {
        gemeenten: 1,
        scale: 0.1,
        from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        to: chrono::NaiveDate::from_ymd_opt(2020, 3, 31).unwrap(),
        ..SimConfig::default()
    };
    let lines: Vec<String> = Simulator::new(cfg).map(|l| l.to_ndjson()).collect();
    lines.join("\n")
}

#[tokio::test]
async fn an_unknown_parameter_is_refused_by_name_on_every_endpoint() {
    let api = api(Limits::default()).await;
    for (path, accepted) in GETS {
        // A typo of `gemeente` must not answer for every gemeente.
        let uri = format!("{path}?gemente=GM0344");
        let a = api.get(&uri).await;
        assert_bad_parameter(&a, &uri, "gemente");
        let v = a.json();
        let listed: Vec<&str> = v["accepted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(&listed, accepted, "{uri}");
        assert!(
            accepted
                .iter()
                .all(|p| v["error"].as_str().unwrap().contains(p)),
            "{uri}: {v}"
        );
    }
    // A parameter another endpoint accepts is still unknown here.
    for uri in [
        "/api/v1/throughput?team=IGT%20Oost",
        "/api/v1/dead-letters?gemeente=GM0344",
        "/api/v1/po?period=week",
    ] {
        let a = api.get(uri).await;
        let name = uri.split(['?', '=']).nth(1).unwrap();
        assert_bad_parameter(&a, uri, name);
    }
    let a = api.post("/api/v1/events?dry_run=true", "{}").await;
    assert_bad_parameter(&a, "POST /api/v1/events?dry_run=true", "dry_run");
}

#[tokio::test]
async fn an_empty_or_repeated_parameter_is_refused_by_name() {
    let api = api(Limits::default()).await;
    for (path, accepted) in GETS {
        for p in *accepted {
            for query in [format!("{p}="), format!("{p}=%20"), p.to_string()] {
                let uri = format!("{path}?{query}");
                assert_bad_parameter(&api.get(&uri).await, &uri, p);
            }
        }
    }
    let uri = "/api/v1/throughput?gemeente=GM0344&gemeente=GM0363";
    assert_bad_parameter(&api.get(uri).await, uri, "gemeente");
}

#[tokio::test]
async fn a_refused_value_comes_back_short_and_without_a_bsn() {
    let api = api(Limits::default()).await;
    let long = "G".repeat(60_000);
    for (path, accepted) in GETS {
        for p in ["gemeente", "domein", "from", "as_of"] {
            if !accepted.contains(&p) {
                continue;
            }
            for value in ["123456782", "12345678%E2%80%8B2", long.as_str()] {
                let uri = format!("{path}?{p}={value}");
                let a = api.get(&uri).await;
                assert_bad_parameter(&a, &uri, p);
                let body = String::from_utf8_lossy(&a.body);
                assert!(!body.contains("123456782") && !body.contains("12345678\u{200b}2"), "{uri}: a BSN came back: {body}");
                assert!(a.body.len() < 2_000, "{uri}: {} bytes came back", a.body.len());
            }
        }
    }
}

#[tokio::test]
async fn a_malformed_limit_is_refused_by_name() {
    let api = api(Limits {
        max_rows: 500,
        ..Limits::default()
    })
    .await;
    for (path, accepted) in GETS {
        assert!(
            accepted.contains(&"limit"),
            "{path} is a list and takes `limit`"
        );
        for bad in ["abc", "-1", "1e3", "2.5", "501", "99999999999999999999999"] {
            let uri = format!("{path}?limit={bad}");
            let a = api.get(&uri).await;
            assert_bad_parameter(&a, &uri, "limit");
            assert!(
                a.json()["error"].as_str().unwrap().contains("500"),
                "{uri}: states the maximum"
            );
        }
    }
}

#[tokio::test]
async fn every_accepted_parameter_with_a_good_value_is_answered() {
    let api = api(Limits::default()).await;
    let uris = [
        "/api/v1/throughput?period=month&gemeente=GM0344&domein=wmo&from=2020-01&to=2020-Q2&by_team=true&limit=10",
        "/api/v1/leadtime?period=year&gemeente=GM0344&domein=jeugd&from=2020&to=2020&by_team=false&measure=besluit&limit=10",
        "/api/v1/workload?gemeente=GM0344&domein=wmo&team=IGT%20Oost&from=2020-W01&to=2020-W10&limit=10",
        "/api/v1/po?gemeente=GM0344&domein=wmo&team=IGT%20Oost&status=in_behandeling&as_of=2020-06-30&limit=0",
        "/api/v1/alerts?gemeente=GM0344&domein=wmo&team=IGT%20Oost&status=all&kind=po_verlopen&limit=200",
        "/api/v1/cases/open?gemeente=GM0344&domein=wmo&team=IGT%20Oost&as_of=2020-06-30T12:00:00%2B02:00&limit=50",
        "/api/v1/dead-letters?order=desc&limit=1",
    ];
    assert_eq!(uris.len(), GETS.len(), "one URI for every endpoint");
    for (uri, (path, accepted)) in uris.iter().zip(GETS) {
        assert!(uri.starts_with(&format!("{path}?")));
        assert!(
            accepted.iter().all(|p| uri.contains(&format!("{p}="))),
            "{uri} sets every parameter of {path}"
        );
        let a = api.get(uri).await;
        assert_eq!(
            a.status,
            StatusCode::OK,
            "{uri}: {}",
            String::from_utf8_lossy(&a.body)
        );
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_json_413_stating_the_limit() {
    let api = api(Limits::default()).await;
    let limit = Limits::DEFAULT_MAX_BODY_BYTES;
    let a = api.post("/api/v1/events", vec![b'\n'; limit + 1]).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    let v = a.json();
    assert_eq!(v["limit_bytes"], limit, "{v}");
    let error = v["error"].as_str().unwrap();
    assert!(
        error.contains(&limit.to_string()) && error.contains("split"),
        "{error}"
    );

    // A configured limit is the one applied and stated.
    let small = self::api(Limits {
        max_body_bytes: 1000,
        ..Limits::default()
    })
    .await;
    let a = small.post("/api/v1/events", simulated(10)).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(a.json()["limit_bytes"], 1000);
}

#[tokio::test]
async fn more_lines_than_the_row_cap_is_a_json_413() {
    let api = api(Limits {
        max_rows: 100,
        ..Limits::default()
    })
    .await;
    let a = api.post("/api/v1/events", "x\n".repeat(101)).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(a.json()["limit_lines"], 100);
    assert_eq!(
        api.store.dead_letter_count().await.unwrap(),
        0,
        "nothing was read in"
    );
    // Blank lines do not count; exactly the cap is fine.
    let a = api.post("/api/v1/events", "x\n\n".repeat(100)).await;
    assert_eq!(
        a.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&a.body)
    );
    assert_eq!(a.json()["rejected"], 100);
}

#[tokio::test]
async fn a_batch_of_20000_simulated_events_fits_the_default_limit() {
    let api = api(Limits::default()).await;
    let body = simulated(20_000);
    // axum's default limit (2 MiB) would refuse a batch of 5,000.
    assert!(
        body.len() > 4 << 20,
        "20,000 events are {} bytes",
        body.len()
    );
    let a = api.post("/api/v1/events", body).await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&a.body[..a.body.len().min(500)])
    );
    let v = a.json();
    let counted = ["accepted", "duplicates", "rejected"]
        .iter()
        .map(|k| v[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(counted, 20_000);
    assert!(
        v["accepted"].as_u64().unwrap() > 19_000,
        "{}",
        v["accepted"]
    );
}

#[tokio::test]
async fn every_list_is_capped_and_says_so() {
    let api = api(Limits {
        max_rows: 3,
        ..Limits::default()
    })
    .await;
    // Read in directly: a POST of more lines than the cap is refused.
    let r = api
        .store
        .append(
            "test",
            caseflow_api::split_lines(small_gemeente().as_bytes()),
        )
        .await
        .unwrap();
    assert!(r.accepted > 5_000, "{r:?}");
    api.store.project_pending(20_000).await.unwrap();
    api.store.evaluate_alerts(chrono::Utc::now()).await.unwrap();
    for (path, query) in [
        ("/api/v1/throughput", "period=day&by_team=true"),
        ("/api/v1/leadtime", "period=day&by_team=true"),
        ("/api/v1/workload", ""),
        ("/api/v1/po", "as_of=2020-03-31"),
        ("/api/v1/alerts", "status=all"),
        ("/api/v1/cases/open", "as_of=2020-03-31"),
        ("/api/v1/dead-letters", ""),
    ] {
        // Without `limit`: at most the cap. With `limit`: that many.
        for (uri, shown) in [
            (format!("{path}?{query}"), 3),
            (format!("{path}?{query}&limit=2"), 2),
        ] {
            let a = api.get(&uri).await;
            assert_eq!(
                a.status,
                StatusCode::OK,
                "{uri}: {}",
                String::from_utf8_lossy(&a.body)
            );
            assert_eq!(
                a.rows(path),
                shown,
                "{uri}: {}",
                String::from_utf8_lossy(&a.body[..a.body.len().min(600)])
            );
            assert_eq!(a.header("x-truncated"), Some("true"), "{uri}");
            if path != "/api/v1/alerts" {
                let total: usize = a
                    .header("x-total-count")
                    .expect("x-total-count")
                    .parse()
                    .unwrap();
                assert!(total > 3, "{uri}: {total} rows before the cap");
            }
        }
        // `limit=0`: no rows, still the count (the PO counts, the dead-letter total).
        let a = api.get(&format!("{path}?{query}&limit=0")).await;
        assert_eq!(a.rows(path), 0, "{path}");
    }
    // A list within the cap is not cut.
    let a = api
        .get("/api/v1/throughput?period=year&domein=wmo&from=2020&to=2020")
        .await;
    let n = a.rows("/api/v1/throughput");
    assert!((1..=3).contains(&n), "{n} rows");
    assert_eq!(a.header("x-truncated"), Some("false"));
    assert_eq!(a.header("x-total-count"), Some(n.to_string().as_str()));
}

/// A body that sends nothing and never ends; `reading` is told when it is polled.
fn endless_body(reading: Arc<Notify>) -> Body {
    let stream = futures_util::stream::unfold(reading, |reading| async move {
        reading.notify_one();
        std::future::pending::<()>().await;
        Some((Ok::<_, std::io::Error>(Bytes::new()), reading))
    });
    Body::from_stream(stream)
}

#[tokio::test]
async fn a_request_over_the_timeout_is_a_json_503_and_health_is_still_answered() {
    let limits = Limits {
        request_timeout: Duration::from_millis(300),
        max_concurrent_requests: 1,
        ..Limits::default()
    };
    let api = api(limits).await;
    // A POST whose body never arrives holds the only permit until its timeout.
    let reading = Arc::new(Notify::new());
    let hung = {
        let app = api.app.clone();
        let req = Request::post("/api/v1/events")
            .body(endless_body(reading.clone()))
            .unwrap();
        tokio::spawn(async move { app.oneshot(req).await.unwrap() })
    };
    reading.notified().await;
    // Meanwhile liveness is answered: health is outside the limit.
    assert_eq!(api.get("/health/live").await.status, StatusCode::OK);

    let hung = tokio::time::timeout(Duration::from_secs(30), hung)
        .await
        .expect("the hung request is answered at its timeout")
        .unwrap();
    assert_eq!(hung.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = axum::body::to_bytes(hung.into_body(), usize::MAX)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("took longer than 0.3 s"),
        "{v}"
    );
    // The permit is free again.
    assert_eq!(api.get("/api/v1/throughput").await.status, StatusCode::OK);
}

#[tokio::test]
async fn other_rejections_are_json_too() {
    let api = api(Limits::default()).await;
    let a = api
        .send(
            Request::builder()
                .method(Method::DELETE)
                .uri("/api/v1/po")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(a.json()["error"].as_str().unwrap().contains("DELETE"));
    let a = api.get("/api/v1/events").await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(a.json()["error"].is_string());
    let a = api.get("/api/v1/nope").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.json()["error"].is_string());
}
