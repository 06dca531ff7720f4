//! `caseflow token …` (create, list, revoke API tokens), `caseflow query
//! access-log`, and the access trace's retention.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::bail;
use caseflow_core::access::{Role, Scope};
use caseflow_core::period::start_of_local_day;
use caseflow_store::{AccessLogQuery, AccessRecordRow, NewToken, Store, TokenInfo};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::args::{AccessLogArgs, Global, TokenCommand, TokenCreateArgs};
use crate::store::open;

/// How often `run` and `serve` apply the access trace's retention.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Longest expiry `--expires` accepts as a duration.
const MAX_EXPIRY_DAYS: i64 = 36_500;

// Flag values (clap value parsers: a refusal names the flag and exits 2).

/// `--role`: a comma-separated list of roles.
pub fn parse_roles(s: &str) -> Result<BTreeSet<Role>, String> {
    Role::parse_list(s).map_err(|e| match e {
        caseflow_core::access::AccessError::UnknownRole(r) if r.is_empty() => "name at least one role; roles: producer, reader, council, admin".to_string(),
        e => e.to_string(),
    })
}

/// `--gemeente`: CBS codes, comma-separated, or `*`.
pub fn parse_gemeenten(s: &str) -> Result<String, String> {
    Scope::parse(s, None).map(|scope| scope.gemeenten.text()).map_err(|e| format!("{e}; accepted: CBS codes such as GM0344,GM0363, or `*` for every gemeente"))
}

/// `--team`: team names, comma-separated (`*`: every team).
pub fn parse_teams(s: &str) -> Result<String, String> {
    Scope::parse("*", Some(s)).map(|scope| scope.teams.text()).map_err(|e| e.to_string())
}

/// `--name`: see [`caseflow_store::check_token_name`].
pub fn parse_name(s: &str) -> Result<String, String> {
    caseflow_store::check_token_name(s).map(|()| s.to_string()).map_err(|e| e.message)
}

/// `--expires`: `90d`, `12h`, a date (the start of that day, Dutch time) or an
/// RFC 3339 time; in the future.
pub fn parse_expires(s: &str) -> Result<DateTime<Utc>, String> {
    expiry(s, Utc::now())
}

fn expiry(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let accepted = "accepted: a duration from now of at least 1 hour or day (90d, 12h, at most 100 years) or a future date (2027-03-01) or time (RFC 3339)";
    let v = s.trim();
    let shown: String = v.chars().take(40).collect();
    let relative = |unit: char, per_day: i64| -> Option<Result<DateTime<Utc>, String>> {
        let n: i64 = v.strip_suffix(unit)?.parse().ok()?;
        Some(if n < 1 || n > MAX_EXPIRY_DAYS * per_day {
            Err(format!("`{shown}` is not accepted; {accepted}"))
        } else {
            Ok(now + chrono::TimeDelta::hours(n * 24 / per_day))
        })
    };
    let at = if let Some(r) = relative('d', 1).or_else(|| relative('h', 24)) {
        r?
    } else if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        start_of_local_day(d)
    } else if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        t.with_timezone(&Utc)
    } else {
        return Err(format!("`{shown}` is not accepted; {accepted}"));
    };
    if at <= now {
        return Err(format!("`{shown}` is in the past; {accepted}"));
    }
    Ok(at)
}

fn time_or_date(s: &str, date_to: impl Fn(NaiveDate) -> DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let v = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map(date_to).map_err(|_| {
        format!("`{}` is not accepted; accepted: an RFC 3339 time (2026-03-01T12:00:00+01:00) or a date (2026-03-01)", v.chars().take(40).collect::<String>())
    })
}

/// `--since`: a time, or a date from the start of that day (Dutch time).
pub fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    time_or_date(s, start_of_local_day)
}

/// `--until`: a time, or a date up to and including that day (Dutch time).
pub fn parse_until(s: &str) -> Result<DateTime<Utc>, String> {
    time_or_date(s, |d| start_of_local_day(d.succ_opt().unwrap_or(d)))
}

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
    let days = i64::try_from(retention_days).unwrap_or(i64::MAX).clamp(1, MAX_EXPIRY_DAYS * 10);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiries() {
        let now: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
        assert_eq!(expiry("90d", now).unwrap(), now + chrono::TimeDelta::days(90));
        assert_eq!(expiry(" 12h ", now).unwrap(), now + chrono::TimeDelta::hours(12));
        assert_eq!(expiry("2027-03-01", now).unwrap(), "2027-02-28T23:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(expiry("2027-03-01T10:00:00+01:00", now).unwrap(), "2027-03-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap());
        for bad in ["0d", "0h", "-1d", "d", "90", "90m", "1.5d", "", "99999999999999999999d", "36501d"] {
            let e = expiry(bad, now).unwrap_err();
            assert!(e.contains("accepted: a duration"), "{bad}: {e}");
        }
        let e = expiry("2026-12-01", now).unwrap_err();
        assert!(e.contains("in the past"), "{e}");
    }

    #[test]
    fn since_and_until_of_a_date_cover_the_dutch_day() {
        assert_eq!(parse_since("2026-03-01").unwrap(), "2026-02-28T23:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(parse_until("2026-03-01").unwrap(), "2026-03-01T23:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert!(parse_since("yesterday").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn flag_values() {
        assert_eq!(parse_roles("reader, producer").unwrap().len(), 2);
        assert!(parse_roles("boss").unwrap_err().contains("producer, reader, council, admin"));
        assert!(parse_roles(",").unwrap_err().contains("at least one role"));
        assert_eq!(parse_gemeenten(" * ").unwrap(), "*");
        assert_eq!(parse_gemeenten("GM0363,GM0344").unwrap(), "GM0344,GM0363");
        assert!(parse_gemeenten("Utrecht").unwrap_err().contains("GM0344"));
        assert_eq!(parse_teams("Zuid, Noord").unwrap(), "Noord,Zuid");
        assert!(parse_name("my token").is_err());
        assert_eq!(parse_name("ci.reader").unwrap(), "ci.reader");
    }
}
