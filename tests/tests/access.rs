//! Access control through the real binary: `serve` refuses to listen on the
//! network without an identity (or with `--auth off`, or with the deploy
//! files' placeholder), `--auth required` holds on loopback with tokens made
//! by `caseflow token create`, and the body limit answers 413 in the API's
//! error shape.

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};
use std::time::Duration;

use caseflow_tests::{caseflow, Server, TempDir};

mod support;
use serde_json::Value;

fn token(db: &str, role: &str, gemeente: &str) -> String {
    let o = caseflow(db)
        .args(["token", "create", "--role", role, "--gemeente", gemeente, "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["token"].as_str().unwrap().to_string()
}

/// `caseflow serve ARGS` that must exit on its own: its output.
fn refused(db: &str, args: &[&str]) -> Output {
    let mut child = caseflow(db)
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..300 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("serve {args:?} did not refuse to start: {:?}", child.wait_with_output().unwrap());
}

#[test]
fn serve_refuses_the_network_without_an_identity() {
    let dir = TempDir::new("auth-refuse");
    let db = dir.sqlite_url();
    let cases: &[(&[&str], &str)] = &[
        (&["--listen", "0.0.0.0:0"], "no identity is configured"),
        (&["--listen", "0.0.0.0:0", "--auth", "off"], "with --auth off"),
        (
            &["--listen", "127.0.0.1:0", "--auth", "required", "--oidc-issuer", "https://CHANGE-ME", "--oidc-audience", "caseflow", "--oidc-jwks-url", "https://CHANGE-ME/keys"],
            "placeholder",
        ),
        (
            &["--listen", "127.0.0.1:0", "--auth", "required", "--oidc-issuer", "https://idp.example", "--oidc-audience", "caseflow"],
            "--oidc-jwks-url",
        ),
    ];
    for (args, says) in cases {
        let o = refused(&db, args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!String::from_utf8_lossy(&o.stdout).contains("listening"), "{args:?}");
    }
    // With a token in the database, the same address is served (credentials required).
    let admin = token(&db, "admin", "*");
    let mut child = caseflow(&db)
        .args(["serve", "--listen", "0.0.0.0:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().rsplit(':').next().unwrap().to_string();
    let base = format!("http://127.0.0.1:{port}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (open, with) = rt.block_on(async {
        let c = reqwest::Client::new();
        let open = c.get(format!("{base}/api/v1/dead-letters")).send().await.unwrap().status();
        let with = c.get(format!("{base}/api/v1/dead-letters")).bearer_auth(&admin).send().await.unwrap().status();
        (open, with)
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("listening on http://0.0.0.0:"), "{line}");
    assert_eq!(open, 401);
    assert_eq!(with, 200);
}

#[tokio::test]
async fn auth_required_on_loopback_with_cli_tokens_and_the_body_limit() {
    let dir = TempDir::new("auth-required");
    let db = dir.sqlite_url();
    let producer = token(&db, "producer", "GM0935");
    let reader = token(&db, "reader", "GM0935");
    let server = Server::start_with(&db, &["serve", "--auth", "required", "--max-body-bytes", "2000"]);
    server.wait_ready().await;
    let c = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", server.base);
    assert_eq!(c.get(url("/api/v1/throughput")).send().await.unwrap().status(), 401);
    let r = c.get(url("/api/v1/throughput")).bearer_auth(&reader).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Another gemeente's figures: refused, naming the parameter.
    let r = c.get(url("/api/v1/throughput?gemeente=GM0344")).bearer_auth(&reader).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["parameter"], "gemeente");
    // The reader may not post; the producer may, up to the body limit.
    let line = caseflow_tests::event(&caseflow_tests::id(1), "melding.ontvangen", "2026-10-01T09:00:00+02:00", &caseflow_tests::id(2), serde_json::json!({"kanaal": "telefoon", "verwijzer": "huisarts"}));
    assert_eq!(c.post(url("/api/v1/events")).bearer_auth(&reader).body(line.clone()).send().await.unwrap().status(), 403);
    let r = c.post(url("/api/v1/events")).bearer_auth(&producer).body(line.clone()).send().await.unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let big = format!("{line}\n").repeat(10);
    let r = c.post(url("/api/v1/events")).bearer_auth(&producer).body(big).send().await.unwrap();
    assert_eq!(r.status(), 413);
    let e: Value = r.json().await.unwrap();
    assert!(e["error"].as_str().unwrap().contains("--max-body-bytes"), "{e}");
    assert_eq!(e["limit_bytes"], 2000);
    // An unauthenticated body is refused before it is read.
    let r = c.post(url("/api/v1/events")).body(line).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

/// The Python with Playwright that drives the browser (`make test-deps` installs it).
fn playwright_python() -> String {
    let py = caseflow_tests::broker::python();
    let ok = std::process::Command::new(&py).args(["-c", "import playwright"]).status().map(|s| s.success()).unwrap_or(false);
    assert!(ok, "{} cannot import playwright; run `make deps`", py.display());
    py.display().to_string()
}

#[tokio::test]
async fn the_dashboard_asks_for_a_token_and_shows_only_the_scope() {
    let stream = support::simulate("auth-dashboard", &["--gemeenten", "3", "--scale", "0.1", "--from", "2026-07-01", "--to", "2026-09-30"]);
    let db = format!("sqlite://{}/caseflow.db", stream.dir.0.display());
    support::ingest(&db, &stream.file);
    let gemeenten: Vec<String> = {
        let out = support::query(&db, &["throughput", "--period", "year", "--json"]);
        let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
        rows.iter().map(|r| r["gemeente"].as_str().unwrap().to_string()).collect::<std::collections::BTreeSet<_>>().into_iter().collect()
    };
    assert_eq!(gemeenten.len(), 3, "{gemeenten:?}");
    let two = format!("{},{}", gemeenten[0], gemeenten[1]);
    let reader = token(&db, "reader", &two);
    let council = token(&db, "council", &gemeenten[2]);
    let server = Server::start_with(&db, &["serve", "--auth", "required"]);
    server.wait_ready().await;
    let out = std::process::Command::new(playwright_python())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/browser/dashboard_login.py"))
        .args([&caseflow_tests::chromium(), &server.base, &reader, &council])
        .output()
        .unwrap();
    assert!(out.status.success(), "the browser script failed: {}", String::from_utf8_lossy(&out.stderr));
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(seen["wrong_token_message"].as_str().unwrap().contains("niet geaccepteerd"), "{seen}");
    let r = &seen["reader"];
    assert_eq!(r["gemeente_options"], serde_json::json!([gemeenten[0], gemeenten[1]]), "{seen}");
    assert_eq!(r["roles"], "lezer");
    assert_eq!(r["error_banner"], "", "{seen}");
    assert!(r["throughput_rows"].as_u64().unwrap() > 0);
    assert!(!r["visible_tabs"].as_array().unwrap().contains(&Value::from("deadletters")), "{seen}");
    assert_eq!(r["open_case_gemeenten"], serde_json::json!([gemeenten[0]]), "{seen}");
    assert_eq!(seen["after_logout_asks_again"], true);
    let c = &seen["council"];
    assert_eq!(c["visible_tabs"], serde_json::json!([]), "{seen}");
    let report = c["monitor_text"].as_str().unwrap();
    assert!(report.contains(&gemeenten[2]), "the council's report names its gemeente: {report:.500}");
    assert!(!report.contains(&gemeenten[0]) && !report.contains(&gemeenten[1]), "no other gemeente in the council's report");
}
