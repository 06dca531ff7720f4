//! Access control, in process: the router with `--auth required` over a SQLite
//! store holding three gemeenten, and tokens of every role and scope.
//! A fuzz of random requests (tokens, roles, scopes, endpoints, parameters)
//! checks that no answer holds a row outside its scope; the other tests pin
//! the single rules (401/403, the scoped cache, the producer's scope, the
//! council's view and the access trace).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use caseflow_api::auth::Auth;
use caseflow_api::{router, AppState};
use caseflow_core::access::{Role, Scope};
use caseflow_sim::{SimConfig, Simulator};
use caseflow_store::{AccessLogQuery, NewToken, Store};
use caseflow_tests::{Rng, TempDir};
use serde_json::Value;
use tokio::sync::Notify;
use tower::ServiceExt;

struct World {
    _dir: TempDir,
    store: Store,
    app: Router,
    /// The three gemeenten, and per gemeente its teams.
    gemeenten: Vec<String>,
    teams: BTreeMap<String, Vec<String>>,
    ndjson: Vec<(String, String)>,
}

/// Three small gemeenten over one quarter, every event projected.
async fn world() -> World {
    let dir = TempDir::new("api-access");
    let store = Store::open(&dir.sqlite_url()).await.unwrap();
    let cfg = SimConfig {
        gemeenten: 3,
        scale: 0.05,
        from: chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
        to: chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
        ..SimConfig::default()
    };
    let lines: Vec<String> = Simulator::new(cfg).map(|l| l.to_ndjson()).collect();
    let batch = lines
        .iter()
        .enumerate()
        .map(|(i, l)| caseflow_store::Incoming { position: format!("line {}", i + 1), raw: l.as_bytes().to_vec() })
        .collect();
    store.append("test", batch).await.unwrap();
    store.project_pending(50_000).await.unwrap();
    let mut teams: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut ndjson = Vec::new();
    for l in &lines {
        if caseflow_core::Event::from_json_bytes(l.as_bytes()).is_err() {
            continue;
        }
        let v: Value = serde_json::from_str(l).unwrap();
        let (Some(g), Some(t)) = (v["gemeente"].as_str(), v["data"]["team"].as_str()) else {
            if let Some(g) = v["gemeente"].as_str() {
                teams.entry(g.to_string()).or_default();
            }
            continue;
        };
        teams.entry(g.to_string()).or_default().insert(t.to_string());
        if ndjson.len() < 400 {
            ndjson.push((g.to_string(), l.clone()));
        }
    }
    let gemeenten: Vec<String> = teams.keys().cloned().collect();
    assert_eq!(gemeenten.len(), 3, "the simulation has three gemeenten: {gemeenten:?}");
    let app = router(
        AppState::new(store.clone(), Arc::new(Notify::new()), 20_000).with_auth(Auth::required(None)),
    );
    World {
        _dir: dir,
        store,
        app,
        gemeenten,
        teams: teams.into_iter().map(|(g, t)| (g, t.into_iter().collect())).collect(),
        ndjson,
    }
}

impl World {
    async fn token(&self, roles: &str, gemeenten: &str, teams: Option<&str>) -> String {
        self.token_expiring(roles, gemeenten, teams, None).await
    }

    async fn token_expiring(
        &self,
        roles: &str,
        gemeenten: &str,
        teams: Option<&str>,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> String {
        let t = NewToken {
            name: None,
            roles: Role::parse_list(roles).unwrap(),
            scope: Scope::parse(gemeenten, teams).unwrap(),
            expires_at,
        };
        self.store.create_token(&t).await.unwrap().1
    }

    async fn call(&self, method: Method, uri: &str, token: Option<&str>, body: Vec<u8>) -> Answer {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", t);
        }
        let r = self.app.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let body = axum::body::to_bytes(r.into_body(), 64 << 20).await.unwrap();
        Answer { status, headers, body: body.to_vec() }
    }

    async fn get(&self, uri: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, uri, token.map(|t| format!("Bearer {t}")).as_deref(), Vec::new()).await
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, String::from_utf8_lossy(&self.body)))
    }
}

/// Every gemeente, team and case id an answer names, and whether it holds a true value.
#[derive(Default, Debug)]
struct Seen {
    gemeenten: BTreeSet<String>,
    teams: Vec<(String, Option<String>)>,
    case_ids: usize,
    values: usize,
    rows: usize,
}

fn walk(v: &Value, seen: &mut Seen) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| walk(x, seen)),
        Value::Object(o) => {
            if let Some(g) = o.get("gemeente").and_then(Value::as_str) {
                seen.rows += 1;
                seen.gemeenten.insert(g.to_string());
                if o.contains_key("team") {
                    seen.teams.push((g.to_string(), o["team"].as_str().map(str::to_string)));
                }
            }
            if let Some(gs) = o.get("gemeenten").and_then(Value::as_array) {
                seen.gemeenten.extend(gs.iter().filter_map(Value::as_str).map(str::to_string));
            }
            if o.contains_key("case_id") {
                seen.case_ids += 1;
            }
            if o.get("value").is_some_and(|x| !x.is_null()) {
                seen.values += 1;
            }
            o.values().for_each(|x| walk(x, seen));
        }
        _ => {}
    }
}

/// An endpoint, the roles that may call it, whether it is case-level.
struct Endpoint {
    path: &'static str,
    roles: &'static [Role],
    accepts_team: bool,
    gemeente_list: bool,
}

const ENDPOINTS: &[Endpoint] = &[
    Endpoint { path: "/api/v1/throughput", roles: &[Role::Reader], accepts_team: false, gemeente_list: false },
    Endpoint { path: "/api/v1/leadtime", roles: &[Role::Reader], accepts_team: false, gemeente_list: false },
    Endpoint { path: "/api/v1/workload", roles: &[Role::Reader], accepts_team: true, gemeente_list: false },
    Endpoint { path: "/api/v1/po", roles: &[Role::Reader], accepts_team: true, gemeente_list: false },
    Endpoint { path: "/api/v1/terms", roles: &[Role::Reader], accepts_team: true, gemeente_list: false },
    Endpoint { path: "/api/v1/alerts", roles: &[Role::Reader], accepts_team: true, gemeente_list: false },
    Endpoint { path: "/api/v1/cases/open", roles: &[Role::Reader], accepts_team: true, gemeente_list: false },
    Endpoint { path: "/api/v1/monitor", roles: &[Role::Reader, Role::Council], accepts_team: false, gemeente_list: true },
    Endpoint { path: "/api/v1/dead-letters", roles: &[Role::Admin], accepts_team: false, gemeente_list: false },
    Endpoint { path: "/api/v1/access-log", roles: &[Role::Admin], accepts_team: false, gemeente_list: false },
    Endpoint { path: "/metrics", roles: &[Role::Admin], accepts_team: false, gemeente_list: false },
    Endpoint { path: "/api/v1/me", roles: &[Role::Producer, Role::Reader, Role::Council, Role::Admin], accepts_team: false, gemeente_list: false },
];

/// A credential the fuzz sends, and what it may do.
#[derive(Clone)]
struct Cred {
    header: Option<String>,
    /// None: the credential is not valid (401).
    grant: Option<(BTreeSet<Role>, Scope)>,
}

#[tokio::test]
async fn ten_thousand_random_requests_never_see_outside_their_scope() {
    let w = world().await;
    let (a, b, c) = (w.gemeenten[0].clone(), w.gemeenten[1].clone(), w.gemeenten[2].clone());
    let team_a = w.teams[&a].first().cloned().expect("gemeente A has teams");
    let mut creds: Vec<Cred> = vec![
        Cred { header: None, grant: None },
        Cred { header: Some("Bearer".into()), grant: None },
        Cred { header: Some("Basic dXNlcjpwdw==".into()), grant: None },
        Cred { header: Some("Bearer cf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()), grant: None },
        Cred { header: Some(format!("Bearer cf_{}", "x".repeat(20_000))), grant: None },
        Cred { header: Some("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".into()), grant: None },
    ];
    let expired = w
        .token_expiring("reader", "*", None, Some(chrono::Utc::now() - chrono::Duration::hours(1)))
        .await;
    creds.push(Cred { header: Some(format!("Bearer {expired}")), grant: None });
    let revoked = w.token("reader", "*", None).await;
    let name = w.store.tokens().await.unwrap().into_iter().last().unwrap().name;
    w.store.revoke_token(&name).await.unwrap().expect("revoked");
    creds.push(Cred { header: Some(format!("Bearer {revoked}")), grant: None });
    let invalid = creds.len();
    let grants: Vec<(&str, String, Option<String>)> = vec![
        ("reader", a.clone(), None),
        ("reader", format!("{a},{b}"), None),
        ("reader", a.clone(), Some(team_a.clone())),
        ("reader", "*".into(), None),
        ("council", b.clone(), None),
        ("council", format!("{b},{c}"), None),
        ("producer", a.clone(), None),
        ("admin", "*".into(), None),
        ("reader,council", c.clone(), None),
    ];
    for (roles, g, t) in &grants {
        let token = w.token(roles, g, t.as_deref()).await;
        creds.push(Cred {
            header: Some(format!("Bearer {token}")),
            grant: Some((Role::parse_list(roles).unwrap(), Scope::parse(g, t.as_deref()).unwrap())),
        });
    }
    let gemeente_values = [a.clone(), b.clone(), c.clone(), "GM9999".into(), "gm0344".into(), format!("{a},{b}"), format!("{b},{c}")];
    let mut team_values: Vec<String> = w.teams.values().flatten().cloned().collect();
    team_values.push("Onbekend team".into());
    let others: &[(&str, &[&str])] = &[
        ("domein", &["wmo", "jeugd", "x"]),
        ("limit", &["0", "5", "abc", "999999999"]),
        ("by_team", &["true", "false"]),
        ("period", &["week", "maand", "kwartaal"]),
        ("as_of", &["2026-09-01", "2026-10-01T00:00:00Z", "gisteren"]),
        ("quarter", &["2026-Q3", "2026-Q2"]),
        ("status", &["open", "in_behandeling", "termijn_nadert", "x"]),
        ("kind", &["po_zonder_vervolg", "x"]),
        ("format", &["json", "csv"]),
        ("order", &["asc", "desc"]),
        ("subject", &["local"]),
        ("gemente", &["GM0001"]),
    ];
    let mut rng = Rng(23);
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    for i in 0..10_000 {
        // One request in five with a credential that is not valid.
        let cred = if rng.below(5) == 0 {
            rng.pick(&creds[..invalid]).clone()
        } else {
            rng.pick(&creds[invalid..]).clone()
        };
        let ep = rng.pick(ENDPOINTS);
        let mut query: Vec<(String, String)> = Vec::new();
        if ep.gemeente_list && rng.below(4) != 0 {
            query.push(("quarter".into(), "2026-Q3".into()));
            query.push(("domein".into(), "wmo".into()));
        }
        if rng.below(3) != 0 {
            query.push(("gemeente".into(), rng.pick(&gemeente_values).clone()));
        }
        if rng.below(3) == 0 {
            query.push(("team".into(), rng.pick(&team_values).clone()));
        }
        let own: Vec<&(&str, &[&str])> = others
            .iter()
            .filter(|(k, _)| caseflow_api::accepted_by(ep.path).is_some_and(|a| a.contains(k)))
            .collect();
        for _ in 0..rng.below(3) {
            // Mostly parameters the endpoint accepts, sometimes any.
            let (k, vs) = if own.is_empty() || rng.below(6) == 0 { rng.pick(others) } else { *rng.pick(&own) };
            query.push((k.to_string(), rng.pick(vs).to_string()));
        }
        let qs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", v.replace(' ', "%20"))).collect();
        let uri = if qs.is_empty() { ep.path.to_string() } else { format!("{}?{}", ep.path, qs.join("&")) };
        let r = w.call(Method::GET, &uri, cred.header.as_deref(), Vec::new()).await;
        let ctx = || format!("request {i}: GET {uri} with {:?}: {} {}", cred.header.as_deref().map(|h| &h[..h.len().min(40)]), r.status, String::from_utf8_lossy(&r.body[..r.body.len().min(300)]));
        assert!(!r.status.is_server_error(), "{}", ctx());
        let Some((roles, scope)) = &cred.grant else {
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", ctx());
            assert!(r.headers.contains_key("www-authenticate"), "{}", ctx());
            *tally.entry("401").or_default() += 1;
            continue;
        };
        if !ep.roles.iter().any(|role| roles.contains(role)) {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", ctx());
            *tally.entry("403 role").or_default() += 1;
            continue;
        }
        let accepted = caseflow_api::accepted_by(ep.path);
        let accepts = |name: &str| accepted.is_none_or(|a| a.contains(&name));
        let names: BTreeSet<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
        let unknown = query.iter().any(|(k, _)| !accepts(k)) || names.len() < query.len();
        let out_of_scope = query.iter().any(|(k, v)| {
            (k == "gemeente"
                && accepts("gemeente")
                && if ep.gemeente_list {
                    v.split(',').any(|g| !scope.gemeenten.allows(g))
                } else {
                    !scope.gemeenten.allows(v)
                })
                || (k == "team" && accepts("team") && scope.limited_to_teams() && !scope.teams.allows(v))
        });
        if unknown {
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", ctx());
            *tally.entry("400 unknown").or_default() += 1;
            continue;
        }
        if out_of_scope {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", ctx());
            // Named, unless the whole endpoint is beyond a per-team scope.
            if !scope.limited_to_teams() || ep.accepts_team {
                assert!(r.json()["parameter"].is_string(), "{}", ctx());
            }
            *tally.entry("403 scope").or_default() += 1;
            continue;
        }
        if r.status != StatusCode::OK {
            // A parameter the endpoint refuses, or a scope of several gemeenten
            // (or teams) that must name one: 400 naming the parameter, or a
            // per-team scope on a whole-gemeente answer: 403.
            assert!(
                r.status == StatusCode::BAD_REQUEST
                    || (r.status == StatusCode::FORBIDDEN && scope.limited_to_teams() && !ep.accepts_team),
                "{}",
                ctx()
            );
            *tally.entry("400/403 other").or_default() += 1;
            continue;
        }
        if ep.path == "/metrics" || r.headers["content-type"].to_str().unwrap().starts_with("text/csv") {
            *tally.entry("200 text").or_default() += 1;
            continue;
        }
        let mut seen = Seen::default();
        walk(&r.json(), &mut seen);
        if ep.path != "/api/v1/access-log" && ep.path != "/api/v1/dead-letters" {
            for g in &seen.gemeenten {
                assert!(scope.gemeenten.allows(g), "{g} outside the scope: {}", ctx());
            }
            if scope.limited_to_teams() {
                for (g, t) in &seen.teams {
                    assert!(scope.allows(g, t.as_deref()), "{g}/{t:?} outside the scope: {}", ctx());
                }
            }
        }
        if !roles.contains(&Role::Reader) && !roles.contains(&Role::Admin) {
            assert_eq!(seen.values, 0, "the council saw a true value: {}", ctx());
            assert_eq!(seen.case_ids, 0, "the council saw a case id: {}", ctx());
        }
        if ep.gemeente_list {
            *tally.entry("200 monitor").or_default() += 1;
        }
        *tally.entry(if seen.rows > 0 { "200 rows" } else { "200 empty" }).or_default() += 1;
    }
    // The fuzz reached every kind of answer, many times.
    for kind in ["401", "403 role", "403 scope", "400 unknown", "200 rows", "200 monitor"] {
        assert!(tally.get(kind).copied().unwrap_or(0) >= 50, "only {:?} of {kind}: {tally:?}", tally.get(kind));
    }
}

#[tokio::test]
async fn the_same_url_answers_each_scope_with_its_own_gemeente() {
    let w = world().await;
    for g in &w.gemeenten {
        let token = w.token("reader", g, None).await;
        for path in ["/api/v1/throughput", "/api/v1/cases/open", "/api/v1/po", "/api/v1/workload"] {
            let r = w.get(path, Some(&token)).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&r.body));
            let mut seen = Seen::default();
            walk(&r.json(), &mut seen);
            assert!(seen.rows > 0, "{path} for {g} holds rows");
            assert_eq!(seen.gemeenten, BTreeSet::from([g.clone()]), "{path} for {g}");
        }
    }
    // A scope of two must name one; naming a third is refused.
    let two = w.token("reader", &format!("{},{}", w.gemeenten[0], w.gemeenten[1]), None).await;
    let r = w.get("/api/v1/throughput", Some(&two)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["parameter"], "gemeente");
    let r = w.get(&format!("/api/v1/throughput?gemeente={}", w.gemeenten[2]), Some(&two)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn credentials_that_are_missing_bad_expired_or_revoked_get_401() {
    let w = world().await;
    let expired = w.token_expiring("reader", "*", None, Some(chrono::Utc::now() - chrono::Duration::seconds(1))).await;
    let revoked = w.token("reader", "*", None).await;
    let name = w.store.tokens().await.unwrap().into_iter().last().unwrap().name;
    w.store.revoke_token(&name).await.unwrap().unwrap();
    let valid = w.token("reader", "*", None).await;
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "Authorization: Bearer"),
        (Some("Token abc".into()), "must be `Bearer <token>`"),
        (Some(format!("Bearer {}x", &valid[..valid.len() - 1])), "not known"),
        (Some(format!("Bearer {expired}")), "expired"),
        (Some(format!("Bearer {revoked}")), "revoked"),
        (Some("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x".into()), "no OpenID Connect issuer"),
    ];
    for (header, says) in cases {
        let r = w.call(Method::GET, "/api/v1/throughput", header.as_deref(), Vec::new()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{header:?}");
        assert_eq!(r.headers["www-authenticate"], "Bearer");
        let e = r.json()["error"].as_str().unwrap().to_string();
        assert!(e.contains(says), "{header:?}: {e}");
    }
    assert_eq!(w.get("/api/v1/throughput", Some(&valid)).await.status, StatusCode::OK);
    // Health stays open for probes; the dashboard page holds no data.
    assert_eq!(w.get("/health/live", None).await.status, StatusCode::OK);
    assert_eq!(w.get("/", None).await.status, StatusCode::OK);
    let me = w.get("/api/v1/me", Some(&valid)).await.json();
    assert_eq!(me["roles"], serde_json::json!(["reader"]));
    assert_eq!(me["gemeenten"], "*");
}

#[tokio::test]
async fn a_post_mixing_gemeenten_stores_only_the_in_scope_lines() {
    let w = world().await;
    let (a, b) = (&w.gemeenten[0], &w.gemeenten[1]);
    let producer = w.token("producer", a, None).await;
    // Fresh events: the world's lines with new ids, half of A and half of B.
    let mut body = String::new();
    let (mut of_a, mut of_b) = (0, 0);
    for (g, line) in &w.ndjson {
        if g != a && g != b {
            continue;
        }
        let mut v: Value = serde_json::from_str(line).unwrap();
        v["event_id"] = Value::String(uuid::Uuid::new_v4().to_string());
        body.push_str(&v.to_string());
        body.push('\n');
        if g == a { of_a += 1 } else { of_b += 1 }
    }
    assert!(of_a > 10 && of_b > 10, "{of_a} {of_b}");
    let events_before = w.store.event_count().await.unwrap();
    let dead_before = w.store.dead_letter_count().await.unwrap();
    let r = w.call(Method::POST, "/api/v1/events", Some(&format!("Bearer {producer}")), body.into_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["accepted"], of_a, "{v}");
    assert_eq!(v["rejected"], of_b);
    let rejections = v["rejections"].as_array().unwrap();
    assert!(rejections.iter().all(|x| x["kind"] == "forbidden"), "{v}");
    assert!(rejections[0]["reason"].as_str().unwrap().contains(b.as_str()));
    assert_eq!(w.store.event_count().await.unwrap(), events_before + of_a);
    assert_eq!(w.store.dead_letter_count().await.unwrap(), dead_before + of_b);
    // A reader cannot post at all.
    let reader = w.token("reader", a, None).await;
    let r = w.call(Method::POST, "/api/v1/events", Some(&format!("Bearer {reader}")), b"{}".to_vec()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.json()["error"].as_str().unwrap().contains("producer"));
}

#[tokio::test]
async fn the_council_sees_only_shown_values_of_its_gemeenten() {
    let w = world().await;
    let b = &w.gemeenten[1];
    let council = w.token("council", b, None).await;
    let r = w.get("/api/v1/monitor?domein=wmo&quarter=2026-Q3", Some(&council)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["report"]["gemeenten"], serde_json::json!([b]));
    let cells = v["cells"].as_array().unwrap();
    assert!(cells.len() > 20);
    assert!(cells.iter().all(|c| c["value"].is_null()), "a true value reached the council");
    assert!(cells.iter().any(|c| c["shown"].is_number()), "the shown values are there");
    // The reader of the same gemeente gets the true values.
    let reader = w.token("reader", b, None).await;
    let v = w.get("/api/v1/monitor?domein=wmo&quarter=2026-Q3", Some(&reader)).await.json();
    assert!(v["cells"].as_array().unwrap().iter().any(|c| c["value"].is_number()));
    for path in ["/api/v1/cases/open", "/api/v1/po", "/api/v1/alerts", "/api/v1/throughput", "/api/v1/dead-letters"] {
        assert_eq!(w.get(path, Some(&council)).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let other = &w.gemeenten[0];
    let r = w.get(&format!("/api/v1/monitor?domein=wmo&quarter=2026-Q3&gemeente={b},{other}"), Some(&council)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The dashboard's monitor link goes to the council's own gemeente only.
    let r = w.get("/monitor", Some(&council)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = r.headers["location"].to_str().unwrap();
    assert!(to.contains(&format!("gemeente={b}&")), "{to}");
}

#[tokio::test]
async fn each_case_level_read_leaves_exactly_one_record() {
    let w = world().await;
    let a = &w.gemeenten[0];
    let reader = w.token("reader", a, None).await;
    let subject = format!("token:{}", w.store.tokens().await.unwrap().into_iter().last().unwrap().name);
    let count = || async { w.store.access_log(&AccessLogQuery { since: None, until: None, subject: None, limit: 100_000 }).await.unwrap() };
    for (path, traced) in [
        ("/api/v1/cases/open?limit=7", true),
        ("/api/v1/po?limit=3", true),
        ("/api/v1/alerts", true),
        ("/api/v1/throughput", false),
        ("/api/v1/workload", false),
    ] {
        // Twice: the second answer comes from the cache and is traced all the same.
        for _ in 0..2 {
            let before = count().await.len();
            let r = w.get(path, Some(&reader)).await;
            assert_eq!(r.status, StatusCode::OK);
            let after = count().await;
            assert_eq!(after.len(), before + usize::from(traced), "{path}");
            if traced {
                let rec = &after[0].record;
                assert_eq!(rec.subject, subject);
                assert_eq!(rec.endpoint, path.split('?').next().unwrap());
                assert_eq!(rec.scope, format!("gemeenten={a}"));
                assert_eq!(rec.status, 200);
                let shown: usize = r.headers["x-total-count"].to_str().unwrap().parse::<usize>().unwrap().min(match path {
                    p if p.ends_with("limit=7") => 7,
                    p if p.ends_with("limit=3") => 3,
                    _ => 1000,
                });
                assert_eq!(rec.rows as usize, shown, "{path}");
            }
        }
    }
    // The admin reads the trace over the API; nobody else does.
    let admin = w.token("admin", "*", None).await;
    let log = w.get(&format!("/api/v1/access-log?subject={subject}"), Some(&admin)).await;
    assert_eq!(log.status, StatusCode::OK);
    assert_eq!(log.json().as_array().unwrap().len(), 6);
    assert_eq!(w.get("/api/v1/access-log", Some(&reader)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(w.get("/metrics", Some(&reader)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(w.get("/metrics", Some(&admin)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_team_scope_sees_its_teams_only() {
    let w = world().await;
    let a = &w.gemeenten[0];
    let team = &w.teams[a][0];
    let reader = w.token("reader", a, Some(team)).await;
    for path in ["/api/v1/cases/open", "/api/v1/po", "/api/v1/workload", "/api/v1/throughput", "/api/v1/leadtime"] {
        let r = w.get(path, Some(&reader)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&r.body));
        let mut seen = Seen::default();
        walk(&r.json(), &mut seen);
        assert!(!seen.teams.is_empty(), "{path} holds rows");
        assert!(seen.teams.iter().all(|(g, t)| g == a && t.as_deref() == Some(team.as_str())), "{path}: {:?}", seen.teams);
    }
    let other = w.teams[a].iter().find(|t| *t != team).expect("two teams");
    assert_eq!(w.get(&format!("/api/v1/cases/open?team={}", other.replace(' ', "%20")), Some(&reader)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(w.get("/api/v1/monitor?quarter=2026-Q3", Some(&reader)).await.status, StatusCode::FORBIDDEN);
}
