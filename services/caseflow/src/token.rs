//! `caseflow token …` (create, list, revoke API tokens), `caseflow query
//! access-log`, and the access trace's retention.

use std::time::Duration;

use anyhow::bail;
use caseflow_core::access::Scope;
use caseflow_store::{AccessLogQuery, AccessRecordRow, NewToken, Store, TokenInfo};
use chrono::{DateTime, SecondsFormat, Utc};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::args::{AccessLogArgs, Global, TokenCommand, TokenCreateArgs};
use crate::store::open;

/// How often `run` and `serve` apply the access trace's retention.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt_ts(t: Option<DateTime<Utc>>, none: &str) -> String {
    t.map(ts).unwrap_or_else(|| none.to_string())
}

fn new_table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header);
    t
}

/// `caseflow token …`.
pub async fn token(g: &Global, c: TokenCommand) -> anyhow::Result<()> {
    match c {
        TokenCommand::Create(a) => create(g, &a).await,
        TokenCommand::List(a) => {
            let tokens = open(g).await?.tokens().await?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&tokens)?);
            } else if tokens.is_empty() {
                println!("no tokens; create one with `caseflow token create --role ROLES --gemeente GEMEENTEN`");
            } else {
                println!("{}", token_table(&tokens, Utc::now()));
            }
            Ok(())
        }
        TokenCommand::Revoke(a) => match open(g).await?.revoke_token(&a.token).await? {
            Some(t) => {
                println!("revoked token {} ({}) at {}; requests with it are refused", t.id, t.name, opt_ts(t.revoked_at, "–"));
                Ok(())
            }
            None => bail!("no token with id or name `{}`; `caseflow token list` shows them", a.token.chars().take(64).collect::<String>()),
        },
    }
}

async fn create(g: &Global, a: &TokenCreateArgs) -> anyhow::Result<()> {
    // The flags were checked by their parsers; this cannot fail on them.
    let scope = Scope::parse(&a.gemeenten, a.teams.as_deref())?;
    let new = NewToken { name: a.name.clone(), roles: a.roles.clone(), scope, expires_at: a.expires };
    let (info, secret) = open(g).await?.create_token(&new).await?;
    if a.json {
        let v = json!({
            "token": secret,
            "id": info.id,
            "name": info.name,
            "roles": info.roles,
            "gemeenten": info.gemeenten,
            "teams": info.teams,
            "expires_at": info.expires_at.map(ts),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "created token {} `{}`: roles {}, gemeenten {}, teams {}, expires {}",
        info.id,
        info.name,
        info.roles.join(","),
        info.gemeenten,
        info.teams.as_deref().unwrap_or("*"),
        opt_ts(info.expires_at, "never"),
    );
    println!();
    println!("    {secret}");
    println!();
    println!("This token will not be shown again (only its hash is kept): store it now.");
    println!("Send it with every request as the header `Authorization: Bearer {secret}`.");
    Ok(())
}

fn token_table(tokens: &[TokenInfo], now: DateTime<Utc>) -> String {
    let mut t = new_table(vec!["id", "name", "roles", "gemeenten", "teams", "status", "created_at", "expires_at", "last_used_at"]);
    for k in tokens {
        let status = match (k.revoked_at, k.active_at(now)) {
            (Some(_), _) => "revoked",
            (None, true) => "active",
            (None, false) => "expired",
        };
        t.add_row(vec![
            k.id.to_string(),
            k.name.clone(),
            k.roles.join(","),
            k.gemeenten.clone(),
            k.teams.clone().unwrap_or_else(|| "*".into()),
            status.to_string(),
            ts(k.created_at),
            opt_ts(k.expires_at, "never"),
            opt_ts(k.last_used_at, "–"),
        ]);
    }
    t.to_string()
}

/// `caseflow query access-log`.
pub async fn access_log(g: &Global, a: AccessLogArgs) -> anyhow::Result<()> {
    let q = AccessLogQuery { since: a.since, until: a.until, subject: a.subject, limit: a.limit };
    let rows = open(g).await?.access_log(&q).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if rows.is_empty() {
        println!("no requests traced in this window");
    } else {
        println!("{}", access_table(&rows));
    }
    Ok(())
}

fn access_table(rows: &[AccessRecordRow]) -> String {
    let mut t = new_table(vec!["id", "at", "subject", "via", "roles", "method", "endpoint", "query", "scope", "rows", "status"]);
    for r in rows {
        let q = &r.record;
        let query: String = q.query.chars().take(60).collect();
        let query = if q.query.chars().count() > 60 { format!("{query}…") } else { query };
        t.add_row(vec![
            r.id.to_string(),
            q.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            q.subject.clone(),
            q.via.clone(),
            q.roles.clone(),
            q.method.clone(),
            q.endpoint.clone(),
            query,
            q.scope.clone(),
            q.rows.to_string(),
            q.status.to_string(),
        ]);
    }
    t.to_string()
}

/// Delete the access trace's records older than `retention_days` days; a
/// failure is logged (the next round tries again).
pub async fn prune_access_log(store: &Store, retention_days: u64) {
    let days = i64::try_from(retention_days).unwrap_or(i64::MAX).clamp(1, crate::flags::MAX_EXPIRY_DAYS * 10);
    let before = Utc::now() - chrono::TimeDelta::days(days);
    match store.prune_access_log(before).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, retention_days = days, "access trace pruned"),
        Err(e) => tracing::error!(error = %e, "pruning the access trace failed; retrying later"),
    }
}

/// [`prune_access_log`] now and every hour until `stop`.
pub async fn prune_access_log_until(store: &Store, retention_days: u64, stop: &CancellationToken) {
    while !stop.is_cancelled() {
        prune_access_log(store, retention_days).await;
        tokio::select! {
            _ = tokio::time::sleep(PRUNE_EVERY) => {}
            _ = stop.cancelled() => {}
        }
    }
}
