//! Query parameters shared by the HTTP API and the CLI, so both accept and
//! reject exactly the same input with the same message.

use chrono::{DateTime, Duration, Utc};

use crate::event::Domein;
use crate::leadtime::{LeadtimeQuery, MEASURES};
use crate::overdue_po::PoStatus;
use crate::period::{start_of_local_day, Granularity, Period};
use crate::throughput::ThroughputQuery;
use crate::workload::{monday, WorkloadQuery};

/// A query parameter that was not accepted: which one, and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter `{parameter}`: {message}")]
pub struct ParamError {
    pub parameter: &'static str,
    pub message: String,
}

/// Longest quoted value an error repeats.
const MAX_ECHO: usize = 64;

impl ParamError {
    /// The error as an answer may repeat it: the values it quotes (between
    /// backticks) shortened and BSNs masked, so the answer stays small and no
    /// BSN a client typed into the wrong field comes back.
    pub fn repeatable(&self) -> ParamError {
        let message: String = self
            .message
            .split('`')
            .enumerate()
            .map(|(i, part)| match part.char_indices().nth(MAX_ECHO) {
                Some((cut, _)) if i % 2 == 1 => format!("{}…", &part[..cut]),
                _ => part.to_string(),
            })
            .collect::<Vec<_>>()
            .join("`");
        ParamError { parameter: self.parameter, message: crate::event::mask_bsn_text(&message) }
    }
}

fn bad(parameter: &'static str, message: impl Into<String>) -> ParamError {
    ParamError {
        parameter,
        message: message.into(),
    }
}

/// What an empty value is told: an absent parameter and an empty one are not the
/// same request (`gemeente=` is more likely a form left blank by mistake than a
/// wish for every gemeente), so an empty value is refused rather than read as "all".
pub const EMPTY_VALUE: &str =
    "an empty value is not accepted; give a value or leave the parameter out";

/// A given parameter's value, trimmed: `None` when absent, an error when empty
/// (or only white space). Every parser below reads its input through this.
pub fn given<'a>(name: &'static str, v: Option<&'a str>) -> Result<Option<&'a str>, ParamError> {
    match v.map(str::trim) {
        None => Ok(None),
        Some("") => Err(bad(name, EMPTY_VALUE)),
        Some(s) => Ok(Some(s)),
    }
}

/// A team name: any non-empty text.
pub fn parse_team(v: Option<&str>) -> Result<Option<String>, ParamError> {
    Ok(given("team", v)?.map(str::to_string))
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
    pub team: Option<String>,
    pub measure: Option<String>,
    pub as_of: Option<String>,
    pub status: Option<String>,
    pub kind: Option<String>,
}

pub fn parse_gemeente(g: Option<&str>) -> Result<Option<String>, ParamError> {
    match given("gemeente", g)? {
        None => Ok(None),
        Some(g)
            if g.len() == 6
                && g.starts_with("GM")
                && g[2..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(Some(g.to_string()))
        }
        Some(g) => Err(bad(
            "gemeente",
            format!(
                "`{g}` is not a CBS gemeente code; expected GM followed by 4 digits, e.g. GM0935"
            ),
        )),
    }
}

pub fn parse_domein(d: Option<&str>) -> Result<Option<String>, ParamError> {
    match given("domein", d)? {
        None => Ok(None),
        Some(d) => Domein::parse(d)
            .map(|d| Some(d.as_str().to_string()))
            .ok_or_else(|| {
                bad(
                    "domein",
                    format!("`{d}` is not accepted; accepted: wmo, jeugd"),
                )
            }),
    }
}

pub fn parse_granularity(p: Option<&str>, default: Granularity) -> Result<Granularity, ParamError> {
    match given("period", p)? {
        None => Ok(default),
        Some(p) => Granularity::parse(p).ok_or_else(|| {
            bad(
                "period",
                format!("`{p}` is not accepted; accepted: {}", Granularity::ACCEPTED),
            )
        }),
    }
}

pub fn parse_bool(name: &'static str, v: Option<&str>) -> Result<bool, ParamError> {
    match given(name, v)? {
        None | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(other) => Err(bad(
            name,
            format!("`{other}` is not accepted; accepted: true, false"),
        )),
    }
}

/// A window bound: a date (`2020-03-29`) or any period label (`2020-W13`,
/// `2020-03`, `2020-Q1`, `2020`). `from` takes the period's first day, `to` its last.
pub fn parse_bound(
    name: &'static str,
    v: Option<&str>,
    is_end: bool,
) -> Result<Option<chrono::NaiveDate>, ParamError> {
    match given(name, v)? {
        None => Ok(None),
        Some(s) => {
            let p = Period::parse_label(s).ok_or_else(|| {
                bad(name, format!("`{s}` is not accepted; accepted: a date (2020-03-29) or a period (2020-W13, 2020-03, 2020-Q1, 2020)"))
            })?;
            Ok(Some(if is_end { p.last_day() } else { p.start }))
        }
    }
}

/// A reference time: RFC 3339 (`2020-06-30T23:59:59+02:00`), or a date meaning
/// the end of that Amsterdam day. Absent: `now`.
pub fn parse_as_of(v: Option<&str>, now: DateTime<Utc>) -> Result<DateTime<Utc>, ParamError> {
    match given("as_of", v)? {
        None => Ok(now),
        Some(s) => {
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return Ok(t.with_timezone(&Utc));
            }
            if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                return Ok(start_of_local_day(d + Duration::days(1)) - Duration::seconds(1));
            }
            Err(bad("as_of", format!("`{s}` is not accepted; accepted: an RFC 3339 time (2020-06-30T12:00:00+02:00) or a date (2020-06-30)")))
        }
    }
}

fn non_empty(name: &'static str, v: &Option<String>) -> Result<Option<String>, ParamError> {
    Ok(given(name, v.as_deref())?.map(str::to_string))
}

impl FilterParams {
    fn window(&self) -> Result<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>), ParamError> {
        let from = parse_bound("from", self.from.as_deref(), false)?;
        let to = parse_bound("to", self.to.as_deref(), true)?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(bad(
                    "to",
                    format!("the window ends ({t}) before it starts ({f})"),
                ));
            }
        }
        Ok((from, to))
    }

    pub fn leadtime(&self) -> Result<LeadtimeQuery, ParamError> {
        let t = self.throughput()?;
        let measure = match non_empty("measure", &self.measure)? {
            None => None,
            Some(m) if MEASURES.contains(&m.as_str()) => Some(m),
            Some(m) => {
                return Err(bad(
                    "measure",
                    format!("`{m}` is not accepted; accepted: {}", MEASURES.join(", ")),
                ))
            }
        };
        Ok(LeadtimeQuery {
            granularity: t.granularity,
            gemeente: t.gemeente,
            domein: t.domein,
            by_team: t.by_team,
            from: t.from,
            to: t.to,
            measure,
        })
    }

    /// Workload: `from`/`to` name weeks (`2020-W01`) or dates within them.
    pub fn workload(&self) -> Result<WorkloadQuery, ParamError> {
        let (from, to) = self.window()?;
        Ok(WorkloadQuery {
            gemeente: parse_gemeente(self.gemeente.as_deref())?,
            domein: parse_domein(self.domein.as_deref())?,
            team: self.team()?,
            from: from.map(monday),
            to: to.map(monday),
        })
    }

    pub fn po_status(&self) -> Result<Option<PoStatus>, ParamError> {
        match non_empty("status", &self.status)? {
            None => Ok(None),
            Some(s) => PoStatus::parse(&s).map(Some).ok_or_else(|| {
                bad(
                    "status",
                    format!(
                        "`{s}` is not accepted; accepted: {}",
                        PoStatus::ALL
                            .iter()
                            .map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            }),
        }
    }

    /// Alerts: `status` open (default), resolved or all; `kind` one of the alert statuses.
    pub fn alert_status(&self) -> Result<Option<String>, ParamError> {
        match non_empty("status", &self.status)?.as_deref() {
            None | Some("open") => Ok(Some("open".into())),
            Some("resolved") => Ok(Some("resolved".into())),
            Some("all") => Ok(None),
            Some(s) => Err(bad(
                "status",
                format!("`{s}` is not accepted; accepted: open, resolved, all"),
            )),
        }
    }

    pub fn alert_kind(&self) -> Result<Option<String>, ParamError> {
        match non_empty("kind", &self.kind)? {
            None => Ok(None),
            Some(k) if PoStatus::parse(&k).is_some_and(PoStatus::is_alert) => Ok(Some(k)),
            Some(k) => Err(bad("kind", format!("`{k}` is not accepted; accepted: geen_po_gepland, po_zonder_vervolg, po_verlopen, po_te_ver_gepland"))),
        }
    }

    pub fn team(&self) -> Result<Option<String>, ParamError> {
        parse_team(self.team.as_deref())
    }

    pub fn throughput(&self) -> Result<ThroughputQuery, ParamError> {
        let (from, to) = self.window()?;
        Ok(ThroughputQuery {
            granularity: parse_granularity(self.period.as_deref(), Granularity::Week)?,
            gemeente: parse_gemeente(self.gemeente.as_deref())?,
            domein: parse_domein(self.domein.as_deref())?,
            by_team: parse_bool("by_team", self.by_team.as_deref())?,
            from,
            to,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_and_rejected() {
        let p = FilterParams {
            period: Some("month".into()),
            from: Some("2020-W13".into()),
            to: Some("2020-Q2".into()),
            ..Default::default()
        };
        let q = p.throughput().unwrap();
        assert_eq!(q.granularity, Granularity::Month);
        assert_eq!(q.from.unwrap().to_string(), "2020-03-23");
        assert_eq!(q.to.unwrap().to_string(), "2020-06-30");
        let e = FilterParams {
            period: Some("fortnight".into()),
            ..Default::default()
        }
        .throughput()
        .unwrap_err();
        assert_eq!(e.to_string(), "parameter `period`: `fortnight` is not accepted; accepted: day, week, month, quarter, year");
        let e = FilterParams {
            gemeente: Some("Maastricht".into()),
            ..Default::default()
        }
        .throughput()
        .unwrap_err();
        assert_eq!(e.parameter, "gemeente");
        let e = FilterParams {
            from: Some("2020-05-01".into()),
            to: Some("2020-04-01".into()),
            ..Default::default()
        }
        .throughput()
        .unwrap_err();
        assert_eq!(e.parameter, "to");
        let e = FilterParams {
            by_team: Some("ja".into()),
            ..Default::default()
        }
        .throughput()
        .unwrap_err();
        assert_eq!(e.parameter, "by_team");
        let e = FilterParams {
            from: Some("gisteren".into()),
            ..Default::default()
        }
        .throughput()
        .unwrap_err();
        assert_eq!(e.parameter, "from");
        let e = FilterParams {
            measure: Some("wachttijd".into()),
            ..Default::default()
        }
        .leadtime()
        .unwrap_err();
        assert_eq!(e.parameter, "measure");
        let w = FilterParams {
            from: Some("2020-W01".into()),
            to: Some("2020-W26".into()),
            ..Default::default()
        }
        .workload()
        .unwrap();
        assert_eq!(
            (w.from.unwrap().to_string(), w.to.unwrap().to_string()),
            ("2019-12-30".into(), "2020-06-22".into())
        );
        assert_eq!(
            FilterParams {
                status: Some("closed".into()),
                ..Default::default()
            }
            .alert_status()
            .unwrap_err()
            .parameter,
            "status"
        );
        assert_eq!(
            FilterParams::default().alert_status().unwrap().as_deref(),
            Some("open")
        );
        assert_eq!(
            FilterParams {
                status: Some("all".into()),
                ..Default::default()
            }
            .alert_status()
            .unwrap(),
            None
        );
        assert_eq!(
            FilterParams {
                kind: Some("ok".into()),
                ..Default::default()
            }
            .alert_kind()
            .unwrap_err()
            .parameter,
            "kind"
        );
        assert_eq!(
            FilterParams {
                status: Some("verlopen".into()),
                ..Default::default()
            }
            .po_status()
            .unwrap_err()
            .parameter,
            "status"
        );
    }

    #[test]
    fn empty_values_are_refused_not_read_as_all() {
        let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        for empty in ["", "  "] {
            let e = || Some(empty.to_string());
            let cases: Vec<(&str, Result<(), ParamError>)> = vec![
                (
                    "gemeente",
                    FilterParams {
                        gemeente: e(),
                        ..Default::default()
                    }
                    .throughput()
                    .map(drop),
                ),
                (
                    "domein",
                    FilterParams {
                        domein: e(),
                        ..Default::default()
                    }
                    .throughput()
                    .map(drop),
                ),
                (
                    "period",
                    FilterParams {
                        period: e(),
                        ..Default::default()
                    }
                    .throughput()
                    .map(drop),
                ),
                (
                    "from",
                    FilterParams {
                        from: e(),
                        ..Default::default()
                    }
                    .throughput()
                    .map(drop),
                ),
                (
                    "to",
                    FilterParams {
                        to: e(),
                        ..Default::default()
                    }
                    .workload()
                    .map(drop),
                ),
                (
                    "by_team",
                    FilterParams {
                        by_team: e(),
                        ..Default::default()
                    }
                    .throughput()
                    .map(drop),
                ),
                (
                    "measure",
                    FilterParams {
                        measure: e(),
                        ..Default::default()
                    }
                    .leadtime()
                    .map(drop),
                ),
                (
                    "team",
                    FilterParams {
                        team: e(),
                        ..Default::default()
                    }
                    .workload()
                    .map(drop),
                ),
                (
                    "team",
                    FilterParams {
                        team: e(),
                        ..Default::default()
                    }
                    .team()
                    .map(drop),
                ),
                (
                    "status",
                    FilterParams {
                        status: e(),
                        ..Default::default()
                    }
                    .po_status()
                    .map(drop),
                ),
                (
                    "status",
                    FilterParams {
                        status: e(),
                        ..Default::default()
                    }
                    .alert_status()
                    .map(drop),
                ),
                (
                    "kind",
                    FilterParams {
                        kind: e(),
                        ..Default::default()
                    }
                    .alert_kind()
                    .map(drop),
                ),
                ("as_of", parse_as_of(Some(empty), now).map(drop)),
                ("team", parse_team(Some(empty)).map(drop)),
            ];
            for (name, r) in cases {
                let err = r.expect_err(name);
                assert_eq!((err.parameter, err.message.as_str()), (name, EMPTY_VALUE));
            }
        }
        // Absent still means the default.
        assert_eq!(FilterParams::default().throughput().unwrap().gemeente, None);
        assert_eq!(parse_team(None).unwrap(), None);
    }

    #[test]
    fn as_of() {
        let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(parse_as_of(None, now).unwrap(), now);
        assert_eq!(
            parse_as_of(Some("2020-06-30"), now).unwrap().to_rfc3339(),
            "2020-06-30T21:59:59+00:00"
        );
        assert_eq!(
            parse_as_of(Some("2020-06-30T12:00:00+02:00"), now)
                .unwrap()
                .to_rfc3339(),
            "2020-06-30T10:00:00+00:00"
        );
        assert_eq!(
            parse_as_of(Some("morgen"), now).unwrap_err().parameter,
            "as_of"
        );
    }
}
