//! Agreement between the published JSON Schemas in `schemas/` (what producers
//! validate against) and the Rust validator `Event::from_json_bytes` (what ingest
//! enforces).
//!
//! Every event below is judged by both sides:
//!
//! * the schema side: `envelope.schema.json` (which dispatches on `event_type`) and,
//!   when the type is known, the per-type `events/<event_type>.schema.json`. Both
//!   are run twice: with `format` as an annotation only (the draft 2020-12 default,
//!   what most producer-side validators do; the `pattern`s must carry the weight)
//!   and with `format` asserted.
//! * the Rust side: `Event::from_json_bytes` on the serialized bytes.
//!
//! Round trip (`examples_round_trip`): optional fields that are `null` are dropped
//! by `Event`'s serializer (null and absent mean the same in the contract), so both
//! the original example and the re-serialized JSON have their null-valued
//! *optional* keys removed before comparing (`source`; `case_id` and `client_ref`
//! on `formatie.vastgesteld`; `wijk`, `reden` on `melding.beoordeeld`,
//! `consulent_ref`, `aanbieder` on `beschikking.afgegeven`). The required-but-
//! nullable `einddatum` of `beschikking.afgegeven` is never removed. Numbers are
//! compared by value (`1` equals `1.0`); everything else, including the text of
//! `occurred_at` and the case of UUIDs, must come back byte for byte.
//!
//! The spec table below (`SPEC`) is written from spec §2.1 by hand, independently
//! of the schema files, so the schemas are also checked against the spec.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use caseflow_core::event::Event;
use jsonschema::{Draft, Resource, Validator};
use serde_json::{json, Map, Value};

const BASE_ID: &str = "https://caseflow.nl/schemas/v1/";

const TYPES: [&str; 12] = [
    "melding.ontvangen",
    "melding.beoordeeld",
    "case.toegewezen",
    "aanvraag.ingediend",
    "beschikking.afgegeven",
    "po.gepland",
    "po.uitgevoerd",
    "zorg.gestart",
    "zorg.beeindigd",
    "case.afgesloten",
    "formatie.vastgesteld",
    "event.ingetrokken",
];

/// Total number of `examples` over all per-type schemas. Update when adding one.
const EXPECTED_EXAMPLES: usize = 32;
/// Each per-type schema carries at least this many examples.
const MIN_EXAMPLES_PER_TYPE: usize = 2;

const DOMEIN: &[&str] = &["wmo", "jeugd"];

/// Spec §2.1, per event type, for the `data` object.
struct TypeSpec {
    name: &'static str,
    /// Required, non-null.
    required: &'static [&'static str],
    /// Required, but `null` is a value (beschikking.afgegeven `einddatum`).
    required_nullable: &'static [&'static str],
    /// May be absent or null.
    optional: &'static [&'static str],
    enums: &'static [(&'static str, &'static [&'static str])],
    /// Bounded strings: (field, min chars, max chars).
    strings: &'static [(&'static str, usize, usize)],
    uuids: &'static [&'static str],
    dates: &'static [&'static str],
}

const SPEC: [TypeSpec; 12] = [
    TypeSpec {
        name: "melding.ontvangen",
        required: &["kanaal", "verwijzer"],
        required_nullable: &[],
        optional: &["wijk"],
        enums: &[
            (
                "kanaal",
                &[
                    "telefoon",
                    "email",
                    "balie",
                    "digitaal",
                    "consulent_direct",
                    "sociaal_team",
                    "knooppunt",
                    "derden",
                ],
            ),
            (
                "verwijzer",
                &[
                    "gemeente",
                    "wijkteam",
                    "huisarts",
                    "jeugdarts",
                    "gecertificeerde_instelling",
                    "medisch_specialist",
                    "geen",
                    "uwv",
                    "werkplein",
                    "verwijzing_voor_2015",
                ],
            ),
        ],
        strings: &[("wijk", 1, 32)],
        uuids: &[],
        dates: &[],
    },
    TypeSpec {
        name: "melding.beoordeeld",
        required: &["uitkomst"],
        required_nullable: &[],
        optional: &["reden"],
        enums: &[("uitkomst", &["doorgezet", "afgevangen"])],
        strings: &[("reden", 1, 500)],
        uuids: &[],
        dates: &[],
    },
    TypeSpec {
        name: "case.toegewezen",
        required: &["team", "dossiertype"],
        required_nullable: &[],
        optional: &["consulent_ref"],
        enums: &[(
            "dossiertype",
            &["nieuw", "bestaand", "mutatie", "periodiek_onderzoek"],
        )],
        strings: &[("team", 1, 64), ("consulent_ref", 1, 64)],
        uuids: &[],
        dates: &[],
    },
    TypeSpec {
        name: "aanvraag.ingediend",
        required: &["aanvraag_id", "voorziening", "soort"],
        required_nullable: &[],
        optional: &[],
        enums: &[(
            "soort",
            &["nieuw", "herindicatie", "periodiek_onderzoek", "mutatie"],
        )],
        strings: &[("voorziening", 1, 64)],
        uuids: &["aanvraag_id"],
        dates: &[],
    },
    TypeSpec {
        name: "beschikking.afgegeven",
        required: &[
            "beschikking_id",
            "aanvraag_id",
            "voorziening",
            "besluit",
            "ingangsdatum",
            "leveringsvorm",
        ],
        required_nullable: &["einddatum"],
        optional: &["aanbieder"],
        enums: &[
            ("besluit", &["toegekend", "afgewezen"]),
            ("leveringsvorm", &["zin", "pgb"]),
        ],
        strings: &[("voorziening", 1, 64), ("aanbieder", 1, 128)],
        uuids: &["beschikking_id", "aanvraag_id"],
        dates: &["ingangsdatum", "einddatum"],
    },
    TypeSpec {
        name: "po.gepland",
        required: &["beschikking_id", "gepland_op"],
        required_nullable: &[],
        optional: &[],
        enums: &[],
        strings: &[],
        uuids: &["beschikking_id"],
        dates: &["gepland_op"],
    },
    TypeSpec {
        name: "po.uitgevoerd",
        required: &["beschikking_id", "uitkomst"],
        required_nullable: &[],
        optional: &[],
        enums: &[("uitkomst", &["ongewijzigd", "gewijzigd", "beeindigd"])],
        strings: &[],
        uuids: &["beschikking_id"],
        dates: &[],
    },
    TypeSpec {
        name: "zorg.gestart",
        required: &["beschikking_id", "aanbieder", "startdatum"],
        required_nullable: &[],
        optional: &[],
        enums: &[],
        strings: &[("aanbieder", 1, 128)],
        uuids: &["beschikking_id"],
        dates: &["startdatum"],
    },
    TypeSpec {
        name: "zorg.beeindigd",
        required: &["beschikking_id", "einddatum", "reden"],
        required_nullable: &[],
        optional: &[],
        enums: &[(
            "reden",
            &[
                "doelen_bereikt",
                "verhuisd",
                "overleden",
                "andere_voorziening",
                "wlz",
                "op_verzoek_client",
                "overig",
            ],
        )],
        strings: &[],
        uuids: &["beschikking_id"],
        dates: &["einddatum"],
    },
    TypeSpec {
        name: "case.afgesloten",
        required: &["reden"],
        required_nullable: &[],
        optional: &[],
        enums: &[(
            "reden",
            &["beschikt", "ingetrokken", "afgevangen", "overig"],
        )],
        strings: &[],
        uuids: &[],
        dates: &[],
    },
    TypeSpec {
        name: "formatie.vastgesteld",
        required: &["team", "consulent_ref", "fte", "geldig_vanaf"],
        required_nullable: &[],
        optional: &[],
        enums: &[],
        strings: &[("team", 1, 64), ("consulent_ref", 1, 64)],
        uuids: &[],
        dates: &["geldig_vanaf"],
    },
    TypeSpec {
        name: "event.ingetrokken",
        required: &["ingetrokken_event_id", "reden"],
        required_nullable: &[],
        optional: &[],
        enums: &[],
        strings: &[("reden", 1, 500)],
        uuids: &["ingetrokken_event_id"],
        dates: &[],
    },
];

fn spec(t: &str) -> &'static TypeSpec {
    SPEC.iter()
        .find(|s| s.name == t)
        .unwrap_or_else(|| panic!("no spec entry for {t}"))
}

fn is_case_event(t: &str) -> bool {
    t != "formatie.vastgesteld"
}

/// Envelope fields required for this type (spec §2 plus the case/staffing rule).
fn envelope_required(t: &str) -> Vec<&'static str> {
    let mut r = vec![
        "event_id",
        "event_type",
        "schema_version",
        "occurred_at",
        "gemeente",
        "domein",
        "data",
    ];
    if is_case_event(t) {
        r.extend(["case_id", "client_ref"]);
    }
    r
}

// ------------------------------------------------------------------ loading

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

fn read_json(path: &Path) -> Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

struct Contract {
    envelope: Value,
    /// event_type -> per-type schema document.
    types: BTreeMap<String, Value>,
    env_plain: Validator,
    env_formats: Validator,
    type_plain: BTreeMap<String, Validator>,
    type_formats: BTreeMap<String, Validator>,
}

fn build(schema: &Value, formats: bool, resources: &[(String, Value)]) -> Validator {
    let mut opts = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(formats);
    for (id, doc) in resources {
        let resource =
            Resource::from_contents(doc.clone()).unwrap_or_else(|e| panic!("resource {id}: {e}"));
        opts = opts.with_resource(id.clone(), resource);
    }
    opts.build(schema)
        .unwrap_or_else(|e| panic!("schema {} does not compile: {e}", schema["$id"]))
}

fn load() -> Contract {
    let dir = schema_dir();
    let envelope = read_json(&dir.join("envelope.schema.json"));
    let mut types = BTreeMap::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(dir.join("events"))
        .unwrap_or_else(|e| panic!("reading {}/events: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        let t = file
            .strip_suffix(".schema.json")
            .unwrap_or_else(|| panic!("unexpected file events/{file}"));
        let doc = read_json(&path);
        assert_eq!(
            doc["$id"],
            json!(format!("{BASE_ID}events/{file}")),
            "$id of events/{file}"
        );
        types.insert(t.to_string(), doc);
    }
    let names: BTreeSet<&str> = types.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        TYPES.iter().copied().collect::<BTreeSet<_>>(),
        "one schema file per event type of spec §2.1"
    );
    assert_eq!(
        envelope["$id"],
        json!(format!("{BASE_ID}envelope.schema.json"))
    );

    // The envelope refers to the per-type schemas by $id; register them so that
    // nothing is fetched. The per-type schemas are self-contained.
    let resources: Vec<(String, Value)> = types
        .values()
        .map(|d| (d["$id"].as_str().unwrap().to_string(), d.clone()))
        .collect();
    let env_plain = build(&envelope, false, &resources);
    let env_formats = build(&envelope, true, &resources);
    let type_plain = types
        .iter()
        .map(|(t, d)| (t.clone(), build(d, false, &[])))
        .collect();
    let type_formats = types
        .iter()
        .map(|(t, d)| (t.clone(), build(d, true, &[])))
        .collect();
    Contract {
        envelope,
        types,
        env_plain,
        env_formats,
        type_plain,
        type_formats,
    }
}

impl Contract {
    fn examples(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for (t, doc) in &self.types {
            let ex = doc["examples"]
                .as_array()
                .unwrap_or_else(|| panic!("{t}: no `examples` array"));
            assert!(
                ex.len() >= MIN_EXAMPLES_PER_TYPE,
                "{t}: {} examples, want at least {MIN_EXAMPLES_PER_TYPE}",
                ex.len()
            );
            for e in ex {
                assert_eq!(
                    e["event_type"],
                    json!(t),
                    "an example in events/{t}.schema.json has another event_type"
                );
                out.push((t.clone(), e.clone()));
            }
        }
        assert_eq!(
            out.len(),
            EXPECTED_EXAMPLES,
            "number of examples over all schemas"
        );
        out
    }

    fn judge(&self, ev: &Value) -> SchemaVerdict {
        let t = ev.get("event_type").and_then(Value::as_str);
        let own = t.and_then(|t| self.type_plain.get(t).map(|v| (v, &self.type_formats[t])));
        SchemaVerdict {
            env_plain: self.env_plain.is_valid(ev),
            env_formats: self.env_formats.is_valid(ev),
            type_plain: own.map(|(p, _)| p.is_valid(ev)),
            type_formats: own.map(|(_, f)| f.is_valid(ev)),
        }
    }

    fn errors(&self, ev: &Value) -> String {
        let mut msgs: Vec<String> = self
            .env_formats
            .iter_errors(ev)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        msgs.truncate(3);
        msgs.join("; ")
    }
}

#[derive(Debug, Clone, Copy)]
struct SchemaVerdict {
    env_plain: bool,
    env_formats: bool,
    type_plain: Option<bool>,
    type_formats: Option<bool>,
}

impl SchemaVerdict {
    fn accepts(&self) -> bool {
        self.env_plain
            && self.env_formats
            && self.type_plain != Some(false)
            && self.type_formats != Some(false)
    }
    /// Rejected even with `format` as annotation only, by envelope and own schema.
    fn rejects_plain(&self) -> bool {
        !self.env_plain
            && !self.env_formats
            && self.type_plain != Some(true)
            && self.type_formats != Some(true)
    }
    /// Accepted by the patterns, rejected once `format` is asserted.
    fn rejects_formats_only(&self) -> bool {
        self.env_plain
            && !self.env_formats
            && self.type_plain != Some(false)
            && self.type_formats != Some(true)
    }
    /// The envelope dispatches to the per-type schema, so both must agree.
    fn consistent(&self) -> bool {
        self.type_plain.is_none_or(|p| p == self.env_plain)
            && self.type_formats.is_none_or(|f| f == self.env_formats)
    }
}

fn rust(ev: &Value) -> Result<Event, String> {
    let bytes = serde_json::to_vec(ev).expect("serializes");
    Event::from_json_bytes(&bytes).map_err(|e| e.to_string())
}

// ------------------------------------------------------------------ cases

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Both sides accept.
    Accept,
    /// The schema rejects (patterns alone suffice), and so does Rust.
    Reject,
    /// The schema rejects only with `format` asserted (calendar/clock validity);
    /// Rust rejects.
    RejectFormatOnly,
    /// A rule JSON Schema cannot express (schemas/README.md): the schema accepts,
    /// Rust rejects.
    RustOnly,
}

struct Case {
    category: &'static str,
    label: String,
    event: Value,
    expect: Expect,
    /// For rejections: the Rust error message must name this field.
    field: Option<String>,
}

fn case(
    category: &'static str,
    label: impl Into<String>,
    event: Value,
    expect: Expect,
    field: Option<&str>,
) -> Case {
    Case {
        category,
        label: label.into(),
        event,
        expect,
        field: field.map(str::to_string),
    }
}

/// Runs every case through both sides; returns the count per category and a
/// description of every disagreement.
fn run(contract: &Contract, cases: &[Case]) -> (BTreeMap<&'static str, usize>, Vec<String>) {
    let mut counts = BTreeMap::new();
    let mut failures = Vec::new();
    for c in cases {
        *counts.entry(c.category).or_insert(0) += 1;
        let s = contract.judge(&c.event);
        let r = rust(&c.event);
        let mut problems = Vec::new();
        if !s.consistent() {
            problems.push(format!("envelope and per-type schema disagree: {s:?}"));
        }
        match c.expect {
            Expect::Accept | Expect::RustOnly => {
                if !s.accepts() {
                    problems.push(format!(
                        "schema rejects ({s:?}): {}",
                        contract.errors(&c.event)
                    ));
                }
            }
            Expect::Reject => {
                if !s.rejects_plain() {
                    problems.push(format!("schema accepts ({s:?})"));
                }
            }
            Expect::RejectFormatOnly => {
                if !s.rejects_formats_only() {
                    problems.push(format!(
                        "schema verdict is not 'rejected by format only' ({s:?})"
                    ));
                }
            }
        }
        match (c.expect, &r) {
            (Expect::Accept, Err(e)) => problems.push(format!("Rust rejects: {e}")),
            (Expect::Reject | Expect::RejectFormatOnly | Expect::RustOnly, Ok(_)) => {
                problems.push("Rust accepts".to_string())
            }
            (Expect::Reject | Expect::RejectFormatOnly | Expect::RustOnly, Err(e)) => {
                if let Some(f) = &c.field {
                    if !e.contains(f.as_str()) {
                        problems.push(format!(
                            "Rust rejects, but its error does not name `{f}`: {e}"
                        ));
                    }
                }
            }
            (Expect::Accept, Ok(_)) => {}
        }
        if !problems.is_empty() {
            failures.push(format!(
                "[{}] {} (expected {:?}): {}\n    event: {}",
                c.category,
                c.label,
                c.expect,
                problems.join(" | "),
                serde_json::to_string(&c.event).unwrap()
            ));
        }
    }
    (counts, failures)
}

fn assert_no_failures(failures: &[String], total: usize) {
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(60).collect();
        panic!(
            "{} of {total} cases disagree with the expectation:\n{}{}",
            failures.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            if failures.len() > shown.len() {
                format!("\n... and {} more", failures.len() - shown.len())
            } else {
                String::new()
            }
        );
    }
}

/// A copy of `ev` with `path` (`"x"` top-level or `"data.x"`) set to `value`, or removed when `None`.
fn with(ev: &Value, path: &str, value: Option<Value>) -> Value {
    let mut out = ev.clone();
    let (obj, key): (&mut Map<String, Value>, &str) = match path.strip_prefix("data.") {
        Some(k) => (out["data"].as_object_mut().expect("data is an object"), k),
        None => (out.as_object_mut().expect("event is an object"), path),
    };
    match value {
        Some(v) => {
            obj.insert(key.to_string(), v);
        }
        None => {
            obj.remove(key);
        }
    }
    out
}

fn short(ev: &Value) -> String {
    format!(
        "{} {}",
        ev["event_type"].as_str().unwrap_or("?"),
        ev["event_id"].as_str().unwrap_or("?")
    )
}

// ------------------------------------------------------------------ tests

/// The schema files say what spec §2 / §2.1 say, independently of Rust.
#[test]
fn schemas_match_the_spec_table() {
    let c = load();
    let env = &c.envelope;
    assert_eq!(
        env["$schema"],
        json!("https://json-schema.org/draft/2020-12/schema")
    );
    assert_eq!(
        env["additionalProperties"],
        json!(false),
        "envelope rejects unknown fields"
    );
    let env_types: BTreeSet<&str> = env["properties"]["event_type"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        env_types,
        TYPES.iter().copied().collect(),
        "envelope event_type enum"
    );
    assert_eq!(
        env["allOf"].as_array().map(Vec::len),
        Some(TYPES.len()),
        "one dispatch branch per type"
    );
    let mut checked = 0;
    for t in TYPES {
        let s = spec(t);
        let doc = &c.types[t];
        assert_eq!(
            doc["$schema"],
            json!("https://json-schema.org/draft/2020-12/schema"),
            "{t}"
        );
        assert_eq!(
            doc["additionalProperties"],
            json!(false),
            "{t}: envelope rejects unknown fields"
        );
        assert_eq!(doc["properties"]["event_type"]["const"], json!(t), "{t}");
        let req: BTreeSet<&str> = doc["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            req,
            envelope_required(t).into_iter().collect(),
            "{t}: required envelope fields"
        );
        let data = &doc["properties"]["data"];
        assert_eq!(
            data["additionalProperties"],
            json!(false),
            "{t}: data rejects unknown fields"
        );
        let props: BTreeSet<&str> = data["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let want: BTreeSet<&str> = s
            .required
            .iter()
            .chain(s.required_nullable)
            .chain(s.optional)
            .copied()
            .collect();
        assert_eq!(props, want, "{t}: data fields");
        let dreq: BTreeSet<&str> = data["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let want_req: BTreeSet<&str> = s
            .required
            .iter()
            .chain(s.required_nullable)
            .copied()
            .collect();
        assert_eq!(dreq, want_req, "{t}: required data fields");
        for (f, values) in s.enums {
            let got: Vec<&str> = data["properties"][f]["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("{t}.{f} enum"))
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(got, values.to_vec(), "{t}: data.{f} enum");
        }
        for (f, lo, hi) in s.strings {
            assert_eq!(
                data["properties"][f]["minLength"],
                json!(lo),
                "{t}: data.{f} minLength"
            );
            assert_eq!(
                data["properties"][f]["maxLength"],
                json!(hi),
                "{t}: data.{f} maxLength"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, TYPES.len());
}

/// Test 1: every example validates against its own schema and the envelope (with
/// and without format assertion) and parses with `Event::from_json_bytes`.
#[test]
fn examples_validate_and_parse() {
    let c = load();
    let examples = c.examples();
    let mut per_type: BTreeMap<&str, usize> = BTreeMap::new();
    let cases: Vec<Case> = examples
        .iter()
        .map(|(t, e)| {
            *per_type.entry(t.as_str()).or_insert(0) += 1;
            case("example", short(e), e.clone(), Expect::Accept, None)
        })
        .collect();
    let (counts, failures) = run(&c, &cases);
    assert_no_failures(&failures, cases.len());
    assert_eq!(counts["example"], EXPECTED_EXAMPLES);
    assert_eq!(per_type.len(), TYPES.len(), "examples for every type");
}

/// Removes null-valued keys that are optional for this type (top level and data).
fn strip_null_optionals(ev: &Value) -> Value {
    let t = ev["event_type"].as_str().unwrap();
    let mut out = ev.clone();
    let top = out.as_object_mut().unwrap();
    let mut top_optional = vec!["source"];
    if !is_case_event(t) {
        top_optional.extend(["case_id", "client_ref"]);
    }
    for k in top_optional {
        if top.get(k) == Some(&Value::Null) {
            top.remove(k);
        }
    }
    let data = top.get_mut("data").unwrap().as_object_mut().unwrap();
    for k in spec(t).optional {
        if data.get(*k) == Some(&Value::Null) {
            data.remove(*k);
        }
    }
    out
}

/// Numbers compared by value, everything else structurally.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Test 2: parse, serialize again: the result is valid against the schemas, equal
/// to the example (see the module doc for what is normalized), and parses back to
/// the same `Event`.
#[test]
fn examples_round_trip() {
    let c = load();
    let examples = c.examples();
    let mut failures = Vec::new();
    let mut n = 0;
    for (_, ex) in &examples {
        let event = match rust(ex) {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("{}: does not parse: {e}", short(ex)));
                continue;
            }
        };
        let back = serde_json::to_value(&event).expect("Event serializes");
        n += 1;
        let s = c.judge(&back);
        if !s.accepts() {
            failures.push(format!(
                "{}: re-serialized event fails the schema ({s:?}): {}\n    re-serialized: {}",
                short(ex),
                c.errors(&back),
                back
            ));
        }
        let (want, got) = (strip_null_optionals(ex), strip_null_optionals(&back));
        if !json_eq(&want, &got) {
            failures.push(format!(
                "{}: round trip differs\n    original:      {}\n    re-serialized: {}",
                short(ex),
                want,
                got
            ));
        }
        match rust(&back) {
            Ok(again) if again == event => {}
            Ok(again) => failures.push(format!(
                "{}: parse(serialize(e)) != e: {again:?} vs {event:?}",
                short(ex)
            )),
            Err(e) => failures.push(format!(
                "{}: re-serialized event does not parse: {e}\n    {back}",
                short(ex)
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} round-trip problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(n, EXPECTED_EXAMPLES);
}

/// Test 3: unknown fields, at the top level and inside `data`, are rejected by both.
#[test]
fn unknown_fields_are_rejected_by_both() {
    let c = load();
    let examples = c.examples();
    let mut cases = Vec::new();
    for (_, ex) in &examples {
        cases.push(case(
            "unknown_top",
            short(ex),
            with(ex, "bsn_vrij_veld", Some(json!("x"))),
            Expect::Reject,
            Some("bsn_vrij_veld"),
        ));
        cases.push(case(
            "unknown_data",
            short(ex),
            with(ex, "data.bsn_vrij_veld", Some(json!("x"))),
            Expect::Reject,
            Some("bsn_vrij_veld"),
        ));
        // a field that exists on other types but not on this one
        let foreign = if ex["event_type"] == "zorg.gestart" {
            "uitkomst"
        } else {
            "startdatum"
        };
        cases.push(case(
            "foreign_data_field",
            format!("{} + data.{foreign}", short(ex)),
            with(ex, &format!("data.{foreign}"), Some(json!("2024-01-01"))),
            Expect::Reject,
            Some(foreign),
        ));
    }
    let (counts, failures) = run(&c, &cases);
    assert_no_failures(&failures, cases.len());
    assert_eq!(counts["unknown_top"], EXPECTED_EXAMPLES);
    assert_eq!(counts["unknown_data"], EXPECTED_EXAMPLES);
    assert_eq!(counts["foreign_data_field"], EXPECTED_EXAMPLES);
}

/// Test 4: mutations of every example are rejected by both.
#[test]
fn mutations_are_rejected_by_both() {
    let c = load();
    let examples = c.examples();
    let mut cases = Vec::new();
    let mut formatie_examples = 0;
    let mut case_examples = 0;
    for (t, ex) in &examples {
        let t = t.as_str();
        let s = spec(t);
        let l = short(ex);
        // wrong enum values (also wrong case)
        let enums = std::iter::once(("domein".to_string(), DOMEIN))
            .chain(s.enums.iter().map(|(f, v)| (format!("data.{f}"), *v)));
        for (path, _) in enums {
            let cur = if path == "domein" {
                ex["domein"].clone()
            } else {
                ex["data"][&path[5..]].clone()
            };
            let leaf = path.trim_start_matches("data.").to_string();
            cases.push(case(
                "enum",
                format!("{l}: {path}=onbekend"),
                with(ex, &path, Some(json!("onbekend"))),
                Expect::Reject,
                Some(&leaf),
            ));
            let upper = cur.as_str().unwrap().to_uppercase();
            cases.push(case(
                "enum",
                format!("{l}: {path}={upper}"),
                with(ex, &path, Some(json!(upper))),
                Expect::Reject,
                Some(&leaf),
            ));
        }
        // missing required fields, and null where null is not allowed
        for f in envelope_required(t) {
            cases.push(case(
                "missing_required",
                format!("{l}: -{f}"),
                with(ex, f, None),
                Expect::Reject,
                Some(f),
            ));
            cases.push(case(
                "null_required",
                format!("{l}: {f}=null"),
                with(ex, f, Some(Value::Null)),
                Expect::Reject,
                Some(f),
            ));
        }
        for f in s.required.iter().chain(s.required_nullable) {
            cases.push(case(
                "missing_required",
                format!("{l}: -data.{f}"),
                with(ex, &format!("data.{f}"), None),
                Expect::Reject,
                Some(f),
            ));
        }
        for f in s.required {
            cases.push(case(
                "null_required",
                format!("{l}: data.{f}=null"),
                with(ex, &format!("data.{f}"), Some(Value::Null)),
                Expect::Reject,
                Some(f),
            ));
        }
        // bad gemeente codes
        for g in ["GM935", "gm0935", "GM09350", "0935", "GM 935"] {
            cases.push(case(
                "gemeente",
                format!("{l}: gemeente={g}"),
                with(ex, "gemeente", Some(json!(g))),
                Expect::Reject,
                Some("gemeente"),
            ));
        }
        // schema_version other than the integer 1
        for v in [json!(2), json!(0), json!("1")] {
            cases.push(case(
                "schema_version",
                format!("{l}: schema_version={v}"),
                with(ex, "schema_version", Some(v)),
                Expect::Reject,
                Some("schema_version"),
            ));
        }
        // occurred_at without offset, and date only
        let at = ex["occurred_at"].as_str().unwrap();
        for v in [&at[..19], &at[..10]] {
            cases.push(case(
                "occurred_at",
                format!("{l}: occurred_at={v}"),
                with(ex, "occurred_at", Some(json!(v))),
                Expect::Reject,
                Some("occurred_at"),
            ));
        }
        // malformed UUIDs and dates
        for f in ["event_id"]
            .iter()
            .map(|f| f.to_string())
            .chain(s.uuids.iter().map(|f| format!("data.{f}")))
        {
            let leaf = f.trim_start_matches("data.").to_string();
            for v in [
                "not-a-uuid",
                "0b6e8a2c5f1d4c3e9a7b2d4f6e8a0c1e",
                "{0b6e8a2c-5f1d-4c3e-9a7b-2d4f6e8a0c1e}",
            ] {
                cases.push(case(
                    "uuid",
                    format!("{l}: {f}={v}"),
                    with(ex, &f, Some(json!(v))),
                    Expect::Reject,
                    Some(&leaf),
                ));
            }
        }
        for f in s.dates {
            for v in ["2024-3-4", "04-03-2024", "2024-03-04T00:00:00Z"] {
                cases.push(case(
                    "date",
                    format!("{l}: data.{f}={v}"),
                    with(ex, &format!("data.{f}"), Some(json!(v))),
                    Expect::Reject,
                    Some(f),
                ));
            }
        }
        // the wrong data for the type: relabel as every other type
        for other in TYPES.iter().filter(|o| **o != t) {
            cases.push(case(
                "relabeled",
                format!("{l} as {other}"),
                with(ex, "event_type", Some(json!(other))),
                Expect::Reject,
                None,
            ));
        }
        cases.push(case(
            "event_type",
            format!("{l}: unknown type"),
            with(ex, "event_type", Some(json!("melding.verwijderd"))),
            Expect::Reject,
            Some("event_type"),
        ));
        if is_case_event(t) {
            case_examples += 1;
            cases.push(case(
                "case_id_missing",
                format!("{l}: -case_id"),
                with(ex, "case_id", None),
                Expect::Reject,
                Some("case_id"),
            ));
        } else {
            formatie_examples += 1;
            for v in [json!(1.5), json!(-0.1), json!("0.8"), json!(1.2000001)] {
                cases.push(case(
                    "fte",
                    format!("{l}: fte={v}"),
                    with(ex, "data.fte", Some(v)),
                    Expect::Reject,
                    Some("fte"),
                ));
            }
            cases.push(case(
                "staffing_with_case",
                format!("{l}: +case_id"),
                with(
                    ex,
                    "case_id",
                    Some(json!("0b6e8a2c-5f1d-4c3e-9a7b-2d4f6e8a0c1e")),
                ),
                Expect::Reject,
                Some("case_id"),
            ));
            cases.push(case(
                "staffing_with_case",
                format!("{l}: +client_ref"),
                with(ex, "client_ref", Some(json!("c-7f3a9e"))),
                Expect::Reject,
                Some("client_ref"),
            ));
        }
    }
    let (counts, failures) = run(&c, &cases);
    assert_no_failures(&failures, cases.len());
    assert_eq!(case_examples + formatie_examples, EXPECTED_EXAMPLES);
    assert!(formatie_examples >= MIN_EXAMPLES_PER_TYPE && case_examples > 0);
    let n = EXPECTED_EXAMPLES;
    assert_eq!(counts["gemeente"], 5 * n);
    assert_eq!(counts["schema_version"], 3 * n);
    assert_eq!(counts["occurred_at"], 2 * n);
    assert_eq!(counts["relabeled"], 11 * n);
    assert_eq!(counts["event_type"], n);
    assert_eq!(counts["case_id_missing"], case_examples);
    assert_eq!(counts["fte"], 4 * formatie_examples);
    assert_eq!(counts["staffing_with_case"], 2 * formatie_examples);
    for cat in ["enum", "missing_required", "null_required", "uuid", "date"] {
        assert!(
            counts.get(cat).copied().unwrap_or(0) >= n,
            "category {cat} ran {:?} cases",
            counts.get(cat)
        );
    }
}

/// What the contract allows is accepted by both: every enum value, optional fields
/// absent or null, length boundaries (counted in characters), fte bounds.
#[test]
fn allowed_variants_are_accepted_by_both() {
    let c = load();
    let examples = c.examples();
    let mut cases = Vec::new();
    for (t, ex) in &examples {
        let t = t.as_str();
        let s = spec(t);
        let l = short(ex);
        for d in DOMEIN {
            cases.push(case(
                "enum_value",
                format!("{l}: domein={d}"),
                with(ex, "domein", Some(json!(d))),
                Expect::Accept,
                None,
            ));
        }
        for (f, values) in s.enums {
            for v in *values {
                cases.push(case(
                    "enum_value",
                    format!("{l}: data.{f}={v}"),
                    with(ex, &format!("data.{f}"), Some(json!(v))),
                    Expect::Accept,
                    None,
                ));
            }
        }
        for f in s.optional {
            let p = format!("data.{f}");
            cases.push(case(
                "optional",
                format!("{l}: -{p}"),
                with(ex, &p, None),
                Expect::Accept,
                None,
            ));
            cases.push(case(
                "optional",
                format!("{l}: {p}=null"),
                with(ex, &p, Some(Value::Null)),
                Expect::Accept,
                None,
            ));
        }
        for (p, v) in [("source", None), ("source", Some(Value::Null))] {
            cases.push(case(
                "optional",
                format!("{l}: source={v:?}"),
                with(ex, p, v),
                Expect::Accept,
                None,
            ));
        }
        if !is_case_event(t) {
            for f in ["case_id", "client_ref"] {
                cases.push(case(
                    "optional",
                    format!("{l}: {f}=null"),
                    with(ex, f, Some(Value::Null)),
                    Expect::Accept,
                    None,
                ));
                cases.push(case(
                    "optional",
                    format!("{l}: -{f}"),
                    with(ex, f, None),
                    Expect::Accept,
                    None,
                ));
            }
            for v in [json!(0), json!(0.0), json!(1), json!(1.2), json!(0.5)] {
                cases.push(case(
                    "fte_bounds",
                    format!("{l}: fte={v}"),
                    with(ex, "data.fte", Some(v)),
                    Expect::Accept,
                    None,
                ));
            }
        }
        for f in s.required_nullable {
            cases.push(case(
                "optional",
                format!("{l}: data.{f}=null"),
                with(ex, &format!("data.{f}"), Some(Value::Null)),
                Expect::Accept,
                None,
            ));
        }
        // length boundaries, in characters (é is 2 bytes in UTF-8, 1 code point)
        let mut bounded: Vec<(String, usize, usize)> = s
            .strings
            .iter()
            .map(|(f, lo, hi)| (format!("data.{f}"), *lo, *hi))
            .collect();
        bounded.push(("source".into(), 1, 128));
        if is_case_event(t) {
            bounded.push(("client_ref".into(), 1, 64));
        }
        for (p, lo, hi) in bounded {
            let leaf = p.trim_start_matches("data.").to_string();
            for ch in ["x", "é"] {
                cases.push(case(
                    "length_ok",
                    format!("{l}: {p} {hi}×{ch}"),
                    with(ex, &p, Some(json!(ch.repeat(hi)))),
                    Expect::Accept,
                    None,
                ));
                cases.push(case(
                    "length_over",
                    format!("{l}: {p} {}×{ch}", hi + 1),
                    with(ex, &p, Some(json!(ch.repeat(hi + 1)))),
                    Expect::Reject,
                    Some(&leaf),
                ));
            }
            assert_eq!(lo, 1);
            cases.push(case(
                "length_under",
                format!("{l}: {p}=\"\""),
                with(ex, &p, Some(json!(""))),
                Expect::Reject,
                Some(&leaf),
            ));
        }
    }
    let (counts, failures) = run(&c, &cases);
    assert_no_failures(&failures, cases.len());
    // every enum value of spec §2.1 is tried on every example of its type, domein on all
    let enum_values: usize = examples
        .iter()
        .map(|(t, _)| DOMEIN.len() + spec(t).enums.iter().map(|(_, v)| v.len()).sum::<usize>())
        .sum();
    assert_eq!(counts["enum_value"], enum_values);
    assert!(counts["optional"] >= 2 * EXPECTED_EXAMPLES);
    assert!(counts["fte_bounds"] >= 5 * MIN_EXAMPLES_PER_TYPE);
    assert_eq!(counts["length_ok"], counts["length_over"]);
    assert!(counts["length_under"] >= 2 * EXPECTED_EXAMPLES);
}

fn example_of<'a>(examples: &'a [(String, Value)], t: &str) -> &'a Value {
    &examples
        .iter()
        .find(|(u, _)| u == t)
        .unwrap_or_else(|| panic!("no example of {t}"))
        .1
}

/// Edge cases of the string formats: where the pattern decides, where only
/// `format` assertion decides, and what both accept.
#[test]
fn format_edge_cases_agree() {
    let c = load();
    let examples = c.examples();
    let m = example_of(&examples, "melding.ontvangen");
    let p = example_of(&examples, "po.gepland");
    let mut cases = Vec::new();
    use Expect::*;
    // occurred_at: RFC 3339 with offset `Z` or `±hh:mm`, upper-case `T`/`Z` only.
    for (v, e) in [
        ("2024-03-04T09:12:37+01:00", Accept),
        ("2024-03-04T09:12:37Z", Accept),
        ("2024-03-04T09:12:37.5+01:00", Accept),
        ("2024-03-04T09:12:37.123456789Z", Accept),
        ("2024-03-04T09:12:37-00:00", Accept),
        ("2024-03-04T09:12:37+05:45", Accept),
        ("2024-03-04t09:12:37+01:00", Reject),
        ("2024-03-04T09:12:37z", Reject),
        ("2024-03-04 09:12:37+01:00", Reject),
        ("2024-03-04T09:12:37\u{2212}01:00", Reject),
        ("2024-03-04T09:12+01:00", Reject),
        ("2024-03-04T09:12:37+0100", Reject),
        ("2024-03-04T09:12:37+01", Reject),
        ("2024-03-04T09:12:37.+01:00", Reject),
        ("2024-03-04T09:12:37+01:00 ", Reject),
        ("2024-03-04T09:12:37+01:00\n", Reject),
        // hour, minute, second and month ranges are in the pattern; only the
        // length of a month is left to `format`
        ("2024-03-04T24:00:00+01:00", Reject),
        ("2024-03-04T09:60:00+01:00", Reject),
        ("2024-02-30T09:00:00+01:00", RejectFormatOnly),
        ("2024-13-01T09:00:00+01:00", Reject),
    ] {
        cases.push(case(
            "occurred_at",
            format!("occurred_at={v:?}"),
            with(m, "occurred_at", Some(json!(v))),
            e,
            Some("occurred_at"),
        ));
    }
    // dates: YYYY-MM-DD
    for (v, e) in [
        ("2027-03-15", Accept),
        ("2028-02-29", Accept),
        ("2024- 1-05", Reject),
        ("+024-01-05", Reject),
        ("2024-1-05", Reject),
        ("20240105", Reject),
        ("2024-01-05\n", Reject),
        ("2027-02-29", RejectFormatOnly),
        ("2027-04-31", RejectFormatOnly),
        ("2027-13-01", Reject),
        ("2027-00-10", Reject),
        ("2027-01-00", Reject),
    ] {
        cases.push(case(
            "date",
            format!("gepland_op={v:?}"),
            with(p, "data.gepland_op", Some(json!(v))),
            e,
            Some("gepland_op"),
        ));
    }
    // UUIDs: the hyphenated 8-4-4-4-12 form; hex digits in either case
    for (v, e) in [
        ("0B6E8A2C-5F1D-4C3E-9A7B-2D4F6E8A0C1E", Accept),
        ("0b6e8a2c-5f1d-4c3e-9a7b-2d4f6e8a0c1g", Reject),
        ("urn:uuid:0b6e8a2c-5f1d-4c3e-9a7b-2d4f6e8a0c1e", Reject),
        ("0b6e8a2c-5f1d-4c3e-9a7b2d4f6e8a0c1e-", Reject),
        ("0b6e8a2c-5f1d-4c3e-9a7b-2d4f6e8a0c1e\n", Reject),
    ] {
        cases.push(case(
            "uuid",
            format!("event_id={v:?}"),
            with(m, "event_id", Some(json!(v))),
            e,
            Some("event_id"),
        ));
        cases.push(case(
            "uuid",
            format!("case_id={v:?}"),
            with(m, "case_id", Some(json!(v))),
            e,
            Some("case_id"),
        ));
    }
    // gemeente
    for (v, e) in [
        ("GM0344", Accept),
        ("GM0935\n", Reject),
        ("GM０９３５", Reject),
        ("GM-935", Reject),
    ] {
        cases.push(case(
            "gemeente",
            format!("gemeente={v:?}"),
            with(m, "gemeente", Some(json!(v))),
            e,
            Some("gemeente"),
        ));
    }
    // a 9-digit client_ref that fails the 11-test is not a BSN: allowed by the contract
    cases.push(case(
        "client_ref",
        "client_ref=123456789 (not a BSN)",
        with(m, "client_ref", Some(json!("123456789"))),
        Accept,
        None,
    ));
    let (counts, failures) = run(&c, &cases);
    assert_no_failures(&failures, cases.len());
    assert_eq!(counts["occurred_at"], 20);
    assert_eq!(counts["date"], 12);
    assert_eq!(counts["uuid"], 10);
    assert_eq!(counts["gemeente"], 4);
}

/// The rules of schemas/README.md that JSON Schema cannot express: the schema lets
/// them through, ingest rejects them.
#[test]
fn rules_json_schema_cannot_express_are_enforced_by_rust() {
    let c = load();
    let examples = c.examples();
    let m = example_of(&examples, "melding.ontvangen");
    let b = example_of(&examples, "beschikking.afgegeven");
    let i = example_of(&examples, "event.ingetrokken");
    let z = example_of(&examples, "case.toegewezen");
    // 111222333 passes the 11-test: 9+8+7+12+10+8+9+6-3 = 66 = 6 × 11
    let bsn = "111222333";
    let mut cases = vec![
        case(
            "bsn",
            "client_ref is a BSN",
            with(m, "client_ref", Some(json!(bsn))),
            Expect::RustOnly,
            Some("client_ref"),
        ),
        case(
            "bsn",
            "wijk is a BSN",
            with(m, "data.wijk", Some(json!(bsn))),
            Expect::RustOnly,
            Some("wijk"),
        ),
        case(
            "bsn",
            "consulent_ref is a BSN",
            with(z, "data.consulent_ref", Some(json!(bsn))),
            Expect::RustOnly,
            Some("consulent_ref"),
        ),
        case(
            "bsn",
            "free-text reden contains a BSN",
            with(
                i,
                "data.reden",
                Some(json!(format!("Verkeerde client (BSN {bsn}) gekoppeld"))),
            ),
            Expect::RustOnly,
            Some("reden"),
        ),
        case(
            "einddatum",
            "einddatum before ingangsdatum",
            with(b, "data.einddatum", Some(json!("2024-04-14"))),
            Expect::RustOnly,
            Some("einddatum"),
        ),
        // JSON Schema treats 1.0 as the integer 1; ingest requires the JSON integer 1.
        case(
            "schema_version",
            "schema_version=1.0",
            with(m, "schema_version", Some(json!(1.0))),
            Expect::RustOnly,
            Some("schema_version"),
        ),
    ];
    // A BSN written as a reader still reads it (caseflow_core::event::bsn).
    let written = [
        "1112.22.333",
        "111 222 333",
        "111-222-333",
        "1112\u{200b}22333",
        "１１１２２２３３３",
        "١١١٢٢٢٣٣٣",
        "BSN: 111.222.333",
    ];
    for w in written {
        for (ev, path, leaf) in [
            (m, "client_ref", "client_ref"),
            (i, "data.reden", "reden"),
            (z, "data.team", "team"),
        ] {
            cases.push(case(
                "bsn_written",
                format!("{path} = {w:?}"),
                with(ev, path, Some(json!(w))),
                Expect::RustOnly,
                Some(leaf),
            ));
        }
    }
    assert_eq!(
        b["data"]["ingangsdatum"],
        json!("2024-04-15"),
        "the einddatum case assumes this example"
    );
    let (counts, failures) = run(&c, &cases);
    assert_no_failures(&failures, cases.len());
    assert_eq!(counts["bsn"], 4);
    assert_eq!(counts["bsn_written"], 3 * written.len());
    assert_eq!(counts["einddatum"], 1);
}

/// Plausible values (docs/decisions.md), all expressed in the schemas: the year of
/// `occurred_at` as written 1990–2099, its offset −12:00 to +14:00, no leap
/// second; dates 1950-01-01 to 2199-12-31; no nil UUID; no control character in
/// a free string. `fte: -0` is zero on both sides.
#[test]
fn plausibility_rules_agree() {
    let c = load();
    let examples = c.examples();
    let m = example_of(&examples, "melding.ontvangen");
    let p = example_of(&examples, "po.gepland");
    let mut cases = Vec::new();
    use Expect::*;
    for (v, e) in [
        ("0000-01-01T00:00:00Z", Reject),
        ("9999-12-31T23:59:59-23:59", Reject),
        ("1989-12-31T23:59:59Z", Reject),
        ("2100-01-01T00:00:00Z", Reject),
        ("2016-12-31T23:59:60Z", Reject),
        ("2024-03-04T09:12:37+14:01", Reject),
        ("2024-03-04T09:12:37+15:00", Reject),
        ("2024-03-04T09:12:37-12:01", Reject),
        ("2024-03-04T09:12:37-13:00", Reject),
        ("1990-01-01T00:00:00Z", Accept),
        ("1990-01-01T00:00:00+14:00", Accept),
        ("2099-12-31T23:59:59.999+14:00", Accept),
        ("2024-03-04T09:12:37-12:00", Accept),
        ("2024-03-04T09:12:37+13:59", Accept),
    ] {
        cases.push(case(
            "occurred_at",
            format!("occurred_at={v:?}"),
            with(m, "occurred_at", Some(json!(v))),
            e,
            Some("occurred_at"),
        ));
    }
    for (v, e) in [
        ("0000-01-01", Reject),
        ("1949-12-31", Reject),
        ("2200-01-01", Reject),
        ("9999-12-31", Reject),
        ("1950-01-01", Accept),
        ("2199-12-31", Accept),
    ] {
        cases.push(case(
            "date",
            format!("gepland_op={v:?}"),
            with(p, "data.gepland_op", Some(json!(v))),
            e,
            Some("gepland_op"),
        ));
    }
    let nil = "00000000-0000-0000-0000-000000000000";
    let mut formatie = 0;
    for (t, ex) in &examples {
        let s = spec(t);
        let l = short(ex);
        let mut uuids: Vec<String> = vec!["event_id".into()];
        if is_case_event(t) {
            uuids.push("case_id".into());
        }
        uuids.extend(s.uuids.iter().map(|f| format!("data.{f}")));
        for f in uuids {
            let leaf = f.trim_start_matches("data.").to_string();
            cases.push(case(
                "nil_uuid",
                format!("{l}: {f}=nil"),
                with(ex, &f, Some(json!(nil))),
                Reject,
                Some(&leaf),
            ));
        }
        let mut strings: Vec<String> = s
            .strings
            .iter()
            .map(|(f, _, _)| format!("data.{f}"))
            .collect();
        strings.push("source".into());
        if is_case_event(t) {
            strings.push("client_ref".into());
        }
        for f in strings {
            let leaf = f.trim_start_matches("data.").to_string();
            for v in [
                "\u{0}",
                "IGT\u{0}Oost",
                "a\u{1f}",
                "\u{7f}",
                "x\u{85}",
                "twee\nregels",
            ] {
                cases.push(case(
                    "control",
                    format!("{l}: {f}={v:?}"),
                    with(ex, &f, Some(json!(v))),
                    Reject,
                    Some(&leaf),
                ));
            }
        }
        if !is_case_event(t) {
            formatie += 1;
            let zero = with(ex, "data.fte", Some(json!(0.0)));
            let negative_zero = with(ex, "data.fte", Some(json!(-0.0)));
            assert!(serde_json::to_string(&negative_zero)
                .unwrap()
                .contains("\"fte\":-0.0"));
            cases.push(case(
                "fte",
                format!("{l}: fte=-0"),
                negative_zero.clone(),
                Accept,
                None,
            ));
            assert_eq!(
                rust(&negative_zero).unwrap().canonical_json(),
                rust(&zero).unwrap().canonical_json(),
                "-0 is stored as 0"
            );
        }
    }
    let (counts, failures) = run(&c, &cases);
    assert_no_failures(&failures, cases.len());
    assert_eq!(counts["occurred_at"], 14);
    assert_eq!(counts["date"], 6);
    assert!(counts["nil_uuid"] >= 2 * EXPECTED_EXAMPLES, "{counts:?}");
    assert!(counts["control"] >= 6 * 2 * EXPECTED_EXAMPLES, "{counts:?}");
    assert_eq!(counts["fte"], formatie);
    assert!(formatie >= MIN_EXAMPLES_PER_TYPE);
}
