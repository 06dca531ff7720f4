//! Query parameters shared by the HTTP API and the CLI, so both accept and
//! reject exactly the same input with the same message.

use crate::event::Domein;
use crate::period::{Granularity, Period};
use crate::throughput::ThroughputQuery;

/// A query parameter that was not accepted: which one, and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter `{parameter}`: {message}")]
pub struct ParamError {
    pub parameter: &'static str,
    pub message: String,
}

fn bad(parameter: &'static str, message: impl Into<String>) -> ParamError {
    ParamError { parameter, message: message.into() }
}

/// Raw filter parameters as they arrive from a URL or the command line.
#[derive(Debug, Clone, Default)]
pub struct FilterParams {
    pub period: Option<String>,
    pub gemeente: Option<String>,
    pub domein: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub by_team: Option<String>,
}

pub fn parse_gemeente(g: Option<&str>) -> Result<Option<String>, ParamError> {
    match g.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(g) if g.len() == 6 && g.starts_with("GM") && g[2..].bytes().all(|b| b.is_ascii_digit()) => Ok(Some(g.to_string())),
        Some(g) => Err(bad("gemeente", format!("`{g}` is not a CBS gemeente code; expected GM followed by 4 digits, e.g. GM0935"))),
    }
}

pub fn parse_domein(d: Option<&str>) -> Result<Option<String>, ParamError> {
    match d.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(d) => Domein::parse(d).map(|d| Some(d.as_str().to_string())).ok_or_else(|| bad("domein", format!("`{d}` is not accepted; accepted: wmo, jeugd"))),
    }
}

pub fn parse_granularity(p: Option<&str>, default: Granularity) -> Result<Granularity, ParamError> {
    match p.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(p) => Granularity::parse(p).ok_or_else(|| bad("period", format!("`{p}` is not accepted; accepted: {}", Granularity::ACCEPTED))),
    }
}

pub fn parse_bool(name: &'static str, v: Option<&str>) -> Result<bool, ParamError> {
    match v.map(str::trim) {
        None | Some("") | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(other) => Err(bad(name, format!("`{other}` is not accepted; accepted: true, false"))),
    }
}

/// A window bound: a date (`2020-03-29`) or any period label (`2020-W13`,
/// `2020-03`, `2020-Q1`, `2020`). `from` takes the period's first day, `to` its last.
pub fn parse_bound(name: &'static str, v: Option<&str>, is_end: bool) -> Result<Option<chrono::NaiveDate>, ParamError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            let p = Period::parse_label(s).ok_or_else(|| {
                bad(name, format!("`{s}` is not accepted; accepted: a date (2020-03-29) or a period (2020-W13, 2020-03, 2020-Q1, 2020)"))
            })?;
            Ok(Some(if is_end { p.last_day() } else { p.start }))
        }
    }
}

impl FilterParams {
    pub fn throughput(&self) -> Result<ThroughputQuery, ParamError> {
        let q = ThroughputQuery {
            granularity: parse_granularity(self.period.as_deref(), Granularity::Week)?,
            gemeente: parse_gemeente(self.gemeente.as_deref())?,
            domein: parse_domein(self.domein.as_deref())?,
            by_team: parse_bool("by_team", self.by_team.as_deref())?,
            from: parse_bound("from", self.from.as_deref(), false)?,
            to: parse_bound("to", self.to.as_deref(), true)?,
        };
        if let (Some(f), Some(t)) = (q.from, q.to) {
            if f > t {
                return Err(bad("to", format!("the window ends ({t}) before it starts ({f})")));
            }
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_and_rejected() {
        let p = FilterParams { period: Some("month".into()), from: Some("2020-W13".into()), to: Some("2020-Q2".into()), ..Default::default() };
        let q = p.throughput().unwrap();
        assert_eq!(q.granularity, Granularity::Month);
        assert_eq!(q.from.unwrap().to_string(), "2020-03-23");
        assert_eq!(q.to.unwrap().to_string(), "2020-06-30");
        let e = FilterParams { period: Some("fortnight".into()), ..Default::default() }.throughput().unwrap_err();
        assert_eq!(e.to_string(), "parameter `period`: `fortnight` is not accepted; accepted: day, week, month, quarter, year");
        let e = FilterParams { gemeente: Some("Maastricht".into()), ..Default::default() }.throughput().unwrap_err();
        assert_eq!(e.parameter, "gemeente");
        let e = FilterParams { from: Some("2020-05-01".into()), to: Some("2020-04-01".into()), ..Default::default() }.throughput().unwrap_err();
        assert_eq!(e.parameter, "to");
        let e = FilterParams { by_team: Some("ja".into()), ..Default::default() }.throughput().unwrap_err();
        assert_eq!(e.parameter, "by_team");
        let e = FilterParams { from: Some("gisteren".into()), ..Default::default() }.throughput().unwrap_err();
        assert_eq!(e.parameter, "from");
    }
}
