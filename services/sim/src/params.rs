//! The figures and tables the simulation draws from (spec §1 at scale 1.0), and the
//! names it gives to gemeenten, teams and clients.

use caseflow_core::event::{is_bsn, Domein, Kanaal, Verwijzer, ZorgEindeReden};

pub(crate) const WMO_MELDINGEN_WEEK: f64 = 235.0;
pub(crate) const JEUGD_MELDINGEN_WEEK: f64 = 74.0;
pub(crate) const WMO_CIT_SHARE: f64 = 0.94;
pub(crate) const JEUGD_CIT_SHARE: f64 = 59.0 / 74.0;
pub(crate) const WMO_AFVANG_CIT: f64 = 0.78;
pub(crate) const WMO_AFVANG_DIRECT: f64 = 0.15;
pub(crate) const JEUGD_AFVANG_CIT: f64 = 0.35;
pub(crate) const JEUGD_AFVANG_DIRECT: f64 = 0.05;
/// Stock of indefinite Wmo beschikkingen: issued per week of history (≈ the PO
/// pick-up rate in the simulated period).
pub(crate) const WMO_STOCK_WEEK: f64 = 102.0;
/// Stock of jeugd beschikkingen: issued per week in the year before `from`.
pub(crate) const JEUGD_STOCK_WEEK: f64 = 54.0;
pub(crate) const WMO_FTE: f64 = 40.91;
pub(crate) const JEUGD_FTE: f64 = 23.44;
/// Mean remaining duration of indefinite Wmo care (≈20 % ends in a year), which
/// with the inflow of new grants keeps the PO stock (≈96 PO a week) in steady state.
pub(crate) const WMO_CARE_MEAN_DAYS: f64 = 1650.0;
pub(crate) const WARMUP_DAYS: i64 = 112;
pub(crate) const HISTORY_DAYS: i64 = 1644;
pub(crate) const P_CORRECTION: f64 = 0.004;
pub(crate) const P_LATE: f64 = 0.015;
pub(crate) const P_LATE_BESCHIKKING: f64 = 0.04;
/// Working days per week on average, holidays taken off.
pub(crate) const WORKDAYS_PER_WEEK: f64 = 4.85;

pub(crate) const GEMEENTEN: &[&str] = &[
    "GM0344", "GM0363", "GM0935", "GM0599", "GM0518", "GM0772", "GM0014", "GM0200", "GM0034",
    "GM0855", "GM0758", "GM0268", "GM0193", "GM0153", "GM0392", "GM0080", "GM0202", "GM0307",
    "GM0796", "GM0479", "GM0546", "GM0505", "GM0637", "GM0503", "GM0150", "GM0983", "GM0917",
    "GM0361", "GM0114", "GM0228", "GM0794",
];
pub(crate) const VOLUME_FACTORS: &[f64] = &[1.0, 1.15, 0.85, 1.3, 0.75, 1.1, 0.95, 1.2, 0.8, 1.05];
pub(crate) const QUALITY_FACTORS: &[f64] = &[1.0, 0.7, 1.4, 0.9, 1.2, 0.6, 1.3, 1.1, 0.8, 1.5];

pub(crate) const WMO_TEAMS: [&str; 7] = [
    "IGT Noord",
    "IGT Oost",
    "IGT Zuid",
    "IGT West",
    "IGT Centrum",
    "IGT Oud-Zuid",
    "IGT Buitenwijken",
];
pub(crate) const JEUGD_TEAMS: [&str; 7] = [
    "Jeugd Noord",
    "Jeugd Oost",
    "Jeugd Zuid",
    "Jeugd West",
    "Jeugd Centrum",
    "Jeugd Oud-Zuid",
    "Jeugd Buitenwijken",
];
pub(crate) const N_TEAMS: i64 = 7;
pub(crate) const N_WIJKEN: i64 = 10;

pub(crate) struct Voorz {
    pub(crate) code: &'static str,
    pub(crate) weight: f64,
    /// Chance that a grant is indefinite (einddatum null).
    pub(crate) p_indefinite: f64,
    /// Duration in days when an einddatum is set.
    pub(crate) duration: (i64, i64),
    pub(crate) aanbieders: &'static [&'static str],
}

pub(crate) const WMO_VOORZ: &[Voorz] = &[
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

pub(crate) const JEUGD_VOORZ: &[Voorz] = &[
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

pub(crate) const PGB_AANBIEDER: &str = "PGB-zorgverlener (SVB)";

pub(crate) const WMO_CIT_KANAAL: &[(Kanaal, f64)] = &[
    (Kanaal::Telefoon, 0.48),
    (Kanaal::Email, 0.16),
    (Kanaal::Digitaal, 0.24),
    (Kanaal::Balie, 0.12),
];
pub(crate) const WMO_DIRECT_KANAAL: &[(Kanaal, f64)] = &[
    (Kanaal::ConsulentDirect, 0.35),
    (Kanaal::SociaalTeam, 0.35),
    (Kanaal::Knooppunt, 0.05),
    (Kanaal::Derden, 0.25),
];
pub(crate) const JEUGD_CIT_KANAAL: &[(Kanaal, f64)] = &[
    (Kanaal::Telefoon, 0.45),
    (Kanaal::Email, 0.2),
    (Kanaal::Digitaal, 0.25),
    (Kanaal::Balie, 0.1),
];
pub(crate) const JEUGD_DIRECT_KANAAL: &[(Kanaal, f64)] = &[
    (Kanaal::Knooppunt, 0.35),
    (Kanaal::SociaalTeam, 0.3),
    (Kanaal::Derden, 0.2),
    (Kanaal::ConsulentDirect, 0.15),
];
pub(crate) const OFF_HOURS_KANAAL: &[(Kanaal, f64)] =
    &[(Kanaal::Digitaal, 0.6), (Kanaal::Email, 0.4)];

pub(crate) const WMO_VERWIJZER: &[(Verwijzer, f64)] = &[
    (Verwijzer::Geen, 0.45),
    (Verwijzer::Huisarts, 0.14),
    (Verwijzer::Wijkteam, 0.12),
    (Verwijzer::Gemeente, 0.10),
    (Verwijzer::MedischSpecialist, 0.09),
    (Verwijzer::Werkplein, 0.04),
    (Verwijzer::Uwv, 0.02),
    (Verwijzer::VerwijzingVoor2015, 0.04),
];
pub(crate) const JEUGD_VERWIJZER: &[(Verwijzer, f64)] = &[
    (Verwijzer::Gemeente, 0.22),
    (Verwijzer::Wijkteam, 0.20),
    (Verwijzer::Huisarts, 0.17),
    (Verwijzer::Jeugdarts, 0.14),
    (Verwijzer::GecertificeerdeInstelling, 0.10),
    (Verwijzer::MedischSpecialist, 0.05),
    (Verwijzer::Geen, 0.12),
];

pub(crate) const AFGEVANGEN_REDEN: &[(&str, f64)] = &[
    ("informatie en advies gegeven", 0.35),
    ("verwezen naar algemene voorziening", 0.30),
    ("opgelost in eerste gesprek", 0.15),
    ("verwezen naar welzijnsorganisatie", 0.12),
    ("geen ondersteuningsvraag", 0.08),
];
pub(crate) const DOORGEZET_REDEN: &[(&str, f64)] = &[
    ("onderzoek maatwerkvoorziening nodig", 0.7),
    ("complexe situatie", 0.2),
    ("herbeoordeling bestaande voorziening", 0.1),
];

pub(crate) const ATTRITION_REDEN: &[(ZorgEindeReden, f64)] = &[
    (ZorgEindeReden::Overleden, 0.40),
    (ZorgEindeReden::Wlz, 0.30),
    (ZorgEindeReden::Verhuisd, 0.10),
    (ZorgEindeReden::OpVerzoekClient, 0.10),
    (ZorgEindeReden::Overig, 0.10),
];
pub(crate) const EINDDATUM_REDEN: &[(ZorgEindeReden, f64)] = &[
    (ZorgEindeReden::DoelenBereikt, 0.75),
    (ZorgEindeReden::AndereVoorziening, 0.10),
    (ZorgEindeReden::OpVerzoekClient, 0.10),
    (ZorgEindeReden::Verhuisd, 0.05),
];
pub(crate) const EARLY_END_REDEN: &[(ZorgEindeReden, f64)] = &[
    (ZorgEindeReden::OpVerzoekClient, 0.35),
    (ZorgEindeReden::DoelenBereikt, 0.25),
    (ZorgEindeReden::Verhuisd, 0.15),
    (ZorgEindeReden::AndereVoorziening, 0.15),
    (ZorgEindeReden::Overig, 0.10),
];
pub(crate) const PO_BEEINDIGD_REDEN: &[(ZorgEindeReden, f64)] = &[
    (ZorgEindeReden::OpVerzoekClient, 0.3),
    (ZorgEindeReden::DoelenBereikt, 0.3),
    (ZorgEindeReden::AndereVoorziening, 0.2),
    (ZorgEindeReden::Wlz, 0.1),
    (ZorgEindeReden::Overig, 0.1),
];

pub(crate) const SRC_CIT: &str = "cit-kcc";
pub(crate) const SRC_PLANNING: &str = "planning";
pub(crate) const SRC_ZAAK: &str = "zaaksysteem";
pub(crate) const SRC_HR: &str = "hr-formatie";

/// True when `s` holds a run of exactly 9 digits that is a valid BSN.
pub(crate) fn contains_bsn(s: &str) -> bool {
    s.split(|c: char| !c.is_ascii_digit()).any(is_bsn)
}

pub(crate) fn client_ref(client: u64) -> String {
    format!("c-{client:012x}")
}

pub(crate) fn team_name(dom: Domein, team: u8) -> &'static str {
    match dom {
        Domein::Wmo => WMO_TEAMS[team as usize],
        Domein::Jeugd => JEUGD_TEAMS[team as usize],
    }
}

pub(crate) fn voorz_table(dom: Domein) -> &'static [Voorz] {
    match dom {
        Domein::Wmo => WMO_VOORZ,
        Domein::Jeugd => JEUGD_VOORZ,
    }
}

pub(crate) fn dom_index(dom: Domein) -> usize {
    match dom {
        Domein::Wmo => 0,
        Domein::Jeugd => 1,
    }
}

pub(crate) fn gemeente_code(i: usize) -> String {
    if let Some(c) = GEMEENTEN.get(i) {
        return (*c).to_string();
    }
    // Synthetic codes: GM9001..GM9999, then GM8001..GM8999, and so on.
    let k = i - GEMEENTEN.len();
    let block = (k / 999) as u32;
    let n = 9000u32.saturating_sub(block * 1000).max(1000) + 1 + (k % 999) as u32;
    format!("GM{n:04}")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

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
}
