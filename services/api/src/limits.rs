//! Bounds on the work and the output of one API request.
//!
//! Every `/api/v1` request passes [`guard`]: it waits for one of
//! [`Limits::max_concurrent_requests`] permits and must finish within
//! [`Limits::request_timeout`], waiting included; else it is answered 503 in the
//! API's JSON error shape. A read-model computation runs on the blocking pool
//! ([`off_thread`]) holding a share of its request's permit, so the runtime's
//! worker threads stay free for cheap requests (health, cached answers), a timeout
//! fires on time, and work a client no longer waits for still counts against the
//! limit until it stops. It stops at its next await point (a database fetch) once
//! the request is dropped — hyper drops a handler's future when its client
//! disconnects, and the timeout drops it too — while a purely computing stretch
//! runs to its end, bounded by the clamped window and the data.
//!
//! A `POST /api/v1/events` additionally takes one of [`WRITE_PERMITS`] before
//! its body is read: appends serialize on the store's write lock anyway, and this
//! keeps at most that many bodies (each up to [`Limits::max_body_bytes`]) in memory.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{ApiError, AppState};

/// Bodies of `POST /api/v1/events` being read or appended at once.
pub const WRITE_PERMITS: usize = 2;

/// The API's bounds (flags of `caseflow run`/`serve`; see README.md "Limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted request body (`POST /api/v1/events`), in bytes.
    pub max_body_bytes: usize,
    /// Longest a request may take, waiting for a permit included.
    pub request_timeout: Duration,
    /// `/api/v1` requests served at once; more wait (within the timeout).
    pub max_concurrent_requests: usize,
    /// Most rows in one answer; also the default `limit` of the read models,
    /// and the most lines in one POST (whose answer lists a rejection per bad line).
    pub max_rows: usize,
}

impl Limits {
    /// About 37,000 simulated events (450 bytes each on average).
    pub const DEFAULT_MAX_BODY_BYTES: usize = 16 << 20;
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 8;
    pub const DEFAULT_MAX_ROWS: usize = 50_000;
    /// Default `limit` of the lists that are logs rather than read models
    /// (alerts, dead letters), capped by `max_rows`.
    pub const DEFAULT_LOG_ROWS: usize = 1_000;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            max_concurrent_requests: Self::DEFAULT_MAX_CONCURRENT_REQUESTS,
            max_rows: Self::DEFAULT_MAX_ROWS,
        }
    }
}

/// The permits of one API process.
pub(crate) struct Permits {
    requests: Arc<Semaphore>,
    writes: Arc<Semaphore>,
}

impl Permits {
    pub(crate) fn new(limits: &Limits) -> Permits {
        Permits {
            requests: Arc::new(Semaphore::new(limits.max_concurrent_requests.max(1))),
            writes: Arc::new(Semaphore::new(WRITE_PERMITS)),
        }
    }
}

/// A request's share of its concurrency permit, handed to work that may outlive
/// the request (see [`off_thread`]).
#[derive(Clone)]
pub struct Permit(#[allow(dead_code)] Arc<Vec<OwnedSemaphorePermit>>);

/// The middleware of every `/api/v1` route: concurrency limit and timeout.
pub(crate) async fn guard(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let limits = s.limits;
    let admitted = AtomicBool::new(false);
    let work = async {
        let mut held = Vec::with_capacity(2);
        // A write waits for its write permit first, so writers queued behind the
        // store's write lock do not hold the permits readers need.
        if req.method() == Method::POST {
            held.push(
                s.permits
                    .writes
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the write semaphore is never closed"),
            );
        }
        held.push(
            s.permits
                .requests
                .clone()
                .acquire_owned()
                .await
                .expect("the request semaphore is never closed"),
        );
        admitted.store(true, Ordering::Relaxed);
        req.extensions_mut().insert(Permit(Arc::new(held)));
        next.run(req).await
    };
    match tokio::time::timeout(limits.request_timeout, work).await {
        Ok(response) => response,
        Err(_) if admitted.load(Ordering::Relaxed) => {
            ApiError::Timeout(limits.request_timeout).into_response()
        }
        Err(_) => ApiError::Busy(limits).into_response(),
    }
}

/// Runs `work` on the blocking pool, holding `permit` until it ends. Dropping
/// the returned future (the client left, the timeout fired) cancels `work` at
/// its next await point.
pub(crate) async fn off_thread<T, Fut>(permit: Permit, work: Fut) -> Result<T, ApiError>
where
    T: Send + 'static,
    Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
{
    // Dropped with this future: `cancelled` then resolves.
    let (_alive, cancelled) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::runtime::Handle::current();
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        handle.block_on(async move {
            tokio::select! {
                biased;
                _ = cancelled => Err(ApiError::Cancelled),
                r = work => r,
            }
        })
    });
    match task.await {
        Ok(r) => r,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(ApiError::Cancelled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{header, StatusCode};
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_request_that_gets_no_permit_within_the_timeout_is_told_the_server_is_busy() {
        let dir = caseflow_tests::TempDir::new("api-busy");
        let store = caseflow_store::Store::open(&dir.sqlite_url())
            .await
            .unwrap();
        let limits = Limits {
            request_timeout: Duration::from_millis(200),
            max_concurrent_requests: 2,
            ..Limits::default()
        };
        let state = AppState::new(store, Default::default(), 100).with_limits(limits);
        // Work that outlived its requests holds every permit.
        let held = state
            .permits
            .requests
            .clone()
            .acquire_many_owned(2)
            .await
            .unwrap();
        let app = crate::router(state.clone());
        let r = app
            .clone()
            .oneshot(
                axum::http::Request::get("/api/v1/po")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        let body = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains("busy (2 requests at once)"),
            "{v}"
        );
        drop(held);
        let r = app
            .oneshot(
                axum::http::Request::get("/api/v1/po")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropped_work_keeps_its_permit_until_it_stops_at_its_next_await() {
        let sem = Arc::new(Semaphore::new(1));
        let permit = Permit(Arc::new(vec![sem.clone().acquire_owned().await.unwrap()]));
        // The work: a computing stretch (blocked until `compute` is released),
        // then an await that never ends unless cancelled.
        let (compute_tx, compute_rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (probe, dropped) = tokio::sync::oneshot::channel::<()>();
        let work = async move {
            let _probe = probe;
            let _ = started_tx.send(());
            compute_rx.recv().unwrap();
            std::future::pending::<()>().await;
            Ok::<(), ApiError>(())
        };
        let request = tokio::spawn(off_thread(permit, work));
        started_rx.await.unwrap();
        // The client leaves: the request's future is dropped mid-computation.
        request.abort();
        assert!(request.await.unwrap_err().is_cancelled());
        assert_eq!(
            sem.available_permits(),
            0,
            "the computing work still holds the permit"
        );
        // The computation reaches its next await and is cancelled there.
        compute_tx.send(()).unwrap();
        assert!(dropped.await.is_err(), "the work was dropped");
        let again = sem.acquire().await.unwrap();
        drop(again);
    }
}
