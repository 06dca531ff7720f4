//! `caseflow project`: the production projector. A Kafka consumer-group member
//! that applies the event topic to the database (offsets stored with the log,
//! projected offsets with the read models), publishes dead letters to the DLQ topic, and serves health and
//! metrics on a small HTTP port.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use caseflow_kafka::Config;
use caseflow_store::Store;
use tokio::sync::Notify;

use crate::args::{Global, ProjectArgs};
use crate::shutdown;
use crate::store::{configure, load_config};

pub async fn project(g: &Global, a: &ProjectArgs) -> anyhow::Result<()> {
    let stop = shutdown::on_signal();
    let config = load_config(g)?;
    let store = tokio::select! {
        s = open_retrying(&g.database) => s?,
        _ = stop.cancelled() => return Ok(()),
    };
    let store = configure(store, g, config).await.with_synchronous_source_commits(a.synchronous_commit);

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
