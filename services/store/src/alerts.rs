//! Alerts on overdue PO (spec §3.4): kept current as events arrive (evaluated in
//! the projection transaction for the beschikkingen a batch changed) and as time
//! passes (a periodic evaluation of every monitored beschikking).
//!
//! Every raise and resolve is also written to the outbox in the same transaction,
//! for publication to `caseflow.alerts.v1` (key `beschikking_id`).

use std::collections::{BTreeMap, BTreeSet};

use caseflow_core::config::Config;
use caseflow_core::overdue_po::{PoState, PoTimeline};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use crate::project::fetch_pairs;
use crate::sql::{dialect_of, list_placeholders};
use crate::{Store, StoreError};

/// The topic alert transitions are published to.
pub const ALERTS_TOPIC: &str = "caseflow.alerts.v1";

/// An alert as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: i64,
    pub kind: String,
    pub beschikking_id: String,
    pub gemeente: String,
    pub domein: String,
    pub team: Option<String>,
    pub cycle_start: String,
    pub gepland_op: Option<String>,
    pub raised_at: String,
    pub resolved_at: Option<String>,
}

/// What an evaluation changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AlertReport {
    pub raised: u64,
    pub resolved: u64,
}

/// Which alerts to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertQuery {
    pub gemeente: Option<String>,
    pub domein: Option<String>,
    pub team: Option<String>,
    /// `open`, `resolved`, or None for all.
    pub status: Option<String>,
    pub kind: Option<String>,
    pub limit: i64,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Store {
    /// Re-evaluate every monitored beschikking at `at` (the periodic evaluation:
    /// raises `geen_po_gepland` when a grace period expires without any event).
    pub async fn evaluate_alerts(&self, at: DateTime<Utc>) -> Result<AlertReport, StoreError> {
        let _guard = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        let r = evaluate_in(&mut tx, None, at, &self.config).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Alerts, newest first.
    pub async fn alerts(&self, q: &AlertQuery) -> Result<Vec<Alert>, StoreError> {
        let mut sql = String::from(
            "SELECT id, kind, beschikking_id, gemeente, domein, team, cycle_start, gepland_op, raised_at, resolved_at FROM alerts WHERE 1 = 1",
        );
        let mut binds: Vec<String> = Vec::new();
        for (col, v) in [
            ("gemeente", &q.gemeente),
            ("domein", &q.domein),
            ("team", &q.team),
            ("kind", &q.kind),
        ] {
            if let Some(v) = v {
                binds.push(v.clone());
                sql.push_str(&format!(" AND {col} = ${}", binds.len()));
            }
        }
        match q.status.as_deref() {
            Some("open") => sql.push_str(" AND resolved_at IS NULL"),
            Some("resolved") => sql.push_str(" AND resolved_at IS NOT NULL"),
            _ => {}
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", binds.len() + 1));
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        let rows = query.bind(q.limit).fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|r| {
                Ok(Alert {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    beschikking_id: r.try_get("beschikking_id")?,
                    gemeente: r.try_get("gemeente")?,
                    domein: r.try_get("domein")?,
                    team: r.try_get("team")?,
                    cycle_start: r.try_get("cycle_start")?,
                    gepland_op: r.try_get("gepland_op")?,
                    raised_at: r.try_get("raised_at")?,
                    resolved_at: r.try_get("resolved_at")?,
                })
            })
            .collect()
    }
}

/// Bring the alerts of `only` (or of every beschikking) in line with their status at `at`.
pub(crate) async fn evaluate_in(
    tx: &mut Transaction<'_, Any>,
    only: Option<&[Uuid]>,
    at: DateTime<Utc>,
    config: &Config,
) -> Result<AlertReport, StoreError> {
    // What should be open now.
    let timelines: Vec<(String, String)> = match only {
        Some(ids) => {
            let keys: Vec<String> = ids.iter().map(|b| format!("beschikking:{b}")).collect();
            fetch_pairs(tx, "SELECT key, body FROM po_monitor WHERE key IN", &keys).await?
        }
        None => sqlx::query("SELECT key, body FROM po_monitor")
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, StoreError>>()?,
    };
    let mut desired: BTreeMap<String, PoState> = BTreeMap::new();
    for (key, body) in timelines {
        let tl: PoTimeline = serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("po_monitor {key}: {e}")))?;
        if let Some(s) = tl.state_at(at, config).filter(|s| s.status.is_alert()) {
            desired.insert(s.beschikking_id.to_string(), s);
        }
    }

    // What is open.
    let open_rows = match only {
        Some(ids) => {
            let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
            let mut rows = Vec::new();
            for chunk in ids.chunks(crate::sql::MAX_PARAMS) {
                let sql = format!(
                    "SELECT id, kind, beschikking_id FROM alerts WHERE resolved_at IS NULL AND beschikking_id IN ({})",
                    list_placeholders(dialect_of(tx), chunk.len(), 1)
                );
                let mut q = sqlx::query(&sql);
                for id in chunk {
                    q = q.bind(id);
                }
                rows.extend(q.fetch_all(&mut **tx).await?);
            }
            rows
        }
        None => {
            sqlx::query("SELECT id, kind, beschikking_id FROM alerts WHERE resolved_at IS NULL")
                .fetch_all(&mut **tx)
                .await?
        }
    };
    let mut open: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for r in open_rows {
        open.insert(
            r.try_get("beschikking_id")?,
            (r.try_get("id")?, r.try_get("kind")?),
        );
    }

    let mut report = AlertReport::default();
    let all: BTreeSet<String> = desired.keys().chain(open.keys()).cloned().collect();
    let now = ts(at);
    for b in all {
        let want = desired.get(&b);
        let have = open.get(&b);
        if want.map(|s| s.status.as_str()) == have.map(|(_, k)| k.as_str()) {
            continue;
        }
        if let Some((id, kind)) = have {
            sqlx::query("UPDATE alerts SET resolved_at = $1 WHERE id = $2")
                .bind(&now)
                .bind(*id)
                .execute(&mut **tx)
                .await?;
            outbox(tx, &b, json!({"transition": "resolved", "alert_id": id, "kind": kind, "beschikking_id": b, "at": now})).await?;
            report.resolved += 1;
        }
        if let Some(s) = want {
            let row = sqlx::query(
                "INSERT INTO alerts (kind, beschikking_id, gemeente, domein, team, cycle_start, gepland_op, raised_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(s.status.as_str())
            .bind(&b)
            .bind(&s.gemeente)
            .bind(&s.domein)
            .bind(&s.team)
            .bind(ts(s.cycle_start))
            .bind(s.gepland_op.map(|d| d.to_string()))
            .bind(&now)
            .fetch_one(&mut **tx)
            .await?;
            let id: i64 = row.try_get("id")?;
            outbox(
                tx,
                &b,
                json!({"transition": "raised", "alert_id": id, "kind": s.status.as_str(), "beschikking_id": b, "gemeente": s.gemeente,
                       "domein": s.domein, "team": s.team, "cycle_start": ts(s.cycle_start), "gepland_op": s.gepland_op, "at": now}),
            )
            .await?;
            report.raised += 1;
        }
    }
    Ok(report)
}

async fn outbox(
    tx: &mut Transaction<'_, Any>,
    key: &str,
    payload: serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (topic, msg_key, payload, created_at) VALUES ($1, $2, $3, $4)")
        .bind(ALERTS_TOPIC)
        .bind(key)
        .bind(payload.to_string())
        .bind(ts(Utc::now()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
