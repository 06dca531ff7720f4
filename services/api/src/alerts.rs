//! `GET /api/v1/alerts`: the alert lifecycle, newest first.

use axum::Router;
use caseflow_store::AlertQuery;

use crate::{log_limit, read_model, AppState, OneMore};

/// The parameters `/api/v1/alerts` accepts.
pub const ACCEPTED: &[&str] = &["gemeente", "domein", "team", "status", "kind", "limit"];

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/alerts",
        read_model(
            ACCEPTED,
            log_limit,
            |p, limit| {
                let (gemeente, domein) = p.gemeente_domein()?;
                let f = p.filter();
                Ok(AlertQuery {
                    gemeente,
                    domein,
                    team: f.team()?,
                    status: f.alert_status()?,
                    kind: f.alert_kind()?,
                    // One more than shown, to know whether the list was cut.
                    limit: limit as i64 + 1,
                })
            },
            |store, aq| async move { store.alerts(&aq).await.map(OneMore) },
        ),
    )
}
