//! Fast consumer tests against librdkafka's in-process mock cluster: the
//! projector's read models equal the embedded path's, it positions partitions at
//! the offsets stored in the database (not Kafka's committed offsets), and it
//! publishes dead letters to the DLQ topic with their headers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use caseflow_core::period::Granularity;
use caseflow_core::throughput::ThroughputQuery;
use caseflow_kafka::{headers, message_key, source_name, Config, Projector};
use caseflow_sim::{SimConfig, Simulator};
use caseflow_store::{Incoming, Store};
use caseflow_tests::TempDir;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const TOPIC: &str = "caseflow.events.v1";
const DLQ: &str = "caseflow.dlq.v1";
const PARTITIONS: i32 = 4;

fn lines(seed: u64, months: u32) -> Vec<String> {
    Simulator::new(SimConfig {
        seed,
        gemeenten: 2,
        from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        to: chrono::NaiveDate::from_ymd_opt(2020, months, 28).unwrap(),
        scale: 0.05,
        bad_fraction: 0.01,
        duplicate_fraction: 0.02,
    })
    .map(|l| l.to_ndjson())
    .collect()
}

fn cluster() -> MockCluster<'static, rdkafka::producer::DefaultProducerContext> {
    let c = MockCluster::new(3).expect("mock cluster");
    c.create_topic(TOPIC, PARTITIONS, 1).unwrap();
    c.create_topic(DLQ, 2, 1).unwrap();
    c
}

/// Produce with the contract's key (partition by key hash), or to an explicit partition.
fn produce(brokers: &str, lines: &[String], partition: Option<i32>) {
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    for l in lines {
        let key = message_key(l.as_bytes()).unwrap_or_default();
        let mut r = BaseRecord::to(TOPIC).key(&key).payload(l);
        if let Some(part) = partition {
            r = r.partition(part);
        }
        p.send(r).map_err(|(e, _)| e).unwrap();
        p.poll(Duration::ZERO);
    }
    p.flush(Duration::from_secs(30)).unwrap();
}

fn config(brokers: &str, group: &str) -> Config {
    let mut c = Config::new(brokers);
    c.group = group.to_string();
    c.batch_max = 700;
    c
}

/// A projector on its own thread; stopped (gracefully) on `stop()`.
struct Running {
    stop: CancellationToken,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    fn start(cfg: Config, store: Store) -> Running {
        let stop = CancellationToken::new();
        let (s, h) = (stop.clone(), tokio::runtime::Handle::current());
        let thread = std::thread::spawn(move || {
            Projector::new(cfg, store, h, s, Arc::new(Notify::new()))?.run()
        });
        Running {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(mut self) {
        self.stop.cancel();
        self.thread.take().unwrap().join().unwrap().unwrap();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Wait (bounded) until the store's offsets cover `total` messages.
async fn wait_applied(store: &Store, total: i64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let sum: i64 = store
            .source_offsets(&source_name(TOPIC))
            .await
            .unwrap()
            .values()
            .sum();
        if sum >= total {
            assert_eq!(sum, total, "more offsets applied than produced");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "projector applied {sum} of {total} messages within the deadline"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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

/// The embedded path's result for the same lines.
async fn embedded(lines: &[String]) -> (serde_json::Value, i64) {
    let dir = TempDir::new("mock-ref");
    let s = Store::open(&dir.sqlite_url()).await.unwrap();
    let batch: Vec<Incoming> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| Incoming {
            position: format!("line {}", i + 1),
            raw: l.clone().into_bytes(),
        })
        .collect();
    s.append("file", batch).await.unwrap();
    s.project_pending(5000).await.unwrap();
    let r = (
        serde_json::to_value(s.throughput(&by_day()).await.unwrap()).unwrap(),
        s.dead_letter_count().await.unwrap(),
    );
    s.close().await;
    r
}

async fn result(s: &Store) -> (serde_json::Value, i64) {
    (
        serde_json::to_value(s.throughput(&by_day()).await.unwrap()).unwrap(),
        s.dead_letter_count().await.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_like_the_embedded_path_and_resumes_from_stored_offsets() {
    let c = cluster();
    let brokers = c.bootstrap_servers();
    let all = lines(21, 4);
    let (first, second) = all.split_at(all.len() * 2 / 3);
    produce(&brokers, first, None);

    let dir = TempDir::new("mock-a");
    let store = Store::open(&dir.sqlite_url()).await.unwrap();
    let p = Running::start(config(&brokers, "g1"), store.clone());
    wait_applied(&store, first.len() as i64).await;
    p.stop();
    assert_eq!(result(&store).await, embedded(first).await);

    // More input while the projector is down; a new member of the same group
    // continues at the stored offsets: nothing applied twice, nothing missed.
    produce(&brokers, second, None);
    let p = Running::start(config(&brokers, "g1"), store.clone());
    wait_applied(&store, all.len() as i64).await;
    p.stop();
    let want = embedded(&all).await;
    assert!(want.1 > 0, "the stream has bad lines");
    assert_eq!(result(&store).await, want);

    // The same group (Kafka offsets committed at the end) on an empty database:
    // the database's offsets (none) win, so it starts from the beginning.
    let dir2 = TempDir::new("mock-b");
    let fresh = Store::open(&dir2.sqlite_url()).await.unwrap();
    let p = Running::start(config(&brokers, "g1"), fresh.clone());
    wait_applied(&fresh, all.len() as i64).await;
    p.stop();
    assert_eq!(result(&fresh).await, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_in_every_partition_goes_to_the_dlq_topic_with_headers() {
    let c = cluster();
    let brokers = c.bootstrap_servers();
    let good = lines(22, 2);
    produce(&brokers, &good, None);
    for p in 0..PARTITIONS {
        produce(&brokers, &[format!("{{not json in partition {p}")], Some(p));
    }
    let total = good.len() as i64 + PARTITIONS as i64;

    let dir = TempDir::new("mock-dlq");
    let store = Store::open(&dir.sqlite_url()).await.unwrap();
    let cfg = config(&brokers, "g-dlq");
    let producer = caseflow_kafka::dlq_producer(&cfg).unwrap();
    let p = Running::start(cfg, store.clone());
    wait_applied(&store, total).await;
    p.stop();
    let (_, good_dead) = embedded(&good).await;
    assert_eq!(
        store.dead_letter_count().await.unwrap(),
        good_dead + PARTITIONS as i64
    );

    // The relay publishes every dead letter once and marks it.
    let n = caseflow_kafka::publish_dead_letters(&store, &producer, &source_name(TOPIC), DLQ)
        .await
        .unwrap();
    assert_eq!(n as i64, good_dead + PARTITIONS as i64);
    assert!(store
        .unpublished_dead_letters(&source_name(TOPIC), 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        caseflow_kafka::publish_dead_letters(&store, &producer, &source_name(TOPIC), DLQ)
            .await
            .unwrap(),
        0
    );

    // Read the DLQ topic back.
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", "dlq-reader")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..2 {
        tpl.add_partition_offset(DLQ, p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while (got.len() as i64) < n as i64 && Instant::now() < deadline {
        if let Some(m) = consumer.poll(Duration::from_millis(200)) {
            let m = m.unwrap();
            let h = m.headers().expect("DLQ messages carry headers");
            let header = |k: &str| {
                h.iter()
                    .find(|x| x.key == k)
                    .and_then(|x| x.value)
                    .map(|v| String::from_utf8_lossy(v).into_owned())
            };
            got.push((
                m.payload().unwrap_or_default().to_vec(),
                header(headers::REASON),
                header(headers::KIND),
                header(headers::SOURCE_TOPIC),
                header(headers::SOURCE_PARTITION),
                header(headers::SOURCE_OFFSET),
            ));
        }
    }
    assert_eq!(got.len() as u64, n);
    for p in 0..PARTITIONS {
        let poison = format!("{{not json in partition {p}");
        let m = got
            .iter()
            .find(|g| g.0 == poison.as_bytes())
            .unwrap_or_else(|| panic!("poison of partition {p} not in the DLQ topic"));
        assert_eq!(m.2.as_deref(), Some("invalid_json"));
        assert!(m.1.as_deref().is_some_and(|r| !r.is_empty()));
        assert_eq!(m.3.as_deref(), Some(TOPIC));
        assert_eq!(m.4.as_deref(), Some(p.to_string().as_str()));
        assert!(m.5.as_deref().is_some_and(|o| o.parse::<i64>().is_ok()));
    }
}
