//! A seeded, deterministic generator of realistic event streams (spec §1 figures,
//! §2 contract), for the CLI, the store tests and property tests.
//!
//! The same [`SimConfig`] always gives byte-identical output: all randomness comes
//! from one xoshiro256** generator seeded through SplitMix64, every UUID is drawn
//! from it (`uuid::Builder::from_random_bytes`), and work is processed in a fixed
//! order (a priority queue keyed by time and a sequence number; no hash-map
//! iteration). The crate is pure: no I/O, no clock, no threads.
//!
//! # How the stream is built
//!
//! [`Simulator`] is a discrete-event simulation that is advanced one Amsterdam
//! calendar day at a time; only the lines of the current day are buffered. State is
//! kept for open cases, beschikkingen with pending follow-ups and the staffing of
//! each team, so memory is bounded by volume (`scale` × `gemeenten`), not by the
//! length of the period.
//!
//! The stream has three parts, emitted in (roughly) chronological order:
//!
//! 1. **History before `from`** (a migration at go-live):
//!    * a stock of indefinite Wmo beschikkingen issued in the 4.5 years before
//!      `from` whose next periodic review (PO) is due from about `from` on: their
//!      `beschikking.afgegeven`, `zorg.gestart` and `po.gepland` with historical
//!      `occurred_at`, so PO work appears from week 1 (≈102 stock beschikkingen a
//!      week of history at scale 1.0, ≈12,500 in stock);
//!    * a stock of active jeugd beschikkingen (issued in the year before `from`,
//!      einddatum on or after `from`);
//!    * the open work stock: meldingen of the 16 weeks before `from` whose case is
//!      still open on `from` are emitted with all their events (cases that closed
//!      before `from` are left out entirely);
//!    * `formatie.vastgesteld` for every consultant, `geldig_vanaf` the Monday of
//!      the ISO week in which that run-in starts.
//! 2. **The simulated period** `from..=to`: meldingen arrive every day, every case
//!    runs its course, PO cases are picked up, providers start and stop care,
//!    staffing changes. Nothing is emitted with `occurred_at` after `to`.
//! 3. **Stragglers**: late arrivals and duplicates whose arrival falls after `to`.
//!
//! # Distributions (per gemeente, scale 1.0; every volume × `scale` × the gemeente's
//! volume factor, 1.0 for the first gemeente, a fixed 0.75–1.3 for the others)
//!
//! * Meldingen (Poisson per day; 97 % on working days, Dutch public holidays count
//!   as non-working days; weekends only `digitaal`/`email`): Wmo 235 a week, of
//!   which 94 % via the CIT (telefoon 48 %, digitaal 24 %, email 16 %, balie 12 %)
//!   and 6 % direct (consulent_direct, sociaal_team, derden, knooppunt). Jeugd 74 a
//!   week: 59 via the CIT (spec: 1,539 a half-year) and 15 direct (mostly knooppunt
//!   = schools and sociaal_team). Verwijzer: Wmo mostly `geen` (45 %), huisarts,
//!   wijkteam, gemeente, medisch_specialist; jeugd gemeente, wijkteam, huisarts,
//!   jeugdarts, gecertificeerde_instelling. `wijk` is a CBS wijk code (85 %).
//! * `melding.beoordeeld` 0–3 working days later. Afgevangen: Wmo CIT 78 %, direct
//!   15 % (overall ≈74 %, spec 6,106 → 1,572 doorgezet); jeugd CIT 35 %, direct 5 %.
//!   Afgevangen cases close at once (`case.afgesloten` afgevangen).
//! * Doorgezet: `case.toegewezen` 1–5 working days later to the team of the wijk
//!   (80 %) or another team. Jeugd always in two steps (team Load, then a
//!   consultant 1–10 working days later); Wmo 25 % in two steps, else straight to a
//!   consultant. Handover (another `case.toegewezen`) in 12 % (Wmo) / 15 % (jeugd),
//!   35 % of them to another team. Dossiertype nieuw 65 %, bestaand 25 %, mutatie
//!   10 % (jeugd 75/18/7); bestaand/mutatie clients are reused from active
//!   beschikkingen where one is found.
//! * Aanvragen per doorgezet case: Wmo 0 (4 %, case closed `ingetrokken`/`overig`),
//!   else 1/2/3 with 38/42/20 % (≈1.75 a case: spec 2,766 non-PO aanvragen for
//!   1,572 booked meldingen); jeugd 1/2/3 with 85/12/3 % (5 % none). One per distinct
//!   voorziening. The first aanvraag comes 8–38 days after the melding in 82 % of
//!   Wmo cases and 44–90 days in 18 % (over the 42-day norm); jeugd 10–70 days.
//!   Soort: nieuw, herindicatie (bestaand clients), mutatie (mutatie dossiers).
//! * `beschikking.afgegeven` per aanvraag: Wmo 1–10 days later (87 %) or 15–45
//!   (13 %, over the 14-day norm); jeugd 5–50 days (86 %) or 57–110 (over 56).
//!   Toegekend 90 % (jeugd 93 %). Einddatum: per voorziening; overall ≈80 % of Wmo
//!   indefinite (null), ≈90 % of jeugd with an einddatum 1–12 months on.
//!   Leveringsvorm zin 88 % / pgb 12 % (jeugd 85/15). Aanbieder for zin only.
//!   `case.afgesloten` beschikt 0–5 working days after the last beschikking (90 %;
//!   otherwise the case closes implicitly).
//! * `zorg.gestart` for 93 % of zin and 60 % of pgb grants, Wmo 2–35 days after the
//!   beschikking (9 %: 43–130 days, late), jeugd 5–35 (18 %: 43–150). Grants with an
//!   einddatum get `zorg.beeindigd` at the einddatum (75 %) or earlier (12 %).
//!   Indefinite Wmo care ends at a rate of ≈20 % a year (overleden, wlz, verhuisd,
//!   …), which keeps the PO stock, and so the PO rate, in steady state over years.
//! * PO cycle of every granted indefinite Wmo beschikking, starting at the
//!   beschikking (or at a `po.uitgevoerd` ongewijzigd): `po.gepland` within 0–8
//!   working days (on time) or 16–70 days (late, 6 %); forgotten in 5 % (after a PO
//!   ongewijzigd: 15 %, the `po_zonder_vervolg` gap); `gepland_op` 1, 2 or 3 years
//!   on (25/30/45 %, always a little under), or more than 3 years on (3 %). The PO is
//!   taken up 0–42 days before `gepland_op`, or 1–150 days after it (28 %);
//!   forgotten cycles are discovered 1.2–4 years on. A PO case: new case_id, same
//!   client_ref, `case.toegewezen` periodiek_onderzoek (15 % team-only first),
//!   `aanvraag.ingediend` periodiek_onderzoek (97 %; always when gewijzigd),
//!   `po.uitgevoerd` ongewijzigd 72 % / gewijzigd 18 % (a new beschikking in the PO
//!   case, with its own cycle) / beeindigd 10 % (mostly followed by
//!   `zorg.beeindigd`), then `case.afgesloten`. This gives ≈96 PO aanvragen a week.
//! * Gemeenten differ a little in quality: a factor (0.6–1.5, 1.0 for the first)
//!   multiplies the chances of late and forgotten work.
//! * Staffing: 7 teams per gemeente and domein ("IGT Noord" … "IGT Buitenwijken",
//!   "Jeugd Noord" …), consultants `mw-<gemeente digits>-<nnn>` with fte 0.5–1.0
//!   summing to 40.91 (Wmo) and 23.44 (jeugd) × volume; about 24 changes a year
//!   per 40 FTE (leave with fte 0, new hire, move to another team, fte change).
//!
//! # Imperfections, as in real input
//!
//! * Corrections (0.4 % of melding, toewijzing, aanvraag, po.gepland and
//!   zorg.gestart events): a mistaken twin of the event (same data, or a wrong
//!   team, plan date or start date) is registered minutes later and withdrawn by an
//!   `event.ingetrokken` 10 minutes to 10 days after that; in 20 % of them the
//!   retraction arrives before the twin it withdraws.
//! * Late arrival: 1.5 % of events arrive 10 minutes to 5 days after their
//!   `occurred_at`; 4 % of `beschikking.afgegeven` arrive 3–25 days late, so the
//!   `po.gepland`/`zorg.gestart` of that beschikking may arrive before it.
//! * Duplicates: `duplicate_fraction` of events are emitted again (same event_id,
//!   same content) 10 minutes to 20 days later in the stream.
//! * Bad lines: about `bad_fraction` of all lines are [`SimLine::Bad`], each
//!   right after a valid event it was derived from. `why` is one of [`BAD_WHYS`]:
//!   - `"invalid_json"`: the line is cut short (or is a CSV-like line), not JSON;
//!   - `"missing_field"`: a required envelope field was dropped;
//!   - `"invalid_value"`: a closed value is wrong (domein, gemeente code, timestamp
//!     without offset, schema_version 2, unknown event_type, an enum or date in
//!     `data`, fte out of range, a malformed UUID);
//!   - `"unknown_field"`: an extra field in the envelope or in `data`;
//!   - `"bsn"`: client_ref (staffing events: data.consulent_ref) is a 9-digit
//!     number passing the 11-test;
//!   - `"conflict"`: a valid event with the `event_id` of an event emitted before it
//!     but different content (occurred_at moved). This one passes
//!     [`Event::from_json_bytes`]; a store must reject it as a conflict.
//!
//!   For all but `"conflict"`, `why` equals [`caseflow_core::ValidationError::kind`] of the
//!   error the validator returns.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, TimeZone, Weekday,
};
use chrono_tz::Europe::Amsterdam;
use serde_json::Value;
use uuid::Uuid;

use caseflow_core::event::{
    is_bsn, AanvraagSoort, AfsluitReden, Besluit, Domein, Dossiertype, Event, EventData, EventType,
    Kanaal, Leveringsvorm, MeldingUitkomst, PoUitkomst, Verwijzer, ZorgEindeReden,
};

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    /// Number of gemeenten (CBS codes from a fixed list of real codes; beyond it,
    /// synthetic GM9xxx codes).
    pub gemeenten: usize,
    /// First day (inclusive).
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
    /// 1.0 = the mid-sized city of spec §1; every volume scales proportionally.
    pub scale: f64,
    /// Fraction of output lines that are bad (see the module docs for the kinds).
    pub bad_fraction: f64,
    /// Fraction of events emitted twice (exact duplicates) later in the stream.
    pub duplicate_fraction: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            gemeenten: 3,
            from: NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid date"),
            to: NaiveDate::from_ymd_opt(2020, 6, 30).expect("valid date"),
            scale: 1.0,
            bad_fraction: 0.001,
            duplicate_fraction: 0.01,
        }
    }
}

/// One output line.
#[derive(Debug, Clone, PartialEq)]
pub enum SimLine {
    /// A valid event (possibly a duplicate, a late arrival or a correction).
    Event(Event),
    /// A line a consumer must dead-letter; `why` is one of [`BAD_WHYS`].
    Bad { line: String, why: &'static str },
}

impl SimLine {
    /// The line as NDJSON: one line, no trailing newline.
    pub fn to_ndjson(&self) -> String {
        match self {
            SimLine::Event(e) => serde_json::to_string(e).expect("an Event always serializes"),
            SimLine::Bad { line, .. } => line.clone(),
        }
    }
}

/// `why` of a line that is not JSON.
pub const WHY_INVALID_JSON: &str = "invalid_json";
/// `why` of a line missing a required field.
pub const WHY_MISSING_FIELD: &str = "missing_field";
/// `why` of a line with a value the contract does not accept.
pub const WHY_INVALID_VALUE: &str = "invalid_value";
/// `why` of a line with a field the contract does not define.
pub const WHY_UNKNOWN_FIELD: &str = "unknown_field";
/// `why` of a line carrying a BSN.
pub const WHY_BSN: &str = "bsn";
/// `why` of a valid event whose event_id was already used for different content.
pub const WHY_CONFLICT: &str = "conflict";
/// Every `why` a [`SimLine::Bad`] can carry.
pub const BAD_WHYS: &[&str] = &[
    WHY_INVALID_JSON,
    WHY_MISSING_FIELD,
    WHY_INVALID_VALUE,
    WHY_UNKNOWN_FIELD,
    WHY_BSN,
    WHY_CONFLICT,
];

/// Convenience for tests: only the valid events (bad lines dropped), duplicates included.
pub fn events(cfg: SimConfig) -> Vec<Event> {
    Simulator::new(cfg)
        .filter_map(|l| match l {
            SimLine::Event(e) => Some(e),
            SimLine::Bad { .. } => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

const WMO_MELDINGEN_WEEK: f64 = 235.0;
const JEUGD_MELDINGEN_WEEK: f64 = 74.0;
const WMO_CIT_SHARE: f64 = 0.94;
const JEUGD_CIT_SHARE: f64 = 59.0 / 74.0;
const WMO_AFVANG_CIT: f64 = 0.78;
const WMO_AFVANG_DIRECT: f64 = 0.15;
const JEUGD_AFVANG_CIT: f64 = 0.35;
const JEUGD_AFVANG_DIRECT: f64 = 0.05;
/// Stock of indefinite Wmo beschikkingen: issued per week of history (≈ the PO
/// pick-up rate in the simulated period).
const WMO_STOCK_WEEK: f64 = 102.0;
/// Stock of jeugd beschikkingen: issued per week in the year before `from`.
const JEUGD_STOCK_WEEK: f64 = 54.0;
const WMO_FTE: f64 = 40.91;
const JEUGD_FTE: f64 = 23.44;
/// Mean remaining duration of indefinite Wmo care (≈20 % ends in a year), which
/// with the inflow of new grants keeps the PO stock (≈96 PO a week) in steady state.
const WMO_CARE_MEAN_DAYS: f64 = 1650.0;
const WARMUP_DAYS: i64 = 112;
const HISTORY_DAYS: i64 = 1644;
const P_CORRECTION: f64 = 0.004;
const P_LATE: f64 = 0.015;
const P_LATE_BESCHIKKING: f64 = 0.04;
/// Working days per week on average, holidays taken off.
const WORKDAYS_PER_WEEK: f64 = 4.85;

const GEMEENTEN: &[&str] = &[
    "GM0344", "GM0363", "GM0935", "GM0599", "GM0518", "GM0772", "GM0014", "GM0200", "GM0034",
    "GM0855", "GM0758", "GM0268", "GM0193", "GM0153", "GM0392", "GM0080", "GM0202", "GM0307",
    "GM0796", "GM0479", "GM0546", "GM0505", "GM0637", "GM0503", "GM0150", "GM0983", "GM0917",
    "GM0361", "GM0114", "GM0228", "GM0794",
];
const VOLUME_FACTORS: &[f64] = &[1.0, 1.15, 0.85, 1.3, 0.75, 1.1, 0.95, 1.2, 0.8, 1.05];
const QUALITY_FACTORS: &[f64] = &[1.0, 0.7, 1.4, 0.9, 1.2, 0.6, 1.3, 1.1, 0.8, 1.5];

const WMO_TEAMS: [&str; 7] = [
    "IGT Noord",
    "IGT Oost",
    "IGT Zuid",
    "IGT West",
    "IGT Centrum",
    "IGT Oud-Zuid",
    "IGT Buitenwijken",
];
const JEUGD_TEAMS: [&str; 7] = [
    "Jeugd Noord",
    "Jeugd Oost",
    "Jeugd Zuid",
    "Jeugd West",
    "Jeugd Centrum",
    "Jeugd Oud-Zuid",
    "Jeugd Buitenwijken",
];
const N_TEAMS: i64 = 7;
const N_WIJKEN: i64 = 10;

struct Voorz {
    code: &'static str,
    weight: f64,
    /// Chance that a grant is indefinite (einddatum null).
    p_indefinite: f64,
    /// Duration in days when an einddatum is set.
    duration: (i64, i64),
    aanbieders: &'static [&'static str],
}

const WMO_VOORZ: &[Voorz] = &[
    Voorz {
        code: "hulp_bij_huishouden",
        weight: 30.0,
        p_indefinite: 0.95,
        duration: (180, 730),
        aanbieders: &[
            "Thuiszorg Midden",
            "Huishoudelijke Hulp Totaal",
            "Zorggroep De Linde",
        ],
    },
    Voorz {
        code: "begeleiding_individueel",
        weight: 18.0,
        p_indefinite: 0.75,
        duration: (180, 730),
        aanbieders: &["Begeleiding Op Maat", "Welzijn Plus", "Zorggroep De Linde"],
    },
    Voorz {
        code: "begeleiding_groep",
        weight: 5.0,
        p_indefinite: 0.8,
        duration: (180, 730),
        aanbieders: &["Dagbesteding De Werkplaats", "Welzijn Plus"],
    },
    Voorz {
        code: "dagbesteding",
        weight: 9.0,
        p_indefinite: 0.8,
        duration: (180, 730),
        aanbieders: &["Dagbesteding De Werkplaats", "Zorgboerderij Het Hof"],
    },
    Voorz {
        code: "vervoersvoorziening",
        weight: 11.0,
        p_indefinite: 0.95,
        duration: (365, 1095),
        aanbieders: &["Regiotaxi Zuid", "Vervoerscentrale Stad"],
    },
    Voorz {
        code: "rolstoel",
        weight: 6.0,
        p_indefinite: 0.9,
        duration: (365, 1095),
        aanbieders: &["Hulpmiddelencentrum Zuid", "Revalidatietechniek Midden"],
    },
    Voorz {
        code: "scootmobiel",
        weight: 5.0,
        p_indefinite: 0.9,
        duration: (365, 1095),
        aanbieders: &["Hulpmiddelencentrum Zuid", "Revalidatietechniek Midden"],
    },
    Voorz {
        code: "woningaanpassing",
        weight: 6.0,
        p_indefinite: 0.1,
        duration: (0, 90),
        aanbieders: &["Woonaanpassing Service", "Bouwbedrijf Van Dijk"],
    },
    Voorz {
        code: "beschermd_wonen",
        weight: 2.0,
        p_indefinite: 0.7,
        duration: (365, 1095),
        aanbieders: &["Beschermd Wonen De Brug"],
    },
    Voorz {
        code: "kortdurend_verblijf",
        weight: 2.0,
        p_indefinite: 0.0,
        duration: (30, 365),
        aanbieders: &["Zorggroep De Linde", "Logeerhuis De Ster"],
    },
    Voorz {
        code: "respijtzorg",
        weight: 2.0,
        p_indefinite: 0.6,
        duration: (90, 365),
        aanbieders: &["Welzijn Plus", "Logeerhuis De Ster"],
    },
];

const JEUGD_VOORZ: &[Voorz] = &[
    Voorz {
        code: "jeugdhulp_ambulant",
        weight: 35.0,
        p_indefinite: 0.1,
        duration: (90, 365),
        aanbieders: &[
            "Jeugdhulp Rivierenland",
            "Kwadraad Jeugd",
            "Ambulante Jeugdhulp Oost",
        ],
    },
    Voorz {
        code: "jeugd_ggz",
        weight: 20.0,
        p_indefinite: 0.05,
        duration: (90, 365),
        aanbieders: &["Kinder- en Jeugdpsychiatrie Oost", "GGZ Jeugd Midden"],
    },
    Voorz {
        code: "jeugd_begeleiding",
        weight: 12.0,
        p_indefinite: 0.1,
        duration: (90, 365),
        aanbieders: &["Jeugdhulp Rivierenland", "Kwadraad Jeugd"],
    },
    Voorz {
        code: "jeugd_dyslexie",
        weight: 10.0,
        p_indefinite: 0.0,
        duration: (180, 365),
        aanbieders: &["Dyslexiezorg Centrum"],
    },
    Voorz {
        code: "jeugd_dagbehandeling",
        weight: 8.0,
        p_indefinite: 0.1,
        duration: (90, 365),
        aanbieders: &["Dagbehandeling De Kleine Haven", "GGZ Jeugd Midden"],
    },
    Voorz {
        code: "pleegzorg",
        weight: 5.0,
        p_indefinite: 0.3,
        duration: (180, 730),
        aanbieders: &["Pleegzorg Samen"],
    },
    Voorz {
        code: "jeugdhulp_verblijf",
        weight: 5.0,
        p_indefinite: 0.1,
        duration: (90, 365),
        aanbieders: &["Residentiele Jeugdzorg De Hoeve"],
    },
    Voorz {
        code: "jeugd_kortdurend_verblijf",
        weight: 5.0,
        p_indefinite: 0.0,
        duration: (30, 180),
        aanbieders: &["Logeerhuis De Ster", "Jeugdhulp Rivierenland"],
    },
];

const PGB_AANBIEDER: &str = "PGB-zorgverlener (SVB)";

const WMO_CIT_KANAAL: &[(Kanaal, f64)] = &[
    (Kanaal::Telefoon, 0.48),
    (Kanaal::Email, 0.16),
    (Kanaal::Digitaal, 0.24),
    (Kanaal::Balie, 0.12),
];
const WMO_DIRECT_KANAAL: &[(Kanaal, f64)] = &[
    (Kanaal::ConsulentDirect, 0.35),
    (Kanaal::SociaalTeam, 0.35),
    (Kanaal::Knooppunt, 0.05),
    (Kanaal::Derden, 0.25),
];
const JEUGD_CIT_KANAAL: &[(Kanaal, f64)] = &[
    (Kanaal::Telefoon, 0.45),
    (Kanaal::Email, 0.2),
    (Kanaal::Digitaal, 0.25),
    (Kanaal::Balie, 0.1),
];
const JEUGD_DIRECT_KANAAL: &[(Kanaal, f64)] = &[
    (Kanaal::Knooppunt, 0.35),
    (Kanaal::SociaalTeam, 0.3),
    (Kanaal::Derden, 0.2),
    (Kanaal::ConsulentDirect, 0.15),
];
const OFF_HOURS_KANAAL: &[(Kanaal, f64)] = &[(Kanaal::Digitaal, 0.6), (Kanaal::Email, 0.4)];

const WMO_VERWIJZER: &[(Verwijzer, f64)] = &[
    (Verwijzer::Geen, 0.45),
    (Verwijzer::Huisarts, 0.14),
    (Verwijzer::Wijkteam, 0.12),
    (Verwijzer::Gemeente, 0.10),
    (Verwijzer::MedischSpecialist, 0.09),
    (Verwijzer::Werkplein, 0.04),
    (Verwijzer::Uwv, 0.02),
    (Verwijzer::VerwijzingVoor2015, 0.04),
];
const JEUGD_VERWIJZER: &[(Verwijzer, f64)] = &[
    (Verwijzer::Gemeente, 0.22),
    (Verwijzer::Wijkteam, 0.20),
    (Verwijzer::Huisarts, 0.17),
    (Verwijzer::Jeugdarts, 0.14),
    (Verwijzer::GecertificeerdeInstelling, 0.10),
    (Verwijzer::MedischSpecialist, 0.05),
    (Verwijzer::Geen, 0.12),
];

const AFGEVANGEN_REDEN: &[(&str, f64)] = &[
    ("informatie en advies gegeven", 0.35),
    ("verwezen naar algemene voorziening", 0.30),
    ("opgelost in eerste gesprek", 0.15),
    ("verwezen naar welzijnsorganisatie", 0.12),
    ("geen ondersteuningsvraag", 0.08),
];
const DOORGEZET_REDEN: &[(&str, f64)] = &[
    ("onderzoek maatwerkvoorziening nodig", 0.7),
    ("complexe situatie", 0.2),
    ("herbeoordeling bestaande voorziening", 0.1),
];

const ATTRITION_REDEN: &[(ZorgEindeReden, f64)] = &[
    (ZorgEindeReden::Overleden, 0.40),
    (ZorgEindeReden::Wlz, 0.30),
    (ZorgEindeReden::Verhuisd, 0.10),
    (ZorgEindeReden::OpVerzoekClient, 0.10),
    (ZorgEindeReden::Overig, 0.10),
];
const EINDDATUM_REDEN: &[(ZorgEindeReden, f64)] = &[
    (ZorgEindeReden::DoelenBereikt, 0.75),
    (ZorgEindeReden::AndereVoorziening, 0.10),
    (ZorgEindeReden::OpVerzoekClient, 0.10),
    (ZorgEindeReden::Verhuisd, 0.05),
];
const EARLY_END_REDEN: &[(ZorgEindeReden, f64)] = &[
    (ZorgEindeReden::OpVerzoekClient, 0.35),
    (ZorgEindeReden::DoelenBereikt, 0.25),
    (ZorgEindeReden::Verhuisd, 0.15),
    (ZorgEindeReden::AndereVoorziening, 0.15),
    (ZorgEindeReden::Overig, 0.10),
];
const PO_BEEINDIGD_REDEN: &[(ZorgEindeReden, f64)] = &[
    (ZorgEindeReden::OpVerzoekClient, 0.3),
    (ZorgEindeReden::DoelenBereikt, 0.3),
    (ZorgEindeReden::AndereVoorziening, 0.2),
    (ZorgEindeReden::Wlz, 0.1),
    (ZorgEindeReden::Overig, 0.1),
];

const SRC_CIT: &str = "cit-kcc";
const SRC_PLANNING: &str = "planning";
const SRC_ZAAK: &str = "zaaksysteem";
const SRC_HR: &str = "hr-formatie";

/// Shuffle `v` deterministically (Fisher–Yates on the simulator's PRNG): for tests
/// that replay a stream in another order.
pub fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut rng = Rng::new(seed);
    for i in (1..v.len()).rev() {
        v.swap(i, (rng.u64() % (i as u64 + 1)) as usize);
    }
}

// ---------------------------------------------------------------------------
// PRNG: xoshiro256** seeded through SplitMix64
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Rng([u64; 4]);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut splitmix = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng([splitmix(), splitmix(), splitmix(), splitmix()])
    }

    fn u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Uniform integer in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.u64() % span) as i64
    }

    fn pick<T: Copy>(&mut self, weighted: &[(T, f64)]) -> T {
        let total: f64 = weighted.iter().map(|w| w.1).sum();
        let mut r = self.f64() * total;
        for &(v, w) in weighted {
            if r < w {
                return v;
            }
            r -= w;
        }
        weighted[weighted.len() - 1].0
    }

    /// Approximately standard normal (Irwin–Hall: 12 uniforms), arithmetic only.
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.f64()).sum::<f64>() - 6.0
    }

    fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda.is_nan() || lambda <= 0.0 {
            0
        } else if lambda < 30.0 {
            let limit = det_exp(-lambda);
            let mut k = 0;
            let mut p = 1.0;
            loop {
                p *= self.f64();
                if p <= limit {
                    return k;
                }
                k += 1;
            }
        } else {
            (lambda + lambda.sqrt() * self.normal()).round().max(0.0) as u64
        }
    }

    /// Exponentially distributed with the given mean.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * det_ln(1.0 - self.f64())
    }

    /// A version-4 UUID drawn from this generator.
    fn uuid(&mut self) -> Uuid {
        let v = (u128::from(self.u64()) << 64) | u128::from(self.u64());
        uuid::Builder::from_random_bytes(v.to_be_bytes()).into_uuid()
    }
}

// The platform's `ln`/`exp` may differ in the last bit between C libraries; these
// use only IEEE-exact arithmetic, so output is byte-identical on every platform.

/// Natural logarithm of a positive, normal `x`.
fn det_ln(x: f64) -> f64 {
    debug_assert!(x > 0.0 && x.is_normal());
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    // ln m = 2 atanh(z), |z| ≤ 0.172.
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let mut term = z;
    let mut sum = 0.0;
    for k in 0..20 {
        sum += term / f64::from(2 * k + 1);
        term *= z2;
    }
    2.0 * sum + e as f64 * std::f64::consts::LN_2
}

/// e^x for moderate `x` (|x| < 700).
fn det_exp(x: f64) -> f64 {
    let k = (x / std::f64::consts::LN_2).round();
    let r = x - k * std::f64::consts::LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..25 {
        term *= r / f64::from(i);
        sum += term;
    }
    sum * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

// ---------------------------------------------------------------------------
// Calendar and time (instants are Unix seconds; days are Amsterdam dates)
// ---------------------------------------------------------------------------

const DAY: i64 = 86_400;

fn easter(y: i32) -> NaiveDate {
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(y, month as u32, day as u32).expect("easter is a valid date")
}

/// Dutch public holidays municipal offices close on.
fn is_holiday(d: NaiveDate) -> bool {
    let (m, day) = (d.month(), d.day());
    if matches!((m, day), (1, 1) | (12, 25) | (12, 26)) {
        return true;
    }
    if m == 4 && (day == 26 || day == 27) {
        let kings = NaiveDate::from_ymd_opt(d.year(), 4, 27).expect("valid date");
        let kings = if kings.weekday() == Weekday::Sun {
            kings - Duration::days(1)
        } else {
            kings
        };
        if d == kings {
            return true;
        }
    }
    if (3..=6).contains(&m) {
        let e = easter(d.year());
        let off = (d - e).num_days();
        return off == 1 || off == 39 || off == 50;
    }
    false
}

fn is_workday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_holiday(d)
}

fn next_workday(mut d: NaiveDate) -> NaiveDate {
    while !is_workday(d) {
        d += Duration::days(1);
    }
    d
}

fn add_workdays(d: NaiveDate, k: i64) -> NaiveDate {
    let mut d = next_workday(d);
    for _ in 0..k {
        d = next_workday(d + Duration::days(1));
    }
    d
}

/// The instant of a local wall-clock time (gaps resolved forward, overlaps to the first).
fn local_ts(date: NaiveDate, secs_of_day: i64) -> i64 {
    let ndt = date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::seconds(secs_of_day);
    match Amsterdam.from_local_datetime(&ndt) {
        LocalResult::Single(t) => t.timestamp(),
        LocalResult::Ambiguous(a, _) => a.timestamp(),
        LocalResult::None => Amsterdam
            .from_local_datetime(&(ndt + Duration::hours(1)))
            .earliest()
            .map(|t| t.timestamp())
            .unwrap_or_else(|| ndt.and_utc().timestamp()),
    }
}

fn to_dt(ts: i64) -> DateTime<FixedOffset> {
    Amsterdam
        .timestamp_opt(ts, 0)
        .single()
        .expect("instant in range")
        .fixed_offset()
}

fn local_date(ts: i64) -> NaiveDate {
    Amsterdam
        .timestamp_opt(ts, 0)
        .single()
        .expect("instant in range")
        .date_naive()
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// A time in office hours (08:30–17:00, most around midday) on `date`.
fn at_office(rng: &mut Rng, date: NaiveDate) -> i64 {
    let secs = 30_600 + ((rng.f64() + rng.f64()) / 2.0 * 30_600.0) as i64;
    local_ts(date, secs)
}

/// Any time of day, mostly waking hours.
fn at_any_time(rng: &mut Rng, date: NaiveDate) -> i64 {
    let secs = if rng.chance(0.9) {
        rng.range(7 * 3600, 24 * 3600 - 1)
    } else {
        rng.range(0, 7 * 3600 - 1)
    };
    local_ts(date, secs)
}

/// Office time `k` working days after the day of `t`, strictly after `t`.
fn after_workdays(rng: &mut Rng, t: i64, k: i64) -> i64 {
    let ts = at_office(rng, add_workdays(local_date(t), k));
    if ts > t {
        ts
    } else {
        t + rng.range(300, 5400)
    }
}

/// Office time on the first working day at least `n` calendar days after the day of `t`.
fn after_days(rng: &mut Rng, t: i64, n: i64) -> i64 {
    let ts = at_office(rng, next_workday(local_date(t) + days(n)));
    if ts > t {
        ts
    } else {
        t + rng.range(300, 5400)
    }
}

fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("valid date")
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - days(i64::from(d.weekday().num_days_from_monday()))
}

/// True when `s` holds a run of exactly 9 digits that is a valid BSN.
fn contains_bsn(s: &str) -> bool {
    s.split(|c: char| !c.is_ascii_digit()).any(is_bsn)
}

fn client_ref(client: u64) -> String {
    format!("c-{client:012x}")
}

fn team_name(dom: Domein, team: u8) -> &'static str {
    match dom {
        Domein::Wmo => WMO_TEAMS[team as usize],
        Domein::Jeugd => JEUGD_TEAMS[team as usize],
    }
}

fn voorz_table(dom: Domein) -> &'static [Voorz] {
    match dom {
        Domein::Wmo => WMO_VOORZ,
        Domein::Jeugd => JEUGD_VOORZ,
    }
}

fn dom_index(dom: Domein) -> usize {
    match dom {
        Domein::Wmo => 0,
        Domein::Jeugd => 1,
    }
}

// ---------------------------------------------------------------------------
// Simulation state
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Ctx {
    g: u16,
    dom: Domein,
    case_id: Uuid,
    client: u64,
}

struct CaseState {
    ctx: Ctx,
    team: Option<u8>,
    /// Index into the roster's consultants.
    consultant: Option<u32>,
    refs: u32,
}

struct Besch {
    /// The case that issued it: zorg events go there.
    origin: Ctx,
    /// The case of the current PO cycle: po.gepland goes there.
    cur: Ctx,
    id: Uuid,
    aanvraag_id: Uuid,
    voorz: u8,
    ingang: NaiveDate,
    eind: Option<NaiveDate>,
    lv: Leveringsvorm,
    aanbieder: Option<&'static str>,
    team: u8,
    issued_at: i64,
    zorg_planned: bool,
    zorg_start: Option<NaiveDate>,
    zorg_ended: bool,
    /// No longer in a PO cycle (PO gewijzigd/beeindigd, or care ended).
    ended: bool,
    refs: u32,
}

struct Slab<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Slab<T> {
    fn new() -> Self {
        Slab {
            items: Vec::new(),
            free: Vec::new(),
        }
    }
    fn insert(&mut self, v: T) -> u32 {
        if let Some(i) = self.free.pop() {
            self.items[i as usize] = Some(v);
            i
        } else {
            self.items.push(Some(v));
            (self.items.len() - 1) as u32
        }
    }
    fn get(&self, i: u32) -> Option<&T> {
        self.items.get(i as usize).and_then(Option::as_ref)
    }
    fn get_mut(&mut self, i: u32) -> Option<&mut T> {
        self.items.get_mut(i as usize).and_then(Option::as_mut)
    }
    fn remove(&mut self, i: u32) {
        if let Some(slot) = self.items.get_mut(i as usize) {
            if slot.take().is_some() {
                self.free.push(i);
            }
        }
    }
}

struct Consultant {
    no: u32,
    team: u8,
    fte: f64,
    active: bool,
}

struct Roster {
    g: u16,
    dom: Domein,
    target_fte: f64,
    cons: Vec<Consultant>,
    /// Per team: indices into `cons` of its active consultants.
    members: [Vec<u32>; 7],
}

struct Gem {
    code: String,
    digits: String,
    vol: f64,
    quality: f64,
    next_consultant: u32,
}

#[derive(Debug, Clone, Copy)]
enum Assign {
    /// Planner → team (and straight to a consultant when `consultant`).
    Team { team: u8, consultant: bool },
    /// Load manager → a consultant of the case's team.
    Consultant,
    /// Handover to another consultant, in the same or another team.
    Handover { other_team: bool },
}

#[derive(Debug, Clone)]
struct NewBesch {
    id: Uuid,
    aanvraag_id: Uuid,
    voorz: u8,
    besluit: Besluit,
    ingang: NaiveDate,
    eind: Option<NaiveDate>,
    lv: Leveringsvorm,
    aanbieder: Option<&'static str>,
}

#[derive(Debug, Clone)]
enum CaseStep {
    Melding {
        kanaal: Kanaal,
        verwijzer: Verwijzer,
        wijk: Option<u8>,
    },
    Beoordeeld {
        uitkomst: MeldingUitkomst,
        reden: Option<&'static str>,
    },
    Toegewezen {
        how: Assign,
        dossiertype: Dossiertype,
    },
    Aanvraag {
        id: Uuid,
        voorz: u8,
        soort: AanvraagSoort,
    },
    Beschikking(Box<NewBesch>),
    PoUitgevoerd {
        b: u32,
        uitkomst: PoUitkomst,
    },
    Afgesloten {
        reden: AfsluitReden,
    },
}

#[derive(Debug, Clone)]
enum BeschStep {
    /// The historical beschikking.afgegeven of a stock beschikking.
    Afgegeven,
    PoGepland {
        gepland_op: NaiveDate,
    },
    ZorgGestart {
        startdatum: NaiveDate,
    },
    ZorgBeeindigd {
        einddatum: NaiveDate,
        reden: ZorgEindeReden,
    },
    /// The PO is taken up: a PO case starts.
    Pickup,
}

#[derive(Debug, Clone)]
enum Action {
    FormatieInit { roster: u32 },
    Staffing { roster: u32 },
    Case { case: u32, step: CaseStep },
    Besch { b: u32, step: BeschStep },
}

struct Scheduled {
    ts: i64,
    seq: u64,
    action: Action,
}

impl PartialEq for Scheduled {
    fn eq(&self, o: &Self) -> bool {
        (self.ts, self.seq) == (o.ts, o.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Scheduled {
    // Reversed: BinaryHeap is a max-heap, we want the earliest first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.ts, o.seq).cmp(&(self.ts, self.seq))
    }
}

struct Delayed {
    release: i64,
    seq: u64,
    line: SimLine,
}

impl PartialEq for Delayed {
    fn eq(&self, o: &Self) -> bool {
        (self.release, self.seq) == (o.release, o.seq)
    }
}
impl Eq for Delayed {}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Delayed {
    fn cmp(&self, o: &Self) -> Ordering {
        (o.release, o.seq).cmp(&(self.release, self.seq))
    }
}

/// When a PO cycle's plan, pick-up and end of care fall.
struct CyclePlan {
    /// (occurred_at, gepland_op) of the po.gepland, None when forgotten.
    plan: Option<(i64, NaiveDate)>,
    pickup: i64,
    /// When care would end (attrition), if before the pick-up.
    end: i64,
}

/// Streams the simulated lines in roughly chronological order, one day at a time.
pub struct Simulator {
    cfg: SimConfig,
    rng: Rng,
    gem: Vec<Gem>,
    rosters: Vec<Roster>,
    cases: Slab<CaseState>,
    besch: Slab<Besch>,
    heap: BinaryHeap<Scheduled>,
    delayed: BinaryHeap<Delayed>,
    seq: u64,
    out: VecDeque<SimLine>,
    /// The next day to simulate.
    day: NaiveDate,
    warm_start: NaiveDate,
    from_ts: i64,
    /// Stock beschikkingen whose PO is taken up before this were reviewed before
    /// the stream starts; they are left out.
    keep_from_ts: i64,
    /// Nothing happens at or after this instant (midnight after `to`).
    end_ts: i64,
    p_bad: f64,
    estimate: u64,
    done: bool,
}

impl Simulator {
    pub fn new(cfg: SimConfig) -> Self {
        let mut rng = Rng::new(cfg.seed);
        let scale = if cfg.scale.is_finite() && cfg.scale > 0.0 {
            cfg.scale
        } else {
            0.0
        };
        let bad = if cfg.bad_fraction.is_finite() {
            cfg.bad_fraction.clamp(0.0, 0.5)
        } else {
            0.0
        };
        let p_bad = bad / (1.0 - bad);
        let hist_start = cfg.from - days(HISTORY_DAYS);
        let warm_start = cfg.from - days(WARMUP_DAYS);
        let from_ts = local_ts(cfg.from, 0);
        let end_ts = local_ts(cfg.to + days(1), 0);

        let gem: Vec<Gem> = (0..cfg.gemeenten)
            .map(|i| {
                let code = gemeente_code(i);
                let digits = code[2..].to_string();
                Gem {
                    code,
                    digits,
                    vol: VOLUME_FACTORS[i % VOLUME_FACTORS.len()],
                    quality: QUALITY_FACTORS[i % QUALITY_FACTORS.len()],
                    next_consultant: 1,
                }
            })
            .collect();

        let mut sim = Simulator {
            cfg: SimConfig { scale, ..cfg },
            rng: Rng::new(0),
            gem,
            rosters: Vec::new(),
            cases: Slab::new(),
            besch: Slab::new(),
            heap: BinaryHeap::new(),
            delayed: BinaryHeap::new(),
            seq: 0,
            out: VecDeque::new(),
            day: hist_start,
            warm_start,
            from_ts,
            keep_from_ts: from_ts - 30 * DAY,
            end_ts,
            p_bad,
            estimate: 0,
            done: false,
        };
        if sim.cfg.from > sim.cfg.to {
            sim.done = true;
            return sim;
        }

        // Staffing at the start of the run-in.
        let staff_day = monday_of(warm_start);
        for g in 0..sim.gem.len() {
            for dom in [Domein::Wmo, Domein::Jeugd] {
                let base = if dom == Domein::Wmo {
                    WMO_FTE
                } else {
                    JEUGD_FTE
                };
                let target = (base * sim.gem[g].vol * scale * 100.0).round() / 100.0;
                let roster = build_roster(&mut rng, &mut sim.gem[g], g as u16, dom, target);
                let r = sim.rosters.len() as u32;
                sim.rosters.push(roster);
                let t0 = local_ts(staff_day, 7 * 3600 + 30 * 60);
                sim.schedule(t0, Action::FormatieInit { roster: r });
                if target > 0.0 {
                    let gap = staffing_gap_days(target);
                    let first = from_ts + (rng.exp(gap) * DAY as f64) as i64;
                    let first = at_office(&mut rng, next_workday(local_date(first)));
                    sim.schedule(first, Action::Staffing { roster: r });
                }
            }
        }
        sim.rng = rng;
        sim.estimate = sim.compute_estimate();
        sim
    }

    /// A cheap estimate of the number of lines the simulator will produce.
    pub fn estimated_events(&self) -> u64 {
        self.estimate
    }

    fn compute_estimate(&self) -> u64 {
        if self.cfg.from > self.cfg.to {
            return 0;
        }
        let weeks = ((self.cfg.to - self.cfg.from).num_days() + 1) as f64 / 7.0;
        // Events per week in steady state and the one-off history, per unit of volume
        // (measured on long runs of this generator).
        const PER_WEEK: f64 = 2_230.0;
        const HISTORY: f64 = 45_000.0;
        let volume: f64 = self.gem.iter().map(|g| g.vol * self.cfg.scale).sum();
        let staffing: f64 = self
            .rosters
            .iter()
            .filter(|r| r.target_fte > 0.0)
            .map(|r| r.cons.len() as f64 + weeks * 7.0 / staffing_gap_days(r.target_fte))
            .sum();
        let extra = self.cfg.duplicate_fraction.clamp(0.0, 1.0) + self.p_bad;
        ((volume * (HISTORY + weeks * PER_WEEK) + staffing) * (1.0 + extra)).round() as u64
    }

    // -- scheduling ----------------------------------------------------------

    fn schedule(&mut self, ts: i64, action: Action) -> bool {
        if ts >= self.end_ts {
            return false;
        }
        self.seq += 1;
        self.heap.push(Scheduled {
            ts,
            seq: self.seq,
            action,
        });
        true
    }

    fn schedule_besch(&mut self, b: u32, ts: i64, step: BeschStep) {
        if self.schedule(ts, Action::Besch { b, step }) {
            if let Some(bs) = self.besch.get_mut(b) {
                bs.refs += 1;
            }
        }
    }

    fn release_besch(&mut self, b: u32) {
        if let Some(bs) = self.besch.get_mut(b) {
            bs.refs = bs.refs.saturating_sub(1);
            if bs.refs == 0 {
                self.besch.remove(b);
            }
        }
    }

    fn release_case(&mut self, c: u32) {
        if let Some(cs) = self.cases.get_mut(c) {
            cs.refs = cs.refs.saturating_sub(1);
            if cs.refs == 0 {
                self.cases.remove(c);
            }
        }
    }

    /// Registers a case and schedules its steps (those before the end).
    fn schedule_case_plan(&mut self, ctx: Ctx, mut plan: Vec<(i64, CaseStep)>) {
        plan.sort_by_key(|p| p.0);
        let case = self.cases.insert(CaseState {
            ctx,
            team: None,
            consultant: None,
            refs: 0,
        });
        let mut refs = 0;
        for (ts, step) in plan {
            let po_b = match &step {
                CaseStep::PoUitgevoerd { b, .. } => Some(*b),
                _ => None,
            };
            if self.schedule(ts, Action::Case { case, step }) {
                refs += 1;
                if let Some(b) = po_b {
                    if let Some(bs) = self.besch.get_mut(b) {
                        bs.refs += 1;
                    }
                }
            }
        }
        if refs == 0 {
            self.cases.remove(case);
        } else if let Some(cs) = self.cases.get_mut(case) {
            cs.refs = refs;
        }
    }

    // -- the day loop --------------------------------------------------------

    fn step_day(&mut self) {
        if self.day > self.cfg.to {
            while let Some(d) = self.delayed.pop() {
                self.output(d.line);
            }
            self.done = true;
            return;
        }
        let day = self.day;
        let day_end = local_ts(day + days(1), 0);
        if day < self.cfg.from {
            self.generate_stock(day);
        }
        if day >= self.warm_start {
            self.generate_meldingen(day);
        }
        loop {
            let next_action = self.heap.peek().map(|s| s.ts).filter(|&t| t < day_end);
            let next_delayed = self
                .delayed
                .peek()
                .map(|d| d.release)
                .filter(|&t| t < day_end);
            match (next_action, next_delayed) {
                (None, None) => break,
                (Some(a), Some(d)) if d <= a => self.release_delayed(),
                (None, Some(_)) => self.release_delayed(),
                (Some(_), _) => {
                    let s = self.heap.pop().expect("peeked");
                    self.execute(s.ts, s.action);
                }
            }
        }
        self.day = day + days(1);
    }

    fn release_delayed(&mut self) {
        if let Some(d) = self.delayed.pop() {
            self.output(d.line);
        }
    }

    // -- history -------------------------------------------------------------

    fn generate_stock(&mut self, day: NaiveDate) {
        if !is_workday(day) {
            return;
        }
        for g in 0..self.gem.len() {
            let v = self.gem[g].vol * self.cfg.scale;
            let n = self.rng.poisson(WMO_STOCK_WEEK * v / WORKDAYS_PER_WEEK);
            for _ in 0..n {
                self.stock_wmo(g as u16, day);
            }
            if day >= self.cfg.from - days(365) {
                let n = self.rng.poisson(JEUGD_STOCK_WEEK * v / WORKDAYS_PER_WEEK);
                for _ in 0..n {
                    self.stock_jeugd(g as u16, day);
                }
            }
        }
    }

    fn new_client(&mut self) -> u64 {
        loop {
            let c = self.rng.u64() & 0xFFFF_FFFF_FFFF;
            if !contains_bsn(&client_ref(c)) {
                return c;
            }
        }
    }

    fn new_ctx(&mut self, g: u16, dom: Domein, client: Option<u64>) -> Ctx {
        let case_id = self.rng.uuid();
        let client = match client {
            Some(c) => c,
            None => self.new_client(),
        };
        Ctx {
            g,
            dom,
            case_id,
            client,
        }
    }

    fn pick_voorz(&mut self, dom: Domein, indefinite_weighted: bool) -> u8 {
        let table = voorz_table(dom);
        let total: f64 = table
            .iter()
            .map(|v| {
                if indefinite_weighted {
                    v.weight * v.p_indefinite
                } else {
                    v.weight
                }
            })
            .sum();
        let mut r = self.rng.f64() * total;
        for (i, v) in table.iter().enumerate() {
            let w = if indefinite_weighted {
                v.weight * v.p_indefinite
            } else {
                v.weight
            };
            if r < w {
                return i as u8;
            }
            r -= w;
        }
        (table.len() - 1) as u8
    }

    fn pick_aanbieder(&mut self, dom: Domein, voorz: u8) -> &'static str {
        let list = voorz_table(dom)[voorz as usize].aanbieders;
        list[self.rng.range(0, list.len() as i64 - 1) as usize]
    }

    fn stock_wmo(&mut self, g: u16, day: NaiveDate) {
        let c = at_office(&mut self.rng, day);
        let q = self.gem[g as usize].quality;
        let attr_from = c.max(self.from_ts);
        let plan = self.sample_cycle(c, false, q, attr_from);
        if plan.pickup < self.keep_from_ts {
            return; // reviewed before the stream starts: not in the migrated stock
        }
        let voorz = self.pick_voorz(Domein::Wmo, true);
        let lv = if self.rng.chance(0.12) {
            Leveringsvorm::Pgb
        } else {
            Leveringsvorm::Zin
        };
        let aanbieder = if lv == Leveringsvorm::Zin {
            Some(self.pick_aanbieder(Domein::Wmo, voorz))
        } else {
            None
        };
        let ctx = self.new_ctx(g, Domein::Wmo, None);
        let ingang = day + days(self.rng.range(0, 14));
        let team = self.rng.range(0, N_TEAMS - 1) as u8;
        let id = self.rng.uuid();
        let aanvraag_id = self.rng.uuid();
        let b = self.besch.insert(Besch {
            origin: ctx,
            cur: ctx,
            id,
            aanvraag_id,
            voorz,
            ingang,
            eind: None,
            lv,
            aanbieder,
            team,
            issued_at: c,
            zorg_planned: false,
            zorg_start: None,
            zorg_ended: false,
            ended: false,
            refs: 0,
        });
        self.schedule_besch(b, c, BeschStep::Afgegeven);
        self.plan_followups(b, c, true, Some(plan));
        self.maybe_free_besch(b);
    }

    fn stock_jeugd(&mut self, g: u16, day: NaiveDate) {
        let voorz = self.pick_voorz(Domein::Jeugd, false);
        let (lo, hi) = JEUGD_VOORZ[voorz as usize].duration;
        let ingang = day + days(self.rng.range(0, 14));
        let eind = ingang + days(self.rng.range(lo.max(30), hi));
        if eind < self.cfg.from {
            return; // ended before the stream starts
        }
        let c = at_office(&mut self.rng, day);
        let lv = if self.rng.chance(0.15) {
            Leveringsvorm::Pgb
        } else {
            Leveringsvorm::Zin
        };
        let aanbieder = if lv == Leveringsvorm::Zin {
            Some(self.pick_aanbieder(Domein::Jeugd, voorz))
        } else {
            None
        };
        let ctx = self.new_ctx(g, Domein::Jeugd, None);
        let team = self.rng.range(0, N_TEAMS - 1) as u8;
        let id = self.rng.uuid();
        let aanvraag_id = self.rng.uuid();
        let b = self.besch.insert(Besch {
            origin: ctx,
            cur: ctx,
            id,
            aanvraag_id,
            voorz,
            ingang,
            eind: Some(eind),
            lv,
            aanbieder,
            team,
            issued_at: c,
            zorg_planned: false,
            zorg_start: None,
            zorg_ended: false,
            ended: false,
            refs: 0,
        });
        self.schedule_besch(b, c, BeschStep::Afgegeven);
        self.plan_followups(b, c, true, None);
        self.maybe_free_besch(b);
    }

    fn maybe_free_besch(&mut self, b: u32) {
        if self.besch.get(b).is_some_and(|bs| bs.refs == 0) {
            self.besch.remove(b);
        }
    }

    // -- beschikking follow-ups ----------------------------------------------

    fn sample_cycle(&mut self, c: i64, by_po: bool, q: f64, attr_from: i64) -> CyclePlan {
        let rng = &mut self.rng;
        let c_date = local_date(c);
        let forgot_p = if by_po { 0.15 } else { 0.05 } * q;
        let mut plan = None;
        let pickup;
        if rng.chance(forgot_p) {
            // Nobody planned the PO; it is discovered much later, if ever.
            let d = rng.range(440, 1460);
            pickup = at_office(rng, next_workday(c_date + days(d)));
        } else {
            let too_far = rng.chance(0.03);
            let plan_ts = if rng.chance(0.06 * q) {
                let d = rng.range(16, 70);
                after_days(rng, c, d)
            } else {
                let k = rng.range(0, 8);
                after_workdays(rng, c, k)
            };
            let interval = if too_far {
                1095 + rng.range(30, 400)
            } else {
                let base = rng.pick(&[(365, 0.25), (730, 0.30), (1095, 0.45)]);
                base - rng.range(1, 45)
            };
            let gepland_op = c_date + days(interval);
            let delta = if rng.chance(0.28 * q) {
                rng.range(1, 150)
            } else {
                -rng.range(0, 42)
            };
            let pick_date = (gepland_op + days(delta)).max(local_date(plan_ts) + days(1));
            pickup = at_office(rng, next_workday(pick_date));
            plan = Some((plan_ts, gepland_op));
        }
        let end = attr_from + (rng.exp(WMO_CARE_MEAN_DAYS) * DAY as f64) as i64;
        CyclePlan { plan, pickup, end }
    }

    /// Schedules what follows a granted beschikking issued at `c`.
    fn plan_followups(&mut self, b: u32, c: i64, stock: bool, cycle: Option<CyclePlan>) {
        let Some(bs) = self.besch.get(b) else { return };
        let (dom, g, lv, eind, ingang) = (bs.origin.dom, bs.origin.g, bs.lv, bs.eind, bs.ingang);
        let q = self.gem[g as usize].quality;
        let start_p = if stock {
            0.97
        } else if lv == Leveringsvorm::Zin {
            0.93
        } else {
            0.6
        };
        let mut zorg_ts = None;
        if self.rng.chance(start_p) {
            let d = match dom {
                Domein::Wmo if !stock && self.rng.chance(0.09 * q) => self.rng.range(43, 130),
                Domein::Wmo => self.rng.range(2, 35),
                Domein::Jeugd if !stock && self.rng.chance(0.18 * q) => self.rng.range(43, 150),
                Domein::Jeugd => self.rng.range(5, 35),
            };
            let date = next_workday(local_date(c) + days(d));
            // Provider messages come in office hours or in an evening batch.
            let tz = if self.rng.chance(0.6) {
                at_office(&mut self.rng, date)
            } else {
                local_ts(date, self.rng.range(19 * 3600, 23 * 3600))
            };
            let tz = tz.max(c + 3600);
            let sd = (local_date(tz) - days(self.rng.range(0, 5))).max(ingang);
            if let Some(bs) = self.besch.get_mut(b) {
                bs.zorg_planned = true;
                bs.zorg_start = Some(sd);
            }
            self.schedule_besch(b, tz, BeschStep::ZorgGestart { startdatum: sd });
            zorg_ts = Some(tz);
        }
        match (dom, eind) {
            (Domein::Wmo, None) => {
                let plan = match cycle {
                    Some(p) => p,
                    None => self.sample_cycle(c, false, q, c),
                };
                self.apply_cycle(b, c, plan, zorg_ts);
            }
            (_, Some(e)) => {
                if let Some(tz) = zorg_ts {
                    let sd = local_date(tz);
                    let end = if self.rng.chance(0.12) && e > sd + days(2) {
                        let span = (e - sd).num_days();
                        Some((
                            sd + days(self.rng.range(1, span - 1)),
                            self.rng.pick(EARLY_END_REDEN),
                        ))
                    } else if self.rng.chance(0.75) {
                        Some((e, self.rng.pick(EINDDATUM_REDEN)))
                    } else {
                        None
                    };
                    if let Some((ed, reden)) = end {
                        let ed = ed.max(sd);
                        let lag = self.rng.range(0, 10);
                        let ts = at_office(&mut self.rng, next_workday(ed + days(lag)));
                        let ts = ts.max(tz + DAY);
                        self.schedule_besch(
                            b,
                            ts,
                            BeschStep::ZorgBeeindigd {
                                einddatum: ed,
                                reden,
                            },
                        );
                    }
                }
            }
            (Domein::Jeugd, None) => {
                if let Some(tz) = zorg_ts {
                    let e = tz + (self.rng.exp(365.0) * DAY as f64) as i64 + DAY;
                    let ts = at_office(&mut self.rng, next_workday(local_date(e)));
                    let ed = local_date(ts) - days(self.rng.range(0, 5));
                    let ed = ed.max(local_date(tz));
                    let reden = self.rng.pick(EARLY_END_REDEN);
                    self.schedule_besch(
                        b,
                        ts,
                        BeschStep::ZorgBeeindigd {
                            einddatum: ed,
                            reden,
                        },
                    );
                }
            }
        }
    }

    fn apply_cycle(&mut self, b: u32, c: i64, plan: CyclePlan, zorg_ts: Option<i64>) {
        if let Some((pts, gepland_op)) = plan.plan {
            self.schedule_besch(b, pts, BeschStep::PoGepland { gepland_op });
        }
        let Some(bs) = self.besch.get(b) else { return };
        let (zorg, ingang, start) = (bs.zorg_planned && !bs.zorg_ended, bs.ingang, bs.zorg_start);
        if plan.end < plan.pickup {
            if zorg {
                let mut e = plan.end;
                if let Some(tz) = zorg_ts {
                    e = e.max(tz + DAY);
                }
                let e = e.max(c);
                let mut ts = at_office(&mut self.rng, next_workday(local_date(e)));
                if ts <= e {
                    ts = e + self.rng.range(600, 7200);
                }
                let ed = (local_date(ts) - days(self.rng.range(0, 7)))
                    .max(ingang)
                    .max(start.unwrap_or(ingang));
                let reden = self.rng.pick(ATTRITION_REDEN);
                self.schedule_besch(
                    b,
                    ts,
                    BeschStep::ZorgBeeindigd {
                        einddatum: ed,
                        reden,
                    },
                );
            }
            // Without care the grant lapses silently: no PO.
        } else {
            self.schedule_besch(b, plan.pickup, BeschStep::Pickup);
        }
    }

    // -- meldingen -----------------------------------------------------------

    fn generate_meldingen(&mut self, day: NaiveDate) {
        let workday = is_workday(day);
        for g in 0..self.gem.len() {
            let v = self.gem[g].vol * self.cfg.scale;
            for dom in [Domein::Wmo, Domein::Jeugd] {
                let weekly = v * if dom == Domein::Wmo {
                    WMO_MELDINGEN_WEEK
                } else {
                    JEUGD_MELDINGEN_WEEK
                };
                let lambda = if workday {
                    weekly * 0.97 / WORKDAYS_PER_WEEK
                } else {
                    weekly * 0.03 / (7.0 - WORKDAYS_PER_WEEK)
                };
                let n = self.rng.poisson(lambda);
                for _ in 0..n {
                    self.plan_melding_case(g as u16, dom, day, workday);
                }
            }
        }
    }

    /// A client with an active beschikking in this gemeente and domein, if one is found quickly.
    fn existing_client(&mut self, g: u16, dom: Domein) -> Option<u64> {
        let n = self.besch.items.len();
        if n == 0 {
            return None;
        }
        for _ in 0..8 {
            let i = self.rng.range(0, n as i64 - 1) as u32;
            if let Some(bs) = self.besch.get(i) {
                if bs.origin.g == g && bs.origin.dom == dom {
                    return Some(bs.origin.client);
                }
            }
        }
        None
    }

    fn plan_melding_case(&mut self, g: u16, dom: Domein, day: NaiveDate, workday: bool) {
        let q = self.gem[g as usize].quality;
        let wmo = dom == Domein::Wmo;
        let (kanaal, cit) = if !workday {
            (self.rng.pick(OFF_HOURS_KANAAL), true)
        } else if self
            .rng
            .chance(if wmo { WMO_CIT_SHARE } else { JEUGD_CIT_SHARE })
        {
            (
                self.rng.pick(if wmo {
                    WMO_CIT_KANAAL
                } else {
                    JEUGD_CIT_KANAAL
                }),
                true,
            )
        } else {
            (
                self.rng.pick(if wmo {
                    WMO_DIRECT_KANAAL
                } else {
                    JEUGD_DIRECT_KANAAL
                }),
                false,
            )
        };
        let verwijzer = self
            .rng
            .pick(if wmo { WMO_VERWIJZER } else { JEUGD_VERWIJZER });
        let t_m = if matches!(kanaal, Kanaal::Email | Kanaal::Digitaal)
            && (!workday || self.rng.chance(0.2))
        {
            at_any_time(&mut self.rng, day)
        } else {
            at_office(&mut self.rng, day)
        };
        let wijk = if self.rng.chance(0.85) {
            Some(self.rng.range(0, N_WIJKEN - 1) as u8)
        } else {
            None
        };
        let dossiertype = if wmo {
            self.rng.pick(&[
                (Dossiertype::Nieuw, 0.65),
                (Dossiertype::Bestaand, 0.25),
                (Dossiertype::Mutatie, 0.10),
            ])
        } else {
            self.rng.pick(&[
                (Dossiertype::Nieuw, 0.75),
                (Dossiertype::Bestaand, 0.18),
                (Dossiertype::Mutatie, 0.07),
            ])
        };
        let client = if dossiertype == Dossiertype::Nieuw {
            None
        } else {
            self.existing_client(g, dom)
        };
        let ctx = self.new_ctx(g, dom, client);

        let rng = &mut self.rng;
        let mut plan: Vec<(i64, CaseStep)> = vec![(
            t_m,
            CaseStep::Melding {
                kanaal,
                verwijzer,
                wijk,
            },
        )];
        let afvang_p = match (wmo, cit) {
            (true, true) => WMO_AFVANG_CIT,
            (true, false) => WMO_AFVANG_DIRECT,
            (false, true) => JEUGD_AFVANG_CIT,
            (false, false) => JEUGD_AFVANG_DIRECT,
        };
        let k = rng.pick(&[(0, 0.4), (1, 0.35), (2, 0.15), (3, 0.10)]);
        let t_b = after_workdays(rng, t_m, k);
        if rng.chance(afvang_p) {
            let reden = Some(rng.pick(AFGEVANGEN_REDEN));
            plan.push((
                t_b,
                CaseStep::Beoordeeld {
                    uitkomst: MeldingUitkomst::Afgevangen,
                    reden,
                },
            ));
            let t_c = t_b + rng.range(60, 3600);
            plan.push((
                t_c,
                CaseStep::Afgesloten {
                    reden: AfsluitReden::Afgevangen,
                },
            ));
        } else {
            let reden = if rng.chance(0.6) {
                Some(rng.pick(DOORGEZET_REDEN))
            } else {
                None
            };
            plan.push((
                t_b,
                CaseStep::Beoordeeld {
                    uitkomst: MeldingUitkomst::Doorgezet,
                    reden,
                },
            ));
            let team = match wijk {
                Some(w) if rng.chance(0.8) => (i64::from(w) % N_TEAMS) as u8,
                _ => rng.range(0, N_TEAMS - 1) as u8,
            };
            let k = rng.range(1, 5);
            let mut t = after_workdays(rng, t_b, k);
            if !wmo || rng.chance(0.25) {
                plan.push((
                    t,
                    CaseStep::Toegewezen {
                        how: Assign::Team {
                            team,
                            consultant: false,
                        },
                        dossiertype,
                    },
                ));
                let k = rng.range(1, if wmo { 6 } else { 10 });
                t = after_workdays(rng, t, k);
                plan.push((
                    t,
                    CaseStep::Toegewezen {
                        how: Assign::Consultant,
                        dossiertype,
                    },
                ));
            } else {
                plan.push((
                    t,
                    CaseStep::Toegewezen {
                        how: Assign::Team {
                            team,
                            consultant: true,
                        },
                        dossiertype,
                    },
                ));
            }
            let last_assign = t;
            let n_aanvragen = if wmo {
                rng.pick(&[
                    (0, 0.04),
                    (1, 0.38 * 0.96),
                    (2, 0.42 * 0.96),
                    (3, 0.20 * 0.96),
                ])
            } else {
                rng.pick(&[
                    (0, 0.05),
                    (1, 0.85 * 0.95),
                    (2, 0.12 * 0.95),
                    (3, 0.03 * 0.95),
                ])
            };
            if n_aanvragen == 0 {
                let d = rng.range(10, 50);
                let t_c = after_days(rng, t_m, d).max(after_workdays(rng, last_assign, 1));
                let reden = if rng.chance(0.6) {
                    AfsluitReden::Ingetrokken
                } else {
                    AfsluitReden::Overig
                };
                plan.push((t_c, CaseStep::Afgesloten { reden }));
            } else {
                let d = if wmo {
                    if rng.chance((0.18 * q).min(0.9)) {
                        rng.range(44, 90)
                    } else {
                        rng.range(8, 38)
                    }
                } else {
                    rng.range(10, 70)
                };
                let mut ta = after_days(rng, t_m, d);
                if ta <= last_assign {
                    ta = after_workdays(rng, last_assign, 1);
                }
                if rng.chance(if wmo { 0.12 } else { 0.15 }) {
                    let k = rng.range(2, 8);
                    let th = after_workdays(rng, last_assign, k);
                    if th < ta {
                        let other_team = rng.chance(0.35);
                        plan.push((
                            th,
                            CaseStep::Toegewezen {
                                how: Assign::Handover { other_team },
                                dossiertype,
                            },
                        ));
                    }
                }
                let mut last = ta;
                let mut chosen: Vec<u8> = Vec::new();
                for i in 0..n_aanvragen {
                    let voorz = loop {
                        let v = pick_voorz_rng(rng, dom);
                        if !chosen.contains(&v) || chosen.len() >= voorz_table(dom).len() {
                            break v;
                        }
                    };
                    chosen.push(voorz);
                    let t_a = if i == 0 {
                        ta
                    } else if rng.chance(0.7) {
                        ta + rng.range(60, 1200) * i64::from(i)
                    } else {
                        let k = rng.range(1, 7);
                        after_workdays(rng, ta, k)
                    };
                    let soort = match dossiertype {
                        Dossiertype::Mutatie if i == 0 => AanvraagSoort::Mutatie,
                        Dossiertype::Bestaand if rng.chance(0.45) => AanvraagSoort::Herindicatie,
                        _ => AanvraagSoort::Nieuw,
                    };
                    let aanvraag_id = rng.uuid();
                    plan.push((
                        t_a,
                        CaseStep::Aanvraag {
                            id: aanvraag_id,
                            voorz,
                            soort,
                        },
                    ));
                    let late = rng.chance(if wmo { 0.13 } else { 0.14 } * q);
                    let bd = match (wmo, late) {
                        (true, false) => rng.range(1, 10),
                        (true, true) => rng.range(15, 45),
                        (false, false) => rng.range(5, 50),
                        (false, true) => rng.range(57, 110),
                    };
                    let tb = after_days(rng, t_a, bd);
                    let besluit = if rng.chance(if wmo { 0.90 } else { 0.93 }) {
                        Besluit::Toegekend
                    } else {
                        Besluit::Afgewezen
                    };
                    let v = &voorz_table(dom)[voorz as usize];
                    let ingang = local_date(tb) + days(rng.range(0, 7));
                    let eind = if besluit == Besluit::Toegekend && !rng.chance(v.p_indefinite) {
                        Some(ingang + days(rng.range(v.duration.0, v.duration.1)))
                    } else {
                        None
                    };
                    let lv = if rng.chance(if wmo { 0.12 } else { 0.15 }) {
                        Leveringsvorm::Pgb
                    } else {
                        Leveringsvorm::Zin
                    };
                    let aanbieder = if besluit == Besluit::Toegekend && lv == Leveringsvorm::Zin {
                        Some(v.aanbieders[rng.range(0, v.aanbieders.len() as i64 - 1) as usize])
                    } else {
                        None
                    };
                    let id = rng.uuid();
                    let nb = NewBesch {
                        id,
                        aanvraag_id,
                        voorz,
                        besluit,
                        ingang,
                        eind,
                        lv,
                        aanbieder,
                    };
                    plan.push((tb, CaseStep::Beschikking(Box::new(nb))));
                    last = last.max(tb);
                }
                if rng.chance(0.9) {
                    let k = rng.range(0, 5);
                    let t_c = after_workdays(rng, last, k);
                    plan.push((
                        t_c,
                        CaseStep::Afgesloten {
                            reden: AfsluitReden::Beschikt,
                        },
                    ));
                }
            }
        }
        let t_last = plan.iter().map(|p| p.0).max().unwrap_or(t_m);
        if t_last < self.from_ts {
            return; // closed before the stream starts: not part of the open work stock
        }
        self.schedule_case_plan(ctx, plan);
    }

    fn start_po_case(&mut self, p: i64, b: u32) {
        let Some(bs) = self.besch.get(b) else { return };
        if bs.ended {
            return;
        }
        let (g, client, team0, voorz0, lv0, aanbieder0) = (
            bs.origin.g,
            bs.origin.client,
            bs.team,
            bs.voorz,
            bs.lv,
            bs.aanbieder,
        );
        let ctx = self.new_ctx(g, Domein::Wmo, Some(client));
        let rng = &mut self.rng;
        let team = if rng.chance(0.85) {
            team0
        } else {
            rng.range(0, N_TEAMS - 1) as u8
        };
        let dt = Dossiertype::PeriodiekOnderzoek;
        let mut plan: Vec<(i64, CaseStep)> = Vec::new();
        let team_only = rng.chance(0.15);
        plan.push((
            p,
            CaseStep::Toegewezen {
                how: Assign::Team {
                    team,
                    consultant: !team_only,
                },
                dossiertype: dt,
            },
        ));
        let mut t = p;
        if team_only {
            let k = rng.range(1, 5);
            t = after_workdays(rng, t, k);
            plan.push((
                t,
                CaseStep::Toegewezen {
                    how: Assign::Consultant,
                    dossiertype: dt,
                },
            ));
        }
        let uitkomst = rng.pick(&[
            (PoUitkomst::Ongewijzigd, 0.72),
            (PoUitkomst::Gewijzigd, 0.18),
            (PoUitkomst::Beeindigd, 0.10),
        ]);
        let gewijzigd = uitkomst == PoUitkomst::Gewijzigd;
        let aanvraag = if gewijzigd || rng.chance(0.97) {
            Some(rng.uuid())
        } else {
            None
        };
        let k = rng.range(3, 20);
        t = after_workdays(rng, t, k);
        if let Some(id) = aanvraag {
            plan.push((
                t,
                CaseStep::Aanvraag {
                    id,
                    voorz: voorz0,
                    soort: AanvraagSoort::PeriodiekOnderzoek,
                },
            ));
        }
        if rng.chance(0.04) {
            let k = rng.range(1, 4);
            t = after_workdays(rng, t, k);
            let other_team = rng.chance(0.3);
            plan.push((
                t,
                CaseStep::Toegewezen {
                    how: Assign::Handover { other_team },
                    dossiertype: dt,
                },
            ));
        }
        let k = rng.range(1, 6);
        t = after_workdays(rng, t, k);
        plan.push((t, CaseStep::PoUitgevoerd { b, uitkomst }));
        if let (true, Some(aanvraag_id)) = (gewijzigd, aanvraag) {
            let k = rng.range(1, 4);
            t = after_workdays(rng, t, k);
            let voorz = if rng.chance(0.7) {
                voorz0
            } else {
                pick_voorz_rng(rng, Domein::Wmo)
            };
            let v = &WMO_VOORZ[voorz as usize];
            let ingang = local_date(t) + days(rng.range(0, 14));
            let eind = if rng.chance(0.08) {
                Some(ingang + days(rng.range(v.duration.0, v.duration.1)))
            } else {
                None
            };
            let lv = if rng.chance(0.85) {
                lv0
            } else if lv0 == Leveringsvorm::Zin {
                Leveringsvorm::Pgb
            } else {
                Leveringsvorm::Zin
            };
            let aanbieder = match lv {
                Leveringsvorm::Pgb => None,
                Leveringsvorm::Zin if voorz == voorz0 && aanbieder0.is_some() => aanbieder0,
                Leveringsvorm::Zin => {
                    Some(v.aanbieders[rng.range(0, v.aanbieders.len() as i64 - 1) as usize])
                }
            };
            let id = rng.uuid();
            let nb = NewBesch {
                id,
                aanvraag_id,
                voorz,
                besluit: Besluit::Toegekend,
                ingang,
                eind,
                lv,
                aanbieder,
            };
            plan.push((t, CaseStep::Beschikking(Box::new(nb))));
        }
        let k = rng.range(0, 3);
        t = after_workdays(rng, t, k);
        let reden = if gewijzigd {
            AfsluitReden::Beschikt
        } else {
            AfsluitReden::Overig
        };
        plan.push((t, CaseStep::Afgesloten { reden }));
        self.schedule_case_plan(ctx, plan);
    }

    // -- executing actions ---------------------------------------------------

    fn execute(&mut self, ts: i64, action: Action) {
        match action {
            Action::FormatieInit { roster } => self.formatie_init(ts, roster as usize),
            Action::Staffing { roster } => self.staffing_change(ts, roster as usize),
            Action::Case { case, step } => {
                self.case_step(ts, case, step);
                self.release_case(case);
            }
            Action::Besch { b, step } => {
                self.besch_step(ts, b, step);
                self.release_besch(b);
            }
        }
    }

    fn case_step(&mut self, ts: i64, case: u32, step: CaseStep) {
        let Some(cs) = self.cases.get(case) else {
            return;
        };
        let ctx = cs.ctx;
        let r = ctx.g as usize * 2 + dom_index(ctx.dom);
        match step {
            CaseStep::Melding {
                kanaal,
                verwijzer,
                wijk,
            } => {
                let wijk =
                    wijk.map(|w| format!("WK{}{:02}", self.gem[ctx.g as usize].digits, w + 1));
                let src = if matches!(
                    kanaal,
                    Kanaal::Telefoon | Kanaal::Email | Kanaal::Balie | Kanaal::Digitaal
                ) {
                    SRC_CIT
                } else {
                    SRC_ZAAK
                };
                self.emit(
                    ts,
                    ctx.g,
                    ctx.dom,
                    Some(&ctx),
                    EventData::MeldingOntvangen {
                        kanaal,
                        verwijzer,
                        wijk,
                    },
                    src,
                );
            }
            CaseStep::Beoordeeld { uitkomst, reden } => {
                let data = EventData::MeldingBeoordeeld {
                    uitkomst,
                    reden: reden.map(String::from),
                };
                self.emit(ts, ctx.g, ctx.dom, Some(&ctx), data, SRC_CIT);
            }
            CaseStep::Toegewezen { how, dossiertype } => {
                let (cur_team, cur_cons) = (cs.team, cs.consultant);
                let (team, consultant) = match how {
                    Assign::Team { team, consultant } => {
                        let c = if consultant {
                            self.pick_consultant(r, team, None)
                        } else {
                            None
                        };
                        (team, c)
                    }
                    Assign::Consultant => {
                        let team = match cur_team {
                            Some(t) => t,
                            None => self.rng.range(0, N_TEAMS - 1) as u8,
                        };
                        (team, self.pick_consultant(r, team, None))
                    }
                    Assign::Handover { other_team } => {
                        let cur = cur_team.unwrap_or(0);
                        let team = if other_team {
                            ((i64::from(cur) + self.rng.range(1, N_TEAMS - 1)) % N_TEAMS) as u8
                        } else {
                            cur
                        };
                        (team, self.pick_consultant(r, team, cur_cons))
                    }
                };
                if let Some(cs) = self.cases.get_mut(case) {
                    cs.team = Some(team);
                    cs.consultant = consultant;
                }
                let consulent_ref = consultant.map(|c| self.consultant_ref(r, c));
                let data = EventData::CaseToegewezen {
                    team: team_name(ctx.dom, team).to_string(),
                    consulent_ref,
                    dossiertype,
                };
                self.emit(ts, ctx.g, ctx.dom, Some(&ctx), data, SRC_PLANNING);
            }
            CaseStep::Aanvraag { id, voorz, soort } => {
                let voorziening = voorz_table(ctx.dom)[voorz as usize].code.to_string();
                self.emit(
                    ts,
                    ctx.g,
                    ctx.dom,
                    Some(&ctx),
                    EventData::AanvraagIngediend {
                        aanvraag_id: id,
                        voorziening,
                        soort,
                    },
                    SRC_ZAAK,
                );
            }
            CaseStep::Beschikking(nb) => {
                let team = cs.team;
                let data = EventData::BeschikkingAfgegeven {
                    beschikking_id: nb.id,
                    aanvraag_id: nb.aanvraag_id,
                    voorziening: voorz_table(ctx.dom)[nb.voorz as usize].code.to_string(),
                    besluit: nb.besluit,
                    ingangsdatum: nb.ingang,
                    einddatum: nb.eind,
                    leveringsvorm: nb.lv,
                    aanbieder: nb.aanbieder.map(String::from),
                };
                self.emit(ts, ctx.g, ctx.dom, Some(&ctx), data, SRC_ZAAK);
                if nb.besluit == Besluit::Toegekend {
                    let team = match team {
                        Some(t) => t,
                        None => self.rng.range(0, N_TEAMS - 1) as u8,
                    };
                    let b = self.besch.insert(Besch {
                        origin: ctx,
                        cur: ctx,
                        id: nb.id,
                        aanvraag_id: nb.aanvraag_id,
                        voorz: nb.voorz,
                        ingang: nb.ingang,
                        eind: nb.eind,
                        lv: nb.lv,
                        aanbieder: nb.aanbieder,
                        team,
                        issued_at: ts,
                        zorg_planned: false,
                        zorg_start: None,
                        zorg_ended: false,
                        ended: false,
                        refs: 0,
                    });
                    self.plan_followups(b, ts, false, None);
                    self.maybe_free_besch(b);
                }
            }
            CaseStep::PoUitgevoerd { b, uitkomst } => {
                if let Some(bs) = self.besch.get(b) {
                    let data = EventData::PoUitgevoerd {
                        beschikking_id: bs.id,
                        uitkomst,
                    };
                    let zorg = bs.zorg_planned && !bs.zorg_ended;
                    let (ingang, start) = (bs.ingang, bs.zorg_start);
                    self.emit(ts, ctx.g, ctx.dom, Some(&ctx), data, SRC_ZAAK);
                    let q = self.gem[ctx.g as usize].quality;
                    match uitkomst {
                        PoUitkomst::Ongewijzigd => {
                            if let Some(bs) = self.besch.get_mut(b) {
                                bs.cur = ctx;
                            }
                            let plan = self.sample_cycle(ts, true, q, ts);
                            self.apply_cycle(b, ts, plan, None);
                        }
                        PoUitkomst::Gewijzigd | PoUitkomst::Beeindigd => {
                            if let Some(bs) = self.besch.get_mut(b) {
                                bs.ended = true;
                            }
                            let (p, reden, lo, hi) = if uitkomst == PoUitkomst::Gewijzigd {
                                (0.5, ZorgEindeReden::AndereVoorziening, 5, 20)
                            } else {
                                (0.85, self.rng.pick(PO_BEEINDIGD_REDEN), 0, 30)
                            };
                            if zorg && self.rng.chance(p) {
                                let d = self.rng.range(lo, hi);
                                let t_end = after_days(&mut self.rng, ts, d);
                                let ed = local_date(t_end).max(ingang).max(start.unwrap_or(ingang));
                                self.schedule_besch(
                                    b,
                                    t_end,
                                    BeschStep::ZorgBeeindigd {
                                        einddatum: ed,
                                        reden,
                                    },
                                );
                            }
                        }
                    }
                }
            }
            CaseStep::Afgesloten { reden } => {
                self.emit(
                    ts,
                    ctx.g,
                    ctx.dom,
                    Some(&ctx),
                    EventData::CaseAfgesloten { reden },
                    SRC_ZAAK,
                );
            }
        }
    }

    fn besch_step(&mut self, ts: i64, b: u32, step: BeschStep) {
        let Some(bs) = self.besch.get(b) else { return };
        let (origin, cur, id) = (bs.origin, bs.cur, bs.id);
        let zorg_src = if origin.dom == Domein::Wmo {
            "iwmo"
        } else {
            "ijw"
        };
        match step {
            BeschStep::Afgegeven => {
                let data = EventData::BeschikkingAfgegeven {
                    beschikking_id: id,
                    aanvraag_id: bs.aanvraag_id,
                    voorziening: voorz_table(origin.dom)[bs.voorz as usize].code.to_string(),
                    besluit: Besluit::Toegekend,
                    ingangsdatum: bs.ingang,
                    einddatum: bs.eind,
                    leveringsvorm: bs.lv,
                    aanbieder: bs.aanbieder.map(String::from),
                };
                debug_assert_eq!(bs.issued_at, ts);
                self.emit(ts, origin.g, origin.dom, Some(&origin), data, SRC_ZAAK);
            }
            BeschStep::PoGepland { gepland_op } => {
                self.emit(
                    ts,
                    cur.g,
                    cur.dom,
                    Some(&cur),
                    EventData::PoGepland {
                        beschikking_id: id,
                        gepland_op,
                    },
                    SRC_ZAAK,
                );
            }
            BeschStep::ZorgGestart { startdatum } => {
                let aanbieder = bs.aanbieder.unwrap_or(PGB_AANBIEDER).to_string();
                self.emit(
                    ts,
                    origin.g,
                    origin.dom,
                    Some(&origin),
                    EventData::ZorgGestart {
                        beschikking_id: id,
                        aanbieder,
                        startdatum,
                    },
                    zorg_src,
                );
            }
            BeschStep::ZorgBeeindigd { einddatum, reden } => {
                if bs.zorg_ended {
                    return;
                }
                if let Some(bs) = self.besch.get_mut(b) {
                    bs.zorg_ended = true;
                    bs.ended = true;
                }
                self.emit(
                    ts,
                    origin.g,
                    origin.dom,
                    Some(&origin),
                    EventData::ZorgBeeindigd {
                        beschikking_id: id,
                        einddatum,
                        reden,
                    },
                    zorg_src,
                );
            }
            BeschStep::Pickup => self.start_po_case(ts, b),
        }
    }

    // -- staffing ------------------------------------------------------------

    fn pick_consultant(&mut self, r: usize, team: u8, exclude: Option<u32>) -> Option<u32> {
        let m = &self.rosters[r].members[team as usize];
        if m.is_empty() {
            return None;
        }
        let mut i = self.rng.range(0, m.len() as i64 - 1) as usize;
        if Some(m[i]) == exclude && m.len() > 1 {
            i = (i + 1) % m.len();
        }
        Some(m[i])
    }

    fn consultant_ref(&self, r: usize, idx: u32) -> String {
        let roster = &self.rosters[r];
        format!(
            "mw-{}-{:03}",
            self.gem[roster.g as usize].digits, roster.cons[idx as usize].no
        )
    }

    fn formatie(&mut self, ts: i64, r: usize, idx: u32, geldig_vanaf: NaiveDate) {
        let roster = &self.rosters[r];
        let c = &roster.cons[idx as usize];
        let data = EventData::FormatieVastgesteld {
            team: team_name(roster.dom, c.team).to_string(),
            consulent_ref: self.consultant_ref(r, idx),
            fte: if c.active { c.fte } else { 0.0 },
            geldig_vanaf,
        };
        let (g, dom) = (roster.g, roster.dom);
        self.emit(ts, g, dom, None, data, SRC_HR);
    }

    fn formatie_init(&mut self, ts: i64, r: usize) {
        let geldig = local_date(ts);
        for i in 0..self.rosters[r].cons.len() {
            self.formatie(ts + i as i64 * 7, r, i as u32, geldig);
        }
    }

    fn staffing_change(&mut self, ts: i64, r: usize) {
        let today = local_date(ts);
        let geldig = if self.rng.chance(0.6) {
            first_of_next_month(today)
        } else {
            monday_of(today) + days(7 * self.rng.range(1, 3))
        };
        let kind = self
            .rng
            .pick(&[(0u8, 0.30), (1, 0.30), (2, 0.25), (3, 0.15)]);
        // Consultants in teams that keep at least one other member.
        let movable: Vec<u32> = self.rosters[r]
            .members
            .iter()
            .filter(|m| m.len() >= 2)
            .flatten()
            .copied()
            .collect();
        let kind = if movable.is_empty() && kind != 1 {
            1
        } else {
            kind
        };
        match kind {
            0 | 2 | 3 => {
                let idx = movable[self.rng.range(0, movable.len() as i64 - 1) as usize];
                let old_team = self.rosters[r].cons[idx as usize].team;
                match kind {
                    0 => {
                        let roster = &mut self.rosters[r];
                        roster.cons[idx as usize].active = false;
                        roster.members[old_team as usize].retain(|&m| m != idx);
                    }
                    2 => {
                        let new_team = ((i64::from(old_team) + self.rng.range(1, N_TEAMS - 1))
                            % N_TEAMS) as u8;
                        let roster = &mut self.rosters[r];
                        roster.members[old_team as usize].retain(|&m| m != idx);
                        roster.members[new_team as usize].push(idx);
                        roster.cons[idx as usize].team = new_team;
                    }
                    _ => {
                        let fte = draw_fte(&mut self.rng);
                        let c = &mut self.rosters[r].cons[idx as usize];
                        c.fte = if (fte - c.fte).abs() < 0.005 {
                            (c.fte - 0.11).max(0.5)
                        } else {
                            fte
                        };
                    }
                }
                self.formatie(ts, r, idx, geldig);
            }
            _ => {
                // New hire, into the team with the least fte.
                let roster = &self.rosters[r];
                let team = (0..N_TEAMS as usize)
                    .min_by(|&a, &b| {
                        let fa: f64 = roster.members[a]
                            .iter()
                            .map(|&i| roster.cons[i as usize].fte)
                            .sum();
                        let fb: f64 = roster.members[b]
                            .iter()
                            .map(|&i| roster.cons[i as usize].fte)
                            .sum();
                        fa.partial_cmp(&fb).unwrap_or(Ordering::Equal)
                    })
                    .unwrap_or(0) as u8;
                let fte = draw_fte(&mut self.rng);
                let g = self.rosters[r].g as usize;
                let no = self.gem[g].next_consultant;
                self.gem[g].next_consultant += 1;
                let roster = &mut self.rosters[r];
                roster.cons.push(Consultant {
                    no,
                    team,
                    fte,
                    active: true,
                });
                let idx = (roster.cons.len() - 1) as u32;
                roster.members[team as usize].push(idx);
                self.formatie(ts, r, idx, geldig);
            }
        }
        let gap = staffing_gap_days(self.rosters[r].target_fte);
        let next = ts + (self.rng.exp(gap) * DAY as f64) as i64;
        if next < self.end_ts {
            let office = at_office(&mut self.rng, next_workday(local_date(next)));
            let next = if office > ts {
                office
            } else {
                ts + self.rng.range(300, 3600)
            };
            self.schedule(next, Action::Staffing { roster: r as u32 });
        }
    }

    // -- emission ------------------------------------------------------------

    fn emit(
        &mut self,
        ts: i64,
        g: u16,
        dom: Domein,
        ctx: Option<&Ctx>,
        data: EventData,
        source: &'static str,
    ) {
        let event = Event {
            event_id: self.rng.uuid(),
            occurred_at: to_dt(ts),
            gemeente: self.gem[g as usize].code.clone(),
            domein: dom,
            case_id: ctx.map(|c| c.case_id),
            client_ref: ctx.map(|c| client_ref(c.client)),
            source: if self.rng.chance(0.92) {
                Some(source.to_string())
            } else {
                None
            },
            data,
        };
        self.dispatch(ts, event);
    }

    fn push_delayed(&mut self, release: i64, line: SimLine) {
        self.seq += 1;
        self.delayed.push(Delayed {
            release,
            seq: self.seq,
            line,
        });
    }

    /// Applies the stream's imperfections to a freshly generated event.
    fn dispatch(&mut self, ts: i64, event: Event) {
        let ty = event.event_type();
        let correctable = matches!(
            ty,
            EventType::MeldingOntvangen
                | EventType::CaseToegewezen
                | EventType::AanvraagIngediend
                | EventType::PoGepland
                | EventType::ZorgGestart
        );
        if correctable && self.rng.chance(P_CORRECTION) {
            self.correction(ts, &event);
        }
        if self.rng.chance(self.cfg.duplicate_fraction) {
            let release = ts + self.rng.range(600, 20 * DAY);
            self.push_delayed(release, SimLine::Event(event.clone()));
        }
        let late_p = if ty == EventType::BeschikkingAfgegeven {
            P_LATE_BESCHIKKING
        } else {
            P_LATE
        };
        if self.rng.chance(late_p) {
            let delay = if ty == EventType::BeschikkingAfgegeven {
                self.rng.range(3 * DAY, 25 * DAY)
            } else if self.rng.chance(0.6) {
                self.rng.range(600, DAY)
            } else {
                self.rng.range(DAY, 5 * DAY)
            };
            self.push_delayed(ts + delay, SimLine::Event(event));
        } else {
            self.output(SimLine::Event(event));
        }
    }

    /// A mistaken twin of `event`, later withdrawn by an event.ingetrokken.
    fn correction(&mut self, ts: i64, event: &Event) {
        let twin_ts = ts + self.rng.range(60, 1800);
        let r_ts = if self.rng.chance(0.7) {
            twin_ts + self.rng.range(600, 8 * 3600)
        } else {
            twin_ts + self.rng.range(DAY, 10 * DAY)
        };
        if r_ts >= self.end_ts {
            return;
        }
        let mut twin = event.clone();
        twin.event_id = self.rng.uuid();
        twin.occurred_at = to_dt(twin_ts);
        let reden = match &mut twin.data {
            EventData::MeldingOntvangen { .. } => "dubbel geregistreerd",
            EventData::AanvraagIngediend { aanvraag_id, .. } => {
                *aanvraag_id = self.rng.uuid();
                "aanvraag dubbel ingevoerd"
            }
            EventData::CaseToegewezen {
                team,
                consulent_ref,
                ..
            } => {
                let names = if event.domein == Domein::Wmo {
                    WMO_TEAMS
                } else {
                    JEUGD_TEAMS
                };
                let i = names.iter().position(|n| n == team).unwrap_or(0) as i64;
                *team =
                    names[((i + self.rng.range(1, N_TEAMS - 1)) % N_TEAMS) as usize].to_string();
                *consulent_ref = None;
                "toegewezen aan verkeerd team"
            }
            EventData::PoGepland { gepland_op, .. } => {
                *gepland_op -= days(self.rng.range(30, 180));
                "onjuiste plandatum"
            }
            EventData::ZorgGestart { startdatum, .. } => {
                *startdatum -= days(self.rng.range(1, 20));
                "startbericht ingetrokken door aanbieder (onjuiste startdatum)"
            }
            _ => "registratiefout",
        };
        let retraction = Event {
            event_id: self.rng.uuid(),
            occurred_at: to_dt(r_ts),
            gemeente: event.gemeente.clone(),
            domein: event.domein,
            case_id: event.case_id,
            client_ref: event.client_ref.clone(),
            source: event.source.clone(),
            data: EventData::EventIngetrokken {
                ingetrokken_event_id: twin.event_id,
                reden: reden.to_string(),
            },
        };
        if self.rng.chance(0.2) {
            // The twin arrives only after the retraction that withdraws it.
            let release = r_ts + self.rng.range(600, 3 * DAY);
            self.push_delayed(release, SimLine::Event(twin));
        } else {
            self.push_delayed(twin_ts, SimLine::Event(twin));
        }
        self.push_delayed(r_ts, SimLine::Event(retraction));
    }

    fn output(&mut self, line: SimLine) {
        let bad = match &line {
            SimLine::Event(e) if self.p_bad > 0.0 && self.rng.chance(self.p_bad) => {
                Some(self.make_bad(e))
            }
            _ => None,
        };
        self.out.push_back(line);
        if let Some(b) = bad {
            self.out.push_back(b);
        }
    }

    /// A bad line derived from `e` (which has just been output).
    fn make_bad(&mut self, e: &Event) -> SimLine {
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

impl Iterator for Simulator {
    type Item = SimLine;

    fn next(&mut self) -> Option<SimLine> {
        loop {
            if let Some(l) = self.out.pop_front() {
                return Some(l);
            }
            if self.done {
                return None;
            }
            self.step_day();
        }
    }
}

fn pick_voorz_rng(rng: &mut Rng, dom: Domein) -> u8 {
    let table = voorz_table(dom);
    let total: f64 = table.iter().map(|v| v.weight).sum();
    let mut r = rng.f64() * total;
    for (i, v) in table.iter().enumerate() {
        if r < v.weight {
            return i as u8;
        }
        r -= v.weight;
    }
    (table.len() - 1) as u8
}

fn gemeente_code(i: usize) -> String {
    if let Some(c) = GEMEENTEN.get(i) {
        return (*c).to_string();
    }
    // Synthetic codes: GM9001..GM9999, then GM8001..GM8999, and so on.
    let k = i - GEMEENTEN.len();
    let block = (k / 999) as u32;
    let n = 9000u32.saturating_sub(block * 1000).max(1000) + 1 + (k % 999) as u32;
    format!("GM{n:04}")
}

fn draw_fte(rng: &mut Rng) -> f64 {
    rng.pick(&[
        (1.0, 0.35),
        (0.89, 0.20),
        (0.8, 0.15),
        (0.78, 0.05),
        (0.67, 0.10),
        (0.6, 0.05),
        (0.56, 0.05),
        (0.5, 0.05),
    ])
}

/// Mean days between staffing changes: about 24 a year per 40.91 FTE.
fn staffing_gap_days(target: f64) -> f64 {
    365.0 / 24.0 * WMO_FTE / target.max(0.01)
}

/// Consultants for one gemeente and domein, fte summing to `target` exactly (2 decimals).
fn build_roster(rng: &mut Rng, gem: &mut Gem, g: u16, dom: Domein, target: f64) -> Roster {
    let mut roster = Roster {
        g,
        dom,
        target_fte: target,
        cons: Vec::new(),
        members: Default::default(),
    };
    if target <= 0.0 {
        return roster;
    }
    // Work in hundredths so the sum is exact.
    let want = (target * 100.0).round() as i64;
    let mut cents: Vec<i64> = Vec::new();
    if want < 7 * 100 {
        // Too small for 7 teams of real people: split evenly over one consultant a team.
        for k in 0..N_TEAMS {
            cents.push((want / N_TEAMS + i64::from(k < want % N_TEAMS)).max(1));
        }
    } else {
        let mut sum = 0;
        loop {
            let f = (draw_fte(rng) * 100.0).round() as i64;
            if sum + f > want {
                break;
            }
            cents.push(f);
            sum += f;
        }
        let mut rest = want - sum;
        if rest >= 50 {
            cents.push(rest);
        } else {
            // Top up part-timers (to at most 1.0) with what is left.
            for c in cents.iter_mut() {
                let add = (100 - *c).min(rest);
                *c += add;
                rest -= add;
            }
            if rest > 0 {
                cents.push(rest);
            }
        }
    }
    for (k, c) in cents.into_iter().enumerate() {
        let team = (k % N_TEAMS as usize) as u8;
        let no = gem.next_consultant;
        gem.next_consultant += 1;
        roster.cons.push(Consultant {
            no,
            team,
            fte: c as f64 / 100.0,
            active: true,
        });
        roster.members[team as usize].push(k as u32);
    }
    roster
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap, HashSet};

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn small(seed: u64) -> SimConfig {
        SimConfig {
            seed,
            gemeenten: 2,
            from: d(2020, 1, 1),
            to: d(2020, 2, 29),
            scale: 0.05,
            ..SimConfig::default()
        }
    }

    fn lines(cfg: SimConfig) -> Vec<SimLine> {
        Simulator::new(cfg).collect()
    }

    /// Valid events, first arrival per event_id, without retracted events and the retractions.
    fn effective(events: &[Event]) -> Vec<&Event> {
        let retracted: HashSet<Uuid> = events.iter().filter_map(Event::retracts).collect();
        let mut seen = HashSet::new();
        events
            .iter()
            .filter(|e| seen.insert(e.event_id))
            .filter(|e| !retracted.contains(&e.event_id) && e.retracts().is_none())
            .collect()
    }

    #[test]
    fn same_seed_same_output_different_seed_different_output() {
        let a: Vec<String> = lines(small(7)).iter().map(SimLine::to_ndjson).collect();
        let b: Vec<String> = lines(small(7)).iter().map(SimLine::to_ndjson).collect();
        let c: Vec<String> = lines(small(8)).iter().map(SimLine::to_ndjson).collect();
        assert!(a.len() > 1000, "too few lines: {}", a.len());
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn every_event_round_trips_and_every_bad_line_is_rejected() {
        let cfg = SimConfig {
            bad_fraction: 0.02,
            ..small(3)
        };
        let mut seen: HashMap<Uuid, String> = HashMap::new();
        let mut whys: BTreeMap<&str, usize> = BTreeMap::new();
        let mut n_events = 0;
        for line in Simulator::new(cfg) {
            let text = line.to_ndjson();
            assert!(!text.contains('\n'));
            match &line {
                SimLine::Event(e) => {
                    let parsed = Event::from_json_bytes(text.as_bytes())
                        .unwrap_or_else(|err| panic!("{err}: {text}"));
                    assert_eq!(&parsed, e);
                    assert_eq!(parsed.canonical_json(), text);
                    if let Some(c) = &e.client_ref {
                        assert!(c.starts_with("c-") && !contains_bsn(c), "{c}");
                    }
                    match seen.get(&e.event_id) {
                        Some(prev) => assert_eq!(prev, &text, "a duplicate must be exact"),
                        None => {
                            seen.insert(e.event_id, text);
                        }
                    }
                    n_events += 1;
                }
                SimLine::Bad { why, .. } => {
                    assert!(BAD_WHYS.contains(why));
                    *whys.entry(why).or_default() += 1;
                    match Event::from_json_bytes(text.as_bytes()) {
                        Ok(e) => {
                            assert_eq!(*why, WHY_CONFLICT, "accepted bad line: {text}");
                            let prev = seen
                                .get(&e.event_id)
                                .expect("a conflict reuses an event_id emitted before");
                            assert_ne!(prev, &e.canonical_json());
                        }
                        Err(err) => assert_eq!(err.kind(), *why, "{err}: {text}"),
                    }
                }
            }
        }
        assert!(n_events > 1000);
        for why in BAD_WHYS {
            assert!(
                whys.get(why).copied().unwrap_or(0) > 0,
                "no bad line of kind {why}: {whys:?}"
            );
        }
        let bad: usize = whys.values().sum();
        let share = bad as f64 / (bad + n_events) as f64;
        assert!((0.01..0.03).contains(&share), "bad share {share}");
        let dup_share = (n_events - seen.len()) as f64 / seen.len() as f64;
        assert!(
            (0.005..0.02).contains(&dup_share),
            "duplicate share {dup_share}"
        );
    }

    #[test]
    fn funnel_matches_the_practice_figures() {
        // Spec §1: one mid-sized city, first half of 2020, 26 weeks.
        let cfg = SimConfig {
            gemeenten: 1,
            ..SimConfig::default()
        };
        let (from, to) = (cfg.from, cfg.to);
        let all = events(cfg);
        let mut n: BTreeMap<&str, f64> = BTreeMap::new();
        for e in effective(&all) {
            let day = local_date(e.occurred_at.timestamp());
            if day < from || day > to {
                continue;
            }
            let key = match (&e.domein, &e.data) {
                (Domein::Wmo, EventData::MeldingOntvangen { .. }) => "wmo_meldingen",
                (
                    Domein::Wmo,
                    EventData::MeldingBeoordeeld {
                        uitkomst: MeldingUitkomst::Doorgezet,
                        ..
                    },
                ) => "wmo_doorgezet",
                (
                    Domein::Wmo,
                    EventData::AanvraagIngediend {
                        soort: AanvraagSoort::PeriodiekOnderzoek,
                        ..
                    },
                ) => {
                    *n.entry("wmo_aanvragen").or_default() += 1.0;
                    "wmo_aanvragen_po"
                }
                (Domein::Wmo, EventData::AanvraagIngediend { .. }) => "wmo_aanvragen",
                (
                    Domein::Jeugd,
                    EventData::MeldingOntvangen {
                        kanaal: Kanaal::Telefoon | Kanaal::Email | Kanaal::Balie | Kanaal::Digitaal,
                        ..
                    },
                ) => "jeugd_meldingen_cit",
                (
                    Domein::Jeugd,
                    EventData::MeldingBeoordeeld {
                        uitkomst: MeldingUitkomst::Doorgezet,
                        ..
                    },
                )
                | (Domein::Jeugd, EventData::AanvraagIngediend { .. }) => {
                    "jeugd_booked_and_aanvragen"
                }
                _ => continue,
            };
            *n.entry(key).or_default() += 1.0;
        }
        let expect = [
            ("wmo_meldingen", 6106.0),
            ("wmo_doorgezet", 1572.0),
            ("wmo_aanvragen", 5263.0),
            ("wmo_aanvragen_po", 2497.0),
            ("jeugd_meldingen_cit", 1539.0),
            ("jeugd_booked_and_aanvragen", 2787.0),
        ];
        for (k, want) in expect {
            let got = n.get(k).copied().unwrap_or(0.0);
            eprintln!("{k}: {got} vs spec {want}");
            assert!(
                (got - want).abs() <= 0.15 * want,
                "{k}: {got} vs spec {want} (all: {n:?})"
            );
        }
    }

    #[test]
    fn the_gaps_the_product_must_find_are_there() {
        let cfg = SimConfig {
            gemeenten: 1,
            scale: 0.3,
            ..SimConfig::default()
        };
        // A PO this long before the end has had time for even a late plan (≤ 70 days).
        let settled = local_ts(cfg.to - days(75), 0);
        let lines = lines(cfg);
        let all: Vec<(usize, &Event)> = lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                if let SimLine::Event(e) = l {
                    Some((i, e))
                } else {
                    None
                }
            })
            .collect();
        let mut first_pos: HashMap<Uuid, usize> = HashMap::new();
        for (i, e) in &all {
            first_pos.entry(e.event_id).or_insert(*i);
        }
        let mut afgegeven: HashMap<Uuid, (usize, i64)> = HashMap::new();
        let mut gepland: HashMap<Uuid, Vec<(i64, NaiveDate)>> = HashMap::new();
        let mut ongewijzigd: Vec<(Uuid, i64)> = Vec::new();
        let mut zorg_gestart: Vec<(Uuid, usize, i64)> = Vec::new();
        let mut retractions = 0;
        let mut retraction_first = 0;
        for (i, e) in &all {
            let ts = e.occurred_at.timestamp();
            match &e.data {
                EventData::BeschikkingAfgegeven { beschikking_id, .. } => {
                    afgegeven.entry(*beschikking_id).or_insert((*i, ts));
                }
                EventData::PoGepland {
                    beschikking_id,
                    gepland_op,
                } => gepland
                    .entry(*beschikking_id)
                    .or_default()
                    .push((ts, *gepland_op)),
                EventData::PoUitgevoerd {
                    beschikking_id,
                    uitkomst: PoUitkomst::Ongewijzigd,
                } => ongewijzigd.push((*beschikking_id, ts)),
                EventData::ZorgGestart { beschikking_id, .. } => {
                    zorg_gestart.push((*beschikking_id, *i, ts))
                }
                EventData::EventIngetrokken {
                    ingetrokken_event_id,
                    ..
                } => {
                    retractions += 1;
                    let target = first_pos
                        .get(ingetrokken_event_id)
                        .expect("a retraction targets an emitted event");
                    if target > i {
                        retraction_first += 1;
                    }
                }
                _ => {}
            }
        }
        let settled_po: Vec<_> = ongewijzigd.iter().filter(|(_, t)| *t < settled).collect();
        let forgotten = settled_po
            .iter()
            .filter(|(b, t)| {
                !gepland
                    .get(b)
                    .is_some_and(|v| v.iter().any(|(pt, _)| pt > t))
            })
            .count();
        let late_start = zorg_gestart
            .iter()
            .filter(|(b, _, t)| {
                afgegeven
                    .get(b)
                    .is_some_and(|(_, bt)| (t - bt) as f64 / 86_400.0 > 42.0)
            })
            .count();
        let start_before_beschikking = zorg_gestart
            .iter()
            .filter(|(b, i, _)| afgegeven.get(b).is_some_and(|(bi, _)| bi > i))
            .count();
        let too_far = gepland
            .iter()
            .filter(|(b, v)| {
                afgegeven.get(b).is_some_and(|(_, bt)| {
                    v.iter()
                        .any(|(_, op)| (*op - local_date(*bt)).num_days() > 3 * 365 + 1)
                })
            })
            .count();
        assert!(
            forgotten >= 5,
            "forgotten PO follow-ups: {forgotten} of {}",
            settled_po.len()
        );
        assert!(
            forgotten * 4 < settled_po.len(),
            "most PO ongewijzigd get a new plan: {forgotten} of {}",
            settled_po.len()
        );
        assert!(late_start >= 5, "late zorg.gestart: {late_start}");
        assert!(retractions >= 5, "retractions: {retractions}");
        assert!(
            retraction_first >= 1,
            "retractions before their target: {retraction_first}"
        );
        assert!(
            start_before_beschikking >= 1,
            "zorg.gestart before its beschikking in the stream"
        );
        assert!(too_far >= 1, "po.gepland more than 3 years ahead");
    }

    #[test]
    fn estimate_is_within_a_factor_one_and_a_half() {
        let configs = [
            small(1),
            SimConfig {
                gemeenten: 1,
                scale: 0.1,
                ..SimConfig::default()
            },
            SimConfig {
                gemeenten: 4,
                scale: 0.02,
                from: d(2021, 3, 1),
                to: d(2022, 2, 28),
                ..SimConfig::default()
            },
            SimConfig {
                gemeenten: 1,
                scale: 0.2,
                from: d(2020, 6, 1),
                to: d(2020, 6, 14),
                ..SimConfig::default()
            },
        ];
        for cfg in configs {
            let sim = Simulator::new(cfg.clone());
            let est = sim.estimated_events() as f64;
            let actual = sim.count() as f64;
            assert!(
                est <= actual * 1.5 && actual <= est * 1.5,
                "{cfg:?}: estimated {est}, actual {actual}"
            );
        }
    }

    #[test]
    fn timestamps_use_amsterdam_offsets_and_stay_within_the_run() {
        let cfg = SimConfig {
            gemeenten: 1,
            scale: 0.05,
            from: d(2020, 3, 1),
            to: d(2020, 4, 30),
            ..SimConfig::default()
        };
        let end = local_ts(cfg.to + days(1), 0);
        let mut winter = 0;
        let mut summer = 0;
        let mut office = 0;
        let mut total = 0;
        for e in events(cfg) {
            let ts = e.occurred_at.timestamp();
            assert!(ts < end, "event after `to`: {}", e.occurred_at);
            let expected = Amsterdam
                .timestamp_opt(ts, 0)
                .unwrap()
                .fixed_offset()
                .offset()
                .local_minus_utc();
            assert_eq!(e.occurred_at.offset().local_minus_utc(), expected);
            match expected {
                3600 => winter += 1,
                7200 => summer += 1,
                o => panic!("offset {o}"),
            }
            let t = e.occurred_at.time();
            total += 1;
            if (chrono::NaiveTime::from_hms_opt(7, 30, 0).unwrap()
                ..chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap())
                .contains(&t)
            {
                office += 1;
            }
        }
        assert!(winter > 100 && summer > 100);
        assert!(
            office as f64 > 0.8 * total as f64,
            "{office} of {total} in office hours"
        );
    }

    #[test]
    fn staffing_is_set_at_the_start_and_changes_later() {
        let cfg = SimConfig {
            gemeenten: 2,
            scale: 1.0,
            from: d(2020, 1, 1),
            to: d(2020, 12, 31),
            bad_fraction: 0.0,
            duplicate_fraction: 0.0,
            ..SimConfig::default()
        };
        let from = cfg.from;
        let mut first: BTreeMap<(String, Domein), f64> = BTreeMap::new();
        let mut changes = 0;
        let mut left = 0;
        let mut refs = HashSet::new();
        for line in Simulator::new(cfg) {
            let SimLine::Event(e) = line else { continue };
            if let EventData::FormatieVastgesteld {
                fte,
                geldig_vanaf,
                consulent_ref,
                team,
            } = &e.data
            {
                assert!(e.case_id.is_none() && e.client_ref.is_none());
                assert!(team.starts_with("IGT ") || team.starts_with("Jeugd "));
                assert!(
                    consulent_ref.starts_with(&format!("mw-{}-", &e.gemeente[2..])),
                    "{consulent_ref}"
                );
                if *geldig_vanaf < from {
                    if refs.insert(consulent_ref.clone()) {
                        *first.entry((e.gemeente.clone(), e.domein)).or_default() += fte;
                    }
                } else {
                    changes += 1;
                    if *fte == 0.0 {
                        left += 1;
                    }
                }
            }
        }
        let wmo = first[&("GM0344".to_string(), Domein::Wmo)];
        let jeugd = first[&("GM0344".to_string(), Domein::Jeugd)];
        assert!((wmo - 40.91).abs() < 0.005, "{wmo}");
        assert!((jeugd - 23.44).abs() < 0.005, "{jeugd}");
        assert!(changes >= 40 && left >= 5, "changes {changes}, left {left}");
    }

    #[test]
    fn streams_lazily() {
        // Ten years for 200 gemeenten: only the first day's lines are produced.
        let cfg = SimConfig {
            gemeenten: 200,
            from: d(2020, 1, 1),
            to: d(2029, 12, 31),
            ..SimConfig::default()
        };
        let sim = Simulator::new(cfg);
        assert!(sim.estimated_events() > 50_000_000);
        let first: Vec<SimLine> = sim.take(100).collect();
        assert_eq!(first.len(), 100);
    }

    #[test]
    fn degenerate_configs_give_empty_streams() {
        assert_eq!(
            Simulator::new(SimConfig {
                gemeenten: 0,
                ..small(1)
            })
            .count(),
            0
        );
        assert_eq!(
            Simulator::new(SimConfig {
                scale: 0.0,
                ..small(1)
            })
            .count(),
            0
        );
        let reversed = SimConfig {
            from: d(2020, 2, 1),
            to: d(2020, 1, 1),
            ..small(1)
        };
        assert_eq!(Simulator::new(reversed.clone()).estimated_events(), 0);
        assert_eq!(Simulator::new(reversed).count(), 0);
        // A single day still carries the history and the staffing.
        let one_day = SimConfig {
            from: d(2020, 1, 6),
            to: d(2020, 1, 6),
            ..small(1)
        };
        let n = Simulator::new(one_day).count();
        assert!(n > 500, "{n}");
    }

    #[test]
    fn deterministic_math_matches_std() {
        for &x in &[
            1e-16, 1e-9, 0.001, 0.3, 0.5, 0.70710678, 0.9999999, 1.0, 1.5, 2.0, 1234.5,
        ] {
            let (a, b) = (det_ln(x), x.ln());
            assert!(
                (a - b).abs() <= 1e-14 * b.abs().max(1.0),
                "ln {x}: {a} vs {b}"
            );
        }
        for &x in &[-30.0, -12.3, -1.0, -1e-9, 0.0, 0.5, 3.0, 40.0] {
            let (a, b) = (det_exp(x), x.exp());
            assert!((a - b).abs() <= 1e-14 * b, "exp {x}: {a} vs {b}");
        }
    }

    #[test]
    fn gemeente_codes_are_valid_and_distinct() {
        let codes: Vec<String> = (0..2500).map(gemeente_code).collect();
        assert_eq!(codes[0], "GM0344");
        assert_eq!(codes[GEMEENTEN.len()], "GM9001");
        assert_eq!(codes.iter().collect::<HashSet<_>>().len(), codes.len());
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c[2..].bytes().all(|b| b.is_ascii_digit())));
    }

    #[test]
    fn calendar_helpers() {
        assert_eq!(easter(2020), d(2020, 4, 12));
        assert_eq!(easter(2024), d(2024, 3, 31));
        assert!(
            is_holiday(d(2020, 4, 13)) && is_holiday(d(2020, 5, 21)) && is_holiday(d(2020, 6, 1))
        );
        assert!(
            is_holiday(d(2020, 4, 27)) && is_holiday(d(2025, 4, 26)) && !is_holiday(d(2025, 4, 27))
        );
        assert!(!is_workday(d(2020, 1, 4)) && is_workday(d(2020, 1, 2)));
        assert_eq!(add_workdays(d(2020, 4, 9), 1), d(2020, 4, 10));
        assert_eq!(add_workdays(d(2020, 4, 10), 1), d(2020, 4, 14));
        // 02:30 on the spring-forward day does not exist: resolved forward.
        let ts = local_ts(d(2020, 3, 29), 2 * 3600 + 1800);
        assert_eq!(to_dt(ts).to_rfc3339(), "2020-03-29T03:30:00+02:00");
        assert_eq!(
            to_dt(local_ts(d(2020, 1, 2), 9 * 3600)).to_rfc3339(),
            "2020-01-02T09:00:00+01:00"
        );
    }

    #[test]
    #[ignore = "diagnostics: cargo test -p caseflow-core --lib simulate::tests::diagnostics -- --ignored --nocapture"]
    fn diagnostics() {
        let t = std::time::Instant::now();
        let cfg = SimConfig {
            gemeenten: 1,
            ..SimConfig::default()
        };
        let sim = Simulator::new(cfg.clone());
        let est = sim.estimated_events();
        let lines: Vec<SimLine> = sim.collect();
        println!(
            "lines {} (estimate {est}) in {:?}",
            lines.len(),
            t.elapsed()
        );
        let mut by: BTreeMap<(String, &str, bool), usize> = BTreeMap::new();
        for l in &lines {
            if let SimLine::Event(e) = l {
                let inside = local_date(e.occurred_at.timestamp()) >= cfg.from;
                *by.entry((e.domein.to_string(), e.event_type().as_str(), inside))
                    .or_default() += 1;
            }
        }
        for (k, v) in by {
            println!("{k:?}: {v}");
        }
        let cfg = SimConfig {
            gemeenten: 1,
            scale: 0.25,
            from: d(2020, 1, 1),
            to: d(2025, 12, 31),
            ..SimConfig::default()
        };
        let mut by: BTreeMap<(i32, &str, &str), usize> = BTreeMap::new();
        for l in Simulator::new(cfg) {
            if let SimLine::Event(e) = l {
                let y = local_date(e.occurred_at.timestamp()).year();
                let sub = match &e.data {
                    EventData::AanvraagIngediend {
                        soort: AanvraagSoort::PeriodiekOnderzoek,
                        ..
                    } => "po",
                    EventData::PoUitgevoerd { uitkomst, .. } => uitkomst.as_str(),
                    _ => "",
                };
                *by.entry((y.max(2019), e.event_type().as_str(), sub))
                    .or_default() += 1;
                *by.entry((y.max(2019), "TOTAL", "")).or_default() += 1;
            }
        }
        realism_report(
            &events(SimConfig {
                gemeenten: 1,
                ..SimConfig::default()
            }),
            d(2020, 6, 30),
        );
        for (k, v) in by {
            if k.1 == "TOTAL"
                || k.1.starts_with("po.")
                || k.2 == "po"
                || k.1 == "melding.ontvangen"
                || k.1 == "zorg.beeindigd"
                || k.1 == "beschikking.afgegeven"
            {
                println!("{k:?}: {v}");
            }
        }
    }

    /// Prints shares behind the module docs' claims, and a rough §3.4 status count at `t_end`.
    fn realism_report(all: &[Event], t_end: NaiveDate) {
        let ev = effective(all);
        let mut melding: HashMap<Uuid, i64> = HashMap::new();
        let mut first_aanvraag: HashMap<Uuid, i64> = HashMap::new();
        let mut aanvraag: HashMap<Uuid, i64> = HashMap::new();
        let mut besch: HashMap<Uuid, (&Event, i64)> = HashMap::new();
        let mut c: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        let mut bump = |k: &'static str, hit: bool| {
            let e = c.entry(k).or_default();
            e.0 += usize::from(hit);
            e.1 += 1;
        };
        let mut cases_assign: HashMap<Uuid, usize> = HashMap::new();
        for e in &ev {
            let ts = e.occurred_at.timestamp();
            let wmo = e.domein == Domein::Wmo;
            match &e.data {
                EventData::MeldingOntvangen { .. } => {
                    melding.insert(e.case_id.unwrap(), ts);
                }
                EventData::MeldingBeoordeeld { uitkomst, .. } if wmo => {
                    bump("wmo afgevangen", *uitkomst == MeldingUitkomst::Afgevangen)
                }
                EventData::CaseToegewezen { .. } => {
                    *cases_assign.entry(e.case_id.unwrap()).or_default() += 1
                }
                EventData::AanvraagIngediend { aanvraag_id, .. } => {
                    aanvraag.insert(*aanvraag_id, ts);
                    let case = e.case_id.unwrap();
                    if let std::collections::hash_map::Entry::Vacant(v) = first_aanvraag.entry(case)
                    {
                        v.insert(ts);
                        if let (true, Some(m)) = (wmo, melding.get(&case)) {
                            bump("wmo onderzoek > 42 d", (ts - m) as f64 / 86400.0 > 42.0);
                        }
                    }
                }
                EventData::BeschikkingAfgegeven {
                    beschikking_id,
                    aanvraag_id,
                    besluit,
                    einddatum,
                    leveringsvorm,
                    ..
                } => {
                    besch.insert(*beschikking_id, (e, ts));
                    if let Some(a) = aanvraag.get(aanvraag_id) {
                        let days = (ts - a) as f64 / 86400.0;
                        if wmo {
                            bump("wmo besluit > 14 d", days > 14.0);
                            bump("wmo toegekend", *besluit == Besluit::Toegekend);
                            if *besluit == Besluit::Toegekend {
                                bump("wmo indefinite", einddatum.is_none());
                                bump("wmo pgb", *leveringsvorm == Leveringsvorm::Pgb);
                            }
                        } else {
                            bump("jeugd besluit > 56 d", days > 56.0);
                            if *besluit == Besluit::Toegekend {
                                bump("jeugd with einddatum", einddatum.is_some());
                            }
                        }
                    }
                }
                EventData::ZorgGestart { beschikking_id, .. } => {
                    if let Some((_, bt)) = besch.get(beschikking_id) {
                        bump(
                            if wmo {
                                "wmo wachttijd > 42 d"
                            } else {
                                "jeugd wachttijd > 42 d"
                            },
                            (ts - bt) as f64 / 86400.0 > 42.0,
                        );
                    }
                }
                EventData::PoUitgevoerd { uitkomst, .. } => {
                    bump("po ongewijzigd", *uitkomst == PoUitkomst::Ongewijzigd)
                }
                _ => {}
            }
        }
        let multi = cases_assign.values().filter(|&&n| n > 1).count();
        println!(
            "cases with more than one case.toegewezen: {multi} of {}",
            cases_assign.len()
        );
        for (k, (hit, n)) in c {
            println!("{k}: {hit}/{n} = {:.1} %", 100.0 * hit as f64 / n as f64);
        }
        // §3.4, roughly: per monitored beschikking the status at the end of t_end.
        let t = local_ts(t_end + days(1), 0);
        let mut per_b: HashMap<Uuid, Vec<&Event>> = HashMap::new();
        for e in &ev {
            if let Some(b) = e.beschikking_id() {
                if e.occurred_at.timestamp() < t {
                    per_b.entry(b).or_default().push(e);
                }
            }
        }
        let mut status: BTreeMap<&str, usize> = BTreeMap::new();
        for (b, mut list) in per_b {
            let Some((be, bts)) = besch.get(&b) else {
                continue;
            };
            let EventData::BeschikkingAfgegeven {
                besluit: Besluit::Toegekend,
                einddatum: None,
                ..
            } = &be.data
            else {
                continue;
            };
            if be.domein != Domein::Wmo || *bts >= t {
                continue;
            }
            list.sort_by_key(|e| e.occurred_at);
            let mut start = *bts;
            let mut by_po = false;
            let mut plan: Option<NaiveDate> = None;
            let mut done_after_plan = false;
            let mut stopped = false;
            for e in list {
                match &e.data {
                    EventData::ZorgBeeindigd { .. } => stopped = true,
                    EventData::PoUitgevoerd {
                        uitkomst: PoUitkomst::Ongewijzigd,
                        ..
                    } => {
                        start = e.occurred_at.timestamp();
                        by_po = true;
                        plan = None;
                        done_after_plan = false;
                    }
                    EventData::PoUitgevoerd { .. } => stopped = true,
                    EventData::PoGepland { gepland_op, .. }
                        if e.occurred_at.timestamp() >= start =>
                    {
                        plan = Some(*gepland_op);
                        done_after_plan = false;
                    }
                    _ => {}
                }
            }
            if stopped {
                continue;
            }
            let s = match plan {
                None if (t - start) as f64 / 86400.0 > 14.0 => {
                    if by_po {
                        "po_zonder_vervolg"
                    } else {
                        "geen_po_gepland"
                    }
                }
                None => "in_behandeling",
                Some(p) if p < t_end && !done_after_plan => "po_verlopen",
                Some(p) if (p - local_date(start)).num_days() > 1095 => "po_te_ver_gepland",
                Some(_) => "ok",
            };
            *status.entry(s).or_default() += 1;
        }
        println!("PO status at {t_end}: {status:?}");
    }
}
