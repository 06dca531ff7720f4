//! The read models of spec §3 on small hand-made streams whose answers are known,
//! corrections per model, and the practice figures of spec §1 as a worked example.

use caseflow_core::config::Config;
use caseflow_core::event::*;
use caseflow_core::leadtime::{self, LeadtimeQuery, LeadtimeRow};
use caseflow_core::model::MemoryLog;
use caseflow_core::overdue_po::{self, PoStatus};
use caseflow_core::period::Granularity;
use caseflow_core::throughput::{self, ThroughputQuery};
use caseflow_core::workload::{self, WorkloadQuery, WorkloadReport};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A Wmo event of case `case` in GM0935.
fn ev(id: u128, at: &str, case: u128, data: EventData) -> Event {
    Event {
        event_id: uuid(id),
        occurred_at: DateTime::parse_from_rfc3339(at).unwrap(),
        gemeente: "GM0935".into(),
        domein: Domein::Wmo,
        case_id: Some(uuid(case)),
        client_ref: Some(format!("c-{case}")),
        source: None,
        data,
    }
}

fn melding() -> EventData {
    EventData::MeldingOntvangen {
        kanaal: Kanaal::Telefoon,
        verwijzer: Verwijzer::Huisarts,
        wijk: None,
    }
}
fn doorgezet() -> EventData {
    EventData::MeldingBeoordeeld {
        uitkomst: MeldingUitkomst::Doorgezet,
        reden: None,
    }
}
fn toegewezen(team: &str, d: Dossiertype) -> EventData {
    EventData::CaseToegewezen {
        team: team.into(),
        consulent_ref: Some("mw-1".into()),
        dossiertype: d,
    }
}
fn aanvraag(a: u128) -> EventData {
    EventData::AanvraagIngediend {
        aanvraag_id: uuid(a),
        voorziening: "hulp_bij_huishouden".into(),
        soort: AanvraagSoort::Nieuw,
    }
}
fn beschikking(b: u128, a: u128) -> EventData {
    EventData::BeschikkingAfgegeven {
        beschikking_id: uuid(b),
        aanvraag_id: uuid(a),
        voorziening: "hulp_bij_huishouden".into(),
        besluit: Besluit::Toegekend,
        ingangsdatum: date("2020-01-01"),
        einddatum: None,
        leveringsvorm: Leveringsvorm::Zin,
        aanbieder: None,
    }
}
fn retract(target: u128) -> EventData {
    EventData::EventIngetrokken {
        ingetrokken_event_id: uuid(target),
        reden: "onjuist geregistreerd".into(),
    }
}
fn formatie(id: u128, team: &str, who: &str, fte: f64, from: &str) -> Event {
    Event {
        event_id: uuid(id),
        occurred_at: DateTime::parse_from_rfc3339("2019-12-01T09:00:00+01:00").unwrap(),
        gemeente: "GM0935".into(),
        domein: Domein::Wmo,
        case_id: None,
        client_ref: None,
        source: None,
        data: EventData::FormatieVastgesteld {
            team: team.into(),
            consulent_ref: who.into(),
            fte,
            geldig_vanaf: date(from),
        },
    }
}

/// One Wmo case: melding Mon 2 March 2020 09:00, doorgezet 11:00, assigned Wed 4th
/// 10:00, aanvraag Tue 10th, beschikking Fri 27th (17 days: over the 14-day norm),
/// provider start 3 April.
fn case_one() -> Vec<Event> {
    vec![
        ev(1, "2020-03-02T09:00:00+01:00", 100, melding()),
        ev(2, "2020-03-02T11:00:00+01:00", 100, doorgezet()),
        ev(
            3,
            "2020-03-04T10:00:00+01:00",
            100,
            toegewezen("IGT Noord", Dossiertype::Nieuw),
        ),
        ev(4, "2020-03-10T10:00:00+01:00", 100, aanvraag(200)),
        ev(5, "2020-03-27T10:00:00+01:00", 100, beschikking(300, 200)),
        ev(
            6,
            "2020-04-03T10:00:00+02:00",
            100,
            EventData::ZorgGestart {
                beschikking_id: uuid(300),
                aanbieder: "Zorg BV".into(),
                startdatum: date("2020-04-06"),
            },
        ),
    ]
}

fn lq(g: Granularity, by_team: bool) -> LeadtimeQuery {
    LeadtimeQuery {
        granularity: g,
        gemeente: None,
        domein: None,
        by_team,
        from: None,
        to: None,
        measure: None,
    }
}

fn leadtime_rows(events: Vec<Event>) -> Vec<LeadtimeRow> {
    leadtime::rows(
        &MemoryLog::from_events(events).facts().samples,
        &lq(Granularity::Month, false),
        &Config::default(),
    )
}

fn measure<'a>(rows: &'a [LeadtimeRow], m: &str) -> &'a LeadtimeRow {
    rows.iter()
        .find(|r| r.measure == m)
        .unwrap_or_else(|| panic!("no {m} in {rows:?}"))
}

#[test]
fn lead_time_measures_of_one_case() {
    let rows = leadtime_rows(case_one());
    let toewijzing = measure(&rows, "toewijzing");
    assert_eq!((toewijzing.n, toewijzing.period.as_str()), (1, "2020-03"));
    assert!(
        (toewijzing.mean - (47.0 / 24.0)).abs() < 1e-9,
        "{toewijzing:?}"
    ); // 2 days − 1 hour
    assert_eq!(toewijzing.norm, None);
    assert_eq!(toewijzing.over_norm, None);
    let onderzoek = measure(&rows, "onderzoek");
    assert!((onderzoek.mean - (8.0 + 1.0 / 24.0)).abs() < 1e-9);
    assert_eq!((onderzoek.norm, onderzoek.over_norm), (Some(42.0), Some(0)));
    let besluit = measure(&rows, "besluit");
    assert_eq!(besluit.mean, 17.0);
    assert_eq!((besluit.norm, besluit.over_norm), (Some(14.0), Some(1)));
    assert!(measure(&rows, "doorlooptijd").mean > 25.0);
    // wachttijd_zorg: 27 March 10:00 CET → 3 April 10:00 CEST is 7 days minus the DST hour.
    let w = measure(&rows, "wachttijd_zorg");
    assert!((w.mean - (7.0 - 1.0 / 24.0)).abs() < 1e-9, "{w:?}");
    assert_eq!(w.period, "2020-04");
}

#[test]
fn lead_time_percentiles_are_nearest_rank_and_norm_is_strict() {
    // Ten aanvragen decided after 10..=19 days; the end events fall in March.
    let mut events = Vec::new();
    for i in 0..10u128 {
        let case = 1000 + i;
        events.push(ev(
            10 * i + 1,
            "2020-03-01T09:00:00+01:00",
            case,
            aanvraag(5000 + i),
        ));
        let end = format!("2020-03-{:02}T09:00:00+01:00", 11 + i);
        events.push(ev(10 * i + 2, &end, case, beschikking(6000 + i, 5000 + i)));
    }
    let rows = leadtime_rows(events);
    let b = measure(&rows, "besluit");
    assert_eq!(b.n, 10);
    assert_eq!((b.p50, b.p90, b.max), (14.0, 18.0, 19.0));
    assert_eq!(b.mean, 14.5);
    // 14 days exactly is within the norm; 15..=19 are over it.
    assert_eq!(b.over_norm, Some(5));
    assert_eq!(b.share_within_norm(), Some(0.5));
}

#[test]
fn jeugd_besluit_norm_is_56_days() {
    let mut events = case_one();
    for e in &mut events {
        e.domein = Domein::Jeugd;
    }
    let rows = leadtime_rows(events);
    assert_eq!(measure(&rows, "besluit").norm, Some(56.0));
    assert_eq!(measure(&rows, "besluit").over_norm, Some(0));
    assert!(rows
        .iter()
        .find(|r| r.measure == "onderzoek")
        .unwrap()
        .norm
        .is_none());
}

#[test]
fn lead_time_counts_for_the_team_at_the_end_event() {
    let teams = |events: Vec<Event>, measure: &str| -> Vec<Option<String>> {
        leadtime::rows(
            &MemoryLog::from_events(events).facts().samples,
            &lq(Granularity::Month, true),
            &Config::default(),
        )
        .into_iter()
        .filter(|r| r.measure == measure)
        .map(|r| r.team)
        .collect()
    };
    let noord = || vec![Some("IGT Noord".to_string())];
    assert_eq!(teams(case_one(), "besluit"), noord());
    // Handed over to another team between the aanvraag and the beschikking: the
    // besluit (ends at the beschikking) counts for the new team, the onderzoek
    // (ends at the aanvraag) for the team of that time.
    let mut events = case_one();
    events.push(ev(
        7,
        "2020-03-20T10:00:00+01:00",
        100,
        toegewezen("IGT Zuid", Dossiertype::Nieuw),
    ));
    assert_eq!(
        teams(events.clone(), "besluit"),
        [Some("IGT Zuid".to_string())]
    );
    assert_eq!(teams(events, "onderzoek"), noord());
}

#[test]
fn open_case_list_and_deadlines() {
    // Only the melding and the assignment: the onderzoek deadline (melding + 42 d) applies.
    let events: Vec<Event> = case_one().into_iter().take(3).collect();
    let log = MemoryLog::from_events(events);
    let open = log.open_cases();
    assert_eq!(open.len(), 1);
    let as_of: DateTime<Utc> = "2020-04-01T08:00:00Z".parse().unwrap();
    let row = leadtime::open_case_row(&open[0], as_of, &Config::default());
    assert_eq!(row.team.as_deref(), Some("IGT Noord"));
    assert_eq!(row.consulent_ref.as_deref(), Some("mw-1"));
    assert_eq!(row.deadline_kind, Some("onderzoek"));
    assert_eq!(row.deadline.as_deref(), Some("2020-04-13T08:00:00+00:00"));
    assert_eq!(row.days_left, Some(12.0));
    assert_eq!(row.age_days, 30.0);
    // With an aanvraag but no beschikking: the besluit deadline (aanvraag + 14 d).
    let log = MemoryLog::from_events(case_one().into_iter().take(4));
    let row = leadtime::open_case_row(&log.open_cases()[0], as_of, &Config::default());
    assert_eq!(row.deadline_kind, Some("besluit"));
    assert_eq!(row.deadline.as_deref(), Some("2020-03-24T09:00:00+00:00"));
    assert!(row.days_left.unwrap() < 0.0);
    // Decided: closed, off the list.
    assert!(MemoryLog::from_events(case_one()).open_cases().is_empty());
}

fn workload(events: Vec<Event>, from: &str, to: &str) -> WorkloadReport {
    let log = MemoryLog::from_events(events);
    let week = |l: &str| caseflow_core::period::Period::parse_label(l).unwrap().start;
    let q = WorkloadQuery {
        gemeente: None,
        domein: None,
        team: None,
        from: Some(week(from)),
        to: Some(week(to)),
    };
    workload::report(
        log.facts().counts.iter().map(|(k, v)| (k, *v)),
        &log.formatie(),
        &q,
        &Config::default(),
    )
}

#[test]
fn workload_open_handover_and_fte() {
    let mut events = case_one();
    // Handover to IGT Zuid in week 11, and a PO case first assigned to IGT Zuid in week 11.
    events.push(ev(
        7,
        "2020-03-12T10:00:00+01:00",
        100,
        toegewezen("IGT Zuid", Dossiertype::Nieuw),
    ));
    events.push(ev(
        8,
        "2020-03-11T10:00:00+01:00",
        101,
        toegewezen("IGT Zuid", Dossiertype::PeriodiekOnderzoek),
    ));
    events.push(formatie(50, "IGT Noord", "mw-1", 0.8, "2020-01-01"));
    events.push(formatie(51, "IGT Noord", "mw-2", 1.0, "2020-01-01"));
    // mw-2 moves to IGT Zuid from Monday 9 March (week 11).
    events.push(formatie(52, "IGT Zuid", "mw-2", 0.9, "2020-03-09"));
    let r = workload(events, "2020-W10", "2020-W14");
    let row = |team: &str, week: &str| {
        r.weeks
            .iter()
            .find(|w| w.team == team && w.week == week)
            .unwrap_or_else(|| panic!("{team} {week}"))
    };
    assert_eq!(row("IGT Noord", "2020-W10").fte, 1.8);
    assert_eq!(row("IGT Noord", "2020-W11").fte, 0.8);
    assert_eq!(row("IGT Zuid", "2020-W11").fte, 0.9);
    assert_eq!(row("IGT Noord", "2020-W10").opgepakt_nieuw, 1);
    assert_eq!(row("IGT Noord", "2020-W10").open, 1);
    assert_eq!(row("IGT Noord", "2020-W10").norm_uren_open, 6.0);
    // The handover counts for the new team; the case is open there at week's end.
    assert_eq!(row("IGT Zuid", "2020-W11").opgepakt_nieuw, 1);
    assert_eq!(row("IGT Zuid", "2020-W11").opgepakt_po, 1);
    assert_eq!(row("IGT Noord", "2020-W11").open, 0);
    assert_eq!(row("IGT Zuid", "2020-W11").open, 2);
    assert_eq!(row("IGT Zuid", "2020-W11").norm_uren_open, 10.0);
    // The aanvraag (week 11, 10 March) was in IGT Noord's case then.
    assert_eq!(row("IGT Noord", "2020-W11").aanvragen, 1);
    // Case 100 closes in week 13 when its only aanvraag gets its beschikking.
    assert_eq!(row("IGT Zuid", "2020-W13").open, 1);
    assert_eq!(row("IGT Zuid", "2020-W13").beschikkingen, 1);
    // For all teams together a case counts once, in the week of its first assignment.
    assert_eq!((r.summary.opgepakt_nieuw, r.summary.opgepakt_po), (1, 1));
    assert_eq!(r.summary.weeks, 5);
    assert_eq!(r.summary.capaciteit, 6.75);
}

/// Spec §1: 26 weeks, 51 consultants with 40.91 FTE, 1,572 new cases and 2,497 PO
/// cases first assigned, 5,263 aanvragen → per FTE a week 1.5 / 2.3 / 4.9 and
/// 23.2 FTE needed.
#[test]
fn practice_figures_first_half_of_2020() {
    let mut events = Vec::new();
    // 51 consultants: 50 × 0.8 + 1 × 0.91 = 40.91 FTE, spread over 7 teams.
    let teams = [
        "IGT Noord",
        "IGT Oost",
        "IGT Zuid",
        "IGT West",
        "IGT Centrum",
        "IGT Oud-Zuid",
        "IGT Buitenwijken",
    ];
    for i in 0..51u128 {
        let fte = if i == 50 { 0.91 } else { 0.8 };
        events.push(formatie(
            900_000 + i,
            teams[i as usize % 7],
            &format!("mw-{i:03}"),
            fte,
            "2019-12-30",
        ));
    }
    // Week 1 of 2020 starts Monday 30 December 2019; spread cases over the 26 weeks.
    let start = date("2019-12-30");
    let mut id = 1u128;
    let mut case = 1_000_000u128;
    let mut aanvragen = 0;
    // 5,263 aanvragen: one per case, and a second one in 1,194 of the 4,069 cases.
    for (n, dossiertype) in [
        (1572u32, Dossiertype::Nieuw),
        (2497, Dossiertype::PeriodiekOnderzoek),
    ] {
        for i in 0..n {
            let day = start + chrono::Duration::days(i64::from(i % 182));
            events.push(ev(
                id,
                &format!("{day}T10:00:00+01:00"),
                case,
                toegewezen(teams[(i % 7) as usize], dossiertype),
            ));
            id += 1;
            let per_case = if case - 1_000_000 < 1194 { 2 } else { 1 };
            for k in 0..per_case {
                events.push(ev(
                    id,
                    &format!("{day}T1{}:00:00+01:00", 1 + k),
                    case,
                    aanvraag(id),
                ));
                id += 1;
                aanvragen += 1;
            }
            case += 1;
        }
    }
    assert_eq!(aanvragen, 5263);
    let r = workload(events, "2020-W01", "2020-W26");
    let s = &r.summary;
    assert_eq!(s.weeks, 26);
    assert!((s.fte_mean - 40.91).abs() < 1e-9, "{}", s.fte_mean);
    assert_eq!(
        (s.opgepakt_nieuw, s.opgepakt_po, s.aanvragen),
        (1572, 2497, 5263)
    );
    let one = |x: Option<f64>| format!("{:.1}", x.unwrap());
    assert_eq!(one(s.opgepakt_nieuw_per_fte_week), "1.5");
    assert_eq!(one(s.opgepakt_po_per_fte_week), "2.3");
    assert_eq!(one(s.aanvragen_per_fte_week), "4.9");
    assert_eq!(format!("{:.1}", s.benodigde_fte), "23.2");
    assert_eq!(s.capaciteit, 6.75);
}

/// A workload query over the given weeks (Mondays or any day in them) with filters.
fn workload_query(
    log: &MemoryLog,
    team: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> WorkloadReport {
    let q = WorkloadQuery {
        gemeente: None,
        domein: None,
        team: team.map(str::to_string),
        from: from.map(date),
        to: to.map(date),
    };
    workload::report(
        log.facts().counts.iter().map(|(k, v)| (k, *v)),
        &log.formatie(),
        &q,
        &Config::default(),
    )
}

/// Spec §3.3: `open` and `fte` carry forward, so a window beyond the data would
/// repeat the last week without end. A window is clamped to the weeks with data:
/// from the first week a selected team has anything to the last week of the log.
#[test]
fn workload_window_is_clamped_to_the_weeks_of_the_data() {
    // Case one: 2 March (W10) to 3 April 2020 (W14); staffing from W10.
    let mut events = case_one();
    events.push(formatie(50, "IGT Noord", "mw-1", 0.8, "2020-03-02"));
    let log = MemoryLog::from_events(events);
    let weeks =
        |r: &WorkloadReport| -> Vec<String> { r.weeks.iter().map(|w| w.week.clone()).collect() };
    let exact = workload_query(&log, None, Some("2020-03-02"), Some("2020-03-30"));
    assert_eq!(
        weeks(&exact),
        ["2020-W10", "2020-W11", "2020-W12", "2020-W13", "2020-W14"]
    );
    let everything = workload_query(&log, None, Some("0000-01-01"), Some("9999-12-31"));
    assert_eq!(everything.weeks.len(), exact.weeks.len());
    assert_eq!(everything, exact);
    assert_eq!(workload_query(&log, None, None, None), exact);
    // Open-ended on one side only.
    let later = workload_query(&log, None, Some("2020-03-16"), Some("9999-12-31"));
    assert_eq!(weeks(&later), ["2020-W12", "2020-W13", "2020-W14"]);
    assert_eq!(later.weeks[..], exact.weeks[2..]);
    // Entirely after the data: nothing.
    assert!(workload_query(&log, None, Some("2021-01-04"), None)
        .weeks
        .is_empty());
    // A planned staffing change is data too: the window reaches the Monday it
    // takes effect (geldig_vanaf Friday 1 May: from week 19).
    let mut planned = case_one();
    planned.push(formatie(50, "IGT Noord", "mw-1", 0.8, "2020-03-02"));
    planned.push(formatie(51, "IGT Noord", "mw-1", 0.6, "2020-05-01"));
    let r = workload_query(
        &MemoryLog::from_events(planned),
        None,
        Some("0000-01-01"),
        Some("9999-12-31"),
    );
    assert_eq!(
        r.weeks.last().map(|w| (w.week.as_str(), w.fte)),
        Some(("2020-W19", 0.6))
    );
    assert_eq!(r.summary.weeks, 10);
}

/// Spec §3.3: "a later event with another team moves them" — also when the query
/// asks for the old team only.
#[test]
fn workload_team_filter_counts_a_moved_consultant_for_the_new_team_only() {
    let mut events = case_one();
    events.push(formatie(50, "IGT Noord", "mw-1", 0.8, "2020-01-01"));
    events.push(formatie(51, "IGT Noord", "mw-2", 1.0, "2020-01-01"));
    // mw-2 moves to IGT Zuid from Monday 9 March (week 11).
    events.push(formatie(52, "IGT Zuid", "mw-2", 0.9, "2020-03-09"));
    let log = MemoryLog::from_events(events);
    let all = workload_query(&log, None, Some("2020-03-02"), Some("2020-03-30"));
    for team in ["IGT Noord", "IGT Zuid"] {
        let filtered = workload_query(&log, Some(team), Some("2020-03-02"), Some("2020-03-30"));
        let matching: Vec<_> = all
            .weeks
            .iter()
            .filter(|w| w.team == team)
            .cloned()
            .collect();
        assert!(!matching.is_empty(), "{team}");
        assert_eq!(filtered.weeks, matching, "{team}");
    }
    let noord = workload_query(
        &log,
        Some("IGT Noord"),
        Some("2020-03-09"),
        Some("2020-03-09"),
    );
    assert_eq!(noord.weeks[0].fte, 0.8);
    assert_eq!(noord.summary.fte_mean, 0.8);
}

/// The same log gives the same bytes: FTE sums do not depend on the order in
/// which the events (or the staffing) arrive.
#[test]
fn workload_is_byte_identical_whatever_the_order_of_the_events() {
    let mut events = case_one();
    let ftes = [
        0.1, 0.2, 0.7, 0.3, 0.45, 0.95, 1.1, 0.33, 0.67, 0.89, 0.56, 0.78,
    ];
    for i in 0..240u128 {
        events.push(formatie(
            10_000 + i,
            if i % 3 == 0 { "IGT Zuid" } else { "IGT Noord" },
            &format!("mw-{i:03}"),
            ftes[i as usize % ftes.len()],
            "2020-01-01",
        ));
    }
    let json = |events: Vec<Event>| {
        let log = MemoryLog::from_events(events);
        let r = workload_query(&log, None, Some("2020-03-02"), Some("2020-03-30"));
        assert!(r.weeks.iter().any(|w| w.fte > 50.0), "{:?}", r.weeks);
        serde_json::to_string(&r).unwrap()
    };
    let reference = json(events.clone());
    for seed in 0..16 {
        let mut shuffled = events.clone();
        caseflow_sim::shuffle(&mut shuffled, seed);
        assert_eq!(json(shuffled), reference, "order {seed}");
    }
}

// ---- corrections: a test per model --------------------------------------------

/// The stream with event `target` withdrawn, with the retraction after it and
/// before it; both must equal the stream without the event.
fn corrected(events: &[Event], target: u128) -> [MemoryLog; 3] {
    let without: Vec<Event> = events
        .iter()
        .filter(|e| e.event_id != uuid(target))
        .cloned()
        .collect();
    let r = ev(999_999, "2020-05-01T10:00:00+02:00", 100, retract(target));
    let mut after = events.to_vec();
    after.push(r.clone());
    let mut before = vec![r];
    before.extend(events.iter().cloned());
    [
        MemoryLog::from_events(without),
        MemoryLog::from_events(after),
        MemoryLog::from_events(before),
    ]
}

#[test]
fn correction_restates_throughput() {
    let q = ThroughputQuery {
        granularity: Granularity::Month,
        gemeente: None,
        domein: None,
        by_team: true,
        from: None,
        to: None,
    };
    let [want, after, before] = corrected(&case_one(), 3); // the assignment
    let rows = |l: &MemoryLog| throughput::rows(l.facts().counts.iter().map(|(k, v)| (k, *v)), &q);
    assert_eq!(rows(&after), rows(&want));
    assert_eq!(rows(&before), rows(&want));
    assert!(!rows(&want).is_empty());
    assert!(rows(&want)
        .iter()
        .all(|r| r.team.is_none() && r.toegewezen == 0));
    assert_ne!(rows(&want), rows(&MemoryLog::from_events(case_one())));
}

#[test]
fn correction_restates_lead_time() {
    let [want, after, before] = corrected(&case_one(), 4); // the aanvraag
    let rows = |l: &MemoryLog| {
        leadtime::rows(
            &l.facts().samples,
            &lq(Granularity::Month, true),
            &Config::default(),
        )
    };
    assert_eq!(rows(&after), rows(&want));
    assert_eq!(rows(&before), rows(&want));
    assert!(!rows(&want).is_empty());
    assert!(rows(&want)
        .iter()
        .all(|r| r.measure != "besluit" && r.measure != "onderzoek"));
    // The open-case list too: without the aanvraag, the beschikking closes nothing.
    assert_eq!(after.open_cases(), want.open_cases());
    assert_eq!(want.open_cases().len(), 1);
}

#[test]
fn correction_restates_workload() {
    let mut events = case_one();
    events.push(formatie(50, "IGT Noord", "mw-1", 0.8, "2020-01-01"));
    let [want, after, before] = corrected(&events, 3);
    let report = |l: &MemoryLog| {
        let q = WorkloadQuery {
            gemeente: None,
            domein: None,
            team: None,
            from: Some(date("2020-03-02")),
            to: Some(date("2020-03-30")),
        };
        workload::report(
            l.facts().counts.iter().map(|(k, v)| (k, *v)),
            &l.formatie(),
            &q,
            &Config::default(),
        )
    };
    assert_eq!(report(&after), report(&want));
    assert_eq!(report(&before), report(&want));
    assert_eq!(report(&want).summary.opgepakt_nieuw, 0);
    assert_eq!(
        report(&MemoryLog::from_events(events.clone()))
            .summary
            .opgepakt_nieuw,
        1
    );
    // Withdrawing a staffing event restates the FTE.
    let [want, after, _] = corrected(&events, 50);
    assert_eq!(report(&after), report(&want));
    assert!(!report(&want).weeks.is_empty());
    assert!(report(&want).weeks.iter().all(|w| w.fte == 0.0));
}

#[test]
fn correction_restates_overdue_po() {
    let mut events = case_one();
    events.push(ev(
        10,
        "2020-03-30T10:00:00+02:00",
        100,
        EventData::PoGepland {
            beschikking_id: uuid(300),
            gepland_op: date("2022-03-01"),
        },
    ));
    let t: DateTime<Utc> = "2020-06-01T00:00:00Z".parse().unwrap();
    let report = |l: &MemoryLog| overdue_po::report(&l.po_timelines(), t, &Config::default(), None);
    assert_eq!(
        report(&MemoryLog::from_events(events.clone())).beschikkingen[0].status,
        PoStatus::Ok
    );
    let [want, after, before] = corrected(&events, 10);
    assert_eq!(report(&after), report(&want));
    assert_eq!(report(&before), report(&want));
    assert_eq!(
        report(&want).beschikkingen[0].status,
        PoStatus::GeenPoGepland
    );
    assert_eq!(report(&want).counts["geen_po_gepland"], 1);
}

#[test]
fn po_events_before_their_beschikking_and_in_another_case() {
    // The PO was planned in a separate PO case, and arrived before the beschikking.
    let mut events = vec![ev(
        10,
        "2020-03-30T10:00:00+02:00",
        777,
        EventData::PoGepland {
            beschikking_id: uuid(300),
            gepland_op: date("2021-03-01"),
        },
    )];
    events.extend(case_one());
    let t: DateTime<Utc> = "2020-06-01T00:00:00Z".parse().unwrap();
    let r = overdue_po::report(
        &MemoryLog::from_events(events).po_timelines(),
        t,
        &Config::default(),
        None,
    );
    assert_eq!(r.beschikkingen.len(), 1);
    assert_eq!(r.beschikkingen[0].status, PoStatus::Ok);
    assert_eq!(r.beschikkingen[0].gepland_op, Some(date("2021-03-01")));
    assert_eq!(r.beschikkingen[0].team.as_deref(), Some("IGT Noord"));
}

#[test]
fn the_po_team_is_the_team_that_last_took_the_beschikking_or_its_po_up() {
    let mut events = case_one();
    events.push(ev(
        20,
        "2020-04-20T10:00:00+02:00",
        777,
        toegewezen("IGT Zuid", Dossiertype::PeriodiekOnderzoek),
    ));
    events.push(ev(
        21,
        "2020-04-27T10:00:00+02:00",
        777,
        EventData::PoUitgevoerd {
            beschikking_id: uuid(300),
            uitkomst: PoUitkomst::Ongewijzigd,
        },
    ));
    let t: DateTime<Utc> = "2020-06-01T00:00:00Z".parse().unwrap();
    let r = overdue_po::report(
        &MemoryLog::from_events(events.clone()).po_timelines(),
        t,
        &Config::default(),
        None,
    );
    assert_eq!(r.beschikkingen[0].status, PoStatus::PoZonderVervolg);
    assert_eq!(r.beschikkingen[0].team.as_deref(), Some("IGT Zuid"));
    // Before the PO case was assigned, the beschikking's own team.
    let early: DateTime<Utc> = "2020-04-15T00:00:00Z".parse().unwrap();
    let r = overdue_po::report(
        &MemoryLog::from_events(events).po_timelines(),
        early,
        &Config::default(),
        None,
    );
    assert_eq!(r.beschikkingen[0].team.as_deref(), Some("IGT Noord"));
}
