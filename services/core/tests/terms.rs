//! Legal-term early warning (spec §3.6) on hand-made streams with exact times:
//! every boundary of the warning window and the deadline, answers at T, closure,
//! several aanvragen, Jeugd, and the window configured per gemeente.

use caseflow_core::config::Config;
use caseflow_core::event::*;
use caseflow_core::model::MemoryLog;
use caseflow_core::terms::{self, Term, TermStatus, TermsFilter, TermsReport};
use chrono::{DateTime, Utc};
use uuid::Uuid;

fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn ev(id: u128, at: &str, gemeente: &str, domein: Domein, case: u128, data: EventData) -> Event {
    Event {
        event_id: uuid(id),
        occurred_at: DateTime::parse_from_rfc3339(at).unwrap(),
        gemeente: gemeente.into(),
        domein,
        case_id: Some(uuid(case)),
        client_ref: Some(format!("c-{case}")),
        source: None,
        data,
    }
}

fn wmo(id: u128, at: &str, case: u128, data: EventData) -> Event {
    ev(id, at, "GM0935", Domein::Wmo, case, data)
}

fn melding() -> EventData {
    EventData::MeldingOntvangen { kanaal: Kanaal::Telefoon, verwijzer: Verwijzer::Huisarts, wijk: None }
}
fn afgevangen() -> EventData {
    EventData::MeldingBeoordeeld { uitkomst: MeldingUitkomst::Afgevangen, reden: None }
}
fn toegewezen(team: &str) -> EventData {
    EventData::CaseToegewezen { team: team.into(), consulent_ref: None, dossiertype: Dossiertype::Nieuw }
}
fn aanvraag(a: u128) -> EventData {
    EventData::AanvraagIngediend { aanvraag_id: uuid(a), voorziening: "hulp_bij_huishouden".into(), soort: AanvraagSoort::Nieuw }
}
fn beschikking(b: u128, a: u128) -> EventData {
    EventData::BeschikkingAfgegeven {
        beschikking_id: uuid(b),
        aanvraag_id: uuid(a),
        voorziening: "hulp_bij_huishouden".into(),
        besluit: Besluit::Toegekend,
        ingangsdatum: "2020-01-01".parse().unwrap(),
        einddatum: None,
        leveringsvorm: Leveringsvorm::Zin,
        aanbieder: None,
    }
}
fn afgesloten() -> EventData {
    EventData::CaseAfgesloten { reden: AfsluitReden::Ingetrokken }
}

fn report_with(events: Vec<Event>, at: &str, config: &Config) -> TermsReport {
    let log = MemoryLog::from_events(events);
    terms::report(&log.case_terms(), t(at), config, &TermsFilter::default())
}

fn report(events: Vec<Event>, at: &str) -> TermsReport {
    report_with(events, at, &Config::default())
}

/// (term, aanvraag, status) of every open term, in the report's order.
fn statuses(r: &TermsReport) -> Vec<(Term, Option<Uuid>, TermStatus)> {
    r.terms.iter().map(|x| (x.term, x.aanvraag_id, x.status)).collect()
}

#[test]
fn onderzoek_window_and_deadline_boundaries() {
    // Melding 2020-01-01T10:00Z: deadline + 42 days = 2020-02-12T10:00Z; window 5 days.
    let s = || vec![wmo(1, "2020-01-01T10:00:00Z", 7, melding()), wmo(2, "2020-01-02T09:00:00Z", 7, toegewezen("IGT Noord"))];
    let status = |at: &str| statuses(&report(s(), at));
    assert_eq!(status("2020-01-01T09:59:59Z"), vec![], "no term before the melding");
    assert_eq!(status("2020-01-01T10:00:00Z"), vec![(Term::Onderzoek, None, TermStatus::BinnenTermijn)], "the melding at T counts");
    assert_eq!(status("2020-02-07T09:59:59Z"), vec![(Term::Onderzoek, None, TermStatus::BinnenTermijn)]);
    assert_eq!(status("2020-02-07T10:00:00Z"), vec![(Term::Onderzoek, None, TermStatus::TermijnNadert)], "exactly deadline − window");
    assert_eq!(status("2020-02-12T10:00:00Z"), vec![(Term::Onderzoek, None, TermStatus::TermijnNadert)], "exactly at the deadline");
    assert_eq!(status("2020-02-12T10:00:01Z"), vec![(Term::Onderzoek, None, TermStatus::TermijnVerstreken)], "one second after");

    let r = report(s(), "2020-02-12T10:00:01Z");
    let x = &r.terms[0];
    assert_eq!(x.case_id, uuid(7));
    assert_eq!(x.gemeente, "GM0935");
    assert_eq!(x.domein, "wmo");
    assert_eq!(x.team.as_deref(), Some("IGT Noord"));
    assert_eq!(x.start, t("2020-01-01T10:00:00Z"));
    assert_eq!(x.deadline, t("2020-02-12T10:00:00Z"));
    assert_eq!(r.counts["termijn_verstreken"], 1);
    assert_eq!(r.counts["termijn_nadert"], 0);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["terms"][0]["term"], "onderzoek");
    assert_eq!(json["terms"][0]["status"], "termijn_verstreken");
    assert_eq!(json["terms"][0]["aanvraag_id"], serde_json::Value::Null);
    assert_eq!(json["terms"][0]["deadline"], "2020-02-12T10:00:00Z");
    // The team at T: none before the assignment.
    assert_eq!(report(s(), "2020-01-01T12:00:00Z").terms[0].team, None);
}

#[test]
fn an_aanvraag_replaces_onderzoek_by_besluit_and_its_beschikking_at_t_answers_it() {
    let s = || {
        vec![
            wmo(1, "2020-01-01T10:00:00Z", 7, melding()),
            wmo(2, "2020-01-20T08:00:00Z", 7, aanvraag(100)),
            wmo(3, "2020-02-10T08:00:00Z", 7, beschikking(200, 100)),
        ]
    };
    let r = report(s(), "2020-01-20T07:59:59Z");
    assert_eq!(statuses(&r), vec![(Term::Onderzoek, None, TermStatus::BinnenTermijn)]);
    // Besluit deadline 2020-02-03T08:00Z (14 days); nadert from 2020-01-29T08:00Z.
    let r = report(s(), "2020-01-20T08:00:00Z");
    assert_eq!(statuses(&r), vec![(Term::Besluit, Some(uuid(100)), TermStatus::BinnenTermijn)]);
    assert_eq!(r.terms[0].deadline, t("2020-02-03T08:00:00Z"));
    assert_eq!(statuses(&report(s(), "2020-01-29T08:00:00Z"))[0].2, TermStatus::TermijnNadert);
    assert_eq!(statuses(&report(s(), "2020-02-03T08:00:01Z"))[0].2, TermStatus::TermijnVerstreken);
    let r = report(s(), "2020-02-10T07:59:59Z");
    assert_eq!(r.terms[0].days_left, -(7.0 * 86_400.0 - 1.0) / 86_400.0);
    assert_eq!(statuses(&report(s(), "2020-02-10T08:00:00Z")), vec![], "the beschikking at T answers the aanvraag");
}

#[test]
fn a_closed_case_has_no_terms() {
    let afgesloten_case = || vec![wmo(1, "2020-01-01T10:00:00Z", 7, melding()), wmo(2, "2020-03-01T10:00:00Z", 7, afgesloten())];
    assert_eq!(statuses(&report(afgesloten_case(), "2020-03-01T09:59:59Z"))[0].2, TermStatus::TermijnVerstreken);
    assert_eq!(statuses(&report(afgesloten_case(), "2020-03-01T10:00:00Z")), vec![]);
    let caught = vec![wmo(1, "2020-01-01T10:00:00Z", 7, melding()), wmo(2, "2020-01-03T10:00:00Z", 7, afgevangen())];
    assert_eq!(statuses(&report(caught.clone(), "2020-01-02T10:00:00Z")).len(), 1);
    assert_eq!(statuses(&report(caught, "2020-06-01T10:00:00Z")), vec![]);
    // Closed with an aanvraag still open: no term either.
    let closed_open = vec![wmo(1, "2020-01-01T10:00:00Z", 7, aanvraag(100)), wmo(2, "2020-01-05T10:00:00Z", 7, afgesloten())];
    assert_eq!(statuses(&report(closed_open, "2020-02-01T10:00:00Z")), vec![]);
}

#[test]
fn several_open_aanvragen_one_term_each_most_urgent_first() {
    let s = vec![
        wmo(1, "2020-01-01T10:00:00Z", 7, melding()),
        wmo(2, "2020-01-10T10:00:00Z", 7, aanvraag(100)),
        wmo(3, "2020-01-12T10:00:00Z", 7, aanvraag(101)),
        wmo(4, "2020-01-20T10:00:00Z", 7, aanvraag(102)),
        wmo(5, "2020-01-21T10:00:00Z", 7, beschikking(200, 101)),
        // Another case: its onderzoek term is the nearest (binnen termijn).
        wmo(6, "2020-01-21T00:00:00Z", 8, melding()),
    ];
    // At 2020-01-27T10:00Z: 100 is due 01-24 (verstreken by 3 days), 102 due 02-03
    // (binnen: 7 days left); 101 is answered. Case 8's onderzoek is due 03-03.
    let r = report(s.clone(), "2020-01-27T10:00:00Z");
    assert_eq!(
        statuses(&r),
        vec![
            (Term::Besluit, Some(uuid(100)), TermStatus::TermijnVerstreken),
            (Term::Besluit, Some(uuid(102)), TermStatus::BinnenTermijn),
            (Term::Onderzoek, None, TermStatus::BinnenTermijn),
        ]
    );
    assert_eq!(r.counts["binnen_termijn"], 2);
    // At 2020-01-30T10:00Z, 102 has 4 days left: nadert, between the two others.
    let r = report(s.clone(), "2020-01-30T10:00:00Z");
    assert_eq!(r.terms.iter().map(|x| x.status).collect::<Vec<_>>(), vec![TermStatus::TermijnVerstreken, TermStatus::TermijnNadert, TermStatus::BinnenTermijn]);
    // The status filter narrows the list, not the counts; limit cuts the list.
    let log = MemoryLog::from_events(s);
    let f = TermsFilter { status: Some(TermStatus::TermijnNadert), ..TermsFilter::default() };
    let r = terms::report(&log.case_terms(), t("2020-01-30T10:00:00Z"), &Config::default(), &f);
    assert_eq!(statuses(&r), vec![(Term::Besluit, Some(uuid(102)), TermStatus::TermijnNadert)]);
    assert_eq!(r.counts.values().sum::<u64>(), 3);
    let f = TermsFilter { limit: Some(1), ..TermsFilter::default() };
    assert_eq!(terms::report(&log.case_terms(), t("2020-01-30T10:00:00Z"), &Config::default(), &f).terms.len(), 1);
}

#[test]
fn verstreken_most_overdue_first_and_team_filter() {
    let s = vec![
        wmo(1, "2020-01-05T10:00:00Z", 7, melding()),
        wmo(2, "2020-01-06T10:00:00Z", 7, toegewezen("IGT Zuid")),
        wmo(3, "2020-01-01T10:00:00Z", 8, melding()),
        wmo(4, "2020-01-02T10:00:00Z", 8, toegewezen("IGT Noord")),
    ];
    let log = MemoryLog::from_events(s);
    let r = terms::report(&log.case_terms(), t("2020-04-01T00:00:00Z"), &Config::default(), &TermsFilter::default());
    assert_eq!(r.terms.iter().map(|x| x.case_id).collect::<Vec<_>>(), vec![uuid(8), uuid(7)]);
    assert!(r.terms[0].days_left < r.terms[1].days_left);
    let f = TermsFilter { team: Some("IGT Zuid".into()), ..TermsFilter::default() };
    let r = terms::report(&log.case_terms(), t("2020-04-01T00:00:00Z"), &Config::default(), &f);
    assert_eq!(r.terms.iter().map(|x| x.case_id).collect::<Vec<_>>(), vec![uuid(7)]);
    assert_eq!(r.counts["termijn_verstreken"], 1, "counts follow the team");
}

#[test]
fn jeugd_besluit_is_56_days_and_has_no_onderzoek_term() {
    let s = || {
        vec![
            ev(1, "2020-01-01T10:00:00Z", "GM0935", Domein::Jeugd, 9, melding()),
            ev(2, "2020-03-01T10:00:00Z", "GM0935", Domein::Jeugd, 9, aanvraag(100)),
        ]
    };
    assert_eq!(statuses(&report(s(), "2020-02-29T10:00:00Z")), vec![], "no onderzoek term in Jeugd");
    let r = report(s(), "2020-03-01T10:00:00Z");
    assert_eq!(statuses(&r), vec![(Term::Besluit, Some(uuid(100)), TermStatus::BinnenTermijn)]);
    assert_eq!(r.terms[0].deadline, t("2020-04-26T10:00:00Z"));
    assert_eq!(r.terms[0].domein, "jeugd");
    assert_eq!(statuses(&report(s(), "2020-04-21T09:59:59Z"))[0].2, TermStatus::BinnenTermijn);
    assert_eq!(statuses(&report(s(), "2020-04-21T10:00:00Z"))[0].2, TermStatus::TermijnNadert);
    assert_eq!(statuses(&report(s(), "2020-04-26T10:00:00Z"))[0].2, TermStatus::TermijnNadert);
    assert_eq!(statuses(&report(s(), "2020-04-26T10:00:01Z"))[0].2, TermStatus::TermijnVerstreken);
}

#[test]
fn window_configured_per_gemeente_and_domein() {
    let c = Config::from_json(r#"{"gemeenten": {"GM0935": {"termijn_waarschuwing_wmo_dagen": 10}, "GM0363": {"termijn_waarschuwing_wmo_dagen": 0}}}"#).unwrap();
    let s = |g: &str| vec![ev(1, "2020-01-01T10:00:00Z", g, Domein::Wmo, 7, melding())];
    // Deadline 2020-02-12T10:00Z.
    let status = |g: &str, at: &str| report_with(s(g), at, &c).terms[0].status;
    assert_eq!(status("GM0935", "2020-02-02T09:59:59Z"), TermStatus::BinnenTermijn);
    assert_eq!(status("GM0935", "2020-02-02T10:00:00Z"), TermStatus::TermijnNadert);
    assert_eq!(status("GM0344", "2020-02-02T10:00:00Z"), TermStatus::BinnenTermijn, "the default of 5 days elsewhere");
    assert_eq!(status("GM0363", "2020-02-12T09:59:59Z"), TermStatus::BinnenTermijn, "window 0");
    assert_eq!(status("GM0363", "2020-02-12T10:00:00Z"), TermStatus::TermijnNadert, "window 0: nadert only at the deadline itself");
    // The Jeugd window of GM0935 stays at the default.
    let j = vec![ev(1, "2020-01-01T10:00:00Z", "GM0935", Domein::Jeugd, 7, aanvraag(100))];
    assert_eq!(report_with(j.clone(), "2020-02-21T09:59:59Z", &c).terms[0].status, TermStatus::BinnenTermijn);
    assert_eq!(report_with(j, "2020-02-21T10:00:00Z", &c).terms[0].status, TermStatus::TermijnNadert);
}

#[test]
fn a_withdrawn_aanvraag_restores_the_onderzoek_term() {
    let s = vec![
        wmo(1, "2020-01-01T10:00:00Z", 7, melding()),
        wmo(2, "2020-01-05T10:00:00Z", 7, aanvraag(100)),
        wmo(3, "2020-01-06T10:00:00Z", 7, EventData::EventIngetrokken { ingetrokken_event_id: uuid(2), reden: "fout".into() }),
    ];
    assert_eq!(statuses(&report(s, "2020-01-10T10:00:00Z")), vec![(Term::Onderzoek, None, TermStatus::BinnenTermijn)]);
}

#[test]
fn status_parameter() {
    assert_eq!(terms::parse_status(Some("termijn_nadert")).unwrap(), Some(TermStatus::TermijnNadert));
    assert_eq!(terms::parse_status(None).unwrap(), None);
    let e = terms::parse_status(Some("nadert")).unwrap_err();
    assert_eq!(e.parameter, "status");
    assert!(e.message.contains("binnen_termijn"), "{}", e.message);
}
