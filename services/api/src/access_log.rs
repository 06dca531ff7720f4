//! The access trace: every request for case-level data leaves one record (who,
//! when, which endpoint and scope, how many rows), and `GET /api/v1/access-log`
//! lets an admin read it.

use axum::extract::{Request, State};
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use caseflow_core::access::Via;
use caseflow_core::params::parse_as_of;
use caseflow_store::{AccessLogQuery, AccessRecord};

use crate::auth::Access;
use crate::query::Params;
use crate::{log_limit, ApiError, AppState, RowCount};

/// The parameters `/api/v1/access-log` accepts.
pub const ACCEPTED: &[&str] = &["since", "until", "subject", "limit"];

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/access-log", get(access_log))
}

/// How an identity was established, as the trace records it.
fn via_text(via: &Via) -> String {
    match via {
        Via::Token { id } => format!("token:{id}"),
        Via::Oidc { issuer } => format!("oidc:{issuer}"),
        Via::Open => "open".into(),
    }
}

/// A route layer: records the request once its answer is made. An answer whose
/// record cannot be written is not sent (500 in the API's error shape).
pub(crate) async fn trace(State(s): State<AppState>, access: Access, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let endpoint = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let response = next.run(req).await;
    let id = access.identity();
    let record = AccessRecord {
        at: chrono::Utc::now(),
        subject: id.subject.clone(),
        via: via_text(&id.via),
        roles: id.roles_text(),
        method,
        endpoint,
        query,
        scope: id.scope.text(),
        rows: response.extensions().get::<RowCount>().map_or(0, |c| c.shown as i64),
        status: response.status().as_u16(),
    };
    match s.store.record_access(&record).await {
        Ok(()) => response,
        Err(e) => {
            tracing::error!(error = %e, "the access trace could not be written; the answer was withheld");
            ApiError::Store(e).into_response()
        }
    }
}

/// `GET /api/v1/access-log`: the trace, newest first (admin).
async fn access_log(State(s): State<AppState>, access: Access, uri: Uri) -> Result<Response, ApiError> {
    let p = Params::parse(&uri, ACCEPTED, &access)?;
    let limit = log_limit(&s, &p)?;
    let now = chrono::Utc::now();
    let q = AccessLogQuery {
        since: p.get("since").map(|v| parse_as_of(Some(v), now)).transpose().map_err(|mut e| {
            e.parameter = "since";
            e
        })?,
        until: p.get("until").map(|v| parse_as_of(Some(v), now)).transpose().map_err(|mut e| {
            e.parameter = "until";
            e
        })?,
        subject: p.get("subject").map(str::to_string),
        limit: limit as i64,
    };
    let rows = s.store.access_log(&q).await?;
    Ok(Json(rows).into_response())
}
