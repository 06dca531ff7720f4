mod common;

use caseflow_report::table;
use common::sample;

#[test]
fn terminal_table_per_theme_with_shown_figures() {
    let text = table(&sample());
    assert!(text.starts_with("Monitor Wmo — 3e kwartaal 2026 (2026-Q3)"));
    for title in [
        "Instroom, doorstroom en uitstroom",
        "Tijdigheid (wettelijke termijnen)",
        "Formatie en capaciteit",
    ] {
        assert!(text.lines().any(|l| l == title), "{title} missing");
    }
    let line = |label: &str| -> Vec<String> {
        let l = text
            .lines()
            .find(|l| l.trim_start_matches('│').trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no line {label}"));
        l.split(['│', '┆'])
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    assert_eq!(line("Meldingen"), ["Meldingen", "1.234", "275", "286"]);
    assert_eq!(
        line("Afgevangen aan de voorkant")[1..],
        ["367", "<5 P", "146"]
    );
    assert_eq!(line("Afvangratio")[1..], ["73,4%", "— A", "55,7%"]);
    assert_eq!(
        line("Formatie consulenten (fte)")[1..],
        ["40,91", "21,50", "22,50"]
    );
    // Categories are indented under their indicator.
    assert!(text.contains("│   Herindicatie "));
    assert!(!text.contains("4.321") && !text.contains("987,6"));
    assert!(text.contains("P primair"), "legend");
}
