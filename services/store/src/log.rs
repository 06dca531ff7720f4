//! The append-only event log and the dead-letter store.

use std::collections::{HashMap, HashSet};

use caseflow_core::model::{admit, conflict_reason, same_scope, Admission};
use caseflow_core::event::{mask_bsn, mask_bsn_text};
use caseflow_core::access::Within;
use caseflow_core::Event;
use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::sql::{dialect_of, fetch_in, keep_prepared, unnest_from, values_placeholders, Columns, MAX_PARAMS};
use crate::{Store, StoreError};

/// One line of input as it arrived, with where it came from (e.g. `line 17`).
#[derive(Debug, Clone)]
pub struct Incoming {
    pub position: String,
    pub raw: Vec<u8>,
}

/// A rejected line: where, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    /// Index of the line in the appended batch.
    #[serde(skip)]
    pub index: usize,
    pub position: String,
    /// Short machine-readable kind: invalid_json, missing_field, unknown_field, invalid_value, bsn, conflict, forbidden.
    pub kind: String,
    pub reason: String,
}

/// What an append did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AppendReport {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    #[serde(skip)]
    pub rejections: Vec<Rejected>,
    /// Highest log sequence number written (0 when nothing was appended).
    #[serde(skip)]
    pub last_seq: i64,
    /// The events appended, for a projection in the same transaction (empty
    /// once the append is committed on its own).
    #[serde(skip)]
    pub(crate) fresh: Vec<Event>,
    /// Valid events (accepted or duplicate) per event type.
    #[serde(skip)]
    pub valid_by_type: std::collections::BTreeMap<&'static str, u64>,
}

impl AppendReport {
    pub fn absorb(&mut self, other: AppendReport) {
        self.accepted += other.accepted;
        self.duplicates += other.duplicates;
        self.rejected += other.rejected;
        self.rejections.extend(other.rejections);
        self.last_seq = self.last_seq.max(other.last_seq);
        for (t, n) in other.valid_by_type {
            *self.valid_by_type.entry(t).or_default() += n;
        }
    }
}

/// A stored dead letter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    pub id: i64,
    pub received_at: String,
    pub source: String,
    pub position: String,
    pub kind: String,
    pub reason: String,
    pub event_id: Option<String>,
    /// The stored bytes as text (invalid UTF-8 shown as U+FFFD).
    pub raw: String,
    /// The stored bytes exactly, base64 (standard alphabet, padded).
    pub raw_base64: String,
    /// Size in bytes of the whole rejected input.
    pub raw_size: i64,
    /// SHA-256 (hex) of the whole rejected input with any BSN masked; absent
    /// for dead letters stored before it was kept.
    pub raw_sha256: Option<String>,
    /// True when only the first [`MAX_DEAD_LETTER_BYTES`] bytes are stored.
    pub raw_truncated: bool,
}

/// The most bytes of a rejected line the dead-letter store keeps; the size and
/// hash of the whole line are kept beside them.
pub const MAX_DEAD_LETTER_BYTES: usize = 64 * 1024;

/// What the dead-letter store keeps of rejected bytes: no BSN (masked in every
/// form the validation detects), at most [`MAX_DEAD_LETTER_BYTES`], with the
/// size and SHA-256 of the whole masked input. The hash is of the masked bytes,
/// so it cannot be used to recover a masked BSN by trying candidates.
struct StoredRaw {
    bytes: Vec<u8>,
    size: i64,
    sha256: String,
}

impl StoredRaw {
    fn of(raw: &[u8]) -> StoredRaw {
        use sha2::{Digest, Sha256};
        let mut bytes = mask_bsn(raw);
        let sha256 = format!("{:x}", Sha256::digest(&bytes));
        bytes.truncate(MAX_DEAD_LETTER_BYTES);
        StoredRaw { bytes, size: raw.len() as i64, sha256 }
    }
}

struct DeadRow {
    /// Index in the batch, to keep dead letters in input order.
    index: usize,
    position: String,
    kind: &'static str,
    reason: String,
    event_id: Option<String>,
    raw: Vec<u8>,
}

pub(crate) fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn utc_text(e: &Event) -> String {
    e.occurred_at.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Store {
    /// Validate and append a batch of input lines in one transaction. Valid new
    /// events go to the log, repeats are counted, everything else goes to the
    /// dead-letter store with its reason, bytes and position.
    pub async fn append(&self, source: &str, batch: Vec<Incoming>) -> Result<AppendReport, StoreError> {
        self.append_within(source, batch, &Within::All).await
    }

    /// [`Store::append`] for a producer limited to some gemeenten: a valid event
    /// of any other gemeente becomes a dead letter of kind `forbidden` (its
    /// bytes kept like any rejected line), while the rest of the batch goes on.
    pub async fn append_within(&self, source: &str, batch: Vec<Incoming>, gemeenten: &Within) -> Result<AppendReport, StoreError> {
        let mut batch = Prepared::new(batch);
        batch.forbid_outside(gemeenten);
        let _guard = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        crate::events::lock_log(&mut tx).await?;
        let mut report = append_in(&mut tx, source, batch).await?;
        tx.commit().await?;
        report.fresh = Vec::new();
        Ok(report)
    }

    /// Dead letters, oldest first (or newest first).
    pub async fn dead_letters(&self, limit: i64, newest_first: bool) -> Result<Vec<DeadLetter>, StoreError> {
        let order = if newest_first { "DESC" } else { "ASC" };
        let rows = sqlx::query(&format!(
            "SELECT id, received_at, source, position, kind, reason, event_id, raw, raw_size, raw_sha256 FROM dead_letters ORDER BY id {order} LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                use base64::Engine;
                let raw: Vec<u8> = r.try_get("raw")?;
                let raw_size = r.try_get::<Option<i64>, _>("raw_size")?.unwrap_or(raw.len() as i64);
                Ok(DeadLetter {
                    id: r.try_get("id")?,
                    received_at: r.try_get("received_at")?,
                    source: r.try_get("source")?,
                    position: r.try_get("position")?,
                    kind: r.try_get("kind")?,
                    reason: r.try_get("reason")?,
                    event_id: r.try_get("event_id")?,
                    raw: String::from_utf8_lossy(&raw).into_owned(),
                    raw_base64: base64::engine::general_purpose::STANDARD.encode(&raw),
                    raw_size,
                    raw_sha256: r.try_get("raw_sha256")?,
                    raw_truncated: raw_size > raw.len() as i64,
                })
            })
            .collect()
    }

    /// Number of dead letters.
    pub async fn dead_letter_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM dead_letters").fetch_one(&self.pool).await?.try_get("n")?)
    }

    /// Number of events in the log.
    pub async fn event_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM events").fetch_one(&self.pool).await?.try_get("n")?)
    }
}

/// A batch of input lines, parsed and validated, each valid event with its
/// canonical body: the CPU part of an append, no database. `caseflow ingest`
/// prepares the next batch on another thread while the current one is written.
pub struct Prepared {
    valid: Vec<(usize, Incoming, Event, String)>,
    invalid: Vec<DeadRow>,
}

impl Prepared {
    pub fn new(batch: Vec<Incoming>) -> Prepared {
        let t0 = std::time::Instant::now();
        let mut valid = Vec::with_capacity(batch.len());
        let mut invalid = Vec::new();
        for (index, inc) in batch.into_iter().enumerate() {
            match Event::from_json_bytes(&inc.raw) {
                Ok(e) => {
                    let body = e.canonical_json();
                    valid.push((index, inc, e, body));
                }
                Err(err) => invalid.push(DeadRow { index, position: inc.position, kind: err.kind(), reason: err.to_string(), event_id: None, raw: inc.raw }),
            }
        }
        crate::timings::record("prepare: parse, validate", t0);
        Prepared { valid, invalid }
    }

    /// Turn every valid event of a gemeente outside `gemeenten` into a
    /// `forbidden` rejection.
    pub fn forbid_outside(&mut self, gemeenten: &Within) {
        if matches!(gemeenten, Within::All) {
            return;
        }
        let (kept, forbidden): (Vec<_>, Vec<_>) = std::mem::take(&mut self.valid)
            .into_iter()
            .partition(|(_, _, e, _)| gemeenten.allows(&e.gemeente));
        self.valid = kept;
        for (index, inc, e, _) in forbidden {
            self.invalid.push(DeadRow {
                index,
                position: inc.position,
                kind: "forbidden",
                reason: format!(
                    "gemeente {} is outside this producer's scope ({}); send its events with a token for that gemeente",
                    e.gemeente,
                    gemeenten.text()
                ),
                event_id: Some(e.event_id.to_string()),
                raw: inc.raw,
            });
        }
        self.invalid.sort_by_key(|d| d.index);
    }

    /// Keep only the lines whose index in the batch passes `keep`.
    pub(crate) fn retain_lines(&mut self, keep: impl Fn(usize) -> bool) {
        self.valid.retain(|(i, ..)| keep(*i));
        self.invalid.retain(|d| keep(d.index));
    }

    /// Number of input lines.
    pub fn len(&self) -> usize {
        self.valid.len() + self.invalid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Vec<Incoming>> for Prepared {
    fn from(batch: Vec<Incoming>) -> Prepared {
        Prepared::new(batch)
    }
}

const EVENT_COLUMNS: &str = "event_id, event_type, occurred_at, gemeente, domein, case_id, beschikking_id, retracts, body, source, position, received_at";

/// What [`append_pg`] or [`append_sqlite`] did: the highest seq and number of
/// rows it appended, and every offered id that the log already held, with its
/// stored body where the statement read it (`None`: PostgreSQL, when another
/// transaction appended it after the statement's snapshot was taken; SQLite,
/// always).
#[derive(Default)]
struct Appended {
    last_seq: i64,
    appended: u64,
    existing: Vec<(String, Option<String>)>,
}

/// The append statement on PostgreSQL, over an input `r(event_id, …, position, ord)`
/// given by `input` and with the source and reception time at parameters
/// `source` and `source + 1`: insert in input order, skip ids already in the log
/// (`ON CONFLICT DO NOTHING`: the unique index finds them while inserting, no
/// separate lookup of every id), and return one row with the highest seq and the
/// count, plus one row per skipped id with its stored body. The body is read in
/// the statement's snapshot, which does not hold the rows the statement inserts,
/// so it is the earlier event's.
fn append_pg_sql(input: &str, source: usize) -> String {
    format!(
        "WITH r AS MATERIALIZED (SELECT * FROM {input}), \
         ins AS (INSERT INTO events ({EVENT_COLUMNS}) \
           SELECT r.event_id, r.event_type, r.occurred_at, r.gemeente, r.domein, NULLIF(r.case_id, ''), NULLIF(r.beschikking_id, ''), \
                  NULLIF(r.retracts, ''), r.body, ${source}, r.position, ${} \
           FROM r ORDER BY r.ord ON CONFLICT (event_id) DO NOTHING RETURNING seq, event_id) \
         SELECT (SELECT MAX(seq) FROM ins) AS seq, (SELECT COUNT(*) FROM ins) AS n, NULL::text AS event_id, NULL::text AS body \
         UNION ALL \
         SELECT NULL, NULL, r.event_id, (SELECT e.body FROM events e WHERE e.event_id = r.event_id) \
         FROM r WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.event_id = r.event_id)",
        source + 1
    )
}

/// Append on PostgreSQL: one text parameter per column, split and zipped by
/// `unnest` in input order (see [`crate::sql::Columns`]; one small statement to
/// parse and plan instead of one with 12 parameters per event). Absent ids travel
/// as empty strings. `offered` holds each id once.
async fn append_pg(tx: &mut Transaction<'_, Any>, source: &str, received_at: &str, offered: &[(&Incoming, &Event, &str)]) -> Result<Appended, StoreError> {
    const NAMES: [&str; 10] = ["event_id", "event_type", "occurred_at", "gemeente", "domein", "case_id", "beschikking_id", "retracts", "body", "position"];
    let mut cols = Columns::new(NAMES.len(), offered.len());
    let opt = |u: Option<uuid::Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
    for (inc, e, body) in offered {
        cols.push(0, &e.event_id.to_string());
        cols.push(1, e.event_type().as_str());
        cols.push(2, &utc_text(e));
        cols.push(3, &e.gemeente);
        cols.push(4, e.domein.as_str());
        cols.push(5, &opt(e.case_id));
        cols.push(6, &opt(e.beschikking_id()));
        cols.push(7, &opt(e.retracts()));
        cols.push(8, body);
        cols.push(9, &inc.position);
    }
    if !cols.plain() {
        return append_pg_json(tx, source, received_at, offered).await;
    }
    let sql = append_pg_sql(&unnest_from(&NAMES, 1), NAMES.len() + 1);
    let rows = cols.bind_to(sqlx::query(&sql).persistent(false)).bind(source).bind(received_at).fetch_all(&mut **tx).await?;
    pg_appended(rows)
}

fn pg_appended(rows: Vec<sqlx::any::AnyRow>) -> Result<Appended, StoreError> {
    let mut out = Appended::default();
    for row in rows {
        match row.try_get::<Option<String>, _>("event_id")? {
            Some(id) => out.existing.push((id, row.try_get("body")?)),
            None => {
                out.last_seq = row.try_get::<Option<i64>, _>("seq")?.unwrap_or(0);
                out.appended = row.try_get::<i64, _>("n")? as u64;
            }
        }
    }
    Ok(out)
}

/// [`append_pg`] for a batch where some value holds the column separator: the
/// whole batch as one JSON parameter, expanded by `json_to_recordset`.
async fn append_pg_json(tx: &mut Transaction<'_, Any>, source: &str, received_at: &str, offered: &[(&Incoming, &Event, &str)]) -> Result<Appended, StoreError> {
    #[derive(Serialize)]
    struct Row<'a> {
        event_id: String,
        event_type: &'a str,
        occurred_at: String,
        gemeente: &'a str,
        domein: &'a str,
        case_id: Option<String>,
        beschikking_id: Option<String>,
        retracts: Option<String>,
        body: &'a str,
        position: &'a str,
    }
    let rows: Vec<Row> = offered
        .iter()
        .map(|(inc, e, body)| Row {
            event_id: e.event_id.to_string(),
            event_type: e.event_type().as_str(),
            occurred_at: utc_text(e),
            gemeente: &e.gemeente,
            domein: e.domein.as_str(),
            case_id: e.case_id.map(|c| c.to_string()),
            beschikking_id: e.beschikking_id().map(|b| b.to_string()),
            retracts: e.retracts().map(|r| r.to_string()),
            body,
            position: &inc.position,
        })
        .collect();
    let json = serde_json::to_string(&rows).map_err(|e| StoreError::Corrupt(format!("encoding the batch: {e}")))?;
    let input = "ROWS FROM (json_to_recordset($1::json) AS (event_id text, event_type text, occurred_at text, gemeente text, domein text, \
                case_id text, beschikking_id text, retracts text, body text, position text)) WITH ORDINALITY \
                AS r(event_id, event_type, occurred_at, gemeente, domein, case_id, beschikking_id, retracts, body, position, ord)";
    let sql = append_pg_sql(input, 2);
    let rows = sqlx::query(&sql).persistent(false).bind(json).bind(source).bind(received_at).fetch_all(&mut **tx).await?;
    pg_appended(rows)
}

/// Append on SQLite: multi-row `INSERT OR IGNORE` in input order (an id the log
/// holds is skipped by the unique index). Where a statement appended fewer rows
/// than it was given, the ids it did append are read back (one row: the rows
/// above the log's end before it) and the others are reported as skipped.
/// `offered` holds each id once. OR IGNORE also means a statement that cannot
/// abort half way, which needs no statement journal (SQLite would otherwise copy
/// every page the insert touches). A skipped row can use up a `seq` value, as
/// PostgreSQL's sequence does: `seq` orders the log, it does not count it.
async fn append_sqlite(tx: &mut Transaction<'_, Any>, source: &str, received_at: &str, offered: &[(&Incoming, &Event, &str)]) -> Result<Appended, StoreError> {
    const EVENT_COLS: usize = 12;
    let mut out = Appended::default();
    let mut end = crate::events::log_end(tx).await?;
    for chunk in offered.chunks(MAX_PARAMS / EVENT_COLS) {
        let sql = format!("INSERT OR IGNORE INTO events ({EVENT_COLUMNS}) VALUES {}", values_placeholders(crate::Dialect::Sqlite, chunk.len(), EVENT_COLS, 1));
        let mut q = sqlx::query(&sql).persistent(keep_prepared(chunk.len(), MAX_PARAMS / EVENT_COLS));
        for (inc, e, body) in chunk {
            q = q
                .bind(e.event_id.to_string())
                .bind(e.event_type().as_str())
                .bind(utc_text(e))
                .bind(&e.gemeente)
                .bind(e.domein.as_str())
                .bind(e.case_id.map(|c| c.to_string()))
                .bind(e.beschikking_id().map(|b| b.to_string()))
                .bind(e.retracts().map(|r| r.to_string()))
                .bind(*body)
                .bind(source)
                .bind(&inc.position)
                .bind(received_at);
        }
        let inserted = q.execute(&mut **tx).await?.rows_affected();
        if inserted < chunk.len() as u64 {
            let ids: Option<String> = sqlx::query(&format!("SELECT group_concat(event_id, ' ') AS ids FROM events WHERE seq > {end}"))
                .persistent(false)
                .fetch_one(&mut **tx)
                .await?
                .try_get("ids")?;
            let ids = ids.unwrap_or_default();
            let appended: HashSet<&str> = ids.split(' ').filter(|s| !s.is_empty()).collect();
            if appended.len() as u64 != inserted {
                return Err(StoreError::Corrupt(format!("{inserted} events were appended, {} read back", appended.len())));
            }
            out.existing.extend(chunk.iter().map(|(_, e, _)| e.event_id.to_string()).filter(|id| !appended.contains(id.as_str())).map(|id| (id, None)));
        }
        if inserted > 0 {
            // The highest seq written (sqlx's Any driver does not pass SQLite's last rowid on).
            end = sqlx::query("SELECT last_insert_rowid() AS seq").fetch_one(&mut **tx).await?.try_get("seq")?;
            out.last_seq = end;
        }
        out.appended += inserted;
    }
    Ok(out)
}

/// Add the stored body of every id in `ids` that the log holds to `known`.
/// Dead-letter every correction whose target is known (in the log or the
/// batch) and belongs to another gemeente or domein: no producer may withdraw
/// another's events. A correction that arrives before its target is kept, and
/// the projection ignores it if the target turns out to be foreign.
async fn refuse_foreign_retractions(
    tx: &mut Transaction<'_, Any>,
    parsed: Vec<(usize, Incoming, Event, String)>,
    dead: &mut Vec<DeadRow>,
) -> Result<Vec<(usize, Incoming, Event, String)>, StoreError> {
    let targets: Vec<String> = parsed.iter().filter_map(|(_, _, e, _)| e.retracts()).map(|t| t.to_string()).collect();
    if targets.is_empty() {
        return Ok(parsed);
    }
    let mut scope: HashMap<String, (String, String)> = HashMap::new();
    for r in fetch_in(tx, "SELECT event_id, gemeente, domein FROM events WHERE event_id IN", &targets).await? {
        scope.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?));
    }
    for (_, _, e, _) in &parsed {
        scope.entry(e.event_id.to_string()).or_insert_with(|| (e.gemeente.clone(), e.domein.as_str().to_string()));
    }
    let mut kept = Vec::with_capacity(parsed.len());
    for (index, inc, e, body) in parsed {
        let target = e.retracts().map(|t| t.to_string());
        match target.as_ref().and_then(|t| scope.get(t)) {
            Some((g, d)) if !same_scope(&e, g, d) => dead.push(DeadRow {
                index,
                position: inc.position,
                kind: "forbidden",
                reason: format!(
                    "event.ingetrokken of {}/{} cannot withdraw event {}: it is not an event of that gemeente and domein; a correction must come from the producer of the event it withdraws",
                    e.gemeente,
                    e.domein,
                    target.unwrap_or_default()
                ),
                event_id: Some(e.event_id.to_string()),
                raw: inc.raw,
            }),
            _ => kept.push((index, inc, e, body)),
        }
    }
    Ok(kept)
}

async fn stored_bodies(tx: &mut Transaction<'_, Any>, ids: &[String], known: &mut HashMap<String, String>) -> Result<(), StoreError> {
    for row in crate::sql::fetch_in(tx, "SELECT event_id, body FROM events WHERE event_id IN", ids).await? {
        known.insert(row.try_get("event_id")?, row.try_get("body")?);
    }
    Ok(())
}

pub(crate) async fn append_in(tx: &mut Transaction<'_, Any>, source: &str, batch: Prepared) -> Result<AppendReport, StoreError> {
    let t0 = std::time::Instant::now();
    let mut report = AppendReport::default();
    let Prepared { valid: parsed, invalid: mut dead } = batch;
    let parsed = refuse_foreign_retractions(tx, parsed, &mut dead).await?;
    let received_at = now_text();
    // What the log already holds for these ids. Both databases append first
    // (each id once, at its first occurrence in the batch; an id the log holds is
    // skipped by its unique index, no separate lookup of every id) and report the
    // ids they skipped; the admission below then comes to the same verdicts as
    // with a lookup first, and accepts exactly the rows the statement appended
    // (checked).
    let mut seen = HashSet::new();
    let offered: Vec<(&Incoming, &Event, &str)> =
        parsed.iter().filter(|(_, _, e, _)| seen.insert(e.event_id)).map(|(_, inc, e, body)| (inc, e, body.as_str())).collect();
    let Appended { last_seq, appended, existing } = match dialect_of(tx) {
        _ if offered.is_empty() => Appended::default(),
        crate::Dialect::Postgres => append_pg(tx, source, &received_at, &offered).await?,
        crate::Dialect::Sqlite => append_sqlite(tx, source, &received_at, &offered).await?,
    };
    crate::timings::record("append: insert", t0);
    let t0 = std::time::Instant::now();
    let (read, unseen): (Vec<_>, Vec<_>) = existing.into_iter().partition(|(_, body)| body.is_some());
    let mut known: HashMap<String, String> = read.into_iter().filter_map(|(id, body)| Some((id, body?))).collect();
    // PostgreSQL: appended by a transaction that committed after the
    // statement's snapshot; SQLite: every skipped id.
    let unseen: Vec<String> = unseen.into_iter().map(|(id, _)| id).collect();
    stored_bodies(tx, &unseen, &mut known).await?;

    let mut fresh: Vec<(Incoming, Event, String)> = Vec::new();
    for (index, inc, e, body) in parsed {
        let id = e.event_id.to_string();
        let admission = admit(known.get(&id).map(String::as_str), &e);
        if admission != Admission::Conflict {
            *report.valid_by_type.entry(e.event_type().as_str()).or_default() += 1;
        }
        match admission {
            Admission::Accepted => {
                known.insert(id, body.clone());
                fresh.push((inc, e, body));
            }
            Admission::Duplicate => report.duplicates += 1,
            Admission::Conflict => dead.push(DeadRow {
                index,
                position: inc.position,
                kind: "conflict",
                reason: conflict_reason(&e.event_id),
                event_id: Some(id),
                raw: inc.raw,
            }),
        }
    }

    crate::timings::record("append: duplicates", t0);
    if appended != fresh.len() as u64 {
        return Err(StoreError::Corrupt(format!("{appended} events were appended for {} accepted", fresh.len())));
    }
    report.last_seq = last_seq;
    report.accepted = appended;
    report.fresh = fresh.into_iter().map(|(_, e, _)| e).collect();

    dead.sort_by_key(|d| d.index);
    for d in &mut dead {
        // A reason may echo input; it is stored and served, so no BSN in it either.
        d.reason = mask_bsn_text(&d.reason);
    }
    report.rejected = dead.len() as u64;
    const DEAD_COLS: usize = 9;
    for chunk in dead.chunks(MAX_PARAMS / DEAD_COLS) {
        // A repeat (same source, position and content) is stored once.
        let sql = format!(
            "INSERT INTO dead_letters (received_at, source, position, kind, reason, event_id, raw, raw_size, raw_sha256) VALUES {} ON CONFLICT DO NOTHING",
            values_placeholders(dialect_of(tx), chunk.len(), DEAD_COLS, 1)
        );
        let mut q = sqlx::query(&sql).persistent(false);
        for d in chunk {
            // No BSN may enter caseflow, not even in the dead-letter store.
            let raw = StoredRaw::of(&d.raw);
            q = q
                .bind(&received_at)
                .bind(source)
                .bind(&d.position)
                .bind(d.kind)
                .bind(&d.reason)
                .bind(&d.event_id)
                .bind(raw.bytes)
                .bind(raw.size)
                .bind(raw.sha256);
        }
        q.execute(&mut **tx).await?;
    }
    report.rejections =
        dead.into_iter().map(|d| Rejected { index: d.index, position: d.position, kind: d.kind.to_string(), reason: d.reason }).collect();
    Ok(report)
}
