//! The council monitor's read model (spec §3.5): what it reads per gemeente and
//! domein — the daily counts, lead-time samples, PO timelines and its own per-key
//! facts — handed to the pure core, which computes and suppresses the cells.

use std::collections::HashMap;

use caseflow_core::event::Domein;
use caseflow_core::fact::{Facts, ProjectionKey};
use caseflow_core::leadtime::{Sample, MEASURES};
use caseflow_core::monitor::{self, MonitorFact, MonitorReport, MonitorRequest, Source, COUNT_METRICS};
use caseflow_core::period::Granularity;
use caseflow_core::throughput::ThroughputQuery;
use caseflow_core::workload;
use chrono::{DateTime, Utc};
use sqlx::{Any, Row, Transaction};

use super::keyed::{Changes, Table};
use crate::events::parse_stored;
use crate::sql::parse_day;
use crate::{Store, StoreError};

pub(crate) const TABLE: Table = Table { name: "monitor_facts", columns: &["gemeente", "domein"], timing: "write: monitor_facts" };

pub(crate) fn record(changes: &mut Changes, key: &str, old: &Facts, new: &Facts) {
    changes.record(key, old.monitor.as_ref(), new.monitor.as_ref(), |m: &MonitorFact| {
        vec![m.gemeente().to_string(), m.domein().as_str().to_string()]
    });
}

/// Add the stored monitor facts of `keys` to their facts.
pub(crate) async fn load(tx: &mut Transaction<'_, Any>, keys: &[String], out: &mut HashMap<ProjectionKey, Facts>) -> Result<(), StoreError> {
    TABLE.load(tx, keys, out, |f, m: MonitorFact| f.monitor = Some(m)).await
}

/// What the monitor reads of one gemeente and domein.
struct Loaded {
    counts: Vec<(caseflow_core::fact::CountKey, f64)>,
    samples: Vec<Sample>,
    facts: Vec<MonitorFact>,
    po: Vec<caseflow_core::overdue_po::PoTimeline>,
}

impl Store {
    /// The monitor report for `req`, made at `now`. A gemeente without data or a
    /// period after the data is a [`StoreError::Param`].
    pub async fn monitor(&self, req: &MonitorRequest, now: DateTime<Utc>) -> Result<MonitorReport, StoreError> {
        let t0 = std::time::Instant::now();
        let staffing = self.formatie().await?;
        let mut extent = self.workload_extent().await?;
        extent.add_staffing(&staffing);
        tracing::debug!(seconds = t0.elapsed().as_secs_f64(), "monitor: staffing and extent");
        // The gemeenten are read side by side (each on its own connection), and
        // their JSON is parsed on the runtime's worker threads at once.
        let t0 = std::time::Instant::now();
        let periods = req.periods();
        let days = (
            periods.iter().map(|p| p.start).min().expect("a report has periods"),
            periods.iter().map(|p| p.peildatum()).max().expect("a report has periods"),
        );
        let tasks: Vec<_> = req
            .gemeenten
            .iter()
            .map(|g| {
                let (store, g, d) = (self.clone(), g.clone(), req.domein);
                tokio::spawn(async move { store.monitor_load(&g, d, days).await })
            })
            .collect();
        let mut loaded = Vec::with_capacity(tasks.len());
        for t in tasks {
            loaded.push(t.await.map_err(|e| StoreError::Open(format!("a monitor read stopped: {e}")))??);
        }
        tracing::debug!(seconds = t0.elapsed().as_secs_f64(), "monitor: read the gemeenten");
        let sources: Vec<Source> = req
            .gemeenten
            .iter()
            .zip(&loaded)
            .map(|(g, l)| Source {
                gemeente: g,
                domein: req.domein,
                counts: &l.counts,
                samples: &l.samples,
                facts: &l.facts,
                po: &l.po,
                staffing: &staffing,
                extent: &extent,
            })
            .collect();
        let t0 = std::time::Instant::now();
        let report = monitor::build(req, &sources, &self.config, now)?;
        tracing::debug!(seconds = t0.elapsed().as_secs_f64(), "monitor: computed the cells");
        Ok(report)
    }

    /// The monitor facts in the filter, by key.
    pub async fn monitor_facts(&self, gemeente: Option<&str>, domein: Option<&str>) -> Result<Vec<MonitorFact>, StoreError> {
        TABLE.select(&self.pool, gemeente, domein).await
    }

    /// `days`: the first and last day of the report's periods.
    async fn monitor_load(&self, gemeente: &str, domein: Domein, days: (chrono::NaiveDate, chrono::NaiveDate)) -> Result<Loaded, StoreError> {
        let mut metrics: Vec<&str> = COUNT_METRICS.to_vec();
        metrics.extend(workload::WINDOW_METRICS);
        metrics.push(workload::WL_OPEN);
        metrics.sort_unstable();
        metrics.dedup();
        let q = ThroughputQuery {
            granularity: Granularity::Day,
            gemeente: Some(gemeente.to_string()),
            domein: Some(domein.as_str().to_string()),
            by_team: true,
            from: None,
            to: None,
        };
        let t0 = std::time::Instant::now();
        let counts = self.daily_counts(&metrics, &q).await?;
        let t1 = std::time::Instant::now();
        // Lead times count in the period of their end day: only the periods' days.
        let samples = self.samples_of(MEASURES, gemeente, domein, days).await?;
        let t2 = std::time::Instant::now();
        let facts = TABLE.select_unordered(&self.pool, gemeente, domein.as_str()).await?;
        let t3 = std::time::Instant::now();
        let po = super::po::TABLE.select_unordered(&self.pool, gemeente, domein.as_str()).await?;
        tracing::debug!(
            gemeente,
            counts = (t1 - t0).as_secs_f64(),
            samples = (t2 - t1).as_secs_f64(),
            facts = (t3 - t2).as_secs_f64(),
            po = t3.elapsed().as_secs_f64(),
            "monitor: read one gemeente"
        );
        Ok(Loaded { counts, samples, facts, po })
    }

    /// The gemeenten with meldingen in `domein`, and the last day with any, for
    /// choosing a default report (the dashboard's link).
    pub async fn monitor_scope(&self, domein: Domein) -> Result<(Vec<String>, Option<chrono::NaiveDate>), StoreError> {
        let rows = sqlx::query(
            "SELECT gemeente, MAX(day) AS last_day FROM agg_daily WHERE metric = $1 AND domein = $2 AND value <> 0 GROUP BY gemeente ORDER BY gemeente",
        )
        .bind(caseflow_core::throughput::MELDINGEN)
        .bind(domein.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut gemeenten = Vec::new();
        let mut last: Option<chrono::NaiveDate> = None;
        for r in rows {
            gemeenten.push(r.try_get::<String, _>("gemeente")?);
            let d: String = r.try_get("last_day")?;
            let d = parse_day(&d)?;
            last = Some(last.map_or(d, |l| l.max(d)));
        }
        Ok((gemeenten, last))
    }

    /// The report for `req` from a scan of the whole log: every event read and
    /// folded afresh by the in-memory reference model, ignoring the read models.
    /// Slow (the whole log in memory); for checking the read model and as the
    /// benchmark's baseline.
    pub async fn monitor_from_log(&self, req: &MonitorRequest, now: DateTime<Utc>) -> Result<MonitorReport, StoreError> {
        let rows = sqlx::query("SELECT body FROM events ORDER BY seq").fetch_all(&self.pool).await?;
        let mut log = caseflow_core::model::MemoryLog::new();
        for r in rows {
            let body: String = r.try_get(0)?;
            if let Some(e) = parse_stored(&body)? {
                log.offer(e);
            }
        }
        Ok(monitor::report_from_log(&log, req, &self.config, now)?)
    }
}
