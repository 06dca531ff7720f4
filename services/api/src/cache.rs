//! Read-model responses cached by data version.
//!
//! A dashboard asks the same few questions over and over (every operations
//! manager of a team, every refresh), while the answer only changes when the
//! projection applies events or an alert changes. A response is therefore kept
//! under (request URI, the current hour, the store's
//! [data version](caseflow_store::Store::data_version)) and served from memory
//! until the version moves; the hour makes answers that depend on today (open
//! cases, overdue PO) turn over with the day in Europe/Amsterdam, whose midnight
//! is always on a UTC hour. Concurrent requests for the same missing entry wait
//! for one computation (single flight) instead of all running the query.
//!
//! Correctness does not depend on timing: every request uses a data version read
//! after it arrived, so an answer is never older than the data it is asked after
//! (a `POST /api/v1/events` followed by a query sees its events). The version
//! is read by one query at a time ([`VersionGate`]): fifty dashboards refreshing
//! at once share a read instead of queueing fifty queries for the connection pool.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use tokio::sync::OnceCell;

/// Most entries kept; past it the cache starts over (entries are small JSON bodies).
const MAX_ENTRIES: usize = 512;
/// Most bytes kept.
const MAX_BYTES: usize = 64 << 20;

type Cell<V> = Arc<OnceCell<V>>;

/// A cached value's size in bytes, for [`MAX_BYTES`].
pub trait Weigh {
    fn bytes(&self) -> usize;
}

impl Weigh for Bytes {
    fn bytes(&self) -> usize {
        self.len()
    }
}

/// The response cache of one API process.
pub struct ResponseCache<V = Bytes> {
    inner: Mutex<Inner<V>>,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl<V> Default for ResponseCache<V> {
    fn default() -> Self {
        ResponseCache {
            inner: Mutex::new(Inner {
                generation: String::new(),
                entries: HashMap::new(),
                bytes: 0,
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }
}

struct Inner<V> {
    /// The data version (and day) the entries belong to.
    generation: String,
    entries: HashMap<String, Cell<V>>,
    bytes: usize,
}

impl<V: Clone + Weigh> ResponseCache<V> {
    /// The body for `uri` at `generation`, computing it with `compute` at most once
    /// per generation however many requests ask at the same time. Errors are not
    /// cached. When the computing caller is dropped (its client left), its
    /// computation is dropped with it and the next waiting caller computes.
    pub async fn get_or_compute<F, Fut, E>(
        &self,
        generation: &str,
        uri: &str,
        compute: F,
    ) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        let cell = {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if inner.generation != generation {
                inner.entries.clear();
                inner.bytes = 0;
                inner.generation = generation.to_string();
            }
            if inner.entries.len() >= MAX_ENTRIES || inner.bytes >= MAX_BYTES {
                inner.entries.clear();
                inner.bytes = 0;
            }
            inner.entries.entry(uri.to_string()).or_default().clone()
        };
        if let Some(b) = cell.get() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(b.clone());
        }
        let mut computed = false;
        let body = cell
            .get_or_try_init(|| {
                computed = true;
                compute()
            })
            .await?
            .clone();
        if computed {
            self.misses.fetch_add(1, Ordering::Relaxed);
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if inner.generation == generation {
                inner.bytes += body.bytes();
            }
        } else {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        Ok(body)
    }
}

/// The data version for requests, read by at most one query at a time.
///
/// A request may only use a version read by a query that *started after the
/// request arrived*: joining a read already under way could return the version
/// from before a commit the requester has seen. So requests that arrive while a
/// read runs wait for it, and the first of them starts the next read, which the
/// rest then share. Under load a request waits for at most two reads, and the
/// store answers one version query at a time however many requests are waiting.
#[derive(Default)]
pub struct VersionGate {
    /// How many reads have started (a read's number is its start count).
    started: AtomicU64,
    /// The number and value of the last completed read; held during a read.
    last: tokio::sync::Mutex<Option<(u64, String)>>,
    /// Reads done (`caseflow_api_version_reads_total`).
    pub reads: AtomicU64,
}

impl VersionGate {
    /// A version read after this call began, from `read` or shared with a
    /// concurrent caller's. A failed read is returned to its caller and not kept.
    pub async fn get<F, Fut, E>(&self, read: F) -> Result<String, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<String, E>>,
    {
        let arrived = self.started.load(Ordering::SeqCst);
        let mut last = self.last.lock().await;
        if let Some((n, v)) = last.as_ref() {
            if *n > arrived {
                return Ok(v.clone());
            }
        }
        let n = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        self.reads.fetch_add(1, Ordering::Relaxed);
        let v = read().await?;
        *last = Some((n, v.clone()));
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls `f` once: far enough for a [`VersionGate::get`] to note its arrival
    /// and queue for the gate (or, uncontended, to enter its read).
    async fn poll_once<F: std::future::Future + Unpin>(f: &mut F) {
        std::future::poll_fn(|cx| {
            let _ = std::future::Future::poll(std::pin::Pin::new(&mut *f), cx);
            std::task::Poll::Ready(())
        })
        .await
    }

    #[tokio::test]
    async fn a_version_is_never_read_before_the_request_arrived() {
        let gate = Arc::new(VersionGate::default());
        let version = Arc::new(AtomicU64::new(1));
        // Each request reads `version` when its read starts; the early one's read
        // then waits for `release`, so it is under way while the rest arrive.
        let release = Arc::new(tokio::sync::Notify::new());
        let request = |hold: Option<Arc<tokio::sync::Notify>>| {
            let (gate, version) = (gate.clone(), version.clone());
            Box::pin(async move {
                gate.get(|| async move {
                    let v = version.load(Ordering::SeqCst);
                    if let Some(hold) = hold {
                        hold.notified().await;
                    }
                    Ok::<_, ()>(v.to_string())
                })
                .await
                .unwrap()
            })
        };
        // A read of version 1 is under way when version 2 commits and twenty
        // requests arrive.
        let mut early = request(Some(release.clone()));
        poll_once(&mut early).await;
        assert_eq!(
            gate.reads.load(Ordering::Relaxed),
            1,
            "the early read is under way"
        );
        version.store(2, Ordering::SeqCst);
        let mut late = Vec::new();
        for _ in 0..20 {
            let mut f = request(None);
            poll_once(&mut f).await;
            late.push(tokio::spawn(f));
        }
        release.notify_one();
        assert_eq!(early.await, "1");
        for t in late {
            assert_eq!(
                t.await.unwrap(),
                "2",
                "a request that arrived after the commit sees it"
            );
        }
        assert_eq!(
            gate.reads.load(Ordering::Relaxed),
            2,
            "twenty requests waiting on one read share the next one"
        );
    }

    #[tokio::test]
    async fn a_failed_version_read_is_not_kept() {
        let gate = VersionGate::default();
        assert!(gate
            .get(|| async { Err::<String, _>("db down") })
            .await
            .is_err());
        assert_eq!(
            gate.get(|| async { Ok::<_, &str>("7".to_string()) })
                .await
                .unwrap(),
            "7"
        );
        assert_eq!(
            gate.get(|| async { Ok::<_, &str>("8".to_string()) })
                .await
                .unwrap(),
            "8",
            "sequential requests read again"
        );
    }

    #[tokio::test]
    async fn computes_once_per_generation_and_uri() {
        let c = ResponseCache::default();
        let calls = AtomicU64::new(0);
        let compute = |v: &'static str| {
            calls.fetch_add(1, Ordering::Relaxed);
            async move { Ok::<_, ()>(Bytes::from(v)) }
        };
        assert_eq!(
            c.get_or_compute("1", "/a", || compute("a1")).await.unwrap(),
            "a1"
        );
        assert_eq!(
            c.get_or_compute("1", "/a", || compute("other"))
                .await
                .unwrap(),
            "a1",
            "same generation: cached"
        );
        assert_eq!(
            c.get_or_compute("1", "/b", || compute("b1")).await.unwrap(),
            "b1",
            "another URI: computed"
        );
        assert_eq!(
            c.get_or_compute("2", "/a", || compute("a2")).await.unwrap(),
            "a2",
            "a new generation recomputes"
        );
        assert_eq!(calls.load(Ordering::Relaxed), 3);
        assert_eq!(
            (
                c.hits.load(Ordering::Relaxed),
                c.misses.load(Ordering::Relaxed)
            ),
            (1, 3)
        );
    }

    #[tokio::test]
    async fn errors_are_not_cached() {
        let c = ResponseCache::default();
        assert!(c
            .get_or_compute("1", "/a", || async { Err::<Bytes, _>("db down") })
            .await
            .is_err());
        assert_eq!(
            c.get_or_compute("1", "/a", || async { Ok::<_, &str>(Bytes::from("ok")) })
                .await
                .unwrap(),
            "ok"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_compute_once() {
        let c = Arc::new(ResponseCache::default());
        let calls = Arc::new(AtomicU64::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (c, calls) = (c.clone(), calls.clone());
                tokio::spawn(async move {
                    c.get_or_compute("1", "/slow", || async move {
                        calls.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok::<_, ()>(Bytes::from("x"))
                    })
                    .await
                    .unwrap()
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), "x");
        }
        assert_eq!(
            calls.load(Ordering::Relaxed),
            1,
            "one computation for twenty concurrent requests"
        );
    }
}
