//! `caseflow query …`: the same read models as the API, as a table or JSON.

use caseflow_core::params::FilterParams;

use crate::cli::{FilterArgs, Global, QueryCommand};
use crate::ingest::open;
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
        }
    }
}

pub async fn query(g: &Global, q: QueryCommand) -> anyhow::Result<()> {
    match q {
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
