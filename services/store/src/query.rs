//! Read-model queries.

use caseflow_core::event::Domein;
use caseflow_core::fact::{CountKey, Dims};
use caseflow_core::throughput::{self, ThroughputQuery, ThroughputRow};
use sqlx::Row;

use crate::sql::list_placeholders;
use crate::{Store, StoreError};

impl Store {
    /// Daily counts of the given metrics within the query's filter.
    pub async fn daily_counts(&self, metrics: &[&str], q: &ThroughputQuery) -> Result<Vec<(CountKey, f64)>, StoreError> {
        let mut sql = format!(
            "SELECT metric, gemeente, domein, day, team, category, value FROM agg_daily WHERE metric IN ({})",
            list_placeholders(metrics.len(), 1)
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
                            domein: Domein::parse(&domein).ok_or_else(|| StoreError::Corrupt(format!("domein `{domein}`")))?,
                            team: (!team.is_empty()).then_some(team),
                        },
                        day: day.parse().map_err(|_| StoreError::Corrupt(format!("day `{day}`")))?,
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
