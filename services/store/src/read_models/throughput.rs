//! Throughput (spec §3.1): the daily counts in `agg_daily`, per metric,
//! gemeente, domein, day, team and category. The other count-based read models
//! (workload, the monitor) read them too, through [`Store::daily_counts`].

use std::collections::BTreeMap;

use caseflow_core::fact::{CountKey, Facts};
use caseflow_core::throughput::{self, ThroughputQuery, ThroughputRow};
use sqlx::{Any, Row, Transaction};

use crate::sql::{dims_from_row, insert_rows, list_placeholders, parse_day, Val};
use crate::{timings, Store, StoreError};

/// The count differences of a batch, summed per count.
#[derive(Default)]
pub(crate) struct Changes {
    delta: BTreeMap<CountKey, f64>,
}

impl Changes {
    pub fn record(&mut self, old: &Facts, new: &Facts) {
        for (k, v) in new.delta_from(old) {
            *self.delta.entry(k).or_insert(0.0) += v;
        }
    }

    /// Add the differences to the stored counts.
    pub async fn write(&self, tx: &mut Transaction<'_, Any>) -> Result<(), StoreError> {
        let t0 = std::time::Instant::now();
        let rows: Vec<Vec<Val>> = self
            .delta
            .iter()
            .filter(|(_, v)| **v != 0.0)
            .map(|(k, v)| {
                vec![
                    Val::Str(&k.metric),
                    Val::Str(&k.dims.gemeente),
                    Val::Str(k.dims.domein.as_str()),
                    Val::Text(k.day.to_string()),
                    Val::Str(k.dims.team.as_deref().unwrap_or_default()),
                    Val::Str(&k.category),
                    Val::F64(*v),
                ]
            })
            .collect();
        insert_rows(
            tx,
            "agg_daily",
            &[("metric", "text"), ("gemeente", "text"), ("domein", "text"), ("day", "text"), ("team", "text"), ("category", "text"), ("value", "double precision")],
            &rows,
            "ON CONFLICT (metric, gemeente, domein, day, team, category) DO UPDATE SET value = agg_daily.value + excluded.value",
        )
        .await?;
        timings::record("write: agg_daily", t0);
        Ok(())
    }
}

impl Store {
    /// Daily counts of the given metrics within the query's filter.
    pub async fn daily_counts(&self, metrics: &[&str], q: &ThroughputQuery) -> Result<Vec<(CountKey, f64)>, StoreError> {
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
                let day: String = r.try_get("day")?;
                Ok((
                    CountKey { dims: dims_from_row(&r)?, day: parse_day(&day)?, metric: r.try_get("metric")?, category: r.try_get("category")? },
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
