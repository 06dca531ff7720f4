//! The PostgreSQL store behind every query surface: the same stream ingested into
//! SQLite (the embedded default) and into PostgreSQL (a server of the test's own)
//! gives identical output for every `caseflow query` subcommand and every API
//! read endpoint of `caseflow serve`.

mod support;

use caseflow_tests::pg::PgServer;
use caseflow_tests::{Server, TempDir};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serves_every_query_surface_like_sqlite() {
    let s = simulate(
        "pg-cli",
        &[
            "--seed",
            "31",
            "--gemeenten",
            "2",
            "--from",
            "2020-01-01",
            "--to",
            "2020-02-29",
            "--scale",
            "0.2",
        ],
    );
    let lite_dir = TempDir::new("pg-cli-lite");
    let lite = lite_dir.sqlite_url();
    let pg = PgServer::shared().database();
    let (a, b) = (ingest(&lite, &s.file), ingest(&pg, &s.file));
    assert_eq!(a, b, "ingest counts");
    assert!(a["accepted"].as_u64().unwrap() > 5000 && a["rejected"].as_u64().unwrap() > 0);

    // CLI: every query subcommand.
    let surfaces = query_surfaces();
    for args in &surfaces {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (x, y) = (
            normalize(&query(&lite, &args)),
            normalize(&query(&pg, &args)),
        );
        assert!(x.len() > 2, "caseflow query {args:?} gives data");
        assert!(
            x == y,
            "caseflow query {args:?}: PostgreSQL differs from SQLite\nsqlite: {}\npostgres: {}",
            &x[..x.len().min(400)],
            &y[..y.len().min(400)]
        );
    }
    for period in ["week", "month", "quarter", "year"] {
        let args = ["throughput", "--period", period, "--json"];
        assert_eq!(
            query(&lite, &args),
            query(&pg, &args),
            "throughput per {period}"
        );
    }
    assert_same(&outcome(&pg), &outcome(&lite), "postgres vs sqlite");

    // API: `caseflow serve` over each database.
    let (sl, sp) = (Server::start(&lite, "serve"), Server::start(&pg, "serve"));
    sl.wait_ready().await;
    sp.wait_ready().await;
    let paths = [
        "/api/v1/throughput?period=day&by_team=true",
        "/api/v1/throughput?period=quarter&gemeente=GM0344&domein=wmo",
        "/api/v1/leadtime?period=month&by_team=true",
        "/api/v1/workload",
        "/api/v1/po?as_of=2020-02-20",
        "/api/v1/alerts?status=all",
        "/api/v1/cases/open?as_of=2020-02-20",
    ];
    let mut compared = 0;
    for p in paths {
        let x = reqwest::get(format!("{}{p}", sl.base)).await.unwrap();
        let y = reqwest::get(format!("{}{p}", sp.base)).await.unwrap();
        let (xs, ys) = (x.status(), y.status());
        let (xb, yb) = (
            normalize(&x.text().await.unwrap()),
            normalize(&y.text().await.unwrap()),
        );
        assert_eq!(xs, ys, "GET {p}: status");
        if xs == 200 {
            assert!(xb == yb, "GET {p}: PostgreSQL differs from SQLite");
            compared += 1;
        }
        if p == paths[0] {
            // The same question again at the same data version: from the response
            // cache. Asked straight away: the cache key also holds the UTC hour.
            let again = reqwest::get(format!("{}{p}", sp.base)).await.unwrap();
            assert_eq!(again.status(), 200, "GET {p}");
        }
    }
    assert!(compared >= 1, "at least the throughput endpoint answered");
    let counter = |name| caseflow_tests::broker::metric(&sp.base, name);
    assert_eq!(
        counter("caseflow_api_cache_misses_total"),
        Some(compared as f64),
        "each answered question was computed once"
    );
    assert_eq!(counter("caseflow_api_cache_hits_total"), Some(1.0));
    assert_eq!(
        counter("caseflow_api_version_reads_total"),
        Some((paths.len() + 1) as f64),
        "one request at a time: each reads the data version itself"
    );
    let m = reqwest::get(format!("{}/metrics", sp.base)).await.unwrap();
    assert_eq!(m.status(), 200);
    let body = m.text().await.unwrap();
    assert!(
        body.contains("caseflow_log_events ") && body.contains("caseflow_database_up 1"),
        "{body}"
    );
}
