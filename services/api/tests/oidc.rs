//! OIDC/JWT verification against keys generated here and a JWKS endpoint
//! served on 127.0.0.1 that counts its hits.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use caseflow_api::oidc::{ClaimMapping, KeySource, OidcConfig, OidcError, OidcVerifier, Rejection, MAX_TOKEN_BYTES};
use caseflow_core::access::{Role, Via, Within};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{encode, get_current_timestamp, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const ISSUER: &str = "https://idp.example.nl/realms/gemeenten";
const AUDIENCE: &str = "caseflow";

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// A generated signing key: what signs, and what a verifier is given.
struct TestKey {
    alg: Algorithm,
    signing: EncodingKey,
    public_pem: String,
}

impl TestKey {
    fn rsa() -> TestKey {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::pkcs8::EncodePublicKey;
        let private = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).expect("RSA key");
        let der = private.to_pkcs1_der().expect("PKCS#1");
        let public = private.to_public_key().to_public_key_der().expect("SPKI");
        TestKey {
            alg: Algorithm::RS256,
            signing: EncodingKey::from_rsa_der(der.as_bytes()),
            public_pem: pem("PUBLIC KEY", public.as_bytes()),
        }
    }

    fn ec() -> TestKey {
        use p256::elliptic_curve::Generate;
        use p256::pkcs8::{EncodePrivateKey, EncodePublicKey};
        let secret = p256::SecretKey::try_generate_from_rng(&mut getrandom::SysRng).expect("EC key");
        let der = secret.to_pkcs8_der().expect("PKCS#8");
        let public = secret.public_key().to_public_key_der().expect("SPKI");
        TestKey {
            alg: Algorithm::ES256,
            signing: EncodingKey::from_ec_der(der.as_bytes()),
            public_pem: pem("PUBLIC KEY", public.as_bytes()),
        }
    }

    /// The public JWK with this key id.
    fn jwk(&self, kid: &str) -> Value {
        let mut jwk = Jwk::from_encoding_key(&self.signing, self.alg).expect("JWK");
        jwk.common.key_id = Some(kid.into());
        serde_json::to_value(jwk).unwrap()
    }

    fn sign(&self, kid: Option<&str>, claims: &Value) -> String {
        self.sign_as(self.alg, kid, claims)
    }

    fn sign_as(&self, alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
        let mut h = Header::new(alg);
        h.kid = kid.map(String::from);
        encode(&h, claims, &self.signing).expect("sign")
    }
}

/// RSA key generation is slow in a debug build: two keys for all tests.
fn rsa_a() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(TestKey::rsa)
}

fn rsa_b() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(TestKey::rsa)
}

fn now() -> u64 {
    get_current_timestamp()
}

fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u-1234",
        "exp": now() + 600,
        "iat": now(),
        "roles": ["reader", "producer", "offline_access"],
        "gemeenten": ["GM0344", "GM0363"],
        "teams": ["Noord", "Wijkteam Zuid"],
    })
}

fn with(mut c: Value, key: &str, v: Value) -> Value {
    c[key] = v;
    c
}

fn without(mut c: Value, key: &str) -> Value {
    c.as_object_mut().unwrap().remove(key);
    c
}

/// A JWKS endpoint whose key set can be swapped and that can be made to fail.
struct Jwks {
    keys: Mutex<Vec<Value>>,
    hits: AtomicUsize,
    failing: AtomicBool,
}

struct JwksServer {
    state: Arc<Jwks>,
    url: String,
}

impl JwksServer {
    async fn start(keys: Vec<Value>) -> JwksServer {
        async fn serve(State(s): State<Arc<Jwks>>) -> Response {
            s.hits.fetch_add(1, Ordering::SeqCst);
            if s.failing.load(Ordering::SeqCst) {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            Json(json!({ "keys": *s.keys.lock().unwrap() })).into_response()
        }
        let state =
            Arc::new(Jwks { keys: Mutex::new(keys), hits: AtomicUsize::new(0), failing: AtomicBool::new(false) });
        let app = Router::new().route("/jwks", get(serve)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        JwksServer { state, url }
    }

    fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    fn set_keys(&self, keys: Vec<Value>) {
        *self.state.keys.lock().unwrap() = keys;
    }

    fn config(&self) -> OidcConfig {
        OidcConfig::new(ISSUER, AUDIENCE, KeySource::Jwks { url: self.url.clone() })
    }

    async fn verifier(&self) -> OidcVerifier {
        OidcVerifier::new(self.config()).await.expect("verifier")
    }
}

async fn rejected(v: &OidcVerifier, token: &str) -> Rejection {
    match v.verify(token).await {
        Err(OidcError::Rejected(r)) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn rs256_and_es256_tokens_map_to_identities() {
    let ec = TestKey::ec();
    let server = JwksServer::start(vec![rsa_a().jwk("A"), ec.jwk("E")]).await;
    let v = server.verifier().await;
    assert_eq!(server.hits(), 1, "the keys are fetched once at start");

    let id = v.verify(&rsa_a().sign(Some("A"), &claims())).await.expect("RS256 token");
    assert_eq!(id.subject, "u-1234");
    assert_eq!(id.roles, BTreeSet::from([Role::Reader, Role::Producer]), "unknown role values are ignored");
    assert_eq!(id.scope.gemeenten, Within::Only(BTreeSet::from(["GM0344".to_string(), "GM0363".to_string()])));
    assert_eq!(id.scope.teams, Within::Only(BTreeSet::from(["Noord".to_string(), "Wijkteam Zuid".to_string()])));
    assert_eq!(id.via, Via::Oidc { issuer: ISSUER.into() });

    let es = with(with(claims(), "roles", json!(["council"])), "gemeenten", json!("GM0518"));
    let id = v.verify(&ec.sign(Some("E"), &without(es, "teams"))).await.expect("ES256 token");
    assert_eq!(id.roles, BTreeSet::from([Role::Council]));
    assert_eq!(id.scope.text(), "gemeenten=GM0518", "no teams claim: every team");

    // `aud` as an array that includes ours.
    let multi = with(claims(), "aud", json!(["account", AUDIENCE]));
    assert!(v.verify(&rsa_a().sign(Some("A"), &multi)).await.is_ok());
    assert_eq!(server.hits(), 1, "known keys need no fetch");
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_refused() {
    let server = JwksServer::start(vec![rsa_a().jwk("A")]).await;
    let v = server.verifier().await;
    let k = rsa_a();

    let expired = with(claims(), "exp", json!(now() - 120));
    assert_eq!(rejected(&v, &k.sign(Some("A"), &expired)).await, Rejection::Expired);
    let within_leeway = with(claims(), "exp", json!(now() - 20));
    assert!(v.verify(&k.sign(Some("A"), &within_leeway)).await.is_ok(), "60 s leeway");
    let no_exp = without(claims(), "exp");
    assert!(matches!(rejected(&v, &k.sign(Some("A"), &no_exp)).await, Rejection::Claims(m) if m.contains("`exp`")));

    let future = with(claims(), "nbf", json!(now() + 600));
    assert_eq!(rejected(&v, &k.sign(Some("A"), &future)).await, Rejection::NotYetValid);
    let nearly = with(claims(), "nbf", json!(now() + 20));
    assert!(v.verify(&k.sign(Some("A"), &nearly)).await.is_ok());
}

#[tokio::test]
async fn wrong_audience_or_issuer_is_refused() {
    let server = JwksServer::start(vec![rsa_a().jwk("A")]).await;
    let v = server.verifier().await;
    let k = rsa_a();

    let aud = with(claims(), "aud", json!("someone-else"));
    let r = rejected(&v, &k.sign(Some("A"), &aud)).await;
    assert_eq!(r, Rejection::Audience { expected: AUDIENCE.into() });
    assert!(r.to_string().contains("caseflow"), "{r}");
    let aud = with(claims(), "aud", json!(["account", "other"]));
    assert!(matches!(rejected(&v, &k.sign(Some("A"), &aud)).await, Rejection::Audience { .. }));
    assert!(matches!(rejected(&v, &k.sign(Some("A"), &without(claims(), "aud"))).await, Rejection::Claims(_)));

    let iss = with(claims(), "iss", json!(format!("{ISSUER}/")));
    let r = rejected(&v, &k.sign(Some("A"), &iss)).await;
    assert_eq!(r, Rejection::Issuer { found: format!("{ISSUER}/"), expected: ISSUER.into() });
    let iss = with(claims(), "iss", json!([ISSUER, "https://evil.example"]));
    assert!(matches!(rejected(&v, &k.sign(Some("A"), &iss)).await, Rejection::Issuer { .. }), "iss must be one string");
}

#[tokio::test]
async fn forged_and_unsigned_tokens_are_refused() {
    let server = JwksServer::start(vec![rsa_a().jwk("A")]).await;
    let v = server.verifier().await;

    // Signed by another key under A's kid.
    let forged = rsa_b().sign(Some("A"), &claims());
    assert_eq!(rejected(&v, &forged).await, Rejection::Signature);

    // A's signature over other claims: an admin role spliced in.
    let good = rsa_a().sign(Some("A"), &claims());
    let parts: Vec<&str> = good.split('.').collect();
    let evil = URL_SAFE_NO_PAD.encode(with(claims(), "roles", json!(["admin"])).to_string());
    assert_eq!(rejected(&v, &format!("{}.{evil}.{}", parts[0], parts[2])).await, Rejection::Signature);

    // alg none, with and without a signature part.
    let none = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": "A", "typ": "JWT"}).to_string());
    let body = URL_SAFE_NO_PAD.encode(claims().to_string());
    for token in [format!("{none}.{body}."), format!("{none}.{body}.{}", parts[2])] {
        let r = rejected(&v, &token).await;
        assert!(matches!(&r, Rejection::Algorithm(m) if m.contains("none")), "{r}");
    }

    // Not a JWT at all.
    assert!(matches!(rejected(&v, "not-a-token").await, Rejection::Malformed(_)));
    assert!(matches!(rejected(&v, "a.b.c.d").await, Rejection::Malformed(_)));
    assert_eq!(server.hits(), 1, "no refused token made the verifier fetch keys");
}

/// HS256 keyed with the public key's bytes: verifies under a library that
/// lets the token's `alg` pick how the key is used.
#[tokio::test]
async fn algorithm_confusion_is_refused() {
    let a = rsa_a();
    let server = JwksServer::start(vec![a.jwk("A")]).await;
    let by_jwks = server.verifier().await;
    let by_pem = OidcVerifier::new(OidcConfig::new(ISSUER, AUDIENCE, KeySource::Static { pem: a.public_pem.clone() }))
        .await
        .unwrap();

    let hmac = EncodingKey::from_secret(a.public_pem.as_bytes()).unwrap();
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some("A".into());
    let confused = encode(&h, &claims(), &hmac).unwrap();
    for v in [&by_jwks, &by_pem] {
        let r = rejected(v, &confused).await;
        assert!(matches!(&r, Rejection::Algorithm(m) if m.contains("HS256")), "{r}");
    }

    // ES256 claimed for an RSA key, and RS256 for an EC key.
    let ec = TestKey::ec();
    let server = JwksServer::start(vec![a.jwk("A"), ec.jwk("E")]).await;
    let v = server.verifier().await;
    let es_under_rsa_kid = ec.sign(Some("A"), &claims());
    assert!(matches!(rejected(&v, &es_under_rsa_kid).await, Rejection::Algorithm(_)));
    let rs_under_ec_kid = a.sign(Some("E"), &claims());
    assert!(matches!(rejected(&v, &rs_under_ec_kid).await, Rejection::Algorithm(_)));
    // The JWK declares RS256: a PS256 token under it is refused too.
    let ps = a.sign_as(Algorithm::PS256, Some("A"), &claims());
    assert!(matches!(rejected(&v, &ps).await, Rejection::Algorithm(_)));
}

#[tokio::test]
async fn key_rotation_is_followed_at_a_limited_rate() {
    let (a, b) = (rsa_a(), rsa_b());
    let c = TestKey::ec();
    let server = JwksServer::start(vec![a.jwk("A")]).await;
    let v = server.verifier().await;
    assert_eq!(server.hits(), 1);

    // The provider rotates: B is published, A retired.
    server.set_keys(vec![b.jwk("B")]);
    let id = v.verify(&b.sign(Some("B"), &claims())).await.expect("the new key is fetched");
    assert_eq!(id.subject, "u-1234");
    assert_eq!(server.hits(), 2, "one fetch for the unknown kid");
    let r = rejected(&v, &a.sign(Some("A"), &claims())).await;
    assert!(matches!(r, Rejection::UnknownKey { .. }), "the retired key is gone: {r}");
    assert_eq!(server.hits(), 2, "within 30 s of a fetch, an unknown kid fetches nothing");

    // Another rotation within 30 s is seen only after the interval.
    server.set_keys(vec![b.jwk("B"), c.jwk("C")]);
    for _ in 0..5 {
        let r = rejected(&v, &c.sign(Some("C"), &claims())).await;
        assert!(matches!(&r, Rejection::UnknownKey { kid } if kid.contains('C')), "{r}");
    }
    assert_eq!(server.hits(), 2, "the rate limit holds");
    assert!(v.verify(&b.sign(Some("B"), &claims())).await.is_ok());

    // Concurrent requests with an unknown kid on a fresh verifier: one fetch.
    let fresh = server.verifier().await;
    let before = server.hits();
    let token = c.sign(Some("C"), &claims());
    let clones: Vec<_> = (0..8).map(|_| (fresh.clone(), token.clone())).collect();
    let results = futures_util::future::join_all(clones.iter().map(|(f, t)| f.verify(t))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(server.hits(), before, "C was already published when `fresh` started");
    let unknown = a.sign(Some("D"), &claims());
    let clones: Vec<_> = (0..8).map(|_| (fresh.clone(), unknown.clone())).collect();
    let results = futures_util::future::join_all(clones.iter().map(|(f, t)| f.verify(t))).await;
    assert!(results.iter().all(|r| matches!(r, Err(OidcError::Rejected(Rejection::UnknownKey { .. })))));
    assert_eq!(server.hits(), before + 1, "eight requests for an unknown kid: one fetch");
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_old_keys() {
    let (a, b) = (rsa_a(), rsa_b());
    let server = JwksServer::start(vec![a.jwk("A")]).await;
    let v = server.verifier().await;
    server.state.failing.store(true, Ordering::SeqCst);

    let e = v.verify(&b.sign(Some("B"), &claims())).await.unwrap_err();
    assert!(matches!(e, OidcError::KeysUnavailable { .. }), "{e:?}");
    assert!(!e.is_credential(), "an unreachable provider is not the token's fault");
    assert!(e.to_string().contains("500"), "{e}");
    assert_eq!(server.hits(), 2);
    assert!(v.verify(&a.sign(Some("A"), &claims())).await.is_ok(), "A still verifies");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_static_pem_key_verifies_without_a_jwks() {
    let a = rsa_a();
    let cfg = |pem: &str| OidcConfig::new(ISSUER, AUDIENCE, KeySource::Static { pem: pem.into() });
    let v = OidcVerifier::new(cfg(&a.public_pem)).await.expect("RSA PEM");
    assert!(v.verify(&a.sign(None, &claims())).await.is_ok(), "no kid needed");
    assert!(v.verify(&a.sign(Some("whatever"), &claims())).await.is_ok());
    assert!(v.verify(&a.sign_as(Algorithm::PS256, None, &claims())).await.is_ok(), "PS256");
    assert_eq!(rejected(&v, &rsa_b().sign(None, &claims())).await, Rejection::Signature);

    let ec = TestKey::ec();
    let v = OidcVerifier::new(cfg(&ec.public_pem)).await.expect("EC PEM");
    let id = v.verify(&ec.sign(None, &claims())).await.expect("ES256");
    assert_eq!(id.via, Via::Oidc { issuer: ISSUER.into() });
    assert!(matches!(rejected(&v, &a.sign(None, &claims())).await, Rejection::Algorithm(_)));

    let e = OidcVerifier::new(cfg("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")).await.unwrap_err();
    assert!(matches!(&e, OidcError::Config(m) if m.contains("public key")), "{e}");
    let e = OidcVerifier::new(cfg("not a key")).await.unwrap_err();
    assert!(matches!(e, OidcError::Config(_)) && !e.is_credential());
}

#[tokio::test]
async fn nested_claims_and_string_lists_are_read() {
    let server = JwksServer::start(vec![rsa_a().jwk("A")]).await;
    let mut cfg = server.config();
    cfg.claims = ClaimMapping {
        roles: "realm_access.roles".into(),
        gemeenten: "caseflow.gemeenten".into(),
        role_values: [("caseflow-reader".to_string(), Role::Reader), ("caseflow-admin".to_string(), Role::Admin)]
            .into(),
        ..ClaimMapping::default()
    };
    let v = OidcVerifier::new(cfg).await.unwrap();
    let keycloak = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "kc-1", "exp": now() + 600,
        "realm_access": {"roles": ["default-roles-gemeenten", "caseflow-reader", "reader"]},
        "caseflow": {"gemeenten": "GM0344 GM0363"},
        "teams": "Noord, Zuid"
    });
    let id = v.verify(&rsa_a().sign(Some("A"), &keycloak)).await.expect("nested");
    assert_eq!(id.roles, BTreeSet::from([Role::Reader]), "only mapped values count, `reader` is not mapped here");
    assert_eq!(id.scope.text(), "gemeenten=GM0344,GM0363;teams=Noord,Zuid");

    // Roles as one space-separated string, with the default mapping.
    let v = server.verifier().await;
    let spaced = with(claims(), "roles", json!("reader   admin unknown"));
    let id = v.verify(&rsa_a().sign(Some("A"), &spaced)).await.expect("space-separated roles");
    assert_eq!(id.roles, BTreeSet::from([Role::Reader, Role::Admin]));
}

#[tokio::test]
async fn tokens_without_a_role_or_gemeente_are_refused() {
    let server = JwksServer::start(vec![rsa_a().jwk("A")]).await;
    let v = server.verifier().await;
    let k = rsa_a();
    let check = |r: Rejection, needle: &str| {
        assert!(matches!(&r, Rejection::Claims(m) if m.contains(needle)), "{r}");
    };
    check(rejected(&v, &k.sign(Some("A"), &without(claims(), "gemeenten"))).await, "no gemeente");
    check(rejected(&v, &k.sign(Some("A"), &with(claims(), "gemeenten", json!("*")))).await, "an API token");
    check(rejected(&v, &k.sign(Some("A"), &with(claims(), "gemeenten", json!(["GM0344", "0363"])))).await, "CBS");
    check(
        rejected(&v, &k.sign(Some("A"), &with(claims(), "roles", json!(["offline_access"])))).await,
        "no caseflow role",
    );
    check(rejected(&v, &k.sign(Some("A"), &without(claims(), "roles"))).await, "no caseflow role");
    check(rejected(&v, &k.sign(Some("A"), &with(claims(), "teams", json!([])))).await, "names no team");
    check(rejected(&v, &k.sign(Some("A"), &without(claims(), "sub"))).await, "`sub`");
    let e = v.verify(&k.sign(Some("A"), &without(claims(), "gemeenten"))).await.unwrap_err();
    assert!(e.is_credential());
}

#[tokio::test]
async fn an_oversized_token_is_refused_before_any_work() {
    let server = JwksServer::start(vec![rsa_a().jwk("A")]).await;
    let v = server.verifier().await;
    let big = with(claims(), "padding", json!("x".repeat(20 * 1024)));
    let token = rsa_a().sign(Some("unknown-kid"), &big);
    assert!(token.len() > MAX_TOKEN_BYTES);
    assert_eq!(rejected(&v, &token).await, Rejection::TooLong { bytes: token.len() });
    assert_eq!(server.hits(), 1, "no JWKS fetch for an oversized token");
}

#[tokio::test]
async fn a_bad_jwks_setup_fails_at_start() {
    // Nothing listens on this port once the listener is dropped.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = |url: String| OidcConfig::new(ISSUER, AUDIENCE, KeySource::Jwks { url });
    let e = OidcVerifier::new(cfg(format!("http://127.0.0.1:{port}/jwks"))).await.unwrap_err();
    assert!(matches!(&e, OidcError::KeysUnavailable { url, .. } if url.contains(&port.to_string())), "{e}");
    assert!(!e.is_credential());

    let e = OidcVerifier::new(cfg("http://idp.example.nl/jwks".into())).await.unwrap_err();
    assert!(matches!(&e, OidcError::Config(m) if m.contains("https")), "{e}");

    let server = JwksServer::start(vec![json!({"kty": "oct", "k": "c2VjcmV0", "kid": "H"})]).await;
    let e = OidcVerifier::new(server.config()).await.unwrap_err();
    assert!(e.to_string().contains("no usable signing key"), "{e}");

    let mut c = cfg(server.url.clone());
    c.leeway = std::time::Duration::from_secs(3600);
    assert!(matches!(OidcVerifier::new(c).await, Err(OidcError::Config(_))));
}

/// The verifier behind the router: a JWT is a credential like a token, with
/// its claims' scope applied to the query parameters.
#[tokio::test]
async fn the_router_takes_a_jwt_as_a_credential_within_its_scope() {
    use axum::body::Body;
    use tower::ServiceExt;
    let dir = caseflow_tests::TempDir::new("api-oidc-router");
    let store = caseflow_store::Store::open(&dir.sqlite_url()).await.unwrap();
    let ec = TestKey::ec();
    let verifier = OidcVerifier::new(OidcConfig::new(ISSUER, AUDIENCE, KeySource::Static { pem: ec.public_pem.clone() }))
        .await
        .unwrap();
    let app = caseflow_api::router(
        caseflow_api::AppState::new(store, Default::default(), 1000).with_auth(caseflow_api::auth::Auth::required(Some(verifier))),
    );
    let call = |uri: &str, jwt: Option<String>| {
        let mut req = axum::http::Request::get(uri);
        if let Some(t) = jwt {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let app = app.clone();
        let req = req.body(Body::empty()).unwrap();
        async move {
            let r = app.oneshot(req).await.unwrap();
            let status = r.status();
            let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
            (status, serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null))
        }
    };
    let good = ec.sign(None, &claims());
    let (status, me) = call("/api/v1/me", Some(good.clone())).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["subject"], "u-1234");
    assert_eq!(me["via"], json!({"kind": "oidc", "issuer": ISSUER}));
    assert_eq!(me["gemeenten"], json!(["GM0344", "GM0363"]));
    assert_eq!(me["teams"], json!(["Noord", "Wijkteam Zuid"]));
    let (status, e) = call("/api/v1/cases/open?gemeente=GM0935", Some(good.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["parameter"], "gemeente");
    let (status, _) = call("/api/v1/dead-letters", Some(good)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a reader is not an admin");
    let expired = ec.sign(None, &with(claims(), "exp", json!(now() - 3600)));
    let (status, e) = call("/api/v1/me", Some(expired)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(e["error"].as_str().unwrap().contains("expired"), "{e}");
    let other_audience = ec.sign(None, &with(claims(), "aud", json!("iets-anders")));
    assert_eq!(call("/api/v1/me", Some(other_audience)).await.0, StatusCode::UNAUTHORIZED);
}
