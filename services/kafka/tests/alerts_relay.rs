//! The alerts relay against librdkafka's in-process mock cluster: every alert
//! transition in the outbox reaches the alerts topic exactly once, also when a
//! previous relay died after the broker acknowledged part of a batch but before
//! it could mark it published; and only one relay at a time holds the lease.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use caseflow_kafka::{AlertRelay, Config, OUTBOX_ID_HEADER};
use caseflow_sim::{SimConfig, Simulator};
use caseflow_store::{Incoming, Store, ALERTS_TOPIC};
use caseflow_tests::TempDir;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

const ALERTS: &str = "alerts.test";
const PARTITIONS: i32 = 3;

/// Simulated NDJSON for `months` months of 2020: long overdue today, so plenty of alerts.
fn lines(seed: u64, from_month: u32, to_month: u32) -> Vec<String> {
    Simulator::new(SimConfig {
        seed,
        gemeenten: 1,
        from: chrono::NaiveDate::from_ymd_opt(2020, from_month, 1).unwrap(),
        to: chrono::NaiveDate::from_ymd_opt(2020, to_month, 28).unwrap(),
        scale: 0.05,
        bad_fraction: 0.0,
        duplicate_fraction: 0.0,
    })
    .map(|l| l.to_ndjson())
    .collect()
}

async fn ingest(store: &Store, lines: &[String], tag: &str) {
    let batch: Vec<Incoming> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| Incoming {
            position: format!("{tag} {}", i + 1),
            raw: l.clone().into_bytes(),
        })
        .collect();
    store.append("file", batch).await.unwrap();
    store.project_pending(5000).await.unwrap();
}

/// Every message on `topic`: (outbox id, key, payload).
fn read_topic(brokers: &str, topic: &str) -> Vec<(i64, String, serde_json::Value)> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "reader")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    let mut ends = BTreeMap::new();
    for p in 0..PARTITIONS {
        let (_, high) = c
            .fetch_watermarks(topic, p, Duration::from_secs(10))
            .unwrap();
        if high > 0 {
            ends.insert(p, high);
            tpl.add_partition_offset(topic, p, Offset::Beginning)
                .unwrap();
        }
    }
    let mut out = Vec::new();
    if ends.is_empty() {
        return out;
    }
    c.assign(&tpl).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !ends.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "reading {topic} back: partitions {ends:?} not read to the end"
        );
        let Some(m) = c.poll(Duration::from_millis(200)) else {
            continue;
        };
        let m = m.unwrap();
        let h = m.headers().expect("alert messages carry headers");
        let id = (0..h.count())
            .map(|i| h.get(i))
            .find(|h| h.key == OUTBOX_ID_HEADER)
            .expect("outbox-id header");
        let id: i64 = std::str::from_utf8(id.value.unwrap())
            .unwrap()
            .parse()
            .unwrap();
        let key = String::from_utf8(m.key().unwrap().to_vec()).unwrap();
        out.push((
            id,
            key,
            serde_json::from_slice(m.payload().unwrap()).unwrap(),
        ));
        if m.offset() + 1 >= ends[&m.partition()] {
            ends.remove(&m.partition());
        }
    }
    out
}

/// The published message schema (schemas/out/alert-transition.schema.json).
fn schema() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schemas/out/alert-transition.schema.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .unwrap();
    let examples = schema["examples"].as_array().unwrap();
    assert!(!examples.is_empty(), "the schema has examples");
    for example in examples {
        assert!(v.is_valid(example), "schema example {example}");
    }
    v
}

fn assert_each_once(on_topic: &[(i64, String, serde_json::Value)], want: &BTreeSet<i64>) {
    let schema = schema();
    let mut seen = BTreeMap::new();
    for (id, key, payload) in on_topic {
        if let Err(e) = schema.validate(payload) {
            panic!("{payload} does not match schemas/out/alert-transition.schema.json: {e}");
        }
        *seen.entry(*id).or_insert(0) += 1;
        assert_eq!(
            payload["beschikking_id"].as_str(),
            Some(key.as_str()),
            "key = beschikking_id"
        );
        assert!(
            matches!(payload["transition"].as_str(), Some("raised" | "resolved")),
            "{payload}"
        );
    }
    let dup: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dup.is_empty(), "published more than once: {dup:?}");
    let ids: BTreeSet<i64> = seen.keys().copied().collect();
    assert_eq!(&ids, want, "the topic holds exactly the outbox");
}

async fn outbox_ids(store: &Store) -> BTreeSet<i64> {
    // Everything is published at this point; every id from 1 to the count.
    let (all, unpublished) = store.outbox_counts(ALERTS_TOPIC).await.unwrap();
    assert_eq!(unpublished, 0, "every outbox message is marked published");
    (1..=all).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transition_once_also_after_a_relay_died_between_ack_and_mark() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic(ALERTS, PARTITIONS, 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    let dir = TempDir::new("alerts-relay");
    let store = Store::open(&dir.sqlite_url()).await.unwrap();
    let cfg = Config::new(&brokers);

    // First stretch: raises.
    ingest(&store, &lines(3, 1, 2), "a").await;
    let (first, _) = store.outbox_counts(ALERTS_TOPIC).await.unwrap();
    assert!(first > 20, "the stream raises alerts: {first}");
    let mut relay = AlertRelay::new(&cfg, store.clone(), ALERTS).unwrap();
    assert_eq!(relay.publish_pending().await.unwrap(), first as u64);
    assert_each_once(&read_topic(&brokers, ALERTS), &outbox_ids(&store).await);
    assert_eq!(
        relay.publish_pending().await.unwrap(),
        0,
        "nothing left to publish"
    );
    drop(relay);

    // Second stretch: more raises, and resolves of the first.
    ingest(&store, &lines(3, 3, 4), "b").await;
    let pending = store.outbox_pending(ALERTS_TOPIC, 10_000).await.unwrap();
    assert!(
        pending.len() > 20,
        "the second stretch changes alerts: {}",
        pending.len()
    );
    // A relay that began this attempt, got the first half acknowledged and died
    // before marking: the attempt is recorded, half is on the topic.
    let probe: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", "probe")
        .create()
        .unwrap();
    let ends: BTreeMap<i32, i64> = (0..PARTITIONS)
        .map(|p| {
            (
                p,
                probe
                    .fetch_watermarks(ALERTS, p, Duration::from_secs(10))
                    .unwrap()
                    .1,
            )
        })
        .collect();
    let ids: Vec<i64> = pending.iter().map(|m| m.id).collect();
    store
        .outbox_begin_attempt(ALERTS_TOPIC, &ids, &ends)
        .await
        .unwrap();
    let dead: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create()
        .unwrap();
    let half = pending.len() / 2;
    for m in &pending[..half] {
        let id = m.id.to_string();
        let h = OwnedHeaders::new().insert(Header {
            key: OUTBOX_ID_HEADER,
            value: Some(id.as_str()),
        });
        dead.send(
            BaseRecord::to(ALERTS)
                .key(&m.key)
                .payload(&m.payload)
                .headers(h),
        )
        .map_err(|(e, _)| e)
        .unwrap();
    }
    dead.flush(Duration::from_secs(10)).unwrap();

    // The restarted relay publishes only what never reached the topic.
    let mut relay = AlertRelay::new(&cfg, store.clone(), ALERTS).unwrap();
    assert_eq!(
        relay.publish_pending().await.unwrap(),
        (pending.len() - half) as u64
    );
    assert_each_once(&read_topic(&brokers, ALERTS), &outbox_ids(&store).await);
    let resolved = read_topic(&brokers, ALERTS)
        .iter()
        .filter(|(_, _, p)| p["transition"] == "resolved")
        .count();
    assert!(resolved > 0, "resolves are published too");
    store.close().await;
}

/// One relay at a time on PostgreSQL: a second lease is refused while the first
/// is held and granted once it is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_relay_lease_at_a_time_on_postgres() {
    let url = caseflow_tests::pg::PgServer::shared().database();
    let a = Store::open(&url).await.unwrap();
    let b = Store::open(&url).await.unwrap();
    let mut first = a
        .relay_lease(ALERTS_TOPIC)
        .await
        .unwrap()
        .expect("the first relay gets the lease");
    assert!(first.still_held().await);
    assert!(
        b.relay_lease(ALERTS_TOPIC).await.unwrap().is_none(),
        "a second relay is refused"
    );
    assert!(
        a.relay_lease("another.topic").await.unwrap().is_some(),
        "leases are per topic"
    );
    drop(first);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if b.relay_lease(ALERTS_TOPIC).await.unwrap().is_some() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the lease is released when its holder goes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
