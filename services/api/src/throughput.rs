//! `GET /api/v1/throughput`: the throughput read model (spec §3.1).

use axum::Router;

use crate::{model_limit, read_model, AppState};

/// The parameters `/api/v1/throughput` accepts.
pub const ACCEPTED: &[&str] = &[
    "period", "gemeente", "domein", "from", "to", "by_team", "limit",
];

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/throughput",
        read_model(
            ACCEPTED,
            model_limit,
            |p, _| Ok(p.filter().throughput()?),
            |store, q| async move { store.throughput(&q).await },
        ),
    )
}
