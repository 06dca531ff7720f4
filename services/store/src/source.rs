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

use crate::input::Position;
use crate::log::{append_in, AppendReport, Incoming, Prepared};
use crate::events::{lock_log, lock_projection, log_end};
use crate::project::{batch_start, project_events, store_positions, write_checkpoints, Start, EMBEDDED};
use crate::{Store, StoreError};

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
        match Position::parse(&self.position)? {
            Position::Kafka { topic, partition, offset } => Some((topic, partition, offset)),
            _ => None,
        }
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
            let Position::Kafka { partition, offset, .. } = Position::parse(&r.position)? else { return None };
            messages.iter().find(|m| m.partition == partition && m.offset == offset).map(|m| (m, r.kind.as_str(), r.reason.as_str()))
        })
    }
}

impl Store {
    /// The next offset to read per partition for `source` (e.g. a topic): the
    /// offsets appended to the log.
    pub async fn source_offsets(&self, source: &str) -> Result<BTreeMap<i32, i64>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        appended_offsets(&mut conn, source).await
    }

    /// The next offset per partition of `source` whose messages are in the read
    /// models (at or below [`Store::source_offsets`]).
    pub async fn projected_offsets(&self, source: &str) -> Result<BTreeMap<i32, i64>, StoreError> {
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

    /// Apply messages from any partitions: [`Store::append_source_batch`], then
    /// [`Store::project_appended`]. `topic` names the positions in dead letters
    /// (`topic/partition@offset`).
    pub async fn apply_source_batch(&self, source: &str, topic: &str, messages: &[SourceMessage]) -> Result<SourceReport, StoreError> {
        let mut appended = self.append_source_batch(source, topic, messages, &BTreeMap::new()).await?;
        let keys = self.project_appended(&mut appended).await?;
        Ok(SourceReport { keys, ..appended.report })
    }

    /// Append messages from any partitions to the log in one transaction, with
    /// the next offset of every partition: valid new events to the log
    /// (idempotent by `event_id`), invalid ones to the dead-letter table.
    /// Messages below a partition's stored offset were appended before (a
    /// redelivery) and are skipped. Holds the log lock, not the projection lock:
    /// on PostgreSQL a batch is appended while the previous one is projected.
    ///
    /// `expected` holds the positions the consumer reached (partition → next
    /// offset, as earlier appends of this consumer stored them). A stored offset
    /// below its expected position means the database lost commits (see
    /// [`Store::with_synchronous_source_commits`]): nothing is appended and the
    /// error [`StoreError::OffsetsBehind`] says where to read again.
    pub async fn append_source_batch(&self, source: &str, topic: &str, messages: &[SourceMessage], expected: &BTreeMap<i32, i64>) -> Result<Appended, StoreError> {
        let mut prepared = Prepared::new(
            messages
                .iter()
                .map(|m| Incoming { position: Position::Kafka { topic, partition: m.partition, offset: m.offset }.to_string(), raw: m.payload.clone() })
                .collect(),
        );
        // SQLite has one writer: appends and projections of this process take turns.
        let _writer = if self.dialect() == crate::Dialect::Sqlite { Some(self.write_lock.lock().await) } else { None };
        let mut tx = self.pool.begin().await?;
        self.source_commit_mode(&mut tx).await?;
        lock_log(&mut tx).await?;
        let log_end = log_end(&mut tx).await?;
        let stored = appended_offsets(&mut tx, source).await?;
        let behind = offsets_behind(&stored, expected);
        if !behind.is_empty() {
            tx.rollback().await?;
            let expected = behind.keys().map(|p| (*p, expected[p])).collect();
            return Err(StoreError::OffsetsBehind { stored: behind, expected });
        }
        let mut next: BTreeMap<i32, i64> = BTreeMap::new();
        let mut already = 0u64;
        let applied: Vec<bool> = messages
            .iter()
            .map(|m| {
                let done = m.offset < stored.get(&m.partition).copied().unwrap_or(0);
                if done {
                    already += 1;
                } else {
                    let n = next.entry(m.partition).or_insert(0);
                    *n = (*n).max(m.offset + 1);
                }
                done
            })
            .collect();
        if already > 0 {
            prepared.retain_lines(|i| !applied[i]);
        }
        let mut append = append_in(&mut tx, source, prepared).await?;
        let fresh = std::mem::take(&mut append.fresh);
        let appended_name = appended_name(source);
        let rows: Vec<(&str, i64, i64)> = next.iter().map(|(p, o)| (appended_name.as_str(), i64::from(*p), *o)).collect();
        write_checkpoints(&mut tx, &rows, true).await?;
        let t0 = std::time::Instant::now();
        tx.commit().await?;
        crate::timings::record("commit: append", t0);
        let end = append.last_seq.max(log_end);
        Ok(Appended { report: SourceReport { append, already_applied: already, keys: 0 }, source: source.to_string(), next, fresh, after: log_end, end })
    }

    /// Project every event of the log above the projection's checkpoint, and
    /// raise the projected offsets of `source` to its appended offsets (read
    /// first: their events are in the log by then). A projector runs this at
    /// start, for what an earlier run appended but did not project. Returns the
    /// number of keys recomputed.
    pub async fn catch_up_source(&self, source: &str) -> Result<u64, StoreError> {
        let appended = self.source_offsets(source).await?;
        let keys = self.project_pending(CATCH_UP_BATCH).await?.keys;
        let rows: Vec<(&str, i64, i64)> = appended.iter().map(|(p, o)| (source, i64::from(*p), *o)).collect();
        let mut conn = self.pool.acquire().await?;
        write_checkpoints(&mut conn, &rows, true).await?;
        Ok(keys)
    }

    /// Project a batch [`Store::append_source_batch`] appended: its events are
    /// taken from memory (not read back) and projected in one transaction that
    /// moves the projection's checkpoint to the batch's end. Where the checkpoint
    /// is not where the batch starts (another process appended or projected in
    /// between, or an earlier projection failed), the log is projected from the
    /// checkpoint instead ([`Store::project_pending`]), this batch included.
    /// Either way the projected offsets ([`Store::projected_offsets`]) reach
    /// the batch's. Returns the number of keys recomputed.
    ///
    /// After an error, call it again with the same batch: it then projects from
    /// the checkpoint (the events were handed to the failed attempt).
    pub async fn project_appended(&self, batch: &mut Appended) -> Result<u64, StoreError> {
        let offsets: Vec<(&str, i64, i64)> = batch.next.iter().map(|(p, o)| (batch.source.as_str(), i64::from(*p), *o)).collect();
        let mut cache = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        lock_projection(&mut tx).await?;
        let start = batch_start(&mut tx, EMBEDDED).await?;
        // The batch's append must still be in the database: a server crash can
        // lose commits not yet flushed (the append's and later ones), and seqs
        // can then be handed out again.
        let at_start = start.position(0) == batch.after;
        let lost = at_start && !batch.fresh.is_empty() && {
            let appended = appended_offsets(&mut tx, &batch.source).await?;
            let lost = !offsets_behind(&appended, &batch.next).is_empty();
            if lost {
                tracing::warn!(offsets = ?batch.next, stored = ?appended, "a batch's append is not in the database (commits lost in a server crash); projecting the log from the checkpoint, the consumer reads the lost messages again");
            }
            lost
        };
        if !at_start || batch.fresh.is_empty() || lost {
            tx.rollback().await?;
            drop(cache);
            // Nothing of this batch to project (repeats, dead letters), the
            // checkpoint is elsewhere, or the append is gone: project whatever
            // the log holds above the checkpoint.
            if !at_start {
                tracing::debug!(checkpoint = start.position(0), batch_after = batch.after, "projecting the log from the checkpoint");
            }
            return self.catch_up_source(&batch.source).await;
        }
        let result = async {
            self.source_commit_mode(&mut tx).await?;
            let fresh = std::mem::take(&mut batch.fresh);
            let keys = project_events(&mut tx, &mut cache, fresh, Start::LogEnd(batch.after), batch.end, start.token, &self.config).await?;
            write_checkpoints(&mut tx, &offsets, true).await?;
            let token = store_positions(&mut tx, &[(EMBEDDED, 0, batch.end)]).await?;
            let t0 = std::time::Instant::now();
            tx.commit().await?;
            crate::timings::record("commit", t0);
            Ok::<_, StoreError>((keys, token))
        }
        .await;
        match result {
            Ok((keys, token)) => {
                cache.committed(token);
                Ok(keys)
            }
            Err(e) => {
                cache.clear();
                Err(e)
            }
        }
    }

    /// A source batch's transaction commits without waiting for the WAL flush
    /// unless told otherwise (see [`Store::with_synchronous_source_commits`]).
    async fn source_commit_mode(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), StoreError> {
        if self.dialect() == crate::Dialect::Postgres && !self.synchronous_source_commits {
            sqlx::query("SELECT set_config('synchronous_commit', 'off', true)").execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// The partitions whose stored offset is below the position `expected` of them
/// (an absent stored offset counts as 0), with their stored offsets: where the
/// database lost commits that a consumer (or a batch) had reached.
pub fn offsets_behind(stored: &BTreeMap<i32, i64>, expected: &BTreeMap<i32, i64>) -> BTreeMap<i32, i64> {
    expected
        .iter()
        .filter_map(|(p, e)| {
            let at = stored.get(p).copied().unwrap_or(0);
            (at < *e).then_some((*p, at))
        })
        .collect()
}

/// Events per transaction when a projection catches up from its checkpoint.
const CATCH_UP_BATCH: usize = 20_000;

/// A source batch in the log whose projection is still to do.
#[derive(Debug)]
pub struct Appended {
    pub report: SourceReport,
    source: String,
    /// The next offset per partition of the batch's messages.
    next: BTreeMap<i32, i64>,
    /// The events appended (not repeats), in batch order.
    fresh: Vec<caseflow_core::Event>,
    /// The log's end before the append: every appended event is above it.
    after: i64,
    /// The highest seq of the batch (`after` when nothing was appended).
    end: i64,
}

impl Appended {
    /// Events appended (and so to be projected).
    pub fn appended(&self) -> usize {
        self.fresh.len()
    }
}

/// The checkpoint name of the offsets of `source` appended to the log. (The
/// `source` name itself holds the offsets projected into the read models: what
/// a reader of the read models sees.)
fn appended_name(source: &str) -> String {
    format!("{source}:appended")
}

/// The offsets of `source` appended to the log: per partition the higher of the
/// appended and the projected offset, so a partition with only a projected
/// offset (a database whose source batches were appended and projected in one
/// transaction) resumes from that.
async fn appended_offsets(conn: &mut sqlx::AnyConnection, source: &str) -> Result<BTreeMap<i32, i64>, StoreError> {
    let rows = sqlx::query("SELECT part, MAX(position) FROM checkpoints WHERE name = $1 OR name = $2 GROUP BY part")
        .bind(source)
        .bind(appended_name(source))
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(|r| Ok((r.try_get::<i64, _>(0)? as i32, r.try_get::<i64, _>(1)?))).collect()
}
