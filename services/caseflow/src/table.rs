//! Readable tables for people at a terminal.

use caseflow_core::leadtime::{LeadtimeRow, OpenCaseRow};
use caseflow_core::overdue_po::PoReport;
use caseflow_core::terms::{Term, TermStatus, TermsReport};
use caseflow_core::throughput::{Breakdown, ThroughputRow};
use caseflow_core::workload::WorkloadReport;
use caseflow_store::{Alert, DeadLetter};
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

/// gemeente, domein and, when split by team, the team (or "(geen team)").
fn leading_cells(gemeente: &str, domein: &str, team: Option<&str>, by_team: bool) -> Vec<String> {
    let mut cells = vec![gemeente.to_string(), domein.to_string()];
    if by_team {
        cells.push(team.unwrap_or("(geen team)").to_string());
    }
    cells
}

fn split(b: &Breakdown, keys: &[&str]) -> String {
    let parts: Vec<String> = keys
        .iter()
        .map(|k| b.by.get(*k).copied().unwrap_or(0).to_string())
        .collect();
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
        let mut cells = leading_cells(&r.gemeente, &r.domein, r.team.as_deref(), by_team);
        cells.extend([
            r.period.clone(),
            r.meldingen.to_string(),
            r.doorgezet.to_string(),
            r.afgevangen.to_string(),
            r.afvangratio
                .map(|x| format!("{:.1}", x * 100.0))
                .unwrap_or_else(|| "–".into()),
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
    let mut t = new_table(
        vec!["id", "source", "position", "kind", "reason", "raw"],
        99,
    );
    for d in rows {
        let raw: String = d.raw.chars().take(60).collect();
        let raw = if d.raw.chars().count() > 60 {
            format!("{raw}…")
        } else {
            raw
        };
        t.add_row(vec![
            d.id.to_string(),
            d.source.clone(),
            d.position.clone(),
            d.kind.clone(),
            d.reason.clone(),
            raw,
        ]);
    }
    t.to_string()
}

fn num(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}")
}

fn opt(x: Option<f64>, decimals: usize) -> String {
    x.map(|v| num(v, decimals)).unwrap_or_else(|| "–".into())
}

pub fn leadtime(rows: &[LeadtimeRow], by_team: bool) -> String {
    let mut header = vec!["gemeente", "domein"];
    if by_team {
        header.push("team");
    }
    header.extend([
        "period",
        "measure",
        "n",
        "mean",
        "p50",
        "p90",
        "max",
        "norm",
        "over_norm",
    ]);
    let first_number = if by_team { 5 } else { 4 };
    let mut t = new_table(header, first_number);
    for r in rows {
        let mut cells = leading_cells(&r.gemeente, &r.domein, r.team.as_deref(), by_team);
        cells.extend([
            r.period.clone(),
            r.measure.clone(),
            r.n.to_string(),
            num(r.mean, 1),
            num(r.p50, 1),
            num(r.p90, 1),
            num(r.max, 1),
            opt(r.norm, 0),
            r.over_norm
                .map(|o| format!("{o} ({:.0}%)", 100.0 * o as f64 / r.n.max(1) as f64))
                .unwrap_or_else(|| "–".into()),
        ]);
        t.add_row(cells);
    }
    format!("{t}\n(days; p50/p90 nearest-rank; over_norm = strictly over the legal norm)")
}

pub fn workload(r: &WorkloadReport) -> String {
    let mut t = new_table(
        vec![
            "gemeente",
            "domein",
            "team",
            "week",
            "fte",
            "nieuw",
            "po",
            "aanvragen",
            "beschikkingen",
            "open",
            "normuren",
            "nieuw/fte",
            "po/fte",
            "aanvr/fte",
            "benodigde_fte",
        ],
        4,
    );
    for w in &r.weeks {
        t.add_row(vec![
            w.gemeente.clone(),
            w.domein.clone(),
            w.team.clone(),
            w.week.clone(),
            num(w.fte, 2),
            w.opgepakt_nieuw.to_string(),
            w.opgepakt_po.to_string(),
            w.aanvragen.to_string(),
            w.beschikkingen.to_string(),
            w.open.to_string(),
            num(w.norm_uren_open, 0),
            opt(w.opgepakt_nieuw_per_fte, 2),
            opt(w.opgepakt_po_per_fte, 2),
            opt(w.aanvragen_per_fte, 2),
            num(w.benodigde_fte, 2),
        ]);
    }
    let s = &r.summary;
    format!(
        "{t}\nwindow {} .. {} ({} weeks): mean FTE {:.2}; per FTE a week: {} nieuw, {} PO, {} aanvragen, {} beschikkingen; \
         capaciteit {:.2} dossiers/FTE/week; benodigde FTE {:.1} (present {:.2}); open at the end {} ({:.0} norm hours)",
        s.from,
        s.to,
        s.weeks,
        s.fte_mean,
        opt(s.opgepakt_nieuw_per_fte_week, 1),
        opt(s.opgepakt_po_per_fte_week, 1),
        opt(s.aanvragen_per_fte_week, 1),
        opt(s.beschikkingen_per_fte_week, 1),
        s.capaciteit,
        s.benodigde_fte,
        s.fte_mean,
        s.open,
        s.norm_uren_open
    )
}

pub fn po(r: &PoReport, limit: usize) -> String {
    let mut counts = new_table(vec!["status", "beschikkingen"], 1);
    for (k, v) in &r.counts {
        counts.add_row(vec![k.to_string(), v.to_string()]);
    }
    let mut t = new_table(
        vec![
            "status",
            "beschikking_id",
            "gemeente",
            "team",
            "voorziening",
            "cycle_start",
            "gepland_op",
        ],
        99,
    );
    for s in r
        .beschikkingen
        .iter()
        .filter(|s| s.status.is_alert())
        .take(limit)
    {
        t.add_row(vec![
            s.status.as_str().to_string(),
            s.beschikking_id.to_string(),
            s.gemeente.clone(),
            s.team.clone().unwrap_or_default(),
            s.voorziening.clone(),
            s.cycle_start.format("%Y-%m-%d").to_string(),
            s.gepland_op
                .map(|d| d.to_string())
                .unwrap_or_else(|| "–".into()),
        ]);
    }
    let alerting = r
        .beschikkingen
        .iter()
        .filter(|s| s.status.is_alert())
        .count();
    format!(
        "PO status at {}\n{counts}\n{alerting} beschikkingen need attention (first {}):\n{t}",
        r.as_of,
        limit.min(alerting)
    )
}

fn termijn(t: Term) -> &'static str {
    match t {
        Term::Onderzoek => "onderzoek (aanvraag)",
        Term::Besluit => "besluit (beschikking)",
    }
}

fn status_nl(s: TermStatus) -> &'static str {
    match s {
        TermStatus::TermijnVerstreken => "verstreken",
        TermStatus::TermijnNadert => "nadert",
        TermStatus::BinnenTermijn => "binnen termijn",
    }
}

/// The legal terms (spec §3.6) for the team leads who act on them: Dutch labels,
/// the deadline's Amsterdam date, days overdue (+) or to go (−).
pub fn terms(r: &TermsReport, limit: usize) -> String {
    let mut t = new_table(
        vec!["Status", "Termijn", "Zaak", "Aanvraag", "Gemeente", "Domein", "Team", "Uiterste datum", "Dagen over/te gaan"],
        8,
    );
    for x in r.terms.iter().take(limit) {
        let over = -x.days_left;
        t.add_row(vec![
            status_nl(x.status).to_string(),
            termijn(x.term).to_string(),
            x.case_id.to_string(),
            x.aanvraag_id.map(|a| a.to_string()).unwrap_or_else(|| "–".into()),
            x.gemeente.clone(),
            x.domein.clone(),
            x.team.clone().unwrap_or_else(|| "(geen team)".into()),
            caseflow_core::period::local_date(&x.deadline).to_string(),
            if over > 0.0 { format!("{} over", num(over, 1)) } else { format!("{} te gaan", num(-over, 1)) },
        ]);
    }
    let n = |s: TermStatus| r.counts.get(s.as_str()).copied().unwrap_or(0);
    format!(
        "Wettelijke termijnen op {}: {} verstreken, {} naderen, {} binnen termijn\n{t}\n{} open termijnen (meest urgent eerst; {} getoond)",
        r.as_of,
        n(TermStatus::TermijnVerstreken),
        n(TermStatus::TermijnNadert),
        n(TermStatus::BinnenTermijn),
        r.terms.len(),
        limit.min(r.terms.len())
    )
}

pub fn alerts(rows: &[Alert]) -> String {
    let mut t = new_table(
        vec![
            "id",
            "kind",
            "beschikking_id",
            "gemeente",
            "team",
            "cycle_start",
            "gepland_op",
            "raised_at",
            "resolved_at",
        ],
        99,
    );
    for a in rows {
        t.add_row(vec![
            a.id.to_string(),
            a.kind.clone(),
            a.beschikking_id.clone(),
            a.gemeente.clone(),
            a.team.clone().unwrap_or_default(),
            a.cycle_start.clone(),
            a.gepland_op.clone().unwrap_or_else(|| "–".into()),
            a.raised_at.clone(),
            a.resolved_at.clone().unwrap_or_else(|| "open".into()),
        ]);
    }
    t.to_string()
}

pub fn open_cases(rows: &[OpenCaseRow], limit: usize) -> String {
    let mut t = new_table(
        vec![
            "case_id",
            "gemeente",
            "domein",
            "team",
            "consulent",
            "age (days)",
            "deadline",
            "days left",
        ],
        5,
    );
    for r in rows.iter().take(limit) {
        t.add_row(vec![
            r.case_id.to_string(),
            r.gemeente.clone(),
            r.domein.clone(),
            r.team.clone().unwrap_or_else(|| "(CIT)".into()),
            r.consulent_ref.clone().unwrap_or_default(),
            num(r.age_days, 1),
            r.deadline_kind
                .map(|k| {
                    format!(
                        "{k} {}",
                        r.deadline.as_deref().unwrap_or("").get(..10).unwrap_or("")
                    )
                })
                .unwrap_or_else(|| "–".into()),
            opt(r.days_left, 1),
        ]);
    }
    let overdue = rows
        .iter()
        .filter(|r| r.days_left.is_some_and(|d| d < 0.0))
        .count();
    format!(
        "{t}\n{} open cases, {overdue} past their legal deadline (most urgent first; showing {})",
        rows.len(),
        limit.min(rows.len())
    )
}
