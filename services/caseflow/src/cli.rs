//! The entry point: parse the command line, start the runtime and hand the
//! subcommand to its module.

use std::process::ExitCode;

use caseflow_core::params::ParamError;
use clap::Parser;

use crate::args::{Cli, Command, LogFormat};
use crate::{ingest, project, query, report, run, simulate, token};

/// Exit code for a query parameter that was not accepted (as clap does for usage errors).
pub const EXIT_BAD_PARAMETER: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.global.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A refused parameter, or a request the data cannot answer: exit 2.
            let param = e.downcast_ref::<ParamError>().or_else(|| match e.downcast_ref::<caseflow_store::StoreError>() {
                Some(caseflow_store::StoreError::Param(p)) => Some(p),
                _ => None,
            });
            if let Some(p) = param {
                eprintln!("error: {}", p.repeatable());
                return ExitCode::from(EXIT_BAD_PARAMETER);
            }
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let g = cli.global;
    match cli.command {
        Command::Run(a) => run::run(&g, &a, true).await,
        Command::Serve(a) => run::run(&g, &a, false).await,
        Command::Ingest(a) => ingest::ingest(&g, &a).await,
        Command::Query(q) => query::query(&g, q).await,
        Command::Report(r) => report::report(&g, r).await,
        Command::Rebuild => ingest::rebuild(&g).await,
        Command::Alert(a) => run::alert_loop(&g, &a).await,
        Command::Simulate(a) => simulate::simulate(&a),
        Command::Project(a) => project::project(&g, &a).await,
        Command::Token(c) => token::token(&g, c).await,
    }
}

fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CASEFLOW_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=error,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
