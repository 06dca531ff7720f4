//! Overdue PO (spec §3.4): each monitored beschikking's PO timeline in
//! `po_monitor`; the status at a moment is computed at query time. A changed
//! timeline is also re-evaluated for alerts in the same transaction
//! ([`crate::alerts`]).

use std::collections::HashMap;

use caseflow_core::fact::{Facts, ProjectionKey};
use caseflow_core::overdue_po::{self, PoFilter, PoReport, PoStatus, PoTimeline};
use chrono::{DateTime, Utc};
use sqlx::{Any, Transaction};
use uuid::Uuid;

use super::keyed::{self, Table};
use crate::{Store, StoreError};

pub(crate) const TABLE: Table = Table { name: "po_monitor", columns: &["gemeente", "domein"], timing: "write: po_monitor" };

/// The rows to write, and the beschikkingen whose timeline changed (for alerts).
#[derive(Default)]
pub(crate) struct Changes {
    pub rows: keyed::Changes,
    pub changed: Vec<Uuid>,
}

impl Changes {
    pub fn record(&mut self, key: &ProjectionKey, old: &Facts, new: &Facts) {
        let changed = self.rows.record(&key.encode(), old.po.as_ref(), new.po.as_ref(), |p: &PoTimeline| {
            vec![p.gemeente.clone(), p.domein.as_str().to_string()]
        });
        if let (true, ProjectionKey::Beschikking(b)) = (changed, key) {
            self.changed.push(*b);
        }
    }
}

/// Add the stored timelines of `keys` (beschikkingen only) to their facts.
pub(crate) async fn load(tx: &mut Transaction<'_, Any>, keys: &[ProjectionKey], out: &mut HashMap<ProjectionKey, Facts>) -> Result<(), StoreError> {
    let besch: Vec<String> = keys.iter().filter(|k| matches!(k, ProjectionKey::Beschikking(_))).map(ProjectionKey::encode).collect();
    TABLE.load(tx, &besch, out, |f, p: PoTimeline| f.po = Some(p)).await
}

impl Store {
    /// Monitored beschikkingen (spec §3.4) in the filter.
    pub async fn po_timelines(&self, gemeente: Option<&str>, domein: Option<&str>) -> Result<Vec<PoTimeline>, StoreError> {
        TABLE.select(&self.pool, gemeente, domein).await
    }

    /// The overdue-PO model at `as_of`.
    pub async fn po(&self, gemeente: Option<&str>, domein: Option<&str>, as_of: DateTime<Utc>, status: Option<PoStatus>) -> Result<PoReport, StoreError> {
        self.po_filtered(gemeente, domein, as_of, &PoFilter { status, ..PoFilter::default() }).await
    }

    /// The overdue-PO model at `as_of`, narrowed by team, status and list length.
    pub async fn po_filtered(&self, gemeente: Option<&str>, domein: Option<&str>, as_of: DateTime<Utc>, f: &PoFilter) -> Result<PoReport, StoreError> {
        let timelines = self.po_timelines(gemeente, domein).await?;
        Ok(overdue_po::report_for(&timelines, as_of, &self.config, f))
    }
}
