//! For random streams from the core's generator, the read models are identical
//! for any permutation of the stream and any duplication of its events.

use caseflow_core::config::Config;
use caseflow_core::leadtime::{self, LeadtimeQuery};
use caseflow_core::model::MemoryLog;
use caseflow_core::overdue_po;
use caseflow_core::period::Granularity;
use caseflow_core::throughput::{rows, ThroughputQuery};
use caseflow_core::workload::{self, WorkloadQuery};
use caseflow_core::Event;
use caseflow_sim::{events, shuffle, SimConfig};
use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use proptest::prelude::*;

fn small_stream(seed: u64) -> Vec<Event> {
    events(SimConfig {
        seed,
        gemeenten: 2,
        from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2020, 3, 31).unwrap(),
        scale: 0.03,
        bad_fraction: 0.0,
        duplicate_fraction: 0.02,
    })
}

fn query(g: Granularity, by_team: bool) -> ThroughputQuery {
    ThroughputQuery {
        granularity: g,
        gemeente: None,
        domein: None,
        by_team,
        from: None,
        to: None,
    }
}

/// Shuffle with a seeded Fisher–Yates, and repeat some events.
fn permute_and_duplicate(events: &[Event], seed: u64, dup_every: usize) -> Vec<Event> {
    let mut out: Vec<Event> = events.to_vec();
    for (i, e) in events.iter().enumerate() {
        if dup_every > 0 && i % dup_every == 0 {
            out.push(e.clone());
        }
    }
    shuffle(&mut out, seed);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn throughput_is_order_and_duplicate_independent(stream_seed in 0u64..1000, shuffle_seed in any::<u64>(), dup_every in 1usize..7) {
        let stream = small_stream(stream_seed);
        prop_assert!(stream.len() > 100, "the generator gave only {} events", stream.len());
        let reference_log = MemoryLog::from_events(stream.clone());
        let shuffled_log = MemoryLog::from_events(permute_and_duplicate(&stream, shuffle_seed, dup_every));
        // Every key's facts: counts, lead-time samples, open cases, PO timelines.
        prop_assert_eq!(reference_log.facts_by_key(), shuffled_log.facts_by_key());
        let reference = reference_log.facts();
        let shuffled = shuffled_log.facts();
        prop_assert_eq!(&reference, &shuffled);
        // And the query-time models built on them.
        let config = Config::default();
        let t: DateTime<Utc> = "2020-03-15T12:00:00Z".parse().unwrap();
        prop_assert_eq!(
            overdue_po::report(&reference_log.po_timelines(), t, &config, None),
            overdue_po::report(&shuffled_log.po_timelines(), t, &config, None)
        );
        let wq = WorkloadQuery { gemeente: None, domein: None, team: None, from: None, to: None };
        let mut a_staff = reference_log.formatie();
        let mut b_staff = shuffled_log.formatie();
        a_staff.sort_by_key(|f| f.event_id);
        b_staff.sort_by_key(|f| f.event_id);
        prop_assert_eq!(
            workload::report(reference.counts.iter().map(|(k, v)| (k, *v)), &a_staff, &wq, &config),
            workload::report(shuffled.counts.iter().map(|(k, v)| (k, *v)), &b_staff, &wq, &config)
        );
        let lq = LeadtimeQuery { granularity: Granularity::Month, gemeente: None, domein: None, by_team: true, from: None, to: None, measure: None };
        prop_assert_eq!(leadtime::rows(&reference.samples, &lq, &config), leadtime::rows(&shuffled.samples, &lq, &config));
        for g in [Granularity::Day, Granularity::Week, Granularity::Quarter] {
            for by_team in [false, true] {
                let q = query(g, by_team);
                let a = rows(reference.counts.iter().map(|(k, v)| (k, *v)), &q);
                let b = rows(shuffled.counts.iter().map(|(k, v)| (k, *v)), &q);
                prop_assert_eq!(a, b);
            }
        }
    }
}

#[test]
fn the_property_is_not_vacuous() {
    // Dropping one event must change the model: the comparison above can fail.
    let stream = small_stream(7);
    let full = MemoryLog::from_events(stream.clone());
    for t in [
        "melding.ontvangen",
        "aanvraag.ingediend",
        "zorg.gestart",
        "case.toegewezen",
    ] {
        let idx = stream
            .iter()
            .position(|e| e.event_type().as_str() == t)
            .unwrap();
        let mut fewer = stream.clone();
        fewer.remove(idx);
        assert_ne!(
            full.facts_by_key(),
            MemoryLog::from_events(fewer).facts_by_key(),
            "dropping a {t} changed nothing"
        );
    }
}

#[test]
fn a_retraction_restates_the_model_in_any_order() {
    let stream = small_stream(11);
    let target = stream
        .iter()
        .find(|e| e.event_type().as_str() == "aanvraag.ingediend")
        .unwrap()
        .clone();
    let without: Vec<Event> = stream
        .iter()
        .filter(|e| e.event_id != target.event_id)
        .cloned()
        .collect();
    // A correction comes from the target's own gemeente and domein (its case).
    let mut retraction = stream.iter().find(|e| e.case_id == target.case_id).unwrap().clone();
    retraction.event_id = uuid::Uuid::from_u128(0xfeed);
    retraction.data = caseflow_core::EventData::EventIngetrokken {
        ingetrokken_event_id: target.event_id,
        reden: "dubbel".into(),
    };
    let expected = MemoryLog::from_events(without).facts();
    // Retraction after the event, and before it.
    let mut after = stream.clone();
    after.push(retraction.clone());
    let mut before = vec![retraction.clone()];
    before.extend(stream.clone());
    assert_eq!(MemoryLog::from_events(after).facts(), expected);
    assert_eq!(MemoryLog::from_events(before).facts(), expected);

    // The same correction from another gemeente (in a case of its own) withdraws
    // nothing: the model equals that with a correction of an unknown event.
    let mut foreign = retraction;
    foreign.gemeente = if target.gemeente == "GM0001" { "GM0002" } else { "GM0001" }.into();
    foreign.case_id = Some(uuid::Uuid::from_u128(0xcafe));
    let mut void = foreign.clone();
    void.data = caseflow_core::EventData::EventIngetrokken {
        ingetrokken_event_id: uuid::Uuid::from_u128(0xdead),
        reden: "dubbel".into(),
    };
    let with = |extra: Event| MemoryLog::from_events(stream.iter().cloned().chain([extra])).facts();
    let unchanged = with(void);
    assert_ne!(unchanged, expected);
    assert_eq!(with(foreign), unchanged);
}

