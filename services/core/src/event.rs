//! The event contract of spec §2: the envelope, one typed `data` per event type,
//! and validation of every rule a producer must follow.
//!
//! Parsing is strict: unknown fields are rejected, enums are closed, no string
//! holds a control character, times, dates and identifiers must be plausible, and
//! no value holding a BSN, however written, may enter the system (see [`bsn`]).
//! The error a producer sees names the field and says what it accepts; where it
//! quotes the input it does so through [`echo`], so a rejection reason (stored
//! and served with the dead letter) never holds a BSN or a control character.
//!
//! Plausible ranges (docs/decisions.md):
//! * `occurred_at`: the year as written 1990 to 2099, offset −12:00 to +14:00, no
//!   leap second (`:60`);
//! * dates: 1950-01-01 to 2199-12-31;
//! * UUIDs: not the nil UUID;
//! * `fte`: `-0` is read as 0.

pub mod bsn;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

pub use bsn::{contains_bsn, is_bsn, mask_bsn, mask_bsn_text};

/// Why an event was rejected. `field` is a JSON path such as `data.kanaal`.
///
/// The text (`Display`) is stored and served as the dead letter's reason, so it
/// never holds a control character or a BSN: every string in it is passed
/// through [`safe_text`] once more when it is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("not valid JSON: {}", safe_text(.0))]
    Json(String),
    #[error("the event must be a JSON object")]
    NotAnObject,
    #[error("missing required field `{}`", safe_text(.0))]
    Missing(String),
    #[error(
        "unknown field `{}`: the contract (schemas/) rejects fields it does not define",
        safe_text(.0)
    )]
    UnknownField(String),
    #[error("field `{}`: {}", safe_text(field), safe_text(message))]
    Invalid { field: String, message: String },
    #[error(
        "field `{}` holds a BSN; no BSN may enter caseflow, send a pseudonymous reference instead",
        safe_text(.0)
    )]
    Bsn(String),
}

/// The most characters of an input value a rejection reason quotes.
pub const ECHO_CHARS: usize = 40;

/// An input value as a message may quote it: BSNs masked ([`mask_bsn_text`]),
/// control characters escaped as `\uXXXX`, cut to [`ECHO_CHARS`] characters
/// with `…`.
pub fn echo(s: &str) -> String {
    let safe = safe_text(s);
    if safe.chars().count() <= ECHO_CHARS {
        return safe;
    }
    let mut cut: String = safe.chars().take(ECHO_CHARS).collect();
    cut.push('…');
    // Cutting can leave nine digits standing alone (`1234567820` cut after 9).
    mask_bsn_text(&cut)
}

/// `s` with BSNs masked and control characters escaped as `\uXXXX`; any length.
pub fn safe_text(s: &str) -> String {
    let masked = mask_bsn_text(s);
    if !masked.chars().any(char::is_control) {
        return masked;
    }
    let mut out = String::with_capacity(masked.len() + 8);
    for c in masked.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The first control character (Unicode Cc: U+0000–U+001F, U+007F–U+009F) in a
/// string, with its 1-based character position. PostgreSQL text cannot hold
/// U+0000, and no producer sends the others in a reference, a name or a reason.
fn first_control(s: &str) -> Option<(usize, char)> {
    s.chars()
        .enumerate()
        .find(|(_, c)| c.is_control())
        .map(|(i, c)| (i + 1, c))
}

impl ValidationError {
    fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// A short machine-readable kind, for metrics and the dead-letter table.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Json(_) | Self::NotAnObject => "invalid_json",
            Self::Missing(_) => "missing_field",
            Self::UnknownField(_) => "unknown_field",
            Self::Invalid { .. } => "invalid_value",
            Self::Bsn(_) => "bsn",
        }
    }
}

macro_rules! closed_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
            fn accepted() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

closed_enum!(
    /// The two legal domains.
    Domein { Wmo = "wmo", Jeugd = "jeugd" }
);
closed_enum!(Kanaal {
    Telefoon = "telefoon", Email = "email", Balie = "balie", Digitaal = "digitaal",
    ConsulentDirect = "consulent_direct", SociaalTeam = "sociaal_team", Knooppunt = "knooppunt",
    Derden = "derden",
});
closed_enum!(Verwijzer {
    Gemeente = "gemeente", Wijkteam = "wijkteam", Huisarts = "huisarts", Jeugdarts = "jeugdarts",
    GecertificeerdeInstelling = "gecertificeerde_instelling", MedischSpecialist = "medisch_specialist",
    Geen = "geen", Uwv = "uwv", Werkplein = "werkplein", VerwijzingVoor2015 = "verwijzing_voor_2015",
});
closed_enum!(MeldingUitkomst { Doorgezet = "doorgezet", Afgevangen = "afgevangen" });
closed_enum!(Dossiertype {
    Nieuw = "nieuw", Bestaand = "bestaand", Mutatie = "mutatie", PeriodiekOnderzoek = "periodiek_onderzoek",
});
closed_enum!(AanvraagSoort {
    Nieuw = "nieuw", Herindicatie = "herindicatie", PeriodiekOnderzoek = "periodiek_onderzoek", Mutatie = "mutatie",
});
closed_enum!(Besluit { Toegekend = "toegekend", Afgewezen = "afgewezen" });
closed_enum!(Leveringsvorm { Zin = "zin", Pgb = "pgb" });
closed_enum!(PoUitkomst { Ongewijzigd = "ongewijzigd", Gewijzigd = "gewijzigd", Beeindigd = "beeindigd" });
closed_enum!(ZorgEindeReden {
    DoelenBereikt = "doelen_bereikt", Verhuisd = "verhuisd", Overleden = "overleden",
    AndereVoorziening = "andere_voorziening", Wlz = "wlz", OpVerzoekClient = "op_verzoek_client", Overig = "overig",
});
closed_enum!(AfsluitReden { Beschikt = "beschikt", Ingetrokken = "ingetrokken", Afgevangen = "afgevangen", Overig = "overig" });
closed_enum!(
    /// The event types of spec §2.1.
    EventType {
        MeldingOntvangen = "melding.ontvangen",
        MeldingBeoordeeld = "melding.beoordeeld",
        CaseToegewezen = "case.toegewezen",
        AanvraagIngediend = "aanvraag.ingediend",
        BeschikkingAfgegeven = "beschikking.afgegeven",
        PoGepland = "po.gepland",
        PoUitgevoerd = "po.uitgevoerd",
        ZorgGestart = "zorg.gestart",
        ZorgBeeindigd = "zorg.beeindigd",
        CaseAfgesloten = "case.afgesloten",
        FormatieVastgesteld = "formatie.vastgesteld",
        EventIngetrokken = "event.ingetrokken",
    }
);

/// The typed `data` of each event type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EventData {
    MeldingOntvangen {
        kanaal: Kanaal,
        verwijzer: Verwijzer,
        #[serde(skip_serializing_if = "Option::is_none")]
        wijk: Option<String>,
    },
    MeldingBeoordeeld {
        uitkomst: MeldingUitkomst,
        #[serde(skip_serializing_if = "Option::is_none")]
        reden: Option<String>,
    },
    CaseToegewezen {
        team: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        consulent_ref: Option<String>,
        dossiertype: Dossiertype,
    },
    AanvraagIngediend {
        aanvraag_id: Uuid,
        voorziening: String,
        soort: AanvraagSoort,
    },
    BeschikkingAfgegeven {
        beschikking_id: Uuid,
        aanvraag_id: Uuid,
        voorziening: String,
        besluit: Besluit,
        ingangsdatum: NaiveDate,
        einddatum: Option<NaiveDate>,
        leveringsvorm: Leveringsvorm,
        #[serde(skip_serializing_if = "Option::is_none")]
        aanbieder: Option<String>,
    },
    PoGepland {
        beschikking_id: Uuid,
        gepland_op: NaiveDate,
    },
    PoUitgevoerd {
        beschikking_id: Uuid,
        uitkomst: PoUitkomst,
    },
    ZorgGestart {
        beschikking_id: Uuid,
        aanbieder: String,
        startdatum: NaiveDate,
    },
    ZorgBeeindigd {
        beschikking_id: Uuid,
        einddatum: NaiveDate,
        reden: ZorgEindeReden,
    },
    CaseAfgesloten {
        reden: AfsluitReden,
    },
    FormatieVastgesteld {
        team: String,
        consulent_ref: String,
        fte: f64,
        geldig_vanaf: NaiveDate,
    },
    EventIngetrokken {
        ingetrokken_event_id: Uuid,
        reden: String,
    },
}

impl EventData {
    pub fn event_type(&self) -> EventType {
        match self {
            Self::MeldingOntvangen { .. } => EventType::MeldingOntvangen,
            Self::MeldingBeoordeeld { .. } => EventType::MeldingBeoordeeld,
            Self::CaseToegewezen { .. } => EventType::CaseToegewezen,
            Self::AanvraagIngediend { .. } => EventType::AanvraagIngediend,
            Self::BeschikkingAfgegeven { .. } => EventType::BeschikkingAfgegeven,
            Self::PoGepland { .. } => EventType::PoGepland,
            Self::PoUitgevoerd { .. } => EventType::PoUitgevoerd,
            Self::ZorgGestart { .. } => EventType::ZorgGestart,
            Self::ZorgBeeindigd { .. } => EventType::ZorgBeeindigd,
            Self::CaseAfgesloten { .. } => EventType::CaseAfgesloten,
            Self::FormatieVastgesteld { .. } => EventType::FormatieVastgesteld,
            Self::EventIngetrokken { .. } => EventType::EventIngetrokken,
        }
    }

    /// The beschikking this event is about, for the event types that carry one.
    pub fn beschikking_id(&self) -> Option<Uuid> {
        match self {
            Self::BeschikkingAfgegeven { beschikking_id, .. }
            | Self::PoGepland { beschikking_id, .. }
            | Self::PoUitgevoerd { beschikking_id, .. }
            | Self::ZorgGestart { beschikking_id, .. }
            | Self::ZorgBeeindigd { beschikking_id, .. } => Some(*beschikking_id),
            _ => None,
        }
    }
}

/// A validated event: the envelope of spec §2 with typed data.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_id: Uuid,
    pub occurred_at: DateTime<FixedOffset>,
    pub gemeente: String,
    pub domein: Domein,
    pub case_id: Option<Uuid>,
    pub client_ref: Option<String>,
    pub source: Option<String>,
    pub data: EventData,
}

pub const SCHEMA_VERSION: i64 = 1;

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("event_id", &self.event_id)?;
        m.serialize_entry("event_type", self.event_type().as_str())?;
        m.serialize_entry("schema_version", &SCHEMA_VERSION)?;
        m.serialize_entry(
            "occurred_at",
            &self
                .occurred_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        )?;
        m.serialize_entry("gemeente", &self.gemeente)?;
        m.serialize_entry("domein", &self.domein)?;
        if let Some(c) = &self.case_id {
            m.serialize_entry("case_id", c)?;
        }
        if let Some(c) = &self.client_ref {
            m.serialize_entry("client_ref", c)?;
        }
        if let Some(c) = &self.source {
            m.serialize_entry("source", c)?;
        }
        m.serialize_entry("data", &self.data)?;
        m.end()
    }
}

impl Event {
    pub fn event_type(&self) -> EventType {
        self.data.event_type()
    }

    /// Parse and validate one event as a producer sent it.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Event, ValidationError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| ValidationError::Json(safe_text(&e.to_string())))?;
        Self::from_value(value)
    }

    /// Validate an already parsed JSON value.
    pub fn from_value(value: Value) -> Result<Event, ValidationError> {
        let Value::Object(mut env) = value else {
            return Err(ValidationError::NotAnObject);
        };
        const ENVELOPE: &[&str] = &[
            "event_id",
            "event_type",
            "schema_version",
            "occurred_at",
            "gemeente",
            "domein",
            "case_id",
            "client_ref",
            "source",
            "data",
        ];
        reject_unknown(&env, ENVELOPE, "")?;

        let event_type_text = req_str(&env, "event_type", "")?;
        let event_type = EventType::parse(&event_type_text).ok_or_else(|| {
            ValidationError::invalid(
                "event_type",
                format!(
                    "`{}` is not an event type; accepted: {}",
                    echo(&event_type_text),
                    EventType::accepted()
                ),
            )
        })?;
        let event_id = req_uuid(&env, "event_id", "")?;
        match env.get("schema_version") {
            None => return Err(ValidationError::Missing("schema_version".into())),
            Some(v) if v.as_i64() == Some(SCHEMA_VERSION) && v.is_i64() => {}
            Some(v) => {
                return Err(ValidationError::invalid(
                    "schema_version",
                    format!("{} is not supported; accepted: 1", echo(&v.to_string())),
                ))
            }
        }
        let occurred_at = parse_timestamp(&req_str(&env, "occurred_at", "")?)?;
        let gemeente = req_str(&env, "gemeente", "")?;
        if !is_cbs_code(&gemeente) {
            return Err(ValidationError::invalid(
                "gemeente",
                format!(
                    "`{}` is not a CBS gemeente code; expected GM followed by 4 digits, e.g. GM0935",
                    echo(&gemeente)
                ),
            ));
        }
        let domein = req_enum(&env, "domein", "", Domein::parse, Domein::accepted)?;
        let source = opt_str(&env, "source", "", 1, 128)?;

        let is_case_event = event_type != EventType::FormatieVastgesteld;
        let (case_id, client_ref) = if is_case_event {
            let case_id = req_uuid(&env, "case_id", "")?;
            let client_ref = req_str(&env, "client_ref", "")?;
            check_len("client_ref", &client_ref, 1, 64)?;
            (Some(case_id), Some(client_ref))
        } else {
            for f in ["case_id", "client_ref"] {
                if !matches!(env.get(f), None | Some(Value::Null)) {
                    return Err(ValidationError::invalid(f, "formatie.vastgesteld is a staffing event and carries no case or client; leave it out"));
                }
            }
            (None, None)
        };

        let data = match env.remove("data") {
            None => return Err(ValidationError::Missing("data".into())),
            Some(Value::Object(d)) => d,
            Some(_) => return Err(ValidationError::invalid("data", "must be a JSON object")),
        };
        let data = parse_data(event_type, &data)?;
        let event = Event {
            event_id,
            occurred_at,
            gemeente,
            domein,
            case_id,
            client_ref,
            source,
            data,
        };
        check_no_bsn(&event)?;
        Ok(event)
    }

    /// The canonical JSON text of this event: the stored form, and what
    /// idempotency compares (same `event_id`, same canonical text = a repeat).
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("an Event always serializes")
    }

    pub fn beschikking_id(&self) -> Option<Uuid> {
        self.data.beschikking_id()
    }

    /// The event a correction withdraws.
    pub fn retracts(&self) -> Option<Uuid> {
        match &self.data {
            EventData::EventIngetrokken {
                ingetrokken_event_id,
                ..
            } => Some(*ingetrokken_event_id),
            _ => None,
        }
    }
}

fn parse_data(t: EventType, d: &Map<String, Value>) -> Result<EventData, ValidationError> {
    use EventType as T;
    let p = "data.";
    let allowed: &[&str] = match t {
        T::MeldingOntvangen => &["kanaal", "verwijzer", "wijk"],
        T::MeldingBeoordeeld => &["uitkomst", "reden"],
        T::CaseToegewezen => &["team", "consulent_ref", "dossiertype"],
        T::AanvraagIngediend => &["aanvraag_id", "voorziening", "soort"],
        T::BeschikkingAfgegeven => &[
            "beschikking_id",
            "aanvraag_id",
            "voorziening",
            "besluit",
            "ingangsdatum",
            "einddatum",
            "leveringsvorm",
            "aanbieder",
        ],
        T::PoGepland => &["beschikking_id", "gepland_op"],
        T::PoUitgevoerd => &["beschikking_id", "uitkomst"],
        T::ZorgGestart => &["beschikking_id", "aanbieder", "startdatum"],
        T::ZorgBeeindigd => &["beschikking_id", "einddatum", "reden"],
        T::CaseAfgesloten => &["reden"],
        T::FormatieVastgesteld => &["team", "consulent_ref", "fte", "geldig_vanaf"],
        T::EventIngetrokken => &["ingetrokken_event_id", "reden"],
    };
    reject_unknown(d, allowed, p)?;
    Ok(match t {
        T::MeldingOntvangen => EventData::MeldingOntvangen {
            kanaal: req_enum(d, "kanaal", p, Kanaal::parse, Kanaal::accepted)?,
            verwijzer: req_enum(d, "verwijzer", p, Verwijzer::parse, Verwijzer::accepted)?,
            wijk: opt_str(d, "wijk", p, 1, 32)?,
        },
        T::MeldingBeoordeeld => EventData::MeldingBeoordeeld {
            uitkomst: req_enum(
                d,
                "uitkomst",
                p,
                MeldingUitkomst::parse,
                MeldingUitkomst::accepted,
            )?,
            reden: opt_str(d, "reden", p, 1, 500)?,
        },
        T::CaseToegewezen => EventData::CaseToegewezen {
            team: req_str_len(d, "team", p, 1, 64)?,
            consulent_ref: opt_str(d, "consulent_ref", p, 1, 64)?,
            dossiertype: req_enum(
                d,
                "dossiertype",
                p,
                Dossiertype::parse,
                Dossiertype::accepted,
            )?,
        },
        T::AanvraagIngediend => EventData::AanvraagIngediend {
            aanvraag_id: req_uuid(d, "aanvraag_id", p)?,
            voorziening: req_str_len(d, "voorziening", p, 1, 64)?,
            soort: req_enum(d, "soort", p, AanvraagSoort::parse, AanvraagSoort::accepted)?,
        },
        T::BeschikkingAfgegeven => {
            let ingangsdatum = req_date(d, "ingangsdatum", p)?;
            let einddatum = match d.get("einddatum") {
                None => return Err(ValidationError::Missing("data.einddatum".into())),
                Some(Value::Null) => None,
                Some(_) => Some(req_date(d, "einddatum", p)?),
            };
            if let Some(end) = einddatum {
                if end < ingangsdatum {
                    return Err(ValidationError::invalid(
                        "data.einddatum",
                        format!("{end} lies before ingangsdatum {ingangsdatum}"),
                    ));
                }
            }
            EventData::BeschikkingAfgegeven {
                beschikking_id: req_uuid(d, "beschikking_id", p)?,
                aanvraag_id: req_uuid(d, "aanvraag_id", p)?,
                voorziening: req_str_len(d, "voorziening", p, 1, 64)?,
                besluit: req_enum(d, "besluit", p, Besluit::parse, Besluit::accepted)?,
                ingangsdatum,
                einddatum,
                leveringsvorm: req_enum(
                    d,
                    "leveringsvorm",
                    p,
                    Leveringsvorm::parse,
                    Leveringsvorm::accepted,
                )?,
                aanbieder: opt_str(d, "aanbieder", p, 1, 128)?,
            }
        }
        T::PoGepland => EventData::PoGepland {
            beschikking_id: req_uuid(d, "beschikking_id", p)?,
            gepland_op: req_date(d, "gepland_op", p)?,
        },
        T::PoUitgevoerd => EventData::PoUitgevoerd {
            beschikking_id: req_uuid(d, "beschikking_id", p)?,
            uitkomst: req_enum(d, "uitkomst", p, PoUitkomst::parse, PoUitkomst::accepted)?,
        },
        T::ZorgGestart => EventData::ZorgGestart {
            beschikking_id: req_uuid(d, "beschikking_id", p)?,
            aanbieder: req_str_len(d, "aanbieder", p, 1, 128)?,
            startdatum: req_date(d, "startdatum", p)?,
        },
        T::ZorgBeeindigd => EventData::ZorgBeeindigd {
            beschikking_id: req_uuid(d, "beschikking_id", p)?,
            einddatum: req_date(d, "einddatum", p)?,
            reden: req_enum(
                d,
                "reden",
                p,
                ZorgEindeReden::parse,
                ZorgEindeReden::accepted,
            )?,
        },
        T::CaseAfgesloten => EventData::CaseAfgesloten {
            reden: req_enum(d, "reden", p, AfsluitReden::parse, AfsluitReden::accepted)?,
        },
        T::FormatieVastgesteld => {
            let fte = match d.get("fte") {
                None => return Err(ValidationError::Missing("data.fte".into())),
                Some(v) => v
                    .as_f64()
                    .ok_or_else(|| ValidationError::invalid("data.fte", "must be a number"))?,
            };
            // `-0` is zero: stored as 0, so a repeat sent with `0` is a duplicate.
            let fte = if fte == 0.0 { 0.0 } else { fte };
            if !(0.0..=1.2).contains(&fte) {
                return Err(ValidationError::invalid(
                    "data.fte",
                    format!("{fte} is out of range; accepted: 0 to 1.2 (0 = left the team)"),
                ));
            }
            EventData::FormatieVastgesteld {
                team: req_str_len(d, "team", p, 1, 64)?,
                consulent_ref: req_str_len(d, "consulent_ref", p, 1, 64)?,
                fte,
                geldig_vanaf: req_date(d, "geldig_vanaf", p)?,
            }
        }
        T::EventIngetrokken => EventData::EventIngetrokken {
            ingetrokken_event_id: req_uuid(d, "ingetrokken_event_id", p)?,
            reden: req_str_len(d, "reden", p, 1, 500)?,
        },
    })
}

fn reject_unknown(
    obj: &Map<String, Value>,
    allowed: &[&str],
    prefix: &str,
) -> Result<(), ValidationError> {
    // Report the first unknown field in a stable (sorted) order.
    let mut unknown: Vec<&String> = obj
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .collect();
    unknown.sort();
    match unknown.first() {
        Some(k) => Err(ValidationError::UnknownField(format!(
            "{prefix}{}",
            echo(k)
        ))),
        None => Ok(()),
    }
}

fn req_str(obj: &Map<String, Value>, key: &str, prefix: &str) -> Result<String, ValidationError> {
    match obj.get(key) {
        None | Some(Value::Null) => Err(ValidationError::Missing(format!("{prefix}{key}"))),
        Some(Value::String(s)) => match first_control(s) {
            None => Ok(s.clone()),
            Some((at, c)) => Err(ValidationError::invalid(
                &format!("{prefix}{key}"),
                format!(
                    "holds the control character U+{:04X} at character {at}; control characters (U+0000 to U+001F, U+007F to U+009F) are not accepted",
                    c as u32
                ),
            )),
        },
        Some(_) => Err(ValidationError::invalid(
            &format!("{prefix}{key}"),
            "must be a string",
        )),
    }
}

fn check_len(field: &str, s: &str, min: usize, max: usize) -> Result<(), ValidationError> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(ValidationError::invalid(
            field,
            format!("length {n} is out of range; accepted: {min} to {max} characters"),
        ));
    }
    Ok(())
}

fn req_str_len(
    obj: &Map<String, Value>,
    key: &str,
    prefix: &str,
    min: usize,
    max: usize,
) -> Result<String, ValidationError> {
    let s = req_str(obj, key, prefix)?;
    check_len(&format!("{prefix}{key}"), &s, min, max)?;
    Ok(s)
}

fn opt_str(
    obj: &Map<String, Value>,
    key: &str,
    prefix: &str,
    min: usize,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => req_str_len(obj, key, prefix, min, max).map(Some),
    }
}

fn req_uuid(obj: &Map<String, Value>, key: &str, prefix: &str) -> Result<Uuid, ValidationError> {
    let s = req_str(obj, key, prefix)?;
    let field = format!("{prefix}{key}");
    let not_a_uuid = || {
        ValidationError::invalid(
            &field,
            format!(
                "`{}` is not a UUID (expected the form 8-4-4-4-12 hex digits)",
                echo(&s)
            ),
        )
    };
    // Only the hyphenated 36-character form, as in the schema.
    if s.len() != 36 {
        return Err(not_a_uuid());
    }
    let id = Uuid::parse_str(&s).map_err(|_| not_a_uuid())?;
    if id.is_nil() {
        return Err(ValidationError::invalid(
            &field,
            "the nil UUID is not an identifier",
        ));
    }
    Ok(id)
}

/// The dates a business date may take (docs/decisions.md): migrated provisions
/// reach back decades, a planned review or an end date lies years ahead.
pub const FIRST_DATE: NaiveDate = NaiveDate::from_ymd_opt(1950, 1, 1).expect("a date");
pub const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(2199, 12, 31).expect("a date");
/// The years `occurred_at` may be written in.
pub const OCCURRED_YEARS: std::ops::RangeInclusive<i32> = 1990..=2099;
/// The UTC offsets in use on earth: −12:00 to +14:00, in seconds.
pub const OFFSET_SECONDS: std::ops::RangeInclusive<i32> = -12 * 3600..=14 * 3600;

fn req_date(
    obj: &Map<String, Value>,
    key: &str,
    prefix: &str,
) -> Result<NaiveDate, ValidationError> {
    let s = req_str(obj, key, prefix)?;
    let b = s.as_bytes();
    let ok_shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        Ok(d) if ok_shape && (FIRST_DATE..=LAST_DATE).contains(&d) => Ok(d),
        Ok(_) if ok_shape => Err(ValidationError::invalid(
            &format!("{prefix}{key}"),
            format!(
                "`{}` is out of range; accepted: {FIRST_DATE} to {LAST_DATE}",
                echo(&s)
            ),
        )),
        _ => Err(ValidationError::invalid(
            &format!("{prefix}{key}"),
            format!("`{}` is not a date; expected YYYY-MM-DD", echo(&s)),
        )),
    }
}

fn req_enum<T>(
    obj: &Map<String, Value>,
    key: &str,
    prefix: &str,
    parse: fn(&str) -> Option<T>,
    accepted: fn() -> String,
) -> Result<T, ValidationError> {
    let s = req_str(obj, key, prefix)?;
    parse(&s).ok_or_else(|| {
        ValidationError::invalid(
            &format!("{prefix}{key}"),
            format!("`{}` is not accepted; accepted: {}", echo(&s), accepted()),
        )
    })
}

/// `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)`, exactly (ASCII digits, upper-case `T` and `Z`).
fn is_timestamp_shape(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !(digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T')
        || !(digits(11..13) && b[13] == b':' && digits(14..16) && b[16] == b':' && digits(17..19))
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &b[i..] {
        [b'Z'] => true,
        [sign, h1, h2, b':', m1, m2] => {
            (*sign == b'+' || *sign == b'-') && [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// RFC 3339 with an explicit offset (`Z` or `±hh:mm`), in the plausible range:
/// the year as written in [`OCCURRED_YEARS`], the offset in [`OFFSET_SECONDS`],
/// no leap second.
fn parse_timestamp(s: &str) -> Result<DateTime<FixedOffset>, ValidationError> {
    let invalid = |what: String| ValidationError::invalid("occurred_at", what);
    if !is_timestamp_shape(s) {
        return Err(invalid(format!(
            "`{}` is not an RFC 3339 timestamp with offset, e.g. 2020-03-29T10:15:00+02:00",
            echo(s)
        )));
    }
    let quoted = echo(s);
    // The shape is ASCII with the seconds at 17..19.
    if &s[17..19] == "60" {
        return Err(invalid(format!(
            "`{quoted}` has second 60 (a leap second); accepted: seconds 00 to 59"
        )));
    }
    let t = DateTime::parse_from_rfc3339(s).map_err(|_| {
        invalid(format!(
            "`{quoted}` is not an RFC 3339 timestamp with offset, e.g. 2020-03-29T10:15:00+02:00"
        ))
    })?;
    let year: i32 = s[..4].parse().expect("four ASCII digits");
    if !OCCURRED_YEARS.contains(&year) {
        return Err(invalid(format!(
            "`{quoted}` is out of range; accepted: the years {} to {}",
            OCCURRED_YEARS.start(),
            OCCURRED_YEARS.end()
        )));
    }
    if !OFFSET_SECONDS.contains(&t.offset().local_minus_utc()) {
        return Err(invalid(format!(
            "`{quoted}` has an offset outside the ones in use; accepted: -12:00 to +14:00"
        )));
    }
    Ok(t)
}

fn is_cbs_code(s: &str) -> bool {
    s.len() == 6 && s.starts_with("GM") && s[2..].bytes().all(|b| b.is_ascii_digit())
}

fn check_no_bsn(e: &Event) -> Result<(), ValidationError> {
    let mut fields: Vec<(&str, &str)> = Vec::new();
    if let Some(c) = &e.client_ref {
        fields.push(("client_ref", c));
    }
    if let Some(s) = &e.source {
        fields.push(("source", s));
    }
    match &e.data {
        EventData::MeldingOntvangen { wijk: Some(w), .. } => fields.push(("data.wijk", w)),
        EventData::MeldingBeoordeeld { reden: Some(r), .. } => fields.push(("data.reden", r)),
        EventData::CaseToegewezen {
            team,
            consulent_ref,
            ..
        } => {
            fields.push(("data.team", team));
            if let Some(c) = consulent_ref {
                fields.push(("data.consulent_ref", c));
            }
        }
        EventData::AanvraagIngediend { voorziening, .. } => {
            fields.push(("data.voorziening", voorziening))
        }
        EventData::BeschikkingAfgegeven {
            voorziening,
            aanbieder,
            ..
        } => {
            fields.push(("data.voorziening", voorziening));
            if let Some(a) = aanbieder {
                fields.push(("data.aanbieder", a));
            }
        }
        EventData::ZorgGestart { aanbieder, .. } => fields.push(("data.aanbieder", aanbieder)),
        EventData::FormatieVastgesteld {
            team,
            consulent_ref,
            ..
        } => {
            fields.push(("data.team", team));
            fields.push(("data.consulent_ref", consulent_ref));
        }
        EventData::EventIngetrokken { reden, .. } => fields.push(("data.reden", reden)),
        _ => {}
    }
    match fields.into_iter().find(|(_, v)| contains_bsn(v)) {
        Some((f, _)) => Err(ValidationError::Bsn(f.to_string())),
        None => Ok(()),
    }
}
