//! `caseflow query …`: the same read models as the API, as a table or JSON.

use caseflow_core::params::{parse_as_of, parse_domein, parse_gemeente, parse_team, FilterParams};
use caseflow_store::AlertQuery;
use serde::Serialize;

use crate::args::{FilterArgs, Global, QueryCommand};
use crate::store::open;
use crate::table;

impl FilterArgs {
    fn params(&self) -> FilterParams {
        FilterParams {
            period: Some(self.period.clone()),
            gemeente: self.gemeente.clone(),
            domein: self.domein.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            by_team: Some(self.by_team.to_string()),
            ..FilterParams::default()
        }
    }
}

fn print_json<T: Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub async fn query(g: &Global, q: QueryCommand) -> anyhow::Result<()> {
    match q {
        QueryCommand::AccessLog(a) => return crate::token::access_log(g, a).await,
        QueryCommand::Throughput(a) => {
            // Parameters are checked before the database is touched.
            let tq = a.params().throughput()?;
            let store = open(g).await?;
            let rows = store.throughput(&tq).await?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                println!("no throughput in this window; ingest events first (caseflow ingest FILE) or widen --from/--to");
            } else {
                println!("{}", table::throughput(&rows, tq.by_team));
            }
        }
        QueryCommand::Leadtime(a) => {
            let lq = FilterParams {
                measure: a.measure.clone(),
                ..a.filter.params()
            }
            .leadtime()?;
            let rows = open(g).await?.leadtime(&lq).await?;
            if a.filter.json {
                print_json(&rows)?;
            } else if rows.is_empty() {
                println!("no lead times in this window; ingest events first or widen --from/--to");
            } else {
                println!("{}", table::leadtime(&rows, lq.by_team));
            }
        }
        QueryCommand::Workload(a) => {
            let p = FilterParams {
                gemeente: a.scope.gemeente,
                domein: a.scope.domein,
                team: a.scope.team,
                from: a.from,
                to: a.to,
                ..FilterParams::default()
            };
            let wq = p.workload()?;
            let report = open(g).await?.workload(&wq).await?;
            if a.json {
                print_json(&report)?;
            } else if report.weeks.is_empty() {
                println!("no workload in this window; ingest events (with formatie.vastgesteld for FTE) or widen --from/--to");
            } else {
                println!("{}", table::workload(&report));
            }
        }
        QueryCommand::Po(a) => {
            let p = FilterParams {
                status: a.status.clone(),
                ..FilterParams::default()
            };
            let (gemeente, domein, status) = (
                parse_gemeente(a.scope.gemeente.as_deref())?,
                parse_domein(a.scope.domein.as_deref())?,
                p.po_status()?,
            );
            let as_of = parse_as_of(a.as_of.as_deref(), chrono::Utc::now())?;
            let f = caseflow_core::overdue_po::PoFilter {
                team: parse_team(a.scope.team.as_deref())?,
                status,
                limit: None,
            };
            let report = open(g)
                .await?
                .po_filtered(gemeente.as_deref(), domein.as_deref(), as_of, &f)
                .await?;
            if a.json {
                print_json(&report)?;
            } else {
                println!("{}", table::po(&report, a.limit));
            }
        }
        QueryCommand::Terms(a) => {
            let (gemeente, domein) = (parse_gemeente(a.scope.gemeente.as_deref())?, parse_domein(a.scope.domein.as_deref())?);
            let f = caseflow_core::terms::TermsFilter {
                team: parse_team(a.scope.team.as_deref())?,
                status: caseflow_core::terms::parse_status(a.status.as_deref())?,
                limit: None,
            };
            let as_of = parse_as_of(a.as_of.as_deref(), chrono::Utc::now())?;
            let report = open(g).await?.terms(gemeente.as_deref(), domein.as_deref(), as_of, &f).await?;
            if a.json {
                print_json(&report)?;
            } else {
                println!("{}", table::terms(&report, a.limit));
            }
        }
        QueryCommand::Alerts(a) => {
            let p = FilterParams {
                status: a.status.clone(),
                kind: a.kind.clone(),
                ..FilterParams::default()
            };
            let aq = AlertQuery {
                gemeente: parse_gemeente(a.scope.gemeente.as_deref())?,
                domein: parse_domein(a.scope.domein.as_deref())?,
                team: parse_team(a.scope.team.as_deref())?,
                status: p.alert_status()?,
                kind: p.alert_kind()?,
                limit: a.limit,
            };
            let rows = open(g).await?.alerts(&aq).await?;
            if a.json {
                print_json(&rows)?;
            } else if rows.is_empty() {
                println!("no alerts");
            } else {
                println!("{}", table::alerts(&rows));
            }
        }
        QueryCommand::Open(a) => {
            let (gemeente, domein, team) = (
                parse_gemeente(a.scope.gemeente.as_deref())?,
                parse_domein(a.scope.domein.as_deref())?,
                parse_team(a.scope.team.as_deref())?,
            );
            let as_of = parse_as_of(a.as_of.as_deref(), chrono::Utc::now())?;
            let rows = open(g)
                .await?
                .open_cases(
                    gemeente.as_deref(),
                    domein.as_deref(),
                    team.as_deref(),
                    as_of,
                )
                .await?;
            if a.json {
                print_json(&rows)?;
            } else if rows.is_empty() {
                println!("no open cases");
            } else {
                println!("{}", table::open_cases(&rows, a.limit));
            }
        }
        QueryCommand::DeadLetters(a) => {
            let store = open(g).await?;
            let rows = store.dead_letters(a.limit, false).await?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                println!("no dead letters");
            } else {
                println!("{}", table::dead_letters(&rows));
            }
        }
    }
    Ok(())
}
