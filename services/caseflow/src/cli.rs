//! Command-line interface: flags with environment fallbacks.

use std::path::PathBuf;
use std::process::ExitCode;

use caseflow_api::Limits;
use caseflow_core::params::ParamError;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// caseflow — case-flow read models for the Wmo and youth care.
#[derive(Debug, Parser)]
#[command(name = "caseflow", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Database: sqlite://PATH (embedded default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "CASEFLOW_DATABASE_URL",
        default_value = "sqlite://caseflow-data/caseflow.db"
    )]
    pub database: String,
    /// Log format: text for people, json for log collectors.
    #[arg(long, global = true, env = "CASEFLOW_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Most events per projection transaction (the Kafka projector, catch-up,
    /// rebuild). A trickle is applied at once whatever the bound; under a backlog
    /// larger batches recompute each case fewer times.
    #[arg(
        long,
        global = true,
        env = "CASEFLOW_BATCH_SIZE",
        default_value_t = 20_000
    )]
    pub batch_size: usize,
    /// Bound of the projector's in-memory cache: events plus projection keys held
    /// between transactions (0 keeps nothing). Memory stays flat in the length of
    /// the history whatever the bound; a larger bound reloads fewer keys from the log.
    #[arg(long, global = true, env = "CASEFLOW_PROJECTION_CACHE", default_value_t = caseflow_store::DEFAULT_PROJECTION_CACHE)]
    pub projection_cache: usize,
    /// Norms and parameters per gemeente (JSON; see docs/config.md). Default: the spec's.
    #[arg(long, global = true, env = "CASEFLOW_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the embedded product: projection and the HTTP API (dashboard at /).
    Run(RunArgs),
    /// Serve the HTTP API over an existing database (no background projector).
    Serve(RunArgs),
    /// Read NDJSON events from a file (or - for stdin) into the log and project them.
    Ingest(IngestArgs),
    /// Query a read model or the dead letters.
    #[command(subcommand)]
    Query(QueryCommand),
    /// Throw the read models away and recompute them from the event log.
    Rebuild,
    /// Keep the overdue-PO alerts current as time passes (periodic evaluation).
    Alert(AlertLoopArgs),
    /// Generate a realistic, deterministic NDJSON event stream.
    Simulate(SimulateArgs),
    /// Production projector: consume the Kafka event topic into the database.
    Project(crate::project::ProjectArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "CASEFLOW_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Seconds between evaluations of the overdue-PO alerts (run only).
    #[arg(long, env = "CASEFLOW_ALERT_INTERVAL", default_value_t = 60)]
    pub alert_interval: u64,
    /// Largest request body in bytes (a POST of events); a larger one gets 413.
    /// The default holds about 40,000 simulated events.
    #[arg(long, env = "CASEFLOW_MAX_BODY_BYTES", default_value_t = Limits::DEFAULT_MAX_BODY_BYTES as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_body_bytes: u64,
    /// Seconds an API request may take, waiting for its turn included; then 503.
    #[arg(long, env = "CASEFLOW_REQUEST_TIMEOUT", default_value_t = Limits::DEFAULT_REQUEST_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,
    /// API requests served at once; more wait for their turn.
    #[arg(long, env = "CASEFLOW_MAX_CONCURRENT_REQUESTS", default_value_t = Limits::DEFAULT_MAX_CONCURRENT_REQUESTS as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_concurrent_requests: u64,
    /// Most rows in one API answer: the default and the largest `limit`.
    #[arg(long, env = "CASEFLOW_MAX_ROWS", default_value_t = Limits::DEFAULT_MAX_ROWS as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_rows: u64,
}

impl RunArgs {
    /// The API's bounds from the flags.
    pub fn limits(&self) -> Limits {
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Limits {
            max_body_bytes: size(self.max_body_bytes),
            request_timeout: std::time::Duration::from_secs(self.request_timeout),
            max_concurrent_requests: size(self.max_concurrent_requests),
            max_rows: size(self.max_rows),
        }
    }
}

/// A query flag's value. As in the API, an empty value is refused rather than
/// read as "all" (`--gemeente "$G"` with `G` unset is a mistake, not a wish).
fn non_blank(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        Err("an empty value is not accepted; give a value or leave the flag out".into())
    } else {
        Ok(s.to_string())
    }
}

#[derive(Debug, Args)]
pub struct AlertLoopArgs {
    /// Seconds between evaluations.
    #[arg(long, env = "CASEFLOW_ALERT_INTERVAL", default_value_t = 60)]
    pub interval: u64,
    /// Evaluate once and exit (for cron).
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// NDJSON file, one event per line; `-` reads standard input.
    pub file: String,
    /// Print the counts as JSON: {"accepted":N,"duplicates":N,"rejected":N}.
    #[arg(long)]
    pub json: bool,
    /// Afterwards, print where the time went (wall seconds per phase) on stderr.
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// Throughput (spec §3.1) per gemeente, domein, (team,) and period.
    Throughput(FilterArgs),
    /// Lead times (spec §3.2): n, mean, p50, p90, max and over-norm per measure.
    Leadtime(LeadtimeArgs),
    /// Workload per FTE (spec §3.3) per team and ISO week, with a window summary.
    Workload(WorkloadArgs),
    /// Overdue PO (spec §3.4): every monitored beschikking's status at a reference time.
    Po(PoArgs),
    /// Overdue-PO alerts.
    Alerts(AlertArgs),
    /// The live open-case list: age, next legal deadline, days left.
    Open(OpenArgs),
    /// Rejected input with its reason and position.
    DeadLetters(DeadLetterArgs),
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// day, week, month, quarter or year.
    #[arg(long, default_value = "week", value_parser = non_blank)]
    pub period: String,
    /// CBS code, e.g. GM0935.
    #[arg(long, value_parser = non_blank)]
    pub gemeente: Option<String>,
    /// wmo or jeugd.
    #[arg(long, value_parser = non_blank)]
    pub domein: Option<String>,
    /// Split by team (the team of the case's latest assignment at the event's time).
    #[arg(long)]
    pub by_team: bool,
    /// First day or period of the window (2020-01-01, 2020-W01, 2020-01, 2020-Q1, 2020).
    #[arg(long, value_parser = non_blank)]
    pub from: Option<String>,
    /// Last day or period of the window.
    #[arg(long, value_parser = non_blank)]
    pub to: Option<String>,
    /// JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LeadtimeArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Only this measure: toewijzing, onderzoek, besluit, doorlooptijd, wachttijd_zorg.
    #[arg(long, value_parser = non_blank)]
    pub measure: Option<String>,
}

/// Which gemeente, domein and team a query is about (all when absent).
#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// CBS code, e.g. GM0935.
    #[arg(long, value_parser = non_blank)]
    pub gemeente: Option<String>,
    /// wmo or jeugd.
    #[arg(long, value_parser = non_blank)]
    pub domein: Option<String>,
    /// Only this team.
    #[arg(long, value_parser = non_blank)]
    pub team: Option<String>,
}

#[derive(Debug, Args)]
pub struct WorkloadArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// First week (2020-W01, or a date in it). Default: the first week with data.
    #[arg(long, value_parser = non_blank)]
    pub from: Option<String>,
    /// Last week (2020-W26, or a date in it). Default: the last week with data.
    #[arg(long, value_parser = non_blank)]
    pub to: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PoArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Reference time (RFC 3339, or a date = the end of that day). Default: now.
    #[arg(long, value_parser = non_blank)]
    pub as_of: Option<String>,
    /// Only beschikkingen with this status.
    #[arg(long, value_parser = non_blank)]
    pub status: Option<String>,
    /// Rows in the table (JSON always lists all).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AlertArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// open (default), resolved or all.
    #[arg(long, value_parser = non_blank)]
    pub status: Option<String>,
    /// geen_po_gepland, po_zonder_vervolg, po_verlopen or po_te_ver_gepland.
    #[arg(long, value_parser = non_blank)]
    pub kind: Option<String>,
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i64).range(0..))]
    pub limit: i64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Reference time (RFC 3339, or a date). Default: now.
    #[arg(long, value_parser = non_blank)]
    pub as_of: Option<String>,
    /// Rows in the table (JSON always lists all).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DeadLetterArgs {
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i64).range(0..))]
    pub limit: i64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Seed: the same seed gives the same stream.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of gemeenten.
    #[arg(long, default_value_t = 3)]
    pub gemeenten: usize,
    /// First day.
    #[arg(long, default_value = "2020-01-01")]
    pub from: chrono::NaiveDate,
    /// Last day.
    #[arg(long, default_value = "2020-06-30")]
    pub to: chrono::NaiveDate,
    /// Volume: 1.0 = the mid-sized city of the spec's practice figures.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Share of bad lines (invalid JSON, schema violations, BSNs, conflicts).
    #[arg(long, default_value_t = 0.001)]
    pub bad_fraction: f64,
    /// Share of events sent twice.
    #[arg(long, default_value_t = 0.01)]
    pub duplicate_fraction: f64,
    /// Output file; `-` (default) writes to standard output.
    #[arg(long, short, default_value = "-")]
    pub out: PathBuf,
}

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
            if let Some(p) = e.downcast_ref::<ParamError>() {
                eprintln!("error: {p}");
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
        Command::Run(a) => crate::run::run(&g, &a, true).await,
        Command::Serve(a) => crate::run::run(&g, &a, false).await,
        Command::Ingest(a) => crate::ingest::ingest(&g, &a).await,
        Command::Query(q) => crate::query::query(&g, q).await,
        Command::Rebuild => crate::ingest::rebuild(&g).await,
        Command::Alert(a) => crate::run::alert_loop(&g, &a).await,
        Command::Simulate(a) => crate::simulate::simulate(&a),
        Command::Project(a) => crate::project::project(&g, &a).await,
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn an_empty_value_of_any_query_flag_is_refused_naming_the_flag() {
        let cli = Cli::command();
        let query = cli.find_subcommand("query").expect("query");
        let mut tried = 0;
        for sub in query.get_subcommands() {
            for arg in sub.get_arguments() {
                let Some(long) = arg.get_long() else { continue };
                if arg.is_global_set() || !arg.get_action().takes_values() {
                    continue;
                }
                let flag = format!("--{long}");
                for empty in ["", " "] {
                    let args = ["caseflow", "query", sub.get_name(), &flag, empty];
                    let e = Cli::try_parse_from(args).expect_err(&args.join(" "));
                    assert_eq!(e.exit_code(), 2, "{args:?}");
                    assert!(e.to_string().contains(&flag), "{args:?}: {e}");
                }
                tried += 1;
            }
        }
        assert!(tried >= 20, "{tried} flags tried");
        // A value is still accepted.
        assert!(Cli::try_parse_from(["caseflow", "query", "po", "--team", "IGT Oost"]).is_ok());
        for args in [
            ["caseflow", "query", "alerts", "--limit", "-1"],
            ["caseflow", "query", "dead-letters", "--limit", "-1"],
        ] {
            assert_eq!(
                Cli::try_parse_from(args).unwrap_err().exit_code(),
                2,
                "{args:?}"
            );
        }
    }

    #[test]
    fn the_api_limits_come_from_flags_with_the_api_defaults() {
        let Command::Serve(a) = Cli::try_parse_from(["caseflow", "serve"]).unwrap().command else {
            panic!("serve")
        };
        assert_eq!(a.limits(), Limits::default());
        let Command::Run(a) = Cli::try_parse_from([
            "caseflow",
            "run",
            "--max-body-bytes",
            "1000",
            "--request-timeout",
            "5",
            "--max-concurrent-requests",
            "3",
            "--max-rows",
            "7",
        ])
        .unwrap()
        .command
        else {
            panic!("run")
        };
        assert_eq!(
            a.limits(),
            Limits {
                max_body_bytes: 1000,
                request_timeout: std::time::Duration::from_secs(5),
                max_concurrent_requests: 3,
                max_rows: 7,
            }
        );
        for flag in [
            "--max-body-bytes",
            "--request-timeout",
            "--max-concurrent-requests",
            "--max-rows",
        ] {
            assert!(
                Cli::try_parse_from(["caseflow", "serve", flag, "0"]).is_err(),
                "{flag} 0"
            );
        }
    }
}
