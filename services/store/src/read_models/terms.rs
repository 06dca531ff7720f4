//! Legal terms (spec §3.6): each case's term facts in `case_terms`; the open
//! terms and their status at a moment are computed at query time, as the PO
//! model's are.

use std::collections::HashMap;

use caseflow_core::fact::{Facts, ProjectionKey};
use caseflow_core::terms::{self, CaseTerms, TermsFilter, TermsReport};
use chrono::{DateTime, Utc};
use sqlx::{Any, Transaction};

use super::keyed::{Changes, Table};
use crate::{Store, StoreError};

pub(crate) const TABLE: Table = Table { name: "case_terms", columns: &["gemeente", "domein"], timing: "write: case_terms" };

pub(crate) fn record(changes: &mut Changes, key: &str, old: &Facts, new: &Facts) {
    changes.record(key, old.terms.as_ref(), new.terms.as_ref(), |c: &CaseTerms| {
        vec![c.gemeente.clone(), c.domein.as_str().to_string()]
    });
}

/// Add the stored term facts of `keys` (cases only) to their facts.
pub(crate) async fn load(tx: &mut Transaction<'_, Any>, keys: &[ProjectionKey], out: &mut HashMap<ProjectionKey, Facts>) -> Result<(), StoreError> {
    let cases: Vec<String> = keys.iter().filter(|k| matches!(k, ProjectionKey::Case(_))).map(ProjectionKey::encode).collect();
    TABLE.load(tx, &cases, out, |f, c: CaseTerms| f.terms = Some(c)).await
}

impl Store {
    /// The cases' term facts in the filter, by key.
    pub async fn case_terms(&self, gemeente: Option<&str>, domein: Option<&str>) -> Result<Vec<CaseTerms>, StoreError> {
        TABLE.select(&self.pool, gemeente, domein).await
    }

    /// The open legal terms at `as_of`, narrowed by team, status and list length.
    pub async fn terms(&self, gemeente: Option<&str>, domein: Option<&str>, as_of: DateTime<Utc>, f: &TermsFilter) -> Result<TermsReport, StoreError> {
        let cases = self.case_terms(gemeente, domein).await?;
        Ok(terms::report(&cases, as_of, &self.config, f))
    }
}
