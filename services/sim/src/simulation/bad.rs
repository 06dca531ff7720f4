//! Bad lines: each derived from a valid event just output, with the `why` the
//! validator gives for it (see the crate docs for the kinds).

use serde_json::Value;

use caseflow_core::event::{is_bsn, Event, EventType};

use super::Simulator;
use crate::calendar::to_dt;
use crate::{
    SimLine, WHY_BSN, WHY_CONFLICT, WHY_INVALID_JSON, WHY_INVALID_VALUE, WHY_MISSING_FIELD,
    WHY_UNKNOWN_FIELD,
};

impl Simulator {
    /// A bad line derived from `e` (which has just been output).
    pub(super) fn make_bad(&mut self, e: &Event) -> SimLine {
        let why = self.rng.pick(&[
            (WHY_INVALID_JSON, 0.2),
            (WHY_MISSING_FIELD, 0.2),
            (WHY_INVALID_VALUE, 0.2),
            (WHY_UNKNOWN_FIELD, 0.15),
            (WHY_BSN, 0.1),
            (WHY_CONFLICT, 0.15),
        ]);
        if why == WHY_CONFLICT {
            let mut c = e.clone();
            let shift = self.rng.range(60, 7200);
            let ts = e.occurred_at.timestamp();
            let ts = if ts + shift < self.end_ts {
                ts + shift
            } else {
                ts - shift
            };
            c.occurred_at = to_dt(ts);
            return SimLine::Bad {
                line: SimLine::Event(c).to_ndjson(),
                why,
            };
        }
        let text = SimLine::Event(e.clone()).to_ndjson();
        let mut v: Value = serde_json::to_value(e).expect("an Event always serializes");
        let obj = v.as_object_mut().expect("an Event serializes to an object");
        let line = match why {
            WHY_INVALID_JSON => {
                if self.rng.chance(0.2) {
                    format!(
                        "{};{};{};{}",
                        e.event_type().as_str(),
                        e.occurred_at.format("%d-%m-%Y %H:%M"),
                        e.gemeente,
                        e.client_ref.as_deref().unwrap_or("")
                    )
                } else {
                    let mut cut = self.rng.range(1, text.len() as i64 - 2) as usize;
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    text[..cut.max(1)].to_string()
                }
            }
            WHY_MISSING_FIELD => {
                let mut keys = vec![
                    "event_id",
                    "event_type",
                    "schema_version",
                    "occurred_at",
                    "gemeente",
                    "domein",
                    "data",
                ];
                if obj.contains_key("case_id") {
                    keys.push("case_id");
                    keys.push("client_ref");
                }
                let k = keys[self.rng.range(0, keys.len() as i64 - 1) as usize];
                obj.remove(k);
                v.to_string()
            }
            WHY_INVALID_VALUE => {
                let choice = self.rng.range(0, 6);
                match choice {
                    0 => {
                        obj.insert("domein".into(), Value::from("wlz"));
                    }
                    1 => {
                        obj.insert("gemeente".into(), Value::from(e.gemeente[2..].to_string()));
                    }
                    2 => {
                        obj.insert(
                            "occurred_at".into(),
                            Value::from(e.occurred_at.format("%Y-%m-%dT%H:%M:%S").to_string()),
                        );
                    }
                    3 => {
                        obj.insert("schema_version".into(), Value::from(2));
                    }
                    4 => {
                        obj.insert(
                            "event_id".into(),
                            Value::from(e.event_id.simple().to_string()),
                        );
                    }
                    5 => {
                        obj.insert(
                            "event_type".into(),
                            Value::from(e.event_type().as_str().replace('.', "_")),
                        );
                    }
                    _ => {
                        let data = obj
                            .get_mut("data")
                            .and_then(Value::as_object_mut)
                            .expect("data is an object");
                        let (k, bad): (&str, Value) = match e.event_type() {
                            EventType::MeldingOntvangen => ("kanaal", "fax".into()),
                            EventType::MeldingBeoordeeld => ("uitkomst", "onbekend".into()),
                            EventType::CaseToegewezen => ("dossiertype", "spoed".into()),
                            EventType::AanvraagIngediend => ("soort", "verlenging".into()),
                            EventType::BeschikkingAfgegeven => {
                                ("besluit", "deels_toegekend".into())
                            }
                            EventType::PoGepland => ("gepland_op", "31-12-2021".into()),
                            EventType::PoUitgevoerd => ("uitkomst", "uitgesteld".into()),
                            EventType::ZorgGestart => ("startdatum", "2020-13-01".into()),
                            EventType::ZorgBeeindigd => ("reden", "onbekend".into()),
                            EventType::CaseAfgesloten => ("reden", "vergeten".into()),
                            EventType::FormatieVastgesteld => ("fte", Value::from(1.5)),
                            EventType::EventIngetrokken => {
                                ("ingetrokken_event_id", "n.v.t.".into())
                            }
                        };
                        data.insert(k.into(), bad);
                    }
                }
                v.to_string()
            }
            WHY_UNKNOWN_FIELD => {
                if self.rng.chance(0.5) {
                    obj.insert("opmerking".into(), Value::from("handmatig ingevoerd"));
                } else if let Some(data) = obj.get_mut("data").and_then(Value::as_object_mut) {
                    data.insert("toelichting".into(), Value::from("zie dossier"));
                }
                v.to_string()
            }
            _ => {
                // WHY_BSN
                let bsn = Value::from(self.fake_bsn());
                if obj.contains_key("client_ref") {
                    obj.insert("client_ref".into(), bsn);
                } else if let Some(data) = obj.get_mut("data").and_then(Value::as_object_mut) {
                    data.insert("consulent_ref".into(), bsn);
                }
                v.to_string()
            }
        };
        SimLine::Bad { line, why }
    }

    /// A random 9-digit number that passes the 11-test.
    fn fake_bsn(&mut self) -> String {
        loop {
            let d: Vec<i64> = (0..8).map(|_| self.rng.range(0, 9)).collect();
            let sum: i64 = (0..8).map(|i| d[i] * (9 - i as i64)).sum();
            let last = sum % 11;
            if last == 10 || d[0] == 0 {
                continue;
            }
            let s: String = d
                .iter()
                .chain(std::iter::once(&last))
                .map(|x| char::from(b'0' + *x as u8))
                .collect();
            debug_assert!(is_bsn(&s));
            return s;
        }
    }
}
