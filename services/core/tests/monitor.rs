//! The council monitor (spec §3.5) on hand-made event streams whose every figure is
//! worked out by hand in the comments, run through the in-memory log and
//! `report_from_log`. Threshold 2 shows small values; the default 5 tests disclosure
//! control end to end.

use caseflow_core::config::Config;
use caseflow_core::disclosure::{Cell, Shown, Suppression};
use caseflow_core::event::Event;
use caseflow_core::model::MemoryLog;
use caseflow_core::monitor::{report_from_log, MonitorParams, MonitorReport};
use caseflow_core::params::ParamError;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

const GM: &str = "GM0935";

/// A UUID for a hand-numbered id (aanvraag, beschikking, event).
fn id(n: u128) -> String {
    Uuid::from_u128(n).to_string()
}

/// Builds a stream of validated events, numbering event ids from 1.
struct Stream {
    events: Vec<Event>,
    next: u128,
}

impl Stream {
    fn new() -> Self {
        Stream {
            events: Vec::new(),
            next: 0,
        }
    }

    /// A case event of `domein` in GM0935; returns its event id.
    fn push(
        &mut self,
        domein: &str,
        at: &str,
        case: u128,
        client: &str,
        event_type: &str,
        data: Value,
    ) -> u128 {
        self.next += 1;
        let n = 0xE000_0000 + self.next;
        let e = Event::from_value(json!({
            "event_id": id(n),
            "event_type": event_type,
            "schema_version": 1,
            "occurred_at": at,
            "gemeente": GM,
            "domein": domein,
            "case_id": id(0xCA5E_0000 + case),
            "client_ref": client,
            "data": data,
        }))
        .unwrap_or_else(|err| panic!("{event_type} at {at}: {err}"));
        self.events.push(e);
        n
    }

    fn wmo(&mut self, at: &str, case: u128, client: &str, event_type: &str, data: Value) -> u128 {
        self.push("wmo", at, case, client, event_type, data)
    }

    fn jeugd(&mut self, at: &str, case: u128, client: &str, event_type: &str, data: Value) -> u128 {
        self.push("jeugd", at, case, client, event_type, data)
    }

    /// A Wmo `formatie.vastgesteld` (staffing: no case, no client).
    fn formatie(&mut self, at: &str, team: &str, consulent: &str, fte: f64, geldig_vanaf: &str) {
        self.next += 1;
        let e = Event::from_value(json!({
            "event_id": id(0xE000_0000 + self.next),
            "event_type": "formatie.vastgesteld",
            "schema_version": 1,
            "occurred_at": at,
            "gemeente": GM,
            "domein": "wmo",
            "data": {"team": team, "consulent_ref": consulent, "fte": fte, "geldig_vanaf": geldig_vanaf},
        }))
        .unwrap();
        self.events.push(e);
    }

    fn log(&self) -> MemoryLog {
        MemoryLog::from_events(self.events.iter().cloned())
    }
}

fn melding(verwijzer: &str) -> Value {
    json!({"kanaal": "telefoon", "verwijzer": verwijzer})
}
fn beoordeeld(uitkomst: &str) -> Value {
    json!({"uitkomst": uitkomst})
}
fn toegewezen(team: &str, consulent: Option<&str>, dossiertype: &str) -> Value {
    match consulent {
        Some(c) => json!({"team": team, "consulent_ref": c, "dossiertype": dossiertype}),
        None => json!({"team": team, "dossiertype": dossiertype}),
    }
}
fn aanvraag(a: u128, soort: &str) -> Value {
    json!({"aanvraag_id": id(a), "voorziening": "hbh", "soort": soort})
}
fn beschikking(b: u128, voorziening: &str, besluit: &str, einddatum: Option<&str>) -> Value {
    json!({
        "beschikking_id": id(b), "aanvraag_id": id(b + 0xA000), "voorziening": voorziening,
        "besluit": besluit, "ingangsdatum": "2020-01-01", "einddatum": einddatum, "leveringsvorm": "zin",
    })
}
fn beschikking_op(b: u128, a: u128) -> Value {
    json!({
        "beschikking_id": id(b), "aanvraag_id": id(a), "voorziening": "hbh",
        "besluit": "toegekend", "ingangsdatum": "2020-01-01", "einddatum": null, "leveringsvorm": "zin",
    })
}
fn gestart(b: u128, startdatum: &str) -> Value {
    json!({"beschikking_id": id(b), "aanbieder": "zorg-bv", "startdatum": startdatum})
}
fn beeindigd(b: u128, einddatum: &str, reden: &str) -> Value {
    json!({"beschikking_id": id(b), "einddatum": einddatum, "reden": reden})
}
fn po_gepland(b: u128, gepland_op: &str) -> Value {
    json!({"beschikking_id": id(b), "gepland_op": gepland_op})
}
fn po_uitgevoerd(b: u128, uitkomst: &str) -> Value {
    json!({"beschikking_id": id(b), "uitkomst": uitkomst})
}
fn ingetrokken(event: u128) -> Value {
    json!({"ingetrokken_event_id": id(event), "reden": "onjuist geregistreerd"})
}

/// Wmo, GM0935, one period, threshold 2.
fn params(quarter: &str) -> MonitorParams {
    MonitorParams {
        gemeente: Some(GM.into()),
        domein: Some("wmo".into()),
        quarter: Some(quarter.into()),
        trend: Some("1".into()),
        threshold: Some("2".into()),
        ..MonitorParams::default()
    }
}

fn run(log: &MemoryLog, p: &MonitorParams) -> Result<MonitorReport, ParamError> {
    let req = p.parse()?;
    let at: DateTime<Utc> = "2027-01-01T00:00:00Z".parse().unwrap();
    report_from_log(log, &req, &Config::default(), at)
}

fn report(log: &MemoryLog, p: &MonitorParams) -> MonitorReport {
    run(log, p).unwrap_or_else(|e| panic!("{}: {}", e.parameter, e.message))
}

/// The one cell of GM0935 with this period, indicator and category.
fn cell<'a>(
    r: &'a MonitorReport,
    quarter: &str,
    indicator: &str,
    category: Option<&str>,
) -> &'a Cell {
    let found: Vec<&Cell> = r
        .cells
        .iter()
        .filter(|c| {
            c.gemeente == GM
                && c.quarter == quarter
                && c.indicator == indicator
                && c.category.as_deref() == category
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "cells {quarter} {indicator} {category:?}: {found:?}"
    );
    found[0]
}

fn has_cell(r: &MonitorReport, quarter: &str, indicator: &str, category: Option<&str>) -> bool {
    r.cells.iter().any(|c| {
        c.quarter == quarter && c.indicator == indicator && c.category.as_deref() == category
    })
}

/// The categories (besides the total) a group lists in a period, sorted.
fn categories(r: &MonitorReport, quarter: &str, indicator: &str) -> Vec<String> {
    let mut v: Vec<String> = r
        .cells
        .iter()
        .filter(|c| c.quarter == quarter && c.indicator == indicator)
        .filter_map(|c| c.category.clone())
        .filter(|c| c != "totaal")
        .collect();
    v.sort();
    v
}

#[track_caller]
fn close(actual: Option<f64>, expected: f64, what: &str) {
    let a = actual.unwrap_or_else(|| panic!("{what}: no value, expected {expected}"));
    assert!((a - expected).abs() < 1e-6, "{what}: {a} != {expected}");
}

#[track_caller]
fn value(r: &MonitorReport, quarter: &str, indicator: &str, category: Option<&str>, expected: f64) {
    close(
        cell(r, quarter, indicator, category).value,
        expected,
        &format!("{quarter} {indicator} {category:?}"),
    );
}

/// Shown as the number, not suppressed.
#[track_caller]
fn shown_plain(c: &Cell) {
    assert_eq!(c.suppressed, None, "{c:?}");
    match (c.shown, c.value) {
        (Shown::Number(s), Some(v)) => assert!((s - v).abs() < 1e-9, "{c:?}"),
        _ => panic!("not shown as its value: {c:?}"),
    }
}

/// 1. Counts and groups for Q3 2026, with events just inside and outside the
/// quarter in Amsterdam time (CEST, +02:00): Q3 runs from 2026-06-30T22:00Z up to
/// 2026-09-30T22:00Z.
#[test]
fn counts_and_groups_by_amsterdam_quarter() {
    let mut s = Stream::new();
    // Case 1: everything in Q3. The melding at 23:30Z on 30 June is 01:30 on 1 July.
    s.wmo(
        "2026-06-30T23:30:00+00:00",
        1,
        "a",
        "melding.ontvangen",
        melding("huisarts"),
    );
    s.wmo(
        "2026-07-02T10:00:00Z",
        1,
        "a",
        "melding.beoordeeld",
        beoordeeld("doorgezet"),
    );
    s.wmo(
        "2026-07-03T10:00:00Z",
        1,
        "a",
        "case.toegewezen",
        toegewezen("noord", Some("mw-1"), "nieuw"),
    );
    // A second assignment of the same case: not a new `toegewezen`.
    s.wmo(
        "2026-08-01T10:00:00Z",
        1,
        "a",
        "case.toegewezen",
        toegewezen("zuid", Some("mw-2"), "nieuw"),
    );
    s.wmo(
        "2026-07-05T10:00:00Z",
        1,
        "a",
        "aanvraag.ingediend",
        aanvraag(0x11, "nieuw"),
    );
    s.wmo(
        "2026-07-10T10:00:00Z",
        1,
        "a",
        "beschikking.afgegeven",
        beschikking(0xB1, "hbh", "toegekend", None),
    );
    s.wmo(
        "2026-07-20T10:00:00Z",
        1,
        "a",
        "zorg.gestart",
        gestart(0xB1, "2026-07-20"),
    );
    // 23:59:59 Amsterdam on 30 September: still Q3.
    s.wmo(
        "2026-09-30T21:59:59Z",
        1,
        "a",
        "zorg.beeindigd",
        beeindigd(0xB1, "2026-09-30", "verhuisd"),
    );
    // Case 2: melding at 23:59 on 30 June (Q2); beoordeeld at exactly 00:00 on 1 July (Q3).
    s.wmo(
        "2026-06-30T21:59:00Z",
        2,
        "b",
        "melding.ontvangen",
        melding("wijkteam"),
    );
    s.wmo(
        "2026-06-30T22:00:00Z",
        2,
        "b",
        "melding.beoordeeld",
        beoordeeld("afgevangen"),
    );
    // Case 3: first assigned in Q2, reassigned in Q3; aanvraag in Q2; afgewezen in Q3;
    // its melding at 00:00 on 1 October is Q4.
    s.wmo(
        "2026-06-15T10:00:00Z",
        3,
        "c",
        "case.toegewezen",
        toegewezen("noord", None, "nieuw"),
    );
    s.wmo(
        "2026-07-15T09:00:00Z",
        3,
        "c",
        "case.toegewezen",
        toegewezen("zuid", None, "nieuw"),
    );
    s.wmo(
        "2026-06-20T10:00:00Z",
        3,
        "c",
        "aanvraag.ingediend",
        aanvraag(0x33, "herindicatie"),
    );
    s.wmo(
        "2026-07-15T10:00:00Z",
        3,
        "c",
        "beschikking.afgegeven",
        beschikking(0xB3, "hbh", "afgewezen", None),
    );
    s.wmo(
        "2026-09-30T22:00:00Z",
        3,
        "c",
        "melding.ontvangen",
        melding("gemeente"),
    );
    // Case 4: melding in Q3; first assignment at 23:30 Amsterdam on 30 September (Q3);
    // an aanvraag (mutatie) in Q4.
    s.wmo(
        "2026-08-10T10:00:00Z",
        4,
        "d",
        "melding.ontvangen",
        melding("wijkteam"),
    );
    s.wmo(
        "2026-09-30T21:30:00Z",
        4,
        "d",
        "case.toegewezen",
        toegewezen("noord", Some("mw-1"), "nieuw"),
    );
    s.wmo(
        "2026-10-02T10:00:00Z",
        4,
        "d",
        "aanvraag.ingediend",
        aanvraag(0x44, "mutatie"),
    );
    // Case 5: all in Q2; zorg.gestart at 23:59:59 Amsterdam on 30 June.
    s.wmo(
        "2026-05-01T10:00:00Z",
        5,
        "e",
        "aanvraag.ingediend",
        aanvraag(0x55, "nieuw"),
    );
    s.wmo(
        "2026-05-10T10:00:00Z",
        5,
        "e",
        "beschikking.afgegeven",
        beschikking(0xB5, "hbh", "toegekend", None),
    );
    s.wmo(
        "2026-06-30T21:59:59Z",
        5,
        "e",
        "zorg.gestart",
        gestart(0xB5, "2026-06-30"),
    );
    // Case 6: PO work: gewijzigd in Q2, ongewijzigd in Q3; an overlijden in Q4.
    s.wmo(
        "2026-06-25T10:00:00Z",
        6,
        "e",
        "po.uitgevoerd",
        po_uitgevoerd(0xB5, "gewijzigd"),
    );
    s.wmo(
        "2026-08-25T10:00:00Z",
        6,
        "a",
        "po.uitgevoerd",
        po_uitgevoerd(0xB1, "ongewijzigd"),
    );
    s.wmo(
        "2026-10-05T10:00:00Z",
        6,
        "e",
        "zorg.beeindigd",
        beeindigd(0xB5, "2026-10-05", "overleden"),
    );

    let mut p = params("2026-Q4");
    p.trend = Some("3".into());
    let r = report(&s.log(), &p);
    assert_eq!(r.report.periods, ["2026-Q2", "2026-Q3", "2026-Q4"]);

    // Q3 counts: meldingen case 1 and 4; doorgezet case 1; afgevangen case 2;
    // toegewezen cases 1 and 4 (case 3 was first assigned in Q2); zorg_gestart case 1.
    value(&r, "2026-Q3", "meldingen", None, 2.0);
    value(&r, "2026-Q3", "doorgezet", None, 1.0);
    value(&r, "2026-Q3", "afgevangen", None, 1.0);
    value(&r, "2026-Q3", "toegewezen", None, 2.0);
    value(&r, "2026-Q3", "zorg_gestart", None, 1.0);
    // Q2: melding of case 2, first assignment of case 3, zorg.gestart of case 5.
    value(&r, "2026-Q2", "meldingen", None, 1.0);
    value(&r, "2026-Q2", "afgevangen", None, 0.0);
    value(&r, "2026-Q2", "toegewezen", None, 1.0);
    value(&r, "2026-Q2", "zorg_gestart", None, 1.0);
    // Q4: melding of case 3.
    value(&r, "2026-Q4", "meldingen", None, 1.0);
    value(&r, "2026-Q4", "toegewezen", None, 0.0);
    // A zero count is shown as 0.
    shown_plain(cell(&r, "2026-Q4", "toegewezen", None));
    shown_plain(cell(&r, "2026-Q3", "toegewezen", None));

    // Groups list every category occurring in any period, 0 where absent.
    assert_eq!(
        categories(&r, "2026-Q3", "aanvragen"),
        ["herindicatie", "mutatie", "nieuw"]
    );
    value(&r, "2026-Q3", "aanvragen", Some("totaal"), 1.0);
    value(&r, "2026-Q3", "aanvragen", Some("nieuw"), 1.0);
    value(&r, "2026-Q3", "aanvragen", Some("herindicatie"), 0.0);
    value(&r, "2026-Q3", "aanvragen", Some("mutatie"), 0.0);
    value(&r, "2026-Q2", "aanvragen", Some("totaal"), 2.0);
    value(&r, "2026-Q2", "aanvragen", Some("nieuw"), 1.0);
    value(&r, "2026-Q2", "aanvragen", Some("herindicatie"), 1.0);
    value(&r, "2026-Q4", "aanvragen", Some("mutatie"), 1.0);

    assert_eq!(
        categories(&r, "2026-Q3", "beschikkingen"),
        ["afgewezen", "toegekend"]
    );
    value(&r, "2026-Q3", "beschikkingen", Some("totaal"), 2.0);
    value(&r, "2026-Q3", "beschikkingen", Some("toegekend"), 1.0);
    value(&r, "2026-Q3", "beschikkingen", Some("afgewezen"), 1.0);
    value(&r, "2026-Q2", "beschikkingen", Some("afgewezen"), 0.0);
    value(&r, "2026-Q2", "beschikkingen", Some("toegekend"), 1.0);

    assert_eq!(
        categories(&r, "2026-Q3", "po_uitgevoerd"),
        ["gewijzigd", "ongewijzigd"]
    );
    value(&r, "2026-Q3", "po_uitgevoerd", Some("totaal"), 1.0);
    value(&r, "2026-Q3", "po_uitgevoerd", Some("ongewijzigd"), 1.0);
    value(&r, "2026-Q3", "po_uitgevoerd", Some("gewijzigd"), 0.0);
    value(&r, "2026-Q2", "po_uitgevoerd", Some("gewijzigd"), 1.0);

    assert_eq!(
        categories(&r, "2026-Q3", "uitstroom"),
        ["overleden", "verhuisd"]
    );
    value(&r, "2026-Q3", "uitstroom", Some("totaal"), 1.0);
    value(&r, "2026-Q3", "uitstroom", Some("verhuisd"), 1.0);
    value(&r, "2026-Q3", "uitstroom", Some("overleden"), 0.0);
    value(&r, "2026-Q4", "uitstroom", Some("overleden"), 1.0);
    value(&r, "2026-Q4", "uitstroom", Some("verhuisd"), 0.0);
}

/// 2. afvangratio, binnen_norm at the norm's boundary, and the lead-time statistics
/// (nearest rank) per measure, Q2 2026. All times UTC, so durations are plain.
#[test]
fn shares_and_lead_times() {
    let mut s = Stream::new();
    // besluit pairs (aanvraag → beschikking), with their onderzoek/doorlooptijd.
    // A1: melding 20 Feb → aanvraag 1 Apr: 40 d (onderzoek); aanvraag → beschikking
    //     15 Apr 10:00: exactly 14 d (within); doorlooptijd 54 d.
    s.wmo(
        "2026-02-20T10:00:00Z",
        1,
        "a1",
        "melding.ontvangen",
        melding("huisarts"),
    );
    s.wmo(
        "2026-04-01T10:00:00Z",
        1,
        "a1",
        "aanvraag.ingediend",
        aanvraag(0xA1, "nieuw"),
    );
    s.wmo(
        "2026-04-15T10:00:00Z",
        1,
        "a1",
        "beschikking.afgegeven",
        beschikking_op(0xB1, 0xA1),
    );
    // wachttijd_zorg: 15 Apr 10:00 → 20 Apr 10:00 = 5 d.
    s.wmo(
        "2026-04-20T10:00:00Z",
        1,
        "a1",
        "zorg.gestart",
        gestart(0xB1, "2026-04-20"),
    );
    // A2: melding 18 Feb → aanvraag 1 Apr: exactly 42 d (within); besluit 14 d + 9 s
    //     = 14.000104 d (over); doorlooptijd 56.000104 d.
    s.wmo(
        "2026-02-18T10:00:00Z",
        2,
        "a2",
        "melding.ontvangen",
        melding("huisarts"),
    );
    s.wmo(
        "2026-04-01T10:00:00Z",
        2,
        "a2",
        "aanvraag.ingediend",
        aanvraag(0xA2, "nieuw"),
    );
    s.wmo(
        "2026-04-15T10:00:09Z",
        2,
        "a2",
        "beschikking.afgegeven",
        beschikking_op(0xB2, 0xA2),
    );
    // A3: melding 19 Mar → aanvraag 1 May: 43 d (over); besluit 2.5 d; doorlooptijd 45.5 d.
    s.wmo(
        "2026-03-19T00:00:00Z",
        3,
        "a3",
        "melding.ontvangen",
        melding("huisarts"),
    );
    s.wmo(
        "2026-05-01T00:00:00Z",
        3,
        "a3",
        "aanvraag.ingediend",
        aanvraag(0xA3, "nieuw"),
    );
    s.wmo(
        "2026-05-03T12:00:00Z",
        3,
        "a3",
        "beschikking.afgegeven",
        beschikking_op(0xB3, 0xA3),
    );
    // A4: besluit 30 d (over); A5: besluit 7 d. No melding.
    s.wmo(
        "2026-05-01T00:00:00Z",
        4,
        "a4",
        "aanvraag.ingediend",
        aanvraag(0xA4, "nieuw"),
    );
    s.wmo(
        "2026-05-31T00:00:00Z",
        4,
        "a4",
        "beschikking.afgegeven",
        beschikking_op(0xB4, 0xA4),
    );
    s.wmo(
        "2026-06-01T00:00:00Z",
        5,
        "a5",
        "aanvraag.ingediend",
        aanvraag(0xA5, "nieuw"),
    );
    s.wmo(
        "2026-06-08T00:00:00Z",
        5,
        "a5",
        "beschikking.afgegeven",
        beschikking_op(0xB5, 0xA5),
    );
    // Beoordeling: three doorgezet, two afgevangen, all in Q2.
    // toewijzing: B1 1.25 d, B2 3 d; B3's assignment at 00:00 on 1 July Amsterdam is Q3.
    s.wmo(
        "2026-04-10T00:00:00Z",
        11,
        "b1",
        "melding.beoordeeld",
        beoordeeld("doorgezet"),
    );
    s.wmo(
        "2026-04-11T06:00:00Z",
        11,
        "b1",
        "case.toegewezen",
        toegewezen("noord", None, "nieuw"),
    );
    s.wmo(
        "2026-04-10T00:00:00Z",
        12,
        "b2",
        "melding.beoordeeld",
        beoordeeld("doorgezet"),
    );
    s.wmo(
        "2026-04-13T00:00:00Z",
        12,
        "b2",
        "case.toegewezen",
        toegewezen("noord", None, "nieuw"),
    );
    s.wmo(
        "2026-06-30T20:00:00Z",
        13,
        "b3",
        "melding.beoordeeld",
        beoordeeld("doorgezet"),
    );
    s.wmo(
        "2026-06-30T22:00:00Z",
        13,
        "b3",
        "case.toegewezen",
        toegewezen("noord", None, "nieuw"),
    );
    s.wmo(
        "2026-04-10T00:00:00Z",
        14,
        "b4",
        "melding.beoordeeld",
        beoordeeld("afgevangen"),
    );
    s.wmo(
        "2026-04-10T00:00:00Z",
        15,
        "b5",
        "melding.beoordeeld",
        beoordeeld("afgevangen"),
    );

    let r = report(&s.log(), &params("2026-Q2"));
    let q = "2026-Q2";
    // afvangratio = 2 / (2 + 3).
    let c = cell(&r, q, "afvangratio", None);
    close(c.value, 0.4, "afvangratio");
    shown_plain(c);

    // besluit: 2.5, 7, 14, 14.000104, 30. Within 14: three of five.
    let over = 14.0 + 9.0 / 86_400.0;
    value(&r, q, "leadtime_n", Some("besluit"), 5.0);
    value(
        &r,
        q,
        "leadtime_mean",
        Some("besluit"),
        (2.5 + 7.0 + 14.0 + over + 30.0) / 5.0,
    );
    value(&r, q, "leadtime_p50", Some("besluit"), 14.0); // rank ⌈2.5⌉ = 3
    value(&r, q, "leadtime_p90", Some("besluit"), 30.0); // rank ⌈4.5⌉ = 5
    let c = cell(&r, q, "binnen_norm", Some("besluit"));
    close(c.value, 0.6, "binnen_norm besluit");
    shown_plain(c);

    // onderzoek: 40, 42, 43. Within 42: two of three; one over the norm is below
    // t = 2, so the share is not shown.
    value(&r, q, "leadtime_n", Some("onderzoek"), 3.0);
    value(&r, q, "leadtime_mean", Some("onderzoek"), 125.0 / 3.0);
    value(&r, q, "leadtime_p50", Some("onderzoek"), 42.0); // rank 2
    value(&r, q, "leadtime_p90", Some("onderzoek"), 43.0); // rank ⌈2.7⌉ = 3
    let c = cell(&r, q, "binnen_norm", Some("onderzoek"));
    close(c.value, 2.0 / 3.0, "binnen_norm onderzoek");
    assert_eq!(c.suppressed, Some(Suppression::Share));
    assert_eq!(c.shown, Shown::Hidden);

    // doorlooptijd: 45.5, 54, 56.000104; no norm, so no binnen_norm.
    value(&r, q, "leadtime_n", Some("doorlooptijd"), 3.0);
    value(
        &r,
        q,
        "leadtime_mean",
        Some("doorlooptijd"),
        (45.5 + 54.0 + 42.0 + over) / 3.0,
    );
    value(&r, q, "leadtime_p50", Some("doorlooptijd"), 54.0);
    value(&r, q, "leadtime_p90", Some("doorlooptijd"), 42.0 + over);
    assert!(!has_cell(&r, q, "binnen_norm", Some("doorlooptijd")));

    // toewijzing: 1.25, 3.
    value(&r, q, "leadtime_n", Some("toewijzing"), 2.0);
    value(&r, q, "leadtime_mean", Some("toewijzing"), 2.125);
    value(&r, q, "leadtime_p50", Some("toewijzing"), 1.25); // rank 1
    value(&r, q, "leadtime_p90", Some("toewijzing"), 3.0); // rank ⌈1.8⌉ = 2
    assert!(!has_cell(&r, q, "binnen_norm", Some("toewijzing")));

    // wachttijd_zorg: 5.
    value(&r, q, "leadtime_n", Some("wachttijd_zorg"), 1.0);
    value(&r, q, "leadtime_mean", Some("wachttijd_zorg"), 5.0);
    value(&r, q, "leadtime_p90", Some("wachttijd_zorg"), 5.0);

    // leadtime_n has one cell per measure and no total.
    assert!(!has_cell(&r, q, "leadtime_n", Some("totaal")));
    assert_eq!(
        categories(&r, q, "leadtime_n"),
        [
            "besluit",
            "doorlooptijd",
            "onderzoek",
            "toewijzing",
            "wachttijd_zorg"
        ]
    );
    // B3's assignment counts in Q3.
    let mut p3 = params("2026-Q3");
    p3.trend = Some("1".into());
    let r3 = report(&s.log(), &p3);
    value(&r3, "2026-Q3", "leadtime_n", Some("toewijzing"), 1.0);
}

/// 2b. Jeugd: only `besluit` has a norm, 56 days.
#[test]
fn jeugd_binnen_norm_is_besluit_56() {
    let mut s = Stream::new();
    // 1 Apr → 27 May: exactly 56 d (within); 56 d + 9 s (over); 10 d (within); 60 d (over).
    s.jeugd(
        "2026-03-01T00:00:00Z",
        1,
        "j1",
        "melding.ontvangen",
        melding("jeugdarts"),
    );
    s.jeugd(
        "2026-04-01T00:00:00Z",
        1,
        "j1",
        "aanvraag.ingediend",
        aanvraag(0xA1, "nieuw"),
    );
    s.jeugd(
        "2026-05-27T00:00:00Z",
        1,
        "j1",
        "beschikking.afgegeven",
        beschikking_op(0xB1, 0xA1),
    );
    s.jeugd(
        "2026-04-01T00:00:00Z",
        2,
        "j2",
        "aanvraag.ingediend",
        aanvraag(0xA2, "nieuw"),
    );
    s.jeugd(
        "2026-05-27T00:00:09Z",
        2,
        "j2",
        "beschikking.afgegeven",
        beschikking_op(0xB2, 0xA2),
    );
    s.jeugd(
        "2026-04-01T00:00:00Z",
        3,
        "j3",
        "aanvraag.ingediend",
        aanvraag(0xA3, "nieuw"),
    );
    s.jeugd(
        "2026-04-11T00:00:00Z",
        3,
        "j3",
        "beschikking.afgegeven",
        beschikking_op(0xB3, 0xA3),
    );
    s.jeugd(
        "2026-04-01T00:00:00Z",
        4,
        "j4",
        "aanvraag.ingediend",
        aanvraag(0xA4, "nieuw"),
    );
    s.jeugd(
        "2026-05-31T00:00:00Z",
        4,
        "j4",
        "beschikking.afgegeven",
        beschikking_op(0xB4, 0xA4),
    );
    let mut p = params("2026-Q2");
    p.domein = Some("jeugd".into());
    let r = report(&s.log(), &p);
    let norms = categories(&r, "2026-Q2", "binnen_norm");
    assert_eq!(norms, ["besluit"], "Jeugd has a norm for besluit only");
    let c = cell(&r, "2026-Q2", "binnen_norm", Some("besluit"));
    close(c.value, 0.5, "binnen_norm besluit (jeugd)");
    shown_plain(c);
    value(&r, "2026-Q2", "leadtime_n", Some("onderzoek"), 1.0); // 1 Mar → 1 Apr = 31 d
    value(&r, "2026-Q2", "leadtime_mean", Some("onderzoek"), 31.0);
    // Jeugd has no po_status.
    assert!(categories(&r, "2026-Q2", "po_status").is_empty());
    assert!(!has_cell(&r, "2026-Q2", "po_status", Some("totaal")));
}

/// 3. instroom by verwijzer.
#[test]
fn instroom_counts_a_clients_first_toegekende_beschikking() {
    let mut s = Stream::new();
    // Client x: two cases. Case 1 (huisarts) is granted on 1 May, case 2 (wijkteam)
    // earlier, on 20 April: x counts once, as wijkteam.
    s.wmo(
        "2026-03-01T10:00:00Z",
        1,
        "x",
        "melding.ontvangen",
        melding("huisarts"),
    );
    s.wmo(
        "2026-05-01T10:00:00Z",
        1,
        "x",
        "beschikking.afgegeven",
        beschikking(0xB1, "hbh", "toegekend", None),
    );
    s.wmo(
        "2026-04-01T10:00:00Z",
        2,
        "x",
        "melding.ontvangen",
        melding("wijkteam"),
    );
    s.wmo(
        "2026-04-20T10:00:00Z",
        2,
        "x",
        "beschikking.afgegeven",
        beschikking(0xB2, "hbh", "toegekend", None),
    );
    // Client y: a case without a melding → onbekend.
    s.wmo(
        "2026-05-05T10:00:00Z",
        3,
        "y",
        "beschikking.afgegeven",
        beschikking(0xB3, "hbh", "toegekend", None),
    );
    // Client z: first granted in Q1 (huisarts); a second grant in Q2 does not count again.
    s.wmo(
        "2026-01-05T10:00:00Z",
        4,
        "z",
        "melding.ontvangen",
        melding("huisarts"),
    );
    s.wmo(
        "2026-02-01T10:00:00Z",
        4,
        "z",
        "beschikking.afgegeven",
        beschikking(0xB4, "hbh", "toegekend", None),
    );
    s.wmo(
        "2026-04-01T10:00:00Z",
        5,
        "z",
        "melding.ontvangen",
        melding("gemeente"),
    );
    s.wmo(
        "2026-04-10T10:00:00Z",
        5,
        "z",
        "beschikking.afgegeven",
        beschikking(0xB5, "hbh", "toegekend", None),
    );
    // Client w: only afgewezen → not instroom (jeugdarts still listed as a category).
    s.wmo(
        "2026-04-01T10:00:00Z",
        6,
        "w",
        "melding.ontvangen",
        melding("jeugdarts"),
    );
    s.wmo(
        "2026-04-15T10:00:00Z",
        6,
        "w",
        "beschikking.afgegeven",
        beschikking(0xB6, "hbh", "afgewezen", None),
    );
    // Client v: two meldingen in one case; the first (huisarts) decides.
    s.wmo(
        "2026-04-02T10:00:00Z",
        7,
        "v",
        "melding.ontvangen",
        melding("huisarts"),
    );
    s.wmo(
        "2026-04-03T10:00:00Z",
        7,
        "v",
        "melding.ontvangen",
        melding("uwv"),
    );
    s.wmo(
        "2026-06-01T10:00:00Z",
        7,
        "v",
        "beschikking.afgegeven",
        beschikking(0xB7, "hbh", "toegekend", None),
    );

    let mut p = params("2026-Q2");
    p.trend = Some("2".into());
    let r = report(&s.log(), &p);
    assert_eq!(
        categories(&r, "2026-Q2", "instroom"),
        [
            "gemeente",
            "huisarts",
            "jeugdarts",
            "onbekend",
            "uwv",
            "wijkteam"
        ]
    );
    // Q2: x (wijkteam), y (onbekend), v (huisarts).
    value(&r, "2026-Q2", "instroom", Some("totaal"), 3.0);
    value(&r, "2026-Q2", "instroom", Some("wijkteam"), 1.0);
    value(&r, "2026-Q2", "instroom", Some("onbekend"), 1.0);
    value(&r, "2026-Q2", "instroom", Some("huisarts"), 1.0);
    value(&r, "2026-Q2", "instroom", Some("gemeente"), 0.0);
    value(&r, "2026-Q2", "instroom", Some("jeugdarts"), 0.0);
    value(&r, "2026-Q2", "instroom", Some("uwv"), 0.0);
    // Q1: z (huisarts).
    value(&r, "2026-Q1", "instroom", Some("totaal"), 1.0);
    value(&r, "2026-Q1", "instroom", Some("huisarts"), 1.0);
    value(&r, "2026-Q1", "instroom", Some("onbekend"), 0.0);
}

/// 4. Provisions and the waiting list at the peildatum 30 June 2026:
/// T = 2026-07-01T00:00+02:00 = 2026-06-30T22:00Z.
#[test]
fn provisions_and_waiting_list_at_the_peildatum() {
    let mut s = Stream::new();
    let t = "2026-06-30T22:00:00Z";
    // P1 (client p1, hbh): started 10 April → active.
    s.wmo(
        "2026-04-01T22:00:00Z",
        1,
        "p1",
        "beschikking.afgegeven",
        beschikking(0xB1, "hbh", "toegekend", None),
    );
    s.wmo(
        "2026-04-10T10:00:00Z",
        1,
        "p1",
        "zorg.gestart",
        gestart(0xB1, "2026-04-10"),
    );
    // P2 (client p1 again, wrv): starts on the peildatum itself → active; p1 counts once.
    s.wmo(
        "2026-05-01T22:00:00Z",
        2,
        "p1",
        "beschikking.afgegeven",
        beschikking(0xB2, "wrv", "toegekend", None),
    );
    s.wmo(
        "2026-06-30T10:00:00Z",
        2,
        "p1",
        "zorg.gestart",
        gestart(0xB2, "2026-06-30"),
    );
    // P3 (hbh): start registered before T but dated 1 July → waiting, 29 d to T.
    s.wmo(
        "2026-06-01T22:00:00Z",
        3,
        "p3",
        "beschikking.afgegeven",
        beschikking(0xB3, "hbh", "toegekend", None),
    );
    s.wmo(
        "2026-06-25T10:00:00Z",
        3,
        "p3",
        "zorg.gestart",
        gestart(0xB3, "2026-07-01"),
    );
    // P4 (hbh): start dated 29 June but registered on 2 July, after T → waiting,
    // 15 June 10:00 → T = 15.5 d.
    s.wmo(
        "2026-06-15T10:00:00Z",
        4,
        "p4",
        "beschikking.afgegeven",
        beschikking(0xB4, "hbh", "toegekend", None),
    );
    s.wmo(
        "2026-07-02T10:00:00Z",
        4,
        "p4",
        "zorg.gestart",
        gestart(0xB4, "2026-06-29"),
    );
    // P5 (vvz): start registered at exactly T → belongs to 1 July → waiting, 31 d.
    s.wmo(
        "2026-05-30T22:00:00Z",
        5,
        "p5",
        "beschikking.afgegeven",
        beschikking(0xB5, "vvz", "toegekend", None),
    );
    s.wmo(t, 5, "p5", "zorg.gestart", gestart(0xB5, "2026-06-30"));
    // P6 (hbh): ended on the peildatum → neither.
    s.wmo(
        "2026-04-01T22:00:00Z",
        6,
        "p6",
        "beschikking.afgegeven",
        beschikking(0xB6, "hbh", "toegekend", None),
    );
    s.wmo(
        "2026-04-05T10:00:00Z",
        6,
        "p6",
        "zorg.gestart",
        gestart(0xB6, "2026-04-05"),
    );
    s.wmo(
        "2026-06-30T08:00:00Z",
        6,
        "p6",
        "zorg.beeindigd",
        beeindigd(0xB6, "2026-06-30", "doelen_bereikt"),
    );
    // P7 (hbh): beschikking ends 29 June, before the peildatum → neither.
    s.wmo(
        "2026-04-01T22:00:00Z",
        7,
        "p7",
        "beschikking.afgegeven",
        beschikking(0xB7, "hbh", "toegekend", Some("2026-06-29")),
    );
    s.wmo(
        "2026-04-05T10:00:00Z",
        7,
        "p7",
        "zorg.gestart",
        gestart(0xB7, "2026-04-05"),
    );
    // P8 (wrv): beschikking ends on the peildatum → still active.
    s.wmo(
        "2026-04-01T22:00:00Z",
        8,
        "p8",
        "beschikking.afgegeven",
        beschikking(0xB8, "wrv", "toegekend", Some("2026-06-30")),
    );
    s.wmo(
        "2026-04-05T10:00:00Z",
        8,
        "p8",
        "zorg.gestart",
        gestart(0xB8, "2026-04-05"),
    );
    // P9 (hbh): granted at exactly T → neither.
    s.wmo(
        t,
        9,
        "p9",
        "beschikking.afgegeven",
        beschikking(0xB9, "hbh", "toegekend", None),
    );
    // P10 (scootmobiel): afgewezen → neither; its voorziening is still listed.
    s.wmo(
        "2026-04-01T22:00:00Z",
        10,
        "p10",
        "beschikking.afgegeven",
        beschikking(0xBA, "scootmobiel", "afgewezen", None),
    );
    // P11 (hbh): an end registered before T but dated 15 July → still active.
    s.wmo(
        "2026-04-01T22:00:00Z",
        11,
        "p11",
        "beschikking.afgegeven",
        beschikking(0xBB, "hbh", "toegekend", None),
    );
    s.wmo(
        "2026-04-05T10:00:00Z",
        11,
        "p11",
        "zorg.gestart",
        gestart(0xBB, "2026-04-05"),
    );
    s.wmo(
        "2026-06-20T10:00:00Z",
        11,
        "p11",
        "zorg.beeindigd",
        beeindigd(0xBB, "2026-07-15", "verhuisd"),
    );
    // P12 (hbh): an end dated 20 June but registered on 5 July, after T → still active.
    s.wmo(
        "2026-04-01T22:00:00Z",
        12,
        "p12",
        "beschikking.afgegeven",
        beschikking(0xBC, "hbh", "toegekend", None),
    );
    s.wmo(
        "2026-04-10T10:00:00Z",
        12,
        "p12",
        "zorg.gestart",
        gestart(0xBC, "2026-04-10"),
    );
    s.wmo(
        "2026-07-05T10:00:00Z",
        12,
        "p12",
        "zorg.beeindigd",
        beeindigd(0xBC, "2026-06-20", "verhuisd"),
    );

    let r = report(&s.log(), &params("2026-Q2"));
    let q = "2026-Q2";
    assert_eq!(
        categories(&r, q, "actieve_voorzieningen"),
        ["hbh", "scootmobiel", "vvz", "wrv"]
    );
    assert_eq!(
        categories(&r, q, "wachtlijst"),
        ["hbh", "scootmobiel", "vvz", "wrv"]
    );
    // Active: P1, P11, P12 (hbh); P2, P8 (wrv).
    value(&r, q, "actieve_voorzieningen", Some("totaal"), 5.0);
    value(&r, q, "actieve_voorzieningen", Some("hbh"), 3.0);
    value(&r, q, "actieve_voorzieningen", Some("wrv"), 2.0);
    value(&r, q, "actieve_voorzieningen", Some("vvz"), 0.0);
    value(&r, q, "actieve_voorzieningen", Some("scootmobiel"), 0.0);
    // Clients p1, p8, p11, p12.
    value(&r, q, "actieve_clienten", None, 4.0);
    shown_plain(cell(&r, q, "actieve_clienten", None));
    // Waiting: P3, P4 (hbh); P5 (vvz).
    value(&r, q, "wachtlijst", Some("totaal"), 3.0);
    value(&r, q, "wachtlijst", Some("hbh"), 2.0);
    value(&r, q, "wachtlijst", Some("vvz"), 1.0);
    value(&r, q, "wachtlijst", Some("wrv"), 0.0);
    value(&r, q, "wachtlijst", Some("scootmobiel"), 0.0);
    // Ages 15.5, 29, 31.
    value(&r, q, "wachtlijst_leeftijd_mean", None, 75.5 / 3.0);
    value(&r, q, "wachtlijst_leeftijd_p50", None, 29.0);
    value(&r, q, "wachtlijst_leeftijd_max", None, 31.0);
    shown_plain(cell(&r, q, "wachtlijst_leeftijd_max", None));
}

/// 4b. In winter time the peildatum's T is 23:00Z: for Q4 2026,
/// T = 2027-01-01T00:00+01:00 = 2026-12-31T23:00Z.
#[test]
fn peildatum_in_winter_time() {
    let mut s = Stream::new();
    // 23:30 Amsterdam on 31 December: before T, waiting 0.5 h = 1/48 d.
    s.wmo(
        "2026-12-31T22:30:00Z",
        1,
        "w1",
        "beschikking.afgegeven",
        beschikking(0xB1, "hbh", "toegekend", None),
    );
    // Exactly T: belongs to 1 January → neither in Q4's list nor in its counts.
    s.wmo(
        "2026-12-31T23:00:00Z",
        2,
        "w2",
        "beschikking.afgegeven",
        beschikking(0xB2, "hbh", "toegekend", None),
    );
    // A start at 23:59:59 Amsterdam on 31 December, dated that day: active.
    s.wmo(
        "2026-10-01T10:00:00Z",
        3,
        "w3",
        "beschikking.afgegeven",
        beschikking(0xB3, "hbh", "toegekend", None),
    );
    s.wmo(
        "2026-12-31T22:59:59Z",
        3,
        "w3",
        "zorg.gestart",
        gestart(0xB3, "2026-12-31"),
    );
    let mut p = params("2026-Q4");
    p.trend = Some("2".into());
    let r = report(&s.log(), &p);
    let q = "2026-Q4";
    value(&r, q, "wachtlijst", Some("totaal"), 1.0);
    value(&r, q, "wachtlijst_leeftijd_max", None, 1.0 / 48.0);
    value(&r, q, "actieve_voorzieningen", Some("hbh"), 1.0);
    value(&r, q, "beschikkingen", Some("toegekend"), 2.0);
    value(&r, q, "zorg_gestart", None, 1.0);
    // Q3 (T = 2026-09-30T22:00Z): w3's beschikking on 1 October is after T.
    value(&r, "2026-Q3", "wachtlijst", Some("totaal"), 0.0);
    value(&r, "2026-Q3", "beschikkingen", Some("totaal"), 0.0);
}

/// 5. Casusregie: assignments with a consulent_ref at or before the case's first
/// beschikking.
#[test]
fn casusregie() {
    let mut s = Stream::new();
    let toe = |c: Option<&str>| toegewezen("noord", c, "nieuw");
    let besch = |b: u128, besluit: &str| beschikking(b, "hbh", besluit, None);
    // C1: mw-1 twice → counts, one consultant.
    s.wmo(
        "2026-04-01T10:00:00Z",
        1,
        "c1",
        "case.toegewezen",
        toe(Some("mw-1")),
    );
    s.wmo(
        "2026-04-05T10:00:00Z",
        1,
        "c1",
        "case.toegewezen",
        toe(Some("mw-1")),
    );
    s.wmo(
        "2026-04-10T10:00:00Z",
        1,
        "c1",
        "beschikking.afgegeven",
        besch(0xB1, "toegekend"),
    );
    // C2: mw-1 then mw-2 → counts, two consultants.
    s.wmo(
        "2026-04-01T10:00:00Z",
        2,
        "c2",
        "case.toegewezen",
        toe(Some("mw-1")),
    );
    s.wmo(
        "2026-04-03T10:00:00Z",
        2,
        "c2",
        "case.toegewezen",
        toe(Some("mw-2")),
    );
    s.wmo(
        "2026-04-10T10:00:00Z",
        2,
        "c2",
        "beschikking.afgegeven",
        besch(0xB2, "toegekend"),
    );
    // C3: only a team assignment before; a consultant after → does not count.
    s.wmo(
        "2026-04-01T10:00:00Z",
        3,
        "c3",
        "case.toegewezen",
        toe(None),
    );
    s.wmo(
        "2026-04-10T10:00:00Z",
        3,
        "c3",
        "beschikking.afgegeven",
        besch(0xB3, "toegekend"),
    );
    s.wmo(
        "2026-04-20T10:00:00Z",
        3,
        "c3",
        "case.toegewezen",
        toe(Some("mw-3")),
    );
    // C4: mw-1 before, mw-2 after → counts, one consultant.
    s.wmo(
        "2026-04-01T10:00:00Z",
        4,
        "c4",
        "case.toegewezen",
        toe(Some("mw-1")),
    );
    s.wmo(
        "2026-04-10T10:00:00Z",
        4,
        "c4",
        "beschikking.afgegeven",
        besch(0xB4, "toegekend"),
    );
    s.wmo(
        "2026-04-11T10:00:00Z",
        4,
        "c4",
        "case.toegewezen",
        toe(Some("mw-2")),
    );
    // C5: assignment at the very instant of the beschikking → counts, one.
    s.wmo(
        "2026-05-01T10:00:00Z",
        5,
        "c5",
        "beschikking.afgegeven",
        besch(0xB5, "toegekend"),
    );
    s.wmo(
        "2026-05-01T10:00:00Z",
        5,
        "c5",
        "case.toegewezen",
        toe(Some("mw-4")),
    );
    // C6: first beschikking in Q1 → not Q2, even with a second one in Q2.
    s.wmo(
        "2026-03-01T10:00:00Z",
        6,
        "c6",
        "case.toegewezen",
        toe(Some("mw-1")),
    );
    s.wmo(
        "2026-03-20T10:00:00Z",
        6,
        "c6",
        "beschikking.afgegeven",
        besch(0xB6, "toegekend"),
    );
    s.wmo(
        "2026-04-10T10:00:00Z",
        6,
        "c6",
        "beschikking.afgegeven",
        besch(0xB7, "toegekend"),
    );
    // C7: afgewezen counts as well (any besluit); one consultant.
    s.wmo(
        "2026-04-01T10:00:00Z",
        7,
        "c7",
        "case.toegewezen",
        toe(Some("mw-5")),
    );
    s.wmo(
        "2026-04-10T10:00:00Z",
        7,
        "c7",
        "beschikking.afgegeven",
        besch(0xB8, "afgewezen"),
    );
    // C8: mw-1 and mw-6 → two consultants.
    s.wmo(
        "2026-04-01T10:00:00Z",
        8,
        "c8",
        "case.toegewezen",
        toe(Some("mw-1")),
    );
    s.wmo(
        "2026-04-02T10:00:00Z",
        8,
        "c8",
        "case.toegewezen",
        toe(Some("mw-6")),
    );
    s.wmo(
        "2026-04-10T10:00:00Z",
        8,
        "c8",
        "beschikking.afgegeven",
        besch(0xB9, "toegekend"),
    );

    let mut p = params("2026-Q2");
    p.trend = Some("2".into());
    let r = report(&s.log(), &p);
    // Q2: C1, C2, C4, C5, C7, C8; one consultant in C1, C4, C5, C7.
    value(&r, "2026-Q2", "casusregie_n", None, 6.0);
    let c = cell(&r, "2026-Q2", "casusregie_een_consulent", None);
    close(c.value, 4.0 / 6.0, "casusregie_een_consulent");
    shown_plain(c);
    // Q1: C6.
    value(&r, "2026-Q1", "casusregie_n", None, 1.0);
    value(&r, "2026-Q1", "casusregie_een_consulent", None, 1.0);
}

/// 6. po_status at T = 2026-06-30T22:00Z (Q2), Wmo.
#[test]
fn po_status_at_the_peildatum() {
    let mut s = Stream::new();
    let toegekend = |b: u128| beschikking(b, "hbh", "toegekend", None);
    // 1: no plan, 29.5 d since the beschikking → geen_po_gepland.
    s.wmo(
        "2026-06-01T10:00:00Z",
        1,
        "k1",
        "beschikking.afgegeven",
        toegekend(0xB1),
    );
    // 2: no plan, 10.5 d → in_behandeling.
    s.wmo(
        "2026-06-20T10:00:00Z",
        2,
        "k2",
        "beschikking.afgegeven",
        toegekend(0xB2),
    );
    // 3: plan due 1 June, not carried out → po_verlopen.
    s.wmo(
        "2026-03-01T10:00:00Z",
        3,
        "k3",
        "beschikking.afgegeven",
        toegekend(0xB3),
    );
    s.wmo(
        "2026-03-05T10:00:00Z",
        3,
        "k3",
        "po.gepland",
        po_gepland(0xB3, "2026-06-01"),
    );
    // 4: plan due more than 3 years after the cycle start → po_te_ver_gepland.
    s.wmo(
        "2026-03-01T10:00:00Z",
        4,
        "k4",
        "beschikking.afgegeven",
        toegekend(0xB4),
    );
    s.wmo(
        "2026-03-05T10:00:00Z",
        4,
        "k4",
        "po.gepland",
        po_gepland(0xB4, "2030-03-02"),
    );
    // 5: plan due in December → ok.
    s.wmo(
        "2026-03-01T10:00:00Z",
        5,
        "k5",
        "beschikking.afgegeven",
        toegekend(0xB5),
    );
    s.wmo(
        "2026-03-05T10:00:00Z",
        5,
        "k5",
        "po.gepland",
        po_gepland(0xB5, "2026-12-01"),
    );
    // 6: PO carried out (ongewijzigd) 15 March, no new plan → po_zonder_vervolg.
    s.wmo(
        "2026-01-05T10:00:00Z",
        6,
        "k6",
        "beschikking.afgegeven",
        toegekend(0xB6),
    );
    s.wmo(
        "2026-03-01T10:00:00Z",
        6,
        "k6",
        "po.gepland",
        po_gepland(0xB6, "2026-03-15"),
    );
    s.wmo(
        "2026-03-15T10:00:00Z",
        66,
        "k6",
        "po.uitgevoerd",
        po_uitgevoerd(0xB6, "ongewijzigd"),
    );
    // 7: a plan registered after T does not count → geen_po_gepland.
    s.wmo(
        "2026-05-01T10:00:00Z",
        7,
        "k7",
        "beschikking.afgegeven",
        toegekend(0xB7),
    );
    s.wmo(
        "2026-07-02T10:00:00Z",
        7,
        "k7",
        "po.gepland",
        po_gepland(0xB7, "2026-12-01"),
    );
    // Grace boundary: exactly 14 d before T → in_behandeling; one second more → geen_po_gepland.
    s.wmo(
        "2026-06-16T22:00:00Z",
        12,
        "k12",
        "beschikking.afgegeven",
        toegekend(0xBC),
    );
    s.wmo(
        "2026-06-16T21:59:59Z",
        13,
        "k13",
        "beschikking.afgegeven",
        toegekend(0xBD),
    );
    // T's date is 1 July (Amsterdam): a plan due on the peildatum is overdue at T,
    // a plan due on 1 July is not.
    s.wmo(
        "2026-03-01T10:00:00Z",
        14,
        "k14",
        "beschikking.afgegeven",
        toegekend(0xBE),
    );
    s.wmo(
        "2026-03-05T10:00:00Z",
        14,
        "k14",
        "po.gepland",
        po_gepland(0xBE, "2026-06-30"),
    );
    s.wmo(
        "2026-03-01T10:00:00Z",
        15,
        "k15",
        "beschikking.afgegeven",
        toegekend(0xC0),
    );
    s.wmo(
        "2026-03-05T10:00:00Z",
        15,
        "k15",
        "po.gepland",
        po_gepland(0xC0, "2026-07-01"),
    );
    // Not monitored: a fixed end date, afgewezen, care ended, PO gewijzigd.
    s.wmo(
        "2026-03-01T10:00:00Z",
        8,
        "k8",
        "beschikking.afgegeven",
        beschikking(0xB8, "hbh", "toegekend", Some("2027-01-01")),
    );
    s.wmo(
        "2026-03-01T10:00:00Z",
        9,
        "k9",
        "beschikking.afgegeven",
        beschikking(0xB9, "hbh", "afgewezen", None),
    );
    s.wmo(
        "2026-03-01T10:00:00Z",
        10,
        "k10",
        "beschikking.afgegeven",
        toegekend(0xBA),
    );
    s.wmo(
        "2026-03-10T10:00:00Z",
        10,
        "k10",
        "zorg.beeindigd",
        beeindigd(0xBA, "2026-03-10", "overleden"),
    );
    s.wmo(
        "2026-03-01T10:00:00Z",
        11,
        "k11",
        "beschikking.afgegeven",
        toegekend(0xBB),
    );
    s.wmo(
        "2026-03-20T10:00:00Z",
        11,
        "k11",
        "po.uitgevoerd",
        po_uitgevoerd(0xBB, "gewijzigd"),
    );

    let r = report(&s.log(), &params("2026-Q2"));
    let q = "2026-Q2";
    assert_eq!(
        categories(&r, q, "po_status"),
        [
            "geen_po_gepland",
            "in_behandeling",
            "ok",
            "po_te_ver_gepland",
            "po_verlopen",
            "po_zonder_vervolg"
        ]
    );
    // 1, 7, 13 | 2, 12 | 3, 14 | 4 | 5, 15 | 6.
    value(&r, q, "po_status", Some("totaal"), 11.0);
    value(&r, q, "po_status", Some("geen_po_gepland"), 3.0);
    value(&r, q, "po_status", Some("in_behandeling"), 2.0);
    value(&r, q, "po_status", Some("po_verlopen"), 2.0);
    value(&r, q, "po_status", Some("po_te_ver_gepland"), 1.0);
    value(&r, q, "po_status", Some("ok"), 2.0);
    value(&r, q, "po_status", Some("po_zonder_vervolg"), 1.0);

    // A Jeugd report of the same gemeente has no po_status cells.
    s.jeugd(
        "2026-04-01T10:00:00Z",
        20,
        "j",
        "beschikking.afgegeven",
        toegekend(0xBF),
    );
    let mut p = params("2026-Q2");
    p.domein = Some("jeugd".into());
    let r = report(&s.log(), &p);
    assert!(r.cells.iter().all(|c| c.indicator != "po_status"));
    value(&r, q, "beschikkingen", Some("toegekend"), 1.0);
}

/// 7. Staff over the ISO weeks whose Monday lies in Q2 2026: 6 April … 29 June,
/// 13 weeks (the last one ends on 5 July).
#[test]
fn staff_over_the_quarters_weeks() {
    let mut s = Stream::new();
    // mw-1 0.8 and mw-2 1.0 from 1 January; mw-2 0.5 from Monday 4 May.
    // FTE: 4 weeks × 1.8 + 9 weeks × 1.3 = 18.9 FTE-weeks; mean 18.9 / 13.
    s.formatie("2025-12-15T10:00:00Z", "noord", "mw-1", 0.8, "2026-01-01");
    s.formatie("2025-12-15T10:00:00Z", "noord", "mw-2", 1.0, "2026-01-01");
    s.formatie("2026-04-20T10:00:00Z", "noord", "mw-2", 0.5, "2026-05-04");
    let toe = |d: &str| toegewezen("noord", Some("mw-1"), d);
    // First assignments in the window: four nieuw, two periodiek_onderzoek, and one
    // nieuw on Thursday 2 July (week of Monday 29 June) → nieuw 5, po 2.
    s.wmo(
        "2026-04-07T10:00:00Z",
        1,
        "s1",
        "case.toegewezen",
        toe("nieuw"),
    );
    s.wmo(
        "2026-05-12T10:00:00Z",
        2,
        "s2",
        "case.toegewezen",
        toe("nieuw"),
    );
    s.wmo(
        "2026-06-02T10:00:00Z",
        3,
        "s3",
        "case.toegewezen",
        toe("bestaand"),
    );
    s.wmo(
        "2026-06-16T10:00:00Z",
        4,
        "s4",
        "case.toegewezen",
        toe("mutatie"),
    );
    s.wmo(
        "2026-04-22T10:00:00Z",
        5,
        "s5",
        "case.toegewezen",
        toe("periodiek_onderzoek"),
    );
    s.wmo(
        "2026-06-23T10:00:00Z",
        6,
        "s6",
        "case.toegewezen",
        toe("periodiek_onderzoek"),
    );
    s.wmo(
        "2026-07-02T10:00:00Z",
        7,
        "s7",
        "case.toegewezen",
        toe("nieuw"),
    );
    // Not in the window: Tuesday 31 March (week of 30 March), and a handover in Q2
    // of a case first assigned in Q1 (all teams together: its first week).
    s.wmo(
        "2026-03-31T10:00:00Z",
        8,
        "s8",
        "case.toegewezen",
        toe("nieuw"),
    );
    s.wmo(
        "2026-03-10T10:00:00Z",
        9,
        "s9",
        "case.toegewezen",
        toe("nieuw"),
    );
    s.wmo(
        "2026-04-15T10:00:00Z",
        9,
        "s9",
        "case.toegewezen",
        toegewezen("zuid", Some("mw-9"), "nieuw"),
    );
    // Data after the window, so the log's last week lies beyond it.
    s.wmo(
        "2026-08-03T10:00:00Z",
        10,
        "s10",
        "melding.ontvangen",
        melding("huisarts"),
    );

    let mut p = params("2026-Q2");
    p.threshold = None; // default 5: staff cells are never suppressed
    let r = report(&s.log(), &p);
    let q = "2026-Q2";
    let fte = 18.9 / 13.0;
    value(&r, q, "fte", None, fte);
    value(&r, q, "per_fte_nieuw", None, 5.0 / 13.0 / fte);
    value(&r, q, "per_fte_po", None, 2.0 / 13.0 / fte);
    value(&r, q, "benodigde_fte", None, 7.0 / 13.0 * 4.0 / 27.0);
    value(&r, q, "capaciteit", None, 6.75);
    for ind in [
        "fte",
        "per_fte_nieuw",
        "per_fte_po",
        "benodigde_fte",
        "capaciteit",
    ] {
        shown_plain(cell(&r, q, ind, None));
    }
    // The quarter's own count: s1–s6 (s7 falls in Q3; s8 and s9 were first assigned in Q1).
    let c = cell(&r, q, "toegewezen", None);
    close(c.value, 6.0, "toegewezen");
    shown_plain(c);
}

/// A small log for the parameter and baseline tests: meldingen 2 in 2025-Q4, 3 in
/// 2026-Q1, 5 in 2026-Q2; doorgezet 1 in Q1 and 3 in Q2.
fn baseline_log() -> MemoryLog {
    let mut s = Stream::new();
    let mut case = 0;
    let mut melding_at = |s: &mut Stream, at: &str| {
        case += 1;
        s.wmo(
            at,
            case,
            &format!("m{case}"),
            "melding.ontvangen",
            melding("huisarts"),
        );
        case
    };
    for at in ["2025-11-03T10:00:00Z", "2025-12-01T10:00:00Z"] {
        melding_at(&mut s, at);
    }
    let c = melding_at(&mut s, "2026-01-10T10:00:00Z");
    s.wmo(
        "2026-01-11T10:00:00Z",
        c,
        &format!("m{c}"),
        "melding.beoordeeld",
        beoordeeld("doorgezet"),
    );
    for at in ["2026-02-10T10:00:00Z", "2026-03-10T10:00:00Z"] {
        melding_at(&mut s, at);
    }
    for at in [
        "2026-04-10T10:00:00Z",
        "2026-04-11T10:00:00Z",
        "2026-05-10T10:00:00Z",
    ] {
        let c = melding_at(&mut s, at);
        s.wmo(
            "2026-05-20T10:00:00Z",
            c,
            &format!("m{c}"),
            "melding.beoordeeld",
            beoordeeld("doorgezet"),
        );
    }
    for at in ["2026-06-10T10:00:00Z", "2026-06-20T10:00:00Z"] {
        melding_at(&mut s, at);
    }
    s.log()
}

/// 8. Baseline differences, the half-year report, and parameter errors.
#[test]
fn baseline_half_year_and_parameter_errors() {
    let log = baseline_log();
    let mut p = params("2026-Q2");
    p.baseline = Some("2026-Q1".into());
    let r = report(&log, &p);
    assert_eq!(r.report.periods, ["2026-Q2"]);
    // The baseline's cells are reported too.
    value(&r, "2026-Q1", "meldingen", None, 3.0);
    // meldingen_verschil = 5 − 3, labelled with Q.
    let c = cell(&r, "2026-Q2", "meldingen_verschil", None);
    close(c.value, 2.0, "meldingen_verschil");
    shown_plain(c);
    assert!(!has_cell(&r, "2026-Q1", "meldingen_verschil", None));
    // doorgezet 3 − 1 = 2, but B's 1 is suppressed at t = 2: not shown, B's reason.
    let c = cell(&r, "2026-Q2", "doorgezet_verschil", None);
    close(c.value, 2.0, "doorgezet_verschil");
    assert_eq!(c.shown, Shown::Hidden);
    assert_eq!(c.suppressed, Some(Suppression::Primary));
    // Against 2025-Q4: 5 − 2.
    p.baseline = Some("2025-Q4".into());
    value(
        &report(&log, &p),
        "2026-Q2",
        "meldingen_verschil",
        None,
        3.0,
    );

    // The trend's periods, oldest first.
    let mut p = params("2026-Q2");
    p.trend = Some("4".into());
    let r = report(&log, &p);
    assert_eq!(
        r.report.periods,
        ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    );
    value(&r, "2025-Q3", "meldingen", None, 0.0);
    value(&r, "2025-Q4", "meldingen", None, 2.0);
    // A baseline inside the trend: its cells appear once (`cell` checks uniqueness).
    p.baseline = Some("2025-Q4".into());
    let r = report(&log, &p);
    value(&r, "2025-Q4", "meldingen", None, 2.0);
    value(&r, "2026-Q2", "meldingen_verschil", None, 3.0);

    // Half year: H1 2026 has 8 meldingen, H2 2025 has 2; trend and baseline are halves.
    let mut p = params("2026-Q2");
    p.quarter = None;
    p.half = Some("2026-H1".into());
    p.trend = Some("2".into());
    p.baseline = Some("2025-H1".into());
    let r = report(&log, &p);
    assert_eq!(r.report.quarter, "2026-H1");
    assert_eq!(r.report.periods, ["2025-H2", "2026-H1"]);
    value(&r, "2026-H1", "meldingen", None, 8.0);
    value(&r, "2025-H2", "meldingen", None, 2.0);
    value(&r, "2025-H1", "meldingen", None, 0.0);
    value(&r, "2026-H1", "meldingen_verschil", None, 8.0);
    assert!(
        r.cells.iter().all(|c| c.quarter.contains('H')),
        "a half-year report has no quarter cells"
    );

    let err = |p: &MonitorParams| run(&log, p).err().map(|e| e.parameter);
    let with = |f: &dyn Fn(&mut MonitorParams)| {
        let mut p = params("2026-Q2");
        f(&mut p);
        p
    };
    // The baseline must lie before the period, and be of the same kind.
    assert_eq!(
        err(&with(&|p| p.baseline = Some("2026-Q2".into()))),
        Some("baseline")
    );
    assert_eq!(
        err(&with(&|p| p.baseline = Some("2026-Q3".into()))),
        Some("baseline")
    );
    assert_eq!(
        err(&with(&|p| p.baseline = Some("2025-H2".into()))),
        Some("baseline")
    );
    // A quarter after the data (which ends in June 2026).
    assert_eq!(
        err(&with(&|p| p.quarter = Some("2026-Q3".into()))),
        Some("quarter")
    );
    // A gemeente without data.
    assert_eq!(
        err(&with(&|p| p.gemeente = Some("GM0001".into()))),
        Some("gemeente")
    );
    // Thresholds below 2.
    assert_eq!(
        err(&with(&|p| p.threshold = Some("1".into()))),
        Some("threshold")
    );
    assert_eq!(
        err(&with(&|p| p.threshold = Some("0".into()))),
        Some("threshold")
    );
    // Bad labels.
    for bad in ["2026-Q5", "2026-q3", "26-Q1", "2026-Q0", "2026Q1"] {
        assert_eq!(
            err(&with(&|p| p.quarter = Some(bad.into()))),
            Some("quarter"),
            "{bad}"
        );
    }
    assert_eq!(
        err(&with(&|p| {
            p.quarter = None;
            p.half = Some("2026-H3".into());
        })),
        Some("half")
    );
    // The accepted ones still work.
    assert!(run(&log, &with(&|_| {})).is_ok());
}

/// 9. A correction withdrawing beschikkingen restates instroom and the provisions.
#[test]
fn a_withdrawn_beschikking_leaves_instroom_and_provisions() {
    let mut s = Stream::new();
    // Client r1, case 1 (huisarts): granted 10 April, not started → waiting.
    s.wmo(
        "2026-04-01T10:00:00Z",
        1,
        "r1",
        "melding.ontvangen",
        melding("huisarts"),
    );
    let b1 = s.wmo(
        "2026-04-10T10:00:00Z",
        1,
        "r1",
        "beschikking.afgegeven",
        beschikking(0xB1, "hbh", "toegekend", None),
    );
    // Client r1, case 2 (wijkteam): granted 10 May, started → active.
    s.wmo(
        "2026-05-01T10:00:00Z",
        2,
        "r1",
        "melding.ontvangen",
        melding("wijkteam"),
    );
    s.wmo(
        "2026-05-10T10:00:00Z",
        2,
        "r1",
        "beschikking.afgegeven",
        beschikking(0xB2, "hbh", "toegekend", None),
    );
    let start2 = s.wmo(
        "2026-05-15T10:00:00Z",
        2,
        "r1",
        "zorg.gestart",
        gestart(0xB2, "2026-05-15"),
    );
    // Client r3, case 3 (gemeente): granted 20 April (wrv), started → active.
    s.wmo(
        "2026-04-02T10:00:00Z",
        3,
        "r3",
        "melding.ontvangen",
        melding("gemeente"),
    );
    let b3 = s.wmo(
        "2026-04-20T10:00:00Z",
        3,
        "r3",
        "beschikking.afgegeven",
        beschikking(0xB3, "wrv", "toegekend", None),
    );
    s.wmo(
        "2026-04-25T10:00:00Z",
        3,
        "r3",
        "zorg.gestart",
        gestart(0xB3, "2026-04-25"),
    );

    let q = "2026-Q2";
    let before = report(&s.log(), &params(q));
    value(&before, q, "instroom", Some("totaal"), 2.0);
    value(&before, q, "instroom", Some("huisarts"), 1.0);
    value(&before, q, "instroom", Some("gemeente"), 1.0);
    value(&before, q, "instroom", Some("wijkteam"), 0.0);
    value(&before, q, "actieve_voorzieningen", Some("totaal"), 2.0);
    value(&before, q, "actieve_voorzieningen", Some("wrv"), 1.0);
    value(&before, q, "actieve_clienten", None, 2.0);
    value(&before, q, "wachtlijst", Some("totaal"), 1.0);

    s.wmo(
        "2026-06-01T10:00:00Z",
        1,
        "r1",
        "event.ingetrokken",
        ingetrokken(b1),
    );
    s.wmo(
        "2026-06-01T10:00:00Z",
        3,
        "r3",
        "event.ingetrokken",
        ingetrokken(b3),
    );
    let after = report(&s.log(), &params(q));
    // r1's first grant is now case 2's (wijkteam); r3 has none.
    value(&after, q, "instroom", Some("totaal"), 1.0);
    value(&after, q, "instroom", Some("wijkteam"), 1.0);
    value(&after, q, "instroom", Some("huisarts"), 0.0);
    value(&after, q, "instroom", Some("gemeente"), 0.0);
    value(&after, q, "actieve_voorzieningen", Some("totaal"), 1.0);
    value(&after, q, "actieve_voorzieningen", Some("hbh"), 1.0);
    // wrv no longer occurs in the effective log.
    assert_eq!(categories(&after, q, "actieve_voorzieningen"), ["hbh"]);
    value(&after, q, "actieve_clienten", None, 1.0);
    value(&after, q, "wachtlijst", Some("totaal"), 0.0);
    assert_eq!(
        cell(&after, q, "wachtlijst_leeftijd_mean", None).value,
        None
    );

    // Withdrawing case 2's zorg.gestart puts its beschikking on the waiting list:
    // 10 May 10:00Z → T = 30 June 22:00Z is 51.5 d.
    s.wmo(
        "2026-06-02T10:00:00Z",
        2,
        "r1",
        "event.ingetrokken",
        ingetrokken(start2),
    );
    let again = report(&s.log(), &params(q));
    value(&again, q, "actieve_voorzieningen", Some("totaal"), 0.0);
    value(&again, q, "actieve_clienten", None, 0.0);
    value(&again, q, "wachtlijst", Some("hbh"), 1.0);
    value(&again, q, "wachtlijst_leeftijd_max", None, 51.5);
    // The throughput count keeps case 3's zorg.gestart: only its beschikking was withdrawn.
    value(&again, q, "zorg_gestart", None, 1.0);
    value(&before, q, "zorg_gestart", None, 2.0);
    value(&again, q, "instroom", Some("wijkteam"), 1.0);
}

/// 10. Disclosure control end to end at the default threshold 5.
#[test]
fn suppression_end_to_end_at_the_default_threshold() {
    let mut s = Stream::new();
    // aanvragen in Q2: nieuw 8, herindicatie 6, mutatie 2 (and none periodiek_onderzoek).
    let mut case = 0;
    for (soort, n) in [("nieuw", 8), ("herindicatie", 6), ("mutatie", 2)] {
        for i in 0..n {
            case += 1;
            let at = format!("2026-05-{:02}T10:00:00Z", i + 1);
            s.wmo(
                &at,
                case,
                &format!("k{case}"),
                "aanvraag.ingediend",
                aanvraag(0xA000 + case, soort),
            );
        }
    }
    // meldingen 3; beoordeeld: afgevangen 2, doorgezet 10.
    for i in 0..3 {
        case += 1;
        s.wmo(
            &format!("2026-04-{:02}T10:00:00Z", i + 1),
            case,
            "m",
            "melding.ontvangen",
            melding("huisarts"),
        );
    }
    for (uitkomst, n) in [("afgevangen", 2), ("doorgezet", 10)] {
        for i in 0..n {
            case += 1;
            s.wmo(
                &format!("2026-06-{:02}T10:00:00Z", i + 1),
                case,
                "b",
                "melding.beoordeeld",
                beoordeeld(uitkomst),
            );
        }
    }
    let mut p = params("2026-Q2");
    p.threshold = None;
    let r = report(&s.log(), &p);
    let q = "2026-Q2";
    assert_eq!(r.report.thresholds.get(GM), Some(&5));

    // The group: total 16 shown; mutatie primary; herindicatie (smallest shown > 0)
    // secondary; nieuw shown; no periodiek_onderzoek category at all.
    assert_eq!(
        categories(&r, q, "aanvragen"),
        ["herindicatie", "mutatie", "nieuw"]
    );
    let total = cell(&r, q, "aanvragen", Some("totaal"));
    close(total.value, 16.0, "aanvragen totaal");
    shown_plain(total);
    let mutatie = cell(&r, q, "aanvragen", Some("mutatie"));
    close(mutatie.value, 2.0, "mutatie");
    assert_eq!(
        (mutatie.shown, mutatie.suppressed),
        (Shown::Below(5), Some(Suppression::Primary))
    );
    let herindicatie = cell(&r, q, "aanvragen", Some("herindicatie"));
    close(herindicatie.value, 6.0, "herindicatie");
    assert_eq!(
        (herindicatie.shown, herindicatie.suppressed),
        (Shown::Hidden, Some(Suppression::Secondary))
    );
    shown_plain(cell(&r, q, "aanvragen", Some("nieuw")));

    // A small count: "<5"; a zero count is shown.
    let m = cell(&r, q, "meldingen", None);
    close(m.value, 3.0, "meldingen");
    assert_eq!(
        (m.shown, m.suppressed),
        (Shown::Below(5), Some(Suppression::Primary))
    );
    shown_plain(cell(&r, q, "zorg_gestart", None));
    // afvangratio 2 / 12: afgevangen below 5 would be given away → "share".
    let a = cell(&r, q, "afvangratio", None);
    close(a.value, 2.0 / 12.0, "afvangratio");
    assert_eq!(
        (a.shown, a.suppressed),
        (Shown::Hidden, Some(Suppression::Share))
    );
    // A statistic over no values: not shown, denominator.
    let w = cell(&r, q, "wachtlijst_leeftijd_mean", None);
    assert_eq!(w.value, None);
    assert_eq!(
        (w.shown, w.suppressed),
        (Shown::Hidden, Some(Suppression::Denominator))
    );
}
