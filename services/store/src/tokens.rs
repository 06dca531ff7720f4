//! API tokens (issue #23): `cf_` + base64url of 32 random bytes from the
//! operating system. Only the SHA-256 of a token is stored: a token is
//! high-entropy random, so a fast hash cannot be searched back to it, and a
//! token is checked by looking its hash up through the unique index, so no
//! secret is compared byte by byte in this process.

use std::collections::BTreeSet;

use base64::Engine;
use caseflow_core::access::{Identity, Role, Scope, Via};
use caseflow_core::params::ParamError;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Dialect, Store, StoreError};

/// Every token starts with this.
pub const TOKEN_PREFIX: &str = "cf_";
/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;
/// A presented secret longer than this is refused without a query.
pub const MAX_SECRET_BYTES: usize = 100;
/// `last_used_at` is written at most this often per token.
const LAST_USED_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
/// Longest token name.
pub const MAX_NAME_CHARS: usize = 64;

/// A token to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// 1–64 characters of `A-Za-z0-9._-`; `token-<id>` when absent.
    pub name: Option<String>,
    pub roles: BTreeSet<Role>,
    pub scope: Scope,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token as listed: never its secret nor its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub roles: Vec<String>,
    /// `*` or the CBS codes joined by commas.
    pub gemeenten: String,
    /// The teams joined by commas; None: every team.
    pub teams: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl TokenInfo {
    /// Not revoked and not expired at `now`.
    pub fn active_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// What a presented token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    Valid(Identity),
    /// Not a token of this deployment (or not of the token form at all).
    Unknown,
    Expired,
    Revoked,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse_ts(column: &str, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("api_tokens.{column} `{s}`")))
}

fn parse_opt_ts(column: &str, s: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    s.map(|s| parse_ts(column, &s)).transpose()
}

fn sha256_hex(s: &str) -> String {
    use std::fmt::Write;
    Sha256::digest(s.as_bytes()).iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Whether `s` has the form of a token (`cf_` + 43 base64url characters):
/// anything else is unknown without asking the database.
fn token_form(s: &str) -> bool {
    s.len() <= MAX_SECRET_BYTES
        && s.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
            rest.len() == 43 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn name_error(message: String) -> StoreError {
    StoreError::Param(ParamError { parameter: "name", message })
}

/// A name a person may give: 1–64 of `A-Za-z0-9._-`, not only digits (it
/// would read as an id) and not `token-<digits>` (the names given to unnamed tokens).
pub fn check_token_name(name: &str) -> Result<(), ParamError> {
    let bad = |why: &str| ParamError {
        parameter: "name",
        message: format!("`{}` {why}; a token name is 1–64 characters of A-Z, a-z, 0-9, `.`, `_` and `-`", name.chars().take(MAX_NAME_CHARS).collect::<String>()),
    };
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(bad("is empty or too long"));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        return Err(bad("holds other characters"));
    }
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("is only digits, which reads as a token id"));
    }
    if name.strip_prefix("token-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad("is of the form token-<number>, kept for tokens created without a name"));
    }
    Ok(())
}

const COLUMNS: &str = "id, name, roles, gemeenten, teams, created_at, expires_at, revoked_at, last_used_at";

fn info_from_row(r: &sqlx::any::AnyRow) -> Result<TokenInfo, StoreError> {
    let roles: String = r.try_get("roles")?;
    Ok(TokenInfo {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        roles: roles.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        gemeenten: r.try_get("gemeenten")?,
        teams: r.try_get("teams")?,
        created_at: parse_ts("created_at", &r.try_get::<String, _>("created_at")?)?,
        expires_at: parse_opt_ts("expires_at", r.try_get("expires_at")?)?,
        revoked_at: parse_opt_ts("revoked_at", r.try_get("revoked_at")?)?,
        last_used_at: parse_opt_ts("last_used_at", r.try_get("last_used_at")?)?,
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Store {
    /// Create a token; returns it as listed and its secret, which is not kept
    /// and cannot be shown again.
    pub async fn create_token(&self, t: &NewToken) -> Result<(TokenInfo, String), StoreError> {
        if let Some(name) = &t.name {
            check_token_name(name)?;
        }
        if t.roles.is_empty() {
            return Err(StoreError::Param(ParamError { parameter: "roles", message: "a token holds at least one role".into() }));
        }
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::Random(e.to_string()))?;
        let secret = format!("{TOKEN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
        let hash = sha256_hex(&secret);
        let roles = t.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
        let teams = t.scope.limited_to_teams().then(|| t.scope.teams.text());
        // Unnamed: a provisional name no person can give (it holds spaces),
        // replaced by `token-<id>` in the same transaction.
        let provisional = format!("unnamed {hash}");
        let name = t.name.clone().unwrap_or(provisional);

        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO api_tokens (name, token_sha256, roles, gemeenten, teams, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&name)
        .bind(&hash)
        .bind(&roles)
        .bind(t.scope.gemeenten.text())
        .bind(&teams)
        .bind(ts(Utc::now()))
        .bind(t.expires_at.map(ts))
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match inserted {
            Ok(r) => r.try_get("id")?,
            Err(e) if is_unique_violation(&e) && t.name.is_some() => {
                return Err(name_error(format!("a token named `{name}` exists already; choose another name (or revoke and list with `caseflow token`)")));
            }
            Err(e) => return Err(e.into()),
        };
        if t.name.is_none() {
            sqlx::query("UPDATE api_tokens SET name = $1 WHERE id = $2").bind(format!("token-{id}")).bind(id).execute(&mut *tx).await?;
        }
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE id = $1")).bind(id).fetch_one(&mut *tx).await?;
        let info = info_from_row(&row)?;
        tx.commit().await?;
        Ok((info, secret))
    }

    /// What a presented secret is at `now`. A secret that is not of the token
    /// form (or longer than [`MAX_SECRET_BYTES`]) is `Unknown` without a
    /// query. A valid token's `last_used_at` is written at most once a minute.
    pub async fn check_token(&self, secret: &str, now: DateTime<Utc>) -> Result<TokenCheck, StoreError> {
        if !token_form(secret) {
            return Ok(TokenCheck::Unknown);
        }
        let hash = sha256_hex(secret);
        let Some(row) = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE token_sha256 = $1")).bind(&hash).fetch_optional(&self.pool).await? else {
            return Ok(TokenCheck::Unknown);
        };
        let info = info_from_row(&row)?;
        if info.revoked_at.is_some() {
            return Ok(TokenCheck::Revoked);
        }
        if info.expires_at.is_some_and(|e| e <= now) {
            return Ok(TokenCheck::Expired);
        }
        let roles = Role::parse_list(&info.roles.join(",")).map_err(|e| StoreError::Corrupt(format!("api_tokens {} roles: {e}", info.id)))?;
        let scope = Scope::parse(&info.gemeenten, info.teams.as_deref()).map_err(|e| StoreError::Corrupt(format!("api_tokens {} scope: {e}", info.id)))?;
        if info.last_used_at.is_none_or(|t| now - t >= LAST_USED_EVERY) {
            self.touch_token(info.id, now).await;
        }
        Ok(TokenCheck::Valid(Identity { subject: format!("token:{}", info.name), roles, scope, via: Via::Token { id: info.id } }))
    }

    /// Write `last_used_at`. Bookkeeping only: on SQLite it is skipped while
    /// this process is writing (the next request writes it), so a request never
    /// waits for a projection batch; a failure is logged, not the request's.
    async fn touch_token(&self, id: i64, now: DateTime<Utc>) {
        let _guard = match self.dialect {
            Dialect::Sqlite => match self.write_lock.try_lock() {
                Ok(g) => Some(g),
                Err(_) => return,
            },
            Dialect::Postgres => None,
        };
        // The condition keeps concurrent requests from writing it twice.
        let r = sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)")
            .bind(ts(now))
            .bind(id)
            .bind(ts(now - LAST_USED_EVERY))
            .execute(&self.pool)
            .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, token_id = id, "cannot record when the token was last used");
        }
    }

    /// Every token, oldest first (never a hash or a secret).
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id")).fetch_all(&self.pool).await?.iter().map(info_from_row).collect()
    }

    /// Revoke the token with this id or name (from then on it is `Revoked`).
    /// Revoking a revoked token keeps its first revocation time. None: no such token.
    pub async fn revoke_token(&self, id_or_name: &str) -> Result<Option<TokenInfo>, StoreError> {
        let id_or_name = id_or_name.trim();
        let row = match id_or_name.parse::<i64>() {
            Ok(id) => sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?,
            Err(_) => sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE name = $1")).bind(id_or_name).fetch_optional(&self.pool).await?,
        };
        let Some(row) = row else { return Ok(None) };
        let mut info = info_from_row(&row)?;
        if info.revoked_at.is_none() {
            let now = Utc::now();
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL").bind(ts(now)).bind(info.id).execute(&self.pool).await?;
            let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE id = $1")).bind(info.id).fetch_one(&self.pool).await?;
            info = info_from_row(&row)?;
        }
        Ok(Some(info))
    }

    /// Whether some token is neither revoked nor expired at `now`.
    pub async fn has_active_token(&self, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let rows = sqlx::query("SELECT expires_at FROM api_tokens WHERE revoked_at IS NULL").fetch_all(&self.pool).await?;
        for r in rows {
            match parse_opt_ts("expires_at", r.try_get("expires_at")?)? {
                None => return Ok(true),
                Some(e) if e > now => return Ok(true),
                Some(_) => {}
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_form_is_checked_before_any_query() {
        let good = format!("cf_{}", "A".repeat(43));
        assert!(token_form(&good));
        assert!(!token_form(&format!("cf_{}", "A".repeat(42))));
        assert!(!token_form(&format!("xx_{}", "A".repeat(43))));
        assert!(!token_form(&format!("cf_{}=", "A".repeat(42))));
        assert!(!token_form(&"cf_".repeat(1000)));
        assert!(!token_form(""));
    }

    #[test]
    fn token_names() {
        for ok in ["ci", "team-noord.reader_2", "token-x", "token-", &"a".repeat(64)] {
            assert!(check_token_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "with space", "naïve", "12", "token-12", &"a".repeat(65), "a/b"] {
            let e = check_token_name(bad).unwrap_err();
            assert_eq!(e.parameter, "name", "{bad}");
            assert!(e.message.contains("A-Z"), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn the_hash_is_hex_sha256() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
