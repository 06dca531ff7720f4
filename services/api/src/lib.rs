//! caseflow's HTTP API (axum): event intake, read models, dead letters, health.

pub mod auth;
pub mod cache;
pub mod limits;
pub mod metrics;
pub mod oidc;

mod query;

// One module per read model or surface, each with its handlers, the
// parameters it accepts and a `router()`, merged in `router()` below.
mod access_log;
mod alerts;
mod dashboard;
mod dead_letters;
mod events;
mod health;
mod leadtime;
mod me;
mod monitor;
mod open_cases;
mod po;
mod terms;
mod throughput;
mod workload;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Extension, Json, Router};
use auth::Access;
use caseflow_core::access::{AccessError, Role, Scope};
use caseflow_core::params::ParamError;
use caseflow_store::{Store, StoreError};
pub use events::split_lines;
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
    /// How requests are authenticated (open by default; see [`auth`]).
    pub auth: auth::Auth,
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
            auth: auth::Auth::off(),
        }
    }

    /// The same state with another authentication.
    pub fn with_auth(mut self, auth: auth::Auth) -> AppState {
        self.auth = auth;
        self
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
        key: &str,
        scope: &Scope,
        permit: Permit,
        limit: usize,
        compute: F,
    ) -> Result<Response, ApiError>
    where
        T: Rows + auth::Fence + serde::Serialize + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
    {
        let generation = format!(
            "{}@{}",
            self.version.get(|| self.store.data_version()).await?,
            chrono::Utc::now().format("%Y-%m-%dT%H")
        );
        let key = format!("{key}#{}", scope.text());
        let scope = scope.clone();
        let answer = self
            .cache
            .get_or_compute(&generation, &key, || {
                limits::off_thread(permit, async move {
                    let mut v = compute().await?;
                    let dropped = v.fence(&scope);
                    if dropped > 0 && !scope.limited_to_teams() {
                        tracing::error!(dropped, scope = %scope.text(), "an answer held rows outside its scope; they were dropped");
                    }
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
    /// Rows in the answer.
    pub shown: usize,
}

impl RowCount {
    fn annotate(self, r: &mut Response) {
        r.extensions_mut().insert(self);
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
        shown: v.len(),
    }
}

impl<T> Rows for Vec<T> {
    fn cap(&mut self, limit: usize) -> RowCount {
        cap_vec(self, limit)
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
            shown: self.0.len(),
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
    #[error("{0}")]
    Unauthenticated(String),
    #[error("credentials cannot be checked right now ({0}); try again later")]
    KeysUnavailable(String),
    #[error(transparent)]
    Forbidden(AccessError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ApiError {
    /// A request the data cannot answer (a gemeente without data) is the
    /// client's 400, like any other refused parameter.
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Param(p) => ApiError::BadParameter(p),
            other => ApiError::Store(other),
        }
    }
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
                Json(json!({"error": p.repeatable().to_string(), "parameter": p.parameter})),
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
            ApiError::Timeout(_) | ApiError::Cancelled | ApiError::KeysUnavailable(_) => (
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
            ApiError::Unauthenticated(_) => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(json!({"error": error})),
            )
                .into_response(),
            // Choosing among one's own gemeenten is a question, not a refusal.
            ApiError::Forbidden(AccessError::Choose { parameter, .. }) => (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": error, "parameter": parameter})),
            )
                .into_response(),
            ApiError::Forbidden(AccessError::OutOfScope { parameter, .. }) => (
                StatusCode::FORBIDDEN,
                Json(json!({"error": error, "parameter": parameter})),
            )
                .into_response(),
            ApiError::Forbidden(_) => {
                (StatusCode::FORBIDDEN, Json(json!({"error": error}))).into_response()
            }
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

/// The parameters each endpoint accepts (each list lives with its endpoint).
pub mod accepted {
    pub use crate::access_log::ACCEPTED as ACCESS_LOG;
    pub use crate::alerts::ACCEPTED as ALERTS;
    pub use crate::dead_letters::ACCEPTED as DEAD_LETTERS;
    pub use crate::events::ACCEPTED as EVENTS;
    pub use crate::leadtime::ACCEPTED as LEADTIME;
    pub use crate::monitor::ACCEPTED as MONITOR;
    pub use crate::open_cases::ACCEPTED as OPEN_CASES;
    pub use crate::po::ACCEPTED as PO;
    pub use crate::terms::ACCEPTED as TERMS;
    pub use crate::throughput::ACCEPTED as THROUGHPUT;
    pub use crate::workload::ACCEPTED as WORKLOAD;
}

/// The parameters the `GET` endpoint at `path` accepts; None for an unknown path.
pub fn accepted_by(path: &str) -> Option<&'static [&'static str]> {
    Some(match path {
        "/api/v1/throughput" => accepted::THROUGHPUT,
        "/api/v1/leadtime" => accepted::LEADTIME,
        "/api/v1/workload" => accepted::WORKLOAD,
        "/api/v1/po" => accepted::PO,
        "/api/v1/terms" => accepted::TERMS,
        "/api/v1/alerts" => accepted::ALERTS,
        "/api/v1/cases/open" => accepted::OPEN_CASES,
        "/api/v1/monitor" => accepted::MONITOR,
        "/api/v1/dead-letters" => accepted::DEAD_LETTERS,
        "/api/v1/access-log" => accepted::ACCESS_LOG,
        "/api/v1/me" | "/metrics" => &[],
        _ => return None,
    })
}

/// The API's routes: the read models' under `/api/v1` behind the request
/// limits, beside the dashboard, health and metrics.
pub fn router(state: AppState) -> Router {
    use axum::middleware::{from_fn, from_fn_with_state};
    let only = |roles: &'static [Role], routes: Router<AppState>| routes.route_layer(from_fn(auth::require(roles)));
    let api = Router::new()
        .merge(only(&[Role::Producer], events::router()))
        .merge(only(
            &[Role::Reader],
            Router::new()
                .merge(throughput::router())
                .merge(leadtime::router())
                .merge(workload::router()),
        ))
        // Case-level lists: each request leaves a record in the access trace.
        .merge(only(
            &[Role::Reader],
            Router::new()
                .merge(po::router())
                .merge(terms::router())
                .merge(alerts::router())
                .merge(open_cases::router())
                .route_layer(from_fn_with_state(state.clone(), access_log::trace)),
        ))
        .merge(only(
            &[Role::Reader, Role::Council],
            Router::new().merge(monitor::router()).merge(monitor::latest_router()),
        ))
        .merge(only(
            &[Role::Admin],
            Router::new()
                .merge(dead_letters::router())
                .merge(access_log::router())
                .route("/metrics", get(metrics::metrics_handler)),
        ))
        .merge(me::router())
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(from_fn_with_state(state.clone(), limits::guard));
    Router::new()
        .merge(dashboard::router())
        .merge(health::router())
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

/// A read model's `GET` route, answered from the cache: the query string read
/// against `accepted`, its `limit` by `limit`, the store's question built by
/// `query` (given the limit) and asked by `ask`.
fn read_model<Q, T, Fut>(
    accepted: &'static [&'static str],
    limit: fn(&AppState, &Params) -> Result<usize, ApiError>,
    query: fn(&Params, usize) -> Result<Q, ApiError>,
    ask: fn(Store, Q) -> Fut,
) -> MethodRouter<AppState>
where
    Q: Send + 'static,
    T: Rows + auth::Fence + serde::Serialize + Send + 'static,
    Fut: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
{
    get(
        move |State(s): State<AppState>, Extension(permit): Extension<Permit>, access: Access, uri: Uri| async move {
            let p = Params::parse(&uri, accepted, &access)?;
            let limit = limit(&s, &p)?;
            let q = query(&p, limit)?;
            let store = s.store.clone();
            let key = format!("{}?{}", uri.path(), p.canonical());
            s.cached(&key, access.scope(), permit, limit, move || async move {
                Ok(ask(store, q).await?)
            })
            .await
        },
    )
}

/// The read models' `limit`: every row up to [`Limits::max_rows`] by default.
fn model_limit(s: &AppState, p: &Params) -> Result<usize, ApiError> {
    Ok(p.limit(s.limits.max_rows, s.limits.max_rows)?)
}

/// The logs' `limit` (alerts, dead letters): [`Limits::DEFAULT_LOG_ROWS`] by default.
fn log_limit(s: &AppState, p: &Params) -> Result<usize, ApiError> {
    Ok(p.limit(Limits::DEFAULT_LOG_ROWS, s.limits.max_rows)?)
}
