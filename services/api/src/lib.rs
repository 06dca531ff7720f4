//! caseflow's HTTP API (axum): event intake, read models, dead letters, health.

pub mod cache;
pub mod metrics;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use caseflow_core::overdue_po::PoFilter;
use caseflow_core::params::{parse_as_of, parse_domein, parse_gemeente, FilterParams, ParamError};
use caseflow_store::{AlertQuery, Incoming, Store, StoreError};
use serde::Deserialize;
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
    pub cache: Arc<cache::ResponseCache>,
    /// The data version, read by one query at a time for all requests.
    pub version: Arc<cache::VersionGate>,
}

impl AppState {
    pub fn new(store: Store, appended: Arc<Notify>, batch_size: usize) -> AppState {
        AppState {
            store,
            appended,
            batch_size,
            cache: Arc::new(cache::ResponseCache::default()),
            version: Arc::new(cache::VersionGate::default()),
        }
    }

    /// The JSON answer for `uri`: from the cache while the data version (and the
    /// hour, for answers that depend on today) is unchanged, else computed.
    async fn cached<T, F, Fut>(&self, uri: &Uri, compute: F) -> Result<Response, ApiError>
    where
        T: serde::Serialize,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        let generation = format!(
            "{}@{}",
            self.version.get(|| self.store.data_version()).await?,
            chrono::Utc::now().format("%Y-%m-%dT%H")
        );
        let key = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let body = self
            .cache
            .get_or_compute(&generation, key, || async {
                let v = compute().await?;
                Ok::<_, ApiError>(Bytes::from(
                    serde_json::to_vec(&v).expect("read models serialize to JSON"),
                ))
            })
            .await?;
        Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
    }
}

/// An error as the API returns it: a status and a message saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    BadParameter(#[from] ParamError),
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::BadParameter(p) => (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": self.to_string(), "parameter": p.parameter})),
            )
                .into_response(),
            ApiError::BadRequest(m) => {
                (StatusCode::BAD_REQUEST, Json(json!({"error": m}))).into_response()
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

/// The API's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(dashboard))
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics::metrics_handler))
        .route("/api/v1/events", post(post_events))
        .route("/api/v1/throughput", get(throughput))
        .route("/api/v1/leadtime", get(leadtime))
        .route("/api/v1/workload", get(workload))
        .route("/api/v1/po", get(po))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/cases/open", get(open_cases))
        .route("/api/v1/dead-letters", get(dead_letters))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(json!({"error": "no such endpoint; see README.md for the API"})),
            )
        })
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
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
/// projected before the response, so a following query includes them.
async fn post_events(State(s): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let batch = split_lines(&body);
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
        Json(json!({
            "accepted": report.accepted,
            "duplicates": report.duplicates,
            "rejected": report.rejected,
            "rejections": report.rejections,
        })),
    )
        .into_response())
}

/// Split an NDJSON body into lines with their 1-based line numbers; blank lines skipped.
pub fn split_lines(body: &[u8]) -> Vec<Incoming> {
    body.split(|b| *b == b'\n')
        .enumerate()
        .filter_map(|(i, line)| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            (!line.iter().all(u8::is_ascii_whitespace)).then(|| Incoming {
                position: format!("line {}", i + 1),
                raw: line.to_vec(),
            })
        })
        .collect()
}

#[derive(Debug, Deserialize, Default)]
pub struct FilterQuery {
    period: Option<String>,
    gemeente: Option<String>,
    domein: Option<String>,
    from: Option<String>,
    to: Option<String>,
    by_team: Option<String>,
    team: Option<String>,
    measure: Option<String>,
    as_of: Option<String>,
    status: Option<String>,
    kind: Option<String>,
    limit: Option<i64>,
}

impl From<FilterQuery> for FilterParams {
    fn from(q: FilterQuery) -> Self {
        FilterParams {
            period: q.period,
            gemeente: q.gemeente,
            domein: q.domein,
            from: q.from,
            to: q.to,
            by_team: q.by_team,
            team: q.team,
            measure: q.measure,
            as_of: q.as_of,
            status: q.status,
            kind: q.kind,
        }
    }
}

type QueryResult = Result<Query<FilterQuery>, axum::extract::rejection::QueryRejection>;

/// Query-string parsing that reports a bad parameter as a 400 with our message.
fn filter(q: QueryResult) -> Result<FilterParams, ApiError> {
    q.map(|Query(q)| q.into())
        .map_err(|e| ApiError::BadRequest(format!("{e}; accepted parameters: period, gemeente, domein, team, from, to, by_team, measure, as_of, status, kind")))
}

async fn throughput(
    State(s): State<AppState>,
    uri: Uri,
    q: QueryResult,
) -> Result<Response, ApiError> {
    let q = filter(q)?.throughput()?;
    s.cached(&uri, || async { Ok(s.store.throughput(&q).await?) })
        .await
}

async fn leadtime(
    State(s): State<AppState>,
    uri: Uri,
    q: QueryResult,
) -> Result<Response, ApiError> {
    let q = filter(q)?.leadtime()?;
    s.cached(&uri, || async { Ok(s.store.leadtime(&q).await?) })
        .await
}

async fn workload(
    State(s): State<AppState>,
    uri: Uri,
    q: QueryResult,
) -> Result<Response, ApiError> {
    let q = filter(q)?.workload()?;
    s.cached(&uri, || async { Ok(s.store.workload(&q).await?) })
        .await
}

async fn po(State(s): State<AppState>, uri: Uri, q: QueryResult) -> Result<Response, ApiError> {
    let q_limit = q.as_ref().ok().and_then(|q| q.limit);
    let p = filter(q)?;
    let (gemeente, domein) = (
        parse_gemeente(p.gemeente.as_deref())?,
        parse_domein(p.domein.as_deref())?,
    );
    let as_of = parse_as_of(p.as_of.as_deref(), chrono::Utc::now())?;
    let limit = match q_limit {
        None => None,
        Some(n) if n >= 0 => Some(n as usize),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "parameter `limit`: accepted: 0 or more (0 = counts only)".into(),
            ))
        }
    };
    let f = PoFilter {
        team: p.team(),
        status: p.po_status()?,
        limit,
    };
    s.cached(&uri, || async {
        Ok(s.store
            .po_filtered(gemeente.as_deref(), domein.as_deref(), as_of, &f)
            .await?)
    })
    .await
}

async fn alerts(State(s): State<AppState>, uri: Uri, q: QueryResult) -> Result<Response, ApiError> {
    let q = q.map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let limit = q.limit.unwrap_or(1000);
    if !(1..=100_000).contains(&limit) {
        return Err(ApiError::BadRequest(
            "parameter `limit`: accepted: 1 to 100000".into(),
        ));
    }
    let p: FilterParams = q.0.into();
    let aq = AlertQuery {
        gemeente: parse_gemeente(p.gemeente.as_deref())?,
        domein: parse_domein(p.domein.as_deref())?,
        team: p.team(),
        status: p.alert_status()?,
        kind: p.alert_kind()?,
        limit,
    };
    s.cached(&uri, || async { Ok(s.store.alerts(&aq).await?) })
        .await
}

async fn open_cases(
    State(s): State<AppState>,
    uri: Uri,
    q: QueryResult,
) -> Result<Response, ApiError> {
    let p = filter(q)?;
    let (gemeente, domein) = (
        parse_gemeente(p.gemeente.as_deref())?,
        parse_domein(p.domein.as_deref())?,
    );
    let as_of = parse_as_of(p.as_of.as_deref(), chrono::Utc::now())?;
    s.cached(&uri, || async {
        Ok(s.store
            .open_cases(
                gemeente.as_deref(),
                domein.as_deref(),
                p.team().as_deref(),
                as_of,
            )
            .await?)
    })
    .await
}

#[derive(Debug, Deserialize)]
struct Limit {
    limit: Option<i64>,
    order: Option<String>,
}

async fn dead_letters(
    State(s): State<AppState>,
    q: Result<Query<Limit>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| {
        ApiError::BadRequest(format!("{e}; accepted parameters: limit (1 to 100000)"))
    })?;
    let limit = q.limit.unwrap_or(1000);
    if !(1..=100_000).contains(&limit) {
        return Err(ApiError::BadRequest(
            "parameter `limit`: accepted: 1 to 100000".into(),
        ));
    }
    let newest_first = match q.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(o) => {
            return Err(ApiError::BadRequest(format!(
                "parameter `order`: `{o}` is not accepted; accepted: asc, desc"
            )))
        }
    };
    let total = s.store.dead_letter_count().await?;
    let rows = s.store.dead_letters(limit, newest_first).await?;
    Ok(([("x-total-count", total.to_string())], Json(rows)).into_response())
}

async fn dashboard() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(include_str!("dashboard.html")),
    )
}
