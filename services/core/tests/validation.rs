//! One test per rule of spec §2, asserting the error a producer sees.

use caseflow_core::event::{is_bsn, Event, ValidationError};
use serde_json::{json, Value};

fn melding() -> Value {
    json!({
        "event_id": "0b5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e",
        "event_type": "melding.ontvangen",
        "schema_version": 1,
        "occurred_at": "2020-03-02T09:15:00+01:00",
        "gemeente": "GM0935",
        "domein": "wmo",
        "case_id": "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
        "client_ref": "c-7f3a9e",
        "source": "cit-telefonie",
        "data": {"kanaal": "telefoon", "verwijzer": "huisarts", "wijk": "W03"}
    })
}

fn beschikking() -> Value {
    json!({
        "event_id": "1b5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e",
        "event_type": "beschikking.afgegeven",
        "schema_version": 1,
        "occurred_at": "2020-04-02T14:00:00+02:00",
        "gemeente": "GM0935",
        "domein": "wmo",
        "case_id": "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
        "client_ref": "c-7f3a9e",
        "data": {
            "beschikking_id": "2c5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e",
            "aanvraag_id": "3d5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e",
            "voorziening": "hulp_bij_huishouden",
            "besluit": "toegekend",
            "ingangsdatum": "2020-04-06",
            "einddatum": null,
            "leveringsvorm": "zin"
        }
    })
}

fn formatie() -> Value {
    json!({
        "event_id": "4e5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e",
        "event_type": "formatie.vastgesteld",
        "schema_version": 1,
        "occurred_at": "2020-01-01T08:00:00+01:00",
        "gemeente": "GM0935",
        "domein": "wmo",
        "data": {"team": "IGT Noord", "consulent_ref": "mw-017", "fte": 0.8, "geldig_vanaf": "2020-01-01"}
    })
}

fn parse(v: &Value) -> Result<Event, ValidationError> {
    Event::from_json_bytes(serde_json::to_string(v).unwrap().as_bytes())
}

fn err(v: &Value) -> String {
    parse(v).expect_err("must be rejected").to_string()
}

fn with(mut v: Value, path: &[&str], new: Value) -> Value {
    let mut cur = &mut v;
    for p in &path[..path.len() - 1] {
        cur = cur.get_mut(*p).unwrap();
    }
    cur.as_object_mut()
        .unwrap()
        .insert(path[path.len() - 1].to_string(), new);
    v
}

fn without(mut v: Value, path: &[&str]) -> Value {
    let mut cur = &mut v;
    for p in &path[..path.len() - 1] {
        cur = cur.get_mut(*p).unwrap();
    }
    cur.as_object_mut().unwrap().remove(path[path.len() - 1]);
    v
}

#[test]
fn valid_events_parse_and_round_trip() {
    for v in [melding(), beschikking(), formatie()] {
        let e = parse(&v).unwrap();
        let back = serde_json::to_value(&e).unwrap();
        // Null optional fields are dropped on output; einddatum null is kept.
        assert_eq!(back, v);
        assert_eq!(parse(&back).unwrap(), e);
    }
}

#[test]
fn not_json_is_rejected() {
    let e = Event::from_json_bytes(b"{\"event_id\": ").unwrap_err();
    assert!(matches!(e, ValidationError::Json(_)), "{e}");
    assert!(e.to_string().starts_with("not valid JSON"));
    assert_eq!(
        Event::from_json_bytes(b"[1,2]").unwrap_err(),
        ValidationError::NotAnObject
    );
}

#[test]
fn event_id_must_be_a_uuid() {
    assert_eq!(
        err(&with(melding(), &["event_id"], json!("abc"))),
        "field `event_id`: `abc` is not a UUID (expected the form 8-4-4-4-12 hex digits)"
    );
    assert_eq!(
        err(&without(melding(), &["event_id"])),
        "missing required field `event_id`"
    );
    assert_eq!(
        err(&with(melding(), &["event_id"], json!(12))),
        "field `event_id`: must be a string"
    );
}

#[test]
fn event_type_must_be_known() {
    let e = err(&with(
        melding(),
        &["event_type"],
        json!("melding.verwijderd"),
    ));
    assert!(e.starts_with("field `event_type`: `melding.verwijderd` is not an event type; accepted: melding.ontvangen, "), "{e}");
}

#[test]
fn schema_version_must_be_1() {
    assert_eq!(
        err(&with(melding(), &["schema_version"], json!(2))),
        "field `schema_version`: 2 is not supported; accepted: 1"
    );
    assert_eq!(
        err(&with(melding(), &["schema_version"], json!("1"))),
        "field `schema_version`: \"1\" is not supported; accepted: 1"
    );
    assert_eq!(
        err(&without(melding(), &["schema_version"])),
        "missing required field `schema_version`"
    );
}

#[test]
fn occurred_at_needs_an_offset() {
    let e = err(&with(
        melding(),
        &["occurred_at"],
        json!("2020-03-02T09:15:00"),
    ));
    assert_eq!(e, "field `occurred_at`: `2020-03-02T09:15:00` is not an RFC 3339 timestamp with offset, e.g. 2020-03-29T10:15:00+02:00");
    assert!(parse(&with(
        melding(),
        &["occurred_at"],
        json!("2020-03-02T08:15:00Z")
    ))
    .is_ok());
}

#[test]
fn gemeente_must_be_a_cbs_code() {
    for bad in ["GM935", "0935", "gm0935", "GM09350", "GMabcd"] {
        let e = err(&with(melding(), &["gemeente"], json!(bad)));
        assert!(
            e.contains("is not a CBS gemeente code; expected GM followed by 4 digits"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn domein_must_be_wmo_or_jeugd() {
    assert_eq!(
        err(&with(melding(), &["domein"], json!("participatie"))),
        "field `domein`: `participatie` is not accepted; accepted: wmo, jeugd"
    );
}

#[test]
fn case_id_is_required_on_case_events() {
    assert_eq!(
        err(&without(melding(), &["case_id"])),
        "missing required field `case_id`"
    );
    assert_eq!(
        err(&with(melding(), &["case_id"], Value::Null)),
        "missing required field `case_id`"
    );
}

#[test]
fn staffing_events_carry_no_case() {
    assert!(parse(&formatie()).is_ok());
    let e = err(&with(
        formatie(),
        &["case_id"],
        json!("5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f"),
    ));
    assert!(
        e.starts_with("field `case_id`: formatie.vastgesteld is a staffing event"),
        "{e}"
    );
}

#[test]
fn client_ref_is_required_and_1_to_64_chars() {
    assert_eq!(
        err(&without(melding(), &["client_ref"])),
        "missing required field `client_ref`"
    );
    assert_eq!(
        err(&with(melding(), &["client_ref"], json!(""))),
        "field `client_ref`: length 0 is out of range; accepted: 1 to 64 characters"
    );
    assert!(
        err(&with(melding(), &["client_ref"], json!("x".repeat(65))))
            .contains("length 65 is out of range")
    );
    assert!(parse(&with(melding(), &["client_ref"], json!("x".repeat(64)))).is_ok());
}

#[test]
fn bsn_eleven_test() {
    // 111222333: 9*1+8*1+7*1+6*2+5*2+4*2+3*3+2*3 - 3 = 66 = 6*11.
    assert!(is_bsn("111222333"));
    assert!(is_bsn("123456782"));
    assert!(!is_bsn("123456789"));
    assert!(!is_bsn("12345678"));
    assert!(!is_bsn("000000000"));
}

#[test]
fn bsns_are_masked_in_kept_bytes() {
    use caseflow_core::event::mask_bsn;
    assert_eq!(
        mask_bsn(br#"{"client_ref":"111222333","n":1234567890,"m":"123456789"}"#),
        br#"{"client_ref":"*********","n":1234567890,"m":"123456789"}"#.to_vec()
    );
    assert_eq!(mask_bsn(b"123456782"), b"*********".to_vec());
}

#[test]
fn a_bsn_is_rejected_wherever_it_appears() {
    assert_eq!(
        err(&with(melding(), &["client_ref"], json!("111222333"))),
        "field `client_ref` holds a BSN; no BSN may enter caseflow, send a pseudonymous reference instead"
    );
    // Nine digits that fail the 11-test are a legitimate reference.
    assert!(parse(&with(melding(), &["client_ref"], json!("123456789"))).is_ok());
    // In free text too.
    let v = json!({"event_id": "9b5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e", "event_type": "melding.beoordeeld", "schema_version": 1,
        "occurred_at": "2020-03-02T10:00:00+01:00", "gemeente": "GM0935", "domein": "wmo",
        "case_id": "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f", "client_ref": "c-7f3a9e",
        "data": {"uitkomst": "afgevangen", "reden": "bsn 123456782 verwezen naar wijkteam"}});
    assert_eq!(err(&v), "field `data.reden` holds a BSN; no BSN may enter caseflow, send a pseudonymous reference instead");
}

#[test]
fn unknown_fields_are_rejected() {
    assert_eq!(
        err(&with(melding(), &["bsn"], json!("x"))),
        "unknown field `bsn`: the contract (schemas/) rejects fields it does not define"
    );
    assert_eq!(
        err(&with(melding(), &["data", "naam"], json!("x"))),
        "unknown field `data.naam`: the contract (schemas/) rejects fields it does not define"
    );
}

#[test]
fn data_enums_are_closed() {
    let e = err(&with(melding(), &["data", "kanaal"], json!("fax")));
    assert!(
        e.starts_with("field `data.kanaal`: `fax` is not accepted; accepted: telefoon, email"),
        "{e}"
    );
    let e = err(&with(beschikking(), &["data", "besluit"], json!("deels")));
    assert_eq!(
        e,
        "field `data.besluit`: `deels` is not accepted; accepted: toegekend, afgewezen"
    );
}

#[test]
fn data_fields_are_required() {
    assert_eq!(
        err(&without(melding(), &["data", "verwijzer"])),
        "missing required field `data.verwijzer`"
    );
    assert_eq!(
        err(&without(melding(), &["data"])),
        "missing required field `data`"
    );
    // einddatum is required, null meaning indefinite.
    assert_eq!(
        err(&without(beschikking(), &["data", "einddatum"])),
        "missing required field `data.einddatum`"
    );
}

#[test]
fn optional_fields_may_be_absent_or_null() {
    assert!(parse(&without(melding(), &["data", "wijk"])).is_ok());
    assert!(parse(&with(melding(), &["data", "wijk"], Value::Null)).is_ok());
    assert!(parse(&without(melding(), &["source"])).is_ok());
}

#[test]
fn dates_must_be_iso_dates() {
    let e = err(&with(
        beschikking(),
        &["data", "ingangsdatum"],
        json!("6-4-2020"),
    ));
    assert_eq!(
        e,
        "field `data.ingangsdatum`: `6-4-2020` is not a date; expected YYYY-MM-DD"
    );
    assert!(err(&with(
        beschikking(),
        &["data", "ingangsdatum"],
        json!("2020-02-30")
    ))
    .contains("is not a date"));
}

#[test]
fn einddatum_not_before_ingangsdatum() {
    let e = err(&with(
        beschikking(),
        &["data", "einddatum"],
        json!("2020-04-01"),
    ));
    assert_eq!(
        e,
        "field `data.einddatum`: 2020-04-01 lies before ingangsdatum 2020-04-06"
    );
}

#[test]
fn fte_between_0_and_1_2() {
    assert_eq!(
        err(&with(formatie(), &["data", "fte"], json!(1.5))),
        "field `data.fte`: 1.5 is out of range; accepted: 0 to 1.2 (0 = left the team)"
    );
    assert!(err(&with(formatie(), &["data", "fte"], json!(-0.1))).contains("out of range"));
    assert_eq!(
        err(&with(formatie(), &["data", "fte"], json!("1"))),
        "field `data.fte`: must be a number"
    );
    assert!(parse(&with(formatie(), &["data", "fte"], json!(0))).is_ok());
    assert!(parse(&with(formatie(), &["data", "fte"], json!(1.2))).is_ok());
}

#[test]
fn uuid_fields_in_data() {
    let e = err(&with(
        beschikking(),
        &["data", "aanvraag_id"],
        json!("A-17"),
    ));
    assert_eq!(
        e,
        "field `data.aanvraag_id`: `A-17` is not a UUID (expected the form 8-4-4-4-12 hex digits)"
    );
}

#[test]
fn string_lengths_in_data() {
    assert!(
        err(&with(beschikking(), &["data", "voorziening"], json!("")))
            .contains("field `data.voorziening`: length 0")
    );
}

#[test]
fn error_kinds_for_metrics() {
    assert_eq!(
        parse(&with(melding(), &["x"], json!(1)))
            .unwrap_err()
            .kind(),
        "unknown_field"
    );
    assert_eq!(
        parse(&with(melding(), &["client_ref"], json!("111222333")))
            .unwrap_err()
            .kind(),
        "bsn"
    );
    assert_eq!(
        parse(&without(melding(), &["data"])).unwrap_err().kind(),
        "missing_field"
    );
}

// ------------------------------------------------------------------ hostile input
//
// Item 2, 3 and 11 of issue 20: characters PostgreSQL text cannot hold, BSNs in
// disguise, and implausible times, dates and identifiers.

fn envelope(event_type: &str, data: Value) -> Value {
    json!({
        "event_id": "6a5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e",
        "event_type": event_type,
        "schema_version": 1,
        "occurred_at": "2020-03-02T10:00:00+01:00",
        "gemeente": "GM0935",
        "domein": "wmo",
        "case_id": "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
        "client_ref": "c-7f3a9e",
        "source": "cit-telefonie",
        "data": data
    })
}

fn beoordeeld() -> Value {
    envelope(
        "melding.beoordeeld",
        json!({"uitkomst": "afgevangen", "reden": "verwezen naar wijkteam"}),
    )
}

fn toegewezen() -> Value {
    envelope(
        "case.toegewezen",
        json!({"team": "IGT Oost", "consulent_ref": "mw-017", "dossiertype": "nieuw"}),
    )
}

fn aanvraag() -> Value {
    envelope(
        "aanvraag.ingediend",
        json!({"aanvraag_id": "3d5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e", "voorziening": "hulp_bij_huishouden", "soort": "nieuw"}),
    )
}

fn zorg_gestart() -> Value {
    envelope(
        "zorg.gestart",
        json!({"beschikking_id": "2c5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e", "aanbieder": "Thuiszorg Maasland BV", "startdatum": "2020-04-10"}),
    )
}

fn po_gepland() -> Value {
    envelope(
        "po.gepland",
        json!({"beschikking_id": "2c5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e", "gepland_op": "2023-04-01"}),
    )
}

fn zorg_beeindigd() -> Value {
    envelope(
        "zorg.beeindigd",
        json!({"beschikking_id": "2c5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e", "einddatum": "2021-04-01", "reden": "verhuisd"}),
    )
}

fn ingetrokken() -> Value {
    envelope(
        "event.ingetrokken",
        json!({"ingetrokken_event_id": "0b5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e", "reden": "dubbel geregistreerd"}),
    )
}

/// Every free-text string field of the contract, on an event that carries it.
fn free_text_fields() -> Vec<(Value, Vec<&'static str>)> {
    vec![
        (melding(), vec!["client_ref"]),
        (melding(), vec!["source"]),
        (melding(), vec!["data", "wijk"]),
        (beoordeeld(), vec!["data", "reden"]),
        (toegewezen(), vec!["data", "team"]),
        (toegewezen(), vec!["data", "consulent_ref"]),
        (aanvraag(), vec!["data", "voorziening"]),
        (beschikking(), vec!["data", "voorziening"]),
        (beschikking(), vec!["data", "aanbieder"]),
        (zorg_gestart(), vec!["data", "aanbieder"]),
        (formatie(), vec!["data", "team"]),
        (formatie(), vec!["data", "consulent_ref"]),
        (ingetrokken(), vec!["data", "reden"]),
    ]
}

#[test]
fn the_hostile_fixtures_are_valid() {
    for v in [
        beoordeeld(),
        toegewezen(),
        aanvraag(),
        zorg_gestart(),
        po_gepland(),
        zorg_beeindigd(),
        ingetrokken(),
    ] {
        parse(&v).unwrap_or_else(|e| panic!("{e}: {v}"));
    }
}

/// Issue 20 item 2: `data.team = "\u0000"` passed, and PostgreSQL then refused it.
#[test]
fn control_characters_are_rejected_in_every_string_field() {
    let values = [
        "\u{0}",
        "IGT\u{0}Oost",
        "bel\u{7}",
        "x\u{1b}[31m",
        "del\u{7f}",
        "c1\u{85}",
        "c1\u{9f}",
        "twee\nregels",
        "tab\there",
        "cr\r",
    ];
    let mut n = 0;
    for (event, path) in free_text_fields() {
        let field = path.join(".");
        for v in values {
            let e = parse(&with(event.clone(), &path, json!(v)))
                .expect_err(&format!("{field} = {v:?} must be rejected"));
            let text = e.to_string();
            assert_eq!(e.kind(), "invalid_value", "{field} = {v:?}: {text}");
            assert!(
                text.starts_with(&format!("field `{field}`: "))
                    && text.contains("control character"),
                "{field} = {v:?}: {text}"
            );
            assert!(!text.chars().any(char::is_control), "{text:?}");
            n += 1;
        }
    }
    assert_eq!(n, 13 * values.len());
}

/// Characters that are not control characters stay accepted.
#[test]
fn printable_unicode_stays_accepted() {
    for v in [
        "Jeugd Zuid-Oost",
        "IGT Noord (2)",
        "Zorg & Welzijn",
        "Ĳsselstein",
        "İstanbul",
        "日本",
        "emoji 👍",
        "zero\u{200b}width",
    ] {
        for (event, path) in free_text_fields() {
            parse(&with(event.clone(), &path, json!(v)))
                .unwrap_or_else(|e| panic!("{} = {v:?}: {e}", path.join(".")));
        }
    }
}

/// Every rejection reason is stored and served: it never holds a control
/// character, whatever the input echoes.
#[test]
fn rejection_reasons_never_hold_control_characters() {
    let nul = "\u{0}\u{1}\n\u{7f}\u{9b}";
    let cases = vec![
        with(melding(), &["gemeente"], json!(nul)),
        with(melding(), &["event_id"], json!(nul)),
        with(melding(), &["case_id"], json!(nul)),
        with(melding(), &["event_type"], json!(nul)),
        with(melding(), &["occurred_at"], json!(nul)),
        with(melding(), &["domein"], json!(nul)),
        with(melding(), &["schema_version"], json!(nul)),
        with(melding(), &["data", "kanaal"], json!(nul)),
        with(melding(), &[nul], json!(1)),
        with(melding(), &["data", nul], json!(1)),
        with(beschikking(), &["data", "ingangsdatum"], json!(nul)),
        with(beschikking(), &["data", "aanvraag_id"], json!(nul)),
        with(melding(), &["client_ref"], json!(nul)),
    ];
    for v in &cases {
        let text = err(v);
        assert!(!text.chars().any(char::is_control), "{text:?}");
    }
    assert_eq!(cases.len(), 13);
}

/// An echoed value is cut short: a 1 MB value does not make a 1 MB reason.
#[test]
fn rejection_reasons_are_short() {
    let long = "x".repeat(100_000);
    for v in [
        with(melding(), &["gemeente"], json!(long)),
        with(melding(), &["event_type"], json!(long)),
        with(melding(), &["data", "kanaal"], json!(long)),
        with(melding(), &["schema_version"], json!([long])),
        with(melding(), &[&long], json!(1)),
    ] {
        let text = err(&v);
        assert!(
            text.chars().count() < 400,
            "{} chars: {}",
            text.len(),
            &text[..200]
        );
        assert!(text.contains('…'), "{text}");
    }
}

// ---- BSNs in disguise (item 3)

/// Two valid BSNs (11-test), each written in many ways.
const BSNS: [&str; 2] = ["123456782", "111222333"];

/// The digit value of the digits the variants below use, in every script they use.
fn test_digit(c: char) -> Option<u32> {
    const ZEROS: [u32; 7] = [0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x1D7CE, 0x1D7EC];
    const SUPERSCRIPT: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let u = c as u32;
    ZEROS
        .iter()
        .find(|z| (**z..**z + 10).contains(&u))
        .map(|z| u - z)
        .or_else(|| SUPERSCRIPT.iter().position(|s| *s == c).map(|p| p as u32))
}

/// The ways of writing a 9-digit number that a reader still reads as that number.
fn variants(bsn: &str) -> Vec<String> {
    let d: Vec<char> = bsn.chars().collect();
    let group = |sizes: &[usize], sep: &str| {
        let mut out = String::new();
        let mut i = 0;
        for (k, n) in sizes.iter().enumerate() {
            if k > 0 {
                out.push_str(sep);
            }
            out.extend(&d[i..i + n]);
            i += n;
        }
        out
    };
    let script = |zero: u32| -> String {
        d.iter()
            .map(|c| char::from_u32(zero + c.to_digit(10).unwrap()).unwrap())
            .collect()
    };
    let every =
        |sep: &str| -> String { d.iter().map(char::to_string).collect::<Vec<_>>().join(sep) };
    vec![
        bsn.to_string(),
        group(&[4, 2, 3], "."),
        group(&[4, 2, 3], " "),
        group(&[3, 3, 3], " "),
        group(&[3, 3, 3], "-"),
        group(&[4, 2, 3], "/"),
        group(&[4, 2, 3], "\u{a0}"),
        group(&[4, 2, 3], "\u{202f}"),
        group(&[4, 2, 3], " - "),
        group(&[4, 2, 3], "\u{2013}"),
        group(&[4, 5], "\u{200b}"),
        group(&[4, 5], "\u{200c}"),
        group(&[4, 5], "\u{200d}"),
        group(&[4, 5], "\u{2060}"),
        group(&[4, 5], "\u{feff}"),
        group(&[4, 2, 3], "\u{ad}"),
        every("\u{200b}"),
        every(" "),
        script(0xFF10),  // full-width
        script(0x660),   // Arabic-Indic
        script(0x6F0),   // extended Arabic-Indic (Persian)
        script(0x966),   // Devanagari
        script(0x1D7CE), // mathematical bold
        d.iter()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    char::from_u32(0xFF10 + c.to_digit(10).unwrap()).unwrap()
                } else {
                    *c
                }
            })
            .collect(),
        d.iter()
            .map(|c| {
                ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][c.to_digit(10).unwrap() as usize]
            })
            .collect(),
        d.iter().map(|c| format!("{c}\u{332}")).collect(),
        format!("BSN: {}", group(&[4, 2, 3], ".")),
        format!("bsn{bsn}"),
        format!("BSN{}", script(0xFF10)),
        format!("{bsn} 2 keer gebeld"),
        format!("gebeld op 2024-03-12 {bsn}"),
        format!("(bsn {})", group(&[3, 3, 3], " ")),
        format!("x-{bsn}-y"),
    ]
}

/// The digits a reader sees in `text`, with JSON `\uXXXX` escapes decoded and
/// separators and invisible characters dropped; any other character is `|`.
fn spelled_digits(text: &str) -> String {
    let mut chars: Vec<char> = Vec::new();
    let t: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < t.len() {
        if t[i] == '\\' && t.get(i + 1) == Some(&'u') && i + 6 <= t.len() {
            let hex: String = t[i + 2..i + 6].iter().collect();
            if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                chars.push(c);
                i += 6;
                continue;
            }
        }
        chars.push(t[i]);
        i += 1;
    }
    chars
        .into_iter()
        .filter_map(|c| match test_digit(c) {
            Some(v) => char::from_digit(v, 10),
            None if " .-/\u{a0}\u{202f}\u{2013}\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}\u{ad}\u{332}"
                .contains(c) =>
            {
                None
            }
            None => Some('|'),
        })
        .collect()
}

fn reads_as_a_bsn(text: &str) -> bool {
    let s = spelled_digits(text);
    BSNS.iter().any(|b| s.contains(b))
}

#[test]
fn the_bsn_test_helpers_see_every_variant() {
    let mut n = 0;
    for b in BSNS {
        for v in variants(b) {
            assert!(reads_as_a_bsn(&v), "{v:?}");
            n += 1;
        }
    }
    assert!(!reads_as_a_bsn("123456789 c-7f3a9e 2024-03-12"));
    assert_eq!(n, 2 * 33);
}

/// Issue 20 item 3: `1234.56.782`, full-width digits, a zero-width space inside …
/// were accepted and stored.
#[test]
fn bsn_variants_are_rejected_in_every_free_text_field() {
    let mut n = 0;
    for b in BSNS {
        for v in variants(b) {
            for (event, path) in free_text_fields() {
                let field = path.join(".");
                // data.wijk holds at most 32 characters
                if field == "data.wijk" && v.chars().count() > 32 {
                    continue;
                }
                let value = v.clone();
                let e = parse(&with(event.clone(), &path, json!(value)))
                    .expect_err(&format!("{field} = {value:?} must be rejected"));
                assert_eq!(e.kind(), "bsn", "{field} = {value:?}: {e}");
                assert!(e.to_string().contains(&format!("`{field}`")), "{e}");
                assert!(!reads_as_a_bsn(&e.to_string()), "{e}");
                n += 1;
            }
        }
    }
    assert!(n >= 2 * 30 * 13, "{n}");
}

/// Where a value is rejected for another reason, the reason echoes it: never with
/// the BSN in it, in any of its spellings.
#[test]
fn rejection_reasons_never_repeat_a_bsn() {
    let mut n = 0;
    for b in BSNS {
        for v in variants(b) {
            for event in [
                with(melding(), &["gemeente"], json!(v)),
                with(melding(), &["event_id"], json!(v)),
                with(melding(), &["case_id"], json!(v)),
                with(melding(), &["event_type"], json!(v)),
                with(melding(), &["occurred_at"], json!(v)),
                with(melding(), &["domein"], json!(v)),
                with(melding(), &["schema_version"], json!(v)),
                with(melding(), &["data", "kanaal"], json!(v)),
                with(melding(), &[&v], json!(1)),
                with(melding(), &["data", &format!("opmerking {v}")], json!(1)),
                with(beschikking(), &["data", "ingangsdatum"], json!(v)),
                with(beschikking(), &["data", "aanvraag_id"], json!(v)),
                with(melding(), &["client_ref"], json!(format!("{v}\u{0}"))),
                with(
                    melding(),
                    &["client_ref"],
                    json!(format!("{v}{}", "x".repeat(64))),
                ),
            ] {
                let text = err(&event);
                assert!(!reads_as_a_bsn(&text), "{v:?}: {text}");
                n += 1;
            }
        }
    }
    assert_eq!(n, 2 * 33 * 14);
}

/// The raw bytes of a rejected line keep no BSN: not in its Unicode spellings,
/// not written as JSON escapes, not in a line that is not valid UTF-8.
#[test]
fn masked_raw_bytes_hold_no_bsn() {
    use caseflow_core::event::mask_bsn;
    let mut n = 0;
    for b in BSNS {
        let mut raws: Vec<Vec<u8>> = Vec::new();
        for v in variants(b) {
            for (event, path) in free_text_fields() {
                raws.push(serde_json::to_vec(&with(event, &path, json!(v))).unwrap());
            }
            raws.push(serde_json::to_vec(&with(melding(), &[&v], json!(1))).unwrap());
            // not JSON at all
            raws.push(format!("client;{v};GM0935").into_bytes());
        }
        // JSON escapes spelling the digits, alone and mixed with plain digits
        let escaped: String = b.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
        let mixed: String = b
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    format!("\\u{:04X}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect();
        let fullwidth: String = b
            .chars()
            .map(|c| format!("\\u{:04x}", 0xFF10 + c.to_digit(10).unwrap()))
            .collect();
        for s in [&escaped, &mixed, &fullwidth] {
            let line = format!(r#"{{"client_ref":"{s}","data":{{"reden":"bsn {s}"}}}}"#);
            let parsed: Value = serde_json::from_str(&line).unwrap();
            assert!(
                reads_as_a_bsn(parsed["client_ref"].as_str().unwrap()),
                "{line}"
            );
            raws.push(line.into_bytes());
        }
        // invalid UTF-8 around and inside
        raws.push(
            [
                b"\xff\xfe{\"client_ref\":\"".as_slice(),
                b.as_bytes(),
                b"\"\xc3",
            ]
            .concat(),
        );
        raws.push([b.as_bytes(), b"\x80", b.as_bytes()].concat());
        for raw in raws {
            assert!(reads_as_a_bsn(&String::from_utf8_lossy(&raw)), "{raw:?}");
            let masked = mask_bsn(&raw);
            let text = String::from_utf8_lossy(&masked);
            assert!(!reads_as_a_bsn(&text), "{text}");
            n += 1;
        }
    }
    assert!(n >= 2 * 33 * 15, "{n}");
}

/// Masking changes the digits of a BSN and nothing else.
#[test]
fn masking_keeps_everything_but_the_digits() {
    use caseflow_core::event::mask_bsn;
    assert_eq!(
        mask_bsn("{\"r\":\"bsn 1234.56.782, tel 0612345678\"}".as_bytes()),
        b"{\"r\":\"bsn ****.**.***, tel 0612345678\"}".to_vec()
    );
    assert_eq!(
        mask_bsn(br#"{"c":"\u0031\u0032345678\u0032"}"#),
        br#"{"c":"*********"}"#.to_vec()
    );
    assert_eq!(
        mask_bsn("x １２３４５６７８２ y".as_bytes()),
        b"x ********* y".to_vec()
    );
    assert_eq!(
        mask_bsn(b"\xff123456782\xfe"),
        b"\xff*********\xfe".to_vec()
    );
}

/// Legitimate values that hold digits stay accepted: no false BSN.
#[test]
fn legitimate_numbers_are_not_taken_for_a_bsn() {
    let values = [
        "0b5a6f3e-8a1c-4c1e-9d7e-1f2a3b4c5d6e",
        // a UUID whose digits, joined, spell a valid BSN
        "c1234567-82ab-4c1e-9d7e-1f2a3b4c5d6e",
        "a1112223-33ff-4c1e-9d7e-1f2a3b4c5d6e",
        // hex and alphanumeric tokens
        "deadbeef123456782cafe",
        "c-123456782abc",
        "7f3a9e111222333",
        // dates and times
        "2024-03-12",
        "12-03-2024",
        "12.03.2024 10:30",
        "2024-03-12T10:30:00+01:00",
        "14-03-2024 9:30",
        "1-3-2024 10:30",
        "20240312 1030",
        // teams, codes
        "Team 3",
        "IGT Noord 2",
        "WK093501",
        "mw-0935-017",
        "c-7f3a9e",
        // phone numbers
        "0612345678",
        "06-12345678",
        "06 12345678",
        "06 1234 5678",
        "020 123 4567",
        "020-1234567",
        "+31 6 12345678",
        "+31 20 123 4567",
        "+31612345678",
        // other numbers
        "12345678",
        "1234 5678",
        "1234567820",
        "1234.56.7820",
        "123456789",
        "1234.56.789",
        "1234 AB",
        "NL91 ABNA 0417 1643 00",
        "€ 1.234.567,89",
    ];
    let mut n = 0;
    for v in values {
        for (event, path) in free_text_fields() {
            if path.last() == Some(&"wijk") && v.chars().count() > 32 {
                continue;
            }
            parse(&with(event, &path, json!(v)))
                .unwrap_or_else(|e| panic!("{} = {v:?}: {e}", path.join(".")));
            n += 1;
        }
        assert_eq!(
            caseflow_core::event::mask_bsn(v.as_bytes()),
            v.as_bytes().to_vec(),
            "{v}"
        );
    }
    assert!(n >= values.len() * 12);
}

// ---- plausible times, dates and identifiers (item 11)

#[test]
fn occurred_at_lies_in_a_plausible_range() {
    for bad in [
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59-23:59",
        "1989-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "2020-03-02T10:00:00+14:01",
        "2020-03-02T10:00:00-12:01",
        "2020-03-02T10:00:00+23:59",
        "2016-12-31T23:59:60Z",
        "2020-03-02T10:00:60+01:00",
    ] {
        let e = err(&with(melding(), &["occurred_at"], json!(bad)));
        assert!(e.starts_with("field `occurred_at`: "), "{bad}: {e}");
        assert!(e.contains(bad), "{bad}: {e}");
    }
    for ok in [
        "1990-01-01T00:00:00Z",
        "1990-01-01T00:00:00+14:00",
        "2099-12-31T23:59:59-12:00",
        "2099-12-31T23:59:59.999999999+14:00",
        "2020-03-02T10:00:00-00:00",
        "2020-03-02T10:00:00+05:45",
    ] {
        parse(&with(melding(), &["occurred_at"], json!(ok)))
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

#[test]
fn dates_lie_in_a_plausible_range() {
    let dated: Vec<(Value, Vec<&str>)> = vec![
        (beschikking(), vec!["data", "ingangsdatum"]),
        (beschikking(), vec!["data", "einddatum"]),
        (po_gepland(), vec!["data", "gepland_op"]),
        (zorg_gestart(), vec!["data", "startdatum"]),
        (zorg_beeindigd(), vec!["data", "einddatum"]),
        (formatie(), vec!["data", "geldig_vanaf"]),
    ];
    let mut n = 0;
    for (event, path) in &dated {
        let field = path.join(".");
        for bad in ["0000-01-01", "1949-12-31", "2200-01-01", "9999-12-31"] {
            let mut v = with(event.clone(), path, json!(bad));
            if field == "data.ingangsdatum" {
                v = with(v, &["data", "einddatum"], Value::Null);
            }
            let e = err(&v);
            assert!(e.starts_with(&format!("field `{field}`: `{bad}`")), "{e}");
            assert!(e.contains("1950-01-01") && e.contains("2199-12-31"), "{e}");
            n += 1;
        }
        for ok in ["1950-01-01", "2199-12-31"] {
            let mut v = with(event.clone(), path, json!(ok));
            if field == "data.ingangsdatum" {
                v = with(v, &["data", "einddatum"], Value::Null);
            }
            if field == "data.einddatum"
                && path.len() == 2
                && event["event_type"] == "beschikking.afgegeven"
            {
                v = with(v, &["data", "ingangsdatum"], json!("1950-01-01"));
            }
            parse(&v).unwrap_or_else(|e| panic!("{field} = {ok}: {e}"));
        }
    }
    assert_eq!(n, 6 * 4);
}

#[test]
fn the_nil_uuid_is_rejected_in_every_uuid_field() {
    let nil = "00000000-0000-0000-0000-000000000000";
    let fields: Vec<(Value, Vec<&str>)> = vec![
        (melding(), vec!["event_id"]),
        (melding(), vec!["case_id"]),
        (aanvraag(), vec!["data", "aanvraag_id"]),
        (beschikking(), vec!["data", "aanvraag_id"]),
        (beschikking(), vec!["data", "beschikking_id"]),
        (po_gepland(), vec!["data", "beschikking_id"]),
        (zorg_gestart(), vec!["data", "beschikking_id"]),
        (zorg_beeindigd(), vec!["data", "beschikking_id"]),
        (ingetrokken(), vec!["data", "ingetrokken_event_id"]),
    ];
    for (event, path) in &fields {
        let field = path.join(".");
        let e = err(&with(event.clone(), path, json!(nil)));
        assert_eq!(
            e,
            format!("field `{field}`: the nil UUID is not an identifier")
        );
    }
    assert_eq!(fields.len(), 9);
}

/// `-0` is zero: accepted, stored as `0.0`, so it is a duplicate of the same
/// event with `0` and not a conflict.
#[test]
fn negative_zero_fte_is_zero() {
    for z in ["-0", "-0.0", "-0e0"] {
        let text = serde_json::to_string(&formatie())
            .unwrap()
            .replace("\"fte\":0.8", &format!("\"fte\":{z}"));
        assert!(text.contains(&format!("\"fte\":{z}")), "{text}");
        let e = Event::from_json_bytes(text.as_bytes()).unwrap();
        let zero = parse(&with(formatie(), &["data", "fte"], json!(0))).unwrap();
        assert_eq!(e.canonical_json(), zero.canonical_json(), "{z}");
        let stored: Value = serde_json::from_str(&e.canonical_json()).unwrap();
        let fte = stored["data"]["fte"].as_f64().unwrap();
        assert!(
            fte == 0.0 && fte.is_sign_positive(),
            "{}",
            e.canonical_json()
        );
    }
}

/// A whole simulated stream (UUIDs, client refs, timestamps, dates, team and
/// consultant names) holds no false BSN: masking changes no byte of it.
#[test]
fn a_simulated_stream_holds_no_false_bsn() {
    use caseflow_core::event::mask_bsn;
    use caseflow_sim::{SimConfig, SimLine, Simulator};
    let cfg = SimConfig {
        seed: 5,
        gemeenten: 2,
        scale: 0.05,
        ..SimConfig::default()
    };
    let mut n = 0;
    for line in Simulator::new(cfg) {
        if let SimLine::Event(_) = line {
            let text = line.to_ndjson();
            assert_eq!(String::from_utf8(mask_bsn(text.as_bytes())).unwrap(), text);
            n += 1;
        }
    }
    assert!(n > 1000, "{n}");
}

#[test]
fn bsn_helpers_for_logs_and_reasons() {
    use caseflow_core::event::{contains_bsn, echo, mask_bsn_text, ECHO_CHARS};
    assert!(contains_bsn("bsn 1234.56.782"));
    assert!(contains_bsn("１２３４５６７８２"));
    assert!(!contains_bsn("c1234567-82ab-4c1e-9d7e-1f2a3b4c5d6e"));
    assert!(!contains_bsn("123456789"));
    assert_eq!(
        mask_bsn_text("rejected line 3: client 1234 56 782, phone 06 12345678"),
        "rejected line 3: client **** ** ***, phone 06 12345678"
    );
    assert_eq!(mask_bsn_text("١٢٣٤٥٦٧٨٢"), "*********");
    // echo: masked, control characters escaped, cut short
    assert_eq!(echo("GM\u{0}123456782"), "GM\\u0000*********");
    let long = format!("{}1234567820", "x".repeat(ECHO_CHARS - 9));
    let cut = echo(&long);
    assert_eq!(cut.chars().count(), ECHO_CHARS + 1);
    assert!(cut.ends_with("*********…"), "{cut}");
}
