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
