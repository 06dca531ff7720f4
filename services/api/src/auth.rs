//! Who is asking, and what they may see.
//!
//! Every `/api/v1` request (and `/metrics`) passes [`authenticate`]: with
//! `--auth required` it carries `Authorization: Bearer <credential>`, either an
//! API token from `caseflow token create` (looked up by its hash in the store)
//! or a JWT from the configured OpenID Connect issuer; else it is answered 401.
//! With `--auth off` (loopback only, see `caseflow run`) every request is the
//! open [`Identity`]. The identity travels in the request as [`Access`], which
//! every handler takes: the query parameters are read through it
//! (`Params::parse` in query.rs) so a `gemeente` or `team` outside the scope
//! is refused (403) and an absent one is narrowed to the scope; the routes are
//! grouped by the role they need ([`require`]); and every answer's rows pass
//! the [`Fence`] before they are cached or sent, so a row outside the scope
//! cannot leave even if a query forgot a filter.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use caseflow_core::access::{AccessError, Identity, Role, Scope};
use caseflow_core::leadtime::{LeadtimeRow, OpenCaseRow};
use caseflow_core::overdue_po::{PoReport, PoState};
use caseflow_core::throughput::ThroughputRow;
use caseflow_core::workload::{WeekRow, WorkloadReport};
use caseflow_store::{Alert, TokenCheck};

use crate::oidc::OidcVerifier;
use crate::{ApiError, AppState, OneMore};

/// Whether requests must carry a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Every request is the open identity (a loopback address only).
    Off,
    /// Every `/api/v1` request needs a valid token or JWT.
    Required,
}

/// How requests are authenticated.
#[derive(Clone)]
pub struct Auth {
    pub mode: AuthMode,
    /// The OpenID Connect issuer's verifier, when one is configured.
    pub oidc: Option<OidcVerifier>,
}

impl Auth {
    pub fn off() -> Auth {
        Auth { mode: AuthMode::Off, oidc: None }
    }

    pub fn required(oidc: Option<OidcVerifier>) -> Auth {
        Auth { mode: AuthMode::Required, oidc }
    }
}

/// The identity a request carries; every handler takes it.
#[derive(Debug, Clone)]
pub struct Access(pub Arc<Identity>);

impl Access {
    pub fn identity(&self) -> &Identity {
        &self.0
    }

    pub fn scope(&self) -> &Scope {
        &self.0.scope
    }

    /// Ok when the identity holds one of `roles`, else 403.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        Ok(self.0.require(roles)?)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Access {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Access, ApiError> {
        parts
            .extensions
            .get::<Access>()
            .cloned()
            .ok_or_else(|| ApiError::Unauthenticated("this route is not behind authentication; this is a bug".into()))
    }
}

/// Longest credential read: a token is 46 bytes, a JWT a few KB.
const MAX_CREDENTIAL_BYTES: usize = 16 * 1024;

/// The bearer credential of a request, if it has one.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    if v.len() > MAX_CREDENTIAL_BYTES {
        return Err(ApiError::Unauthenticated("the credential is longer than any caseflow accepts".into()));
    }
    let v = v
        .to_str()
        .map_err(|_| ApiError::Unauthenticated("the Authorization header is not plain text".into()))?;
    match v.split_once(' ') {
        Some((scheme, cred)) if scheme.eq_ignore_ascii_case("bearer") && !cred.trim().is_empty() => Ok(Some(cred.trim())),
        _ => Err(ApiError::Unauthenticated(
            "the Authorization header must be `Bearer <token>`".into(),
        )),
    }
}

/// The identity of a credential: an API token (`cf_…`) or a JWT.
async fn identify(s: &AppState, credential: &str) -> Result<Identity, ApiError> {
    if credential.starts_with("cf_") {
        return match s.store.check_token(credential, chrono::Utc::now()).await.map_err(ApiError::Store)? {
            TokenCheck::Valid(identity) => Ok(identity),
            TokenCheck::Unknown => Err(ApiError::Unauthenticated("the token is not known; ask an admin for a token (`caseflow token create`)".into())),
            TokenCheck::Expired => Err(ApiError::Unauthenticated("the token has expired; ask an admin for a new one".into())),
            TokenCheck::Revoked => Err(ApiError::Unauthenticated("the token has been revoked; ask an admin for a new one".into())),
        };
    }
    match &s.auth.oidc {
        // A credential that fails is 401; keys that cannot be fetched are the
        // server's trouble (503), not proof that the token is bad.
        Some(oidc) => oidc.verify(credential).await.map_err(|e| {
            if e.is_credential() {
                ApiError::Unauthenticated(e.to_string())
            } else {
                tracing::error!(error = %e, "the identity provider's keys are unavailable");
                ApiError::KeysUnavailable(e.to_string())
            }
        }),
        None => Err(ApiError::Unauthenticated(
            "the credential is not a caseflow token and no OpenID Connect issuer is configured".into(),
        )),
    }
}

/// The middleware of every `/api/v1` route: the request's [`Access`], or 401.
pub(crate) async fn authenticate(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let identity = match s.auth.mode {
        AuthMode::Off => Identity::open(),
        AuthMode::Required => {
            let found = match bearer(req.headers()) {
                Ok(Some(credential)) => identify(&s, credential).await,
                Ok(None) => Err(ApiError::Unauthenticated(
                    "this needs a credential: send `Authorization: Bearer <token>` (an admin creates tokens with `caseflow token create`)".into(),
                )),
                Err(e) => Err(e),
            };
            match found {
                Ok(identity) => identity,
                Err(e) => return e.into_response(),
            }
        }
    };
    req.extensions_mut().insert(Access(Arc::new(identity)));
    next.run(req).await
}

/// A route layer: only identities holding one of `roles` pass (403 otherwise).
pub(crate) fn require(
    roles: &'static [Role],
) -> impl Fn(Access, Request, Next) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>> + Clone + Send + Sync + 'static {
    move |access: Access, req: Request, next: Next| {
        Box::pin(async move {
            match access.require(roles) {
                Ok(()) => next.run(req).await,
                Err(e) => e.into_response(),
            }
        })
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> ApiError {
        ApiError::Forbidden(e)
    }
}

/// Rows after their query, kept only where the scope allows: a second fence
/// behind the narrowed parameters. It drops rows only for a scope limited to
/// teams (the rows without a team of a per-team answer); any other drop means a
/// query ignored its filter, and is logged as the bug it is.
pub trait Fence {
    /// Drops the rows outside `scope`; returns how many.
    fn fence(&mut self, scope: &Scope) -> usize;
}

/// A row's gemeente and team.
pub trait Place {
    fn place(&self) -> (&str, Option<&str>);
}

impl<T: Place> Fence for Vec<T> {
    fn fence(&mut self, scope: &Scope) -> usize {
        let before = self.len();
        self.retain(|r| {
            let (g, t) = r.place();
            scope.allows(g, t)
        });
        before - self.len()
    }
}

impl<T: Place> Fence for OneMore<T> {
    fn fence(&mut self, scope: &Scope) -> usize {
        self.0.fence(scope)
    }
}

impl Fence for PoReport {
    fn fence(&mut self, scope: &Scope) -> usize {
        self.beschikkingen.fence(scope)
    }
}

impl Fence for WorkloadReport {
    fn fence(&mut self, scope: &Scope) -> usize {
        self.weeks.fence(scope)
    }
}

macro_rules! place {
    ($t:ty, opt) => {
        impl Place for $t {
            fn place(&self) -> (&str, Option<&str>) {
                (&self.gemeente, self.team.as_deref())
            }
        }
    };
    ($t:ty, always) => {
        impl Place for $t {
            fn place(&self) -> (&str, Option<&str>) {
                (&self.gemeente, Some(&self.team))
            }
        }
    };
}

place!(ThroughputRow, opt);
place!(LeadtimeRow, opt);
place!(OpenCaseRow, opt);
place!(PoState, opt);
place!(Alert, opt);
place!(WeekRow, always);
