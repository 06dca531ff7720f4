//! `caseflow project`: the production projector. A Kafka consumer-group member
//! that applies the event topic to the database (offsets stored with the log,
//! projected offsets with the read models), publishes dead letters to the DLQ topic, and serves health and
//! metrics on a small HTTP port.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use caseflow_kafka::{
    Config, DEFAULT_ALERTS_TOPIC, DEFAULT_DLQ_TOPIC, DEFAULT_GROUP, DEFAULT_TOPIC,
};
use caseflow_store::Store;
use clap::Args;
use tokio::sync::Notify;

use crate::cli::Global;
use crate::shutdown;

#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// Kafka bootstrap servers (host:port,host:port).
    #[arg(long, env = "CASEFLOW_BROKERS")]
    pub brokers: String,
    /// The event topic (key = case_id; formatie events key = gemeente/team).
    #[arg(long, env = "CASEFLOW_TOPIC", default_value = DEFAULT_TOPIC)]
    pub topic: String,
    /// Consumer group.
    #[arg(long, env = "CASEFLOW_GROUP", default_value = DEFAULT_GROUP)]
    pub group: String,
    /// Dead-letter topic: rejected messages with reason and source position in headers.
    #[arg(long, env = "CASEFLOW_DLQ_TOPIC", default_value = DEFAULT_DLQ_TOPIC)]
    pub dlq_topic: String,
    /// Alerts topic: every alert raise and resolve (JSON, key beschikking_id), exactly
    /// once per transition, relayed from the outbox. One projector relays at a time.
    #[arg(long, env = "CASEFLOW_ALERTS_TOPIC", default_value = DEFAULT_ALERTS_TOPIC)]
    pub alerts_topic: String,
    /// How often the alerts relay looks for new transitions, in milliseconds.
    #[arg(long, env = "CASEFLOW_ALERTS_POLL_MS", default_value_t = 500)]
    pub alerts_poll_ms: u64,
    /// Static group membership (group.instance.id), e.g. the pod name: a restarted
    /// projector gets its partitions back at once.
    #[arg(long, env = "CASEFLOW_INSTANCE_ID")]
    pub instance_id: Option<String>,
    /// Kafka session timeout in milliseconds: how soon a crashed member's partitions move.
    #[arg(long, env = "CASEFLOW_SESSION_TIMEOUT_MS", default_value_t = 6000)]
    pub session_timeout_ms: u64,
    /// Longest wait to fill a batch, in milliseconds (--batch-size caps its size).
    /// A batch is applied as soon as no further message arrives within 5 ms,
    /// so a trickle is applied at once and a backlog in full batches.
    #[arg(long, env = "CASEFLOW_BATCH_WAIT_MS", default_value_t = 100)]
    pub batch_wait_ms: u64,
    /// Extra librdkafka property KEY=VALUE (repeatable), e.g. security.protocol=SSL.
    #[arg(long = "kafka-property", short = 'X', env = "CASEFLOW_KAFKA_PROPERTIES", value_delimiter = ',', value_parser = parse_property)]
    pub properties: Vec<(String, String)>,
    /// Accept holes in a partition's offsets that a re-read confirms (compacted
    /// topics, transactional producers). Default: re-read until the messages arrive.
    #[arg(long, env = "CASEFLOW_ACCEPT_OFFSET_GAPS")]
    pub accept_offset_gaps: bool,
    /// PostgreSQL: wait at every batch's commit until it is flushed to disk.
    /// Default: commit without waiting (synchronous_commit = off), which keeps
    /// exactly-once effect, because the offsets are committed with the data: a
    /// database crash loses at most the last batches (a fraction of a second)
    /// together with their offsets, and they are read from Kafka again.
    #[arg(long, env = "CASEFLOW_SYNCHRONOUS_COMMIT")]
    pub synchronous_commit: bool,
    /// Address for /health/live, /health/ready and /metrics.
    #[arg(long, env = "CASEFLOW_LISTEN", default_value = "127.0.0.1:9090")]
    pub listen: String,
}

fn parse_property(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .ok_or_else(|| format!("`{s}`: expected KEY=VALUE"))
}

pub async fn project(g: &Global, a: &ProjectArgs) -> anyhow::Result<()> {
    let stop = shutdown::on_signal();
    let config = crate::ingest::load_config(g)?;
    let store = tokio::select! {
        s = open_retrying(&g.database) => s?,
        _ = stop.cancelled() => return Ok(()),
    };
    let store = crate::ingest::configure(store, g, config).await.with_synchronous_source_commits(a.synchronous_commit);

    let cfg = Config {
        brokers: a.brokers.clone(),
        topic: a.topic.clone(),
        group: a.group.clone(),
        dlq_topic: a.dlq_topic.clone(),
        instance_id: a.instance_id.clone(),
        batch_max: g.batch_size.max(1),
        batch_wait: Duration::from_millis(a.batch_wait_ms.max(1)),
        session_timeout: Duration::from_millis(a.session_timeout_ms),
        properties: a.properties.clone(),
        accept_offset_gaps: a.accept_offset_gaps,
    };
    let producer =
        caseflow_kafka::dlq_producer(&cfg).context("creating the dead-letter producer")?;

    let listener = tokio::net::TcpListener::bind(&a.listen)
        .await
        .with_context(|| format!("cannot listen on {}", a.listen))?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to find the port.
    println!("caseflow listening on http://{addr}");
    let ops = caseflow_api::metrics::ops_router(
        store.clone(),
        Some(caseflow_kafka::broker_probe(
            producer.clone(),
            cfg.topic.clone(),
        )),
    );
    let server = tokio::spawn(async move { axum::serve(listener, ops).await });

    let dead_added = Arc::new(Notify::new());
    let dlq = caseflow_kafka::DlqRelay {
        store: store.clone(),
        producer,
        source: caseflow_kafka::source_name(&cfg.topic),
        topic: cfg.dlq_topic.clone(),
    };
    let relay = tokio::spawn(caseflow_kafka::run_relay(dlq, Duration::from_secs(5), Some(dead_added.clone()), stop.clone()));

    let alerts_relay = caseflow_kafka::AlertRelay::new(&cfg, store.clone(), &a.alerts_topic)?;
    let alerts = tokio::spawn(caseflow_kafka::run_relay(
        alerts_relay,
        Duration::from_millis(a.alerts_poll_ms.max(10)),
        None,
        stop.clone(),
    ));

    tracing::info!(%addr, database = %caseflow_store::redact(&g.database), "caseflow project: health and metrics up");
    let handle = tokio::runtime::Handle::current();
    let (s2, st2) = (store.clone(), stop.clone());
    let mut consumer = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut p = caseflow_kafka::Projector::new(cfg, s2, handle, st2, dead_added)?;
        p.run()
    });

    let result = tokio::select! {
        r = &mut consumer => r,
        _ = stop.cancelled() => {
            tracing::info!("shutting down: finishing the current batch");
            consumer.await
        }
    };
    // The relays publish once more and stop (the token is cancelled by now,
    // or the consumer failed).
    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(40), async {
        tokio::join!(relay, alerts)
    })
    .await;
    server.abort();
    store.close().await;
    result.context("projector thread")?
}

/// Open the store, waiting (with backoff) while the database is not reachable.
async fn open_retrying(url: &str) -> anyhow::Result<Store> {
    let mut delay = Duration::from_millis(200);
    loop {
        match Store::open(url).await {
            Ok(s) => return Ok(s),
            Err(e) if e.to_string().contains("unsupported database URL") => {
                return Err(e).context("check --database / CASEFLOW_DATABASE_URL")
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "database not available; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}
