//! What the dead-letter store keeps, and corrections across gemeenten, on SQLite
//! and PostgreSQL alike: a bounded prefix of a huge bad line with its size and
//! hash, each repeat of a rejected line at the same position stored once, the
//! bytes served losslessly, and no gemeente withdrawing another's events.

use base64::Engine;
use caseflow_core::period::Granularity;
use caseflow_core::throughput::ThroughputQuery;
use caseflow_store::{Incoming, Store, MAX_DEAD_LETTER_BYTES};
use caseflow_tests::pg::PgServer;
use caseflow_tests::{id, TempDir};
use serde_json::json;

/// A fresh store of each kind; the SQLite one lives as long as its TempDir.
async fn stores() -> Vec<(&'static str, Store, Option<TempDir>)> {
    let dir = TempDir::new("store-dead-letters");
    let sqlite = Store::open(&dir.sqlite_url()).await.unwrap();
    let pg = Store::open(&PgServer::shared().database()).await.unwrap();
    vec![("sqlite", sqlite, Some(dir)), ("postgres", pg, None)]
}

fn line(n: usize, raw: impl Into<Vec<u8>>) -> Incoming {
    Incoming { position: format!("line {n}"), raw: raw.into() }
}

fn melding(event_id: &str, gemeente: &str, case: &str) -> String {
    json!({
        "event_id": event_id, "event_type": "melding.ontvangen", "schema_version": 1,
        "occurred_at": "2026-03-02T10:00:00+01:00", "gemeente": gemeente, "domein": "wmo",
        "case_id": case, "client_ref": "c-1", "data": {"kanaal": "telefoon", "verwijzer": "huisarts"}
    })
    .to_string()
}

fn intrekking(event_id: &str, gemeente: &str, case: &str, target: &str) -> String {
    json!({
        "event_id": event_id, "event_type": "event.ingetrokken", "schema_version": 1,
        "occurred_at": "2026-03-03T10:00:00+01:00", "gemeente": gemeente, "domein": "wmo",
        "case_id": case, "client_ref": "c-1", "data": {"ingetrokken_event_id": target, "reden": "fout"}
    })
    .to_string()
}

async fn meldingen(store: &Store, gemeente: &str) -> u64 {
    let rows = store
        .throughput(&ThroughputQuery {
            granularity: Granularity::Year,
            gemeente: Some(gemeente.to_string()),
            domein: None,
            by_team: false,
            from: None,
            to: None,
        })
        .await
        .unwrap();
    rows.iter().map(|r| r.meldingen).sum()
}

#[tokio::test]
async fn a_huge_bad_line_is_kept_bounded_and_a_repeat_once() {
    for (db, store, _dir) in stores().await {
        let mut huge = b"{\"event_id\": \"".to_vec();
        huge.extend(std::iter::repeat_n(b'x', 1_000_000));
        // Not UTF-8: must come back byte for byte through base64.
        let binary = vec![0xff, 0xfe, b'{', 0x00, 0x80];
        let batch = || vec![line(1, huge.clone()), line(2, binary.clone())];

        let first = store.ingest_batch("file:in.ndjson", batch()).await.unwrap();
        assert_eq!(first.rejected, 2, "{db}");
        // A re-run of the same input (after a crash, say) rejects the lines again
        // but stores nothing new.
        let again = store.ingest_batch("file:in.ndjson", batch()).await.unwrap();
        assert_eq!(again.rejected, 2, "{db}");
        assert_eq!(store.dead_letter_count().await.unwrap(), 2, "{db}");
        // The same bytes from another source or position are another dead letter.
        store.ingest_batch("file:other.ndjson", vec![line(2, binary.clone())]).await.unwrap();
        assert_eq!(store.dead_letter_count().await.unwrap(), 3, "{db}");

        let dl = store.dead_letters(10, false).await.unwrap();
        assert_eq!(dl[0].raw_size, huge.len() as i64, "{db}");
        assert!(dl[0].raw_truncated, "{db}");
        let kept = base64::engine::general_purpose::STANDARD.decode(&dl[0].raw_base64).unwrap();
        assert_eq!(kept.len(), MAX_DEAD_LETTER_BYTES, "{db}");
        assert_eq!(kept[..], huge[..MAX_DEAD_LETTER_BYTES], "{db}");
        assert_eq!(dl[0].raw_sha256.as_deref().map(str::len), Some(64), "{db}");

        assert!(!dl[1].raw_truncated, "{db}");
        assert_eq!(dl[1].raw_size, 5, "{db}");
        let kept = base64::engine::general_purpose::STANDARD.decode(&dl[1].raw_base64).unwrap();
        assert_eq!(kept, binary, "{db}");
        assert_eq!(dl[1].raw_sha256, dl[2].raw_sha256, "{db}");
    }
}

#[tokio::test]
async fn a_gemeente_cannot_withdraw_another_gemeentes_event() {
    for (db, store, _dir) in stores().await {
        let (a, b) = (id(1), id(2));
        store
            .ingest_batch("api", vec![line(1, melding(&id(10), "GM0363", &a)), line(2, melding(&id(11), "GM0344", &b))])
            .await
            .unwrap();
        assert_eq!(meldingen(&store, "GM0363").await, 1, "{db}");

        // GM0344 tries to withdraw GM0363's melding: a dead letter, nothing changes.
        let r = store.ingest_batch("api", vec![line(1, intrekking(&id(20), "GM0344", &b, &id(10)))]).await.unwrap();
        assert_eq!((r.accepted, r.rejected), (0, 1), "{db}");
        assert_eq!(r.rejections[0].kind, "forbidden", "{db}");
        assert_eq!(meldingen(&store, "GM0363").await, 1, "{db}");

        // A foreign correction that arrives before its target is kept in the log
        // but withdraws nothing.
        let r = store.ingest_batch("api", vec![line(1, intrekking(&id(21), "GM0344", &b, &id(12)))]).await.unwrap();
        assert_eq!(r.accepted, 1, "{db}");
        store.ingest_batch("api", vec![line(1, melding(&id(12), "GM0363", &id(3)))]).await.unwrap();
        assert_eq!(meldingen(&store, "GM0363").await, 2, "{db}");
        store.rebuild(1000).await.unwrap();
        assert_eq!(meldingen(&store, "GM0363").await, 2, "{db}: after a rebuild");

        // The gemeente's own correction does withdraw it.
        store.ingest_batch("api", vec![line(1, intrekking(&id(22), "GM0363", &a, &id(10)))]).await.unwrap();
        assert_eq!(meldingen(&store, "GM0363").await, 1, "{db}");
        assert_eq!(meldingen(&store, "GM0344").await, 1, "{db}");
    }
}

/// A database written before a validation rule existed may hold an event that
/// the rule now rejects: rebuilding leaves that one event out of the read models
/// (with a warning) instead of failing every projection.
#[tokio::test]
async fn a_stored_event_that_fails_todays_rules_stops_nothing() {
    let dir = TempDir::new("store-legacy");
    let store = Store::open(&dir.sqlite_url()).await.unwrap();
    store
        .ingest_batch("api", vec![line(1, melding(&id(30), "GM0363", &id(4))), line(2, melding(&id(31), "GM0363", &id(5)))])
        .await
        .unwrap();
    assert_eq!(meldingen(&store, "GM0363").await, 2);
    // As a database written before the rule could hold it: a control character
    // in a team.
    let pool = sqlx::SqlitePool::connect(&dir.sqlite_url()).await.unwrap();
    let changed = sqlx::query("UPDATE events SET body = replace(body, '\"c-1\"', '\"c-\\u0001\"') WHERE event_id = ?")
        .bind(id(31))
        .execute(&pool)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 1);
    pool.close().await;
    store.rebuild(1000).await.unwrap();
    assert_eq!(meldingen(&store, "GM0363").await, 1);
}
