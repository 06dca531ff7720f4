//! Bearer JWTs from a municipality's OpenID Connect identity provider (Entra ID,
//! Keycloak, …): the signature is checked by `jsonwebtoken` (RustCrypto
//! backend) against the provider's JWKS or a configured public key, then the
//! claims are mapped to an [`Identity`] with roles and a scope.
//!
//! Accepted: RS256, PS256 and ES256 (P-256), each only with a key of its own
//! kind. Refused before any key is looked at: `alg: none`, HMAC (`HS*`), any
//! other algorithm, and tokens longer than [`MAX_TOKEN_BYTES`].
//!
//! The JWKS is fetched once at start (a wrong URL fails there), kept in
//! memory, and fetched again when a token names a key id it does not hold
//! (the provider rotated its keys) or when the keys are older than an hour.
//! Fetches after the first are at most one per 30 seconds; each has a
//! 5-second timeout and a 1 MB body limit; a failed fetch keeps the old keys.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use caseflow_core::access::{Identity, Role, Scope, Via, Within};
use caseflow_core::params::parse_gemeente;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Tokens longer than this are refused before they are parsed.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Clock skew allowed on `exp` and `nbf` unless configured otherwise.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// The largest leeway a configuration may set: more would accept tokens
/// long after their provider meant them to expire.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

const JWKS_TIMEOUT: Duration = Duration::from_secs(5);
const JWKS_MAX_BYTES: usize = 1024 * 1024;
/// Keys beyond this many in one JWKS are ignored.
const JWKS_MAX_KEYS: usize = 100;
/// At most one JWKS fetch per this interval after the first.
const REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// Keys older than this are fetched again, so a key the provider withdrew
/// stops being trusted.
const MAX_KEY_AGE: Duration = Duration::from_secs(3600);
/// The longest subject kept for the access trace.
const MAX_SUBJECT_CHARS: usize = 256;

/// Where an OIDC identity comes from and how its claims are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The `iss` every token must carry, exactly (e.g.
    /// `https://login.microsoftonline.com/<tenant>/v2.0` or
    /// `https://keycloak.example.nl/realms/<realm>`).
    pub issuer: String,
    /// The `aud` every token must carry (a string, or one of an array): the
    /// client id or application id URI registered for caseflow.
    pub audience: String,
    pub keys: KeySource,
    pub claims: ClaimMapping,
    /// Clock skew allowed on `exp` and `nbf`; at most [`MAX_LEEWAY`].
    pub leeway: Duration,
}

impl OidcConfig {
    /// A configuration with the default claim mapping and leeway.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>, keys: KeySource) -> OidcConfig {
        OidcConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            keys,
            claims: ClaimMapping::default(),
            leeway: DEFAULT_LEEWAY,
        }
    }
}

/// The provider's public keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A JWKS URL (the `jwks_uri` of the provider's discovery document).
    /// `https`; plain `http` only to a loopback address, since whoever can
    /// alter the key set in transit can sign any identity.
    Jwks { url: String },
    /// One public key in PEM (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`):
    /// RSA (RS256, PS256) or EC P-256 (ES256). A token's `kid` is not checked.
    Static { pem: String },
}

/// Which claims hold the subject, roles, gemeenten and teams, and which
/// external values mean which role.
///
/// A claim is named by its key, or by a dotted path into nested objects
/// (`realm_access.roles` for Keycloak realm roles); a key that itself
/// contains dots is found as is first. Roles, gemeenten and teams may be a
/// JSON array of strings or one string: Keycloak and Entra differ. A string
/// of roles or gemeenten is split on commas and whitespace; a string of teams
/// on commas only, since team names may contain spaces.
///
/// - **roles**: values are looked up in `role_values`; unknown values are
///   ignored (a provider sends roles of other applications too); a token with
///   no known role is refused.
/// - **gemeenten**: CBS codes (`GM` and 4 digits), at least one; one value
///   that is not a CBS code refuses the token. `*` (every gemeente) is
///   **refused**: the provider is run by one municipality or a shared tenant
///   whose administrators are not vouched for by every municipality sharing
///   the deployment, and a `*` there would open all of their care data.
///   Listing codes fails closed when a gemeente joins; access to every
///   gemeente is given by an API token created on the caseflow host.
/// - **teams**: optional; absent means every team of those gemeenten. A
///   present but empty claim refuses the token rather than widening it to
///   every team, and so does `*` (leave the claim out instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    /// Default `sub`. Entra's `oid` is stabler across applications.
    pub subject: String,
    /// Default `roles` (Entra app roles); Keycloak: `realm_access.roles` or
    /// `resource_access.<client>.roles`.
    pub roles: String,
    /// Default `gemeenten`.
    pub gemeenten: String,
    /// Default `teams`.
    pub teams: String,
    /// External role value → role. Default: each role's own name
    /// (`producer`, `reader`, `council`, `admin`).
    pub role_values: BTreeMap<String, Role>,
}

impl Default for ClaimMapping {
    fn default() -> ClaimMapping {
        ClaimMapping {
            subject: "sub".into(),
            roles: "roles".into(),
            gemeenten: "gemeenten".into(),
            teams: "teams".into(),
            role_values: Role::ALL.into_iter().map(|r| (r.as_str().to_string(), r)).collect(),
        }
    }
}

impl ClaimMapping {
    /// The identity a verified token's claims describe, or why they do not
    /// describe one.
    pub fn identity(&self, claims: &Map<String, Value>, issuer: &str) -> Result<Identity, Rejection> {
        let subject = match claim(claims, &self.subject) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim(),
            Some(_) => {
                return Err(claims_error(format!(
                    "the `{}` claim (the subject) must be a non-empty string",
                    self.subject
                )))
            }
            None => return Err(claims_error(format!("the token has no `{}` claim (the subject)", self.subject))),
        };
        if subject.chars().count() > MAX_SUBJECT_CHARS || subject.chars().any(char::is_control) {
            return Err(claims_error(format!(
                "the `{}` claim (the subject) must be at most {MAX_SUBJECT_CHARS} characters, without control characters",
                self.subject
            )));
        }

        let roles: BTreeSet<Role> = match claim(claims, &self.roles) {
            None => BTreeSet::new(),
            Some(v) => split_any(v, is_list_separator)
                .into_iter()
                .flatten()
                .filter_map(|r| self.role_values.get(r).copied())
                .collect(),
        };
        if roles.is_empty() {
            let known = self.role_values.keys().map(String::as_str).collect::<Vec<_>>().join(", ");
            return Err(claims_error(format!(
                "the token's `{}` claim holds no caseflow role; ask the identity provider's administrator to assign one of: {known}",
                self.roles
            )));
        }

        let gemeenten = self.gemeenten(claims)?;
        let teams = self.teams(claims)?;
        Ok(Identity {
            subject: subject.to_string(),
            roles,
            scope: Scope { gemeenten, teams },
            via: Via::Oidc { issuer: issuer.to_string() },
        })
    }

    fn gemeenten(&self, claims: &Map<String, Value>) -> Result<Within, Rejection> {
        let name = &self.gemeenten;
        let missing = || {
            claims_error(format!(
                "the token has no gemeente in its `{name}` claim; ask the identity provider's administrator to add the CBS codes (e.g. GM0344) of the gemeenten you work for"
            ))
        };
        let values = split_strings(claim(claims, name).ok_or_else(missing)?, is_list_separator)
            .ok_or_else(|| claims_error(format!("the `{name}` claim must be a string or an array of strings")))?;
        let mut set = BTreeSet::new();
        for g in values {
            if g == "*" {
                return Err(claims_error(format!(
                    "the `{name}` claim holds `*`; every gemeente is not granted through the identity provider: list the CBS codes, or use an API token"
                )));
            }
            let code =
                parse_gemeente(Some(g)).map_err(|e| claims_error(format!("the `{name}` claim: {}", e.message)))?;
            set.extend(code);
        }
        if set.is_empty() {
            return Err(missing());
        }
        Ok(Within::Only(set))
    }

    fn teams(&self, claims: &Map<String, Value>) -> Result<Within, Rejection> {
        let name = &self.teams;
        let Some(v) = claim(claims, name) else {
            return Ok(Within::All);
        };
        let values = split_strings(v, |c| c == ',')
            .ok_or_else(|| claims_error(format!("the `{name}` claim must be a string or an array of strings")))?;
        let mut set = BTreeSet::new();
        for t in values {
            if t == "*" {
                return Err(claims_error(format!("the `{name}` claim holds `*`; leave the claim out for every team")));
            }
            if t.chars().count() > 100 || t.chars().any(|c| c.is_control() || c == ',') {
                return Err(claims_error(format!(
                    "the `{name}` claim: a team name is at most 100 characters, without commas or control characters"
                )));
            }
            set.insert(t.to_string());
        }
        if set.is_empty() {
            return Err(claims_error(format!(
                "the `{name}` claim is present but names no team; leave it out for every team, or name the teams"
            )));
        }
        Ok(Within::Only(set))
    }
}

fn is_list_separator(c: char) -> bool {
    c == ',' || c.is_whitespace()
}

/// The claim at `path`: the key as is, else a dotted path into nested objects.
fn claim<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    let mut parts = path.split('.');
    let mut here = claims.get(parts.next()?)?;
    for part in parts {
        here = here.as_object()?.get(part)?;
    }
    Some(here)
}

/// The non-empty values of a string (split by `sep`) or of an array of
/// strings; `None` when the claim is neither.
fn split_strings(v: &Value, sep: fn(char) -> bool) -> Option<Vec<&str>> {
    split_any(v, sep).into_iter().collect()
}

/// As `split_strings`, with `None` for each array element that is not a string.
fn split_any(v: &Value, sep: fn(char) -> bool) -> Vec<Option<&str>> {
    match v {
        Value::String(s) => s.split(sep).map(str::trim).filter(|s| !s.is_empty()).map(Some).collect(),
        Value::Array(items) => items.iter().map(|i| i.as_str().map(str::trim)).filter(|s| s != &Some("")).collect(),
        _ => vec![None],
    }
}

fn claims_error(reason: String) -> Rejection {
    Rejection::Claims(reason)
}

/// Why OIDC verification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// The bearer token is not accepted: answer 401 with this message.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The configuration cannot work: refuse to start.
    #[error("OIDC configuration: {0}")]
    Config(String),
    /// The provider's keys could not be fetched. At start: refuse to start.
    /// While serving (a token named a key id not yet known): the token may be
    /// fine, so answer 503, not 401.
    #[error("the identity provider's keys at {url} could not be fetched: {reason}; check the JWKS URL and that the provider is reachable from this host")]
    KeysUnavailable { url: String, reason: String },
}

impl OidcError {
    /// True for a problem with the presented credential (→ 401); false for
    /// the configuration or an unreachable provider (→ refuse to start, or 503).
    pub fn is_credential(&self) -> bool {
        matches!(self, OidcError::Rejected(_))
    }
}

/// Why a bearer token was refused. Every message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the bearer token is {bytes} bytes; at most {max} are accepted — request a token with fewer claims", max = MAX_TOKEN_BYTES)]
    TooLong { bytes: usize },
    #[error("the bearer token is not a valid JWT ({0}); send the identity provider's access token as `Authorization: Bearer <token>`")]
    Malformed(String),
    #[error("{0}")]
    Algorithm(String),
    #[error("the token is signed with a key ({kid}) the identity provider does not publish; if the provider just rotated its keys, retry in a minute, else get a new token")]
    UnknownKey { kid: String },
    #[error("the token's signature does not verify; get a new token from the identity provider")]
    Signature,
    #[error("the token has expired; get a new one from the identity provider")]
    Expired,
    #[error("the token is not valid yet (`nbf`); check this host's and the identity provider's clocks")]
    NotYetValid,
    #[error("the token is from issuer `{found}`, expected `{expected}` (exactly, a trailing slash included); request the token from the configured identity provider")]
    Issuer { found: String, expected: String },
    #[error("the token is not meant for caseflow: its `aud` does not include `{expected}`; request a token for that audience (client id)")]
    Audience { expected: String },
    #[error("{0}")]
    Claims(String),
}

/// Verifies bearer JWTs and maps them to identities. Cheap to clone.
#[derive(Clone)]
pub struct OidcVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    audience: String,
    claims: ClaimMapping,
    leeway: Duration,
    keys: Keys,
}

enum Keys {
    Static(Key),
    Jwks(Jwks),
}

impl fmt::Debug for OidcVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = match &self.inner.keys {
            Keys::Static(_) => "static".to_string(),
            Keys::Jwks(j) => j.url.clone(),
        };
        f.debug_struct("OidcVerifier")
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("keys", &keys)
            .finish()
    }
}

/// One usable public key and the algorithms it may verify.
#[derive(Debug, Clone)]
struct Key {
    kid: Option<String>,
    key: DecodingKey,
    algorithms: Vec<Algorithm>,
}

const RSA_ALGORITHMS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::PS256];
const EC_ALGORITHMS: [Algorithm; 1] = [Algorithm::ES256];

/// The algorithm a header names, if caseflow accepts it; otherwise why not.
fn accepted_algorithm(alg: &str) -> Result<Algorithm, Rejection> {
    match alg {
        "RS256" => Ok(Algorithm::RS256),
        "PS256" => Ok(Algorithm::PS256),
        "ES256" => Ok(Algorithm::ES256),
        a if a.eq_ignore_ascii_case("none") => Err(Rejection::Algorithm(
            "the token is unsigned (`alg: none`); only signed tokens are accepted".into(),
        )),
        a if a.starts_with("HS") => Err(Rejection::Algorithm(format!(
            "the token is signed with a shared secret (`{a}`); only the identity provider's public-key signatures (RS256, PS256, ES256) are accepted"
        ))),
        a => Err(Rejection::Algorithm(format!(
            "the token's algorithm `{}` is not accepted; configure the identity provider to sign with RS256, PS256 or ES256",
            a.chars().take(16).collect::<String>()
        ))),
    }
}

#[derive(Deserialize)]
struct PeekHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// The header's `alg` and `kid`, read before any key is chosen.
fn peek_header(token: &str) -> Result<(Algorithm, Option<String>), Rejection> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Rejection::Malformed("not three parts separated by dots".into()));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .map_err(|_| Rejection::Malformed("the header is not base64url".into()))?;
    let h: PeekHeader = serde_json::from_slice(&bytes)
        .map_err(|_| Rejection::Malformed("the header is not a JSON object with a string `alg`".into()))?;
    Ok((accepted_algorithm(&h.alg)?, h.kid))
}

impl Key {
    fn from_pem(pem: &str) -> Result<Key, OidcError> {
        if pem.contains("PRIVATE KEY") {
            return Err(OidcError::Config(
                "the static key is a private key; configure the identity provider's public key (BEGIN PUBLIC KEY)"
                    .into(),
            ));
        }
        if let Ok(key) = DecodingKey::from_rsa_pem(pem.as_bytes()) {
            return Ok(Key { kid: None, key, algorithms: RSA_ALGORITHMS.to_vec() });
        }
        if let Ok(key) = DecodingKey::from_ec_pem(pem.as_bytes()) {
            if ec_key_usable(&key) {
                return Ok(Key { kid: None, key, algorithms: EC_ALGORITHMS.to_vec() });
            }
        }
        Err(OidcError::Config(
            "the static key is not an RSA or EC P-256 public key in PEM (-----BEGIN PUBLIC KEY----- …); export the identity provider's signing certificate's public key".into(),
        ))
    }

    /// A key from one JWKS entry, or why it is skipped.
    fn from_jwk(jwk: &Jwk) -> Result<Key, String> {
        let c = &jwk.common;
        match &c.public_key_use {
            None | Some(PublicKeyUse::Signature) => {}
            Some(_) => return Err("not a signing key (`use`)".into()),
        }
        if let Some(ops) = &c.key_operations {
            if !ops.contains(&KeyOperations::Verify) {
                return Err("not a verification key (`key_ops`)".into());
            }
        }
        let declared = match c.key_algorithm {
            None => None,
            Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
            Some(KeyAlgorithm::PS256) => Some(Algorithm::PS256),
            Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
            Some(a) => return Err(format!("algorithm {a:?} is not accepted")),
        };
        let (key, family) = match &jwk.algorithm {
            AlgorithmParameters::RSA(p) => {
                let n = URL_SAFE_NO_PAD.decode(p.n.trim_end_matches('=')).map_err(|_| "`n` is not base64url")?;
                let n = n.iter().skip_while(|b| **b == 0).count();
                if n < 256 {
                    return Err(format!("an RSA key of {} bits; at least 2048 are accepted", n * 8));
                }
                let key = DecodingKey::from_rsa_components(&p.n, &p.e).map_err(|e| e.to_string())?;
                (key, &RSA_ALGORITHMS[..])
            }
            AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                let key = DecodingKey::from_ec_components(&p.x, &p.y).map_err(|e| e.to_string())?;
                if !ec_key_usable(&key) {
                    return Err("not a point on P-256".into());
                }
                (key, &EC_ALGORITHMS[..])
            }
            AlgorithmParameters::EllipticCurve(p) => return Err(format!("curve {:?} is not accepted", p.curve)),
            _ => return Err("not an RSA or EC key".into()),
        };
        let algorithms = match declared {
            None => family.to_vec(),
            Some(a) if family.contains(&a) => vec![a],
            Some(a) => return Err(format!("declares {a:?} for a key of another kind")),
        };
        Ok(Key { kid: c.key_id.clone(), key, algorithms })
    }
}

/// Whether an EC key is a P-256 point (the verifier parses it on creation).
fn ec_key_usable(key: &DecodingKey) -> bool {
    key.try_get_as_bytes().map(|b| b.len() == 65).unwrap_or(false)
        && jsonwebtoken::crypto::verify("", b"", key, Algorithm::ES256).is_ok()
}

struct Jwks {
    url: String,
    client: reqwest::Client,
    state: RwLock<JwksState>,
    /// Held while fetching, so one fetch runs at a time.
    fetching: tokio::sync::Mutex<()>,
}

struct JwksState {
    keys: Arc<Vec<Key>>,
    /// When the keys were last fetched successfully.
    fetched: Instant,
    /// When a fetch after the first was last attempted.
    refetched: Option<Instant>,
}

/// Whether a fetch after the first may run now.
fn refetch_allowed(last: Option<Instant>, now: Instant) -> bool {
    last.is_none_or(|t| now.saturating_duration_since(t) >= REFETCH_INTERVAL)
}

/// The key to verify a token of `alg` with `kid` among `keys`.
fn find_key<'a>(keys: &'a [Key], kid: Option<&str>, alg: Algorithm) -> Option<&'a Key> {
    match kid {
        Some(kid) => keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
        None => {
            let mut fitting = keys.iter().filter(|k| k.algorithms.contains(&alg));
            match (fitting.next(), fitting.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        }
    }
}

fn url_allowed(url: &reqwest::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host_str() {
            Some(h) => {
                let bare = h.trim_start_matches('[').trim_end_matches(']');
                bare.parse::<IpAddr>().map_or_else(|_| h.eq_ignore_ascii_case("localhost"), |ip| ip.is_loopback())
            }
            None => false,
        },
        _ => false,
    }
}

impl Jwks {
    fn new(url: &str) -> Result<Jwks, OidcError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| OidcError::Config(format!("the JWKS URL `{url}` is not a URL: {e}")))?;
        if !url_allowed(&parsed) {
            return Err(OidcError::Config(format!(
                "the JWKS URL `{url}` must be https (plain http only to a loopback address): whoever can alter the keys in transit can sign any identity"
            )));
        }
        let client = reqwest::Client::builder()
            .timeout(JWKS_TIMEOUT)
            .connect_timeout(JWKS_TIMEOUT)
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                if attempt.previous().len() >= 3 {
                    attempt.error("more than 3 redirects")
                } else if url_allowed(attempt.url()) {
                    attempt.follow()
                } else {
                    attempt.error("a redirect to plain http")
                }
            }))
            .build()
            .map_err(|e| OidcError::Config(format!("cannot build the HTTP client for the JWKS: {e}")))?;
        Ok(Jwks {
            url: url.to_string(),
            client,
            state: RwLock::new(JwksState { keys: Arc::new(Vec::new()), fetched: Instant::now(), refetched: None }),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    fn unavailable(&self, reason: String) -> OidcError {
        OidcError::KeysUnavailable { url: self.url.clone(), reason }
    }

    /// Fetches and parses the key set; an error says why.
    async fn fetch(&self) -> Result<Vec<Key>, String> {
        let mut resp = self
            .client
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json, application/jwk-set+json")
            .send()
            .await
            .map_err(describe_reqwest)?;
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status()));
        }
        let too_large = || format!("the answer is larger than {} KB", JWKS_MAX_BYTES / 1024);
        if resp.content_length().is_some_and(|n| n > JWKS_MAX_BYTES as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(describe_reqwest)? {
            if body.len() + chunk.len() > JWKS_MAX_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        parse_jwks(&body)
    }

    /// Fetches again, keeping the old keys when that fails. Call with
    /// `fetching` held.
    async fn refetch(&self, now: Instant) -> Result<(), OidcError> {
        self.state.write().expect("JWKS state lock").refetched = Some(now);
        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(url = %self.url, keys = keys.len(), "fetched the identity provider's keys");
                let mut state = self.state.write().expect("JWKS state lock");
                state.keys = Arc::new(keys);
                state.fetched = Instant::now();
                Ok(())
            }
            Err(reason) => {
                tracing::warn!(url = %self.url, %reason, "fetching the identity provider's keys failed; keeping the old keys");
                Err(self.unavailable(reason))
            }
        }
    }

    fn snapshot(&self) -> (Arc<Vec<Key>>, Instant, Option<Instant>) {
        let s = self.state.read().expect("JWKS state lock");
        (s.keys.clone(), s.fetched, s.refetched)
    }

    async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<Key, OidcError> {
        let now = Instant::now();
        let (keys, fetched, refetched) = self.snapshot();
        let mut keys = keys;
        if now.saturating_duration_since(fetched) >= MAX_KEY_AGE && refetch_allowed(refetched, now) {
            // Whoever gets the lock refreshes; the others go on with the keys they have.
            if let Ok(_guard) = self.fetching.try_lock() {
                let (_, fetched, refetched) = self.snapshot();
                if now.saturating_duration_since(fetched) >= MAX_KEY_AGE && refetch_allowed(refetched, now) {
                    let _ = self.refetch(now).await;
                }
                keys = self.snapshot().0;
            }
        }
        if let Some(k) = find_key(&keys, kid, alg) {
            return Ok(k.clone());
        }
        let unknown = || {
            OidcError::Rejected(Rejection::UnknownKey {
                kid: kid.map_or_else(
                    || "no `kid` in the token".to_string(),
                    |k| format!("`{}`", k.chars().take(64).collect::<String>()),
                ),
            })
        };
        // A token without a kid is not a sign of rotation.
        if kid.is_none() {
            return Err(unknown());
        }
        let _guard = self.fetching.lock().await;
        let (keys, _, refetched) = self.snapshot();
        if let Some(k) = find_key(&keys, kid, alg) {
            return Ok(k.clone()); // fetched while this request waited
        }
        let now = Instant::now();
        if !refetch_allowed(refetched, now) {
            return Err(unknown());
        }
        self.refetch(now).await?;
        find_key(&self.snapshot().0, kid, alg).cloned().ok_or_else(unknown)
    }
}

fn describe_reqwest(e: reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        format!("no answer within {} s", JWKS_TIMEOUT.as_secs())
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        s = format!("{s}: {inner}");
        source = inner.source();
    }
    s
}

/// The usable keys of a JWKS document; entries that are not usable are
/// skipped (a provider may publish encryption keys too).
fn parse_jwks(body: &[u8]) -> Result<Vec<Key>, String> {
    #[derive(Deserialize)]
    struct Set {
        keys: Vec<Value>,
    }
    let set: Set =
        serde_json::from_slice(body).map_err(|e| format!("not a JWKS document (`{{\"keys\": [...]}}`): {e}"))?;
    let mut keys = Vec::new();
    for entry in set.keys.into_iter().take(JWKS_MAX_KEYS) {
        let parsed = serde_json::from_value::<Jwk>(entry).map_err(|e| e.to_string()).and_then(|j| Key::from_jwk(&j));
        match parsed {
            Ok(k) => keys.push(k),
            Err(reason) => tracing::debug!(%reason, "skipping a JWKS entry"),
        }
    }
    if keys.is_empty() {
        return Err("it holds no usable signing key (RSA of at least 2048 bits, or EC P-256)".into());
    }
    Ok(keys)
}

impl OidcVerifier {
    /// Checks the configuration and, for a JWKS URL, fetches the keys once,
    /// so a wrong URL or issuer setup fails at start.
    pub async fn new(cfg: OidcConfig) -> Result<OidcVerifier, OidcError> {
        if cfg.issuer.trim().is_empty() {
            return Err(OidcError::Config("set the issuer (the `iss` of the provider's tokens)".into()));
        }
        if cfg.audience.trim().is_empty() {
            return Err(OidcError::Config("set the audience (caseflow's client id at the provider)".into()));
        }
        if cfg.leeway > MAX_LEEWAY {
            return Err(OidcError::Config(format!(
                "a leeway of {} s is more than the {} s allowed; fix the clocks instead",
                cfg.leeway.as_secs(),
                MAX_LEEWAY.as_secs()
            )));
        }
        let m = &cfg.claims;
        for (what, path) in
            [("subject", &m.subject), ("roles", &m.roles), ("gemeenten", &m.gemeenten), ("teams", &m.teams)]
        {
            if path.trim().is_empty() || path.split('.').any(str::is_empty) {
                return Err(OidcError::Config(format!("the {what} claim name `{path}` is empty or has an empty part")));
            }
        }
        if m.role_values.is_empty() {
            return Err(OidcError::Config("map at least one external role value to a caseflow role".into()));
        }
        if jsonwebtoken::crypto::CryptoProvider::try_get_default().is_none() {
            return Err(OidcError::Config("this build has no JWT crypto provider".into()));
        }
        let keys = match &cfg.keys {
            KeySource::Static { pem } => Keys::Static(Key::from_pem(pem)?),
            KeySource::Jwks { url } => {
                let jwks = Jwks::new(url)?;
                let keys = jwks.fetch().await.map_err(|reason| jwks.unavailable(reason))?;
                tracing::info!(url = %jwks.url, keys = keys.len(), "fetched the identity provider's keys");
                {
                    let mut state = jwks.state.write().expect("JWKS state lock");
                    state.keys = Arc::new(keys);
                    state.fetched = Instant::now();
                }
                Keys::Jwks(jwks)
            }
        };
        Ok(OidcVerifier {
            inner: Arc::new(Inner {
                issuer: cfg.issuer,
                audience: cfg.audience,
                claims: cfg.claims,
                leeway: cfg.leeway,
                keys,
            }),
        })
    }

    /// The configured issuer.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Verifies a bearer token (without `Bearer `) and maps its claims.
    pub async fn verify(&self, token: &str) -> Result<Identity, OidcError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Rejection::TooLong { bytes: token.len() }.into());
        }
        let (alg, kid) = peek_header(token)?;
        let key = match &self.inner.keys {
            Keys::Static(k) => k.clone(),
            Keys::Jwks(jwks) => jwks.key(kid.as_deref(), alg).await?,
        };
        if !key.algorithms.contains(&alg) {
            let kinds = key.algorithms.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(" or ");
            return Err(Rejection::Algorithm(format!(
                "the token says {alg:?} but its key is for {kinds}; the token was not made by the identity provider"
            ))
            .into());
        }

        let inner = &self.inner;
        let mut v = Validation::new(alg);
        v.set_issuer(&[&inner.issuer]);
        v.set_audience(&[&inner.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        v.validate_exp = true;
        v.validate_nbf = true;
        v.validate_aud = true;
        v.leeway = inner.leeway.as_secs();
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &v).map_err(|e| self.rejection(e, token))?;
        // An array `iss` is not OIDC; the library accepts one that contains ours.
        match data.claims.get("iss") {
            Some(Value::String(iss)) if iss == &inner.issuer => {}
            other => {
                return Err(Rejection::Issuer { found: shown(other), expected: inner.issuer.clone() }.into());
            }
        }
        Ok(inner.claims.identity(&data.claims, &inner.issuer)?)
    }

    fn rejection(&self, e: jsonwebtoken::errors::Error, token: &str) -> Rejection {
        match e.kind() {
            ErrorKind::InvalidSignature => Rejection::Signature,
            ErrorKind::ExpiredSignature => Rejection::Expired,
            ErrorKind::ImmatureSignature => Rejection::NotYetValid,
            ErrorKind::InvalidAudience => Rejection::Audience { expected: self.inner.audience.clone() },
            ErrorKind::InvalidIssuer => {
                // The signature verified; the claims are the provider's.
                let iss = jsonwebtoken::dangerous::insecure_decode_claims::<Map<String, Value>>(token)
                    .ok()
                    .and_then(|c| c.get("iss").cloned());
                Rejection::Issuer { found: shown(iss.as_ref()), expected: self.inner.issuer.clone() }
            }
            ErrorKind::MissingRequiredClaim(c) => Rejection::Claims(format!(
                "the token has no `{c}` claim; caseflow needs `exp`, `iss` and `aud` in every token"
            )),
            ErrorKind::InvalidClaimFormat(c) => Rejection::Claims(format!(
                "the token's `{c}` claim has the wrong type (`exp`/`nbf` are numbers, `iss` a string, `aud` a string or array)"
            )),
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat | ErrorKind::UnsupportedAlgorithm => {
                Rejection::Algorithm("the token's algorithm does not fit its key; the token was not made by the identity provider".into())
            }
            other => Rejection::Malformed(match other {
                ErrorKind::Base64(_) => "a part is not base64url".to_string(),
                ErrorKind::Json(_) | ErrorKind::Utf8(_) => "the header or claims are not a JSON object".to_string(),
                _ => "it cannot be read".to_string(),
            }),
        }
    }
}

/// A claim value for a message: a string as is, anything else as JSON, cut short.
fn shown(v: Option<&Value>) -> String {
    let s = match v {
        None => "(none)".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    s.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn refetches_are_spaced() {
        let now = Instant::now();
        assert!(refetch_allowed(None, now));
        assert!(!refetch_allowed(Some(now), now + Duration::from_secs(29)));
        assert!(refetch_allowed(Some(now), now + REFETCH_INTERVAL));
    }

    #[test]
    fn only_public_key_algorithms_pass_the_header_check() {
        for a in ["RS256", "PS256", "ES256"] {
            assert!(accepted_algorithm(a).is_ok(), "{a}");
        }
        for a in ["none", "NONE", "HS256", "HS512", "RS384", "ES384", "EdDSA", ""] {
            assert!(matches!(accepted_algorithm(a), Err(Rejection::Algorithm(_))), "{a}");
        }
    }

    #[test]
    fn dotted_paths_and_literal_dotted_keys() {
        let c = obj(json!({"realm_access": {"roles": ["reader"]}, "a.b": 1, "a": {"b": 2}}));
        assert_eq!(claim(&c, "realm_access.roles"), Some(&json!(["reader"])));
        assert_eq!(claim(&c, "a.b"), Some(&json!(1)), "the literal key wins");
        assert_eq!(claim(&c, "realm_access.missing"), None);
        assert_eq!(claim(&c, "a.b.c"), None);
    }

    #[test]
    fn claims_map_to_an_identity() {
        let m = ClaimMapping::default();
        let id = m
            .identity(
                &obj(json!({"sub": "u1", "roles": "reader, boss council", "gemeenten": ["GM0344", "GM0363"], "teams": "Wijk Noord,Zuid"})),
                "https://idp",
            )
            .unwrap();
        assert_eq!(id.roles, [Role::Reader, Role::Council].into_iter().collect());
        assert_eq!(id.scope.text(), "gemeenten=GM0344,GM0363;teams=Wijk Noord,Zuid");
        assert_eq!(id.via, Via::Oidc { issuer: "https://idp".into() });
    }

    #[test]
    fn claims_that_widen_or_cannot_be_read_are_refused() {
        let m = ClaimMapping::default();
        let base = json!({"sub": "u1", "roles": ["reader"], "gemeenten": ["GM0344"]});
        let with = |k: &str, v: Value| {
            let mut c = obj(base.clone());
            c.insert(k.into(), v);
            c
        };
        for (k, v) in [
            ("gemeenten", json!("*")),
            ("gemeenten", json!(["GM0344", "Utrecht"])),
            ("gemeenten", json!([])),
            ("gemeenten", json!([344])),
            ("roles", json!(["boss"])),
            ("teams", json!([])),
            ("teams", json!("*")),
            ("teams", json!(["a,b"])),
            ("sub", json!("")),
        ] {
            let e = m.identity(&with(k, v.clone()), "i").unwrap_err();
            assert!(matches!(e, Rejection::Claims(_)), "{k}={v}: {e}");
        }
        assert!(m.identity(&obj(base), "i").unwrap().scope.teams == Within::All);
    }

    #[test]
    fn jwks_entries_that_are_not_signing_keys_are_skipped() {
        let doc = json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "h"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "small"},
            {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "off-curve"},
            {"kty": "weird", "kid": "w"}
        ]});
        let e = parse_jwks(doc.to_string().as_bytes()).unwrap_err();
        assert!(e.contains("no usable signing key"), "{e}");
        assert!(parse_jwks(b"[]").is_err());
    }

    #[test]
    fn jwks_urls_must_be_https_unless_loopback() {
        let ok = |u: &str| url_allowed(&reqwest::Url::parse(u).unwrap());
        assert!(ok("https://idp.example.nl/keys"));
        assert!(ok("http://127.0.0.1:8080/keys"));
        assert!(ok("http://[::1]/keys"));
        assert!(ok("http://localhost/keys"));
        assert!(!ok("http://idp.example.nl/keys"));
        assert!(!ok("http://10.0.0.1/keys"));
        assert!(!ok("file:///etc/keys"));
    }
}
