//! Legal-term early warning, spec §3.6: the open legal terms of every case at a
//! reference time T.
//!
//! - Wmo, the case's first `melding.ontvangen`, no `aanvraag.ingediend` in the
//!   case yet: term `onderzoek`, deadline = melding + 42 days.
//! - Every `aanvraag.ingediend` without a `beschikking.afgegeven` for its
//!   `aanvraag_id`: term `besluit`, deadline = aanvraag + 14 days (Wmo) or 56 (Jeugd).
//!
//! Days are exact (× 86,400 s); the norms are the lead-time norms of §3.2 as
//! configured per gemeente. Status at T: `termijn_verstreken` when T > deadline,
//! `termijn_nadert` when 0 ≤ deadline − T ≤ the warning window (default 5 days,
//! per gemeente and domein), otherwise `binnen_termijn`. A case closed by §3.3's
//! rule ([`Closure`]) at T has no open term.
//!
//! "At T" follows the PO model (§3.4, [`crate::overdue_po::PoTimeline::state_at`]):
//! only events with `occurred_at` ≤ T count, so an event at exactly T has
//! happened — a beschikking at T answers its aanvraag, a melding at T starts a
//! term. The team is the case's latest assignment at or before T.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::Config;
use crate::dims::{Assignment, Assignments};
use crate::event::{Domein, Event, EventData};
use crate::leadtime::{Closure, BESLUIT, ONDERZOEK};
use crate::params::{given, ParamError};

/// One aanvraag of a case: when it was filed and when it was first answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AanvraagTerm {
    pub aanvraag_id: Uuid,
    /// The first `aanvraag.ingediend` with this id.
    pub at: DateTime<Utc>,
    /// The first `beschikking.afgegeven` for it, if any.
    pub beschikt_at: Option<DateTime<Utc>>,
}

/// What a case's terms depend on, enough to evaluate them at any T.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseTerms {
    pub case_id: Uuid,
    pub gemeente: String,
    pub domein: Domein,
    /// The case's first `melding.ontvangen`.
    pub melding_at: Option<DateTime<Utc>>,
    /// Every aanvraag in the case, in order of filing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aanvragen: Vec<AanvraagTerm>,
    /// Each instant at which the case's closure (spec §3.3) changed: (instant,
    /// closed after every event at that instant). Empty: never closed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closure: Vec<(DateTime<Utc>, bool)>,
    /// The case's assignments, in business order, for the team at T.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assignments: Vec<Assignment>,
}

fn utc(e: &Event) -> DateTime<Utc> {
    e.occurred_at.with_timezone(&Utc)
}

/// The term facts of one case from its own events, sorted by business order;
/// None when the case never has a term (no melding in Wmo, no aanvraag).
pub fn case_terms(events: &[Event], assignments: &Assignments) -> Option<CaseTerms> {
    let first = events.first()?;
    let case_id = first.case_id?;
    let melding_at = events
        .iter()
        .find(|e| matches!(e.data, EventData::MeldingOntvangen { .. }))
        .map(utc);
    let mut aanvragen: Vec<AanvraagTerm> = Vec::new();
    for e in events {
        if let EventData::AanvraagIngediend { aanvraag_id, .. } = &e.data {
            if !aanvragen.iter().any(|a| a.aanvraag_id == *aanvraag_id) {
                aanvragen.push(AanvraagTerm { aanvraag_id: *aanvraag_id, at: utc(e), beschikt_at: None });
            }
        }
    }
    for e in events {
        if let EventData::BeschikkingAfgegeven { aanvraag_id, .. } = &e.data {
            if let Some(a) = aanvragen.iter_mut().find(|a| a.aanvraag_id == *aanvraag_id && a.beschikt_at.is_none()) {
                a.beschikt_at = Some(utc(e));
            }
        }
    }
    let wmo_melding = first.domein == Domein::Wmo && melding_at.is_some();
    if !wmo_melding && aanvragen.is_empty() {
        return None;
    }
    // The closure state after each instant, by the one rule of §3.3.
    let mut state = Closure::default();
    let mut closed = false;
    let mut closure = Vec::new();
    for (i, e) in events.iter().enumerate() {
        state.apply(e);
        let last_at_instant = events.get(i + 1).is_none_or(|next| utc(next) != utc(e));
        if last_at_instant && state.closed() != closed {
            closed = state.closed();
            closure.push((utc(e), closed));
        }
    }
    Some(CaseTerms {
        case_id,
        gemeente: first.gemeente.clone(),
        domein: first.domein,
        melding_at,
        aanvragen,
        closure,
        assignments: assignments.of_case(case_id).to_vec(),
    })
}

/// The term kinds of §3.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    Onderzoek,
    Besluit,
}

impl Term {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Onderzoek => ONDERZOEK,
            Self::Besluit => BESLUIT,
        }
    }
}

/// A term's status at T, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TermStatus {
    TermijnVerstreken,
    TermijnNadert,
    BinnenTermijn,
}

impl TermStatus {
    pub const ALL: &'static [TermStatus] = &[Self::TermijnVerstreken, Self::TermijnNadert, Self::BinnenTermijn];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TermijnVerstreken => "termijn_verstreken",
            Self::TermijnNadert => "termijn_nadert",
            Self::BinnenTermijn => "binnen_termijn",
        }
    }

    pub fn parse(s: &str) -> Option<TermStatus> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }

    /// `termijn_nadert` and `termijn_verstreken` raise an alert.
    pub fn is_alert(self) -> bool {
        self != Self::BinnenTermijn
    }
}

/// The `status` parameter of the terms query, as the API and the CLI read it.
pub fn parse_status(v: Option<&str>) -> Result<Option<TermStatus>, ParamError> {
    match given("status", v)? {
        None => Ok(None),
        Some(s) => TermStatus::parse(s).map(Some).ok_or_else(|| ParamError {
            parameter: "status",
            message: format!(
                "`{s}` is not accepted; accepted: {}",
                TermStatus::ALL.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
            ),
        }),
    }
}

/// One open term at T.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenTerm {
    pub case_id: Uuid,
    /// The aanvraag awaiting its beschikking; null for `onderzoek`.
    pub aanvraag_id: Option<Uuid>,
    pub gemeente: String,
    pub domein: String,
    pub team: Option<String>,
    pub term: Term,
    /// RFC 3339: the melding (onderzoek) or the aanvraag (besluit).
    pub start: DateTime<Utc>,
    /// RFC 3339: start + the norm in exact days.
    pub deadline: DateTime<Utc>,
    pub status: TermStatus,
    /// Days from T to the deadline, exact; negative once it has passed.
    pub days_left: f64,
}

fn days(d: f64) -> Duration {
    Duration::milliseconds((d * 86_400_000.0).round() as i64)
}

/// The status of a term with `deadline` at `t`, given the warning window in days.
pub fn status_at(deadline: DateTime<Utc>, t: DateTime<Utc>, window_days: f64) -> TermStatus {
    if t > deadline {
        TermStatus::TermijnVerstreken
    } else if deadline - t <= days(window_days) {
        TermStatus::TermijnNadert
    } else {
        TermStatus::BinnenTermijn
    }
}

impl CaseTerms {
    /// Whether the case is closed at T (§3.3, events at or before T).
    pub fn closed_at(&self, t: DateTime<Utc>) -> bool {
        self.closure.iter().rev().find(|(at, _)| *at <= t).is_some_and(|(_, closed)| *closed)
    }

    /// The case's open terms at T.
    pub fn open_at(&self, t: DateTime<Utc>, config: &Config) -> Vec<OpenTerm> {
        if self.closed_at(t) {
            return Vec::new();
        }
        let p = config.params(&self.gemeente);
        let window = p.warning_window(self.domein);
        let team = self.assignments.iter().rev().find(|a| a.at <= t).map(|a| a.team.clone());
        let term = |kind: Term, aanvraag_id: Option<Uuid>, start: DateTime<Utc>, norm: f64| {
            let deadline = start + days(norm);
            OpenTerm {
                case_id: self.case_id,
                aanvraag_id,
                gemeente: self.gemeente.clone(),
                domein: self.domein.as_str().to_string(),
                team: team.clone(),
                term: kind,
                start,
                deadline,
                status: status_at(deadline, t, window),
                days_left: (deadline - t).num_milliseconds() as f64 / 86_400_000.0,
            }
        };
        let mut out = Vec::new();
        let filed: Vec<&AanvraagTerm> = self.aanvragen.iter().filter(|a| a.at <= t).collect();
        if filed.is_empty() {
            if let (Some(m), Some(norm)) = (self.melding_at.filter(|m| *m <= t), p.norm(ONDERZOEK, self.domein)) {
                out.push(term(Term::Onderzoek, None, m, norm));
            }
        }
        if let Some(norm) = p.norm(BESLUIT, self.domein) {
            for a in filed.into_iter().filter(|a| a.beschikt_at.is_none_or(|b| b > t)) {
                out.push(term(Term::Besluit, Some(a.aanvraag_id), a.at, norm));
            }
        }
        out
    }
}

/// Narrowing of the terms model: by team (counts too), by status and length (list only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TermsFilter {
    pub team: Option<String>,
    pub status: Option<TermStatus>,
    pub limit: Option<usize>,
}

/// The terms model at T: every open term, most urgent first, and counts per status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermsReport {
    pub as_of: String,
    pub terms: Vec<OpenTerm>,
    pub counts: BTreeMap<&'static str, u64>,
}

/// Every open term of `cases` at `t`. Sorted by urgency: `termijn_verstreken`
/// first (most overdue first), then `termijn_nadert` (least time left first),
/// then `binnen_termijn` (nearest deadline first); ties by case and aanvraag.
pub fn report<'a>(cases: impl IntoIterator<Item = &'a CaseTerms>, t: DateTime<Utc>, config: &Config, f: &TermsFilter) -> TermsReport {
    let mut counts: BTreeMap<&'static str, u64> = TermStatus::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    let mut list: Vec<OpenTerm> = Vec::new();
    for c in cases {
        for term in c.open_at(t, config) {
            if f.team.is_some() && term.team != f.team {
                continue;
            }
            *counts.get_mut(term.status.as_str()).expect("all statuses") += 1;
            if f.status.is_none_or(|want| want == term.status) {
                list.push(term);
            }
        }
    }
    list.sort_by(|a, b| {
        (a.status, a.deadline, a.case_id, a.aanvraag_id).cmp(&(b.status, b.deadline, b.case_id, b.aanvraag_id))
    });
    if let Some(n) = f.limit {
        list.truncate(n);
    }
    TermsReport { as_of: t.to_rfc3339(), terms: list, counts }
}
