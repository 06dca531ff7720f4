//! `GET /api/v1/po`: the beschikkingen and their PO status at a moment (spec §3.4).

use axum::Router;
use caseflow_core::overdue_po::{PoFilter, PoReport};

use crate::{cap_vec, model_limit, read_model, AppState, RowCount, Rows};

/// The parameters `/api/v1/po` accepts.
pub const ACCEPTED: &[&str] = &["gemeente", "domein", "team", "status", "as_of", "limit"];

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/po",
        read_model(
            ACCEPTED,
            // `limit=0`: the counts only.
            model_limit,
            |p, _| {
                let (gemeente, domein) = p.gemeente_domein()?;
                let as_of = p.as_of()?;
                let f = p.filter();
                let pf = PoFilter {
                    team: f.team()?,
                    status: f.po_status()?,
                    limit: None,
                };
                Ok((gemeente, domein, as_of, pf))
            },
            |store, (gemeente, domein, as_of, pf)| async move {
                store
                    .po_filtered(gemeente.as_deref(), domein.as_deref(), as_of, &pf)
                    .await
            },
        ),
    )
}

impl Rows for PoReport {
    /// The list is cut; the counts are over every beschikking.
    fn cap(&mut self, limit: usize) -> RowCount {
        cap_vec(&mut self.beschikkingen, limit)
    }
}
