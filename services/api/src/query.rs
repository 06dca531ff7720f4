//! Query strings, read the same way for every endpoint: each endpoint names the
//! parameters it accepts, and a parameter it does not know, an empty value or a
//! parameter given twice is a 400 naming it — never silently "all" (a typo such
//! as `gemente=GM0344` would otherwise answer for every gemeente).

use std::collections::BTreeMap;

use axum::extract::Query;
use axum::http::Uri;
use caseflow_core::params::{
    given, parse_as_of, parse_domein, parse_gemeente, FilterParams, ParamError,
};
use chrono::{DateTime, Utc};

use crate::ApiError;

/// Longest parameter name echoed in an error (a name is the client's own text).
const MAX_ECHO: usize = 64;

/// The accepted parameters of one request, by name.
#[derive(Debug, Default)]
pub(crate) struct Params {
    values: BTreeMap<&'static str, String>,
}

impl Params {
    /// Reads `uri`'s query string against the parameters an endpoint accepts.
    pub(crate) fn parse(uri: &Uri, accepted: &'static [&'static str]) -> Result<Params, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri).map_err(|e| {
            ApiError::BadRequest(format!(
                "the query string cannot be read: {}",
                e.body_text()
            ))
        })?;
        let mut values = BTreeMap::new();
        for (name, value) in pairs {
            let Some(&known) = accepted.iter().find(|a| **a == name) else {
                return Err(ApiError::UnknownParameter {
                    name: echo(&name),
                    accepted,
                });
            };
            let value = given(known, Some(&value))?
                .expect("a given value")
                .to_string();
            if values.insert(known, value).is_some() {
                return Err(ParamError {
                    parameter: known,
                    message: "given more than once; give it once".into(),
                }
                .into());
            }
        }
        Ok(Params { values })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    fn owned(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }

    /// `limit`: a whole number from 0 to `max`; `default` when absent.
    pub(crate) fn limit(&self, default: usize, max: usize) -> Result<usize, ParamError> {
        match self.get("limit") {
            None => Ok(default.min(max)),
            Some(v) => v.parse::<usize>().ok().filter(|n| *n <= max).ok_or_else(|| ParamError {
                parameter: "limit",
                message: format!(
                    "`{}` is not accepted; accepted: a whole number from 0 to {max} (the most rows in one answer)",
                    echo(v)
                ),
            }),
        }
    }

    /// `gemeente` and `domein`, each checked.
    pub(crate) fn gemeente_domein(&self) -> Result<(Option<String>, Option<String>), ParamError> {
        Ok((
            parse_gemeente(self.get("gemeente"))?,
            parse_domein(self.get("domein"))?,
        ))
    }

    /// `as_of`: now when absent.
    pub(crate) fn as_of(&self) -> Result<DateTime<Utc>, ParamError> {
        parse_as_of(self.get("as_of"), Utc::now())
    }

    /// The shared filter parameters (those this endpoint accepts are set).
    pub(crate) fn filter(&self) -> FilterParams {
        FilterParams {
            period: self.owned("period"),
            gemeente: self.owned("gemeente"),
            domein: self.owned("domein"),
            from: self.owned("from"),
            to: self.owned("to"),
            by_team: self.owned("by_team"),
            team: self.owned("team"),
            measure: self.owned("measure"),
            as_of: self.owned("as_of"),
            status: self.owned("status"),
            kind: self.owned("kind"),
        }
    }
}

/// A client's text as an error may repeat it: shortened, BSNs masked.
fn echo(s: &str) -> String {
    let short: String = s.chars().take(MAX_ECHO).collect();
    let masked =
        String::from_utf8_lossy(&caseflow_core::event::mask_bsn(short.as_bytes())).into_owned();
    if short.len() < s.len() {
        format!("{masked}…")
    } else {
        masked
    }
}
