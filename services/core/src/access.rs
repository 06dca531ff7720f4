//! Who may do what: the roles of a shared deployment, the gemeenten (and teams)
//! an identity may see, and how a request's `gemeente`/`team` parameters are
//! resolved against that scope. Pure: the API's extractor and the CLI call in.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::params::parse_gemeente;

/// What an identity may do. An identity holds one or more roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// POST events, for its gemeenten only.
    Producer,
    /// The read models and case-level lists of its gemeenten (and teams).
    Reader,
    /// Only the council monitor's shown values of its gemeenten.
    Council,
    /// Dead letters, tokens, the access trace, metrics.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Producer, Role::Reader, Role::Council, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Producer => "producer",
            Role::Reader => "reader",
            Role::Council => "council",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Role, AccessError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| AccessError::UnknownRole(s.chars().take(64).collect()))
    }

    /// A comma-separated list of roles, at least one.
    pub fn parse_list(s: &str) -> Result<BTreeSet<Role>, AccessError> {
        let roles = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Role::parse)
            .collect::<Result<BTreeSet<_>, _>>()?;
        if roles.is_empty() {
            return Err(AccessError::UnknownRole(String::new()));
        }
        Ok(roles)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which values of one dimension (gemeente or team) a scope allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Within {
    /// Every value (written `*`).
    All,
    /// Only these (never empty).
    Only(BTreeSet<String>),
}

impl Within {
    pub fn allows(&self, v: &str) -> bool {
        match self {
            Within::All => true,
            Within::Only(set) => set.contains(v),
        }
    }

    /// `*`, or the values joined by commas.
    pub fn text(&self) -> String {
        match self {
            Within::All => "*".into(),
            Within::Only(set) => set.iter().cloned().collect::<Vec<_>>().join(","),
        }
    }

    /// The one value this allows, if it allows exactly one.
    fn single(&self) -> Option<&str> {
        match self {
            Within::Only(set) if set.len() == 1 => set.iter().next().map(String::as_str),
            _ => None,
        }
    }
}

/// The gemeenten and teams an identity may see or write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub gemeenten: Within,
    /// `All` unless the identity is limited to its teams.
    pub teams: Within,
}

impl Scope {
    /// Every gemeente and team.
    pub fn everything() -> Scope {
        Scope { gemeenten: Within::All, teams: Within::All }
    }

    /// A scope from its written form: gemeenten `*` or `GM0344,GM0363`; teams
    /// absent (all), or a comma-separated list of team names.
    pub fn parse(gemeenten: &str, teams: Option<&str>) -> Result<Scope, AccessError> {
        let gemeenten = if gemeenten.trim() == "*" {
            Within::All
        } else {
            let set = gemeenten
                .split(',')
                .filter(|g| !g.trim().is_empty())
                .map(|g| {
                    parse_gemeente(Some(g))
                        .map(|g| g.expect("a given value"))
                        .map_err(|e| AccessError::BadScope(e.message))
                })
                .collect::<Result<BTreeSet<_>, _>>()?;
            if set.is_empty() {
                return Err(AccessError::BadScope(
                    "name at least one gemeente (GM followed by 4 digits), or `*` for every gemeente".into(),
                ));
            }
            Within::Only(set)
        };
        let teams = match teams.map(str::trim) {
            None | Some("*") => Within::All,
            Some(t) => {
                let set: BTreeSet<String> = t
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| {
                        if t.chars().count() > 100 || t.chars().any(char::is_control) {
                            Err(AccessError::BadScope(
                                "a team name is at most 100 characters, without control characters".into(),
                            ))
                        } else {
                            Ok(t.to_string())
                        }
                    })
                    .collect::<Result<_, _>>()?;
                if set.is_empty() {
                    return Err(AccessError::BadScope("name at least one team, or leave the teams out".into()));
                }
                Within::Only(set)
            }
        };
        Ok(Scope { gemeenten, teams })
    }

    /// Whether a row of this gemeente and team may be shown. A row without a
    /// team is shown only to a scope that is not limited to teams.
    pub fn allows(&self, gemeente: &str, team: Option<&str>) -> bool {
        self.gemeenten.allows(gemeente)
            && match (&self.teams, team) {
                (Within::All, _) => true,
                (Within::Only(_), None) => false,
                (t, Some(team)) => t.allows(team),
            }
    }

    pub fn limited_to_teams(&self) -> bool {
        !matches!(self.teams, Within::All)
    }

    /// The `gemeente` a query asks for, within the scope: a given one must be
    /// in it; an absent one is the scope's only gemeente, or every gemeente for
    /// an unlimited scope. A scope of several gemeenten must name one.
    pub fn resolve_gemeente(&self, given: Option<String>) -> Result<Option<String>, AccessError> {
        resolve("gemeente", &self.gemeenten, given)
    }

    /// The `team` a query asks for, within the scope (as for the gemeente).
    pub fn resolve_team(&self, given: Option<String>) -> Result<Option<String>, AccessError> {
        resolve("team", &self.teams, given)
    }

    /// `gemeenten=…;teams=…` as the access trace records it.
    pub fn text(&self) -> String {
        match self.teams {
            Within::All => format!("gemeenten={}", self.gemeenten.text()),
            _ => format!("gemeenten={};teams={}", self.gemeenten.text(), self.teams.text()),
        }
    }
}

fn resolve(parameter: &'static str, within: &Within, given: Option<String>) -> Result<Option<String>, AccessError> {
    match given {
        Some(v) if within.allows(&v) => Ok(Some(v)),
        Some(v) => Err(AccessError::OutOfScope { parameter, value: v.chars().take(64).collect() }),
        None => match within {
            Within::All => Ok(None),
            w => match w.single() {
                Some(one) => Ok(Some(one.to_string())),
                None => Err(AccessError::Choose { parameter, options: w.text() }),
            },
        },
    }
}

/// How an identity was established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Via {
    /// An API token from `caseflow token create`.
    Token { id: i64 },
    /// A JWT from the configured OpenID Connect issuer.
    Oidc { issuer: String },
    /// No credential: `--auth off` on a loopback address.
    Open,
}

/// Who a request is from, what they may do, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// Stable name for the access trace: `token:<name>`, the JWT's subject, or `local`.
    pub subject: String,
    pub roles: BTreeSet<Role>,
    pub scope: Scope,
    pub via: Via,
}

impl Identity {
    /// The identity of an open (loopback, `--auth off`) deployment: everything.
    pub fn open() -> Identity {
        Identity {
            subject: "local".into(),
            roles: Role::ALL.into_iter().collect(),
            scope: Scope::everything(),
            via: Via::Open,
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Ok when the identity holds one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AccessError> {
        if roles.iter().any(|r| self.has(*r)) {
            Ok(())
        } else {
            Err(AccessError::MissingRole {
                needed: roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" or "),
            })
        }
    }

    /// The roles joined by commas.
    pub fn roles_text(&self) -> String {
        self.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// A request outside what its identity may do, or a scope that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("`{0}` is not a role; roles: producer, reader, council, admin")]
    UnknownRole(String),
    #[error("{0}")]
    BadScope(String),
    #[error("parameter `{parameter}`: `{value}` is outside your scope")]
    OutOfScope { parameter: &'static str, value: String },
    #[error("parameter `{parameter}`: your scope holds several ({options}); name one")]
    Choose { parameter: &'static str, options: String },
    #[error("this needs the role {needed}; ask an admin for a token with it")]
    MissingRole { needed: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(g: &str, t: Option<&str>) -> Scope {
        Scope::parse(g, t).unwrap()
    }

    #[test]
    fn a_given_gemeente_must_be_in_scope() {
        let s = scope("GM0344,GM0363", None);
        assert_eq!(s.resolve_gemeente(Some("GM0344".into())), Ok(Some("GM0344".into())));
        assert!(matches!(
            s.resolve_gemeente(Some("GM0518".into())),
            Err(AccessError::OutOfScope { parameter: "gemeente", .. })
        ));
        assert!(matches!(s.resolve_gemeente(None), Err(AccessError::Choose { .. })));
        assert_eq!(scope("GM0344", None).resolve_gemeente(None), Ok(Some("GM0344".into())));
        assert_eq!(Scope::everything().resolve_gemeente(None), Ok(None));
    }

    #[test]
    fn a_team_scope_hides_rows_without_a_team() {
        let s = scope("GM0344", Some("Noord, Zuid"));
        assert!(s.allows("GM0344", Some("Noord")));
        assert!(!s.allows("GM0344", Some("West")));
        assert!(!s.allows("GM0344", None));
        assert!(!s.allows("GM0363", Some("Noord")));
        assert!(scope("GM0344", None).allows("GM0344", None));
        assert!(matches!(s.resolve_team(None), Err(AccessError::Choose { .. })));
        assert_eq!(s.text(), "gemeenten=GM0344;teams=Noord,Zuid");
    }

    #[test]
    fn scopes_and_roles_that_cannot_be_read_are_refused() {
        assert!(Scope::parse("", None).is_err());
        assert!(Scope::parse("GM034", None).is_err());
        assert!(Scope::parse("GM0344", Some(" , ")).is_err());
        assert!(Scope::parse("GM0344", Some("a\u{7}b")).is_err());
        assert_eq!(Scope::parse(" * ", Some("*")).unwrap(), Scope::everything());
        assert!(Role::parse_list("reader,boss").is_err());
        assert!(Role::parse_list(",").is_err());
        assert_eq!(Role::parse_list("reader, producer").unwrap().len(), 2);
    }

    #[test]
    fn require_names_the_missing_role() {
        let mut id = Identity::open();
        id.roles = [Role::Council].into_iter().collect();
        assert!(id.require(&[Role::Council, Role::Reader]).is_ok());
        let e = id.require(&[Role::Admin]).unwrap_err();
        assert!(e.to_string().contains("admin"), "{e}");
    }
}
