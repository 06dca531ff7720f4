//! `GET /api/v1/dead-letters`: the rejected input, read on every request outside
//! the response cache (a dead letter does not move the data version).

use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use caseflow_core::params::ParamError;

use crate::auth::Access;
use crate::query::Params;
use crate::{log_limit, ApiError, AppState, RowCount};

/// The parameters `/api/v1/dead-letters` accepts.
pub const ACCEPTED: &[&str] = &["limit", "order"];

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/dead-letters", get(dead_letters))
}

async fn dead_letters(State(s): State<AppState>, access: Access, uri: Uri) -> Result<Response, ApiError> {
    let p = Params::parse(&uri, ACCEPTED, &access)?;
    let limit = log_limit(&s, &p)?;
    let newest_first = match p.get("order") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(o) => {
            return Err(ParamError {
                parameter: "order",
                message: format!("`{o}` is not accepted; accepted: asc, desc"),
            }
            .into())
        }
    };
    let total = s.store.dead_letter_count().await?;
    let rows = s.store.dead_letters(limit as i64, newest_first).await?;
    let count = RowCount {
        total: Some(total.max(0) as usize),
        truncated: (rows.len() as i64) < total,
        shown: rows.len(),
    };
    let mut r = Json(rows).into_response();
    count.annotate(&mut r);
    Ok(r)
}
