//! How `caseflow run`/`serve` authenticate requests: the `--auth` choice, the
//! OpenID Connect issuer, and the refusal to listen on the network open.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use caseflow_api::auth::Auth;
use caseflow_api::oidc::{ClaimMapping, KeySource, OidcConfig, OidcVerifier};
use caseflow_core::access::Role;
use caseflow_store::Store;
use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum AuthChoice {
    /// Every API request needs `Authorization: Bearer <token or JWT>`.
    Required,
    /// No credentials: anyone who reaches the port reads and writes
    /// everything. Only on a loopback address.
    Off,
}

#[derive(Debug, Args, Clone)]
pub struct AuthArgs {
    /// `required` or `off`. Default: off on a loopback address (local use),
    /// required on any other; off on a non-loopback address is refused.
    #[arg(long, env = "CASEFLOW_AUTH", value_enum)]
    pub auth: Option<AuthChoice>,
    /// OpenID Connect: the issuer (`iss`) of the municipality's identity
    /// provider, e.g. https://login.microsoftonline.com/<tenant>/v2.0.
    #[arg(long, env = "CASEFLOW_OIDC_ISSUER", requires = "oidc_audience")]
    pub oidc_issuer: Option<String>,
    /// OpenID Connect: the audience (`aud`) tokens must carry (caseflow's client id).
    #[arg(long, env = "CASEFLOW_OIDC_AUDIENCE", requires = "oidc_issuer")]
    pub oidc_audience: Option<String>,
    /// OpenID Connect: the provider's JWKS URL (its discovery document's `jwks_uri`).
    #[arg(long, env = "CASEFLOW_OIDC_JWKS_URL", conflicts_with = "oidc_public_key")]
    pub oidc_jwks_url: Option<String>,
    /// OpenID Connect: a PEM file with the provider's public key, instead of a JWKS URL.
    #[arg(long, env = "CASEFLOW_OIDC_PUBLIC_KEY")]
    pub oidc_public_key: Option<PathBuf>,
    /// The claim (or dotted path, e.g. realm_access.roles) that holds the roles.
    #[arg(long, env = "CASEFLOW_OIDC_ROLES_CLAIM", default_value = "roles")]
    pub oidc_roles_claim: String,
    /// The claim that holds the gemeenten (CBS codes).
    #[arg(long, env = "CASEFLOW_OIDC_GEMEENTEN_CLAIM", default_value = "gemeenten")]
    pub oidc_gemeenten_claim: String,
    /// The claim that holds the teams (absent: every team of those gemeenten).
    #[arg(long, env = "CASEFLOW_OIDC_TEAMS_CLAIM", default_value = "teams")]
    pub oidc_teams_claim: String,
    /// The claim that names the person (Entra: `oid` is stabler than `sub`).
    #[arg(long, env = "CASEFLOW_OIDC_SUBJECT_CLAIM", default_value = "sub")]
    pub oidc_subject_claim: String,
    /// Provider role values and the caseflow role each means, e.g.
    /// `Caseflow.Lezer=reader,Caseflow.Raad=council`. Default: the role names themselves.
    #[arg(long, env = "CASEFLOW_OIDC_ROLE_MAP")]
    pub oidc_role_map: Option<String>,
}

/// A value the deploy files ship with, to be replaced before the first start.
const PLACEHOLDER: &str = "CHANGE-ME";

impl AuthArgs {
    /// The OpenID Connect configuration, if an issuer is given.
    fn oidc(&self) -> anyhow::Result<Option<OidcConfig>> {
        let (Some(issuer), Some(audience)) = (&self.oidc_issuer, &self.oidc_audience) else {
            return Ok(None);
        };
        for (flag, v) in [("--oidc-issuer", issuer), ("--oidc-audience", audience)]
            .into_iter()
            .chain(self.oidc_jwks_url.as_ref().map(|u| ("--oidc-jwks-url", u)))
        {
            if v.contains(PLACEHOLDER) {
                bail!("{flag} is still the placeholder `{v}`: fill in your identity provider's value (see README.md, \"Access control\") before starting caseflow");
            }
        }
        let keys = match (&self.oidc_jwks_url, &self.oidc_public_key) {
            (Some(url), _) => KeySource::Jwks { url: url.clone() },
            (None, Some(path)) => KeySource::Static {
                pem: std::fs::read_to_string(path)
                    .with_context(|| format!("--oidc-public-key: cannot read {}", path.display()))?,
            },
            (None, None) => bail!("--oidc-issuer needs the provider's keys: give --oidc-jwks-url (its discovery document's jwks_uri) or --oidc-public-key FILE"),
        };
        let mut claims = ClaimMapping {
            subject: self.oidc_subject_claim.clone(),
            roles: self.oidc_roles_claim.clone(),
            gemeenten: self.oidc_gemeenten_claim.clone(),
            teams: self.oidc_teams_claim.clone(),
            ..ClaimMapping::default()
        };
        if let Some(map) = &self.oidc_role_map {
            claims.role_values.clear();
            for pair in map.split(',').filter(|p| !p.trim().is_empty()) {
                let Some((external, role)) = pair.split_once('=') else {
                    bail!("--oidc-role-map: `{pair}` is not VALUE=ROLE; e.g. Caseflow.Lezer=reader");
                };
                let role = Role::parse(role).map_err(|e| anyhow::anyhow!("--oidc-role-map: {e}"))?;
                claims.role_values.insert(external.trim().to_string(), role);
            }
        }
        Ok(Some(OidcConfig { claims, ..OidcConfig::new(issuer.clone(), audience.clone(), keys) }))
    }

    /// How the API at `addr` authenticates; an error when it would listen on
    /// the network without an identity configured.
    pub async fn auth(&self, addr: SocketAddr, store: &Store) -> anyhow::Result<Auth> {
        let loopback = addr.ip().is_loopback();
        let choice = self.auth.unwrap_or(if loopback { AuthChoice::Off } else { AuthChoice::Required });
        if choice == AuthChoice::Off {
            if !loopback {
                bail!("refusing to listen on {addr} with --auth off: anyone on the network could read every gemeente's data and post events. Use --auth required with API tokens (`caseflow token create --role admin --gemeente '*'`) or an OpenID Connect issuer (--oidc-issuer), or listen on 127.0.0.1");
            }
            tracing::warn!(%addr, "the API is open to anyone on this machine (--auth off, loopback only); use --auth required for credentials");
            return Ok(Auth::off());
        }
        let oidc = match self.oidc()? {
            Some(cfg) => Some(
                OidcVerifier::new(cfg)
                    .await
                    .context("the OpenID Connect issuer could not be set up")?,
            ),
            None => None,
        };
        if oidc.is_none() && !store.has_active_token(chrono::Utc::now()).await? {
            if !loopback {
                bail!("refusing to listen on {addr}: no identity is configured, so nobody could use the API. Create a token first (`caseflow token create --role admin --gemeente '*'` with the same --database), or configure an OpenID Connect issuer (--oidc-issuer, --oidc-audience, --oidc-jwks-url)");
            }
            tracing::warn!("--auth required, but no token exists yet and no OpenID Connect issuer is configured: create one with `caseflow token create`");
        }
        tracing::info!(oidc = oidc.is_some(), "API requests need a credential (--auth required)");
        Ok(Auth::required(oidc))
    }
}
