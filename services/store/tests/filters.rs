//! Every filter of every read model is a selection: a query filtered by gemeente,
//! domein, team or a period window gives exactly the matching rows of the
//! unfiltered query (spec §3: every model per gemeente, domein and team). Streams
//! from the simulator with extra moves of consultants between teams, on SQLite.
//! And the workload window is bounded by the data, whatever the request.

use std::collections::{BTreeMap, BTreeSet};

use caseflow_core::event::{Domein, Event, EventData};
use caseflow_core::leadtime::LeadtimeQuery;
use caseflow_core::overdue_po::{PoFilter, PoStatus};
use caseflow_core::period::{Granularity, Period};
use caseflow_core::throughput::{self, ThroughputQuery};
use caseflow_core::workload::{self, WorkloadQuery, WorkloadReport};
use caseflow_sim::{events, shuffle, SimConfig};
use caseflow_store::{Incoming, Store};
use caseflow_tests::Rng;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use proptest::prelude::*;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn temp_db(tag: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!(
        "caseflow-store-{tag}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/t.db", dir.display());
    (dir, url)
}

/// Each consultant's teams, per (gemeente, consulent_ref), from the staffing events.
fn teams_of_consultants(events: &[Event]) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for e in events {
        if let EventData::FormatieVastgesteld { team, consulent_ref, .. } = &e.data {
            out.entry((e.gemeente.clone(), consulent_ref.clone())).or_default().insert(team.clone());
        }
    }
    out
}

/// A simulated stream (January–March 2020, two gemeenten) with, on top, `moves`
/// consultants moved to another team of their gemeente and domein from a random
/// day, some of them back again later.
fn stream(seed: u64, moves: usize) -> Vec<Event> {
    let mut events = events(SimConfig {
        seed,
        gemeenten: 2,
        from: date("2020-01-01"),
        to: date("2020-03-31"),
        scale: 0.05,
        bad_fraction: 0.0,
        duplicate_fraction: 0.02,
    });
    let staffing: Vec<Event> =
        events.iter().filter(|e| matches!(e.data, EventData::FormatieVastgesteld { .. })).cloned().collect();
    let mut teams: BTreeMap<(String, Domein), BTreeSet<String>> = BTreeMap::new();
    for e in &events {
        if let EventData::FormatieVastgesteld { team, .. } | EventData::CaseToegewezen { team, .. } = &e.data {
            teams.entry((e.gemeente.clone(), e.domein)).or_default().insert(team.clone());
        }
    }
    let mut rng = Rng(seed ^ 0x5eed);
    let amsterdam = FixedOffset::east_opt(3600).unwrap();
    for _ in 0..moves {
        let from = &staffing[rng.below(staffing.len())];
        let EventData::FormatieVastgesteld { team, consulent_ref, fte, .. } = &from.data else { unreachable!() };
        let others: Vec<&String> = teams[&(from.gemeente.clone(), from.domein)].iter().filter(|t| *t != team).collect();
        let mut move_to = |to_team: &str, geldig_vanaf: NaiveDate, rng: &mut Rng| {
            let at = geldig_vanaf.and_hms_opt(9, 0, 0).unwrap() - Duration::days(3);
            events.push(Event {
                event_id: uuid::Uuid::from_u64_pair(rng.next_u64(), rng.next_u64()),
                occurred_at: DateTime::<FixedOffset>::from_naive_utc_and_offset(at - Duration::hours(1), amsterdam),
                gemeente: from.gemeente.clone(),
                domein: from.domein,
                case_id: None,
                client_ref: None,
                source: Some("test-moves".into()),
                data: EventData::FormatieVastgesteld {
                    team: to_team.to_string(),
                    consulent_ref: consulent_ref.clone(),
                    fte: if *fte > 0.0 { *fte } else { 0.8 },
                    geldig_vanaf,
                },
            });
        };
        let new_team = others[rng.below(others.len())].clone();
        let day = date("2020-01-08") + Duration::days(rng.below(60) as i64);
        move_to(&new_team, day, &mut rng);
        if rng.below(3) == 0 {
            move_to(team, day + Duration::days(7 + rng.below(30) as i64), &mut rng);
        }
    }
    events
}

async fn ingest(store: &Store, events: &[Event]) {
    let batch = events
        .iter()
        .enumerate()
        .map(|(i, e)| Incoming { position: format!("line {}", i + 1), raw: serde_json::to_vec(e).unwrap() })
        .collect();
    let report = store.append("test", batch).await.unwrap();
    assert_eq!(report.rejected, 0);
    store.project_pending(500).await.unwrap();
}

/// The Monday of a period label's period.
fn start(label: &str) -> NaiveDate {
    Period::parse_label(label).unwrap_or_else(|| panic!("label {label}")).start
}

/// Windows to filter by, as (first day, last day) aligned to `g`'s periods.
fn windows(g: Granularity, first: NaiveDate, last: NaiveDate, rng: &mut Rng) -> Vec<(NaiveDate, NaiveDate)> {
    let periods: Vec<NaiveDate> = std::iter::successors(Some(Period::containing(g, first)), |p| Some(p.next()))
        .take_while(|p| p.start <= last)
        .map(|p| p.start)
        .collect();
    let end_of = |d: NaiveDate| Period::containing(g, d).last_day();
    let mut out = vec![(periods[0], end_of(*periods.last().unwrap()))];
    for _ in 0..3 {
        let a = rng.below(periods.len());
        let b = a + rng.below(periods.len() - a);
        out.push((periods[a], end_of(periods[b])));
    }
    out
}

/// What the comparisons covered, to show they were not vacuous.
#[derive(Debug, Default)]
struct Covered {
    /// Non-empty filtered results compared, by model.
    non_empty: BTreeMap<&'static str, usize>,
}

impl Covered {
    fn saw(&mut self, model: &'static str, rows: usize) {
        if rows > 0 {
            *self.non_empty.entry(model).or_default() += 1;
        }
    }
}

fn tq(g: Granularity, by_team: bool) -> ThroughputQuery {
    ThroughputQuery { granularity: g, gemeente: None, domein: None, by_team, from: None, to: None }
}

fn wq() -> WorkloadQuery {
    WorkloadQuery { gemeente: None, domein: None, team: None, from: None, to: None }
}

/// Compare every filtered query of every model with the unfiltered one.
async fn check_filters(store: &Store, seed: u64) -> Covered {
    let mut cov = Covered::default();
    let mut rng = Rng(seed);
    let all_wl = store.workload(&wq()).await.unwrap();
    // The same query again gives the same bytes.
    assert_eq!(
        serde_json::to_string(&all_wl).unwrap(),
        serde_json::to_string(&store.workload(&wq()).await.unwrap()).unwrap()
    );
    let gemeenten: BTreeSet<String> = all_wl.weeks.iter().map(|w| w.gemeente.clone()).collect();
    let scopes: BTreeSet<(String, String, String)> =
        all_wl.weeks.iter().map(|w| (w.gemeente.clone(), w.domein.clone(), w.team.clone())).collect();
    let team_names: BTreeSet<String> = scopes.iter().map(|s| s.2.clone()).collect();
    assert!(gemeenten.len() >= 2 && team_names.len() >= 4, "{gemeenten:?} {team_names:?}");
    let (first, last) = (start(&all_wl.summary.from), start(&all_wl.summary.to) + Duration::days(6));

    // Workload: gemeente, domein, team (alone and within its gemeente and domein), window.
    let mut wl_filters: Vec<WorkloadQuery> = Vec::new();
    for g in &gemeenten {
        wl_filters.push(WorkloadQuery { gemeente: Some(g.clone()), ..wq() });
    }
    for d in ["wmo", "jeugd"] {
        wl_filters.push(WorkloadQuery { domein: Some(d.into()), ..wq() });
    }
    for t in &team_names {
        wl_filters.push(WorkloadQuery { team: Some(t.clone()), ..wq() });
    }
    for (g, d, t) in &scopes {
        wl_filters.push(WorkloadQuery { gemeente: Some(g.clone()), domein: Some(d.clone()), team: Some(t.clone()), ..wq() });
    }
    for (from, to) in windows(Granularity::Week, first, last, &mut rng) {
        wl_filters.push(WorkloadQuery { from: Some(from), to: Some(to), ..wq() });
        let t = team_names.iter().nth(rng.below(team_names.len())).unwrap();
        wl_filters.push(WorkloadQuery { team: Some(t.clone()), from: Some(from), to: Some(to), ..wq() });
    }
    // Beyond the data on either side.
    wl_filters.push(WorkloadQuery { from: Some(date("0000-01-01")), to: Some(date("9999-12-31")), ..wq() });
    for q in &wl_filters {
        let got = store.workload(q).await.unwrap();
        let want: Vec<_> = all_wl
            .weeks
            .iter()
            .filter(|w| {
                q.gemeente.as_ref().is_none_or(|g| *g == w.gemeente)
                    && q.domein.as_ref().is_none_or(|d| *d == w.domein)
                    && q.team.as_ref().is_none_or(|t| *t == w.team)
                    && q.from.is_none_or(|f| start(&w.week) >= workload::monday(f))
                    && q.to.is_none_or(|t| start(&w.week) <= workload::monday(t))
            })
            .cloned()
            .collect();
        assert!(got.weeks == want, "workload {q:?}: {}", first_difference(&got, &want));
        cov.saw("workload", want.len());
    }

    // Throughput and lead time: gemeente, domein, window (whole periods), by team or not.
    for g in [Granularity::Week, Granularity::Month] {
        for by_team in [false, true] {
            let all = store.throughput(&tq(g, by_team)).await.unwrap();
            let lq = |q: &ThroughputQuery| LeadtimeQuery {
                granularity: q.granularity,
                gemeente: q.gemeente.clone(),
                domein: q.domein.clone(),
                by_team: q.by_team,
                from: q.from,
                to: q.to,
                measure: None,
            };
            let all_lt = store.leadtime(&lq(&tq(g, by_team))).await.unwrap();
            let mut filters: Vec<ThroughputQuery> = Vec::new();
            for gm in &gemeenten {
                filters.push(ThroughputQuery { gemeente: Some(gm.clone()), ..tq(g, by_team) });
            }
            for d in ["wmo", "jeugd"] {
                filters.push(ThroughputQuery { domein: Some(d.into()), ..tq(g, by_team) });
            }
            for (from, to) in windows(g, first, last, &mut rng) {
                filters.push(ThroughputQuery { from: Some(from), to: Some(to), ..tq(g, by_team) });
                let gm = gemeenten.iter().nth(rng.below(gemeenten.len())).unwrap();
                filters.push(ThroughputQuery { gemeente: Some(gm.clone()), domein: Some("wmo".into()), from: Some(from), to: Some(to), ..tq(g, by_team) });
            }
            for q in &filters {
                let selects = |gemeente: &str, domein: &str, period: &str| {
                    q.gemeente.as_ref().is_none_or(|x| x == gemeente)
                        && q.domein.as_ref().is_none_or(|x| x == domein)
                        && q.from.is_none_or(|f| start(period) >= f)
                        && q.to.is_none_or(|t| start(period) <= t)
                };
                let got = store.throughput(q).await.unwrap();
                let want: Vec<_> = all.iter().filter(|r| selects(&r.gemeente, &r.domein, &r.period)).cloned().collect();
                assert_eq!(got, want, "throughput {q:?}");
                cov.saw("throughput", want.len());
                let got = store.leadtime(&lq(q)).await.unwrap();
                let want: Vec<_> = all_lt.iter().filter(|r| selects(&r.gemeente, &r.domein, &r.period)).cloned().collect();
                assert_eq!(got, want, "leadtime {q:?}");
                cov.saw("leadtime", want.len());
            }
            // And by measure.
            for m in ["toewijzing", "besluit"] {
                let q = LeadtimeQuery { measure: Some(m.into()), ..lq(&tq(g, by_team)) };
                let got = store.leadtime(&q).await.unwrap();
                let want: Vec<_> = all_lt.iter().filter(|r| r.measure == m).cloned().collect();
                assert_eq!(got, want, "leadtime {q:?}");
                cov.saw("leadtime", want.len());
            }
        }
    }

    // Overdue PO and the open cases: gemeente, domein, team (and PO status), at two times.
    for as_of in ["2020-02-15T12:00:00Z", "2020-04-01T00:00:00Z"] {
        let as_of: DateTime<Utc> = as_of.parse().unwrap();
        let all_po = store.po_filtered(None, None, as_of, &PoFilter::default()).await.unwrap();
        let all_open = store.open_cases(None, None, None, as_of).await.unwrap();
        let po_teams: BTreeSet<Option<String>> = all_po.beschikkingen.iter().map(|b| b.team.clone()).collect();
        let mut filters: Vec<(Option<String>, Option<String>, Option<String>)> = Vec::new();
        for g in &gemeenten {
            filters.push((Some(g.clone()), None, None));
        }
        for d in ["wmo", "jeugd"] {
            filters.push((None, Some(d.into()), None));
        }
        for t in team_names.iter().chain(po_teams.iter().flatten()) {
            filters.push((None, None, Some(t.clone())));
            let g = gemeenten.iter().nth(rng.below(gemeenten.len())).unwrap();
            filters.push((Some(g.clone()), Some("wmo".into()), Some(t.clone())));
        }
        for (g, d, t) in &filters {
            let selects = |gemeente: &str, domein: &str, team: Option<&String>| {
                g.as_ref().is_none_or(|x| x == gemeente)
                    && d.as_ref().is_none_or(|x| x == domein)
                    && t.as_ref().is_none_or(|x| Some(x) == team)
            };
            for status in [None, Some(PoStatus::Ok), Some(PoStatus::GeenPoGepland)] {
                let f = PoFilter { team: t.clone(), status, limit: None };
                let got = store.po_filtered(g.as_deref(), d.as_deref(), as_of, &f).await.unwrap();
                let matching: Vec<_> =
                    all_po.beschikkingen.iter().filter(|b| selects(&b.gemeente, &b.domein, b.team.as_ref())).cloned().collect();
                let mut counts: BTreeMap<&'static str, u64> = PoStatus::ALL.iter().map(|s| (s.as_str(), 0)).collect();
                for b in &matching {
                    *counts.get_mut(b.status.as_str()).unwrap() += 1;
                }
                let want: Vec<_> = matching.into_iter().filter(|b| status.is_none_or(|s| s == b.status)).collect();
                assert_eq!(got.beschikkingen, want, "po {g:?} {d:?} {t:?} {status:?}");
                assert_eq!(got.counts, counts, "po counts {g:?} {d:?} {t:?}");
                cov.saw("po", want.len());
            }
            let got = store.open_cases(g.as_deref(), d.as_deref(), t.as_deref(), as_of).await.unwrap();
            let want: Vec<_> = all_open.iter().filter(|c| selects(&c.gemeente, &c.domein, c.team.as_ref())).cloned().collect();
            assert_eq!(got, want, "open cases {g:?} {d:?} {t:?}");
            cov.saw("open_cases", want.len());
        }
    }
    cov
}

fn first_difference(got: &WorkloadReport, want: &[workload::WeekRow]) -> String {
    for (i, (g, w)) in got.weeks.iter().zip(want).enumerate() {
        if g != w {
            return format!("row {i}: got {g:?}, want {w:?}");
        }
    }
    format!("{} rows, want {}", got.weeks.len(), want.len())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn a_filtered_query_is_the_matching_rows_of_the_unfiltered_one(seed in 0u64..1000, moves in 4usize..12) {
        let events = stream(seed, moves);
        // The data has what the filters must tell apart: two gemeenten, moves between teams.
        let moved = teams_of_consultants(&events).values().filter(|t| t.len() > 1).count();
        prop_assert!(moved >= 2, "only {moved} consultants moved");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (dir, url) = temp_db("filters");
        let cov = rt.block_on(async {
            let store = Store::open(&url).await.unwrap();
            ingest(&store, &events).await;
            let cov = check_filters(&store, seed).await;
            store.close().await;
            cov
        });
        let _ = std::fs::remove_dir_all(dir);
        for model in ["workload", "throughput", "leadtime", "po", "open_cases"] {
            prop_assert!(cov.non_empty.get(model).is_some_and(|n| *n >= 3), "{model}: {cov:?}");
        }
    }
}

/// Issue 20: `from=0000-01-01` asked for 521,000 weeks per team. The window is
/// the weeks of the data: from the first week of anything to the last.
#[tokio::test]
async fn the_workload_window_is_the_weeks_of_the_data() {
    let events = stream(5, 4);
    let (dir, url) = temp_db("window");
    let store = Store::open(&url).await.unwrap();
    ingest(&store, &events).await;
    // The data's weeks, from the stored daily counts and the staffing.
    let all_metrics: Vec<&str> = throughput::METRICS
        .iter()
        .copied()
        .chain([workload::WL_OPGEPAKT, workload::WL_EERSTE, workload::WL_OPEN])
        .collect();
    let counts = store.daily_counts(&all_metrics, &tq(Granularity::Day, true)).await.unwrap();
    let counts: Vec<_> = counts.into_iter().filter(|(_, v)| *v != 0.0).collect();
    // A staffing event counts from the first Monday on or after its geldig_vanaf.
    let staffing: Vec<NaiveDate> =
        store.formatie().await.unwrap().iter().map(|f| workload::monday(f.geldig_vanaf + Duration::days(6))).collect();
    // First: the first week a team has anything; last: the last week of anything.
    let team_weeks = counts.iter().filter(|(k, _)| k.dims.team.is_some()).map(|(k, _)| workload::monday(k.day));
    let first = team_weeks.chain(staffing.iter().copied()).min().unwrap();
    let last = counts.iter().map(|(k, _)| workload::monday(k.day)).chain(staffing.iter().copied()).max().unwrap();
    let n_weeks = ((last - first).num_days() / 7 + 1) as u64;
    assert!(n_weeks > 20, "{first} {last}");

    let exact = store.workload(&WorkloadQuery { from: Some(first), to: Some(last), ..wq() }).await.unwrap();
    assert_eq!(exact.summary.weeks, n_weeks);
    let labels: BTreeSet<&str> = exact.weeks.iter().map(|w| w.week.as_str()).collect();
    assert_eq!(labels.len() as u64, n_weeks);
    for (from, to) in [("2010-01-01", "2030-12-31"), ("0000-01-01", "9999-12-31")] {
        let q = WorkloadQuery { from: Some(date(from)), to: Some(date(to)), ..wq() };
        let wide = store.workload(&q).await.unwrap();
        assert_eq!(wide.summary.weeks, n_weeks, "{from}..{to}");
        assert_eq!(wide, exact, "{from}..{to}");
    }
    assert_eq!(store.workload(&wq()).await.unwrap(), exact);
    // A team-filtered wide request: the same rows for that team.
    let team = exact.weeks[0].team.clone();
    let q = WorkloadQuery { team: Some(team.clone()), from: Some(date("0000-01-01")), to: Some(date("9999-12-31")), ..wq() };
    let want: Vec<_> = exact.weeks.iter().filter(|w| w.team == team).cloned().collect();
    assert!(!want.is_empty());
    assert_eq!(store.workload(&q).await.unwrap().weeks, want);
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Issue 20: the same query on the same data gave outputs differing in the last
/// bit. The same events stored in different orders give the same bytes.
#[tokio::test]
async fn the_workload_is_byte_identical_whatever_the_insertion_order() {
    let mut events = stream(9, 6);
    // Many consultants of one team with fte whose float sum depends on the order.
    let ftes = [0.1, 0.2, 0.7, 0.3, 0.45, 0.95, 1.1, 0.33, 0.67, 0.89, 0.56, 0.78];
    let template = events.iter().find(|e| matches!(e.data, EventData::FormatieVastgesteld { .. })).unwrap().clone();
    for i in 0..200u64 {
        let mut e = template.clone();
        e.event_id = uuid::Uuid::from_u64_pair(0xf7e, i);
        if let EventData::FormatieVastgesteld { consulent_ref, fte, .. } = &mut e.data {
            *consulent_ref = format!("mw-extra-{i:03}");
            *fte = ftes[i as usize % ftes.len()];
        }
        events.push(e);
    }
    let mut outputs = BTreeSet::new();
    for order in 0..3u64 {
        let mut input = events.clone();
        if order > 0 {
            shuffle(&mut input, order);
        }
        let (dir, url) = temp_db("bytes");
        let store = Store::open(&url).await.unwrap();
        ingest(&store, &input).await;
        for _ in 0..3 {
            outputs.insert(serde_json::to_string(&store.workload(&wq()).await.unwrap()).unwrap());
        }
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
    assert_eq!(outputs.len(), 1, "{} different outputs", outputs.len());
}

/// The same on PostgreSQL (a server of the test's own): every filter is a
/// selection, and the workload is byte for byte what SQLite gives.
#[tokio::test]
async fn postgres_filters_and_workload_equal_sqlite() {
    let events = stream(17, 6);
    let pg = Store::open(&caseflow_tests::pg::PgServer::shared().database()).await.unwrap();
    ingest(&pg, &events).await;
    let cov = check_filters(&pg, 17).await;
    assert!(cov.non_empty.get("workload").is_some_and(|n| *n >= 3), "{cov:?}");
    let (dir, url) = temp_db("pg-compare");
    let sqlite = Store::open(&url).await.unwrap();
    ingest(&sqlite, &events).await;
    let wide = WorkloadQuery { from: Some(date("0000-01-01")), to: Some(date("9999-12-31")), ..wq() };
    let team = WorkloadQuery { team: Some("IGT Noord".into()), ..wq() };
    for q in [wq(), wide, team] {
        let (a, b) = (pg.workload(&q).await.unwrap(), sqlite.workload(&q).await.unwrap());
        assert!(!a.weeks.is_empty(), "{q:?}");
        assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap(), "{q:?}");
    }
    pg.close().await;
    sqlite.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
