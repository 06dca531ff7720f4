//! Value parsers of the token and access-log flags (clap `value_parser`s: a
//! refusal names the flag and exits 2). Leaves of the binary: `args` uses them.

use std::collections::BTreeSet;

use caseflow_core::access::{Role, Scope};
use caseflow_core::period::start_of_local_day;
use chrono::{DateTime, NaiveDate, Utc};
/// Longest expiry `--expires` accepts as a duration.
pub(crate) const MAX_EXPIRY_DAYS: i64 = 36_500;

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
