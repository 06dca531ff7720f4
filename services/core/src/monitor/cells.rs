//! The cells of one gemeente, domein and period, before disclosure control
//! (spec §3.5, the indicator table).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Config;
use crate::dims::CountKey;
use crate::disclosure::{Cell, Kind, TOTAAL};
use crate::event::Domein;
use crate::leadtime::{days_between, nearest_rank, Sample, MEASURES};
use crate::monitor::facts::MonitorFact;
use crate::monitor::ReportPeriod;
use crate::overdue_po::{PoStatus, PoTimeline};
use crate::period::start_of_local_day;
use crate::throughput as tp;
use crate::workload::{self, Extent, Formatie, WorkloadQuery};

/// What the monitor reads for one gemeente and domein.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub gemeente: &'a str,
    pub domein: Domein,
    /// The daily counts of this gemeente and domein, every day: the throughput
    /// metrics, and the workload metrics ([`workload::WINDOW_METRICS`], `wl_open`).
    pub counts: &'a [(CountKey, f64)],
    /// The lead-time samples of this gemeente and domein.
    pub samples: &'a [Sample],
    /// The monitor facts of this gemeente and domein.
    pub facts: &'a [MonitorFact],
    /// The monitored beschikkingen (spec §3.4) of this gemeente and domein.
    pub po: &'a [PoTimeline],
    /// Every effective staffing event, of every gemeente (a consultant's latest
    /// event decides their team).
    pub staffing: &'a [Formatie],
    /// The workload model's extent over the whole log.
    pub extent: &'a Extent,
}

/// The daily-count metrics the monitor reads (besides the workload's).
pub const COUNT_METRICS: &[&str] = &[
    tp::MELDINGEN,
    tp::DOORGEZET,
    tp::AFGEVANGEN,
    tp::TOEGEWEZEN,
    tp::ZORG_GESTART,
    tp::AANVRAGEN,
    tp::BESCHIKKINGEN,
    tp::PO_UITGEVOERD,
    tp::ZORG_BEEINDIGD,
];

/// Categories that occur anywhere in the source: the groups list these.
#[derive(Debug, Default)]
pub struct Categories {
    by_metric: BTreeMap<String, BTreeSet<String>>,
    verwijzer: BTreeSet<String>,
    voorziening: BTreeSet<String>,
    /// Per instroom client: the Amsterdam day of the first toegekende
    /// beschikking and its verwijzer category (computed once for every period).
    instroom: Vec<(NaiveDate, String)>,
}

/// The category when the instroom client's case has no melding.
pub const ONBEKEND: &str = "onbekend";

impl Categories {
    pub fn of(src: &Source) -> Categories {
        let mut c = Categories::default();
        for (k, v) in src.counts {
            if *v != 0.0 && !k.category.is_empty() {
                c.by_metric.entry(k.metric.clone()).or_default().insert(k.category.clone());
            }
        }
        for f in src.facts {
            match f {
                MonitorFact::Case(cf) => c.verwijzer.extend(cf.verwijzers.iter().cloned()),
                MonitorFact::Beschikking(b) => {
                    c.voorziening.insert(b.voorziening.clone());
                }
            }
        }
        c.instroom = instroom(src)
            .into_values()
            .map(|((at, _), cat)| (crate::period::local_date(&at), cat))
            .collect();
        if c.instroom.iter().any(|(_, v)| v == ONBEKEND) {
            c.verwijzer.insert(ONBEKEND.to_string());
        }
        c
    }

    fn metric(&self, m: &str) -> Vec<&str> {
        self.by_metric.get(m).map(|s| s.iter().map(String::as_str).collect()).unwrap_or_default()
    }
}

/// Per instroom client: the first toegekende beschikking (time, event_id) and its
/// verwijzer category.
fn instroom(src: &Source) -> BTreeMap<String, ((DateTime<Utc>, uuid::Uuid), String)> {
    let mut first: BTreeMap<String, ((DateTime<Utc>, uuid::Uuid), String)> = BTreeMap::new();
    for f in src.facts {
        let MonitorFact::Case(c) = f else { continue };
        for (client, at, id) in &c.toegekend {
            let cat = c.verwijzer.clone().unwrap_or_else(|| ONBEKEND.to_string());
            let candidate = ((*at, *id), cat);
            match first.get(client) {
                Some((best, _)) if *best <= candidate.0 => {}
                _ => {
                    first.insert(client.clone(), candidate);
                }
            }
        }
    }
    first
}

/// Collects a period's cells in order.
struct Out<'a> {
    src: &'a Source<'a>,
    label: String,
    cells: Vec<Cell>,
}

impl Out<'_> {
    fn push(&mut self, indicator: &str, category: Option<&str>, value: Option<f64>, kind: Kind) {
        self.cells.push(Cell::new(
            self.src.gemeente,
            self.src.domein.as_str(),
            &self.label,
            indicator,
            category,
            value,
            kind,
        ));
    }

    fn count(&mut self, indicator: &str, value: f64) {
        self.push(indicator, None, Some(value), Kind::Count);
    }

    /// A group: its total, then every category (0 where absent).
    fn group(&mut self, indicator: &str, categories: &[&str], values: &BTreeMap<String, f64>) {
        let total: f64 = values.values().sum();
        self.push(indicator, Some(TOTAAL), Some(total), Kind::GroupTotal);
        for c in categories {
            let v = values.get(*c).copied().unwrap_or(0.0);
            self.push(indicator, Some(c), Some(v), Kind::GroupCategory);
        }
    }

    fn share(&mut self, indicator: &str, category: Option<&str>, k: f64, n: f64) {
        let value = (n > 0.0).then(|| k / n);
        self.push(indicator, category, value, Kind::Share { numerator: k, denominator: n });
    }

    fn statistic(&mut self, indicator: &str, category: Option<&str>, value: Option<f64>, n: f64) {
        self.push(indicator, category, value, Kind::Statistic { denominator: n });
    }
}

/// The cells of `period` for `src`, before disclosure control.
pub fn period_cells(src: &Source, cats: &Categories, period: ReportPeriod, config: &Config) -> Vec<Cell> {
    let mut out = Out { src, label: period.label(), cells: Vec::new() };
    let (from, until) = (period.start, period.end_exclusive());
    let in_period = |d: NaiveDate| d >= from && d < until;
    let params = config.params(src.gemeente);

    // Throughput (§3.1) over the period.
    let mut sums: BTreeMap<&str, BTreeMap<String, f64>> = BTreeMap::new();
    for (k, v) in src.counts {
        if in_period(k.day) && COUNT_METRICS.contains(&k.metric.as_str()) {
            *sums.entry(k.metric.as_str()).or_default().entry(k.category.clone()).or_insert(0.0) += v;
        }
    }
    let total = |m: &str| sums.get(m).map_or(0.0, |c| c.values().sum());
    let empty = BTreeMap::new();
    let by = |m: &str| sums.get(m).unwrap_or(&empty);
    for m in [tp::MELDINGEN, tp::DOORGEZET, tp::AFGEVANGEN, tp::TOEGEWEZEN, tp::ZORG_GESTART] {
        out.count(m, total(m));
    }
    let (afgevangen, doorgezet) = (total(tp::AFGEVANGEN), total(tp::DOORGEZET));
    out.share("afvangratio", None, afgevangen, afgevangen + doorgezet);
    for (indicator, metric) in [
        ("aanvragen", tp::AANVRAGEN),
        ("beschikkingen", tp::BESCHIKKINGEN),
        ("po_uitgevoerd", tp::PO_UITGEVOERD),
        ("uitstroom", tp::ZORG_BEEINDIGD),
    ] {
        out.group(indicator, &cats.metric(metric), by(metric));
    }

    // Instroom: clients whose first toegekende beschikking falls in the period.
    let mut instroom_by: BTreeMap<String, f64> = BTreeMap::new();
    for (day, cat) in &cats.instroom {
        if in_period(*day) {
            *instroom_by.entry(cat.clone()).or_insert(0.0) += 1.0;
        }
    }
    let verwijzers: Vec<&str> = cats.verwijzer.iter().map(String::as_str).collect();
    out.group("instroom", &verwijzers, &instroom_by);

    // Lead time (§3.2): pairs whose end event falls in the period.
    let mut by_measure: BTreeMap<&str, Vec<f64>> = MEASURES.iter().map(|m| (*m, Vec::new())).collect();
    for s in src.samples {
        if in_period(s.day) {
            if let Some(v) = by_measure.get_mut(s.measure.as_str()) {
                v.push(s.days);
            }
        }
    }
    for v in by_measure.values_mut() {
        v.sort_by(f64::total_cmp);
    }
    for m in MEASURES {
        out.push("leadtime_n", Some(m), Some(by_measure[m].len() as f64), Kind::Count);
    }
    for (indicator, stat) in [("leadtime_mean", mean as fn(&[f64]) -> Option<f64>), ("leadtime_p50", p50), ("leadtime_p90", p90)] {
        for m in MEASURES {
            let v = &by_measure[m];
            out.statistic(indicator, Some(m), stat(v), v.len() as f64);
        }
    }
    for m in MEASURES {
        if let Some(norm) = params.norm(m, src.domein) {
            let v = &by_measure[m];
            let within = v.iter().filter(|d| **d <= norm).count() as f64;
            out.share("binnen_norm", Some(m), within, v.len() as f64);
        }
    }

    // Provisions at the peildatum: events strictly before T, the next day's start.
    let peil = period.peildatum();
    let t = start_of_local_day(until);
    let mut actief: BTreeMap<String, f64> = BTreeMap::new();
    let mut wachtend: BTreeMap<String, f64> = BTreeMap::new();
    let mut clients: BTreeSet<&str> = BTreeSet::new();
    let mut ages: Vec<f64> = Vec::new();
    for f in src.facts {
        let MonitorFact::Beschikking(b) = f else { continue };
        if !b.toegekend || b.afgegeven_at >= t || b.einddatum.is_some_and(|e| e < peil) {
            continue;
        }
        if b.beeindigd.iter().any(|(at, eind)| *at < t && *eind <= peil) {
            continue;
        }
        if b.gestart.iter().any(|(at, start)| *at < t && *start <= peil) {
            *actief.entry(b.voorziening.clone()).or_insert(0.0) += 1.0;
            if let Some(c) = &b.client_ref {
                clients.insert(c);
            }
        } else {
            *wachtend.entry(b.voorziening.clone()).or_insert(0.0) += 1.0;
            ages.push(days_between(b.afgegeven_at, t));
        }
    }
    let voorzieningen: Vec<&str> = cats.voorziening.iter().map(String::as_str).collect();
    out.group("actieve_voorzieningen", &voorzieningen, &actief);
    out.count("actieve_clienten", clients.len() as f64);
    out.group("wachtlijst", &voorzieningen, &wachtend);
    ages.sort_by(f64::total_cmp);
    let n = ages.len() as f64;
    out.statistic("wachtlijst_leeftijd_mean", None, mean(&ages), n);
    out.statistic("wachtlijst_leeftijd_p50", None, p50(&ages), n);
    out.statistic("wachtlijst_leeftijd_max", None, ages.last().copied(), n);

    // Casusregie: cases whose first beschikking falls in the period.
    let (mut regie, mut een) = (0.0, 0.0);
    for f in src.facts {
        let MonitorFact::Case(c) = f else { continue };
        if c.consulenten > 0 && c.eerste_beschikking.is_some_and(|at| in_period(crate::period::local_date(&at))) {
            regie += 1.0;
            if c.consulenten == 1 {
                een += 1.0;
            }
        }
    }
    out.count("casusregie_n", regie);
    out.share("casusregie_een_consulent", None, een, regie);

    // PO status (§3.4) at T, Wmo only.
    if src.domein == Domein::Wmo {
        let mut by_status: BTreeMap<String, f64> = BTreeMap::new();
        for p in src.po {
            if let Some(s) = p.state_before(t, config) {
                *by_status.entry(s.status.as_str().to_string()).or_insert(0.0) += 1.0;
            }
        }
        let statuses: Vec<&str> = PoStatus::ALL.iter().map(|s| s.as_str()).collect();
        out.group("po_status", &statuses, &by_status);
    }

    // Staff (§3.3) over the ISO weeks whose Monday lies in the period, all teams.
    let first_monday = workload::monday(from + chrono::Duration::days(6));
    let last_monday = workload::monday(period.peildatum());
    let q = WorkloadQuery {
        gemeente: Some(src.gemeente.to_string()),
        domein: Some(src.domein.as_str().to_string()),
        team: None,
        from: Some(first_monday),
        to: Some(last_monday),
    };
    let report = workload::report_within(src.counts.iter().map(|(k, v)| (k, *v)), src.staffing, &q, config, src.extent);
    let s = &report.summary;
    let has_weeks = s.weeks > 0;
    let staff = |x: f64| has_weeks.then_some(x);
    for (indicator, value) in [
        ("fte", staff(s.fte_mean)),
        ("per_fte_nieuw", s.opgepakt_nieuw_per_fte_week),
        ("per_fte_po", s.opgepakt_po_per_fte_week),
        ("per_fte_aanvragen", s.aanvragen_per_fte_week),
        ("benodigde_fte", staff(s.benodigde_fte)),
        ("capaciteit", Some(s.capaciteit)),
    ] {
        out.push(indicator, None, value, Kind::Staff);
    }
    out.cells
}

fn mean(sorted: &[f64]) -> Option<f64> {
    (!sorted.is_empty()).then(|| sorted.iter().sum::<f64>() / sorted.len() as f64)
}

fn p50(sorted: &[f64]) -> Option<f64> {
    nearest_rank(sorted, 50.0)
}

fn p90(sorted: &[f64]) -> Option<f64> {
    nearest_rank(sorted, 90.0)
}
