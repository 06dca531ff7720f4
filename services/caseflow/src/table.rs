//! Readable tables for people at a terminal.

use caseflow_core::throughput::{Breakdown, ThroughputRow};
use caseflow_store::DeadLetter;
use comfy_table::{presets::UTF8_FULL_CONDENSED, CellAlignment, Table};

fn new_table(header: Vec<&str>, right_from: usize) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(header.clone());
    for i in right_from..header.len() {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

fn split(b: &Breakdown, keys: &[&str]) -> String {
    let parts: Vec<String> = keys.iter().map(|k| b.by.get(*k).copied().unwrap_or(0).to_string()).collect();
    format!("{} ({})", b.total, parts.join("/"))
}

pub fn throughput(rows: &[ThroughputRow], by_team: bool) -> String {
    let mut header = vec!["gemeente", "domein"];
    if by_team {
        header.push("team");
    }
    header.extend([
        "period",
        "meldingen",
        "doorgezet",
        "afgevangen",
        "afvang%",
        "toegewezen",
        "aanvragen",
        "beschikkingen (toeg/afgew)",
        "po_uitgevoerd (ong/gew/beë)",
        "zorg_gestart",
        "zorg_beeindigd",
    ]);
    let first_number = if by_team { 4 } else { 3 };
    let mut t = new_table(header, first_number);
    for r in rows {
        let mut cells = vec![r.gemeente.clone(), r.domein.clone()];
        if by_team {
            cells.push(r.team.clone().unwrap_or_else(|| "(geen team)".into()));
        }
        cells.extend([
            r.period.clone(),
            r.meldingen.to_string(),
            r.doorgezet.to_string(),
            r.afgevangen.to_string(),
            r.afvangratio.map(|x| format!("{:.1}", x * 100.0)).unwrap_or_else(|| "–".into()),
            r.toegewezen.to_string(),
            r.aanvragen.total.to_string(),
            split(&r.beschikkingen, &["toegekend", "afgewezen"]),
            split(&r.po_uitgevoerd, &["ongewijzigd", "gewijzigd", "beeindigd"]),
            r.zorg_gestart.to_string(),
            r.zorg_beeindigd.total.to_string(),
        ]);
        t.add_row(cells);
    }
    t.to_string()
}

pub fn dead_letters(rows: &[DeadLetter]) -> String {
    let mut t = new_table(vec!["id", "source", "position", "kind", "reason", "raw"], 99);
    for d in rows {
        let raw: String = d.raw.chars().take(60).collect();
        let raw = if d.raw.chars().count() > 60 { format!("{raw}…") } else { raw };
        t.add_row(vec![d.id.to_string(), d.source.clone(), d.position.clone(), d.kind.clone(), d.reason.clone(), raw]);
    }
    t.to_string()
}
