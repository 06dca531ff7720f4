//! caseflow's HTTP API (axum): event intake, read models, dead letters, health.

pub mod cache;
pub mod limits;
pub mod metrics;
mod monitor;
mod query;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use caseflow_core::overdue_po::PoFilter;
use caseflow_core::params::{parse_as_of, parse_domein, parse_gemeente, ParamError};
use caseflow_store::{AlertQuery, Incoming, Store, StoreError};
pub use limits::{Limits, Permit};
use query::Params;
use serde_json::json;
use tokio::sync::Notify;

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Woken after events are appended, so a background projector can run.
    pub appended: Arc<Notify>,
    /// Events per projection transaction when a request projects synchronously.
    pub batch_size: usize,
    /// Read-model responses by data version.
    pub cache: Arc<cache::ResponseCache<Answer>>,
    /// The data version, read by one query at a time for all requests.
    pub version: Arc<cache::VersionGate>,
    /// Bounds on a request's work and output.
    pub limits: Limits,
    permits: Arc<limits::Permits>,
}

impl AppState {
    pub fn new(store: Store, appended: Arc<Notify>, batch_size: usize) -> AppState {
        let limits = Limits::default();
        AppState {
            store,
            appended,
            batch_size,
            cache: Arc::new(cache::ResponseCache::default()),
            version: Arc::new(cache::VersionGate::default()),
            permits: Arc::new(limits::Permits::new(&limits)),
            limits,
        }
    }

    /// The same state under other bounds.
    pub fn with_limits(mut self, limits: Limits) -> AppState {
        self.permits = Arc::new(limits::Permits::new(&limits));
        self.limits = limits;
        self
    }

    /// The JSON answer for `uri`, at most `limit` rows: from the cache while the
    /// data version (and the hour, for answers that depend on today) is
    /// unchanged, else computed off the runtime's worker threads (see [`limits`]).
    async fn cached<T, F, Fut>(
        &self,
        uri: &Uri,
        permit: Permit,
        limit: usize,
        compute: F,
    ) -> Result<Response, ApiError>
    where
        T: Rows + serde::Serialize + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
    {
        let generation = format!(
            "{}@{}",
            self.version.get(|| self.store.data_version()).await?,
            chrono::Utc::now().format("%Y-%m-%dT%H")
        );
        let key = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let answer = self
            .cache
            .get_or_compute(&generation, key, || {
                limits::off_thread(permit, async move {
                    let mut v = compute().await?;
                    let rows = v.cap(limit);
                    Ok(Answer {
                        body: Bytes::from(
                            serde_json::to_vec(&v).expect("read models serialize to JSON"),
                        ),
                        rows,
                    })
                })
            })
            .await?;
        Ok(answer.into_response())
    }
}

/// A computed JSON answer and how many rows its list held.
#[derive(Debug, Clone)]
pub struct Answer {
    pub body: Bytes,
    pub rows: RowCount,
}

impl cache::Weigh for Answer {
    fn bytes(&self) -> usize {
        self.body.len()
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut r = ([(header::CONTENT_TYPE, "application/json")], self.body).into_response();
        self.rows.annotate(&mut r);
        r
    }
}

/// How many rows a list answer held before its `limit`, stated in the headers
/// `x-total-count` (when known) and `x-truncated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowCount {
    /// Rows before the cap; None when only "more than the cap" is known.
    pub total: Option<usize>,
    pub truncated: bool,
}

impl RowCount {
    fn annotate(self, r: &mut Response) {
        let h = r.headers_mut();
        if let Some(total) = self.total {
            h.insert("x-total-count", total.into());
        }
        h.insert(
            "x-truncated",
            header::HeaderValue::from_static(if self.truncated { "true" } else { "false" }),
        );
    }
}

/// An answer whose list can be cut to a number of rows.
pub trait Rows {
    /// Keeps the first `limit` rows and says how many there were.
    fn cap(&mut self, limit: usize) -> RowCount;
}

fn cap_vec<T>(v: &mut Vec<T>, limit: usize) -> RowCount {
    let total = v.len();
    v.truncate(limit);
    RowCount {
        total: Some(total),
        truncated: total > limit,
    }
}

impl<T> Rows for Vec<T> {
    fn cap(&mut self, limit: usize) -> RowCount {
        cap_vec(self, limit)
    }
}

impl Rows for caseflow_core::workload::WorkloadReport {
    /// The weeks are cut; the summary is over the whole window.
    fn cap(&mut self, limit: usize) -> RowCount {
        cap_vec(&mut self.weeks, limit)
    }
}

impl Rows for caseflow_core::overdue_po::PoReport {
    /// The list is cut; the counts are over every beschikking.
    fn cap(&mut self, limit: usize) -> RowCount {
        cap_vec(&mut self.beschikkingen, limit)
    }
}

/// A list fetched with one row beyond the cap: whether more exist is known,
/// not how many.
#[derive(serde::Serialize)]
#[serde(transparent)]
struct OneMore<T>(Vec<T>);

impl<T> Rows for OneMore<T> {
    fn cap(&mut self, limit: usize) -> RowCount {
        let truncated = self.0.len() > limit;
        self.0.truncate(limit);
        RowCount {
            total: (!truncated).then_some(self.0.len()),
            truncated,
        }
    }
}

/// An error as the API returns it: a status and a message saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    BadParameter(#[from] ParamError),
    #[error("unknown parameter `{name}`; {}", accepted_text(accepted))]
    UnknownParameter {
        name: String,
        accepted: &'static [&'static str],
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("the body is larger than the limit of {limit} bytes; split the batch into smaller POSTs (the limit is `--max-body-bytes`, env CASEFLOW_MAX_BODY_BYTES)")]
    PayloadTooLarge { limit: usize },
    #[error("the body holds more than the limit of {limit} lines; split the batch into smaller POSTs (the limit is `--max-rows`, env CASEFLOW_MAX_ROWS)")]
    TooManyLines { limit: usize },
    #[error("the request took longer than {} s and was stopped; narrow it (gemeente, domein, from/to, limit) or try again later", .0.as_secs_f64())]
    Timeout(std::time::Duration),
    #[error("the server is busy ({} requests at once) and none finished within {} s; try again later", .0.max_concurrent_requests, .0.request_timeout.as_secs_f64())]
    Busy(Limits),
    #[error("the request was cancelled (the server is shutting down)")]
    Cancelled,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn accepted_text(accepted: &[&str]) -> String {
    if accepted.is_empty() {
        "this endpoint takes no query parameters".into()
    } else {
        format!("accepted here: {}", accepted.join(", "))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = self.to_string();
        match self {
            ApiError::BadParameter(p) => (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": error, "parameter": p.parameter})),
            )
                .into_response(),
            ApiError::UnknownParameter { name, accepted } => (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": error, "parameter": name, "accepted": accepted})),
            )
                .into_response(),
            ApiError::BadRequest(_) => {
                (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response()
            }
            ApiError::PayloadTooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                Json(json!({"error": error, "limit_bytes": limit})),
            )
                .into_response(),
            ApiError::TooManyLines { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                Json(json!({"error": error, "limit_lines": limit})),
            )
                .into_response(),
            ApiError::Timeout(_) | ApiError::Cancelled => (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": error})),
            )
                .into_response(),
            ApiError::Busy(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "1")],
                Json(json!({"error": error})),
            )
                .into_response(),
            ApiError::Store(e) => {
                tracing::error!(error = %e, "request failed in the store");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({"error": "internal error; see the server log"})),
                )
                    .into_response()
            }
        }
    }
}

/// The parameters each endpoint accepts.
pub mod accepted {
    pub const EVENTS: &[&str] = &[];
    pub const THROUGHPUT: &[&str] = &[
        "period", "gemeente", "domein", "from", "to", "by_team", "limit",
    ];
    pub const LEADTIME: &[&str] = &[
        "period", "gemeente", "domein", "from", "to", "by_team", "measure", "limit",
    ];
    pub const WORKLOAD: &[&str] = &["gemeente", "domein", "team", "from", "to", "limit"];
    pub const PO: &[&str] = &["gemeente", "domein", "team", "status", "as_of", "limit"];
    pub const ALERTS: &[&str] = &["gemeente", "domein", "team", "status", "kind", "limit"];
    pub const OPEN_CASES: &[&str] = &["gemeente", "domein", "team", "as_of", "limit"];
    pub const DEAD_LETTERS: &[&str] = &["limit", "order"];
}

/// The API's routes.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/v1/events", post(post_events))
        .route("/api/v1/throughput", get(throughput))
        .route("/api/v1/leadtime", get(leadtime))
        .route("/api/v1/workload", get(workload))
        .route("/api/v1/po", get(po))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/cases/open", get(open_cases))
        .route("/api/v1/dead-letters", get(dead_letters))
        .merge(monitor::router())
        .merge(monitor::latest_router())
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::guard,
        ));
    Router::new()
        .route("/", get(dashboard))
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics::metrics_handler))
        .method_not_allowed_fallback(method_not_allowed)
        .merge(api)
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(json!({"error": "no such endpoint; see README.md for the API"})),
            )
        })
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({"error": format!("{method} is not accepted on {}; see README.md for the API", uri.path())})),
    )
        .into_response()
}

async fn ready(State(s): State<AppState>) -> Response {
    match s.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"database": "ok"}))).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"database": e.to_string()})),
        )
            .into_response(),
    }
}

/// `POST /api/v1/events`: an NDJSON body, one event per line. Accepted events are
/// projected before the response, so a following query includes them. Each POST
/// has a request id (the client's `X-Request-Id` when it is a plain token, else a
/// new UUID): the position of its dead letters is `request <id> line <n>`, so a
/// retry with the same id stores a rejected line once.
async fn post_events(
    State(s): State<AppState>,
    uri: Uri,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    Params::parse(&uri, accepted::EVENTS)?;
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
        line.position = format!("request {request_id} {}", line.position);
    }
    if batch.is_empty() {
        return Err(ApiError::BadRequest(
            "the body holds no events; send NDJSON, one event per line".into(),
        ));
    }
    let report = s.store.append("api", batch).await?;
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
fn request_id(headers: &axum::http::HeaderMap) -> String {
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

/// Split an NDJSON body into lines with their 1-based line numbers; blank lines skipped.
pub fn split_lines(body: &[u8]) -> Vec<Incoming> {
    body.split(|b| *b == b'\n')
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            (!is_blank(line)).then(|| Incoming {
                position: format!("line {}", i + 1),
                raw: line.to_vec(),
            })
        })
        .collect()
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// The read models' `limit`: every row up to [`Limits::max_rows`] by default.
fn model_limit(s: &AppState, p: &Params) -> Result<usize, ApiError> {
    Ok(p.limit(s.limits.max_rows, s.limits.max_rows)?)
}

/// The logs' `limit` (alerts, dead letters): [`Limits::DEFAULT_LOG_ROWS`] by default.
fn log_limit(s: &AppState, p: &Params) -> Result<usize, ApiError> {
    Ok(p.limit(Limits::DEFAULT_LOG_ROWS, s.limits.max_rows)?)
}

async fn throughput(
    State(s): State<AppState>,
    Extension(permit): Extension<Permit>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let p = Params::parse(&uri, accepted::THROUGHPUT)?;
    let limit = model_limit(&s, &p)?;
    let q = p.filter().throughput()?;
    let store = s.store.clone();
    s.cached(&uri, permit, limit, move || async move {
        Ok(store.throughput(&q).await?)
    })
    .await
}

async fn leadtime(
    State(s): State<AppState>,
    Extension(permit): Extension<Permit>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let p = Params::parse(&uri, accepted::LEADTIME)?;
    let limit = model_limit(&s, &p)?;
    let q = p.filter().leadtime()?;
    let store = s.store.clone();
    s.cached(&uri, permit, limit, move || async move {
        Ok(store.leadtime(&q).await?)
    })
    .await
}

async fn workload(
    State(s): State<AppState>,
    Extension(permit): Extension<Permit>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let p = Params::parse(&uri, accepted::WORKLOAD)?;
    let limit = model_limit(&s, &p)?;
    let q = p.filter().workload()?;
    let store = s.store.clone();
    s.cached(&uri, permit, limit, move || async move {
        Ok(store.workload(&q).await?)
    })
    .await
}

async fn po(
    State(s): State<AppState>,
    Extension(permit): Extension<Permit>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let p = Params::parse(&uri, accepted::PO)?;
    // `limit=0`: the counts only.
    let limit = model_limit(&s, &p)?;
    let f = p.filter();
    let (gemeente, domein) = (
        parse_gemeente(f.gemeente.as_deref())?,
        parse_domein(f.domein.as_deref())?,
    );
    let as_of = parse_as_of(f.as_of.as_deref(), chrono::Utc::now())?;
    let pf = PoFilter {
        team: f.team()?,
        status: f.po_status()?,
        limit: None,
    };
    let store = s.store.clone();
    s.cached(&uri, permit, limit, move || async move {
        Ok(store
            .po_filtered(gemeente.as_deref(), domein.as_deref(), as_of, &pf)
            .await?)
    })
    .await
}

async fn alerts(
    State(s): State<AppState>,
    Extension(permit): Extension<Permit>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let p = Params::parse(&uri, accepted::ALERTS)?;
    let limit = log_limit(&s, &p)?;
    let f = p.filter();
    let aq = AlertQuery {
        gemeente: parse_gemeente(f.gemeente.as_deref())?,
        domein: parse_domein(f.domein.as_deref())?,
        team: f.team()?,
        status: f.alert_status()?,
        kind: f.alert_kind()?,
        // One more than shown, to know whether the list was cut.
        limit: limit as i64 + 1,
    };
    let store = s.store.clone();
    s.cached(&uri, permit, limit, move || async move {
        Ok(OneMore(store.alerts(&aq).await?))
    })
    .await
}

async fn open_cases(
    State(s): State<AppState>,
    Extension(permit): Extension<Permit>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let p = Params::parse(&uri, accepted::OPEN_CASES)?;
    let limit = model_limit(&s, &p)?;
    let f = p.filter();
    let (gemeente, domein, team) = (
        parse_gemeente(f.gemeente.as_deref())?,
        parse_domein(f.domein.as_deref())?,
        f.team()?,
    );
    let as_of = parse_as_of(f.as_of.as_deref(), chrono::Utc::now())?;
    let store = s.store.clone();
    s.cached(&uri, permit, limit, move || async move {
        Ok(store
            .open_cases(
                gemeente.as_deref(),
                domein.as_deref(),
                team.as_deref(),
                as_of,
            )
            .await?)
    })
    .await
}

async fn dead_letters(State(s): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let p = Params::parse(&uri, accepted::DEAD_LETTERS)?;
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
    };
    let mut r = Json(rows).into_response();
    count.annotate(&mut r);
    Ok(r)
}

async fn dashboard() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(include_str!("dashboard.html")),
    )
}
