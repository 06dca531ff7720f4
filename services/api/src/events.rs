//! `POST /api/v1/events`: the HTTP way into the log.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use caseflow_store::{is_blank, ndjson_body, Incoming, Position};
use serde_json::json;

use crate::auth::Access;
use crate::query::Params;
use crate::{ApiError, AppState};

/// The parameters `/api/v1/events` accepts.
pub const ACCEPTED: &[&str] = &[];

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/events", post(post_events))
}

/// `POST /api/v1/events`: an NDJSON body, one event per line. Accepted events are
/// projected before the response, so a following query includes them. Each POST
/// has a request id (the client's `X-Request-Id` when it is a plain token, else a
/// new UUID): the position of its dead letters is `request <id> line <n>`, so a
/// retry with the same id stores a rejected line once.
async fn post_events(
    State(s): State<AppState>,
    access: Access,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    Params::parse(&uri, ACCEPTED, &access)?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge {
                limit: s.limits.max_body_bytes,
            }
        } else {
            ApiError::BadRequest(format!("the body cannot be read: {}", e.body_text()))
        }
    })?;
    // Every line is answered (a rejection lists it), so the lines are capped
    // like any answer's rows; counted before anything is copied.
    if body
        .split(|b| *b == b'\n')
        .filter(|line| !is_blank(line))
        .nth(s.limits.max_rows)
        .is_some()
    {
        return Err(ApiError::TooManyLines {
            limit: s.limits.max_rows,
        });
    }
    let request_id = request_id(&headers);
    let mut batch = split_lines(&body);
    drop(body);
    for line in &mut batch {
        if let Some(Position::Line(n)) = Position::parse(&line.position) {
            line.position = Position::Request { id: &request_id, line: n }.to_string();
        }
    }
    if batch.is_empty() {
        return Err(ApiError::BadRequest(
            "the body holds no events; send NDJSON, one event per line".into(),
        ));
    }
    // A line for a gemeente outside the producer's scope is a dead letter of
    // kind `forbidden`; the rest of the batch goes on.
    let report = s.store.append_within("api", batch, &access.scope().gemeenten).await?;
    s.store.project_pending(s.batch_size).await?;
    s.appended.notify_waiters();
    let status = if report.rejected > 0 && report.accepted == 0 && report.duplicates == 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        [("x-request-id", request_id.clone())],
        Json(json!({
            "request_id": request_id,
            "accepted": report.accepted,
            "duplicates": report.duplicates,
            "rejected": report.rejected,
            "rejections": report.rejections,
        })),
    )
        .into_response())
}

/// The client's `X-Request-Id` when it is 1 to 64 characters of `A-Z a-z 0-9 . _ : -`
/// and holds no BSN (anything else could smuggle text into a stored position),
/// else a new UUID.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
                && !caseflow_core::event::contains_bsn(v)
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Split an NDJSON body into lines with their 1-based line numbers; blank lines
/// skipped (the store's framing, shared with `caseflow ingest`).
pub fn split_lines(body: &[u8]) -> Vec<Incoming> {
    ndjson_body(body)
}
