//! The access trace (issue #23): one row per API request, who asked what and
//! how much came back. Append-only; the retention ([`Store::prune_access_log`])
//! is the only delete.

use caseflow_core::event::{mask_bsn_text, safe_text};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::{Store, StoreError};

/// Most characters of a request's query string the trace keeps.
pub const MAX_QUERY_CHARS: usize = 512;
/// Most characters of a request's path (and of the other text fields) the trace keeps.
pub const MAX_ENDPOINT_CHARS: usize = 256;

/// One request as traced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRecord {
    pub at: DateTime<Utc>,
    /// `token:<name>`, the JWT's subject, or `local`.
    pub subject: String,
    /// How the identity was established: `token`, `oidc`, `open`.
    pub via: String,
    /// The roles joined by commas.
    pub roles: String,
    pub method: String,
    /// The request's path.
    pub endpoint: String,
    /// The query string (stored BSN-masked, at most [`MAX_QUERY_CHARS`]).
    pub query: String,
    /// The identity's scope as [`caseflow_core::access::Scope::text`] writes it.
    pub scope: String,
    /// Rows in the answer.
    pub rows: i64,
    /// The HTTP status.
    pub status: u16,
}

/// A stored record and its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRecordRow {
    pub id: i64,
    #[serde(flatten)]
    pub record: AccessRecord,
}

/// Which records to list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogQuery {
    /// At or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
    pub subject: Option<String>,
    pub limit: i64,
}

impl Default for AccessLogQuery {
    fn default() -> Self {
        AccessLogQuery { since: None, until: None, subject: None, limit: 1000 }
    }
}

/// Stored times: fixed width, so text order is time order.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// At most `max` characters of `s`, with `…` when cut.
fn bounded(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some(_) => {
            let mut cut: String = s.chars().take(max - 1).collect();
            cut.push('…');
            cut
        }
    }
}

/// The text as stored: BSNs masked and control characters escaped, bounded;
/// masked again after the cut (a cut can leave nine digits standing alone).
fn stored_text(s: &str, max: usize) -> String {
    mask_bsn_text(&bounded(&safe_text(s), max))
}

impl Store {
    /// Append one record. The query string is stored BSN-masked and bounded to
    /// [`MAX_QUERY_CHARS`] characters, the other texts to [`MAX_ENDPOINT_CHARS`].
    pub async fn record_access(&self, r: &AccessRecord) -> Result<(), StoreError> {
        sqlx::query(
            r#"INSERT INTO access_log (at, subject, via, roles, method, endpoint, query, scope, "rows", status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"#,
        )
        .bind(ts(r.at))
        .bind(bounded(&r.subject, MAX_ENDPOINT_CHARS))
        .bind(bounded(&r.via, MAX_ENDPOINT_CHARS))
        .bind(bounded(&r.roles, MAX_ENDPOINT_CHARS))
        .bind(bounded(&r.method, 16))
        .bind(stored_text(&r.endpoint, MAX_ENDPOINT_CHARS))
        .bind(stored_text(&r.query, MAX_QUERY_CHARS))
        .bind(bounded(&r.scope, MAX_QUERY_CHARS))
        .bind(r.rows)
        .bind(i64::from(r.status))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records, newest first.
    pub async fn access_log(&self, q: &AccessLogQuery) -> Result<Vec<AccessRecordRow>, StoreError> {
        let mut sql = String::from(r#"SELECT id, at, subject, via, roles, method, endpoint, query, scope, "rows", status FROM access_log WHERE 1 = 1"#);
        let mut binds: Vec<String> = Vec::new();
        for (cond, v) in [("at >=", q.since.map(ts)), ("at <", q.until.map(ts)), ("subject =", q.subject.clone())] {
            if let Some(v) = v {
                binds.push(v);
                sql.push_str(&format!(" AND {cond} ${}", binds.len()));
            }
        }
        sql.push_str(&format!(" ORDER BY at DESC, id DESC LIMIT ${}", binds.len() + 1));
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b);
        }
        let rows = query.bind(q.limit.max(0)).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let at: String = r.try_get("at")?;
                let status: i64 = r.try_get("status")?;
                Ok(AccessRecordRow {
                    id: r.try_get("id")?,
                    record: AccessRecord {
                        at: DateTime::parse_from_rfc3339(&at).map_err(|_| StoreError::Corrupt(format!("access_log.at `{at}`")))?.with_timezone(&Utc),
                        subject: r.try_get("subject")?,
                        via: r.try_get("via")?,
                        roles: r.try_get("roles")?,
                        method: r.try_get("method")?,
                        endpoint: r.try_get("endpoint")?,
                        query: r.try_get("query")?,
                        scope: r.try_get("scope")?,
                        rows: r.try_get("rows")?,
                        status: u16::try_from(status).map_err(|_| StoreError::Corrupt(format!("access_log.status {status}")))?,
                    },
                })
            })
            .collect()
    }

    /// Delete the records before `before` (the retention); returns how many.
    pub async fn prune_access_log(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM access_log WHERE at < $1").bind(ts(before)).execute(&self.pool).await?.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_is_masked_and_bounded() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abcd", 3), "ab…");
        assert_eq!(bounded(&"é".repeat(600), 512).chars().count(), 512);
        let q = format!("gemeente=GM0344&x=111222333&{}", "y".repeat(600));
        let s = stored_text(&q, MAX_QUERY_CHARS);
        assert!(!s.contains("111222333"), "{s}");
        assert_eq!(s.chars().count(), MAX_QUERY_CHARS);
        assert_eq!(stored_text("a\u{7}b", 10), "a\\u0007b");
    }
}
