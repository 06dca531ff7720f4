//! Applying a partitioned source (Kafka) with exactly-once effect.
//!
//! A batch of messages from any partitions is applied in ONE transaction: the
//! valid events are appended to the log (idempotent by `event_id`), invalid ones
//! go to the dead-letter table, the affected projection keys are recomputed, and
//! the next offset of every partition is stored as the checkpoint. Messages at
//! offsets below the stored checkpoint were applied before (a redelivery after a
//! crash or rebalance) and are skipped. On partition assignment the consumer
//! seeks to [`Store::source_offsets`].

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row;

use crate::log::{append_in, AppendReport, Incoming, Prepared};
use crate::project::{batch_start, lock_projection, project_events, store_positions, Start};
use crate::{Store, StoreError};

/// Key of the PostgreSQL advisory lock every projection transaction takes ([`crate::project::lock_projection`]).
pub(crate) const PROJECTION_LOCK: i64 = 0x6361_7365_666c_6f77; // "caseflow"

/// A dead letter of a source not yet published to the dead-letter topic.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingDeadLetter {
    pub id: i64,
    /// `topic/partition@offset` for a Kafka source.
    pub position: String,
    pub kind: String,
    pub reason: String,
    /// The bytes as stored (the original, with any BSN masked).
    pub raw: Vec<u8>,
}

impl PendingDeadLetter {
    /// (topic, partition, offset) parsed from a `topic/partition@offset` position.
    pub fn source_position(&self) -> Option<(&str, i32, i64)> {
        let (tp, o) = self.position.rsplit_once('@')?;
        let (t, p) = tp.rsplit_once('/')?;
        Some((t, p.parse().ok()?, o.parse().ok()?))
    }
}

/// One message as read from a partition.
#[derive(Debug, Clone)]
pub struct SourceMessage {
    pub partition: i32,
    pub offset: i64,
    pub payload: Vec<u8>,
}

/// What a source batch did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceReport {
    #[serde(flatten)]
    pub append: AppendReport,
    /// Messages skipped because their offset was already applied.
    pub already_applied: u64,
    /// Projection keys recomputed.
    pub keys: u64,
}

impl SourceReport {
    /// The rejected messages of the batch, as (partition, offset, kind, reason);
    /// `messages` is the slice passed to [`Store::apply_source_batch`].
    pub fn dead<'a>(&'a self, messages: &'a [SourceMessage]) -> impl Iterator<Item = (&'a SourceMessage, &'a str, &'a str)> + 'a {
        self.append.rejections.iter().filter_map(move |r| {
            let pos = r.position.rsplit_once('@')?;
            let (p, o) = (pos.0.rsplit_once('/')?.1.parse::<i32>().ok()?, pos.1.parse::<i64>().ok()?);
            messages.iter().find(|m| m.partition == p && m.offset == o).map(|m| (m, r.kind.as_str(), r.reason.as_str()))
        })
    }
}

impl Store {
    /// The next offset to read per partition for `source` (e.g. a topic and group).
    pub async fn source_offsets(&self, source: &str) -> Result<BTreeMap<i32, i64>, StoreError> {
        let rows = sqlx::query("SELECT part, position FROM checkpoints WHERE name = $1").bind(source).fetch_all(&self.pool).await?;
        rows.into_iter().map(|r| Ok((r.try_get::<i64, _>("part")? as i32, r.try_get::<i64, _>("position")?))).collect()
    }

    /// Dead letters of `source` not yet marked published, oldest first.
    pub async fn unpublished_dead_letters(&self, source: &str, limit: i64) -> Result<Vec<PendingDeadLetter>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, position, kind, reason, raw FROM dead_letters WHERE source = $1 AND published_at IS NULL ORDER BY id LIMIT $2",
        )
        .bind(source)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(PendingDeadLetter {
                    id: r.try_get("id")?,
                    position: r.try_get("position")?,
                    kind: r.try_get("kind")?,
                    reason: r.try_get("reason")?,
                    raw: r.try_get("raw")?,
                })
            })
            .collect()
    }

    /// Mark dead letters as published to the dead-letter topic.
    pub async fn mark_dead_letters_published(&self, ids: &[i64]) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        crate::sql::set_by_ids(&mut conn, "dead_letters", "published_at", &crate::log::now_text(), ids).await
    }

    /// Apply messages from any partitions in one transaction, with their offsets.
    /// `topic` names the positions in dead letters (`topic/partition@offset`).
    pub async fn apply_source_batch(&self, source: &str, topic: &str, messages: &[SourceMessage]) -> Result<SourceReport, StoreError> {
        let mut cache = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        // Several projector processes (a rebalance, a zombie after a pause) may
        // hold messages of the same partition: they take turns.
        lock_projection(&mut tx).await?;
        let result = async {
            let start = batch_start(&mut tx, source).await?;
            let stored: BTreeMap<i32, i64> = start.positions.iter().map(|(p, o)| (*p as i32, *o)).collect();

            let mut next: BTreeMap<i32, i64> = BTreeMap::new();
            let mut fresh: Vec<Incoming> = Vec::with_capacity(messages.len());
            let mut already = 0u64;
            for m in messages {
                if m.offset < stored.get(&m.partition).copied().unwrap_or(0) {
                    already += 1;
                    continue;
                }
                let n = next.entry(m.partition).or_insert(0);
                *n = (*n).max(m.offset + 1);
                fresh.push(Incoming { position: format!("{topic}/{}@{}", m.partition, m.offset), raw: m.payload.clone() });
            }
            let mut append = append_in(&mut tx, source, Prepared::new(fresh)).await?;
            let events = std::mem::take(&mut append.fresh);
            let keys = project_events(&mut tx, &mut cache, events, Start::LogEnd(start.log_end), start.token, &self.config).await?;
            let positions: Vec<(&str, i64, i64)> = next.iter().map(|(p, o)| (source, i64::from(*p), *o)).collect();
            let token = store_positions(&mut tx, &positions).await?;
            let t0 = std::time::Instant::now();
            tx.commit().await?;
            crate::timings::record("commit", t0);
            Ok::<_, StoreError>((SourceReport { append, already_applied: already, keys }, token))
        }
        .await;
        match result {
            Ok((report, token)) => {
                cache.committed(token);
                Ok(report)
            }
            Err(e) => {
                cache.clear();
                Err(e)
            }
        }
    }
}
