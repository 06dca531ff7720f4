//! Dutch labels, themes and units of the monitor's indicators (spec §3.5).

/// A section of the report: a Dutch title, a short sheet name for Excel
/// (≤ 31 characters, none of `[]:*?/\`) and its indicators in reading order.
pub struct Theme {
    pub title: &'static str,
    pub sheet: &'static str,
    pub indicators: &'static [&'static str],
}

pub const THEMES: &[Theme] = &[
    Theme {
        title: "Instroom, doorstroom en uitstroom",
        sheet: "Instroom en uitstroom",
        indicators: &[
            "meldingen",
            "doorgezet",
            "afgevangen",
            "afvangratio",
            "toegewezen",
            "aanvragen",
            "beschikkingen",
            "instroom",
            "zorg_gestart",
            "uitstroom",
            "zorg_beeindigd",
        ],
    },
    Theme {
        title: "Tijdigheid (wettelijke termijnen)",
        sheet: "Tijdigheid",
        indicators: &[
            "leadtime_n",
            "leadtime_mean",
            "leadtime_p50",
            "leadtime_p90",
            "binnen_norm",
        ],
    },
    Theme {
        title: "Wachtlijst",
        sheet: "Wachtlijst",
        indicators: &[
            "wachtlijst",
            "wachtlijst_leeftijd_mean",
            "wachtlijst_leeftijd_p50",
            "wachtlijst_leeftijd_max",
        ],
    },
    Theme {
        title: "Voorzieningen en cliënten",
        sheet: "Voorzieningen en cliënten",
        indicators: &["actieve_voorzieningen", "actieve_clienten"],
    },
    Theme {
        title: "Casusregie",
        sheet: "Casusregie",
        indicators: &["casusregie_n", "casusregie_een_consulent"],
    },
    Theme {
        title: "Periodiek onderzoek",
        sheet: "Periodiek onderzoek",
        indicators: &["po_uitgevoerd", "po_status"],
    },
    Theme {
        title: "Formatie en capaciteit",
        sheet: "Formatie en capaciteit",
        indicators: &[
            "fte",
            "per_fte_nieuw",
            "per_fte_po",
            "per_fte_aanvragen",
            "benodigde_fte",
            "capaciteit",
        ],
    },
];

/// The section of indicators the report does not know: nothing in a report is dropped.
pub const OTHER: Theme = Theme {
    title: "Overige indicatoren",
    sheet: "Overig",
    indicators: &[],
};

/// The suffix of a baseline difference's indicator.
pub const VERSCHIL: &str = "_verschil";

/// How an indicator's numbers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count: an integer.
    Count,
    /// A share k / n in 0..=1: a percentage with one decimal.
    Share,
    /// Days: one decimal.
    Days,
    /// Staff (FTE, rates per FTE, capacity): two decimals.
    Staff,
}

pub fn unit(indicator: &str) -> Unit {
    let base = indicator.strip_suffix(VERSCHIL).unwrap_or(indicator);
    match base {
        "afvangratio" | "binnen_norm" | "casusregie_een_consulent" => Unit::Share,
        "leadtime_mean"
        | "leadtime_p50"
        | "leadtime_p90"
        | "wachtlijst_leeftijd_mean"
        | "wachtlijst_leeftijd_p50"
        | "wachtlijst_leeftijd_max" => Unit::Days,
        "fte" | "per_fte_nieuw" | "per_fte_po" | "per_fte_aanvragen" | "benodigde_fte"
        | "capaciteit" => Unit::Staff,
        _ => Unit::Count,
    }
}

/// The Dutch label of an indicator; an unknown one is shown as its code.
pub fn indicator(code: &str) -> &str {
    match code {
        "meldingen" => "Meldingen",
        "doorgezet" => "Doorgezet naar een consulent",
        "afgevangen" => "Afgevangen aan de voorkant",
        "afvangratio" => "Afvangratio (aandeel afgevangen)",
        "toegewezen" => "Toegewezen zaken",
        "aanvragen" => "Aanvragen",
        "beschikkingen" => "Beschikkingen",
        "instroom" => "Instroom (nieuwe cliënten)",
        "zorg_gestart" => "Zorg gestart",
        "uitstroom" | "zorg_beeindigd" => "Uitstroom (zorg beëindigd)",
        "leadtime_n" => "Gemeten doorlooptijden (aantal)",
        "leadtime_mean" => "Doorlooptijd gemiddeld (dagen)",
        "leadtime_p50" => "Doorlooptijd mediaan (dagen)",
        "leadtime_p90" => "Doorlooptijd p90 (dagen)",
        "binnen_norm" => "Binnen de wettelijke termijn",
        "wachtlijst" => "Wachtlijst (toegekend, zorg nog niet gestart)",
        "wachtlijst_leeftijd_mean" => "Wachttijd op de wachtlijst gemiddeld (dagen)",
        "wachtlijst_leeftijd_p50" => "Wachttijd op de wachtlijst mediaan (dagen)",
        "wachtlijst_leeftijd_max" => "Wachttijd op de wachtlijst langste (dagen)",
        "actieve_voorzieningen" => "Actieve voorzieningen",
        "actieve_clienten" => "Actieve cliënten",
        "casusregie_n" => "Nieuwe zaken met casusregie",
        "casusregie_een_consulent" => "Eén vaste consulent (aandeel)",
        "po_uitgevoerd" => "Periodieke onderzoeken uitgevoerd",
        "po_status" => "Stand periodiek onderzoek (peildatum)",
        "fte" => "Formatie consulenten (fte)",
        "per_fte_nieuw" => "Nieuwe zaken per fte per week",
        "per_fte_po" => "Periodieke onderzoeken per fte per week",
        "per_fte_aanvragen" => "Aanvragen per fte per week",
        "benodigde_fte" => "Benodigde formatie (fte)",
        "capaciteit" => "Capaciteit (dossiers per fte per week)",
        other => other,
    }
}

/// The Dutch label of a category code (soort, besluit, verwijzer, reden,
/// uitkomst, lead-time measure, PO status); an unknown one, such as a
/// voorziening code, is shown as its code.
pub fn category(code: &str) -> &str {
    match code {
        "totaal" => "Totaal",
        // aanvraag soort
        "nieuw" => "Nieuw",
        "herindicatie" => "Herindicatie",
        "periodiek_onderzoek" => "Periodiek onderzoek",
        "mutatie" => "Mutatie",
        // besluit
        "toegekend" => "Toegekend",
        "afgewezen" => "Afgewezen",
        // verwijzer
        "gemeente" => "Gemeente",
        "wijkteam" => "Wijkteam",
        "huisarts" => "Huisarts",
        "jeugdarts" => "Jeugdarts",
        "gecertificeerde_instelling" => "Gecertificeerde instelling",
        "medisch_specialist" => "Medisch specialist",
        "geen" => "Geen verwijzer",
        "uwv" => "UWV",
        "werkplein" => "Werkplein",
        "verwijzing_voor_2015" => "Verwijzing van vóór 2015",
        "onbekend" => "Onbekend",
        // po uitkomst
        "ongewijzigd" => "Ongewijzigd",
        "gewijzigd" => "Gewijzigd",
        "beeindigd" => "Beëindigd",
        // reden zorg beëindigd
        "doelen_bereikt" => "Doelen bereikt",
        "verhuisd" => "Verhuisd",
        "overleden" => "Overleden",
        "andere_voorziening" => "Andere voorziening",
        "wlz" => "Naar de Wlz",
        "op_verzoek_client" => "Op verzoek van de cliënt",
        "overig" => "Overig",
        // lead-time measures
        "toewijzing" => "Toewijzing (melding tot consulent)",
        "onderzoek" => "Onderzoek (melding tot aanvraag)",
        "besluit" => "Besluit (aanvraag tot beschikking)",
        "doorlooptijd" => "Doorlooptijd (melding tot beschikking)",
        "wachttijd_zorg" => "Wachttijd zorg (beschikking tot start)",
        // po_status
        "geen_po_gepland" => "Geen PO gepland",
        "po_zonder_vervolg" => "PO zonder vervolg",
        "po_verlopen" => "PO verlopen",
        "po_te_ver_gepland" => "PO te ver vooruit gepland",
        "in_behandeling" => "In behandeling (binnen de termijn)",
        "ok" => "In orde",
        other => other,
    }
}

/// Known category codes in reading order; unknown ones sort after these, by code.
const CATEGORY_ORDER: &[&str] = &[
    "nieuw",
    "herindicatie",
    "periodiek_onderzoek",
    "mutatie",
    "toegekend",
    "afgewezen",
    "huisarts",
    "jeugdarts",
    "medisch_specialist",
    "gecertificeerde_instelling",
    "wijkteam",
    "gemeente",
    "uwv",
    "werkplein",
    "verwijzing_voor_2015",
    "geen",
    "onbekend",
    "ongewijzigd",
    "gewijzigd",
    "beeindigd",
    "doelen_bereikt",
    "andere_voorziening",
    "wlz",
    "verhuisd",
    "overleden",
    "op_verzoek_client",
    "overig",
    "toewijzing",
    "onderzoek",
    "besluit",
    "doorlooptijd",
    "wachttijd_zorg",
    "ok",
    "in_behandeling",
    "geen_po_gepland",
    "po_zonder_vervolg",
    "po_verlopen",
    "po_te_ver_gepland",
];

/// The sort key of a category within its indicator: no category, then the
/// group's total, then known codes in reading order, then the rest by code.
pub fn category_rank(category: Option<&str>) -> (usize, String) {
    match category {
        None => (0, String::new()),
        Some("totaal") => (1, String::new()),
        Some(c) => match CATEGORY_ORDER.iter().position(|k| *k == c) {
            Some(i) => (2 + i, String::new()),
            None => (2 + CATEGORY_ORDER.len(), c.to_string()),
        },
    }
}

/// `wmo` → `Wmo`, `jeugd` → `Jeugd`.
pub fn domein(code: &str) -> &str {
    match code {
        "wmo" => "Wmo",
        "jeugd" => "Jeugd",
        other => other,
    }
}

/// `2026-Q3` → `3e kwartaal 2026`, `2026-H1` → `1e halfjaar 2026`; else the label.
pub fn period(label: &str) -> String {
    match caseflow_core::monitor::ReportPeriod::parse(label) {
        Some(p) => {
            let (year, rest) = label.split_at(4);
            let n = &rest[2..];
            if p.is_half() {
                format!("{n}e halfjaar {year}")
            } else {
                format!("{n}e kwartaal {year}")
            }
        }
        None => label.to_string(),
    }
}

/// The plain-Dutch reason of a suppression.
pub fn suppression(s: caseflow_core::disclosure::Suppression) -> &'static str {
    use caseflow_core::disclosure::Suppression::*;
    match s {
        Primary => "primair: klein aantal",
        Secondary => "secundair: zou anders uit het totaal terug te rekenen zijn",
        Denominator => "noemer te klein",
        Share => "aandeel zou een klein aantal prijsgeven",
    }
}

/// The one-letter footnote mark of a suppression.
pub fn suppression_mark(s: caseflow_core::disclosure::Suppression) -> &'static str {
    use caseflow_core::disclosure::Suppression::*;
    match s {
        Primary => "P",
        Secondary => "S",
        Denominator => "N",
        Share => "A",
    }
}

/// The machine code of a suppression, as in the JSON.
pub fn suppression_code(s: caseflow_core::disclosure::Suppression) -> &'static str {
    use caseflow_core::disclosure::Suppression::*;
    match s {
        Primary => "primary",
        Secondary => "secondary",
        Denominator => "denominator",
        Share => "share",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_fit_excel() {
        for t in THEMES.iter().chain([&OTHER]) {
            assert!(t.sheet.chars().count() <= 31, "{}", t.sheet);
            assert!(
                !t.sheet.contains(['[', ']', ':', '*', '?', '/', '\\']),
                "{}",
                t.sheet
            );
        }
    }

    #[test]
    fn every_theme_indicator_has_a_dutch_label() {
        for t in THEMES {
            for i in t.indicators {
                assert_ne!(indicator(i), *i, "{i} has no label");
            }
        }
        assert_eq!(indicator("iets_nieuws"), "iets_nieuws");
        assert_eq!(category("hulp_bij_huishouden"), "hulp_bij_huishouden");
        assert_eq!(category("onbekend"), "Onbekend");
    }

    #[test]
    fn units_and_periods() {
        assert_eq!(unit("afvangratio"), Unit::Share);
        assert_eq!(unit("leadtime_p90_verschil"), Unit::Days);
        assert_eq!(unit("benodigde_fte"), Unit::Staff);
        assert_eq!(unit("meldingen_verschil"), Unit::Count);
        assert_eq!(period("2026-Q3"), "3e kwartaal 2026");
        assert_eq!(period("2026-H1"), "1e halfjaar 2026");
        assert_eq!(period("iets"), "iets");
    }

    #[test]
    fn categories_sort_total_first_then_known_then_codes() {
        let mut cs = vec![
            Some("zzz"),
            Some("afgewezen"),
            Some("totaal"),
            Some("toegekend"),
            Some("aaa"),
        ];
        cs.sort_by_key(|c| category_rank(*c));
        assert_eq!(
            cs,
            vec![
                Some("totaal"),
                Some("toegekend"),
                Some("afgewezen"),
                Some("aaa"),
                Some("zzz")
            ]
        );
    }
}
