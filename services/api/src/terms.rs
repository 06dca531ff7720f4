//! `GET /api/v1/terms`: every open legal term at a moment, most urgent first
//! (spec §3.6).

use axum::Router;
use caseflow_core::access::Scope;
use caseflow_core::terms::{self, OpenTerm, TermsFilter, TermsReport};

use crate::auth::{Fence, Place};
use crate::{cap_vec, model_limit, read_model, AppState, RowCount, Rows};

/// The parameters `/api/v1/terms` accepts.
pub const ACCEPTED: &[&str] = &["gemeente", "domein", "team", "status", "as_of", "limit"];

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/terms",
        read_model(
            ACCEPTED,
            // `limit=0`: the counts only.
            model_limit,
            |p, _| {
                let (gemeente, domein) = p.gemeente_domein()?;
                let as_of = p.as_of()?;
                let f = TermsFilter {
                    team: p.filter().team()?,
                    status: terms::parse_status(p.get("status"))?,
                    limit: None,
                };
                Ok((gemeente, domein, as_of, f))
            },
            |store, (gemeente, domein, as_of, f)| async move {
                store.terms(gemeente.as_deref(), domein.as_deref(), as_of, &f).await
            },
        ),
    )
}

impl Rows for TermsReport {
    /// The list is cut; the counts are over every open term.
    fn cap(&mut self, limit: usize) -> RowCount {
        cap_vec(&mut self.terms, limit)
    }
}

impl Place for OpenTerm {
    fn place(&self) -> (&str, Option<&str>) {
        (&self.gemeente, self.team.as_deref())
    }
}

impl Fence for TermsReport {
    fn fence(&mut self, scope: &Scope) -> usize {
        self.terms.fence(scope)
    }
}
