//! Read-model queries.

use caseflow_core::event::Domein;
use caseflow_core::fact::{CountKey, Dims};
use caseflow_core::leadtime::{self, LeadtimeQuery, LeadtimeRow, OpenCase, OpenCaseRow, Sample};
use caseflow_core::model::sample_order;
use caseflow_core::overdue_po::{self, PoFilter, PoReport, PoStatus, PoTimeline};
use caseflow_core::period::Granularity;
use caseflow_core::throughput::{self, ThroughputQuery, ThroughputRow};
use caseflow_core::workload::{self, Formatie, WorkloadQuery, WorkloadReport};
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::project::effective;
use crate::sql::list_placeholders;
use crate::{Store, StoreError};

impl Store {
    /// Daily counts of the given metrics within the query's filter.
    pub async fn daily_counts(
        &self,
        metrics: &[&str],
        q: &ThroughputQuery,
    ) -> Result<Vec<(CountKey, f64)>, StoreError> {
        let mut sql = format!(
            "SELECT metric, gemeente, domein, day, team, category, value FROM agg_daily WHERE metric IN ({})",
            list_placeholders(self.dialect, metrics.len(), 1)
        );
        let mut n = metrics.len();
        let mut binds: Vec<String> = Vec::new();
        let mut filter = |col: &str, op: &str, v: String, sql: &mut String| {
            n += 1;
            sql.push_str(&format!(" AND {col} {op} ${n}"));
            binds.push(v);
        };
        if let Some(g) = &q.gemeente {
            filter("gemeente", "=", g.clone(), &mut sql);
        }
        if let Some(d) = &q.domein {
            filter("domein", "=", d.clone(), &mut sql);
        }
        if let Some(f) = q.from {
            filter("day", ">=", f.to_string(), &mut sql);
        }
        if let Some(t) = q.to {
            filter("day", "<=", t.to_string(), &mut sql);
        }
        let mut query = sqlx::query(&sql);
        for m in metrics {
            query = query.bind(*m);
        }
        for b in binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|r| {
                let domein: String = r.try_get("domein")?;
                let day: String = r.try_get("day")?;
                let team: String = r.try_get("team")?;
                Ok((
                    CountKey {
                        dims: Dims {
                            gemeente: r.try_get("gemeente")?,
                            domein: Domein::parse(&domein)
                                .ok_or_else(|| StoreError::Corrupt(format!("domein `{domein}`")))?,
                            team: (!team.is_empty()).then_some(team),
                        },
                        day: day
                            .parse()
                            .map_err(|_| StoreError::Corrupt(format!("day `{day}`")))?,
                        metric: r.try_get("metric")?,
                        category: r.try_get("category")?,
                    },
                    r.try_get::<f64, _>("value")?,
                ))
            })
            .collect()
    }

    /// The throughput model (spec §3.1) for a query.
    pub async fn throughput(&self, q: &ThroughputQuery) -> Result<Vec<ThroughputRow>, StoreError> {
        let counts = self.daily_counts(throughput::METRICS, q).await?;
        Ok(throughput::rows(counts.iter().map(|(k, v)| (k, *v)), q))
    }
}

impl Store {
    /// Lead-time rows (spec §3.2); percentiles from the stored durations.
    pub async fn leadtime(&self, q: &LeadtimeQuery) -> Result<Vec<LeadtimeRow>, StoreError> {
        let mut sql = String::from(
            "SELECT measure, gemeente, domein, team, day, days FROM leadtime_samples WHERE 1 = 1",
        );
        let mut binds: Vec<String> = Vec::new();
        let mut filter = |cond: &str, v: String| {
            binds.push(v);
            sql.push_str(&format!(" AND {cond} ${}", binds.len()));
        };
        if let Some(m) = &q.measure {
            filter("measure =", m.clone());
        }
        if let Some(g) = &q.gemeente {
            filter("gemeente =", g.clone());
        }
        if let Some(d) = &q.domein {
            filter("domein =", d.clone());
        }
        if let Some(f) = q.from {
            filter("day >=", f.to_string());
        }
        if let Some(t) = q.to {
            filter("day <=", t.to_string());
        }
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        let samples: Vec<Sample> = query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| sample_from_row(&r))
            .collect::<Result<_, StoreError>>()?;
        Ok(leadtime::rows(&samples, q, &self.config))
    }

    /// Every stored lead-time sample (for tests and exports), in a canonical order.
    pub async fn leadtime_samples(&self) -> Result<Vec<Sample>, StoreError> {
        let rows =
            sqlx::query("SELECT measure, gemeente, domein, team, day, days FROM leadtime_samples")
                .fetch_all(&self.pool)
                .await?;
        let mut out: Vec<Sample> = rows
            .into_iter()
            .map(|r| sample_from_row(&r))
            .collect::<Result<_, StoreError>>()?;
        out.sort_by(sample_order);
        Ok(out)
    }

    /// The effective staffing events (withdrawn ones left out).
    pub async fn formatie(&self) -> Result<Vec<Formatie>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let bodies: Vec<(String, String)> = sqlx::query(
            "SELECT event_id, body FROM events WHERE event_type = 'formatie.vastgesteld'",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, StoreError>>()?;
        let events = effective(&mut tx, bodies, None).await?;
        tx.commit().await?;
        Ok(events.iter().filter_map(Formatie::from_event).collect())
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
            let open = ThroughputQuery {
                from: None,
                ..window.clone()
            };
            counts.extend(self.daily_counts(&[workload::WL_OPEN], &open).await?);
        }
        Ok(workload::report_within(
            counts.iter().map(|(k, v)| (k, *v)),
            &staffing,
            q,
            &self.config,
            &extent,
        ))
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
        let day = |r: &sqlx::any::AnyRow, col: &str| -> Result<chrono::NaiveDate, StoreError> {
            let d: String = r.try_get(col)?;
            d.parse()
                .map_err(|_| StoreError::Corrupt(format!("day `{d}`")))
        };
        for r in &rows {
            let gemeente: String = r.try_get("gemeente")?;
            let domein: String = r.try_get("domein")?;
            let team: String = r.try_get("team")?;
            let domein = Domein::parse(&domein)
                .ok_or_else(|| StoreError::Corrupt(format!("domein `{domein}`")))?;
            extent.add_days(
                &gemeente,
                domein,
                (!team.is_empty()).then_some(team.as_str()),
                day(r, "first_day")?,
                day(r, "last_day")?,
            );
        }
        Ok(extent)
    }

    /// Monitored beschikkingen (spec §3.4) in the filter.
    pub async fn po_timelines(
        &self,
        gemeente: Option<&str>,
        domein: Option<&str>,
    ) -> Result<Vec<PoTimeline>, StoreError> {
        let rows = self.bodies("po_monitor", gemeente, domein).await?;
        rows.into_iter()
            .map(|b| {
                serde_json::from_str(&b)
                    .map_err(|e| StoreError::Corrupt(format!("po_monitor: {e}")))
            })
            .collect()
    }

    /// The overdue-PO model at `as_of`.
    pub async fn po(
        &self,
        gemeente: Option<&str>,
        domein: Option<&str>,
        as_of: DateTime<Utc>,
        status: Option<PoStatus>,
    ) -> Result<PoReport, StoreError> {
        self.po_filtered(
            gemeente,
            domein,
            as_of,
            &PoFilter {
                status,
                ..PoFilter::default()
            },
        )
        .await
    }

    /// The overdue-PO model at `as_of`, narrowed by team, status and list length.
    pub async fn po_filtered(
        &self,
        gemeente: Option<&str>,
        domein: Option<&str>,
        as_of: DateTime<Utc>,
        f: &PoFilter,
    ) -> Result<PoReport, StoreError> {
        let timelines = self.po_timelines(gemeente, domein).await?;
        Ok(overdue_po::report_for(&timelines, as_of, &self.config, f))
    }

    /// The open cases, most urgent deadline first.
    pub async fn open_cases(
        &self,
        gemeente: Option<&str>,
        domein: Option<&str>,
        team: Option<&str>,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<OpenCaseRow>, StoreError> {
        let rows = self.bodies("open_cases", gemeente, domein).await?;
        let mut out: Vec<OpenCaseRow> = Vec::with_capacity(rows.len());
        for b in rows {
            let c: OpenCase = serde_json::from_str(&b)
                .map_err(|e| StoreError::Corrupt(format!("open_cases: {e}")))?;
            if team.is_some_and(|t| c.team.as_deref() != Some(t)) || c.started_at > as_of {
                continue;
            }
            out.push(leadtime::open_case_row(&c, as_of, &self.config));
        }
        out.sort_by(|a, b| {
            let key = |r: &OpenCaseRow| r.days_left.unwrap_or(f64::INFINITY);
            key(a)
                .total_cmp(&key(b))
                .then(b.age_days.total_cmp(&a.age_days))
                .then(a.case_id.cmp(&b.case_id))
        });
        Ok(out)
    }

    pub(crate) async fn bodies(
        &self,
        table: &str,
        gemeente: Option<&str>,
        domein: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let mut sql = format!("SELECT body FROM {table} WHERE 1 = 1");
        let mut binds = Vec::new();
        for (col, v) in [("gemeente", gemeente), ("domein", domein)] {
            if let Some(v) = v {
                binds.push(v.to_string());
                sql.push_str(&format!(" AND {col} = ${}", binds.len()));
            }
        }
        sql.push_str(" ORDER BY key");
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b);
        }
        q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
    }
}

pub(crate) fn sample_from_row(r: &sqlx::any::AnyRow) -> Result<Sample, StoreError> {
    let domein: String = r.try_get("domein")?;
    let team: String = r.try_get("team")?;
    let day: String = r.try_get("day")?;
    Ok(Sample {
        measure: r.try_get("measure")?,
        dims: Dims {
            gemeente: r.try_get("gemeente")?,
            domein: Domein::parse(&domein)
                .ok_or_else(|| StoreError::Corrupt(format!("domein `{domein}`")))?,
            team: (!team.is_empty()).then_some(team),
        },
        day: day
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("day `{day}`")))?,
        days: r.try_get("days")?,
    })
}
