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

use caseflow_core::access::{AccessError, Within};

use crate::auth::Access;
use crate::ApiError;

/// Longest parameter name echoed in an error (a name is the client's own text).
const MAX_ECHO: usize = 64;

/// The accepted parameters of one request, by name.
#[derive(Debug, Default)]
pub(crate) struct Params {
    values: BTreeMap<&'static str, String>,
}

impl Params {
    /// Reads `uri`'s query string against the parameters an endpoint accepts,
    /// within the scope of `access`: a `gemeente` or `team` outside it is
    /// refused (403); an absent one is the scope's only value, and a scope of
    /// several must name one (400). A scope limited to teams sees per-team
    /// answers only (`by_team=true`), and no endpoint without a `team` filter.
    pub(crate) fn parse(uri: &Uri, accepted: &'static [&'static str], access: &Access) -> Result<Params, ApiError> {
        let mut p = Params::read(uri, accepted)?;
        let scope = access.scope();
        if accepted.contains(&"gemeente") {
            let given = p.values.remove("gemeente");
            if let Some(g) = scope.resolve_gemeente(given)? {
                p.values.insert("gemeente", g);
            }
        }
        if scope.limited_to_teams() {
            if accepted.contains(&"team") {
                let given = p.values.remove("team");
                if let Some(t) = scope.resolve_team(given)? {
                    p.values.insert("team", t);
                }
            } else if accepted.contains(&"by_team") {
                p.values.insert("by_team", "true".into());
            } else if accepted.contains(&"gemeente") {
                return Err(AccessError::MissingRole {
                    needed: "reader for the whole gemeente (this answer is not per team; your scope is limited to teams)".into(),
                }
                .into());
            }
        }
        Ok(p)
    }

    /// [`Params::parse`] for the monitor, whose `gemeente` is a list: every
    /// gemeente named must be in scope; none named means the scope's gemeenten.
    pub(crate) fn parse_gemeente_list(uri: &Uri, accepted: &'static [&'static str], access: &Access) -> Result<Params, ApiError> {
        let mut p = Params::read(uri, accepted)?;
        let scope = access.scope();
        if scope.limited_to_teams() {
            return Err(AccessError::MissingRole {
                needed: "reader or council for the whole gemeente (your scope is limited to teams)".into(),
            }
            .into());
        }
        match (p.values.get("gemeente"), &scope.gemeenten) {
            (_, Within::All) => {}
            (Some(list), _) => {
                for g in list.split(',').map(str::trim).filter(|g| !g.is_empty()) {
                    scope.resolve_gemeente(Some(g.to_string()))?;
                }
            }
            (None, within) => {
                p.values.insert("gemeente", within.text());
            }
        }
        Ok(p)
    }

    /// The resolved parameters in one canonical text: with the scope, the key
    /// of a cached answer (two identities asking the same URL may be answered
    /// for different gemeenten).
    pub(crate) fn canonical(&self) -> String {
        serde_json::to_string(&self.values).expect("a map of strings serializes")
    }

    /// Reads `uri`'s query string against the parameters an endpoint accepts.
    fn read(uri: &Uri, accepted: &'static [&'static str]) -> Result<Params, ApiError> {
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
