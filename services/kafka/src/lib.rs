//! The production source: a Kafka consumer-group member that projects the event
//! topic into the store, and the relay that publishes dead letters to the
//! dead-letter topic.
//!
//! Exactly-once effect: every batch goes through two database transactions.
//! [`Store::append_source_batch`] appends the batch to the log (idempotent by
//! `event_id`), dead-letters the invalid messages and stores the next offset of
//! every partition; [`Store::project_appended`] recomputes the affected
//! read-model keys and moves the projection's checkpoint and the projected
//! offsets. On PostgreSQL the next batch is appended while the previous one is
//! projected. On partition assignment the consumer is positioned at the offsets
//! stored in the database (not at Kafka's committed offsets, which are committed
//! afterwards for lag monitoring only). A redelivery below the stored offset is
//! skipped by the store; events appended by a run that stopped before
//! projecting them are projected first by the next ([`Store::catch_up_source`]).
//!
//! Dead letters: the `dead_letters` row, written in the batch's transaction, is
//! the durable record. The relay publishes rows not yet marked `published_at` to
//! the DLQ topic and marks them after the broker acknowledged them, so a crash
//! between the two at worst publishes a dead letter twice (key and `position`
//! header identify it), never loses one.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use caseflow_telemetry::{metrics, Probe};
use caseflow_store::{offsets_behind, Appended, PendingDeadLetter, SourceMessage, Store, StoreError};
use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub const DEFAULT_TOPIC: &str = "caseflow.events.v1";
pub const DEFAULT_DLQ_TOPIC: &str = "caseflow.dlq.v1";
pub const DEFAULT_GROUP: &str = "caseflow-projector";

pub mod alerts;

pub use alerts::{AlertRelay, DEFAULT_ALERTS_TOPIC, OUTBOX_ID_HEADER};

/// Header names on dead-letter topic messages.
pub mod headers {
    pub const REASON: &str = "caseflow.reason";
    pub const KIND: &str = "caseflow.kind";
    pub const SOURCE_TOPIC: &str = "caseflow.source.topic";
    pub const SOURCE_PARTITION: &str = "caseflow.source.partition";
    pub const SOURCE_OFFSET: &str = "caseflow.source.offset";
    pub const POSITION: &str = "caseflow.position";
}

/// How long a non-empty batch waits for a further message before it is applied.
pub const BATCH_LINGER: Duration = Duration::from_millis(5);

/// How the projector connects and batches.
#[derive(Debug, Clone)]
pub struct Config {
    /// `bootstrap.servers`.
    pub brokers: String,
    pub topic: String,
    pub group: String,
    pub dlq_topic: String,
    /// Static membership (`group.instance.id`): a restarted member with the same
    /// id gets its partitions back without a rebalance.
    pub instance_id: Option<String>,
    /// Most messages per batch (one database transaction).
    pub batch_max: usize,
    /// Longest wait to fill a batch.
    pub batch_wait: Duration,
    /// `session.timeout.ms`: how soon a crashed member's partitions move.
    pub session_timeout: Duration,
    /// Extra librdkafka properties (security, tuning), applied last.
    pub properties: Vec<(String, String)>,
    /// Accept a hole in a partition's offsets once a re-read shows it again
    /// (compacted topics, transaction markers). Off: a hole is re-read until the
    /// messages arrive, and the partition waits.
    pub accept_offset_gaps: bool,
}

impl Config {
    pub fn new(brokers: &str) -> Config {
        Config {
            brokers: brokers.to_string(),
            topic: DEFAULT_TOPIC.to_string(),
            group: DEFAULT_GROUP.to_string(),
            dlq_topic: DEFAULT_DLQ_TOPIC.to_string(),
            instance_id: None,
            batch_max: 20_000,
            batch_wait: Duration::from_millis(100),
            session_timeout: Duration::from_secs(6),
            properties: Vec::new(),
            accept_offset_gaps: false,
        }
    }

    fn client(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers);
        c
    }

    fn apply_properties(&self, c: &mut ClientConfig) {
        for (k, v) in &self.properties {
            c.set(k, v);
        }
    }
}

/// The name of a topic's checkpoints and dead letters in the store.
pub fn source_name(topic: &str) -> String {
    format!("kafka:{topic}")
}

/// State shared by the consumer loop and its rebalance/statistics callbacks.
struct Shared {
    store: Store,
    handle: Handle,
    source: String,
    topic: String,
    stop: CancellationToken,
    /// Next offset to apply per assigned partition (stored in the database).
    positions: Mutex<BTreeMap<i32, i64>>,
    /// High watermark per partition, from librdkafka's statistics.
    high: Mutex<BTreeMap<i32, i64>>,
}

impl Shared {
    /// The stored offsets, retrying while the database is unavailable: a
    /// partition must never start anywhere but at its stored offset.
    fn stored_offsets(&self) -> Option<BTreeMap<i32, i64>> {
        let mut delay = Duration::from_millis(100);
        loop {
            match self
                .handle
                .block_on(self.store.source_offsets(&self.source))
            {
                Ok(o) => return Some(o),
                Err(e) => {
                    if self.stop.is_cancelled() {
                        return None;
                    }
                    tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "cannot read the stored offsets; retrying");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    fn update_lag(&self) {
        let pos = self.positions.lock().unwrap_or_else(|e| e.into_inner());
        let high = self.high.lock().unwrap_or_else(|e| e.into_inner());
        for (p, o) in pos.iter() {
            if let Some(h) = high.get(p) {
                metrics().set_lag(&self.topic, *p, h - o);
            }
        }
    }

    fn publish_assignment(&self) {
        let parts: Vec<i32> = self
            .positions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect();
        metrics().set_assigned(&self.topic, parts);
    }
}

/// Client errors and librdkafka logs, at most one line per kind every 10 s: an
/// unreachable broker is reported, not repeated many times a second.
#[derive(Default)]
pub struct QuietLog {
    last: Mutex<BTreeMap<String, Instant>>,
}

impl QuietLog {
    fn due(&self, kind: &str) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match last.get(kind) {
            Some(t) if now.duration_since(*t) < Duration::from_secs(10) => false,
            _ => {
                last.insert(kind.to_string(), now);
                true
            }
        }
    }

    fn error(&self, client: &str, error: &KafkaError, reason: &str) {
        let kind = format!("{client}:{:?}", error.rdkafka_error_code());
        if self.due(&kind) {
            tracing::warn!(client, %error, reason, "kafka (repeats suppressed for 10 s)");
        }
    }

    fn log(&self, client: &str, level: RDKafkaLogLevel, fac: &str, msg: &str) {
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error
            | RDKafkaLogLevel::Warning => {
                if self.due(&format!("{client}:log:{fac}")) {
                    tracing::warn!(client, facility = fac, "librdkafka: {msg}");
                }
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::debug!(client, facility = fac, "librdkafka: {msg}")
            }
            RDKafkaLogLevel::Debug => tracing::trace!(client, facility = fac, "librdkafka: {msg}"),
        }
    }
}

/// The context of the dead-letter producer: quiet logging.
#[derive(Default)]
pub struct ProducerCtx(QuietLog);

impl ClientContext for ProducerCtx {
    fn error(&self, error: KafkaError, reason: &str) {
        self.0.error("dlq-producer", &error, reason);
    }
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.0.log("dlq-producer", level, fac, log_message);
    }
}

/// The DLQ producer type.
pub type DlqProducer = FutureProducer<ProducerCtx>;

struct Ctx(Arc<Shared>, QuietLog);

impl ClientContext for Ctx {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.1.log("consumer", level, fac, log_message);
    }

    fn stats(&self, s: Statistics) {
        if let Some(t) = s.topics.get(&self.0.topic) {
            let mut high = self.0.high.lock().unwrap_or_else(|e| e.into_inner());
            for (p, part) in &t.partitions {
                if *p >= 0 && part.hi_offset >= 0 {
                    high.insert(*p, part.hi_offset);
                }
            }
        }
        self.0.update_lag();
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.1.error("consumer", &error, reason);
    }
}

impl ConsumerContext for Ctx {
    /// Position every newly assigned partition at the offset stored in the
    /// database (the beginning when none), instead of Kafka's committed offset.
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        let parts: Vec<(String, i32)> = tpl
            .elements()
            .iter()
            .map(|e| (e.topic().to_string(), e.partition()))
            .collect();
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let stored = self.0.stored_offsets().unwrap_or_default();
                let mut at = BTreeMap::new();
                for (t, p) in &parts {
                    let offset = match stored.get(p) {
                        Some(o) => Offset::Offset(*o),
                        None => Offset::Beginning,
                    };
                    if let Err(e) = tpl.set_partition_offset(t, *p, offset) {
                        tracing::error!(error = %e, partition = p, "cannot set the start offset");
                    }
                    at.insert(*p, stored.get(p).copied().unwrap_or(0));
                }
                let r = if cooperative {
                    consumer.incremental_assign(tpl)
                } else {
                    consumer.assign(tpl)
                };
                if let Err(e) = r {
                    tracing::error!(error = %e, "assign failed");
                }
                {
                    let mut pos = self.0.positions.lock().unwrap_or_else(|e| e.into_inner());
                    if !cooperative {
                        pos.clear();
                    }
                    pos.extend(at.iter());
                }
                self.0.publish_assignment();
                tracing::info!(topic = %self.0.topic, partitions = ?at, "partitions assigned; reading from the offsets stored with the log");
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                let r = if cooperative {
                    consumer.incremental_unassign(tpl)
                } else {
                    consumer.unassign()
                };
                if let Err(e) = r {
                    tracing::error!(error = %e, "unassign failed");
                }
                {
                    let mut pos = self.0.positions.lock().unwrap_or_else(|e| e.into_inner());
                    if cooperative {
                        for (_, p) in &parts {
                            pos.remove(p);
                        }
                    } else {
                        pos.clear();
                    }
                }
                self.0.publish_assignment();
                tracing::info!(topic = %self.0.topic, partitions = ?parts.iter().map(|p| p.1).collect::<Vec<_>>(), "partitions revoked");
            }
            other => {
                tracing::error!(error = ?other, "rebalance error; dropping the assignment");
                let _ = consumer.unassign();
                self.0
                    .positions
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clear();
                self.0.publish_assignment();
            }
        }
    }
}

/// How long a projector may hold no partitions before it recreates its consumer.
pub const REJOIN_AFTER: Duration = Duration::from_secs(30);

/// Partitions being re-read from a hole in their offsets.
#[derive(Default)]
struct GapCheck {
    /// Partition → (offset re-read from, attempts).
    reread_from: BTreeMap<i32, (i64, u32)>,
}

/// A consumer-group member projecting one topic into the store.
pub struct Projector {
    cfg: Config,
    shared: Arc<Shared>,
    consumer: BaseConsumer<Ctx>,
    dead_letters_added: Arc<Notify>,
}

impl Projector {
    /// Create the consumer and subscribe. `handle` runs the store's futures; the
    /// projector itself runs on a plain thread ([`Projector::run`] blocks).
    /// `dead_letters_added` is notified after a batch wrote dead letters.
    pub fn new(
        cfg: Config,
        store: Store,
        handle: Handle,
        stop: CancellationToken,
        dead_letters_added: Arc<Notify>,
    ) -> anyhow::Result<Projector> {
        let shared = Arc::new(Shared {
            store,
            handle,
            source: source_name(&cfg.topic),
            topic: cfg.topic.clone(),
            stop,
            positions: Mutex::new(BTreeMap::new()),
            high: Mutex::new(BTreeMap::new()),
        });
        let consumer = Self::consumer(&cfg, &shared)?;
        Ok(Projector {
            cfg,
            shared,
            consumer,
            dead_letters_added,
        })
    }

    fn consumer(cfg: &Config, shared: &Arc<Shared>) -> anyhow::Result<BaseConsumer<Ctx>> {
        let mut c = cfg.client();
        c.set("group.id", &cfg.group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false")
            .set(
                "session.timeout.ms",
                cfg.session_timeout.as_millis().to_string(),
            )
            .set(
                "heartbeat.interval.ms",
                (cfg.session_timeout.as_millis() / 3).max(100).to_string(),
            )
            .set("statistics.interval.ms", "5000")
            // Freshness: the broker answers a fetch after at most 50 ms even when
            // little arrived (librdkafka's default of 500 ms dominated the time
            // from produce to visibility). Override with -X fetch.wait.max.ms=…
            .set("fetch.wait.max.ms", "50")
            .set("client.id", "caseflow-projector");
        if let Some(id) = &cfg.instance_id {
            c.set("group.instance.id", id);
        }
        cfg.apply_properties(&mut c);
        let consumer: BaseConsumer<Ctx> =
            c.create_with_context(Ctx(shared.clone(), QuietLog::default()))?;
        consumer.subscribe(&[&cfg.topic])?;
        Ok(consumer)
    }

    /// Consume and project until `stop` is cancelled. The batch in progress is finished
    /// first (unless the database is unavailable at that moment: then it is left
    /// unapplied and redelivered after the restart; nothing is lost).
    ///
    /// Without partitions for [`REJOIN_AFTER`] (a group membership the
    /// coordinator lost track of, e.g. after a broker stall), the consumer is
    /// recreated and joins the group anew.
    pub fn run(&mut self) -> anyhow::Result<()> {
        let s = self.shared.clone();
        tracing::info!(brokers = %self.cfg.brokers, topic = %self.cfg.topic, group = %self.cfg.group, "projector started");
        let mut last_poll_error: Option<Instant> = None;
        let mut gaps = GapCheck::default();
        let mut without_partitions = Instant::now();
        let mut last_check = Instant::now();
        // Project what an earlier run appended but did not project (it stopped
        // in between), then each appended batch: one projection at a time, in log
        // order, while the next batch is collected and appended.
        let mut projecting = Some(self.spawn_projection(None));
        let overlap = s.store.dialect() == caseflow_store::Dialect::Postgres;
        while !s.stop.is_cancelled() {
            if s.positions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty()
            {
                if without_partitions.elapsed() > REJOIN_AFTER {
                    tracing::warn!(seconds = REJOIN_AFTER.as_secs(), "no partitions assigned for a while; rejoining the group with a new consumer");
                    self.consumer = Self::consumer(&self.cfg, &self.shared)?;
                    without_partitions = Instant::now();
                }
            } else {
                without_partitions = Instant::now();
            }
            let mut batch = self.collect(&mut last_poll_error);
            self.check_contiguous(&mut batch, &mut gaps);
            if batch.is_empty() {
                if last_check.elapsed() > IDLE_CHECK {
                    self.check_stored_offsets();
                    last_check = Instant::now();
                }
                continue;
            }
            last_check = Instant::now();
            let appended = match self.append(&batch) {
                Appending::Done(a) => a,
                Appending::Reread => {
                    gaps.reread_from.clear();
                    continue;
                }
                Appending::Stopped => {
                    tracing::warn!(
                        messages = batch.len(),
                        "stopping with a batch not applied; it is redelivered on restart"
                    );
                    break;
                }
            };
            self.wait_projection(&mut projecting);
            projecting = Some(self.spawn_projection(Some(appended)));
            if !overlap {
                // SQLite has one writer: nothing to gain from overlapping.
                self.wait_projection(&mut projecting);
            }
        }
        self.wait_projection(&mut projecting);
        tracing::info!("projector stopped");
        Ok(())
    }

    /// Never let a partition's checkpoint jump over offsets that were not
    /// delivered. The messages of a partition must continue at its stored offset
    /// without holes (repeats are fine: the store skips them). When a hole shows
    /// up (a fetch position moved by the client or broker, e.g. after a
    /// connection loss), the partition's messages from the hole on are dropped
    /// from the batch and the partition is re-read from the hole. A hole that is
    /// still there when re-read is real (retention, compaction, transaction
    /// markers) and is accepted with `accept_offset_gaps`; otherwise the
    /// partition is re-read (with a growing pause) until the messages arrive.
    fn check_contiguous(&self, batch: &mut Vec<SourceMessage>, gaps: &mut GapCheck) {
        let s = &self.shared;
        let positions = s
            .positions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut next: BTreeMap<i32, i64> = BTreeMap::new();
        let mut cut: BTreeMap<i32, i64> = BTreeMap::new();
        batch.retain(|m| {
            if cut.contains_key(&m.partition) {
                return false;
            }
            let Some(&stored) = positions.get(&m.partition) else {
                // Revoked meanwhile: its new owner reads it from the stored offset.
                return false;
            };
            let n = next.entry(m.partition).or_insert(stored);
            if m.offset > *n {
                let reread = gaps.reread_from.get(&m.partition).is_some_and(|(from, _)| from == n);
                if reread && self.cfg.accept_offset_gaps {
                    tracing::warn!(partition = m.partition, from = *n, to = m.offset, "offsets missing also when re-read; accepted as a real gap (--accept-offset-gaps)");
                    gaps.reread_from.remove(&m.partition);
                } else {
                    cut.insert(m.partition, *n);
                    return false;
                }
            } else if m.offset == *n {
                if let Some((_, tries)) = gaps.reread_from.remove(&m.partition) {
                    tracing::info!(partition = m.partition, offset = m.offset, tries, "hole filled on re-read");
                }
            }
            *n = (*n).max(m.offset + 1);
            true
        });
        for (p, from) in cut {
            let tries = match gaps.reread_from.get(&p) {
                Some((f, t)) if *f == from => t + 1,
                _ => 1,
            };
            if tries == 1 || tries % 20 == 0 {
                tracing::warn!(partition = p, from, tries, "offsets missing in the delivered messages; re-reading the partition from the hole");
            }
            metrics().partition_reread();
            if tries > 1 {
                // Do not hammer the broker while it keeps answering with a hole.
                std::thread::sleep(Duration::from_millis((50 * tries as u64).min(2000)));
            }
            if let Err(e) =
                self.consumer
                    .seek(&s.topic, p, Offset::Offset(from), Duration::from_secs(10))
            {
                tracing::warn!(error = %e, partition = p, "seek failed; retrying on the next batch");
            }
            gaps.reread_from.insert(p, (from, tries));
        }
    }

    /// Up to `batch_max` messages, waiting at most `batch_wait` for them. Once
    /// the batch has a message it closes as soon as no further message arrives
    /// within [`BATCH_LINGER`] (group commit): under a trickle every message is
    /// applied at once, under load (a backlog, messages always waiting) batches
    /// fill up to `batch_max`.
    fn collect(&self, last_error: &mut Option<Instant>) -> Vec<SourceMessage> {
        let mut batch = Vec::new();
        let deadline = Instant::now() + self.cfg.batch_wait;
        while batch.len() < self.cfg.batch_max {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let wait = if batch.is_empty() { deadline - now } else { (deadline - now).min(BATCH_LINGER) };
            match self.consumer.poll(wait) {
                None => break,
                Some(Ok(m)) => batch.push(SourceMessage {
                    partition: m.partition(),
                    offset: m.offset(),
                    payload: m.payload().unwrap_or_default().to_vec(),
                }),
                Some(Err(e)) => {
                    // Broker unreachable, topic missing, …: librdkafka keeps
                    // reconnecting; log at most every 10 s and keep polling.
                    if last_error.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                        tracing::warn!(error = %e, "kafka consumer; waiting");
                        *last_error = Some(Instant::now());
                    }
                    std::thread::sleep(Duration::from_millis(50));
                    break;
                }
            }
        }
        batch
    }

    /// Wait for the projection in progress, if any.
    fn wait_projection(&self, projecting: &mut Option<tokio::task::JoinHandle<()>>) {
        if let Some(task) = projecting.take() {
            if let Err(e) = self.shared.handle.block_on(task) {
                tracing::error!(error = %e, "the projection task failed");
            }
        }
    }

    /// Project an appended batch (`None`: whatever the log holds above the
    /// projection's checkpoint) on the runtime, retrying with backoff while the
    /// database is unavailable. When told to stop meanwhile it gives up: the
    /// events are in the log, and the next run projects them first.
    fn spawn_projection(&self, mut batch: Option<Appended>) -> tokio::task::JoinHandle<()> {
        let (store, stop, source) = (self.shared.store.clone(), self.shared.stop.clone(), self.shared.source.clone());
        self.shared.handle.spawn(async move {
            let started = Instant::now();
            let events = batch.as_ref().map_or(0, Appended::appended);
            let mut delay = Duration::from_millis(100);
            loop {
                let result = match batch.as_mut() {
                    Some(b) => store.project_appended(b).await,
                    None => store.catch_up_source(&source).await,
                };
                match result {
                    Ok(keys) => {
                        let seconds = started.elapsed().as_secs_f64();
                        metrics().projection(seconds);
                        tracing::debug!(events, keys, ms = (seconds * 1000.0) as u64, "batch projected");
                        return;
                    }
                    Err(e) => {
                        metrics().batch_retry();
                        if stop.is_cancelled() {
                            tracing::warn!(error = %e, events, "stopping with appended events not projected; they are projected on restart");
                            return;
                        }
                        tracing::warn!(error = %e, events, retry_in_ms = delay.as_millis() as u64, "cannot project the appended events; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(10));
                    }
                }
            }
        })
    }

    /// Append one batch to the log, retrying with backoff while the database is
    /// unavailable. [`Appending::Reread`] when the database turned out to be
    /// behind the consumer (it lost commits): the batch is dropped and the
    /// partitions are read again from the stored offsets.
    fn append(&self, batch: &[SourceMessage]) -> Appending {
        let s = &self.shared;
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        let expected: BTreeMap<i32, i64> = {
            let pos = s.positions.lock().unwrap_or_else(|e| e.into_inner());
            batch.iter().filter_map(|m| pos.get(&m.partition).map(|o| (m.partition, *o))).collect()
        };
        let report = loop {
            let attempt = Instant::now();
            match s
                .handle
                .block_on(s.store.append_source_batch(&s.source, &s.topic, batch, &expected))
            {
                Ok(r) => break (r, attempt.elapsed()),
                Err(StoreError::OffsetsBehind { stored, .. }) => {
                    self.read_again_from(&stored);
                    return Appending::Reread;
                }
                Err(e) => {
                    metrics().batch_retry();
                    if s.stop.is_cancelled() {
                        return Appending::Stopped;
                    }
                    tracing::warn!(error = %e, messages = batch.len(), retry_in_ms = delay.as_millis() as u64, "cannot apply the batch; retrying");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
            }
        };
        let (appended, took) = report;
        let report = &appended.report;

        // Metrics: valid events per type (new or repeated), batch size and latency.
        for (t, n) in &report.append.valid_by_type {
            metrics().add_applied_type(t, *n);
        }
        let a = &report.append;
        metrics().batch(
            batch.len(),
            took.as_secs_f64(),
            a.accepted,
            a.duplicates,
            report.already_applied,
            a.rejected,
        );
        tracing::debug!(
            messages = batch.len(),
            accepted = a.accepted,
            duplicates = a.duplicates,
            rejected = a.rejected,
            already_applied = report.already_applied,
            ms = started.elapsed().as_millis() as u64,
            "batch appended"
        );
        if a.rejected > 0 {
            self.dead_letters_added.notify_one();
        }

        // Positions advance; Kafka's committed offsets follow for lag monitoring.
        let mut next: BTreeMap<i32, i64> = BTreeMap::new();
        for m in batch {
            let n = next.entry(m.partition).or_insert(0);
            *n = (*n).max(m.offset + 1);
        }
        {
            let mut pos = s.positions.lock().unwrap_or_else(|e| e.into_inner());
            for (p, o) in &next {
                if let Some(cur) = pos.get_mut(p) {
                    *cur = (*cur).max(*o);
                }
            }
        }
        s.update_lag();
        let mut tpl = TopicPartitionList::new();
        for (p, o) in &next {
            let _ = tpl.add_partition_offset(&s.topic, *p, Offset::Offset(*o));
        }
        if let Err(e) = self.consumer.commit(&tpl, CommitMode::Async) {
            tracing::debug!(error = %e, "kafka offset commit (monitoring only) failed");
        }
        Appending::Done(appended)
    }

    /// The database is behind the consumer (it lost its last commits, see
    /// [`Store::with_synchronous_source_commits`]): read these partitions again
    /// from their stored offsets.
    fn read_again_from(&self, stored: &BTreeMap<i32, i64>) {
        let s = &self.shared;
        tracing::warn!(offsets = ?stored, "the database lost its last commits (a server crash before they were flushed?); reading these partitions again from the offsets it holds");
        let mut pos = s.positions.lock().unwrap_or_else(|e| e.into_inner());
        for (p, o) in stored {
            if let Some(cur) = pos.get_mut(p) {
                *cur = *o;
                metrics().partition_reread();
                if let Err(e) = self.consumer.seek(&s.topic, *p, Offset::Offset(*o), Duration::from_secs(10)) {
                    tracing::warn!(error = %e, partition = p, "seek failed; the next batch finds the hole and re-reads");
                }
            }
        }
    }

    /// While idle, every [`IDLE_CHECK`]: are the stored offsets where this
    /// consumer's appends left them? (After a database crash that lost the last
    /// commits, the lost messages are read again without waiting for new ones.)
    fn check_stored_offsets(&self) {
        let s = &self.shared;
        let Ok(stored) = s.handle.block_on(s.store.source_offsets(&s.source)) else { return };
        let behind = offsets_behind(&stored, &s.positions.lock().unwrap_or_else(|e| e.into_inner()));
        if !behind.is_empty() {
            self.read_again_from(&behind);
        }
    }
}

/// What became of a batch handed to [`Projector::append`].
enum Appending {
    Done(Appended),
    /// Dropped: the database is behind; its partitions are read again.
    Reread,
    /// Told to stop before it could be appended.
    Stopped,
}

/// How often an idle projector compares the stored offsets with its positions.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// The producer for the dead-letter topic.
pub fn dlq_producer(cfg: &Config) -> anyhow::Result<DlqProducer> {
    let mut c = cfg.client();
    c.set("acks", "all")
        .set("message.timeout.ms", "30000")
        .set("client.id", "caseflow-dlq");
    cfg.apply_properties(&mut c);
    Ok(c.create_with_context(ProducerCtx::default())?)
}

/// Publish every unpublished dead letter of `source` to `dlq_topic`, marking
/// each once the broker acknowledged it. Returns how many were published.
pub async fn publish_dead_letters(
    store: &Store,
    producer: &DlqProducer,
    source: &str,
    dlq_topic: &str,
) -> anyhow::Result<u64> {
    let mut total = 0u64;
    loop {
        let pending = store.unpublished_dead_letters(source, 500).await?;
        if pending.is_empty() {
            return Ok(total);
        }
        let mut deliveries = Vec::with_capacity(pending.len());
        for d in &pending {
            let record = FutureRecord::to(dlq_topic)
                .key(d.position.as_bytes())
                .payload(&d.raw)
                .headers(dlq_headers(d));
            match producer.send_result(record) {
                Ok(f) => deliveries.push((d.id, f)),
                Err((e, _)) => {
                    metrics().dlq_publish_error();
                    tracing::warn!(error = %e, "cannot queue a dead letter for the DLQ topic");
                    break;
                }
            }
        }
        let mut done = Vec::with_capacity(deliveries.len());
        let mut failed = None;
        for (id, f) in deliveries {
            match f.await {
                Ok(Ok(_)) => done.push(id),
                Ok(Err((e, _))) => failed = Some(e.to_string()),
                Err(_) => failed = Some("delivery cancelled".to_string()),
            }
        }
        store.mark_dead_letters_published(&done).await?;
        metrics().dlq_published(done.len() as u64);
        total += done.len() as u64;
        if let Some(e) = failed {
            metrics().dlq_publish_error();
            anyhow::bail!("publishing to {dlq_topic}: {e}");
        }
        if done.len() < pending.len() {
            anyhow::bail!(
                "publishing to {dlq_topic}: the producer queue did not take every dead letter"
            );
        }
    }
}

fn dlq_headers(d: &PendingDeadLetter) -> OwnedHeaders {
    let mut h = OwnedHeaders::new()
        .insert(Header {
            key: headers::REASON,
            value: Some(d.reason.as_str()),
        })
        .insert(Header {
            key: headers::KIND,
            value: Some(d.kind.as_str()),
        })
        .insert(Header {
            key: headers::POSITION,
            value: Some(d.position.as_str()),
        });
    if let Some((t, p, o)) = d.source_position() {
        h = h
            .insert(Header {
                key: headers::SOURCE_TOPIC,
                value: Some(t),
            })
            .insert(Header {
                key: headers::SOURCE_PARTITION,
                value: Some(p.to_string().as_str()),
            })
            .insert(Header {
                key: headers::SOURCE_OFFSET,
                value: Some(o.to_string().as_str()),
            });
    }
    h
}

/// An outbox relay: dead letters to the DLQ topic, alert transitions to the
/// alerts topic. [`run_relay`] drives either.
pub trait Relay: Send {
    /// What it publishes, for the logs.
    fn what(&self) -> &'static str;
    /// Publish everything pending; how many messages went out.
    fn publish(&mut self) -> impl Future<Output = anyhow::Result<u64>> + Send;
    /// Wait (bounded) for messages still in the producer's queue.
    fn flush(&self);
}

/// The dead-letter relay: the unpublished dead letters of `source` to `topic`.
pub struct DlqRelay {
    pub store: Store,
    pub producer: DlqProducer,
    pub source: String,
    pub topic: String,
}

impl Relay for DlqRelay {
    fn what(&self) -> &'static str {
        "dead letters"
    }
    fn publish(&mut self) -> impl Future<Output = anyhow::Result<u64>> + Send {
        publish_dead_letters(&self.store, &self.producer, &self.source, &self.topic)
    }
    fn flush(&self) {
        let _ = self.producer.flush(Duration::from_secs(5));
    }
}

/// Run a relay: publish when woken (if `wake` is given) and every `interval`
/// (backing off up to a minute after a failure) until `stop`; then once more.
pub async fn run_relay<R: Relay>(mut relay: R, interval: Duration, wake: Option<Arc<Notify>>, stop: CancellationToken) {
    let mut delay = interval;
    loop {
        match relay.publish().await {
            Ok(n) => {
                if n > 0 {
                    tracing::debug!(published = n, what = relay.what(), "relay published");
                }
                delay = interval;
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), retry_in_s = delay.as_secs_f64(), what = relay.what(), "relay failed; retrying");
                delay = (delay * 2).clamp(Duration::from_secs(1), Duration::from_secs(60));
            }
        }
        let woken = async {
            match &wake {
                Some(w) => w.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep(delay) => {}
            _ = stop.cancelled() => {
                if let Err(e) = relay.publish().await {
                    tracing::warn!(error = %format!("{e:#}"), what = relay.what(), "left unpublished for the next start");
                }
                relay.flush();
                return;
            }
        }
    }
}

/// A readiness probe: the broker answers a metadata request for `topic`.
pub fn broker_probe(producer: DlqProducer, topic: String) -> Probe {
    Arc::new(move || {
        let (producer, topic) = (producer.clone(), topic.clone());
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                match producer
                    .client()
                    .fetch_metadata(Some(&topic), Duration::from_secs(3))
                {
                    Ok(md) => match md.topics().iter().find(|t| t.name() == topic) {
                        Some(t) if t.error().is_none() && !t.partitions().is_empty() => Ok(()),
                        Some(t) => Err(format!("topic {topic}: {:?}", t.error())),
                        None => Err(format!("topic {topic} not found")),
                    },
                    Err(e) => Err(format!("broker: {e}")),
                }
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()))
        }) as Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
    })
}

/// The producer contract's message key for an event line: `case_id`, or
/// `gemeente/team` for staffing (formatie) events; `None` for a line that is not
/// a JSON object with either (such a line is dead-lettered anyway).
pub fn message_key(line: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    if let Some(c) = v.get("case_id").and_then(|c| c.as_str()) {
        return Some(c.to_string());
    }
    let g = v.get("gemeente")?.as_str()?;
    let t = v.get("data")?.get("team")?.as_str()?;
    Some(format!("{g}/{t}"))
}
