//! What one projection key contributes to the monitor (spec §3.5) beyond the
//! throughput counts and lead-time samples the store already keeps: the case's
//! instroom and casusregie facts, the beschikking's provision facts.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::{Besluit, Domein, Event, EventData};

/// A key's monitor fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MonitorFact {
    Case(CaseFact),
    Beschikking(BeschikkingFact),
}

impl MonitorFact {
    pub fn gemeente(&self) -> &str {
        match self {
            Self::Case(c) => &c.gemeente,
            Self::Beschikking(b) => &b.gemeente,
        }
    }

    pub fn domein(&self) -> Domein {
        match self {
            Self::Case(c) => c.domein,
            Self::Beschikking(b) => b.domein,
        }
    }
}

/// A case with a melding or a beschikking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseFact {
    pub gemeente: String,
    pub domein: Domein,
    /// The `verwijzer` of the case's first `melding.ontvangen`; None without one.
    pub verwijzer: Option<String>,
    /// Every `verwijzer` of the case's meldingen (the group's categories).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verwijzers: Vec<String>,
    /// Per client, the case's first `beschikking.afgegeven` with besluit
    /// `toegekend`: (client_ref, occurred_at, event_id) — instroom.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub toegekend: Vec<(String, DateTime<Utc>, Uuid)>,
    /// The case's first `beschikking.afgegeven` (any besluit) — casusregie.
    pub eerste_beschikking: Option<DateTime<Utc>>,
    /// Distinct `consulent_ref`s of the assignments at or before it.
    #[serde(default)]
    pub consulenten: u32,
}

/// A beschikking, as the provisions at a peildatum need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BeschikkingFact {
    pub gemeente: String,
    pub domein: Domein,
    pub client_ref: Option<String>,
    pub voorziening: String,
    pub toegekend: bool,
    pub afgegeven_at: DateTime<Utc>,
    pub einddatum: Option<NaiveDate>,
    /// `zorg.gestart`: (occurred_at, startdatum).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gestart: Vec<(DateTime<Utc>, NaiveDate)>,
    /// `zorg.beeindigd`: (occurred_at, einddatum).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub beeindigd: Vec<(DateTime<Utc>, NaiveDate)>,
}

fn utc(e: &Event) -> DateTime<Utc> {
    e.occurred_at.with_timezone(&Utc)
}

/// The monitor fact of a case from its own events, sorted; None when the case has
/// neither a melding nor a beschikking.
pub fn case_fact(events: &[Event]) -> Option<MonitorFact> {
    let first = events.first()?;
    let mut fact = CaseFact {
        gemeente: first.gemeente.clone(),
        domein: first.domein,
        verwijzer: None,
        verwijzers: Vec::new(),
        toegekend: Vec::new(),
        eerste_beschikking: None,
        consulenten: 0,
    };
    let mut consulenten: Vec<&str> = Vec::new();
    let mut relevant = false;
    for e in events {
        match &e.data {
            EventData::MeldingOntvangen { verwijzer, .. } => {
                relevant = true;
                let v = verwijzer.as_str().to_string();
                if fact.verwijzer.is_none() {
                    fact.verwijzer = Some(v.clone());
                }
                if !fact.verwijzers.contains(&v) {
                    fact.verwijzers.push(v);
                }
            }
            EventData::CaseToegewezen { consulent_ref: Some(c), .. } if fact.eerste_beschikking.is_none() => {
                if !consulenten.contains(&c.as_str()) {
                    consulenten.push(c);
                }
            }
            EventData::BeschikkingAfgegeven { besluit, .. } => {
                relevant = true;
                let at = utc(e);
                if fact.eerste_beschikking.is_none() {
                    fact.eerste_beschikking = Some(at);
                    // Assignments at the same instant as the beschikking count ("at or before").
                    for later in events.iter().filter(|x| utc(x) == at) {
                        if let EventData::CaseToegewezen { consulent_ref: Some(c), .. } = &later.data {
                            if !consulenten.contains(&c.as_str()) {
                                consulenten.push(c);
                            }
                        }
                    }
                    fact.consulenten = consulenten.len() as u32;
                }
                if *besluit == Besluit::Toegekend {
                    if let Some(client) = &e.client_ref {
                        if !fact.toegekend.iter().any(|(c, _, _)| c == client) {
                            fact.toegekend.push((client.clone(), at, e.event_id));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    fact.verwijzers.sort();
    relevant.then_some(MonitorFact::Case(fact))
}

/// The monitor fact of beschikking `b` from its events (sorted); None without a
/// `beschikking.afgegeven`.
pub fn beschikking_fact(b: Uuid, events: &[Event]) -> Option<MonitorFact> {
    let (e, voorziening, besluit, einddatum) = events.iter().find_map(|e| match &e.data {
        EventData::BeschikkingAfgegeven { beschikking_id, voorziening, besluit, einddatum, .. }
            if *beschikking_id == b =>
        {
            Some((e, voorziening, besluit, einddatum))
        }
        _ => None,
    })?;
    let mut fact = BeschikkingFact {
        gemeente: e.gemeente.clone(),
        domein: e.domein,
        client_ref: e.client_ref.clone(),
        voorziening: voorziening.clone(),
        toegekend: *besluit == Besluit::Toegekend,
        afgegeven_at: utc(e),
        einddatum: *einddatum,
        gestart: Vec::new(),
        beeindigd: Vec::new(),
    };
    // Only events of the beschikking's own gemeente and domein count.
    for x in events.iter().filter(|x| x.gemeente == fact.gemeente && x.domein == fact.domein) {
        match &x.data {
            EventData::ZorgGestart { beschikking_id, startdatum, .. } if *beschikking_id == b => {
                fact.gestart.push((utc(x), *startdatum));
            }
            EventData::ZorgBeeindigd { beschikking_id, einddatum, .. } if *beschikking_id == b => {
                fact.beeindigd.push((utc(x), *einddatum));
            }
            _ => {}
        }
    }
    Some(MonitorFact::Beschikking(fact))
}
