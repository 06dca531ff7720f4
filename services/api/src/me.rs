//! `GET /api/v1/me`: who the request is from, its roles and scope — what the
//! dashboard needs to offer only the gemeenten and views the identity may see.

use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::extract::State;
use axum::{Json, Router};
use caseflow_core::access::Within;
use serde_json::json;

use crate::auth::{Access, AuthMode};
use crate::query::Params;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/me", get(me))
}

async fn me(State(s): State<AppState>, access: Access, uri: Uri) -> Result<Response, ApiError> {
    Params::parse(&uri, &[], &access)?;
    let id = access.identity();
    Ok(Json(json!({
        "subject": id.subject,
        "roles": id.roles,
        "gemeenten": list(&id.scope.gemeenten),
        "teams": list(&id.scope.teams),
        "via": id.via,
        "auth": match s.auth.mode { AuthMode::Off => "off", AuthMode::Required => "required" },
    }))
    .into_response())
}

/// `"*"` for every value, else the list.
fn list(w: &Within) -> serde_json::Value {
    match w {
        Within::All => json!("*"),
        Within::Only(set) => json!(set),
    }
}
