//! The alerts relay: publishes every alert raise and resolve from the outbox to
//! `caseflow.alerts.v1` (JSON, key `beschikking_id`), exactly once per transition.
//!
//! The outbox row is written in the same transaction as the alert change. The
//! relay marks a batch *attempted* together with the topic's end offsets before
//! it publishes, and *published* after the broker acknowledged it. When it finds
//! attempted rows that were never marked (the process died between the
//! acknowledgement and the mark, or a publication failed half-way), it reads the
//! topic from the recorded end offsets and marks the messages it finds there by
//! their `caseflow.outbox-id` header instead of sending them again. One relay per
//! topic runs at a time (a lease on the database), so several projector replicas
//! can run the relay safely.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::Context;
use caseflow_telemetry::metrics;
use caseflow_store::{RelayLease, Store, ALERTS_TOPIC};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use crate::{Config, ProducerCtx};

/// The default alerts topic.
pub const DEFAULT_ALERTS_TOPIC: &str = ALERTS_TOPIC;
/// The header carrying the outbox id of an alert message (consumers may dedupe on it, too).
pub const OUTBOX_ID_HEADER: &str = "caseflow.outbox-id";

const BATCH: i64 = 500;
const METADATA_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the read-back waits for more after the reported end offsets.
const READ_BACK_IDLE: Duration = Duration::from_millis(1500);

/// Publishes the alerts outbox to a Kafka topic.
pub struct AlertRelay {
    store: Store,
    producer: FutureProducer<ProducerCtx>,
    /// For the reconciliation reader (assign-only, no group membership).
    reader: ClientConfig,
    topic: String,
    lease: Option<RelayLease>,
}

impl AlertRelay {
    /// A relay publishing to `topic` through the brokers of `cfg`.
    pub fn new(cfg: &Config, store: Store, topic: &str) -> anyhow::Result<AlertRelay> {
        let mut p = cfg.client();
        // Idempotent: a produce request the client retries (a timeout, a lost
        // connection) is not written twice, and a beschikking's transitions keep
        // their order.
        p.set("acks", "all")
            .set("enable.idempotence", "true")
            .set("message.timeout.ms", "30000")
            .set("client.id", "caseflow-alerts");
        cfg.apply_properties(&mut p);
        let producer = p
            .create_with_context(ProducerCtx::default())
            .context("creating the alerts producer")?;
        let mut reader = cfg.client();
        reader
            .set("group.id", format!("{}-alerts-reconcile", cfg.group))
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .set("fetch.wait.max.ms", "100")
            .set("client.id", "caseflow-alerts-reconcile");
        cfg.apply_properties(&mut reader);
        Ok(AlertRelay {
            store,
            producer,
            reader,
            topic: topic.to_string(),
            lease: None,
        })
    }

    /// Publish everything pending. Returns how many messages went out; 0 when
    /// another process holds the relay lease.
    pub async fn publish_pending(&mut self) -> anyhow::Result<u64> {
        if let Some(lease) = &mut self.lease {
            if !lease.still_held().await {
                tracing::warn!(topic = %self.topic, "alerts relay lease lost (database connection closed); taking it again");
                self.lease = None;
            }
        }
        if self.lease.is_none() {
            self.lease = self.store.relay_lease(ALERTS_TOPIC).await?;
            if self.lease.is_none() {
                tracing::debug!(topic = %self.topic, "another process relays the alerts outbox");
                return Ok(0);
            }
        }
        let mut total = 0;
        let mut reconciled = false;
        loop {
            let pending = self.store.outbox_pending(ALERTS_TOPIC, BATCH).await?;
            if pending.is_empty() {
                return Ok(total);
            }
            if !reconciled && pending.iter().any(|m| m.attempted) {
                reconciled = true;
                let found = self.reconcile().await?;
                if !found.is_empty() {
                    self.store.outbox_mark_published(&found).await?;
                    metrics().alerts_reconciled(found.len() as u64);
                    tracing::info!(topic = %self.topic, already_published = found.len(), "alerts relay: an interrupted publication was reconciled");
                    continue;
                }
            }
            let ends = self.end_offsets().await?;
            let ids: Vec<i64> = pending.iter().map(|m| m.id).collect();
            self.store
                .outbox_begin_attempt(ALERTS_TOPIC, &ids, &ends)
                .await?;

            let mut deliveries = Vec::with_capacity(pending.len());
            let mut failed = None;
            for m in &pending {
                let id = m.id.to_string();
                let record = FutureRecord::to(&self.topic)
                    .key(m.key.as_bytes())
                    .payload(m.payload.as_bytes())
                    .headers(OwnedHeaders::new().insert(Header {
                        key: OUTBOX_ID_HEADER,
                        value: Some(id.as_str()),
                    }));
                match self.producer.send_result(record) {
                    Ok(f) => deliveries.push((m.id, f)),
                    Err((e, _)) => {
                        failed = Some(format!("cannot queue an alert message: {e}"));
                        break;
                    }
                }
            }
            // Delivery in order per partition: mark acknowledged messages only up
            // to the first failure, so a retry never reorders a beschikking's transitions.
            let mut done = Vec::with_capacity(deliveries.len());
            for (id, f) in deliveries {
                match f.await {
                    Ok(Ok(_)) if failed.is_none() => done.push(id),
                    Ok(Ok(_)) => {}
                    Ok(Err((e, _))) => failed = failed.or(Some(e.to_string())),
                    Err(_) => failed = failed.or(Some("delivery cancelled".to_string())),
                }
            }
            self.store.outbox_mark_published(&done).await?;
            metrics().alerts_published(done.len() as u64);
            total += done.len() as u64;
            if let Some(e) = failed {
                metrics().alerts_publish_error();
                anyhow::bail!("publishing to {}: {e}", self.topic);
            }
        }
    }

    /// The topic's end offset per partition.
    async fn end_offsets(&mut self) -> anyhow::Result<BTreeMap<i32, i64>> {
        let reader = self.reader.clone();
        let topic = self.topic.clone();
        tokio::task::spawn_blocking(move || {
            let c: BaseConsumer = reader.create()?;
            end_offsets(&c, &topic)
        })
        .await?
    }

    /// Outbox ids already on the topic at or after the offsets recorded with the
    /// last attempt.
    async fn reconcile(&mut self) -> anyhow::Result<Vec<i64>> {
        let from = self
            .store
            .outbox_attempt_offsets(ALERTS_TOPIC)
            .await?
            .unwrap_or_default();
        let reader = self.reader.clone();
        let topic = self.topic.clone();
        tokio::task::spawn_blocking(move || outbox_ids_on_topic(&reader, &topic, &from))
            .await?
            .with_context(|| {
                format!(
                    "reading {} back to reconcile an interrupted publication",
                    self.topic
                )
            })
    }
}

fn end_offsets(c: &BaseConsumer, topic: &str) -> anyhow::Result<BTreeMap<i32, i64>> {
    let md = c.fetch_metadata(Some(topic), METADATA_TIMEOUT)?;
    let t = md
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .with_context(|| format!("topic {topic} not found"))?;
    if let Some(e) = t.error() {
        anyhow::bail!(
            "topic {topic}: {e:?}; create it (the alerts topic is not created automatically)"
        );
    }
    let mut ends = BTreeMap::new();
    for p in t.partitions() {
        let (_, high) = c.fetch_watermarks(topic, p.id(), METADATA_TIMEOUT)?;
        ends.insert(p.id(), high);
    }
    Ok(ends)
}

/// Read `topic` from `from` (partition → offset; 0 for a partition not in it) up
/// to its current end and collect the outbox ids in the messages' headers.
fn outbox_ids_on_topic(
    reader: &ClientConfig,
    topic: &str,
    from: &BTreeMap<i32, i64>,
) -> anyhow::Result<Vec<i64>> {
    let c: BaseConsumer = reader.create()?;
    let ends = end_offsets(&c, topic)?;
    let mut tpl = TopicPartitionList::new();
    let mut remaining: BTreeSet<i32> = BTreeSet::new();
    for (p, end) in &ends {
        // Every partition is read, also one whose reported end is not past the
        // recorded offset (the report may be low; see below).
        let start = from.get(p).copied().unwrap_or(0).min(*end);
        tpl.add_partition_offset(topic, *p, Offset::Offset(start))?;
        if start < *end {
            remaining.insert(*p);
        }
    }
    let mut ids = Vec::new();
    c.assign(&tpl)?;
    // Read to the end offsets, then on until nothing more arrives for a moment:
    // a broker may report an end offset below its last record batch (tansu 0.6
    // answers with the start of the last batch), and the messages past it are
    // exactly the ones a relay that died last may have published.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last_message = Instant::now();
    loop {
        if remaining.is_empty() && last_message.elapsed() >= READ_BACK_IDLE {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the topic did not deliver offsets up to {ends:?} within 60 s");
        let Some(m) = c.poll(Duration::from_millis(100)) else { continue };
        let m = m?;
        last_message = Instant::now();
        if let Some(h) = m.headers() {
            for i in 0..h.count() {
                let h = h.get(i);
                if h.key == OUTBOX_ID_HEADER {
                    if let Some(id) = h.value.and_then(|v| std::str::from_utf8(v).ok()).and_then(|v| v.parse().ok()) {
                        ids.push(id);
                    }
                }
            }
        }
        if m.offset() + 1 >= ends.get(&m.partition()).copied().unwrap_or(0) {
            remaining.remove(&m.partition());
        }
    }
    Ok(ids)
}

impl crate::Relay for AlertRelay {
    fn what(&self) -> &'static str {
        "alert transitions"
    }
    fn publish(&mut self) -> impl std::future::Future<Output = anyhow::Result<u64>> + Send {
        self.publish_pending()
    }
    fn flush(&self) {
        let _ = self.producer.flush(Duration::from_secs(5));
    }
}
