//! The projection engine: applies the log to the read models in batches.
//!
//! Per batch, in one transaction: read the next events after the checkpoint,
//! find the projection keys they touch, recompute those keys' facts from all
//! their effective events, write the difference to the aggregates, and move the
//! checkpoint. A batch touches each affected row once.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use caseflow_core::config::Config;
use caseflow_core::fact::{facts_for, group_by_key, CountKey, Facts, ProjectionKey};
use caseflow_core::leadtime::{OpenCase, Sample};
use caseflow_core::model::withdrawn_ids;
use caseflow_core::overdue_po::PoTimeline;
use caseflow_core::Event;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use crate::log::Touched;
use crate::sql::{dialect_of, list_placeholders, values_placeholders, MAX_PARAMS};
use crate::{Store, StoreError};

pub(crate) const EMBEDDED: &str = "embedded";

/// What a projection run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProjectReport {
    pub events: u64,
    pub keys: u64,
    pub batches: u64,
}

impl Store {
    /// Apply every log event after the checkpoint, `batch_size` events per
    /// transaction. Returns when the read models include the whole log.
    pub async fn project_pending(&self, batch_size: usize) -> Result<ProjectReport, StoreError> {
        let mut total = ProjectReport::default();
        loop {
            let r = self.project_batch(batch_size).await?;
            if r.events == 0 {
                return Ok(total);
            }
            total.events += r.events;
            total.keys += r.keys;
            total.batches += 1;
        }
    }

    /// Apply at most `batch_size` log events after the checkpoint in one transaction.
    pub async fn project_batch(&self, batch_size: usize) -> Result<ProjectReport, StoreError> {
        let _guard = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        let from: i64 = checkpoint(&mut tx, EMBEDDED, 0).await?.unwrap_or(0);
        let rows = sqlx::query(
            "SELECT seq, case_id, retracts FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(from)
        .bind(batch_size as i64)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(ProjectReport::default());
        }
        let mut touched = Touched::default();
        let mut last = from;
        for r in &rows {
            last = last.max(r.try_get::<i64, _>("seq")?);
            if let Some(c) = r.try_get::<Option<String>, _>("case_id")? {
                touched.keys.insert(ProjectionKey::Case(parse_uuid(&c)?));
            }
            if let Some(t) = r.try_get::<Option<String>, _>("retracts")? {
                touched.retracted.push(t);
            }
        }
        let keys = expand_keys(&mut tx, &touched).await?;
        let n_keys = keys.len() as u64;
        recompute_keys(&mut tx, &keys, &self.config).await?;
        set_checkpoint(&mut tx, EMBEDDED, 0, last).await?;
        tx.commit().await?;
        Ok(ProjectReport {
            events: rows.len() as u64,
            keys: n_keys,
            batches: 1,
        })
    }

    /// Throw the read models away and recompute them from the log.
    pub async fn rebuild(&self, batch_size: usize) -> Result<ProjectReport, StoreError> {
        self.reset_read_models().await?;
        self.project_pending(batch_size).await
    }

    /// Empty the read models and rewind the embedded projector to the log's start.
    pub async fn reset_read_models(&self) -> Result<(), StoreError> {
        let _guard = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        for table in [
            "key_facts",
            "agg_daily",
            "leadtime_samples",
            "open_cases",
            "po_monitor",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM checkpoints WHERE name = $1")
            .bind(EMBEDDED)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The embedded projector's position in the log, and the log's end.
    pub async fn lag(&self) -> Result<(i64, i64), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let at: i64 = sqlx::query("SELECT position FROM checkpoints WHERE name = $1 AND part = 0")
            .bind(EMBEDDED)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get("position"))
            .transpose()?
            .unwrap_or(0);
        let end: Option<i64> = sqlx::query("SELECT MAX(seq) AS m FROM events")
            .fetch_one(&mut *conn)
            .await?
            .try_get("m")?;
        Ok((at, end.unwrap_or(0)))
    }
}

fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|_| StoreError::Corrupt(format!("`{s}` in the log is not a UUID")))
}

pub(crate) async fn checkpoint(
    tx: &mut Transaction<'_, Any>,
    name: &str,
    part: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query("SELECT position FROM checkpoints WHERE name = $1 AND part = $2")
            .bind(name)
            .bind(part)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get("position"))
            .transpose()?,
    )
}

pub(crate) async fn set_checkpoint(
    tx: &mut Transaction<'_, Any>,
    name: &str,
    part: i64,
    position: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO checkpoints (name, part, position) VALUES ($1, $2, $3) \
         ON CONFLICT (name, part) DO UPDATE SET position = excluded.position",
    )
    .bind(name)
    .bind(part)
    .bind(position)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every key whose facts may change because of the touched events: their own
/// keys, the keys of the events they withdraw (or restore), and the beschikkingen
/// of touched cases (whose team history may have changed).
pub(crate) async fn expand_keys(
    tx: &mut Transaction<'_, Any>,
    touched: &Touched,
) -> Result<BTreeSet<ProjectionKey>, StoreError> {
    let mut keys = touched.keys.clone();
    keys.extend(keys_of_retracted(tx, touched.retracted.clone()).await?);
    let cases: Vec<String> = keys
        .iter()
        .filter_map(|k| {
            if let ProjectionKey::Case(c) = k {
                Some(c.to_string())
            } else {
                None
            }
        })
        .collect();
    for (b, _) in fetch_pairs(tx, "SELECT DISTINCT beschikking_id, beschikking_id FROM events WHERE beschikking_id IS NOT NULL AND case_id IN", &cases).await? {
        keys.insert(ProjectionKey::Beschikking(parse_uuid(&b)?));
    }
    Ok(keys)
}

/// The keys whose effective events change when `targets` are withdrawn (or,
/// for a withdrawn correction, restored).
async fn keys_of_retracted(
    tx: &mut Transaction<'_, Any>,
    targets: Vec<String>,
) -> Result<BTreeSet<ProjectionKey>, StoreError> {
    let mut keys = BTreeSet::new();
    let mut frontier = targets;
    // Two levels: the target, and the target of a withdrawn correction.
    for _ in 0..2 {
        let mut next = Vec::new();
        for chunk in frontier.chunks(MAX_PARAMS) {
            let sql = format!(
                "SELECT case_id, beschikking_id, retracts FROM events WHERE event_id IN ({})",
                list_placeholders(dialect_of(tx), chunk.len(), 1)
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&mut **tx).await? {
                if let Some(c) = r.try_get::<Option<String>, _>("case_id")? {
                    keys.insert(ProjectionKey::Case(parse_uuid(&c)?));
                }
                if let Some(b) = r.try_get::<Option<String>, _>("beschikking_id")? {
                    keys.insert(ProjectionKey::Beschikking(parse_uuid(&b)?));
                }
                if let Some(t) = r.try_get::<Option<String>, _>("retracts")? {
                    next.push(t);
                }
            }
        }
        frontier = next;
    }
    Ok(keys)
}

pub(crate) async fn fetch_pairs(
    tx: &mut Transaction<'_, Any>,
    sql_prefix: &str,
    ids: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(MAX_PARAMS) {
        let sql = format!(
            "{sql_prefix} ({})",
            list_placeholders(dialect_of(tx), chunk.len(), 1)
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(&mut **tx).await? {
            out.push((r.try_get(0)?, r.try_get(1)?));
        }
    }
    Ok(out)
}

/// Parse stored `(event_id, body)` rows and drop the withdrawn ones.
pub(crate) async fn effective(
    tx: &mut Transaction<'_, Any>,
    bodies: Vec<(String, String)>,
) -> Result<Vec<Event>, StoreError> {
    let ids: Vec<String> = bodies.iter().map(|(id, _)| id.clone()).collect();
    let level1 = fetch_pairs(
        tx,
        "SELECT event_id, retracts FROM events WHERE retracts IN",
        &ids,
    )
    .await?;
    let level1_ids: Vec<String> = level1.iter().map(|(id, _)| id.clone()).collect();
    let level2 = fetch_pairs(
        tx,
        "SELECT event_id, retracts FROM events WHERE retracts IN",
        &level1_ids,
    )
    .await?;
    let pairs: Vec<(Uuid, Uuid)> = level1
        .iter()
        .chain(level2.iter())
        .map(|(r, t)| Ok((parse_uuid(r)?, parse_uuid(t)?)))
        .collect::<Result<_, StoreError>>()?;
    let withdrawn: HashSet<Uuid> = withdrawn_ids(pairs);
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(bodies.len());
    for (id, body) in bodies {
        if !seen.insert(id) {
            continue;
        }
        let e = Event::from_json_bytes(body.as_bytes())
            .map_err(|err| StoreError::Corrupt(format!("stored event: {err}")))?;
        if !withdrawn.contains(&e.event_id) {
            out.push(e);
        }
    }
    Ok(out)
}

/// Recompute the facts of `keys` from their effective events and write the
/// difference to the read models; re-evaluate the alerts of changed beschikkingen.
pub(crate) async fn recompute_keys(
    tx: &mut Transaction<'_, Any>,
    keys: &BTreeSet<ProjectionKey>,
    config: &Config,
) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    let (mut case_ids, mut besch_ids) = (Vec::new(), Vec::new());
    for k in keys {
        match k {
            ProjectionKey::Case(id) => case_ids.push(id.to_string()),
            ProjectionKey::Beschikking(id) => besch_ids.push(id.to_string()),
        }
    }

    // The events of these keys: a case's events; a beschikking's events and the
    // assignments of their cases.
    let mut bodies = fetch_pairs(
        tx,
        "SELECT event_id, body FROM events WHERE case_id IN",
        &case_ids,
    )
    .await?;
    let besch_rows = fetch_pairs(
        tx,
        "SELECT event_id, body FROM events WHERE beschikking_id IN",
        &besch_ids,
    )
    .await?;
    let besch_cases: Vec<String> = {
        let mut c: Vec<String> = fetch_pairs(tx, "SELECT DISTINCT case_id, case_id FROM events WHERE case_id IS NOT NULL AND beschikking_id IN", &besch_ids)
            .await?
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        c.sort();
        c.dedup();
        c
    };
    bodies.extend(besch_rows);
    bodies.extend(
        fetch_pairs(
            tx,
            "SELECT event_id, body FROM events WHERE event_type = 'case.toegewezen' AND case_id IN",
            &besch_cases,
        )
        .await?,
    );
    let events = effective(tx, bodies).await?;
    let by_key: BTreeMap<ProjectionKey, Vec<Event>> = group_by_key(events.iter());

    // Old facts, new facts, and the difference.
    let encoded: Vec<String> = keys.iter().map(ProjectionKey::encode).collect();
    let old: BTreeMap<String, String> = fetch_pairs(
        tx,
        "SELECT key, facts FROM key_facts WHERE key IN",
        &encoded,
    )
    .await?
    .into_iter()
    .collect();
    let mut w = Writes::default();
    let none: Vec<Event> = Vec::new();
    for key in keys {
        let enc = key.encode();
        let new = facts_for(key, by_key.get(key).unwrap_or(&none));
        let old_facts: Facts = match old.get(&enc) {
            Some(text) => serde_json::from_str(text)
                .map_err(|e| StoreError::Corrupt(format!("key facts of {enc}: {e}")))?,
            None => Facts::default(),
        };
        if new == old_facts {
            continue;
        }
        for (k, v) in new.delta_from(&old_facts) {
            *w.delta.entry(k).or_insert(0.0) += v;
        }
        if new.samples != old_facts.samples {
            w.sample_keys.push(enc.clone());
            w.samples
                .extend(new.samples.iter().map(|s| (enc.clone(), s.clone())));
        }
        if new.open_case != old_facts.open_case {
            match &new.open_case {
                Some(c) => w.open_upserts.push((enc.clone(), c.clone())),
                None => w.open_deletes.push(enc.clone()),
            }
        }
        if new.po != old_facts.po {
            if let ProjectionKey::Beschikking(b) = key {
                w.po_changed.push(*b);
            }
            match &new.po {
                Some(p) => w.po_upserts.push((enc.clone(), p.clone())),
                None => w.po_deletes.push(enc.clone()),
            }
        }
        if new.is_empty() {
            w.fact_deletes.push(enc);
        } else {
            w.fact_upserts
                .push((enc, serde_json::to_string(&new).expect("facts serialize")));
        }
    }
    w.apply(tx).await?;
    if !w.po_changed.is_empty() {
        crate::alerts::evaluate_in(tx, Some(&w.po_changed), chrono::Utc::now(), config).await?;
    }
    Ok(())
}

/// Everything a recompute writes, gathered so each table gets a few statements.
#[derive(Default)]
struct Writes {
    delta: BTreeMap<CountKey, f64>,
    sample_keys: Vec<String>,
    samples: Vec<(String, Sample)>,
    open_upserts: Vec<(String, OpenCase)>,
    open_deletes: Vec<String>,
    po_upserts: Vec<(String, PoTimeline)>,
    po_deletes: Vec<String>,
    po_changed: Vec<Uuid>,
    fact_upserts: Vec<(String, String)>,
    fact_deletes: Vec<String>,
}

async fn delete_keys(
    tx: &mut Transaction<'_, Any>,
    table: &str,
    keys: &[String],
) -> Result<(), StoreError> {
    for chunk in keys.chunks(MAX_PARAMS) {
        let sql = format!(
            "DELETE FROM {table} WHERE key IN ({})",
            list_placeholders(dialect_of(tx), chunk.len(), 1)
        );
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind(k);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Writes {
    async fn apply(&self, tx: &mut Transaction<'_, Any>) -> Result<(), StoreError> {
        let delta: Vec<(&CountKey, f64)> = self
            .delta
            .iter()
            .filter(|(_, v)| **v != 0.0)
            .map(|(k, v)| (k, *v))
            .collect();
        const AGG_COLS: usize = 7;
        for chunk in delta.chunks(MAX_PARAMS / AGG_COLS) {
            let sql = format!(
                "INSERT INTO agg_daily (metric, gemeente, domein, day, team, category, value) VALUES {} \
                 ON CONFLICT (metric, gemeente, domein, day, team, category) DO UPDATE SET value = agg_daily.value + excluded.value",
                values_placeholders(dialect_of(tx), chunk.len(), AGG_COLS, 1)
            );
            let mut q = sqlx::query(&sql);
            for (k, v) in chunk {
                q = q
                    .bind(&k.metric)
                    .bind(&k.dims.gemeente)
                    .bind(k.dims.domein.as_str())
                    .bind(k.day.to_string())
                    .bind(k.dims.team.clone().unwrap_or_default())
                    .bind(&k.category)
                    .bind(*v);
            }
            q.execute(&mut **tx).await?;
        }

        delete_keys(tx, "leadtime_samples", &self.sample_keys).await?;
        const SAMPLE_COLS: usize = 7;
        for chunk in self.samples.chunks(MAX_PARAMS / SAMPLE_COLS) {
            let sql = format!(
                "INSERT INTO leadtime_samples (key, measure, gemeente, domein, team, day, days) VALUES {}",
                values_placeholders(dialect_of(tx), chunk.len(), SAMPLE_COLS, 1)
            );
            let mut q = sqlx::query(&sql);
            for (key, s) in chunk {
                q = q
                    .bind(key)
                    .bind(&s.measure)
                    .bind(&s.dims.gemeente)
                    .bind(s.dims.domein.as_str())
                    .bind(s.dims.team.clone().unwrap_or_default())
                    .bind(s.day.to_string())
                    .bind(s.days);
            }
            q.execute(&mut **tx).await?;
        }

        delete_keys(tx, "open_cases", &self.open_deletes).await?;
        for chunk in self.open_upserts.chunks(MAX_PARAMS / 5) {
            let sql = format!(
                "INSERT INTO open_cases (key, gemeente, domein, team, body) VALUES {} \
                 ON CONFLICT (key) DO UPDATE SET gemeente = excluded.gemeente, domein = excluded.domein, team = excluded.team, body = excluded.body",
                values_placeholders(dialect_of(tx), chunk.len(), 5, 1)
            );
            let mut q = sqlx::query(&sql);
            for (key, c) in chunk {
                q = q
                    .bind(key)
                    .bind(&c.gemeente)
                    .bind(c.domein.as_str())
                    .bind(c.team.clone().unwrap_or_default())
                    .bind(serde_json::to_string(c).expect("serializes"));
            }
            q.execute(&mut **tx).await?;
        }

        delete_keys(tx, "po_monitor", &self.po_deletes).await?;
        for chunk in self.po_upserts.chunks(MAX_PARAMS / 4) {
            let sql = format!(
                "INSERT INTO po_monitor (key, gemeente, domein, body) VALUES {} \
                 ON CONFLICT (key) DO UPDATE SET gemeente = excluded.gemeente, domein = excluded.domein, body = excluded.body",
                values_placeholders(dialect_of(tx), chunk.len(), 4, 1)
            );
            let mut q = sqlx::query(&sql);
            for (key, p) in chunk {
                q = q
                    .bind(key)
                    .bind(&p.gemeente)
                    .bind(p.domein.as_str())
                    .bind(serde_json::to_string(p).expect("serializes"));
            }
            q.execute(&mut **tx).await?;
        }

        delete_keys(tx, "key_facts", &self.fact_deletes).await?;
        for chunk in self.fact_upserts.chunks(MAX_PARAMS / 2) {
            let sql = format!(
                "INSERT INTO key_facts (key, facts) VALUES {} ON CONFLICT (key) DO UPDATE SET facts = excluded.facts",
                values_placeholders(dialect_of(tx), chunk.len(), 2, 1)
            );
            let mut q = sqlx::query(&sql);
            for (k, f) in chunk {
                q = q.bind(k).bind(f);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }
}
