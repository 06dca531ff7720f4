//! The projection engine: applies the log to the read models in batches.
//!
//! Per batch, in one transaction: take the new events (read after the checkpoint,
//! or just appended by a source batch), find the projection keys they touch,
//! recompute those keys' facts from all their effective events, write the
//! difference to the read models, and move the checkpoint. A batch touches each
//! affected row once. Each read model (`crate::read_models`) records and writes
//! its own part of the difference ([`Writes`]) and reads back its own part of
//! the facts last written; staffing events, which have no projection key, go to
//! the staffing read model directly.
//!
//! The projector keeps, per projection key, the facts it last wrote (what
//! `key_facts` holds) and, for a case, its effective events, in a bounded cache
//! (see [`crate::cache`]); a key not in the cache is loaded from the log and
//! `key_facts`. The cache is only trusted while the database's projection token
//! is the one this process wrote last: any other writer of the read models (a
//! second projector process, a rebuild) changes the token and empties it.

use std::collections::{BTreeSet, HashMap, HashSet};

use caseflow_core::config::Config;
use caseflow_core::fact::{facts_for, Facts, ProjectionKey};
use caseflow_core::Event;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use crate::cache::KeyCache;
use crate::events::{effective, lock_log, lock_projection, log_end, parse_stored, parse_uuid};
use crate::log::{append_in, AppendReport, Prepared};
use crate::read_models::{self, keyed, leadtime, monitor, open_cases, po, terms, throughput, workload};
use crate::sql::{execute_in, fetch_in, fetch_pairs, insert_rows, Val};
use crate::{timings, Store, StoreError};

pub(crate) const EMBEDDED: &str = "embedded";


/// The checkpoint row holding the token of the last projection transaction.
const TOKEN: &str = "projection_token";

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
        let mut cache = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        lock_projection(&mut tx).await?;
        let start = batch_start(&mut tx, EMBEDDED).await?;
        let from = start.position(0);
        let rows = sqlx::query("SELECT seq, body FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(from)
            .bind(batch_size as i64)
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            return Ok(ProjectReport::default());
        }
        let mut last = from;
        let mut fresh = Vec::with_capacity(rows.len());
        for r in &rows {
            last = last.max(r.try_get::<i64, _>("seq")?);
            let body: String = r.try_get("body")?;
            fresh.extend(parse_stored(&body)?);
        }
        drop(rows);
        let n = fresh.len() as u64;
        let result = async {
            let keys = project_events(&mut tx, &mut cache, fresh, Start::Checkpoint(from), last, start.token, &self.config).await?;
            let token = store_positions(&mut tx, &[(EMBEDDED, 0, last)]).await?;
            let t0 = std::time::Instant::now();
            tx.commit().await?;
            timings::record("commit", t0);
            Ok::<_, StoreError>((keys, token))
        }
        .await;
        match result {
            Ok((keys, token)) => {
                cache.committed(token);
                Ok(ProjectReport { events: n, keys, batches: 1 })
            }
            Err(e) => {
                cache.clear();
                Err(e)
            }
        }
    }

    /// Append a batch of input lines and, when the embedded projector is at the
    /// end of the log, project them in the same transaction (the events are not
    /// read back and parsed again). Otherwise only append; [`Store::project_pending`]
    /// projects them.
    pub async fn ingest_batch(&self, source: &str, batch: impl Into<Prepared>) -> Result<AppendReport, StoreError> {
        let batch = batch.into();
        let mut cache = self.write_lock.lock().await;
        let mut tx = self.pool.begin().await?;
        let result = async {
            lock_projection(&mut tx).await?;
            lock_log(&mut tx).await?;
            let start = batch_start(&mut tx, EMBEDDED).await?;
            let (at, end) = (start.position(0), start.log_end);
            let mut report = append_in(&mut tx, source, batch).await?;
            let fresh = std::mem::take(&mut report.fresh);
            let mut token = None;
            if at == end && !fresh.is_empty() {
                project_events(&mut tx, &mut cache, fresh, Start::LogEnd(end), report.last_seq, start.token, &self.config).await?;
                token = Some(store_positions(&mut tx, &[(EMBEDDED, 0, report.last_seq)]).await?);
            }
            let t0 = std::time::Instant::now();
            tx.commit().await?;
            timings::record("commit", t0);
            Ok::<_, StoreError>((report, token))
        }
        .await;
        match result {
            Ok((report, token)) => {
                if let Some(t) = token {
                    cache.committed(t);
                }
                Ok(report)
            }
            Err(e) => {
                cache.clear();
                Err(e)
            }
        }
    }

    /// Throw the read models away and recompute them from the log.
    pub async fn rebuild(&self, batch_size: usize) -> Result<ProjectReport, StoreError> {
        self.reset_read_models().await?;
        self.project_pending(batch_size).await
    }

    /// Empty the read models and rewind the embedded projector to the log's start.
    pub async fn reset_read_models(&self) -> Result<(), StoreError> {
        let mut cache = self.write_lock.lock().await;
        cache.clear();
        let mut tx = self.pool.begin().await?;
        for table in std::iter::once("key_facts").chain(read_models::TABLES) {
            sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
        }
        // Dropping the token empties every other process's cache as well.
        sqlx::query("DELETE FROM checkpoints WHERE name = $1 OR name = $2").bind(EMBEDDED).bind(TOKEN).execute(&mut *tx).await?;
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
        Ok((at, log_end(&mut conn).await?))
    }
}

/// What a projection transaction reads first (after taking the projection lock).
pub(crate) struct BatchStart {
    /// The checkpoint rows of the projector's name: part → position.
    pub positions: std::collections::BTreeMap<i64, i64>,
    /// The projection token of the last projection transaction.
    pub token: Option<i64>,
    /// The highest seq in the log this transaction sees (0 when empty).
    pub log_end: i64,
}

impl BatchStart {
    pub fn position(&self, part: i64) -> i64 {
        self.positions.get(&part).copied().unwrap_or(0)
    }
}

/// The checkpoints of `name`, the projection token and the log's end, in one statement.
pub(crate) async fn batch_start(tx: &mut Transaction<'_, Any>, name: &str) -> Result<BatchStart, StoreError> {
    let rows = sqlx::query(
        "SELECT name, part, position FROM checkpoints WHERE name = $1 OR (name = $2 AND part = 0) \
         UNION ALL SELECT NULL, 0, COALESCE(MAX(seq), 0) FROM events",
    )
    .bind(name)
    .bind(TOKEN)
    .fetch_all(&mut **tx)
    .await?;
    let mut start = BatchStart { positions: Default::default(), token: None, log_end: 0 };
    for r in rows {
        let position: i64 = r.try_get(2)?;
        match r.try_get::<Option<String>, _>(0)? {
            None => start.log_end = position,
            Some(n) if n == name => {
                start.positions.insert(r.try_get(1)?, position);
            }
            Some(_) => start.token = Some(position),
        }
    }
    Ok(start)
}

/// Empty the cache unless the database's projection token (`stored`, read by
/// [`batch_start`]) is the one this process wrote last (another process
/// projected in between, or a rebuild).
fn check_token(stored: Option<i64>, cache: &mut KeyCache) {
    if stored.is_none() || stored != cache.token() {
        cache.clear();
    }
}

/// Store the positions a projection transaction has reached, as (checkpoint
/// name, part, position), and a fresh token, in one statement. Returns the
/// token; the cache takes it on commit.
pub(crate) async fn store_positions(tx: &mut Transaction<'_, Any>, positions: &[(&str, i64, i64)]) -> Result<i64, StoreError> {
    let token = (Uuid::new_v4().as_u64_pair().0 >> 1) as i64;
    let rows: Vec<(&str, i64, i64)> = positions.iter().copied().chain([(TOKEN, 0, token)]).collect();
    write_checkpoints(tx, &rows, false).await?;
    Ok(token)
}

/// Write checkpoint rows (name, part, position) in one statement; with `raise`
/// a stored position is only ever raised, never lowered.
pub(crate) async fn write_checkpoints(conn: &mut sqlx::AnyConnection, rows: &[(&str, i64, i64)], raise: bool) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let d = crate::sql::dialect_of(conn);
    let set = if raise {
        "CASE WHEN excluded.position > checkpoints.position THEN excluded.position ELSE checkpoints.position END"
    } else {
        "excluded.position"
    };
    let sql = format!(
        "INSERT INTO checkpoints (name, part, position) VALUES {} ON CONFLICT (name, part) DO UPDATE SET position = {set}",
        crate::sql::values_placeholders(d, rows.len(), 3, 1)
    );
    let mut q = sqlx::query(&sql).persistent(false);
    for (name, part, position) in rows.iter().copied() {
        q = q.bind(name).bind(part).bind(position);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// The keys whose effective events change when `targets` are withdrawn (or,
/// for a withdrawn correction, restored).
async fn keys_of_retracted(tx: &mut Transaction<'_, Any>, targets: Vec<String>, end: i64) -> Result<BTreeSet<ProjectionKey>, StoreError> {
    let mut keys = BTreeSet::new();
    let mut frontier = targets;
    // Two levels: the target, and the target of a withdrawn correction.
    for _ in 0..2 {
        let mut next = Vec::new();
        let sql = format!("SELECT case_id, beschikking_id, retracts FROM events WHERE seq <= {end} AND event_id IN");
        for r in fetch_in(tx, &sql, &frontier).await? {
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
        frontier = next;
    }
    Ok(keys)
}

/// Where a batch's fresh events start in the log (every fresh event is above it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// The log's end before the fresh events were appended, used only where the
    /// projection's checkpoint (read under the projection lock) is this position.
    /// Every projecting transaction holds that lock, projects the log in order
    /// and moves the checkpoint to the end of what it projected, so every
    /// projected event is at or below this position: a key with no event up to
    /// here has never been projected and has no stored facts to read.
    LogEnd(i64),
    /// The embedded projector's checkpoint (catch-up). Stored facts are always
    /// read: unlike [`Start::LogEnd`], the checkpoint is not taken to bound what
    /// was projected (a database whose source batches were projected without
    /// moving it holds projected events above it).
    Checkpoint(i64),
}

impl Start {
    fn seq(self) -> i64 {
        match self {
            Start::LogEnd(s) | Start::Checkpoint(s) => s,
        }
    }
}

/// What a load reads of the log: up to the batch's end (its fresh events
/// included), or up to the batch's [`Start`] (the fresh events are added from
/// memory). Never beyond the batch's end: appends go on while a batch projects
/// (they take the log lock, not the projection lock), and a batch must see the
/// log as it was when its events were appended.
#[derive(Debug, Clone, Copy)]
enum Upto {
    End(i64),
    Start(Start),
}

impl Upto {
    fn seq(self) -> i64 {
        match self {
            Upto::End(e) => e,
            Upto::Start(s) => s.seq(),
        }
    }
}

/// A key with no event in what is read has no stored facts when the log is
/// read up to the batch's end, or up to the log's end before the batch: every
/// projected event is at or below the projection's checkpoint (see [`Start`]).
fn only_logged_have_facts(upto: Upto) -> bool {
    match upto {
        Upto::End(_) => true,
        Upto::Start(s) => matches!(s, Start::LogEnd(_)),
    }
}

/// `seq <= … AND `: the part of the log a load reads.
fn up_to(upto: Upto) -> String {
    format!("seq <= {} AND ", upto.seq())
}

/// Project `fresh` (events just appended, or read after the checkpoint; all of
/// them already in the log): recompute the facts of every key they affect and
/// write the difference. Returns the number of keys recomputed. On error the
/// caller must empty the cache (it may be half updated).
///
/// `start` is a log position below every fresh event (the log's end before the
/// append, or the checkpoint the batch starts after), `end` the highest seq of
/// the batch: nothing appended after it is read. A key that is not cached
/// is loaded from the log up to `start`, and the fresh events are added from
/// memory: they are neither read back nor parsed again, and a key new to the log
/// costs one empty index probe. (Keys a correction touches are reloaded whole.)
/// Old facts come from the stored read models (skipped only for keys that
/// cannot have any, see [`Start::LogEnd`]), so the difference written is right
/// whatever another writer appended meanwhile.
pub(crate) async fn project_events(
    tx: &mut Transaction<'_, Any>,
    cache: &mut KeyCache,
    fresh: Vec<Event>,
    start: Start,
    end: i64,
    stored_token: Option<i64>,
    config: &Config,
) -> Result<u64, StoreError> {
    let t0 = std::time::Instant::now();
    check_token(stored_token, cache);
    cache.tick();
    if fresh.is_empty() {
        return Ok(0);
    }

    // Keys whose effective events change other than by an added event: those of
    // the events a correction withdraws (or restores), and those of new events
    // that an earlier correction already withdrew. They are reloaded from the log.
    let targets: Vec<String> = fresh.iter().filter_map(|e| e.retracts()).map(|t| t.to_string()).collect();
    let mut reload = keys_of_retracted(tx, targets, end).await?;
    let ids: Vec<String> = fresh.iter().map(|e| e.event_id.to_string()).collect();
    let sql = format!("SELECT retracts, retracts FROM events WHERE seq <= {end} AND retracts IN");
    let withdrawn_new: HashSet<String> = fetch_pairs(tx, &sql, &ids).await?.into_iter().map(|(t, _)| t).collect();
    if !withdrawn_new.is_empty() {
        for e in &fresh {
            if withdrawn_new.contains(&e.event_id.to_string()) {
                reload.extend(ProjectionKey::of(e));
            }
        }
    }
    for k in &reload {
        cache.remove(k);
    }
    let staffing = workload::staffing_changes(tx, &fresh, end).await?;

    // Cases: load the missing ones (the log already holds the new events), add
    // the new events to the cached ones.
    let mut case_keys: BTreeSet<Uuid> = fresh.iter().filter_map(|e| e.case_id).collect();
    case_keys.extend(reload.iter().filter_map(|k| if let ProjectionKey::Case(c) = k { Some(*c) } else { None }));
    let mut fresh_by_case: HashMap<Uuid, Vec<Event>> = HashMap::new();
    let mut besch_keys: BTreeSet<Uuid> = BTreeSet::new();
    let mut new_besch_cases: Vec<(Uuid, Uuid)> = Vec::new();
    for e in fresh {
        if let Some(b) = e.beschikking_id() {
            besch_keys.insert(b);
            if let Some(c) = e.case_id {
                new_besch_cases.push((b, c));
            }
        }
        if let Some(c) = e.case_id {
            fresh_by_case.entry(c).or_default().push(e);
        }
    }
    let (reloaded, missing): (Vec<Uuid>, Vec<Uuid>) =
        case_keys.iter().filter(|c| !cache.has_case(c)).partition(|c| reload.contains(&ProjectionKey::Case(**c)));
    timings::record("project: corrections, cache", t0);
    let t0 = std::time::Instant::now();
    // Reloaded keys: every event in the log, the fresh ones included.
    load_cases(tx, cache, &reloaded, Upto::End(end), end).await?;
    for c in &reloaded {
        fresh_by_case.remove(c);
    }
    load_cases(tx, cache, &missing, Upto::Start(start), end).await?;
    for (c, events) in fresh_by_case {
        for e in events {
            cache.add_event(c, e);
        }
    }
    timings::record("project: load cases", t0);
    let t0 = std::time::Instant::now();

    // Beschikkingen: those of the new events, of the reloaded keys, and of every
    // affected case (whose assignments may have changed).
    besch_keys.extend(reload.iter().filter_map(|k| if let ProjectionKey::Beschikking(b) = k { Some(*b) } else { None }));
    for c in &case_keys {
        besch_keys.extend(cache.beschikkingen_of(c));
    }
    let (reloaded, missing): (Vec<Uuid>, Vec<Uuid>) =
        besch_keys.iter().filter(|b| !cache.has_beschikking(b)).partition(|b| reload.contains(&ProjectionKey::Beschikking(**b)));
    load_beschikkingen(tx, cache, &reloaded, Upto::End(end)).await?;
    load_beschikkingen(tx, cache, &missing, Upto::Start(start)).await?;
    for (b, c) in new_besch_cases {
        cache.add_beschikking_case(b, c);
    }
    // A beschikking's facts need the events of every case it occurs in.
    let mut need: BTreeSet<Uuid> = BTreeSet::new();
    for b in &besch_keys {
        need.extend(cache.cases_of(b).iter().filter(|c| !cache.has_case(c)).copied());
    }
    // (These cases have no fresh events: every case with one is cached by now.)
    let need: Vec<Uuid> = need.into_iter().collect();
    load_cases(tx, cache, &need, Upto::Start(start), end).await?;
    timings::record("project: load beschikkingen", t0);
    let t0 = std::time::Instant::now();

    // New facts, and the difference with the facts last written.
    let mut w = Writes { staffing, ..Writes::default() };
    for c in &case_keys {
        let key = ProjectionKey::Case(*c);
        let new = facts_for(&key, cache.case_events(c));
        let old = cache.replace_facts(&key, new);
        w.add(&key, &old, cache.facts(&key));
    }
    for b in &besch_keys {
        let key = ProjectionKey::Beschikking(*b);
        let events = cache.beschikking_events(b);
        let new = facts_for(&key, &events);
        let old = cache.replace_facts(&key, new);
        w.add(&key, &old, cache.facts(&key));
    }
    timings::record("project: folds, differences", t0);
    let t0 = std::time::Instant::now();
    w.apply(tx).await?;
    timings::record("project: write read models", t0);
    let t0 = std::time::Instant::now();
    if !w.po.changed.is_empty() {
        let changed = w.po.changed.iter().map(|b| (*b, cache.facts(&ProjectionKey::Beschikking(*b)).po.as_ref())).collect();
        crate::alerts::evaluate_in(tx, crate::alerts::Scope::Changed(changed), chrono::Utc::now(), config).await?;
    }
    timings::record("project: alerts, outbox", t0);
    cache.evict();
    Ok((case_keys.len() + besch_keys.len()) as u64)
}

/// Load cases into the cache: their effective events from the log (up to `upto`;
/// withdrawn by the corrections up to the batch's `end`),
/// the facts last written for them ([`stored_facts`]); those only for cases with
/// some event in what was read where [`only_logged_have_facts`] (a case new to
/// the log costs one empty index probe, not four).
async fn load_cases(tx: &mut Transaction<'_, Any>, cache: &mut KeyCache, cases: &[Uuid], upto: Upto, end: i64) -> Result<(), StoreError> {
    if cases.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = cases.iter().map(Uuid::to_string).collect();
    let sql = format!("SELECT event_id, body, case_id FROM events WHERE {}case_id IN", up_to(upto));
    let only_logged = only_logged_have_facts(upto);
    let mut logged: HashSet<String> = HashSet::new();
    let mut bodies = Vec::new();
    for r in fetch_in(tx, &sql, &ids).await? {
        logged.insert(r.try_get(2)?);
        bodies.push((r.try_get(0)?, r.try_get(1)?));
    }
    let mut by_case: HashMap<Uuid, Vec<Event>> = cases.iter().map(|c| (*c, Vec::new())).collect();
    for e in effective(tx, bodies, Some(end)).await? {
        if let Some(v) = e.case_id.and_then(|c| by_case.get_mut(&c)) {
            v.push(e);
        }
    }
    let keys: Vec<ProjectionKey> = cases
        .iter()
        .filter(|c| !only_logged || logged.contains(&c.to_string()))
        .map(|c| ProjectionKey::Case(*c))
        .collect();
    let mut facts = stored_facts(tx, &keys).await?;
    for (c, events) in by_case {
        let f = facts.remove(&ProjectionKey::Case(c)).unwrap_or_default();
        cache.insert_case(c, events, f);
    }
    Ok(())
}

/// Load beschikkingen into the cache: the cases they occur in (up to `upto` in
/// the log), their facts (as for [`load_cases`]).
async fn load_beschikkingen(tx: &mut Transaction<'_, Any>, cache: &mut KeyCache, ids: &[Uuid], upto: Upto) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let text: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let mut cases: HashMap<Uuid, BTreeSet<Uuid>> = ids.iter().map(|b| (*b, BTreeSet::new())).collect();
    let sql = format!("SELECT DISTINCT beschikking_id, case_id FROM events WHERE {}case_id IS NOT NULL AND beschikking_id IN", up_to(upto));
    let only_logged = only_logged_have_facts(upto);
    for (b, c) in fetch_pairs(tx, &sql, &text).await? {
        if let Some(set) = cases.get_mut(&parse_uuid(&b)?) {
            set.insert(parse_uuid(&c)?);
        }
    }
    let keys: Vec<ProjectionKey> = ids
        .iter()
        .filter(|b| !only_logged || cases.get(b).is_some_and(|set| !set.is_empty()))
        .map(|b| ProjectionKey::Beschikking(*b))
        .collect();
    let mut facts = stored_facts(tx, &keys).await?;
    for (b, set) in cases {
        let f = facts.remove(&ProjectionKey::Beschikking(b)).unwrap_or_default();
        cache.insert_beschikking(b, set, f);
    }
    Ok(())
}

/// The facts last written for `keys` (absent keys have none): the counts from
/// `key_facts`, the rest from the read-model rows that hold it already (each
/// read model's `load`), so `key_facts` stores only what no read model keeps
/// per key.
async fn stored_facts(tx: &mut Transaction<'_, Any>, keys: &[ProjectionKey]) -> Result<HashMap<ProjectionKey, Facts>, StoreError> {
    let encoded: Vec<String> = keys.iter().map(ProjectionKey::encode).collect();
    let mut out: HashMap<ProjectionKey, Facts> = HashMap::new();
    for (k, text) in fetch_pairs(tx, "SELECT key, facts FROM key_facts WHERE key IN", &encoded).await? {
        let f: Facts = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("key facts of {k}: {e}")))?;
        out.entry(read_models::decode_key(&k)?).or_default().counts = f.counts;
    }
    leadtime::load(tx, &encoded, &mut out).await?;
    open_cases::load(tx, keys, &mut out).await?;
    po::load(tx, keys, &mut out).await?;
    monitor::load(tx, &encoded, &mut out).await?;
    terms::load(tx, keys, &mut out).await?;
    Ok(out)
}

/// Everything a batch writes, gathered per read model so each table gets a few
/// statements.
#[derive(Default)]
struct Writes {
    throughput: throughput::Changes,
    leadtime: leadtime::Changes,
    open_cases: keyed::Changes,
    po: po::Changes,
    monitor: keyed::Changes,
    staffing: keyed::Changes,
    terms: keyed::Changes,
    /// `key_facts`: the counts per key (upserts as JSON, deletes).
    fact_upserts: Vec<(String, String)>,
    fact_deletes: Vec<String>,
}

impl Writes {
    /// Record what changes for `key` going from `old` to `new` facts.
    fn add(&mut self, key: &ProjectionKey, old: &Facts, new: &Facts) {
        if new == old {
            return;
        }
        let enc = key.encode();
        self.throughput.record(old, new);
        self.leadtime.record(&enc, old, new);
        open_cases::record(&mut self.open_cases, &enc, old, new);
        self.po.record(key, old, new);
        monitor::record(&mut self.monitor, &enc, old, new);
        terms::record(&mut self.terms, &enc, old, new);
        // key_facts keeps the counts only: the rest is in the read models' rows.
        if new.counts != old.counts {
            if new.counts.is_empty() {
                self.fact_deletes.push(enc);
            } else {
                let counts = Facts { counts: new.counts.clone(), ..Facts::default() };
                self.fact_upserts.push((enc, serde_json::to_string(&counts).expect("facts serialize")));
            }
        }
    }

    async fn apply(&self, tx: &mut Transaction<'_, Any>) -> Result<(), StoreError> {
        self.throughput.write(tx).await?;
        self.leadtime.write(tx).await?;
        open_cases::TABLE.write(tx, &self.open_cases).await?;
        po::TABLE.write(tx, &self.po.rows).await?;
        monitor::TABLE.write(tx, &self.monitor).await?;
        workload::TABLE.write(tx, &self.staffing).await?;
        terms::TABLE.write(tx, &self.terms).await?;
        let t0 = std::time::Instant::now();
        execute_in(tx, "DELETE FROM key_facts WHERE key IN", &self.fact_deletes).await?;
        let rows: Vec<Vec<Val>> = self.fact_upserts.iter().map(|(k, f)| vec![Val::Str(k), Val::Str(f)]).collect();
        insert_rows(tx, "key_facts", &[("key", "text"), ("facts", "text")], &rows, "ON CONFLICT (key) DO UPDATE SET facts = excluded.facts").await?;
        timings::record("write: key_facts", t0);
        Ok(())
    }
}
