//! `caseflow token …` and `caseflow query access-log` through the real binary:
//! a token is shown once and never listed, revoking names what it revoked,
//! refused flags exit 2 naming the flag, and `serve` applies the access
//! trace's retention.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use caseflow_tests::{caseflow, Server, TempDir};
use serde_json::Value;

fn run(db: &str, args: &[&str]) -> Output {
    caseflow(db).args(args).output().expect("run caseflow")
}

fn ok(db: &str, args: &[&str]) -> String {
    let o = run(db, args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn json(db: &str, args: &[&str]) -> Value {
    serde_json::from_str(&ok(db, args)).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// The `cf_…` token in a create's output.
fn secret_in(out: &str) -> String {
    let tokens: Vec<&str> = out.split(|c: char| c.is_whitespace() || c == '`').filter(|w| w.starts_with("cf_")).collect();
    assert!(!tokens.is_empty(), "no token in: {out}");
    assert!(tokens.iter().all(|t| *t == tokens[0]), "{out}");
    tokens[0].to_string()
}

#[test]
fn create_list_and_revoke_tokens() {
    let dir = TempDir::new("cli-tokens");
    let db = dir.sqlite_url();
    assert!(ok(&db, &["token", "list"]).contains("no tokens"));
    assert_eq!(json(&db, &["token", "list", "--json"]), Value::Array(vec![]));

    // Created as a table: the token once, with how to send it.
    let out = ok(&db, &["token", "create", "--role", "reader,council", "--gemeente", "GM0363,GM0344", "--team", "Noord", "--expires", "90d", "--name", "dash.noord"]);
    let dash = secret_in(&out);
    assert_eq!(dash.len(), 46, "{dash}");
    assert!(out.contains("will not be shown again"), "{out}");
    assert!(out.contains(&format!("Authorization: Bearer {dash}")), "{out}");
    assert!(out.contains("dash.noord") && out.contains("reader,council") && out.contains("GM0344,GM0363"), "{out}");

    // Created as JSON: exactly the promised fields.
    let v = json(&db, &["token", "create", "--role", "admin", "--gemeente", "*", "--json"]);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.iter().copied().collect::<std::collections::BTreeSet<_>>(), ["expires_at", "gemeenten", "id", "name", "roles", "teams", "token"].into());
    let admin = v["token"].as_str().unwrap().to_string();
    assert!(admin.starts_with("cf_") && admin != dash);
    assert_eq!(v["name"], format!("token-{}", v["id"]));
    assert_eq!((&v["roles"], &v["gemeenten"], &v["teams"], &v["expires_at"]), (&serde_json::json!(["admin"]), &Value::from("*"), &Value::Null, &Value::Null));

    // Listed: never a token.
    let table = ok(&db, &["token", "list"]);
    assert!(table.contains("dash.noord") && table.contains(v["name"].as_str().unwrap()), "{table}");
    assert_eq!(table.matches("active").count(), 2, "{table}");
    let list = json(&db, &["token", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["teams"], "Noord");
    assert!(list[0]["expires_at"].is_string(), "{list}");
    for s in [&dash, &admin] {
        assert!(!table.contains(&s[3..]) && !list.to_string().contains(&s[3..]), "a token is listed");
    }
    assert!(!list.to_string().contains("sha256"), "{list}");

    // Revoked by name, then by id (still revoked); an unknown one exits 1.
    let out = ok(&db, &["token", "revoke", "dash.noord"]);
    assert!(out.contains("revoked token") && out.contains("dash.noord"), "{out}");
    let id = list[0]["id"].to_string();
    assert!(ok(&db, &["token", "revoke", &id]).contains("dash.noord"));
    let list = json(&db, &["token", "list", "--json"]);
    assert!(list[0]["revoked_at"].is_string() && list[1]["revoked_at"].is_null(), "{list}");
    let table = ok(&db, &["token", "list"]);
    assert!(table.contains("revoked") && table.contains("active"), "{table}");
    for missing in ["nope", "4242"] {
        let o = run(&db, &["token", "revoke", missing]);
        assert_eq!(o.status.code(), Some(1), "{missing}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("no token") && err.contains(missing), "{err}");
    }
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    let dir = TempDir::new("cli-tokens-bad");
    let db = dir.sqlite_url();
    let create = ["token", "create", "--role", "reader", "--gemeente", "GM0344"];
    let with = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = create.iter().map(|s| s.to_string()).collect();
        for pair in extra.chunks(2) {
            if let Some(i) = args.iter().position(|a| a == pair[0]) {
                args[i + 1] = pair[1].to_string();
            } else {
                args.extend(pair.iter().map(|s| s.to_string()));
            }
        }
        args
    };
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        (with(&["--role", "boss"]), "--role", "producer, reader, council, admin"),
        (with(&["--role", ""]), "--role", "at least one role"),
        (with(&["--gemeente", "Utrecht"]), "--gemeente", "GM0344"),
        (with(&["--gemeente", ""]), "--gemeente", "`*`"),
        (with(&["--team", " , "]), "--team", "team"),
        (with(&["--expires", "0d"]), "--expires", "90d, 12h"),
        (with(&["--expires", "2020-01-01"]), "--expires", "in the past"),
        (with(&["--expires", "soon"]), "--expires", "2027-03-01"),
        (with(&["--name", "has space"]), "--name", "A-Z, a-z, 0-9"),
        (with(&["--name", "12"]), "--name", "token id"),
        (with(&["--name", "token-3"]), "--name", "without a name"),
        (vec!["token".into(), "create".into(), "--role".into(), "reader".into()], "--gemeente", "required"),
        (vec!["query".into(), "access-log".into(), "--since".into(), "yesterday".into()], "--since", "RFC 3339"),
        (vec!["query".into(), "access-log".into(), "--until".into(), "".into()], "--until", "RFC 3339"),
        (vec!["query".into(), "access-log".into(), "--limit=-1".into()], "--limit", ""),
        (vec!["serve".into(), "--access-log-retention-days".into(), "0".into()], "--access-log-retention-days", ""),
    ];
    for (args, flag, accepted) in &cases {
        let o = run(&db, &args.iter().map(String::as_str).collect::<Vec<_>>());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag) && err.contains(accepted), "{args:?}: {err}");
    }
    // Nothing was created by the refused commands; a duplicate name is refused too.
    assert_eq!(json(&db, &["token", "list", "--json"]), Value::Array(vec![]));
    ok(&db, &["token", "create", "--role", "reader", "--gemeente", "GM0344", "--name", "ci"]);
    let o = run(&db, &["token", "create", "--role", "reader", "--gemeente", "GM0344", "--name", "ci"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("`ci` exists already"), "{err}");
    assert_eq!(json(&db, &["token", "list", "--json"]).as_array().unwrap().len(), 1);
}

/// Rows straight into the access trace (the API writes them; this test is about the CLI).
fn insert_access(db_file: &std::path::Path, rows: &[(&str, &str, &str)]) {
    let mut sql = String::new();
    for (at, subject, query) in rows {
        sql.push_str(&format!(
            "INSERT INTO access_log (at, subject, via, roles, method, endpoint, query, scope, \"rows\", status) \
             VALUES ('{at}', '{subject}', 'token', 'reader', 'GET', '/v1/throughput', '{query}', 'gemeenten=GM0344', 3, 200);"
        ));
    }
    let st = Command::new("sqlite3").arg(db_file).arg(&sql).status().expect("run sqlite3");
    assert!(st.success());
}

#[test]
fn the_access_log_is_queried_and_pruned() {
    let dir = TempDir::new("cli-access-log");
    let db = dir.sqlite_url();
    assert!(ok(&db, &["query", "access-log"]).contains("no requests traced"));
    let recent = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    insert_access(
        &dir.0.join("caseflow.db"),
        &[
            ("2020-01-01T10:00:00.000Z", "token:old", "gemeente=GM0344"),
            ("2020-01-02T10:00:00.000Z", "token:a", "period=week"),
            (&recent, "token:a", "period=month"),
        ],
    );
    let all = json(&db, &["query", "access-log", "--json"]);
    let subjects = |v: &Value| v.as_array().unwrap().iter().map(|r| r["subject"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(subjects(&all), ["token:a", "token:a", "token:old"], "newest first");
    assert_eq!(all[0]["query"], "period=month");
    assert_eq!((all[0]["rows"].as_i64(), all[0]["status"].as_i64()), (Some(3), Some(200)));
    assert_eq!(subjects(&json(&db, &["query", "access-log", "--json", "--subject", "token:old"])), ["token:old"]);
    assert_eq!(subjects(&json(&db, &["query", "access-log", "--json", "--since", "2020-01-02", "--until", "2020-01-02"])), ["token:a"]);
    assert_eq!(json(&db, &["query", "access-log", "--json", "--limit", "1"])[0]["query"], "period=month");
    let table = ok(&db, &["query", "access-log"]);
    assert!(table.contains("token:old") && table.contains("/v1/throughput") && table.contains("period=week"), "{table}");

    // `serve` keeps `--access-log-retention-days` days: the 2020 rows go.
    let server = Server::start_with(&db, &["serve", "--access-log-retention-days", "30"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = subjects(&json(&db, &["query", "access-log", "--json"]));
        if left == ["token:a"] {
            break;
        }
        assert!(Instant::now() < deadline, "not pruned: {left:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(server);
}
