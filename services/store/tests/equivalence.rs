//! The stored read models equal the in-memory reference fold, whatever the
//! order, duplication and batching of the input, and after a rebuild.

use std::collections::BTreeMap;

use caseflow_core::fact::CountKey;
use caseflow_core::model::MemoryLog;
use caseflow_core::period::Granularity;
use caseflow_core::throughput::{self, ThroughputQuery};
use caseflow_core::workload;
use caseflow_sim::{shuffle, SimConfig, SimLine, Simulator};
use caseflow_store::{AlertQuery, Incoming, Store};
use chrono::NaiveDate;
use proptest::prelude::*;

fn temp_db(tag: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("caseflow-store-{tag}-{}-{}", std::process::id(), uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/t.db", dir.display());
    (dir, url)
}

fn lines(seed: u64) -> Vec<String> {
    sim(seed).map(|l| l.to_ndjson()).collect()
}

/// Lines without conflicting reuses of an event_id: which of two conflicting
/// events is accepted depends on arrival order by definition (the later one is
/// rejected), so order-independence holds for streams without them.
fn lines_without_conflicts(seed: u64) -> Vec<String> {
    sim(seed).filter(|l| !matches!(l, SimLine::Bad { why: "conflict", .. })).map(|l| l.to_ndjson()).collect()
}

fn sim(seed: u64) -> Simulator {
    Simulator::new(SimConfig {
        seed,
        gemeenten: 2,
        from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2020, 2, 29).unwrap(),
        scale: 0.03,
        bad_fraction: 0.01,
        duplicate_fraction: 0.02,
    })
}

/// Assert two count maps are equal, showing only the differences.
fn assert_same(got: &BTreeMap<CountKey, f64>, want: &BTreeMap<CountKey, f64>) {
    assert!(!want.is_empty(), "the reference counts nothing");
    let mut diffs = Vec::new();
    for k in got.keys().chain(want.keys()) {
        let (g, w) = (got.get(k), want.get(k));
        if g != w && diffs.len() < 12 {
            diffs.push(format!("{k:?}: store {g:?}, reference {w:?}"));
        }
    }
    assert!(diffs.is_empty(), "{} differences, first:\n{}", diffs.len(), diffs.join("\n"));
}

fn all_query() -> ThroughputQuery {
    ThroughputQuery { granularity: Granularity::Day, gemeente: None, domein: None, by_team: true, from: None, to: None }
}

const ALL_METRICS: &[&str] = &[
    throughput::MELDINGEN, throughput::DOORGEZET, throughput::AFGEVANGEN, throughput::TOEGEWEZEN, throughput::AANVRAGEN,
    throughput::BESCHIKKINGEN, throughput::PO_UITGEVOERD, throughput::ZORG_GESTART, throughput::ZORG_BEEINDIGD,
    workload::WL_OPGEPAKT, workload::WL_EERSTE, workload::WL_OPEN,
];

async fn stored(store: &Store) -> BTreeMap<CountKey, f64> {
    store.daily_counts(ALL_METRICS, &all_query()).await.unwrap().into_iter().filter(|(_, v)| *v != 0.0).collect()
}

/// Everything else the read models hold, in a comparable form.
#[derive(Debug, PartialEq)]
struct Rest {
    samples: Vec<caseflow_core::leadtime::Sample>,
    open_cases: Vec<String>,
    po: Vec<String>,
    formatie: usize,
    /// The council monitor's per-key facts, as sorted JSON.
    monitor: Vec<String>,
    /// The legal-term facts per case, as sorted JSON, and the open terms at `as_of()`.
    case_terms: Vec<String>,
    terms: String,
}

fn sorted_json<T: serde::Serialize>(items: &[T]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|x| serde_json::to_string(x).unwrap()).collect();
    v.sort();
    v
}

fn as_of() -> chrono::DateTime<chrono::Utc> {
    "2020-02-20T12:00:00Z".parse().unwrap()
}

async fn stored_rest(store: &Store) -> Rest {
    let mut open: Vec<String> = store.open_cases(None, None, None, as_of()).await.unwrap().iter().map(|r| serde_json::to_string(r).unwrap()).collect();
    open.sort();
    let po = store.po(None, None, as_of(), None).await.unwrap();
    Rest {
        samples: store.leadtime_samples().await.unwrap(),
        open_cases: open,
        po: po.beschikkingen.iter().map(|s| serde_json::to_string(s).unwrap()).collect(),
        formatie: store.formatie().await.unwrap().len(),
        monitor: sorted_json(&store.monitor_facts(None, None).await.unwrap()),
        case_terms: sorted_json(&store.case_terms(None, None).await.unwrap()),
        terms: serde_json::to_string(&store.terms(None, None, as_of(), &Default::default()).await.unwrap()).unwrap(),
    }
}

fn reference_rest(lines: &[String]) -> Rest {
    let log = MemoryLog::from_events(lines.iter().filter_map(|l| caseflow_core::Event::from_json_bytes(l.as_bytes()).ok()));
    let config = caseflow_core::config::Config::default();
    let mut open: Vec<String> = log
        .open_cases()
        .iter()
        .filter(|c| c.started_at <= as_of())
        .map(|c| serde_json::to_string(&caseflow_core::leadtime::open_case_row(c, as_of(), &config)).unwrap())
        .collect();
    open.sort();
    let po = caseflow_core::overdue_po::report(&log.po_timelines(), as_of(), &config, None);
    Rest {
        samples: log.facts().samples,
        open_cases: open,
        po: po.beschikkingen.iter().map(|s| serde_json::to_string(s).unwrap()).collect(),
        formatie: log.formatie().len(),
        monitor: sorted_json(&log.monitor_facts()),
        case_terms: sorted_json(&log.case_terms()),
        terms: serde_json::to_string(&caseflow_core::terms::report(&log.case_terms(), as_of(), &config, &Default::default())).unwrap(),
    }
}

/// Open alerts as (beschikking, kind, team, cycle start, planned date).
type OpenAlert = (String, String, Option<String>, String, Option<String>);

async fn stored_open_alerts(store: &Store) -> Vec<OpenAlert> {
    let q = AlertQuery { status: Some("open".into()), limit: 1_000_000, ..AlertQuery::default() };
    let mut v: Vec<OpenAlert> =
        store.alerts(&q).await.unwrap().into_iter().map(|a| (a.beschikking_id, a.kind, a.team, a.cycle_start, a.gepland_op)).collect();
    v.sort();
    v
}

/// What should be open now: every monitored beschikking's alerting state at this moment.
fn reference_open_alerts(lines: &[String]) -> Vec<OpenAlert> {
    let log = MemoryLog::from_events(lines.iter().filter_map(|l| caseflow_core::Event::from_json_bytes(l.as_bytes()).ok()));
    let config = caseflow_core::config::Config::default();
    let now = chrono::Utc::now();
    let mut v: Vec<OpenAlert> = log
        .po_timelines()
        .iter()
        .filter_map(|tl| tl.state_at(now, &config))
        .filter(|s| s.status.is_alert())
        .map(|s| {
            (
                s.beschikking_id.to_string(),
                s.status.as_str().to_string(),
                s.team.clone(),
                s.cycle_start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                s.gepland_op.map(|d| d.to_string()),
            )
        })
        .collect();
    v.sort();
    v
}

fn reference(lines: &[String]) -> BTreeMap<CountKey, f64> {
    let log = MemoryLog::from_events(lines.iter().filter_map(|l| caseflow_core::Event::from_json_bytes(l.as_bytes()).ok()));
    log.facts().counts.into_iter().collect()
}

async fn ingest(store: &Store, lines: &[String], append_batch: usize, project_batch: usize) {
    for (i, chunk) in lines.chunks(append_batch).enumerate() {
        let batch = chunk.iter().enumerate().map(|(j, l)| Incoming { position: format!("line {}", i * append_batch + j + 1), raw: l.clone().into_bytes() }).collect();
        // Both ways in: append only, or append and project in one transaction
        // (when the projector is at the end of the log).
        if i % 3 == 1 {
            store.project_pending(project_batch).await.unwrap();
            store.ingest_batch("test", batch).await.unwrap();
        } else {
            store.append("test", batch).await.unwrap();
        }
        // Interleave projection with appends.
        store.project_batch(project_batch).await.unwrap();
    }
    store.project_pending(project_batch).await.unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn store_equals_reference_for_any_order_and_batching(
        seed in 0u64..500, shuffle_seed in any::<u64>(), append_batch in 20usize..600, project_batch in 10usize..400,
        cache_capacity in prop::sample::select(vec![0usize, 40, 400, 1_000_000]),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let mut input = lines_without_conflicts(seed);
        let expected = reference(&input);
        prop_assert!(expected.len() > 50);
        // Every line twice, in a random order.
        let copy = input.clone();
        input.extend(copy);
        shuffle(&mut input, shuffle_seed);
        let (dir, url) = temp_db("prop");
        let got = rt.block_on(async {
            let store = Store::open(&url).await.unwrap();
            // The projector's cache, from none to all keys, never changes a figure.
            store.set_projection_cache_capacity(cache_capacity).await;
            ingest(&store, &input, append_batch, project_batch).await;
            let got = stored(&store).await;
            let rest = stored_rest(&store).await;
            // Open alerts show the current state of each beschikking (kind, cycle,
            // planned date, team), however the stream was ordered and cut.
            assert_eq!(stored_open_alerts(&store).await, reference_open_alerts(&input), "open alerts differ");
            // A rebuild from the log gives the same.
            store.rebuild(1000).await.unwrap();
            assert_eq!(got, stored(&store).await, "rebuild differs");
            assert_eq!(rest, stored_rest(&store).await, "rebuild differs");
            store.close().await;
            (got, rest)
        });
        let _ = std::fs::remove_dir_all(dir);
        assert_same(&got.0, &expected);
        prop_assert_eq!(got.1, reference_rest(&lines_without_conflicts(seed)));
    }
}

#[tokio::test]
async fn in_order_ingest_matches_reference_and_counts_bad_lines() {
    let input = lines(3);
    let bad = Simulator::new(SimConfig {
        seed: 3,
        gemeenten: 2,
        from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2020, 2, 29).unwrap(),
        scale: 0.03,
        bad_fraction: 0.01,
        duplicate_fraction: 0.02,
    })
    .filter(|l| matches!(l, SimLine::Bad { .. }))
    .count();
    assert!(bad > 0, "the stream should contain bad lines");
    let (dir, url) = temp_db("inorder");
    let store = Store::open(&url).await.unwrap();
    let batch = input.iter().enumerate().map(|(i, l)| Incoming { position: format!("line {}", i + 1), raw: l.clone().into_bytes() }).collect();
    let report = store.append("test", batch).await.unwrap();
    assert_eq!(report.rejected as usize, bad);
    assert_eq!(store.dead_letters(100_000, false).await.unwrap().len(), bad);
    store.project_pending(777).await.unwrap();
    assert_same(&stored(&store).await, &reference(&input));
    let rest = stored_rest(&store).await;
    assert!(rest.samples.len() > 100 && rest.open_cases.len() > 10 && rest.po.len() > 10 && rest.formatie > 10 && rest.monitor.len() > 100 && rest.case_terms.len() > 100, "{rest:?}");
    let terms: serde_json::Value = serde_json::from_str(&rest.terms).unwrap();
    for status in ["binnen_termijn", "termijn_nadert", "termijn_verstreken"] {
        assert!(terms["counts"][status].as_u64().unwrap() > 0, "{status}: {}", terms["counts"]);
    }
    assert_eq!(rest, reference_rest(&input));
    let (at, end) = store.lag().await.unwrap();
    assert_eq!(at, end);
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn source_batches_store_offsets_and_skip_redeliveries() {
    use caseflow_store::SourceMessage;
    let input = lines(5);
    let messages: Vec<SourceMessage> =
        input.iter().enumerate().map(|(i, l)| SourceMessage { partition: (i % 3) as i32, offset: (i / 3) as i64, payload: l.clone().into_bytes() }).collect();
    let (dir, url) = temp_db("source");
    let store = Store::open(&url).await.unwrap();
    let src = "kafka:caseflow.events.v1:test";
    let mut rejected = 0;
    let mut by_type: std::collections::BTreeMap<String, u64> = Default::default();
    for chunk in messages.chunks(250) {
        let r = store.apply_source_batch(src, "caseflow.events.v1", chunk).await.unwrap();
        assert_eq!(r.already_applied, 0);
        assert_eq!(r.dead(chunk).count() as u64, r.append.rejected);
        assert_eq!(r.append.valid_by_type.values().sum::<u64>(), r.append.accepted + r.append.duplicates);
        for (t, n) in &r.append.valid_by_type {
            *by_type.entry(t.to_string()).or_default() += n;
        }
        rejected += r.append.rejected;
    }
    // The per-type counts (the `caseflow_events_applied_total` metric) are those of the valid input lines.
    // (Accepted or repeated; not conflicting with an earlier event of the same id.)
    let mut want: std::collections::BTreeMap<String, u64> = Default::default();
    let mut log = MemoryLog::new();
    for l in &input {
        if let Ok(e) = caseflow_core::Event::from_json_bytes(l.as_bytes()) {
            let t = e.event_type().as_str().to_string();
            if log.offer(e) != caseflow_core::model::Admission::Conflict {
                *want.entry(t).or_default() += 1;
            }
        }
    }
    assert!(want.len() > 5, "{want:?}");
    assert_eq!(by_type, want);
    let offsets = store.source_offsets(src).await.unwrap();
    let expect_next = |p: i32| messages.iter().filter(|m| m.partition == p).map(|m| m.offset + 1).max().unwrap();
    assert_eq!(offsets.len(), 3);
    for p in 0..3 {
        assert_eq!(offsets[&p], expect_next(p));
    }
    let got = stored(&store).await;
    assert_same(&got, &reference(&input));
    // A redelivery of everything (as after a crash before the Kafka commit) changes nothing.
    let r = store.apply_source_batch(src, "caseflow.events.v1", &messages).await.unwrap();
    assert_eq!(r.already_applied as usize, messages.len());
    assert_eq!(r.append.accepted + r.append.duplicates + r.append.rejected, 0);
    assert_eq!(stored(&store).await, got);
    assert_eq!(store.dead_letters(100_000, false).await.unwrap().len() as u64, rejected);
    assert!(store.dead_letters(1, false).await.unwrap()[0].position.starts_with("caseflow.events.v1/"));
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// SQLite: committed WAL frames reach the database file in the background,
/// without a commit or a close doing it (the writer does not checkpoint at
/// commit for a transaction below `wal_autocheckpoint`).
#[tokio::test]
async fn sqlite_wal_is_checkpointed_in_the_background() {
    let (dir, url) = temp_db("checkpoint");
    let store = Store::open(&url).await.unwrap();
    let db = dir.join("t.db");
    let size = || std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    // Let the checkpoint of the migrations pass, then write a batch.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let before = size();
    let batch: Vec<Incoming> = lines(11).into_iter().take(2000).enumerate().map(|(i, l)| Incoming { position: format!("line {}", i + 1), raw: l.into_bytes() }).collect();
    let r = store.ingest_batch("test", batch).await.unwrap();
    assert!(r.accepted > 1000, "{r:?}");
    let wal = std::fs::metadata(dir.join("t.db-wal")).map(|m| m.len()).unwrap_or(0);
    assert!(wal > 0, "the batch is in the WAL");
    let t0 = std::time::Instant::now();
    while size() <= before {
        assert!(t0.elapsed() < std::time::Duration::from_secs(10), "the database file stayed at {before} bytes: nothing checkpointed the WAL ({wal} bytes)");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// A staffing event or a withdrawal, as an input line.
fn staffing_line(id: u128, gemeente: &str, at: &str, data: serde_json::Value) -> String {
    let mut e = serde_json::json!({
        "event_id": uuid::Uuid::from_u128(id).to_string(),
        "event_type": "formatie.vastgesteld",
        "schema_version": 1,
        "occurred_at": at,
        "gemeente": gemeente,
        "domein": "wmo",
        "data": data,
    });
    if let Some(target) = e["data"].get("ingetrokken_event_id").cloned() {
        e["event_type"] = "event.ingetrokken".into();
        e["case_id"] = uuid::Uuid::from_u128(0xCA5E).to_string().into();
        e["client_ref"] = "client-1".into();
        e["data"] = serde_json::json!({"ingetrokken_event_id": target, "reden": "foutief"});
    }
    e.to_string()
}

fn withdraw(target: u128) -> serde_json::Value {
    serde_json::json!({"ingetrokken_event_id": uuid::Uuid::from_u128(target).to_string()})
}

fn staff(team: &str, consulent: &str, fte: f64) -> serde_json::Value {
    serde_json::json!({"team": team, "consulent_ref": consulent, "fte": fte, "geldig_vanaf": "2020-01-06"})
}

fn by_id(mut f: Vec<workload::Formatie>) -> Vec<workload::Formatie> {
    f.sort_by_key(|f| f.event_id);
    f
}

/// The staffing table holds exactly the effective staffing events: a withdrawn
/// one is left out, a withdrawn withdrawal restores it, a withdrawal that
/// arrives before its target still counts, and one from another gemeente does
/// not; whatever the batching, and after a rebuild.
#[tokio::test]
async fn staffing_table_leaves_out_withdrawn_events() {
    let (g, other) = ("GM0363", "GM0518");
    let t = "2020-01-02T09:00:00+01:00";
    let input = vec![
        staffing_line(1, g, t, staff("A", "c1", 1.0)),
        staffing_line(2, g, t, staff("A", "c2", 0.5)),
        staffing_line(11, g, t, withdraw(1)),
        staffing_line(12, g, t, withdraw(2)),
        staffing_line(13, g, t, withdraw(12)),
        // Withdrawals before their targets: one of the same gemeente, one foreign.
        staffing_line(14, g, t, withdraw(3)),
        staffing_line(15, other, t, withdraw(4)),
        staffing_line(3, g, t, staff("B", "c3", 0.8)),
        staffing_line(4, g, t, staff("B", "c4", 0.9)),
    ];
    let log = MemoryLog::from_events(input.iter().map(|l| caseflow_core::Event::from_json_bytes(l.as_bytes()).unwrap()));
    let want = by_id(log.formatie());
    let ids: Vec<u128> = want.iter().map(|f| f.event_id.as_u128()).collect();
    assert_eq!(ids, vec![2, 4], "the reference keeps the restored and the foreign-withdrawn event");
    for (append_batch, project_batch) in [(1, 1), (2, 3), (3, 1), (100, 100)] {
        let (dir, url) = temp_db("staffing");
        let store = Store::open(&url).await.unwrap();
        ingest(&store, &input, append_batch, project_batch).await;
        assert_eq!(by_id(store.formatie().await.unwrap()), want, "batches of {append_batch}, projected by {project_batch}");
        store.rebuild(2).await.unwrap();
        assert_eq!(by_id(store.formatie().await.unwrap()), want, "rebuild after batches of {append_batch}");
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A database from before the staffing table gets it filled: its migration
/// rewinds the projection, and the next projection writes the table from the log.
#[tokio::test]
async fn staffing_migration_fills_the_table_for_an_existing_log() {
    let input = lines(3);
    let (dir, url) = temp_db("staffing-migration");
    let store = Store::open(&url).await.unwrap();
    ingest(&store, &input, 500, 300).await;
    let want = by_id(store.formatie().await.unwrap());
    let counts = stored(&store).await;
    assert!(want.len() > 10, "{}", want.len());
    store.close().await;
    // The database as it was before migration 0007.
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("DROP TABLE formatie").execute(&mut conn).await.unwrap();
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 7").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::open(&url).await.unwrap();
    assert!(store.formatie().await.unwrap().is_empty(), "the migration starts the table empty");
    store.project_pending(1000).await.unwrap();
    assert_eq!(by_id(store.formatie().await.unwrap()), want);
    assert_eq!(stored(&store).await, counts, "the other read models are projected again the same");
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
