//! The discrete-event simulation: state of open cases, beschikkingen and staffing,
//! advanced one Amsterdam day at a time.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use chrono::NaiveDate;
use uuid::Uuid;

use caseflow_core::event::{
    AanvraagSoort, AfsluitReden, Besluit, Domein, Dossiertype, Event, EventData, EventType, Kanaal,
    Leveringsvorm, MeldingUitkomst, PoUitkomst, Verwijzer, ZorgEindeReden,
};

use crate::calendar::*;
use crate::params::*;
use crate::queue::{Slab, Timed};
use crate::rng::Rng;
use crate::{SimConfig, SimLine};

mod bad;

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

/// A migrated stock beschikking before it is issued.
struct StockBesch {
    ctx: Ctx,
    voorz: u8,
    ingang: NaiveDate,
    eind: Option<NaiveDate>,
    lv: Leveringsvorm,
    aanbieder: Option<&'static str>,
    team: u8,
    issued_at: i64,
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
    heap: BinaryHeap<Timed<Action>>,
    delayed: BinaryHeap<Timed<SimLine>>,
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
        self.heap.push(Timed {
            at: ts,
            seq: self.seq,
            item: action,
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
                self.output(d.item);
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
            let next_action = self.heap.peek().map(|s| s.at).filter(|&t| t < day_end);
            let next_delayed = self.delayed.peek().map(|d| d.at).filter(|&t| t < day_end);
            match (next_action, next_delayed) {
                (None, None) => break,
                (Some(a), Some(d)) if d <= a => self.release_delayed(),
                (None, Some(_)) => self.release_delayed(),
                (Some(_), _) => {
                    let s = self.heap.pop().expect("peeked");
                    self.execute(s.at, s.item);
                }
            }
        }
        self.day = day + days(1);
    }

    fn release_delayed(&mut self) {
        if let Some(d) = self.delayed.pop() {
            self.output(d.item);
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
        let (lv, aanbieder) = self.pick_levering(Domein::Wmo, voorz, 0.12);
        let ctx = self.new_ctx(g, Domein::Wmo, None);
        let ingang = day + days(self.rng.range(0, 14));
        let team = self.rng.range(0, N_TEAMS - 1) as u8;
        let stock = StockBesch { ctx, voorz, ingang, eind: None, lv, aanbieder, team, issued_at: c };
        self.issue_stock(stock, Some(plan));
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
        let (lv, aanbieder) = self.pick_levering(Domein::Jeugd, voorz, 0.15);
        let ctx = self.new_ctx(g, Domein::Jeugd, None);
        let team = self.rng.range(0, N_TEAMS - 1) as u8;
        let stock = StockBesch { ctx, voorz, ingang, eind: Some(eind), lv, aanbieder, team, issued_at: c };
        self.issue_stock(stock, None);
    }

    /// Pgb with probability `pgb`, else zorg in natura from a provider of `voorz`.
    fn pick_levering(&mut self, dom: Domein, voorz: u8, pgb: f64) -> (Leveringsvorm, Option<&'static str>) {
        if self.rng.chance(pgb) {
            (Leveringsvorm::Pgb, None)
        } else {
            (Leveringsvorm::Zin, Some(self.pick_aanbieder(dom, voorz)))
        }
    }

    /// Issue a migrated stock beschikking: its historical `beschikking.afgegeven`
    /// and what follows it.
    fn issue_stock(&mut self, stock: StockBesch, cycle: Option<CyclePlan>) {
        let StockBesch { ctx, voorz, ingang, eind, lv, aanbieder, team, issued_at: c } = stock;
        let id = self.rng.uuid();
        let aanvraag_id = self.rng.uuid();
        let b = self.besch.insert(Besch {
            origin: ctx,
            cur: ctx,
            id,
            aanvraag_id,
            voorz,
            ingang,
            eind,
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
        self.plan_followups(b, c, true, cycle);
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
        let n = self.besch.slots();
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
        self.delayed.push(Timed {
            at: release,
            seq: self.seq,
            item: line,
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
