//! The Kafka → PostgreSQL path: a Rust producer (rdkafka) filling the test broker,
//! `caseflow project` draining it (stage `kafka`), the same projector with one
//! message per transaction (stage `naive`), and produce-to-visibility latency at
//! a fixed rate (stage `freshness`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientContext, Message};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, PgConnection};

use crate::config::Settings;
use crate::phases::{self, Phases};
use crate::proc::Monitored;
use crate::stats::percentile;
use crate::stream::Stream;
use crate::{kib_to_mib, Status};

// ---------------------------------------------------------------- producer

/// The producer contract's key: `case_id`, or `gemeente/team` for staffing events.
pub fn key_of(line: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Data<'a> {
        #[serde(borrow)]
        team: Option<Cow<'a, str>>,
    }
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow)]
        case_id: Option<Cow<'a, str>>,
        #[serde(borrow)]
        gemeente: Option<Cow<'a, str>>,
        #[serde(borrow)]
        data: Option<Data<'a>>,
    }
    let p: Probe = serde_json::from_slice(line).ok()?;
    if let Some(c) = p.case_id {
        return Some(c.into_owned());
    }
    Some(format!("{}/{}", p.gemeente?, p.data?.team?))
}

struct Ctx {
    track: bool,
    /// (message index, partition, offset) of every acknowledged message when tracking.
    delivered: Mutex<Vec<(usize, i32, i64)>>,
    acked: AtomicU64,
    failed: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl ClientContext for Ctx {}

impl ProducerContext for Ctx {
    type DeliveryOpaque = usize;

    fn delivery(&self, r: &DeliveryResult<'_>, id: usize) {
        match r {
            Ok(m) => {
                self.acked.fetch_add(1, Ordering::Relaxed);
                if self.track {
                    self.delivered.lock().unwrap_or_else(|e| e.into_inner()).push((id, m.partition(), m.offset()));
                }
            }
            Err((e, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
            }
        }
    }
}

fn producer(s: &Settings, bootstrap: &str, track: bool) -> anyhow::Result<BaseProducer<Ctx>> {
    let ctx = Ctx { track, delivered: Mutex::new(Vec::new()), acked: AtomicU64::new(0), failed: AtomicU64::new(0), last_error: Mutex::new(None) };
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("acks", "all")
        .set("linger.ms", s.produce_linger_ms.to_string())
        .set("batch.num.messages", s.produce_batch.max(1).to_string())
        .set("queue.buffering.max.messages", "200000")
        .set("message.timeout.ms", "300000")
        .set("client.id", "caseflow-bench")
        .set("log_level", "3")
        .create_with_context(ctx)
        .context("creating the Kafka producer")
}

/// Enqueue one record, waiting while librdkafka's queue is full.
fn send(p: &BaseProducer<Ctx>, topic: &str, key: Option<&str>, payload: &[u8], id: usize) -> anyhow::Result<()> {
    let mut rec = BaseRecord::with_opaque_to(topic, id).payload(payload);
    if let Some(k) = key {
        rec = rec.key(k);
    }
    loop {
        match p.send(rec) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                rec = r;
                p.poll(Duration::from_millis(20));
            }
            Err((e, _)) => anyhow::bail!("producing to {topic}: {e}"),
        }
    }
}

fn finish(p: &BaseProducer<Ctx>, sent: u64, timeout: Duration) -> anyhow::Result<()> {
    p.flush(timeout).map_err(|e| anyhow::anyhow!("the producer did not deliver everything within {timeout:?}: {e}"))?;
    let c = p.context();
    let failed = c.failed.load(Ordering::Relaxed);
    anyhow::ensure!(
        failed == 0,
        "{failed} of {sent} messages were not delivered: {}",
        c.last_error.lock().unwrap_or_else(|e| e.into_inner()).clone().unwrap_or_default()
    );
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct ProduceResult {
    pub topic: String,
    pub messages: u64,
    pub seconds: f64,
    pub messages_per_sec: f64,
    /// librdkafka batch.num.messages and linger.ms used.
    pub batch_num_messages: u64,
    pub linger_ms: u64,
}

/// Produce every line of `stream` (as fast as the broker takes them).
pub fn produce_all(s: &Settings, bootstrap: &str, topic: &str, stream: &Stream) -> anyhow::Result<ProduceResult> {
    let p = producer(s, bootstrap, false)?;
    let started = Instant::now();
    let r = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&stream.path)?);
    let mut n = 0u64;
    let mut last_print = Instant::now();
    for line in r.split(b'\n') {
        let line = line?;
        send(&p, topic, key_of(&line).as_deref(), &line, n as usize)?;
        n += 1;
        if n % 1024 == 0 {
            p.poll(Duration::ZERO);
            if last_print.elapsed() >= Duration::from_secs(10) {
                last_print = Instant::now();
                println!("  [produce] {:>5.0} s: {n} of {} enqueued, {} acknowledged", started.elapsed().as_secs_f64(), stream.lines, p.context().acked.load(Ordering::Relaxed));
            }
        }
    }
    finish(&p, n, Duration::from_secs(600))?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(ProduceResult {
        topic: topic.to_string(),
        messages: n,
        seconds,
        messages_per_sec: n as f64 / seconds,
        batch_num_messages: s.produce_batch,
        linger_ms: s.produce_linger_ms,
    })
}

// ---------------------------------------------------------------- projector

/// A running `caseflow project`.
pub struct Projector {
    pub p: Monitored,
    pub base: String,
}

impl Projector {
    /// `args`: more `caseflow project` arguments (after those of `BENCH_PROJECT_ARGS`).
    #[allow(clippy::too_many_arguments)]
    pub fn start(s: &Settings, db: &str, bootstrap: &str, topic: &str, group: &str, batch_size: Option<u32>, args: &[&str], tag: &str) -> anyhow::Result<Projector> {
        let log = s.logs().join(format!("{tag}.log"));
        let mut cmd = Command::new(&s.caseflow);
        cmd.arg("--database").arg(db);
        if let Some(b) = batch_size {
            cmd.arg("--batch-size").arg(b.to_string());
        }
        cmd.arg("project")
            .args(["--brokers", bootstrap, "--topic", topic, "--dlq-topic", &format!("{topic}.dlq"), "--group", group, "--listen", "127.0.0.1:0"])
            .args(&s.project_args)
            .args(args)
            .env("CASEFLOW_LOG", "warn,caseflow_kafka=info");
        let mut p = Monitored::spawn("caseflow project", cmd, &log)?;
        println!("  [{tag}] caseflow project pid {} (log {})", p.pid(), log.display());
        let base = p.wait_line("caseflow listening on ", Duration::from_secs(120))?;
        Ok(Projector { p, base })
    }

    /// The sum of a metric's samples on /metrics (`None` when unreachable).
    pub fn metric(&self, name: &str) -> Option<f64> {
        caseflow_tests::broker::metric(&self.base, name)
    }

    /// Wait until it has partitions assigned; how long it took since spawn.
    pub async fn wait_assigned(&mut self, limit: Duration) -> anyhow::Result<Duration> {
        loop {
            if self.metric("caseflow_assigned_partitions").unwrap_or(0.0) > 0.0 {
                return Ok(self.p.started.elapsed());
            }
            if let Some(e) = self.p.try_exit() {
                anyhow::bail!("caseflow project exited ({:?}) before it got partitions; see {}\n{}", e.code, self.p.log.display(), self.p.log_tail(20));
            }
            anyhow::ensure!(self.p.started.elapsed() < limit, "caseflow project got no partitions within {limit:?}; see {}", self.p.log.display());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Save the projector's own account of where the time went
/// (`caseflow_write_phase_seconds_total` and the rest of /metrics) as
/// `{tag}-metrics.txt`; returns its seconds per phase (empty when unreachable).
fn save_metrics(s: &Settings, pr: &Projector, tag: &str) -> Phases {
    let (status_code, metrics) = caseflow_tests::broker::http_get(&format!("{}/metrics", pr.base));
    if status_code != 200 {
        return Phases::new();
    }
    let _ = std::fs::write(s.logs().join(format!("{tag}-metrics.txt")), &metrics);
    phases::from_metrics(&metrics)
}

/// Next offset per partition that the projector has applied (the visibility point).
pub async fn positions(c: &mut PgConnection, topic: &str) -> Option<BTreeMap<i32, i64>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT part::bigint, position::bigint FROM checkpoints WHERE name = $1")
        .bind(format!("kafka:{topic}"))
        .fetch_all(c)
        .await
        .ok()?;
    Some(rows.into_iter().map(|(p, o)| (p as i32, o)).collect())
}

pub async fn connect(url: &str) -> anyhow::Result<PgConnection> {
    PgConnection::connect(url).await.with_context(|| format!("cannot connect to {url}"))
}

#[derive(Debug, Clone, Serialize)]
pub struct DrainResult {
    /// Messages on the topic that were to be applied.
    pub target: u64,
    pub status: Status,
    /// Messages applied (the checkpoints' sum) when the run ended.
    pub applied: u64,
    /// `--batch-size` (None = the product's default).
    pub batch_size: Option<u32>,
    /// From spawn until partitions were assigned (process start, migrations, group join).
    pub startup_seconds: f64,
    /// From partition assignment until `applied` (the drain itself).
    pub seconds: f64,
    pub events_per_sec: Option<f64>,
    /// Including startup: from spawn.
    pub events_per_sec_incl_startup: Option<f64>,
    pub peak_rss_mib: f64,
    /// VmHWM when 10% / 50% of the messages were applied.
    pub peak_rss_mib_at_10pct: Option<f64>,
    pub peak_rss_mib_at_50pct: Option<f64>,
    /// From /metrics at the end.
    pub partition_rereads: Option<f64>,
    pub batch_retries: Option<f64>,
    pub log: std::path::PathBuf,
    /// Seconds per phase of the write path, from /metrics at the end.
    pub phases: Phases,
}

/// Run a projector over `topic` until `target` messages are applied (or the
/// budget, or a stall), on a fresh database.
#[allow(clippy::too_many_arguments)]
pub async fn drain(s: &Settings, db: &str, bootstrap: &str, topic: &str, group: &str, target: u64, batch_size: Option<u32>, args: &[&str], tag: &str) -> anyhow::Result<DrainResult> {
    let mut c = connect(db).await?;
    let mut pr = Projector::start(s, db, bootstrap, topic, group, batch_size, args, tag)?;
    let startup = pr.wait_assigned(s.budget.min(Duration::from_secs(300))).await?;
    let t0 = Instant::now();
    let (mut applied, mut last_change, mut last_print) = (0u64, Instant::now(), Instant::now());
    let (mut at10, mut at50) = (None, None);
    let status = loop {
        let now_applied = positions(&mut c, topic).await.map(|m| m.values().map(|v| *v as u64).sum()).unwrap_or(applied);
        if now_applied != applied {
            applied = now_applied;
            last_change = Instant::now();
        }
        if at10.is_none() && applied * 10 >= target {
            at10 = pr.p.peak_rss_kib();
        }
        if at50.is_none() && applied * 2 >= target {
            at50 = pr.p.peak_rss_kib();
        }
        if applied >= target {
            break Status::Complete;
        }
        if let Some(e) = pr.p.try_exit() {
            anyhow::bail!("caseflow project exited ({:?}) after {applied} of {target} messages; see {}\n{}", e.code, pr.p.log.display(), pr.p.log_tail(20));
        }
        if pr.p.started.elapsed() > s.budget {
            println!("  [{tag}] time budget of {:?} reached at {applied} of {target}: stopping (BENCH_BUDGET_SECS)", s.budget);
            break Status::Partial;
        }
        if last_change.elapsed() > s.stall {
            println!(
                "  [{tag}] no progress for {:?} at {applied} of {target}: stopping (BENCH_STALL_SECS; if the log shows offset holes, try BENCH_PRODUCE_BATCH=1)",
                s.stall
            );
            break Status::Stalled;
        }
        if last_print.elapsed() >= Duration::from_secs(10) {
            last_print = Instant::now();
            let secs = t0.elapsed().as_secs_f64();
            println!(
                "  [{tag}] {secs:>5.0} s: {applied} of {target} applied ({:.0}/s), RSS peak {:.0} MiB",
                applied as f64 / secs,
                kib_to_mib(pr.p.peak_rss_kib().unwrap_or(0))
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let seconds = t0.elapsed().as_secs_f64();
    let total_seconds = pr.p.started.elapsed().as_secs_f64();
    let (rereads, retries) = (pr.metric("caseflow_partition_rereads_total"), pr.metric("caseflow_batch_retries_total"));
    let phases = save_metrics(s, &pr, tag);
    let exit = pr.p.kill();
    let _ = c.close().await;
    Ok(DrainResult {
        target,
        status,
        applied,
        batch_size,
        startup_seconds: startup.as_secs_f64(),
        seconds,
        events_per_sec: (seconds > 0.0).then(|| applied as f64 / seconds),
        events_per_sec_incl_startup: Some(applied as f64 / total_seconds),
        peak_rss_mib: kib_to_mib(exit.max_rss_kib),
        peak_rss_mib_at_10pct: at10.map(kib_to_mib),
        peak_rss_mib_at_50pct: at50.map(kib_to_mib),
        partition_rereads: rereads,
        batch_retries: retries,
        log: pr.p.log.clone(),
        phases,
    })
}

// ---------------------------------------------------------------- freshness

#[derive(Debug, Clone, Serialize)]
pub struct FreshnessResult {
    pub target_rate: u64,
    pub achieved_rate: f64,
    pub produce_seconds: f64,
    pub sent: u64,
    pub visible: u64,
    /// Sent but not visible before the wait ended.
    pub not_visible: u64,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub mean_ms: Option<f64>,
    /// How often the checkpoints were read (the latencies' resolution).
    pub poll_ms: f64,
    pub linger_ms: u64,
    pub projector_peak_rss_mib: f64,
    pub log: std::path::PathBuf,
}

/// Send time of every message, (index, partition, offset) of every acknowledged
/// one, and the seconds producing took.
type Paced = (Vec<Instant>, Vec<(usize, i32, i64)>, f64);

/// Sends `lines` at `rate`/s for `duration`; returns each message's send time
/// and its (index, partition, offset) once acknowledged.
fn paced_producer(s: &Settings, bootstrap: &str, topic: &str, lines: Vec<Vec<u8>>, rate: u64, duration: Duration) -> anyhow::Result<Paced> {
    let p = producer(s, bootstrap, true)?;
    let total = (rate as f64 * duration.as_secs_f64()).round() as usize;
    let keys: Vec<Option<String>> = lines.iter().map(|l| key_of(l)).collect();
    let mut sent_at = Vec::with_capacity(total);
    let t0 = Instant::now();
    for i in 0..total {
        let due = t0 + Duration::from_secs_f64(i as f64 / rate as f64);
        let now = Instant::now();
        if due > now {
            p.poll(Duration::ZERO);
            std::thread::sleep(due - Instant::now().min(due));
        }
        let k = i % lines.len();
        sent_at.push(Instant::now());
        send(&p, topic, keys[k].as_deref(), &lines[k], i)?;
    }
    let seconds = t0.elapsed().as_secs_f64();
    finish(&p, total as u64, Duration::from_secs(120))?;
    let delivered = std::mem::take(&mut *p.context().delivered.lock().unwrap_or_else(|e| e.into_inner()));
    Ok((sent_at, delivered, seconds))
}

/// Latency of each delivered message: the first poll whose checkpoint covers its
/// offset, minus its send time. `timeline` holds (time, partition → next offset) at
/// every change. Messages never covered are left out (counted by the caller).
pub fn latencies(sent_at: &[Instant], delivered: &[(usize, i32, i64)], timeline: &[(Instant, BTreeMap<i32, i64>)]) -> Vec<f64> {
    let mut per_part: BTreeMap<i32, Vec<(Instant, i64)>> = BTreeMap::new();
    for (t, m) in timeline {
        for (p, o) in m {
            let v = per_part.entry(*p).or_default();
            if v.last().is_none_or(|(_, last)| o > last) {
                v.push((*t, *o));
            }
        }
    }
    let mut out = Vec::with_capacity(delivered.len());
    for (id, p, o) in delivered {
        let Some(v) = per_part.get(p) else { continue };
        let i = v.partition_point(|(_, pos)| *pos <= *o);
        if let Some((t, _)) = v.get(i) {
            out.push(t.saturating_duration_since(sent_at[*id]).as_secs_f64() * 1000.0);
        }
    }
    out.sort_by(f64::total_cmp);
    out
}

pub async fn freshness(s: &Settings, db: &str, bootstrap: &str, topic: &str, stream: &Stream) -> anyhow::Result<FreshnessResult> {
    let total = (s.freshness_rate as f64 * s.freshness_duration.as_secs_f64()).round() as u64;
    let lines = crate::stream::read_lines(stream, total.max(1))?;
    let mut c = connect(db).await?;
    // Start from a quiet disk: the earlier stages' writes (a drain, the COPY
    // baselines: gigabytes) flushed now, not by PostgreSQL's checkpointer and
    // the kernel during this stage's durable commits.
    let settle = Instant::now();
    sqlx::query("CHECKPOINT").execute(&mut c).await.context("CHECKPOINT before the freshness run")?;
    let _ = Command::new("sync").status();
    println!("  [freshness] CHECKPOINT and sync before the run: {:.1} s", settle.elapsed().as_secs_f64());
    let mut pr = Projector::start(s, db, bootstrap, topic, "bench-freshness", None, &[], "freshness-projector")?;
    pr.wait_assigned(Duration::from_secs(300)).await?;
    // Let the group settle before the clock starts.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let (s2, b2, t2) = (s.clone(), bootstrap.to_string(), topic.to_string());
    let (rate, dur) = (s.freshness_rate, s.freshness_duration);
    let mut producer = Some(std::thread::spawn(move || paced_producer(&s2, &b2, &t2, lines, rate, dur)));
    println!("  [freshness] producing {total} events at {rate}/s for {dur:?}; reading the checkpoints every {:?}", s.poll_interval);

    let mut timeline: Vec<(Instant, BTreeMap<i32, i64>)> = Vec::new();
    let mut produced: Option<Paced> = None;
    let mut wait_until: Option<Instant> = None;
    let mut tick = tokio::time::interval(s.poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Some(pos) = positions(&mut c, topic).await {
            if timeline.last().is_none_or(|(_, last)| *last != pos) {
                timeline.push((Instant::now(), pos));
            }
        }
        if producer.as_ref().is_some_and(|h| h.is_finished()) {
            let h = producer.take().expect("checked above");
            let r = h.join().map_err(|_| anyhow::anyhow!("the paced producer panicked"))??;
            produced = Some(r);
            wait_until = Some(Instant::now() + s.stall.min(Duration::from_secs(60)));
        }
        if let (Some((_, delivered, _)), Some(until)) = (&produced, wait_until) {
            let mut want: BTreeMap<i32, i64> = BTreeMap::new();
            for (_, p, o) in delivered {
                let w = want.entry(*p).or_insert(0);
                *w = (*w).max(o + 1);
            }
            let have = timeline.last().map(|(_, m)| m.clone()).unwrap_or_default();
            if want.iter().all(|(p, o)| have.get(p).is_some_and(|h| h >= o)) {
                break;
            }
            if Instant::now() > until {
                println!("  [freshness] not everything became visible within {:?} after producing ended", s.stall.min(Duration::from_secs(60)));
                break;
            }
        }
        if let Some(e) = pr.p.try_exit() {
            anyhow::bail!("caseflow project exited ({:?}) during the freshness run; see {}", e.code, pr.p.log.display());
        }
    }
    let _ = save_metrics(s, &pr, "freshness-projector");
    let exit = pr.p.kill();
    let _ = c.close().await;
    let (sent_at, delivered, seconds) = produced.expect("set before the loop ends");
    let lat = latencies(&sent_at, &delivered, &timeline);
    let mean = (!lat.is_empty()).then(|| lat.iter().sum::<f64>() / lat.len() as f64);
    Ok(FreshnessResult {
        target_rate: s.freshness_rate,
        achieved_rate: sent_at.len() as f64 / seconds,
        produce_seconds: seconds,
        sent: sent_at.len() as u64,
        visible: lat.len() as u64,
        not_visible: sent_at.len() as u64 - lat.len() as u64,
        p50_ms: percentile(&lat, 50.0),
        p90_ms: percentile(&lat, 90.0),
        p99_ms: percentile(&lat, 99.0),
        max_ms: lat.last().copied(),
        mean_ms: mean,
        poll_ms: s.poll_interval.as_secs_f64() * 1000.0,
        linger_ms: s.produce_linger_ms,
        projector_peak_rss_mib: kib_to_mib(exit.max_rss_kib),
        log: pr.p.log.clone(),
    })
}

/// Create a topic on the broker with the tansu CLI.
pub fn create_topic(broker: &caseflow_tests::broker::Broker, name: &str, partitions: u32) -> anyhow::Result<()> {
    let tansu = crate::prereq::tansu()?;
    crate::proc::run(
        Command::new(tansu).args(["topic", "create", name, "--partitions", &partitions.to_string(), "--broker", &format!("tcp://127.0.0.1:{}", broker.port)]),
        &format!("tansu topic create {name}"),
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_producer_contract() {
        assert_eq!(key_of(br#"{"case_id":"c1","gemeente":"GM0344","data":{}}"#).as_deref(), Some("c1"));
        assert_eq!(key_of(br#"{"gemeente":"GM0344","data":{"team":"IGT West","fte":3}}"#).as_deref(), Some("GM0344/IGT West"));
        assert_eq!(key_of(b"not json"), None);
        assert_eq!(key_of(br#"{"gemeente":"GM0344","data":{}}"#), None);
    }

    #[test]
    fn latency_is_first_covering_poll_minus_send() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let sent_at = vec![ms(0), ms(5), ms(10), ms(12)];
        // message 0 → p0@0, 1 → p1@0, 2 → p0@1, 3 → p1@1 (never covered)
        let delivered = vec![(0, 0, 0), (1, 1, 0), (2, 0, 1), (3, 1, 1)];
        let timeline = vec![
            (ms(20), BTreeMap::from([(0, 1)])),
            (ms(30), BTreeMap::from([(0, 1), (1, 1)])),
            (ms(40), BTreeMap::from([(0, 2), (1, 1)])),
        ];
        let lat = latencies(&sent_at, &delivered, &timeline);
        assert_eq!(lat, vec![20.0, 25.0, 30.0]);
    }
}
