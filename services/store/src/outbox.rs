//! The transactional outbox: messages (alert transitions for `caseflow.alerts.v1`)
//! written in the same transaction as the change they report, and the
//! bookkeeping a relay needs to publish each exactly once.
//!
//! The protocol (the relay itself lives in the Kafka crate):
//! 1. take the relay lease (one relay per topic across processes);
//! 2. read the pending messages; if any was *attempted* before (a relay died or
//!    failed between publishing and marking), read the topic from the end offsets
//!    recorded with that attempt and mark the messages found there as published;
//! 3. record the topic's current end offsets and mark the batch attempted, in one
//!    transaction, before publishing;
//! 4. publish (each message carries its outbox id in a header) and mark what the
//!    broker acknowledged as published.

use std::collections::BTreeMap;

use sqlx::AnyConnection;
use sqlx::{Connection, Row};

use crate::log::now_text;
use crate::sql::set_by_ids;
use crate::{Dialect, Store, StoreError};

/// An outbox message not yet published.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: i64,
    /// The message key (`beschikking_id` for alerts).
    pub key: String,
    /// The JSON payload.
    pub payload: String,
    /// A relay began publishing it before without marking it published: it may
    /// already be on the topic.
    pub attempted: bool,
}

/// The right to relay a topic's outbox, held until dropped. On PostgreSQL a
/// session advisory lock on a connection of its own (released by the server when
/// that connection closes, also when the process dies); on SQLite (one process)
/// always granted.
pub struct RelayLease {
    conn: Option<AnyConnection>,
}

impl RelayLease {
    /// Whether the lease still holds (its connection is alive). A lost lease
    /// must be dropped and taken again before publishing more.
    pub async fn still_held(&mut self) -> bool {
        match &mut self.conn {
            None => true,
            Some(c) => c.ping().await.is_ok(),
        }
    }
}

impl Store {
    /// Try to become the relay of the outbox of `topic`; `None` while another
    /// process holds it.
    pub async fn relay_lease(&self, topic: &str) -> Result<Option<RelayLease>, StoreError> {
        if self.dialect == Dialect::Sqlite {
            return Ok(Some(RelayLease { conn: None }));
        }
        let mut conn = self.pool.acquire().await?.detach();
        let got: bool = sqlx::query("SELECT pg_try_advisory_lock(hashtext($1))")
            .bind(format!("caseflow.outbox-relay:{topic}"))
            .fetch_one(&mut conn)
            .await?
            .try_get(0)?;
        Ok(got.then_some(RelayLease { conn: Some(conn) }))
    }

    /// Up to `limit` unpublished messages for `topic`, oldest first.
    pub async fn outbox_pending(
        &self,
        topic: &str,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, msg_key, payload, attempted_at FROM outbox WHERE published_at IS NULL AND topic = $1 ORDER BY id LIMIT $2",
        )
        .bind(topic)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(OutboxMessage {
                    id: r.try_get("id")?,
                    key: r.try_get("msg_key")?,
                    payload: r.try_get("payload")?,
                    attempted: r.try_get::<Option<String>, _>("attempted_at")?.is_some(),
                })
            })
            .collect()
    }

    /// Mark `ids` attempted and record the topic's end offsets (partition → next
    /// offset) from just before publishing them, in one transaction.
    pub async fn outbox_begin_attempt(
        &self,
        topic: &str,
        ids: &[i64],
        end_offsets: &BTreeMap<i32, i64>,
    ) -> Result<(), StoreError> {
        let _guard = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        let now = now_text();
        let offsets = serde_json::to_string(end_offsets).expect("a map of integers serializes");
        let updated = sqlx::query(
            "UPDATE outbox_relay SET end_offsets = $1, updated_at = $2 WHERE topic = $3",
        )
        .bind(&offsets)
        .bind(&now)
        .bind(topic)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO outbox_relay (topic, end_offsets, updated_at) VALUES ($1, $2, $3)",
            )
            .bind(topic)
            .bind(&offsets)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        set_by_ids(&mut tx, "outbox", "attempted_at", &now, ids).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The end offsets recorded with the last attempt on `topic`, if any.
    pub async fn outbox_attempt_offsets(
        &self,
        topic: &str,
    ) -> Result<Option<BTreeMap<i32, i64>>, StoreError> {
        let row = sqlx::query("SELECT end_offsets FROM outbox_relay WHERE topic = $1")
            .bind(topic)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let s: String = r.try_get(0)?;
                serde_json::from_str(&s).map(Some).map_err(|e| {
                    StoreError::Corrupt(format!("outbox_relay.end_offsets of {topic}: {e}"))
                })
            }
        }
    }

    /// Mark outbox messages as published.
    pub async fn outbox_mark_published(&self, ids: &[i64]) -> Result<(), StoreError> {
        let _guard = self.write_lock.lock().await;
        let mut conn = self.pool.acquire().await?;
        set_by_ids(&mut conn, "outbox", "published_at", &now_text(), ids).await
    }

    /// (all, unpublished) outbox messages of `topic`.
    pub async fn outbox_counts(&self, topic: &str) -> Result<(i64, i64), StoreError> {
        let r = sqlx::query(
            "SELECT COUNT(*), COUNT(*) - COUNT(published_at) FROM outbox WHERE topic = $1",
        )
        .bind(topic)
        .fetch_one(&self.pool)
        .await?;
        Ok((r.try_get(0)?, r.try_get(1)?))
    }
}
