//! Reading the log: stored events parsed back, the withdrawals that decide
//! which of them count ([`effective`]), the log's end, and the advisory locks
//! that order appends and projections across processes. Shared by the append
//! path, the projection engine and the read models; depends only on [`crate::sql`].

use std::collections::{HashMap, HashSet};

use caseflow_core::model::withdrawn_ids;
use caseflow_core::Event;
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use crate::sql::{dialect_of, fetch_in};
use crate::{Dialect, StoreError};

/// Key of the PostgreSQL advisory lock every projection transaction takes ([`lock_projection`]).
const PROJECTION_LOCK: i64 = 0x6361_7365_666c_6f77; // "caseflow"
/// Key of the PostgreSQL advisory lock every append takes ([`lock_log`]).
const LOG_LOCK: i64 = 0x6361_7365_6c6f_6721; // "caselog!"

/// One projecting writer at a time across processes: on PostgreSQL every
/// projection transaction (source batches, ingest, catch-up) takes the projection
/// advisory lock first, so each reads what the previous one committed and computes
/// the read-model differences from current facts. (SQLite has one writer anyway.)
pub(crate) async fn lock_projection(tx: &mut Transaction<'_, Any>) -> Result<(), StoreError> {
    if dialect_of(tx) == Dialect::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(PROJECTION_LOCK).execute(&mut **tx).await?;
    }
    Ok(())
}

/// One appender at a time across processes: on PostgreSQL every transaction that
/// appends to the log takes the log's advisory lock before it reads the log's
/// end, and keeps it to its commit. Sequence numbers are therefore committed in
/// order: a reader that sees seq `n` sees every event below it, so a
/// checkpoint never passes an event still to be committed. Appends do not wait
/// for projections (a source batch is appended while the previous one is
/// projected); a transaction that takes both locks takes the projection lock
/// first. (SQLite has one writer anyway.)
pub(crate) async fn lock_log(tx: &mut Transaction<'_, Any>) -> Result<(), StoreError> {
    if dialect_of(tx) == Dialect::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(LOG_LOCK).execute(&mut **tx).await?;
    }
    Ok(())
}

/// An event as stored in the log (it was validated when it was appended).
/// A stored event, or `None` for one that the validation of today rejects (a
/// database written before a rule was added: a year 0000, a control character).
/// Such an event stays in the log but counts in no read model, with a warning,
/// rather than stopping every projection; a body that is not JSON is corruption.
pub(crate) fn parse_stored(body: &str) -> Result<Option<Event>, StoreError> {
    match Event::from_json_bytes(body.as_bytes()) {
        Ok(e) => Ok(Some(e)),
        Err(err @ caseflow_core::ValidationError::Json(_)) => Err(StoreError::Corrupt(format!("stored event: {err}"))),
        Err(err) => {
            tracing::warn!(reason = %err, "a stored event fails today's validation; it counts in no read model");
            Ok(None)
        }
    }
}

/// The highest seq in the log (0 when empty).
pub(crate) async fn log_end(conn: &mut sqlx::AnyConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM events").fetch_one(&mut *conn).await?.try_get(0)?)
}

pub(crate) fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|_| StoreError::Corrupt(format!("`{s}` in the log is not a UUID")))
}

/// Parse stored `(event_id, body)` rows and drop the ones withdrawn by a
/// correction in the log (up to seq `end`, when given: the log as one projection
/// batch sees it, whatever was appended after the batch). A correction counts
/// only for an event of its own gemeente and domein, as in
/// [`caseflow_core::model::may_withdraw`].
pub(crate) async fn effective(tx: &mut Transaction<'_, Any>, bodies: Vec<(String, String)>, end: Option<i64>) -> Result<Vec<Event>, StoreError> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut events = Vec::with_capacity(bodies.len());
    for (id, body) in bodies {
        if seen.insert(id) {
            events.extend(parse_stored(&body)?);
        }
    }
    let mut scope: HashMap<Uuid, (String, String)> =
        events.iter().map(|e| (e.event_id, (e.gemeente.clone(), e.domein.as_str().to_string()))).collect();
    let sql = format!("SELECT event_id, retracts, gemeente, domein FROM events WHERE {}retracts IN", end.map(|e| format!("seq <= {e} AND ")).unwrap_or_default());
    let mut pairs: Vec<(Uuid, Uuid)> = Vec::new();
    // Two levels: the corrections of these events, and the corrections of those.
    let mut frontier: Vec<String> = seen.into_iter().collect();
    for _ in 0..2 {
        let mut next = Vec::new();
        for r in fetch_in(tx, &sql, &frontier).await? {
            let (id, target) = (parse_uuid(&r.try_get::<String, _>(0)?)?, parse_uuid(&r.try_get::<String, _>(1)?)?);
            let own: (String, String) = (r.try_get(2)?, r.try_get(3)?);
            if scope.get(&target) == Some(&own) {
                pairs.push((id, target));
            }
            scope.insert(id, own);
            next.push(id.to_string());
        }
        frontier = next;
    }
    let withdrawn: HashSet<Uuid> = withdrawn_ids(pairs);
    events.retain(|e| !withdrawn.contains(&e.event_id));
    Ok(events)
}

