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

use crate::sql::{dialect_of, insert_rows, values_placeholders, Val};
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
        let r = evaluate_in(&mut tx, Scope::All, at, &self.config).await?;
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

/// What an open alert says, as stored: a change in any of it replaces the alert.
#[derive(Debug, Clone, PartialEq)]
struct AlertIdentity {
    kind: String,
    team: Option<String>,
    cycle_start: String,
    gepland_op: Option<String>,
}

impl AlertIdentity {
    fn of(s: &PoState) -> AlertIdentity {
        AlertIdentity { kind: s.status.as_str().to_string(), team: s.team.clone(), cycle_start: ts(s.cycle_start), gepland_op: s.gepland_op.map(|d| d.to_string()) }
    }
}

/// Which beschikkingen an evaluation covers.
pub(crate) enum Scope<'a> {
    /// Every monitored beschikking (the periodic evaluation), read from `po_monitor`.
    All,
    /// The beschikkingen a projection transaction changed, with their timelines as
    /// just written (None: no longer monitored).
    Changed(Vec<(Uuid, Option<&'a PoTimeline>)>),
}

/// Bring the alerts of `scope` in line with their status at `at`. Every
/// transition is written with a few multi-row statements, not one per alert.
pub(crate) async fn evaluate_in(tx: &mut Transaction<'_, Any>, scope: Scope<'_>, at: DateTime<Utc>, config: &Config) -> Result<AlertReport, StoreError> {
    // What should be open now.
    let mut desired: BTreeMap<String, PoState> = BTreeMap::new();
    let mut want = |tl: &PoTimeline| {
        if let Some(s) = tl.state_at(at, config).filter(|s| s.status.is_alert()) {
            desired.insert(s.beschikking_id.to_string(), s);
        }
    };
    let scope_ids: Option<Vec<String>> = match &scope {
        Scope::Changed(changed) => {
            for tl in changed.iter().filter_map(|(_, tl)| *tl) {
                want(tl);
            }
            Some(changed.iter().map(|(b, _)| b.to_string()).collect())
        }
        Scope::All => {
            for r in sqlx::query("SELECT key, body FROM po_monitor").fetch_all(&mut **tx).await? {
                let (key, body): (String, String) = (r.try_get(0)?, r.try_get(1)?);
                let tl: PoTimeline = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("po_monitor {key}: {e}")))?;
                want(&tl);
            }
            None
        }
    };

    // What is open.
    const OPEN: &str = "SELECT id, kind, beschikking_id, team, cycle_start, gepland_op FROM alerts WHERE resolved_at IS NULL";
    let open_rows = match &scope_ids {
        Some(ids) => crate::sql::fetch_in(tx, &format!("{OPEN} AND beschikking_id IN"), ids).await?,
        None => sqlx::query(OPEN).fetch_all(&mut **tx).await?,
    };
    let mut open: BTreeMap<String, (i64, AlertIdentity)> = BTreeMap::new();
    for r in open_rows {
        let identity = AlertIdentity { kind: r.try_get("kind")?, team: r.try_get("team")?, cycle_start: r.try_get("cycle_start")?, gepland_op: r.try_get("gepland_op")? };
        open.insert(r.try_get("beschikking_id")?, (r.try_get("id")?, identity));
    }

    // The transitions: resolve what should no longer be open, or is open with
    // another kind, cycle, planned date or team (so an open alert always shows
    // the current state, however the events were cut into batches); raise what
    // should be open and is not.
    let all: BTreeSet<&String> = desired.keys().chain(open.keys()).collect();
    let mut resolves: Vec<(&String, i64, &String)> = Vec::new();
    let mut raises: Vec<(&String, &PoState)> = Vec::new();
    for b in all {
        let want = desired.get(b);
        let have = open.get(b);
        if want.map(AlertIdentity::of) == have.map(|(_, identity)| identity.clone()) {
            continue;
        }
        if let Some((id, identity)) = have {
            resolves.push((b, *id, &identity.kind));
        }
        if let Some(s) = want {
            raises.push((b, s));
        }
    }
    let now = ts(at);
    let ids: Vec<i64> = resolves.iter().map(|(_, id, _)| *id).collect();
    crate::sql::set_by_ids(tx, "alerts", "resolved_at", &now, &ids).await?;
    let mut messages: Vec<(&str, serde_json::Value)> = resolves
        .iter()
        .map(|(b, id, kind)| (b.as_str(), json!({"transition": "resolved", "alert_id": id, "kind": kind, "beschikking_id": b, "at": now})))
        .collect();

    const ALERT_COLS: usize = 8;
    let mut raised_ids: BTreeMap<String, i64> = BTreeMap::new();
    for chunk in raises.chunks(crate::sql::MAX_PARAMS / ALERT_COLS) {
        let sql = format!(
            "INSERT INTO alerts (kind, beschikking_id, gemeente, domein, team, cycle_start, gepland_op, raised_at) VALUES {} RETURNING id, beschikking_id",
            values_placeholders(dialect_of(tx), chunk.len(), ALERT_COLS, 1)
        );
        let mut q = sqlx::query(&sql).persistent(false);
        for (b, s) in chunk {
            q = q
                .bind(s.status.as_str())
                .bind(*b)
                .bind(&s.gemeente)
                .bind(&s.domein)
                .bind(&s.team)
                .bind(ts(s.cycle_start))
                .bind(s.gepland_op.map(|d| d.to_string()))
                .bind(&now);
        }
        for r in q.fetch_all(&mut **tx).await? {
            raised_ids.insert(r.try_get("beschikking_id")?, r.try_get("id")?);
        }
    }
    for (b, s) in &raises {
        let id = raised_ids.get(*b).copied().ok_or_else(|| StoreError::Corrupt(format!("no alert id returned for beschikking {b}")))?;
        messages.push((
            b.as_str(),
            json!({"transition": "raised", "alert_id": id, "kind": s.status.as_str(), "beschikking_id": b, "gemeente": s.gemeente,
                   "domein": s.domein, "team": s.team, "cycle_start": ts(s.cycle_start), "gepland_op": s.gepland_op, "at": now}),
        ));
    }
    outbox(tx, &messages).await?;
    Ok(AlertReport { raised: raises.len() as u64, resolved: resolves.len() as u64 })
}

/// Write alert transitions to the outbox, in order (per beschikking a resolve
/// comes before the raise that replaces it).
async fn outbox(tx: &mut Transaction<'_, Any>, messages: &[(&str, serde_json::Value)]) -> Result<(), StoreError> {
    let created_at = ts(Utc::now());
    let rows: Vec<Vec<Val>> =
        messages.iter().map(|(key, payload)| vec![Val::Str(ALERTS_TOPIC), Val::Str(key), Val::Text(payload.to_string()), Val::Str(&created_at)]).collect();
    insert_rows(tx, "outbox", &[("topic", "text"), ("msg_key", "text"), ("payload", "text"), ("created_at", "text")], &rows, "").await?;
    Ok(())
}
