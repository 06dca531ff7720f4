//! Lead times (spec §3.2): every lead-time sample in `leadtime_samples`, per
//! projection key (a key's samples are replaced whole when they change);
//! percentiles are computed at query time.

use std::collections::HashMap;

use caseflow_core::event::Domein;
use caseflow_core::fact::{Facts, ProjectionKey};
use caseflow_core::leadtime::{self, LeadtimeQuery, LeadtimeRow, Sample};
use caseflow_core::model::sample_order;
use sqlx::{Any, Row, Transaction};

use crate::sql::{dims_from_row, execute_in, fetch_in, insert_rows, list_placeholders, parse_day, Val};
use crate::{timings, Store, StoreError};

const COLUMNS: &str = "measure, gemeente, domein, team, day, days";

/// The keys whose samples changed, and their new samples.
#[derive(Default)]
pub(crate) struct Changes {
    keys: Vec<String>,
    samples: Vec<(String, Sample)>,
}

impl Changes {
    pub fn record(&mut self, key: &str, old: &Facts, new: &Facts) {
        if new.samples != old.samples {
            self.keys.push(key.to_string());
            self.samples.extend(new.samples.iter().map(|s| (key.to_string(), s.clone())));
        }
    }

    /// Replace the samples of every changed key.
    pub async fn write(&self, tx: &mut Transaction<'_, Any>) -> Result<(), StoreError> {
        let t0 = std::time::Instant::now();
        execute_in(tx, "DELETE FROM leadtime_samples WHERE key IN", &self.keys).await?;
        let rows: Vec<Vec<Val>> = self
            .samples
            .iter()
            .map(|(key, smp)| {
                vec![
                    Val::Str(key),
                    Val::Str(&smp.measure),
                    Val::Str(&smp.dims.gemeente),
                    Val::Str(smp.dims.domein.as_str()),
                    Val::Str(smp.dims.team.as_deref().unwrap_or_default()),
                    Val::Text(smp.day.to_string()),
                    Val::F64(smp.days),
                ]
            })
            .collect();
        insert_rows(
            tx,
            "leadtime_samples",
            &[("key", "text"), ("measure", "text"), ("gemeente", "text"), ("domein", "text"), ("team", "text"), ("day", "text"), ("days", "double precision")],
            &rows,
            "",
        )
        .await?;
        timings::record("write: leadtime_samples", t0);
        Ok(())
    }
}

/// Add the stored samples of `keys` to their facts.
pub(crate) async fn load(tx: &mut Transaction<'_, Any>, keys: &[String], out: &mut HashMap<ProjectionKey, Facts>) -> Result<(), StoreError> {
    for r in fetch_in(tx, &format!("SELECT key, {COLUMNS} FROM leadtime_samples WHERE key IN"), keys).await? {
        let k: String = r.try_get("key")?;
        out.entry(super::decode_key(&k)?).or_default().samples.push(sample_from_row(&r)?);
    }
    Ok(())
}

fn sample_from_row(r: &sqlx::any::AnyRow) -> Result<Sample, StoreError> {
    let day: String = r.try_get("day")?;
    Ok(Sample { measure: r.try_get("measure")?, dims: dims_from_row(r)?, day: parse_day(&day)?, days: r.try_get("days")? })
}

impl Store {
    /// Lead-time rows (spec §3.2); percentiles from the stored durations.
    pub async fn leadtime(&self, q: &LeadtimeQuery) -> Result<Vec<LeadtimeRow>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM leadtime_samples WHERE 1 = 1");
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
        let samples: Vec<Sample> = query.fetch_all(&self.pool).await?.iter().map(sample_from_row).collect::<Result<_, StoreError>>()?;
        Ok(leadtime::rows(&samples, q, &self.config))
    }

    /// Every stored lead-time sample (for tests and exports), in a canonical order.
    pub async fn leadtime_samples(&self) -> Result<Vec<Sample>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM leadtime_samples")).fetch_all(&self.pool).await?;
        let mut out: Vec<Sample> = rows.iter().map(sample_from_row).collect::<Result<_, StoreError>>()?;
        out.sort_by(sample_order);
        Ok(out)
    }

    /// The samples of `measures` of one gemeente and domein.
    pub(crate) async fn samples_of(&self, measures: &[&str], gemeente: &str, domein: Domein, days: (chrono::NaiveDate, chrono::NaiveDate)) -> Result<Vec<Sample>, StoreError> {
        let n = measures.len();
        let sql = format!(
            "SELECT {COLUMNS} FROM leadtime_samples WHERE measure IN ({}) AND gemeente = ${} AND domein = ${} AND day >= ${} AND day <= ${}",
            list_placeholders(self.dialect, n, 1),
            n + 1,
            n + 2,
            n + 3,
            n + 4
        );
        let mut query = sqlx::query(&sql);
        for m in measures {
            query = query.bind(*m);
        }
        query
            .bind(gemeente)
            .bind(domein.as_str())
            .bind(days.0.to_string())
            .bind(days.1.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(sample_from_row)
            .collect()
    }
}
