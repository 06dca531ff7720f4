//! `GET /api/v1/leadtime`: the lead-time read model (spec §3.2).

use axum::Router;

use crate::{model_limit, read_model, AppState};

/// The parameters `/api/v1/leadtime` accepts.
pub const ACCEPTED: &[&str] = &[
    "period", "gemeente", "domein", "from", "to", "by_team", "measure", "limit",
];

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/leadtime",
        read_model(
            ACCEPTED,
            model_limit,
            |p, _| Ok(p.filter().leadtime()?),
            |store, q| async move { store.leadtime(&q).await },
        ),
    )
}
