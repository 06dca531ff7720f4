//! The store on PostgreSQL (a server of the test's own, one database per test)
//! gives exactly what the SQLite store gives for the same input: the embedded
//! append + project path, the partitioned source path, and the dead-letter relay
//! bookkeeping.

use std::collections::BTreeMap;

use caseflow_core::period::Granularity;
use caseflow_core::throughput::ThroughputQuery;
use caseflow_sim::{SimConfig, Simulator};
use caseflow_store::{Incoming, SourceMessage, Store};
use caseflow_tests::pg::PgServer;
use chrono::NaiveDate;

fn lines(seed: u64) -> Vec<String> {
    Simulator::new(SimConfig {
        seed,
        gemeenten: 2,
        from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2020, 3, 31).unwrap(),
        scale: 0.05,
        bad_fraction: 0.01,
        duplicate_fraction: 0.02,
    })
    .map(|l| l.to_ndjson())
    .collect()
}

/// The lines as messages spread round-robin over `partitions` partitions.
fn messages(input: &[String], partitions: usize) -> Vec<SourceMessage> {
    input
        .iter()
        .enumerate()
        .map(|(i, l)| SourceMessage {
            partition: (i % partitions) as i32,
            offset: (i / partitions) as i64,
            payload: l.clone().into_bytes(),
        })
        .collect()
}

fn by_day() -> ThroughputQuery {
    ThroughputQuery {
        granularity: Granularity::Day,
        gemeente: None,
        domein: None,
        by_team: true,
        from: None,
        to: None,
    }
}

struct Sqlite(std::path::PathBuf);
impl Sqlite {
    fn new() -> Sqlite {
        let d = std::env::temp_dir().join(format!(
            "caseflow-store-pg-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&d).unwrap();
        Sqlite(d)
    }
    fn url(&self) -> String {
        format!("sqlite://{}/t.db", self.0.display())
    }
}
impl Drop for Sqlite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every read model in a comparable JSON form.
async fn snapshot(store: &Store) -> serde_json::Value {
    let as_of: chrono::DateTime<chrono::Utc> = "2020-03-20T12:00:00Z".parse().unwrap();
    let mut open: Vec<String> = store
        .open_cases(None, None, None, as_of)
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    open.sort();
    let mut samples: Vec<String> = store
        .leadtime_samples()
        .await
        .unwrap()
        .iter()
        .map(|s| format!("{s:?}"))
        .collect();
    samples.sort();
    let po = store.po(None, None, as_of, None).await.unwrap();
    let mut po: Vec<String> = po
        .beschikkingen
        .iter()
        .map(|s| serde_json::to_string(s).unwrap())
        .collect();
    po.sort();
    serde_json::json!({
        "throughput": store.throughput(&by_day()).await.unwrap(),
        "open_cases": open,
        "leadtime_samples": samples,
        "po": po,
        "formatie": store.formatie().await.unwrap().len(),
        "events": store.event_count().await.unwrap(),
        "dead_letters": store.dead_letter_count().await.unwrap(),
    })
}

async fn ingest(store: &Store, input: &[String], batch: usize) {
    for (i, chunk) in input.chunks(batch).enumerate() {
        let b = chunk
            .iter()
            .enumerate()
            .map(|(j, l)| Incoming {
                position: format!("line {}", i * batch + j + 1),
                raw: l.clone().into_bytes(),
            })
            .collect();
        store.append("test", b).await.unwrap();
        store.project_batch(batch).await.unwrap();
    }
    store.project_pending(batch).await.unwrap();
}

#[tokio::test]
async fn postgres_embedded_path_equals_sqlite() {
    let input = lines(11);
    let pg = Store::open(&PgServer::shared().database())
        .await
        .expect("open the PostgreSQL store");
    let dir = Sqlite::new();
    let lite = Store::open(&dir.url()).await.unwrap();
    ingest(&pg, &input, 700).await;
    ingest(&lite, &input, 700).await;
    let (a, b) = (snapshot(&pg).await, snapshot(&lite).await);
    assert!(
        a["events"].as_i64().unwrap() > 1000,
        "the stream is not trivial"
    );
    assert!(
        a["dead_letters"].as_i64().unwrap() > 0,
        "the stream has bad lines"
    );
    assert_eq!(a, b);
    // A rebuild on PostgreSQL restates the same figures.
    pg.rebuild(1000).await.unwrap();
    assert_eq!(snapshot(&pg).await, b);
    pg.close().await;
}

#[tokio::test]
async fn postgres_source_batches_equal_sqlite_and_skip_redeliveries() {
    let input = lines(12);
    let msgs = messages(&input, 4);
    let pg = Store::open(&PgServer::shared().database()).await.unwrap();
    let dir = Sqlite::new();
    let lite = Store::open(&dir.url()).await.unwrap();
    let src = "kafka:caseflow.events.v1";
    for chunk in msgs.chunks(900) {
        pg.apply_source_batch(src, "caseflow.events.v1", chunk)
            .await
            .unwrap();
    }
    ingest(&lite, &input, 900).await;
    // Redelivery of everything, in another batching: nothing changes.
    for chunk in msgs.chunks(1300) {
        let r = pg
            .apply_source_batch(src, "caseflow.events.v1", chunk)
            .await
            .unwrap();
        assert_eq!(r.already_applied as usize, chunk.len());
    }
    let offsets = pg.source_offsets(src).await.unwrap();
    for p in 0..4 {
        assert_eq!(
            offsets[&p],
            msgs.iter()
                .filter(|m| m.partition == p)
                .map(|m| m.offset + 1)
                .max()
                .unwrap()
        );
    }
    let (mut a, mut b) = (snapshot(&pg).await, snapshot(&lite).await);
    assert_eq!(a, b);
    a["events"] = 0.into();
    b["events"] = 0.into();

    // The dead-letter relay's bookkeeping: all pending, then none after marking.
    let pending = pg.unpublished_dead_letters(src, 100_000).await.unwrap();
    assert_eq!(pending.len() as i64, pg.dead_letter_count().await.unwrap());
    let (t, p, o) = pending[0].source_position().unwrap();
    assert_eq!(t, "caseflow.events.v1");
    assert_eq!(
        input[(o * 4 + p as i64) as usize].as_bytes().len(),
        pending[0].raw.len()
    );
    let half: Vec<i64> = pending.iter().step_by(2).map(|d| d.id).collect();
    pg.mark_dead_letters_published(&half).await.unwrap();
    assert_eq!(
        pg.unpublished_dead_letters(src, 100_000)
            .await
            .unwrap()
            .len(),
        pending.len() - half.len()
    );
    assert!(pg
        .unpublished_dead_letters("kafka:other", 10)
        .await
        .unwrap()
        .is_empty());
    pg.close().await;
}

/// Two stores (as two projector processes) applying overlapping batches of the
/// same partitions concurrently still give the single-run result.
#[tokio::test]
async fn postgres_concurrent_projectors_do_not_double_count() {
    let input = lines(13);
    let msgs = messages(&input, 3);
    let url = PgServer::shared().database();
    let (a, b) = (
        Store::open(&url).await.unwrap(),
        Store::open(&url).await.unwrap(),
    );
    let src = "kafka:caseflow.events.v1";
    let run = |s: Store, size: usize| {
        let msgs = msgs.clone();
        tokio::spawn(async move {
            for chunk in msgs.chunks(size) {
                s.apply_source_batch(src, "caseflow.events.v1", chunk)
                    .await
                    .unwrap();
            }
        })
    };
    let (x, y) = (run(a.clone(), 500), run(b.clone(), 777));
    x.await.unwrap();
    y.await.unwrap();
    let dir = Sqlite::new();
    let lite = Store::open(&dir.url()).await.unwrap();
    ingest(&lite, &input, 1000).await;
    assert_eq!(snapshot(&a).await, snapshot(&lite).await);
    a.close().await;
    b.close().await;
}

/// The projector appends a batch while the previous one is projected, so a
/// projection can find later batches in the log already. Here every batch is
/// appended two batches ahead of its projection (the worst case of that
/// overlap), and two appended batches are never projected (a crash in
/// between): the next projection finds the checkpoint behind and projects from
/// it, and so does the catch-up a projector starts with. On
/// both databases the read models are those of the plain ingest, and the
/// projected offsets trail the appended ones until the projections catch up.
#[tokio::test]
async fn source_batches_appended_ahead_of_their_projection() {
    let input = lines(16);
    let msgs = messages(&input, 4);
    let dir = Sqlite::new();
    let reference = Store::open(&dir.url()).await.unwrap();
    ingest(&reference, &input, 700).await;
    let want = snapshot(&reference).await;
    let lite_dir = Sqlite::new();
    let stores = [
        Store::open(&PgServer::shared().database()).await.unwrap(),
        Store::open(&lite_dir.url()).await.unwrap(),
    ];
    let src = "kafka:caseflow.events.v1";

    // After each projection the read models are exactly those of the log up
    // to that batch, whatever later batches the log already holds.
    let pg = Store::open(&PgServer::shared().database()).await.unwrap();
    let step_dir = Sqlite::new();
    let step = Store::open(&step_dir.url()).await.unwrap();
    let chunks: Vec<&[SourceMessage]> = msgs.chunks(700).collect();
    let mut ahead = std::collections::VecDeque::new();
    let mut projected = 0;
    for i in 0..chunks.len() + 2 {
        if let Some(chunk) = chunks.get(i) {
            ahead.push_back(pg.append_source_batch(src, "caseflow.events.v1", chunk, &BTreeMap::new()).await.unwrap());
        }
        if ahead.len() > 2 || i >= chunks.len() {
            pg.project_appended(&mut ahead.pop_front().unwrap()).await.unwrap();
            let lines: Vec<String> = chunks[projected].iter().map(|m| String::from_utf8(m.payload.clone()).unwrap()).collect();
            ingest(&step, &lines, 700).await;
            projected += 1;
            let (mut got, mut want) = (snapshot(&pg).await, snapshot(&step).await);
            for v in [&mut got, &mut want] {
                // Read from the log, which runs ahead of the read models.
                for k in ["events", "dead_letters", "formatie"] {
                    v[k] = 0.into();
                }
            }
            let differ: Vec<&String> = got.as_object().unwrap().keys().filter(|k| got[*k] != want[*k]).collect();
            assert!(differ.is_empty(), "read models after projecting batch {}: {differ:?} differ", projected - 1);
        }
    }
    assert_eq!(projected, chunks.len());
    pg.close().await;

    for store in stores {
        let mut ahead = std::collections::VecDeque::new();
        let mut lagged = false;
        let (last_chunk, before) = chunks.split_last().unwrap();
        for (i, chunk) in before.iter().enumerate() {
            let appended = store
                .append_source_batch(src, "caseflow.events.v1", chunk, &BTreeMap::new())
                .await
                .unwrap();
            if i == 3 {
                continue; // appended, never projected
            }
            ahead.push_back(appended);
            if ahead.len() > 2 {
                let projected = store.projected_offsets(src).await.unwrap();
                let appended = store.source_offsets(src).await.unwrap();
                lagged |= appended.iter().any(|(p, o)| projected.get(p).is_none_or(|q| q < o));
                store.project_appended(&mut ahead.pop_front().unwrap()).await.unwrap();
            }
        }
        while let Some(mut b) = ahead.pop_front() {
            store.project_appended(&mut b).await.unwrap();
        }
        // The last batch is left to the catch-up a restarted projector starts with.
        let last = store.append_source_batch(src, "caseflow.events.v1", last_chunk, &BTreeMap::new()).await.unwrap();
        assert!(last.appended() > 0);
        assert_ne!(store.projected_offsets(src).await.unwrap(), store.source_offsets(src).await.unwrap());
        store.catch_up_source(src).await.unwrap();
        assert!(lagged, "the projected offsets trail the appended ones while batches wait");
        assert_eq!(
            store.projected_offsets(src).await.unwrap(),
            store.source_offsets(src).await.unwrap()
        );
        assert_eq!(snapshot(&store).await, want, "{:?}", store.dialect());
        store.close().await;
    }
}

/// A PostgreSQL crash can lose the last commits (the projector commits without
/// waiting for the flush): here an appended batch is erased as a crash would
/// erase it, its seqs handed out again to the next append (of another
/// partition). The lost batch's projection finds its append gone and projects
/// the log instead; the next append of its partition is refused with the
/// stored offsets (the consumer reads from there again). The read models end
/// as a plain ingest of what the log holds, in the log's order.
#[tokio::test]
async fn postgres_commits_lost_in_a_crash_are_read_again() {
    let input = lines(17);
    let msgs = messages(&input, 2);
    let (p0, p1): (Vec<SourceMessage>, Vec<SourceMessage>) = msgs.into_iter().partition(|m| m.partition == 0);
    let third = p0.len() / 3;
    let (a, b, d) = (&p0[..third], &p0[third..2 * third], &p0[2 * third..]);
    let db = PgServer::shared().database();
    let pg = Store::open(&db).await.unwrap();
    let (src, topic) = ("kafka:caseflow.events.v1", "caseflow.events.v1");
    let psql = |sql: &str| PgServer::shared().psql(&db, sql);
    let next = |m: &[SourceMessage]| BTreeMap::from([(0, m.last().unwrap().offset + 1)]);

    let mut first = pg.append_source_batch(src, topic, a, &BTreeMap::new()).await.unwrap();
    pg.project_appended(&mut first).await.unwrap();
    // What the database holds before B's append: the crash goes back to it.
    let log_end: i64 = psql("SELECT MAX(seq) FROM events").parse().unwrap();
    let dead_end: i64 = psql("SELECT COALESCE(MAX(id), 0) FROM dead_letters").parse().unwrap();
    psql("CREATE TABLE saved_checkpoints AS SELECT * FROM checkpoints");
    let mut lost = pg.append_source_batch(src, topic, b, &next(a)).await.unwrap();
    assert!(lost.appended() > 0);
    psql(&format!(
        "DELETE FROM events WHERE seq > {log_end}; DELETE FROM dead_letters WHERE id > {dead_end}; \
         DELETE FROM checkpoints; INSERT INTO checkpoints SELECT * FROM saved_checkpoints; \
         SELECT setval(pg_get_serial_sequence('events', 'seq'), {log_end})"
    ));
    let mut other = pg.append_source_batch(src, topic, &p1, &BTreeMap::new()).await.unwrap();
    assert!(other.appended() > 0);
    // B's events are not projected from memory: the log is projected instead.
    pg.project_appended(&mut lost).await.unwrap();
    pg.project_appended(&mut other).await.unwrap();
    let applied: Vec<&SourceMessage> = a.iter().chain(&p1).collect();
    let text = |m: &[&SourceMessage]| m.iter().map(|m| String::from_utf8(m.payload.clone()).unwrap()).collect::<Vec<_>>();
    let dir = Sqlite::new();
    let reference = Store::open(&dir.url()).await.unwrap();
    ingest(&reference, &text(&applied), 10_000).await;
    assert_eq!(snapshot(&pg).await, snapshot(&reference).await, "after the lost batch's projection");

    // The consumer, which had gone on past B, is told where to read again.
    match pg.append_source_batch(src, topic, d, &next(b)).await {
        Err(caseflow_store::StoreError::OffsetsBehind { stored, expected }) => {
            assert_eq!(stored, next(a));
            assert_eq!(expected, next(b));
        }
        other => panic!("an append past the lost batch must be refused, got {other:?}"),
    }
    let again: Vec<SourceMessage> = b.iter().chain(d).cloned().collect();
    let mut rest = pg.append_source_batch(src, topic, &again, &next(a)).await.unwrap();
    pg.project_appended(&mut rest).await.unwrap();
    let all: Vec<&SourceMessage> = applied.into_iter().chain(&again).collect();
    let dir = Sqlite::new();
    let reference = Store::open(&dir.url()).await.unwrap();
    ingest(&reference, &text(&all), 10_000).await;
    assert_eq!(snapshot(&pg).await, snapshot(&reference).await, "after reading B again");
    assert_eq!(pg.projected_offsets(src).await.unwrap(), BTreeMap::from([(0, p0.last().unwrap().offset + 1), (1, p1.last().unwrap().offset + 1)]));
    pg.close().await;
}

/// On PostgreSQL a batch's column values travel joined by U+001F; a batch in
/// which some value holds that character (a position) goes as JSON instead.
/// Either way the read models are SQLite's. Event values cannot hold it: the
/// validation rejects control characters, so those lines are dead letters.
#[tokio::test]
async fn postgres_values_holding_the_column_separator() {
    let input: Vec<String> = lines(14)
        .into_iter()
        .map(|l| {
            // Half of the events (by id, so repeats stay identical) get teams with the separator.
            let odd = l.get(13..14).is_some_and(|c| c.as_bytes()[0] >= b'8');
            if odd {
                l.replace("\"team\":\"", "\"team\":\"\\u001f")
            } else {
                l
            }
        })
        .collect();
    let pg = Store::open(&PgServer::shared().database()).await.unwrap();
    let dir = Sqlite::new();
    let lite = Store::open(&dir.url()).await.unwrap();
    for store in [&pg, &lite] {
        for (i, chunk) in input.chunks(600).enumerate() {
            // Every other batch has positions holding the separator as well.
            let sep = if i % 2 == 0 { "\u{1f}" } else { " " };
            let b = chunk
                .iter()
                .enumerate()
                .map(|(j, l)| Incoming { position: format!("line{sep}{}", i * 600 + j + 1), raw: l.clone().into_bytes() })
                .collect();
            store.ingest_batch("test", caseflow_store::Prepared::new(b)).await.unwrap();
        }
        store.project_pending(600).await.unwrap();
    }
    let (a, b) = (snapshot(&pg).await, snapshot(&lite).await);
    assert!(a["events"].as_i64().unwrap() > 1000, "the stream is not trivial");
    let text = a["throughput"].to_string();
    assert!(!text.contains("\\u001f"), "no control character reaches the read models");
    let rejected = pg.dead_letter_count().await.unwrap();
    assert!(rejected > 100, "teams with the separator are dead letters ({rejected})");
    assert_eq!(rejected, lite.dead_letter_count().await.unwrap());
    assert_eq!(a, b);
    pg.close().await;
}

/// Repeats of ids the log holds and repeats within one batch get the right
/// verdicts on PostgreSQL and SQLite (both append first and learn from the insert
/// which ids the log held): a repeat is judged against the stored event, never
/// against an earlier copy in the same batch.
#[tokio::test]
async fn postgres_repeats_in_a_batch_are_judged_against_the_log() {
    // Two valid case events of the stream, and variants of them with other content.
    let input = lines(15);
    let mut valid = input.iter().filter(|l| caseflow_core::Event::from_json_bytes(l.as_bytes()).is_ok() && l.contains("\"client_ref\""));
    let (a, b) = (valid.next().unwrap().clone(), valid.next().unwrap().clone());
    let changed = |l: &str| {
        let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
        v["source"] = serde_json::json!("another-system");
        v.to_string()
    };
    let (a2, b2) = (changed(&a), changed(&b));
    assert!(caseflow_core::Event::from_json_bytes(a2.as_bytes()).is_ok(), "the variant is valid");
    let batch = |lines: &[&String]| -> Vec<Incoming> {
        lines.iter().enumerate().map(|(i, l)| Incoming { position: format!("line {}", i + 1), raw: l.as_bytes().to_vec() }).collect()
    };

    let pg = Store::open(&PgServer::shared().database()).await.unwrap();
    let dir = Sqlite::new();
    let lite = Store::open(&dir.url()).await.unwrap();
    for store in [&pg, &lite] {
        let first = store.append("test", batch(&[&a])).await.unwrap();
        assert_eq!((first.accepted, first.duplicates, first.rejected), (1, 0, 0));
        // a's variant first, then a itself; b new, then b again, then b's variant.
        let second = store.append("test", batch(&[&a2, &a, &b, &b, &b2])).await.unwrap();
        let kinds: Vec<(String, String)> = second.rejections.iter().map(|r| (r.position.clone(), r.kind.clone())).collect();
        assert_eq!((second.accepted, second.duplicates, second.rejected), (1, 2, 2), "only b is new");
        assert_eq!(kinds, [("line 1".to_string(), "conflict".to_string()), ("line 5".to_string(), "conflict".to_string())]);
        // Nothing but repeats: nothing appended, the log's end unchanged.
        let third = store.append("test", batch(&[&b, &a, &a2])).await.unwrap();
        assert_eq!((third.accepted, third.duplicates, third.rejected, third.last_seq), (0, 2, 1, 0));
        assert_eq!(store.event_count().await.unwrap(), 2);
        assert_eq!(store.dead_letter_count().await.unwrap(), 3);
        assert!(second.last_seq > first.last_seq, "the new event comes after the first in the log");
    }
    pg.close().await;
}

/// Valid events with fuzzed text in every free-text field (any printable
/// Unicode, quotes, backslashes, separators, invisible characters) store and
/// project identically on PostgreSQL and SQLite: whatever one database accepts,
/// the other accepts too.
#[tokio::test]
async fn postgres_stores_fuzzed_valid_text_like_sqlite() {
    use proptest::strategy::{Strategy, ValueTree};
    use serde_json::json;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let tricky = ["O'Brien", "a\"b", "\\", "%_", "\u{200B}", "\u{FEFF}x", "𝔘𝔫𝔦", "ünï çødé", "\u{1f}", "a\u{0}b"];
    let printable = proptest::string::string_regex("\\PC{1,24}").unwrap();
    let mut text = |i: usize| -> String {
        if i.is_multiple_of(7) {
            tricky[i % tricky.len()].to_string()
        } else {
            printable.new_tree(&mut runner).unwrap().current()
        }
    };
    let mut input = Vec::new();
    for c in 0..300usize {
        let case = format!("00000000-0000-4000-8000-{c:012}");
        let aanvraag = format!("00000000-0000-4000-9000-{c:012}");
        let at = |day: usize| format!("2020-02-{:02}T10:00:00+01:00", 1 + (c + day) % 27);
        let client = text(5 * c);
        let events = [
            ("melding.ontvangen", at(0), json!({"kanaal": "balie", "verwijzer": "huisarts", "wijk": text(5 * c + 1)})),
            ("melding.beoordeeld", at(1), json!({"uitkomst": "doorgezet", "reden": text(5 * c + 2)})),
            ("case.toegewezen", at(2), json!({"team": text(5 * c + 3), "consulent_ref": text(5 * c + 4), "dossiertype": "nieuw"})),
            ("aanvraag.ingediend", at(3), json!({"aanvraag_id": aanvraag, "voorziening": text(5 * c + 5), "soort": "nieuw"})),
        ];
        for (k, (event_type, occurred_at, data)) in events.into_iter().enumerate() {
            input.push(
                json!({
                    "event_id": format!("00000000-0000-4000-a000-{:012}", c * 10 + k),
                    "event_type": event_type, "schema_version": 1, "occurred_at": occurred_at,
                    "gemeente": "GM0344", "domein": "wmo", "case_id": case, "client_ref": client,
                    "source": text(5 * c + 6), "data": data,
                })
                .to_string(),
            );
        }
    }
    let pg = Store::open(&PgServer::shared().database()).await.unwrap();
    let dir = Sqlite::new();
    let lite = Store::open(&dir.url()).await.unwrap();
    ingest(&pg, &input, 500).await;
    ingest(&lite, &input, 500).await;
    let (a, b) = (snapshot(&pg).await, snapshot(&lite).await);
    assert!(a["events"].as_i64().unwrap() > 1000, "most fuzzed lines are valid: {}", a["events"]);
    assert!(a["dead_letters"].as_i64().unwrap() > 0, "the control characters are refused");
    assert_eq!(a, b);
    pg.close().await;
}
