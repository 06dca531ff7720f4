//! `GET /api/v1/workload`: the workload read model (spec §3.3).

use axum::Router;
use caseflow_core::workload::WorkloadReport;

use crate::{cap_vec, model_limit, read_model, AppState, RowCount, Rows};

/// The parameters `/api/v1/workload` accepts.
pub const ACCEPTED: &[&str] = &["gemeente", "domein", "team", "from", "to", "limit"];

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/workload",
        read_model(
            ACCEPTED,
            model_limit,
            |p, _| Ok(p.filter().workload()?),
            |store, q| async move { store.workload(&q).await },
        ),
    )
}

impl Rows for WorkloadReport {
    /// The weeks are cut; the summary is over the whole window.
    fn cap(&mut self, limit: usize) -> RowCount {
        cap_vec(&mut self.weeks, limit)
    }
}
