//! The real binary tried as an attacker would, on SQLite and PostgreSQL:
//! - fuzzed bad lines: every line is accounted for (accepted + duplicates +
//!   rejected = lines sent), every rejection has a kind and a reason, never a 5xx;
//! - BSNs in disguise (separators, other digit scripts, a zero-width space, JSON
//!   escapes) in every kind of field: none found afterwards in the database
//!   files, the dead-letter API (text and bytes) or the server's log;
//! - fuzzed query strings on every endpoint: never a 5xx, a bounded answer, the
//!   one JSON error shape, and the server's memory under a bound.

use std::path::Path;

use base64::Engine;
use caseflow_tests::pg::{pg_bin, PgServer};
use caseflow_tests::{Rng, Server, TempDir};
use serde_json::{json, Value};

/// Valid BSNs (they pass the 11-test), and the disguises a producer's system
/// might put on them.
const BSNS: [&str; 2] = ["123456782", "111222333"];

fn disguises(bsn: &str) -> Vec<String> {
    let d: Vec<char> = bsn.chars().collect();
    let shifted = |zero: u32| d.iter().map(|c| char::from_u32(zero + c.to_digit(10).unwrap()).unwrap()).collect::<String>();
    let s: String = d.iter().collect();
    vec![
        s.clone(),
        format!("{}.{}.{}", &s[0..4], &s[4..6], &s[6..9]),
        format!("{} {} {}", &s[0..4], &s[4..6], &s[6..9]),
        format!("{}-{}-{}", &s[0..3], &s[3..6], &s[6..9]),
        shifted(0xFF10), // full-width digits
        shifted(0x0660), // Arabic-Indic digits
        format!("{}\u{200B}{}", &s[0..4], &s[4..9]),
        format!("bsn:{s}"),
    ]
}

fn uuid(rng: &mut Rng) -> String {
    uuid::Builder::from_random_bytes((u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())).to_be_bytes())
        .into_uuid()
        .to_string()
}

/// A valid event of a random type.
fn valid_event(rng: &mut Rng) -> Value {
    let case = uuid(rng);
    let (event_type, data) = match rng.below(5) {
        0 => ("melding.ontvangen", json!({"kanaal": "telefoon", "verwijzer": "huisarts", "wijk": "Noord"})),
        1 => ("melding.beoordeeld", json!({"uitkomst": "doorgezet", "reden": "ondersteuning nodig"})),
        2 => ("case.toegewezen", json!({"team": "IGT Oost", "consulent_ref": "k-17", "dossiertype": "nieuw"})),
        3 => ("aanvraag.ingediend", json!({"aanvraag_id": uuid(rng), "voorziening": "hbh", "soort": "nieuw"})),
        _ => {
            return json!({
                "event_id": uuid(rng), "event_type": "formatie.vastgesteld", "schema_version": 1,
                "occurred_at": "2026-03-02T09:00:00+01:00", "gemeente": "GM0363", "domein": "wmo",
                "data": {"team": "IGT Oost", "consulent_ref": "k-17", "fte": 0.8, "geldig_vanaf": "2026-03-02"}
            })
        }
    };
    json!({
        "event_id": uuid(rng), "event_type": event_type, "schema_version": 1,
        "occurred_at": format!("2026-03-{:02}T10:{:02}:00+01:00", 1 + rng.below(28), rng.below(60)),
        "gemeente": *rng.pick(&["GM0363", "GM0344"]), "domein": *rng.pick(&["wmo", "jeugd"]),
        "case_id": case, "client_ref": format!("c-{}", rng.below(1000)), "data": data,
    })
}

/// Put `value` at a path of an event (`a.b` for data fields).
fn set(e: &mut Value, path: &str, value: Value) {
    match path.split_once('.') {
        Some((a, b)) => e[a][b] = value,
        None => e[path] = value,
    }
}

/// One fuzzed line: a valid event, or a mutation of one (bytes or structure).
/// The lines that parse as JSON are kept in `sent` (for repeats).
fn fuzzed_line(rng: &mut Rng, sent: &mut Vec<Value>) -> Vec<u8> {
    let mut line = mutation(rng, sent);
    line.retain(|b| *b != b'\n');
    if let Ok(v) = serde_json::from_slice::<Value>(&line) {
        sent.push(v);
    }
    line
}

fn mutation(rng: &mut Rng, sent: &[Value]) -> Vec<u8> {
    let mut e = valid_event(rng);
    let text = e.to_string();
    match rng.below(14) {
        0 => text.into_bytes(),
        1 => {
            // An exact repeat of an earlier line (a duplicate), or a conflict.
            if let Some(prev) = sent.last() {
                let mut p = prev.clone();
                if rng.below(2) == 0 {
                    p["occurred_at"] = json!("2026-03-29T03:30:00+02:00");
                }
                return p.to_string().into_bytes();
            }
            text.into_bytes()
        }
        2 => {
            let cut = rng.below(text.len());
            text.as_bytes()[..cut].to_vec()
        }
        3 => {
            let mut b = text.into_bytes();
            let i = rng.below(b.len());
            b[i] = *rng.pick(&[0x00, 0xff, 0x80, b'"', b'\\', b'{']);
            b
        }
        4 => {
            set(&mut e, *rng.pick(&["client_ref", "data.team", "data.reden", "source", "data.wijk"]), json!("x".repeat(100_000)));
            e.to_string().into_bytes()
        }
        5 => {
            set(&mut e, *rng.pick(&["client_ref", "data.team", "gemeente", "data.reden"]), json!("a\u{0}b"));
            e.to_string().into_bytes()
        }
        6 => {
            let field = *rng.pick(&["event_id", "gemeente", "occurred_at", "domein", "data", "case_id"]);
            e.as_object_mut().unwrap().remove(field);
            e.to_string().into_bytes()
        }
        7 => {
            e["data"]["kleur"] = json!("rood");
            e.to_string().into_bytes()
        }
        8 => {
            set(&mut e, *rng.pick(&["schema_version", "occurred_at", "data", "client_ref"]), json!([1, {"a": null}]));
            e.to_string().into_bytes()
        }
        9 => {
            let when = *rng.pick(&[
                "0000-01-01T00:00:00Z",
                "9999-12-31T23:59:59-23:59",
                "2026-06-30T23:59:60Z",
                "2026-02-30T10:00:00Z",
                "2026-03-01T10:00:00",
            ]);
            e["occurred_at"] = json!(when);
            e.to_string().into_bytes()
        }
        10 => {
            e["event_id"] = json!("00000000-0000-0000-0000-000000000000");
            e.to_string().into_bytes()
        }
        11 => {
            let field = *rng.pick(&["client_ref", "data.team", "data.reden", "source", "data.consulent_ref"]);
            let bsn = *rng.pick(&BSNS);
            let disguise = rng.pick(&disguises(bsn)).clone();
            set(&mut e, field, json!(disguise));
            e.to_string().into_bytes()
        }
        12 => (0..rng.below(300)).map(|_| rng.next_u64() as u8).collect(),
        _ => {
            e["data"] = json!("not an object");
            e.to_string().into_bytes()
        }
    }
}

/// BSNs in fields the validation rejects, in JSON escapes and in field names:
/// each line must be rejected and none of it may leave a BSN behind.
fn bsn_lines(rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for bsn in BSNS {
        for disguise in disguises(bsn) {
            for field in ["client_ref", "data.reden", "data.team", "gemeente", "event_id", "occurred_at", "data.kanaal", "case_id"] {
                let mut e = valid_event(rng);
                if field == "data.reden" {
                    e["event_type"] = json!("melding.beoordeeld");
                    e["data"] = json!({"uitkomst": "doorgezet"});
                }
                set(&mut e, field, json!(disguise));
                lines.push(e.to_string().into_bytes());
            }
            // The BSN as the name of an unknown field.
            let mut e = valid_event(rng);
            e["data"][disguise.as_str()] = json!(1);
            lines.push(e.to_string().into_bytes());
        }
        // schema_version as a number, and every digit as a JSON escape.
        let mut e = valid_event(rng);
        e["schema_version"] = json!(bsn.parse::<u64>().unwrap());
        lines.push(e.to_string().into_bytes());
        let escaped: String = bsn.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
        let e = valid_event(rng).to_string();
        let at = e.find("\"client_ref\":\"").unwrap() + "\"client_ref\":\"".len();
        let end = at + e[at..].find('"').unwrap();
        lines.push(format!("{}{escaped}{}", &e[..at], &e[end..]).into_bytes());
        let e = valid_event(rng).to_string();
        let gemeente = e.find("\"gemeente\":\"GM").unwrap() + "\"gemeente\":\"".len();
        lines.push(format!("{}{escaped}{}", &e[..gemeente], &e[gemeente + 6..]).into_bytes());
    }
    lines
}

/// Every BSN of [`BSNS`] found in `bytes`, after undoing the disguises: JSON
/// escapes decoded, every decimal digit of the scripts used mapped to ASCII,
/// separators between digits removed.
fn bsns_in(bytes: &[u8]) -> Vec<&'static str> {
    let text = String::from_utf8_lossy(bytes);
    let mut decoded = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'u') {
            let hex: String = chars.clone().skip(1).take(4).collect();
            if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                decoded.push(ch);
                for _ in 0..5 {
                    chars.next();
                }
                continue;
            }
        }
        decoded.push(c);
    }
    let normalised: String = decoded
        .chars()
        .filter_map(|c| match c as u32 {
            0xFF10..=0xFF19 => char::from_digit(c as u32 - 0xFF10, 10),
            0x0660..=0x0669 => char::from_digit(c as u32 - 0x0660, 10),
            _ if matches!(c, '.' | ' ' | '-' | '\u{200B}') => None,
            _ => Some(c),
        })
        .collect();
    BSNS.into_iter().filter(|b| normalised.contains(b)).collect()
}

async fn post(http: &reqwest::Client, base: &str, lines: &[Vec<u8>]) -> Value {
    let body = lines.join(&b'\n');
    let r = http.post(format!("{base}/api/v1/events")).body(body).send().await.unwrap();
    let status = r.status();
    assert!(status == 200 || status == 422, "POST answered {status}");
    r.json().await.unwrap()
}

async fn bad_lines_and_bsns_leave_no_trace(database: &str, dir: &TempDir, dump: impl Fn() -> Vec<u8>) {
    let log = dir.0.join("server.log");
    let server = Server::start_logged(database, &["run"], &log);
    server.wait_ready().await;
    let http = reqwest::Client::new();
    let mut rng = Rng(20);

    let mut sent_values = Vec::new();
    let (mut lines_sent, mut counted, mut rejected) = (0, 0, 0);
    for _ in 0..6 {
        let batch: Vec<Vec<u8>> = (0..400).map(|_| fuzzed_line(&mut rng, &mut sent_values)).collect();
        // Blank lines are skipped by NDJSON; count only lines with content.
        lines_sent += batch.iter().filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count();
        let r = post(&http, &server.base, &batch).await;
        counted += ["accepted", "duplicates", "rejected"].iter().map(|k| r[k].as_u64().unwrap() as usize).sum::<usize>();
        rejected += r["rejected"].as_u64().unwrap() as usize;
        for rej in r["rejections"].as_array().unwrap() {
            assert!(!rej["kind"].as_str().unwrap().is_empty() && !rej["reason"].as_str().unwrap().is_empty(), "{rej}");
        }
    }
    assert_eq!(counted, lines_sent, "accepted + duplicates + rejected = lines sent");
    assert!(rejected > lines_sent / 2, "the fuzz rejects most lines ({rejected} of {lines_sent})");

    let bsn = bsn_lines(&mut rng);
    let r = post(&http, &server.base, &bsn).await;
    assert_eq!(r["rejected"].as_u64().unwrap() as usize, bsn.len(), "every BSN line is rejected: {r}");
    assert!(bsns_in(r.to_string().as_bytes()).is_empty(), "the POST's answer repeats a BSN");

    // A retried POST (same X-Request-Id) stores its bad line once; a request id
    // that is a BSN is not taken.
    for request_id in ["retry-1", "retry-1", "123456782"] {
        let r = http
            .post(format!("{}/api/v1/events", server.base))
            .header("x-request-id", request_id)
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let got = r.json::<Value>().await.unwrap()["request_id"].as_str().unwrap().to_string();
        assert_eq!(got == request_id, request_id == "retry-1", "{request_id} → {got}");
    }

    // The dead letters, as the API serves them: no BSN in the text or the bytes.
    let dl: Value = http.get(format!("{}/api/v1/dead-letters?limit=50000", server.base)).send().await.unwrap().json().await.unwrap();
    let dl = dl.as_array().expect("dead letters").clone();
    // Every rejected line is a dead letter, the retried one once.
    assert_eq!(dl.len(), rejected + bsn.len() + 2, "dead letters");
    for d in &dl {
        let raw = base64::engine::general_purpose::STANDARD.decode(d["raw_base64"].as_str().unwrap()).unwrap();
        assert!(raw.len() <= 64 * 1024, "a dead letter keeps {} bytes", raw.len());
        let found = [bsns_in(&raw), bsns_in(d.to_string().as_bytes())].concat();
        assert!(found.is_empty(), "dead letter {} holds BSN {found:?}: {}", d["id"], d["reason"]);
    }
    drop(server);

    let found = bsns_in(&std::fs::read(&log).unwrap());
    assert!(found.is_empty(), "the server's log holds BSN {found:?}");
    let dumped = dump();
    assert!(dumped.len() > 10_000, "the database dump is not trivial");
    let found = bsns_in(&dumped);
    assert!(found.is_empty(), "the database holds BSN {found:?}");
}

/// Every file of the SQLite database (main file, WAL, shared memory), as bytes.
fn sqlite_files(dir: &Path) -> Vec<u8> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|f| f.file_name().to_string_lossy().starts_with("caseflow.db"))
        .flat_map(|f| std::fs::read(f.path()).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_lines_and_bsns_leave_no_trace_on_sqlite() {
    let dir = TempDir::new("adversarial-lines");
    let path = dir.0.clone();
    bad_lines_and_bsns_leave_no_trace(&dir.sqlite_url(), &dir, || sqlite_files(&path)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_lines_and_bsns_leave_no_trace_on_postgres() {
    let dir = TempDir::new("adversarial-lines-pg");
    let pg = PgServer::shared();
    let url = pg.database();
    let name = url.rsplit('/').next().unwrap().to_string();
    let dump = || {
        let out = std::process::Command::new(pg_bin().join("pg_dump"))
            .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", "postgres", &name])
            .output()
            .expect("run pg_dump");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    bad_lines_and_bsns_leave_no_trace(&url, &dir, dump).await;
}

/// The GET endpoints and the parameters each understands.
const ENDPOINTS: &[&str] = &[
    "/api/v1/throughput",
    "/api/v1/leadtime",
    "/api/v1/workload",
    "/api/v1/po",
    "/api/v1/alerts",
    "/api/v1/cases/open",
    "/api/v1/dead-letters",
];
const NAMES: &[&str] = &[
    "period", "gemeente", "domein", "from", "to", "by_team", "team", "measure", "as_of", "status", "kind", "limit",
    "order", "gemente", "", "%00", "x%20y", "limit[]", "GEMEENTE",
];
const VALUES: &[&str] = &[
    "", "week", "month", "quarter", "day", "year", "GM0363", "GM9999", "wmo", "jeugd", "true", "false", "0000-01-01",
    "9999-12-31", "2026-01-01", "2026-W10", "2026-Q1", "2026-03", "-1", "0", "1", "99999999999999999999", "1e400",
    "abc", "%00", "%FF", "%E2%80%8B", "123456782", "IGT%20Oost", "besluit", "open", "po_verlopen", "desc",
    "2026-03-01T00:00:00Z", "%27%3B--",
];

async fn fuzzed_queries_never_fail_the_server(database: &str) {
    // A little data: one POST of valid events.
    let server = Server::start(database, "run");
    server.wait_ready().await;
    let http = reqwest::Client::new();
    let mut rng = Rng(7);
    let valid: Vec<Vec<u8>> = (0..500).map(|_| valid_event(&mut rng).to_string().into_bytes()).collect();
    post(&http, &server.base, &valid).await;

    const MAX_ANSWER: usize = 16 * 1024 * 1024;
    let mut statuses = std::collections::BTreeMap::new();
    for endpoint in ENDPOINTS {
        let mut queries: Vec<String> = vec![
            "from=0000-01-01".into(),
            "from=2026-01-01&to=9999-12-31".into(),
            "period=day&from=0000-01-01&to=9999-12-31".into(),
            "limit=1000000000".into(),
            format!("team={}", "x".repeat(10_000)),
        ];
        for _ in 0..150 {
            let n = rng.below(5);
            let q: Vec<String> = (0..n).map(|_| format!("{}={}", rng.pick(NAMES), rng.pick(VALUES))).collect();
            queries.push(q.join("&"));
        }
        for q in queries {
            let r = http.get(format!("{}{endpoint}?{q}", server.base)).send().await.unwrap();
            let status = r.status().as_u16();
            let body = r.bytes().await.unwrap();
            *statuses.entry(status).or_insert(0) += 1;
            assert!(status < 500, "{endpoint}?{q}: {status} {}", String::from_utf8_lossy(&body[..body.len().min(300)]));
            assert!(body.len() <= MAX_ANSWER, "{endpoint}?{q}: {} bytes", body.len());
            if status >= 400 {
                let v: Value = serde_json::from_slice(&body).unwrap_or_else(|_| panic!("{endpoint}?{q}: {status} is not JSON"));
                assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{endpoint}?{q}: {v}");
                if status == 400 {
                    assert!(v["parameter"].is_string(), "{endpoint}?{q}: a 400 names the parameter: {v}");
                }
            }
        }
    }
    assert!(statuses.get(&200).is_some_and(|n| *n > 50), "{statuses:?}");
    assert!(statuses.get(&400).is_some_and(|n| *n > 50), "{statuses:?}");

    // The server's peak memory stays under the serve pod's limit (deploy/).
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    assert!(peak_kib < 512 * 1024, "peak memory {} MiB", peak_kib / 1024);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzed_queries_never_fail_the_server_on_sqlite() {
    let dir = TempDir::new("adversarial-queries");
    fuzzed_queries_never_fail_the_server(&dir.sqlite_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzed_queries_never_fail_the_server_on_postgres() {
    fuzzed_queries_never_fail_the_server(&PgServer::shared().database()).await;
}
