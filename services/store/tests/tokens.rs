//! API tokens and the access trace, on SQLite and on PostgreSQL: what a
//! presented secret is, what is stored of it (only its hash), how often its
//! use is written, and the trace's masking, bounds, order and retention.

use std::collections::BTreeSet;

use caseflow_core::access::{Role, Scope, Via, Within};
use caseflow_store::{AccessLogQuery, AccessRecord, NewToken, Store, StoreError, TokenCheck};
use caseflow_tests::pg::PgServer;
use caseflow_tests::TempDir;
use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};
use sha2::{Digest, Sha256};
use sqlx::{Column, Row};

fn roles(r: &[Role]) -> BTreeSet<Role> {
    r.iter().copied().collect()
}

fn new_token(name: Option<&str>, r: &[Role], scope: Scope, expires_at: Option<DateTime<Utc>>) -> NewToken {
    NewToken { name: name.map(str::to_string), roles: roles(r), scope, expires_at }
}

fn now() -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::seconds(1)).unwrap()
}

/// A well-formed secret that was never issued.
fn foreign_secret(issued: &str) -> String {
    let mut s = issued.to_string();
    let last = if s.ends_with('A') { "B" } else { "A" };
    s.replace_range(s.len() - 1.., last);
    s
}

/// Every text value of every row of `api_tokens`, read with a connection of
/// the test's own (not through the store).
async fn api_token_texts(url: &str) -> Vec<(String, String)> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let rows = sqlx::query("SELECT * FROM api_tokens").fetch_all(&pool).await.unwrap();
    let mut out = Vec::new();
    for r in &rows {
        for c in r.columns() {
            if let Ok(Some(v)) = r.try_get::<Option<String>, _>(c.ordinal()) {
                out.push((c.name().to_string(), v));
            }
        }
    }
    pool.close().await;
    assert!(out.iter().any(|(c, _)| c == "token_sha256"), "the text columns were read: {out:?}");
    out
}

async fn tokens(url: &str) {
    let store = Store::open(url).await.unwrap();
    let t0 = now();
    assert!(!store.has_active_token(t0).await.unwrap(), "no tokens yet");

    // Create: a named reader of two gemeenten and teams, an unnamed admin.
    let scope = Scope::parse("GM0344,GM0363", Some("Noord,Zuid")).unwrap();
    let (reader, secret) = store.create_token(&new_token(Some("dashboard.noord"), &[Role::Reader, Role::Council], scope.clone(), None)).await.unwrap();
    assert_eq!(reader.name, "dashboard.noord");
    assert_eq!(reader.roles, vec!["reader", "council"]);
    assert_eq!(reader.gemeenten, "GM0344,GM0363");
    assert_eq!(reader.teams.as_deref(), Some("Noord,Zuid"));
    assert!(reader.revoked_at.is_none() && reader.last_used_at.is_none() && reader.expires_at.is_none());
    assert!(secret.starts_with("cf_") && secret.len() == 46, "{secret}");
    assert!(secret[3..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{secret}");
    let (admin, admin_secret) = store.create_token(&new_token(None, &[Role::Admin], Scope::everything(), None)).await.unwrap();
    assert_eq!(admin.name, format!("token-{}", admin.id));
    assert_eq!((admin.gemeenten.as_str(), admin.teams.as_deref()), ("*", None));
    assert_ne!(secret, admin_secret, "every token is random");
    assert!(store.has_active_token(t0).await.unwrap());

    // A name is unique and of the accepted form.
    for bad in ["dashboard.noord", "with space", "123", "token-7", ""] {
        match store.create_token(&new_token(Some(bad), &[Role::Reader], Scope::everything(), None)).await {
            Err(StoreError::Param(p)) => assert_eq!(p.parameter, "name", "{bad}: {p}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert_eq!(store.tokens().await.unwrap().len(), 2, "refused tokens are not stored");

    // Valid: the identity of the token.
    match store.check_token(&secret, t0).await.unwrap() {
        TokenCheck::Valid(id) => {
            assert_eq!(id.subject, "token:dashboard.noord");
            assert_eq!(id.via, Via::Token { id: reader.id });
            assert_eq!(id.roles, roles(&[Role::Reader, Role::Council]));
            assert_eq!(id.scope, scope);
            assert_eq!(id.scope.gemeenten, Within::Only(["GM0344".to_string(), "GM0363".to_string()].into()));
        }
        other => panic!("{other:?}"),
    }
    match store.check_token(&admin_secret, t0).await.unwrap() {
        TokenCheck::Valid(id) => assert_eq!((id.subject, id.scope), (format!("token:{}", admin.name), Scope::everything())),
        other => panic!("{other:?}"),
    }

    // Unknown: never issued, or not of the token form at all.
    let huge = format!("cf_{}", "A".repeat(1_000_000));
    for s in [foreign_secret(&secret), String::new(), "cf_".into(), format!("Bearer {secret}"), format!("{secret} "), secret.to_uppercase(), secret[3..].to_string(), huge] {
        assert_eq!(store.check_token(&s, t0).await.unwrap(), TokenCheck::Unknown, "{}", &s[..s.len().min(60)]);
    }

    // Expired: valid before the expiry, expired from it on.
    let expires = t0 + Duration::hours(1);
    let (short, short_secret) = store.create_token(&new_token(Some("short"), &[Role::Producer], Scope::parse("GM0344", None).unwrap(), Some(expires))).await.unwrap();
    assert_eq!(short.expires_at, Some(expires));
    assert!(matches!(store.check_token(&short_secret, expires - Duration::seconds(1)).await.unwrap(), TokenCheck::Valid(_)));
    assert_eq!(store.check_token(&short_secret, expires).await.unwrap(), TokenCheck::Expired);
    assert_eq!(store.check_token(&short_secret, expires + Duration::days(1)).await.unwrap(), TokenCheck::Expired);

    // Revoked, by name or by id; revoking again keeps the first time.
    let revoked = store.revoke_token("dashboard.noord").await.unwrap().expect("revoked");
    let at = revoked.revoked_at.expect("revoked_at");
    assert_eq!(store.check_token(&secret, t0).await.unwrap(), TokenCheck::Revoked);
    let again = store.revoke_token(&reader.id.to_string()).await.unwrap().expect("found by id");
    assert_eq!(again.revoked_at, Some(at));
    assert_eq!(store.revoke_token("no-such-token").await.unwrap(), None);
    assert_eq!(store.revoke_token("999999").await.unwrap(), None);
    // A revoked token that has also expired is reported as revoked.
    store.revoke_token(&short.id.to_string()).await.unwrap().unwrap();
    assert_eq!(store.check_token(&short_secret, expires + Duration::days(1)).await.unwrap(), TokenCheck::Revoked);

    // Active tokens: the admin's; once it is revoked, none (the rest are
    // revoked), and an expired one does not count.
    assert!(store.has_active_token(t0).await.unwrap());
    store.revoke_token(&admin.name).await.unwrap().unwrap();
    assert!(!store.has_active_token(t0).await.unwrap());
    let (_, _) = store.create_token(&new_token(Some("later"), &[Role::Reader], Scope::everything(), Some(t0 + Duration::hours(2)))).await.unwrap();
    assert!(store.has_active_token(t0).await.unwrap());
    assert!(!store.has_active_token(t0 + Duration::hours(2)).await.unwrap());

    // The list never shows a hash or a secret; the database holds only the hash.
    let list = store.tokens().await.unwrap();
    assert_eq!(list.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), vec!["dashboard.noord", admin.name.as_str(), "short", "later"]);
    let json = serde_json::to_string(&list).unwrap();
    let hash = format!("{:x}", Sha256::digest(secret.as_bytes()));
    for s in [&secret, &admin_secret, &short_secret] {
        assert!(!json.contains(&s[3..]), "the list holds a secret: {json}");
        assert!(!json.contains(&format!("{:x}", Sha256::digest(s.as_bytes()))), "the list holds a hash: {json}");
    }
    assert!(!json.contains("sha256"), "{json}");
    let texts = api_token_texts(url).await;
    for s in [&secret, &admin_secret, &short_secret] {
        // Neither the token nor its random part (nor the latter's first half).
        for needle in [&s[..], &s[3..], &s[3..25]] {
            assert!(!texts.iter().any(|(_, v)| v.contains(needle)), "a column holds the secret");
        }
    }
    assert!(texts.iter().any(|(c, v)| c == "token_sha256" && *v == hash), "the hash is stored: {texts:?}");
    store.close().await;
}

async fn last_used_throttled(url: &str) {
    let store = Store::open(url).await.unwrap();
    let (info, secret) = store.create_token(&new_token(Some("poller"), &[Role::Reader], Scope::everything(), None)).await.unwrap();
    let last_used = || async { store.tokens().await.unwrap().into_iter().find(|t| t.id == info.id).unwrap().last_used_at };
    assert_eq!(last_used().await, None);
    let t0 = now();
    let valid = |c: TokenCheck| assert!(matches!(c, TokenCheck::Valid(_)), "{c:?}");
    valid(store.check_token(&secret, t0).await.unwrap());
    assert_eq!(last_used().await, Some(t0), "the first use is written");
    for s in [1, 30, 59] {
        valid(store.check_token(&secret, t0 + Duration::seconds(s)).await.unwrap());
        assert_eq!(last_used().await, Some(t0), "within a minute of the last write ({s} s): not written");
    }
    valid(store.check_token(&secret, t0 + Duration::seconds(60)).await.unwrap());
    assert_eq!(last_used().await, Some(t0 + Duration::seconds(60)), "a minute later: written");
    valid(store.check_token(&secret, t0 + Duration::seconds(100)).await.unwrap());
    assert_eq!(last_used().await, Some(t0 + Duration::seconds(60)));
    // Unknown, expired and revoked checks write nothing.
    store.revoke_token("poller").await.unwrap();
    assert_eq!(store.check_token(&secret, t0 + Duration::hours(1)).await.unwrap(), TokenCheck::Revoked);
    assert_eq!(last_used().await, Some(t0 + Duration::seconds(60)));
    store.close().await;
}

fn record(at: DateTime<Utc>, subject: &str, endpoint: &str, query: &str) -> AccessRecord {
    AccessRecord {
        at,
        subject: subject.into(),
        via: "token".into(),
        roles: "reader".into(),
        method: "GET".into(),
        endpoint: endpoint.into(),
        query: query.into(),
        scope: "gemeenten=GM0344".into(),
        rows: 12,
        status: 200,
    }
}

async fn access_log(url: &str) {
    let store = Store::open(url).await.unwrap();
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap();
    assert!(store.access_log(&AccessLogQuery::default()).await.unwrap().is_empty());
    let records = [
        record(day(1, 9), "token:a", "/v1/throughput", "gemeente=GM0344"),
        record(day(2, 9), "token:b", "/v1/open-cases", "gemeente=GM0344&team=Noord"),
        record(day(3, 9), "token:a", "/v1/po", ""),
        record(day(4, 9), "local", "/v1/dead-letters", "limit=5"),
    ];
    for r in &records {
        store.record_access(r).await.unwrap();
    }
    let all = store.access_log(&AccessLogQuery::default()).await.unwrap();
    assert_eq!(all.iter().map(|r| r.record.clone()).collect::<Vec<_>>(), records.iter().rev().cloned().collect::<Vec<_>>(), "newest first, as recorded");
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));

    let q = |since: Option<DateTime<Utc>>, until: Option<DateTime<Utc>>, subject: Option<&str>, limit: i64| AccessLogQuery { since, until, subject: subject.map(str::to_string), limit };
    let ats = |rows: Vec<caseflow_store::AccessRecordRow>| rows.into_iter().map(|r| r.record.at).collect::<Vec<_>>();
    assert_eq!(ats(store.access_log(&q(Some(day(2, 9)), None, None, 100)).await.unwrap()), vec![day(4, 9), day(3, 9), day(2, 9)], "since is inclusive");
    assert_eq!(ats(store.access_log(&q(None, Some(day(3, 9)), None, 100)).await.unwrap()), vec![day(2, 9), day(1, 9)], "until is exclusive");
    assert_eq!(ats(store.access_log(&q(Some(day(2, 0)), Some(day(4, 0)), Some("token:a"), 100)).await.unwrap()), vec![day(3, 9)]);
    assert_eq!(ats(store.access_log(&q(None, None, Some("token:a"), 100)).await.unwrap()), vec![day(3, 9), day(1, 9)]);
    assert_eq!(ats(store.access_log(&q(None, None, None, 2)).await.unwrap()), vec![day(4, 9), day(3, 9)], "limit keeps the newest");
    assert!(store.access_log(&q(None, None, None, 0)).await.unwrap().is_empty());

    // The query string: BSNs masked (111222333 passes the eleven-test), bounded.
    let long_query = format!("bsn=111222333&note={}", "x".repeat(2000));
    let long_endpoint = format!("/v1/{}", "p".repeat(1000));
    let at = day(5, 9);
    store.record_access(&record(at, "token:c", &long_endpoint, &long_query)).await.unwrap();
    store.record_access(&record(at + Duration::seconds(1), "token:c", "/v1/po", "x=BSN111222333&y=1")).await.unwrap();
    let rows = store.access_log(&q(Some(at), None, Some("token:c"), 10)).await.unwrap();
    assert_eq!(rows.len(), 2);
    let (short, long) = (&rows[0].record, &rows[1].record);
    assert!(!short.query.contains("111222333"), "{}", short.query);
    assert!(short.query.starts_with("x=BSN") && short.query.ends_with("&y=1"), "{}", short.query);
    assert!(!long.query.contains("111222333"), "{}", &long.query[..40]);
    assert!(long.query.starts_with("bsn="), "{}", &long.query[..40]);
    assert_eq!(long.query.chars().count(), 512);
    assert_eq!(long.endpoint.chars().count(), 256);
    assert!(long.endpoint.starts_with("/v1/ppp"));
    assert_eq!((long.rows, long.status, long.scope.as_str()), (12, 200, "gemeenten=GM0344"));

    // Retention: only what is older than the bound goes.
    assert_eq!(store.prune_access_log(day(3, 9)).await.unwrap(), 2);
    assert_eq!(ats(store.access_log(&q(None, None, None, 100)).await.unwrap()), vec![at + Duration::seconds(1), at, day(4, 9), day(3, 9)]);
    assert_eq!(store.prune_access_log(day(3, 9)).await.unwrap(), 0);
    store.close().await;
}

#[tokio::test]
async fn tokens_on_sqlite() {
    let dir = TempDir::new("store-tokens");
    tokens(&dir.sqlite_url()).await;
}

#[tokio::test]
async fn tokens_on_postgres() {
    tokens(&PgServer::shared().database()).await;
}

#[tokio::test]
async fn last_used_is_written_at_most_once_a_minute_on_sqlite() {
    let dir = TempDir::new("store-tokens");
    last_used_throttled(&dir.sqlite_url()).await;
}

#[tokio::test]
async fn last_used_is_written_at_most_once_a_minute_on_postgres() {
    last_used_throttled(&PgServer::shared().database()).await;
}

#[tokio::test]
async fn the_access_log_on_sqlite() {
    let dir = TempDir::new("store-tokens");
    access_log(&dir.sqlite_url()).await;
}

#[tokio::test]
async fn the_access_log_on_postgres() {
    access_log(&PgServer::shared().database()).await;
}
