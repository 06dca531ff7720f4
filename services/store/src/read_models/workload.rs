//! Workload per FTE (spec §3.3): computed at query time from the daily counts
//! ([`super::throughput`]) and the staffing read model kept here.
//!
//! Staffing: the effective `formatie.vastgesteld` events, one row per event in
//! `formatie` (key: the event id; body: the event as stored in the log).
//! Staffing events belong to no case, so they have no projection key: the
//! engine hands every batch to [`staffing_changes`], which rewrites the staffing
//! events whose effectiveness the batch can change.

use caseflow_core::event::EventType;
use caseflow_core::period::Granularity;
use caseflow_core::throughput::ThroughputQuery;
use caseflow_core::workload::{self, Formatie, WorkloadQuery, WorkloadReport};
use caseflow_core::Event;
use sqlx::{Any, Row, Transaction};

use super::keyed::{Changes, Table};
use crate::events::{effective, parse_stored};
use crate::sql::{fetch_pairs, parse_day, parse_domein};
use crate::{Store, StoreError};

pub(crate) const TABLE: Table = Table { name: "formatie", columns: &["gemeente", "domein"], timing: "write: formatie" };

/// The staffing rows a batch of `fresh` events (all in the log, up to seq `end`)
/// changes: its own staffing events, and the targets of its corrections two
/// levels deep (a correction of a correction restores the first target), are
/// each deleted and written again when effective in the log up to `end`, as
/// [`effective`] decides. A batch without either reads nothing.
pub(crate) async fn staffing_changes(tx: &mut Transaction<'_, Any>, fresh: &[Event], end: i64) -> Result<Changes, StoreError> {
    let mut changes = Changes::default();
    let mut candidates: Vec<String> =
        fresh.iter().filter(|e| e.event_type() == EventType::FormatieVastgesteld).map(|e| e.event_id.to_string()).collect();
    let targets: Vec<String> = fresh.iter().filter_map(|e| e.retracts()).map(|t| t.to_string()).collect();
    if !targets.is_empty() {
        let sql = format!("SELECT retracts, event_id FROM events WHERE seq <= {end} AND retracts IS NOT NULL AND event_id IN");
        candidates.extend(fetch_pairs(tx, &sql, &targets).await?.into_iter().map(|(t, _)| t));
        candidates.extend(targets);
    }
    if candidates.is_empty() {
        return Ok(changes);
    }
    let sql = format!("SELECT event_id, body FROM events WHERE seq <= {end} AND event_type = 'formatie.vastgesteld' AND event_id IN");
    let bodies = fetch_pairs(tx, &sql, &candidates).await?;
    for (id, _) in &bodies {
        changes.delete(id.clone());
    }
    let stored: std::collections::HashMap<String, String> = bodies.iter().cloned().collect();
    for e in effective(tx, bodies, Some(end)).await? {
        let id = e.event_id.to_string();
        changes.upsert(id.clone(), vec![e.gemeente.clone(), e.domein.as_str().to_string()], stored[&id].clone());
    }
    Ok(changes)
}

impl Store {
    /// The effective staffing events (withdrawn ones left out), by event id.
    pub async fn formatie(&self) -> Result<Vec<Formatie>, StoreError> {
        let mut out = Vec::new();
        for body in TABLE.bodies(&self.pool, None, None).await? {
            out.extend(parse_stored(&body)?.as_ref().and_then(Formatie::from_event));
        }
        Ok(out)
    }

    /// Workload per FTE (spec §3.3) per team and week, with the window summary.
    /// The window is clamped to the weeks with data ([`workload::Extent`]), and only
    /// the counts of that window are read, so the work is bounded by the data
    /// whatever the request.
    pub async fn workload(&self, q: &WorkloadQuery) -> Result<WorkloadReport, StoreError> {
        let staffing = self.formatie().await?;
        let mut extent = self.workload_extent().await?;
        extent.add_staffing(&staffing);
        let mut counts = Vec::new();
        if let Some((from, to)) = extent.window(q) {
            let window = ThroughputQuery {
                granularity: Granularity::Day,
                gemeente: q.gemeente.clone(),
                domein: q.domein.clone(),
                by_team: true,
                from: Some(from),
                to: Some(to + chrono::Duration::days(6)),
            };
            counts = self.daily_counts(workload::WINDOW_METRICS, &window).await?;
            let open = ThroughputQuery { from: None, ..window.clone() };
            counts.extend(self.daily_counts(&[workload::WL_OPEN], &open).await?);
        }
        Ok(workload::report_within(counts.iter().map(|(k, v)| (k, *v)), &staffing, q, &self.config, &extent))
    }

    /// The days with data of every gemeente, domein and team in the daily counts.
    pub(crate) async fn workload_extent(&self) -> Result<workload::Extent, StoreError> {
        let rows = sqlx::query(
            "SELECT gemeente, domein, team, MIN(day) AS first_day, MAX(day) AS last_day \
             FROM agg_daily WHERE value <> 0 GROUP BY gemeente, domein, team",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut extent = workload::Extent::default();
        for r in &rows {
            let gemeente: String = r.try_get("gemeente")?;
            let domein: String = r.try_get("domein")?;
            let team: String = r.try_get("team")?;
            let (first, last): (String, String) = (r.try_get("first_day")?, r.try_get("last_day")?);
            extent.add_days(&gemeente, parse_domein(&domein)?, (!team.is_empty()).then_some(team.as_str()), parse_day(&first)?, parse_day(&last)?);
        }
        Ok(extent)
    }
}
