//! Open cases (spec §3.2): one row per case that has started and not ended, in
//! `open_cases`; ages and deadlines are computed at query time.

use std::collections::HashMap;

use caseflow_core::fact::{Facts, ProjectionKey};
use caseflow_core::leadtime::{self, OpenCase, OpenCaseRow};
use chrono::{DateTime, Utc};
use sqlx::{Any, Transaction};

use super::keyed::{Changes, Table};
use crate::{Store, StoreError};

pub(crate) const TABLE: Table = Table { name: "open_cases", columns: &["gemeente", "domein", "team"], timing: "write: open_cases" };

pub(crate) fn record(changes: &mut Changes, key: &str, old: &Facts, new: &Facts) {
    changes.record(key, old.open_case.as_ref(), new.open_case.as_ref(), |c: &OpenCase| {
        vec![c.gemeente.clone(), c.domein.as_str().to_string(), c.team.clone().unwrap_or_default()]
    });
}

/// Add the stored open cases of `keys` (cases only) to their facts.
pub(crate) async fn load(tx: &mut Transaction<'_, Any>, keys: &[ProjectionKey], out: &mut HashMap<ProjectionKey, Facts>) -> Result<(), StoreError> {
    let cases: Vec<String> = keys.iter().filter(|k| matches!(k, ProjectionKey::Case(_))).map(ProjectionKey::encode).collect();
    TABLE.load(tx, &cases, out, |f, c: OpenCase| f.open_case = Some(c)).await
}

impl Store {
    /// The open cases, most urgent deadline first.
    pub async fn open_cases(
        &self,
        gemeente: Option<&str>,
        domein: Option<&str>,
        team: Option<&str>,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<OpenCaseRow>, StoreError> {
        let cases: Vec<OpenCase> = TABLE.select(&self.pool, gemeente, domein).await?;
        let mut out: Vec<OpenCaseRow> = cases
            .iter()
            .filter(|c| team.is_none_or(|t| c.team.as_deref() == Some(t)) && c.started_at <= as_of)
            .map(|c| leadtime::open_case_row(c, as_of, &self.config))
            .collect();
        out.sort_by(|a, b| {
            let key = |r: &OpenCaseRow| r.days_left.unwrap_or(f64::INFINITY);
            key(a).total_cmp(&key(b)).then(b.age_days.total_cmp(&a.age_days)).then(a.case_id.cmp(&b.case_id))
        });
        Ok(out)
    }
}
