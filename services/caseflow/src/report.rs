//! `caseflow report monitor …`: the council monitor in the asked format, to a
//! file or standard output.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::Context;
use caseflow_core::monitor::MonitorParams;
use caseflow_core::params::ParamError;
use caseflow_report::Format;

use crate::args::{Global, MonitorArgs, ReportCommand};
use crate::store::open;

/// How long Chromium may take to print the PDF.
const PDF_TIMEOUT: Duration = Duration::from_secs(60);

impl MonitorArgs {
    pub fn params(&self) -> MonitorParams {
        MonitorParams {
            gemeente: Some(self.gemeente.clone()),
            domein: Some(self.domein.clone()),
            quarter: self.quarter.clone(),
            half: self.half.clone(),
            trend: self.trend.clone(),
            baseline: self.baseline.clone(),
            threshold: self.threshold.clone(),
            national: Some(self.national.to_string()),
        }
    }

    fn output_format(&self) -> Result<Format, ParamError> {
        if self.json {
            return Ok(Format::Json);
        }
        match &self.format {
            None if self.out.is_none() && std::io::stdout().is_terminal() => Ok(Format::Table),
            None => Ok(Format::Json),
            Some(f) => Format::parse(f).ok_or_else(|| ParamError {
                parameter: "format",
                message: format!("`{f}` is not a format; accepted: {}", Format::ACCEPTED),
            }),
        }
    }
}

pub async fn report(g: &Global, r: ReportCommand) -> anyhow::Result<()> {
    match r {
        ReportCommand::Monitor(a) => monitor(g, &a).await,
    }
}

async fn monitor(g: &Global, a: &MonitorArgs) -> anyhow::Result<()> {
    // Parameters are checked before the database is touched.
    let req = a.params().parse()?;
    let format = a.output_format()?;
    if format.is_binary() && a.out.is_none() && std::io::stdout().is_terminal() {
        return Err(ParamError {
            parameter: "out",
            message: format!("a {} file does not belong on a terminal; give --out FILE", format.extension()),
        }
        .into());
    }
    let store = open(g).await?;
    // A report counts projected events only: catch up first when the log is
    // ahead (after an upgrade that rewinds the projection, or with no projector
    // running), so the report is not silently short.
    let (at, end) = store.lag().await?;
    if at < end {
        eprintln!("the read models are {} events behind the log; projecting them first …", end - at);
        store.project_pending(g.batch_size).await?;
    }
    let now = chrono::Utc::now();
    let made = if a.from_log { store.monitor_from_log(&req, now).await } else { store.monitor(&req, now).await };
    let report = made?;
    let chromium = a.chromium.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        caseflow_report::render(&report, format, chromium.as_deref(), PDF_TIMEOUT)
    })
    .await??;
    match &a.out {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(())
}
