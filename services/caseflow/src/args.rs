//! The command line: subcommands and flags with environment fallbacks.

use std::collections::BTreeSet;
use std::path::PathBuf;

use caseflow_api::Limits;
use caseflow_core::access::Role;
use chrono::{DateTime, Utc};
use caseflow_kafka::{DEFAULT_ALERTS_TOPIC, DEFAULT_DLQ_TOPIC, DEFAULT_GROUP, DEFAULT_TOPIC};
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
    /// Reports: the quarterly council monitor (spec §3.5).
    #[command(subcommand)]
    Report(ReportCommand),
    /// Throw the read models away and recompute them from the event log.
    Rebuild,
    /// Keep the overdue-PO alerts current as time passes (periodic evaluation).
    Alert(AlertLoopArgs),
    /// Generate a realistic, deterministic NDJSON event stream.
    Simulate(SimulateArgs),
    /// Production projector: consume the Kafka event topic into the database.
    Project(ProjectArgs),
    /// API tokens: create (the token is shown once), list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
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
    /// Days the access trace keeps a request (`caseflow query access-log`); older ones are deleted.
    #[arg(long, env = "CASEFLOW_ACCESS_LOG_RETENTION_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub access_log_retention_days: u64,
    #[command(flatten)]
    pub auth: crate::auth::AuthArgs,
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
pub enum ReportCommand {
    /// The quarterly council monitor: per gemeente side by side, with trend,
    /// baseline and disclosure control (spec §3.5).
    Monitor(MonitorArgs),
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// One CBS code, or several side by side: GM0344,GM0363.
    #[arg(long)]
    pub gemeente: String,
    /// wmo or jeugd.
    #[arg(long)]
    pub domein: String,
    /// The report quarter, e.g. 2026-Q3.
    #[arg(long, conflicts_with = "half", required_unless_present = "half")]
    pub quarter: Option<String>,
    /// A half year instead, e.g. 2026-H1 (the national monitor's cadence).
    #[arg(long)]
    pub half: Option<String>,
    /// Periods in the trend, ending at the report period (default 4).
    #[arg(long)]
    pub trend: Option<String>,
    /// The baseline period (nulmeting), e.g. 2025-Q4: "was / nu / verschil".
    #[arg(long)]
    pub baseline: Option<String>,
    /// Disclosure threshold for every gemeente in the report (default: each
    /// gemeente's `monitor_drempel` in the config file, else 5).
    #[arg(long)]
    pub threshold: Option<String>,
    /// The national variant: threshold 10 and shown counts rounded to multiples of 5.
    #[arg(long)]
    pub national: bool,
    /// Output format: json, csv, csv-nl (Dutch Excel), xlsx, html, pdf, table.
    /// Default: a table on a terminal.
    #[arg(long)]
    pub format: Option<String>,
    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Write to this file instead of standard output (required for xlsx and pdf on a terminal).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The Chromium that prints the PDF (default: chromium on PATH).
    #[arg(long, env = "CASEFLOW_CHROMIUM")]
    pub chromium: Option<PathBuf>,
    /// Compute from a scan of the whole event log instead of the read model (slow;
    /// to check the read model, and the benchmark's baseline).
    #[arg(long)]
    pub from_log: bool,
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
    /// Legal terms (spec §3.6): every open onderzoek and besluit term at a reference
    /// time, most urgent first.
    Terms(TermsArgs),
    /// Overdue-PO alerts.
    Alerts(AlertArgs),
    /// The live open-case list: age, next legal deadline, days left.
    Open(OpenArgs),
    /// Rejected input with its reason and position.
    DeadLetters(DeadLetterArgs),
    /// The access trace: who asked the API what, newest first.
    AccessLog(AccessLogArgs),
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
pub struct TermsArgs {
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Reference time (RFC 3339, or a date = the end of that day). Default: now.
    #[arg(long, value_parser = non_blank)]
    pub as_of: Option<String>,
    /// Only terms with this status: termijn_verstreken, termijn_nadert or binnen_termijn.
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
pub struct AccessLogArgs {
    /// From this time on: RFC 3339, or a date (from the start of that day, Dutch time).
    #[arg(long, value_parser = crate::flags::parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// Before this time: RFC 3339, or a date (up to and including that day).
    #[arg(long, value_parser = crate::flags::parse_until)]
    pub until: Option<DateTime<Utc>>,
    /// Only this subject: `token:<name>`, a JWT subject, or `local`.
    #[arg(long, value_parser = non_blank)]
    pub subject: Option<String>,
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i64).range(0..))]
    pub limit: i64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token. It is printed once and cannot be shown again (only its hash is kept).
    Create(TokenCreateArgs),
    /// List the tokens (never the tokens themselves).
    List(TokenListArgs),
    /// Revoke a token by id or name; requests with it are refused from then on.
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// Roles, comma-separated: producer, reader, council, admin.
    #[arg(long = "role", value_name = "ROLES", value_parser = crate::flags::parse_roles)]
    pub roles: BTreeSet<Role>,
    /// Gemeenten the token may see or write, comma-separated CBS codes (GM0344,GM0363), or `*` for every gemeente.
    #[arg(long = "gemeente", value_name = "GEMEENTEN", value_parser = crate::flags::parse_gemeenten)]
    pub gemeenten: String,
    /// Limit the token to these teams, comma-separated (default: every team).
    #[arg(long = "team", value_name = "TEAMS", value_parser = crate::flags::parse_teams)]
    pub teams: Option<String>,
    /// When the token expires: a duration from now (90d, 12h) or a date (2027-03-01: at the start of that day, Dutch time). Default: never.
    #[arg(long, value_parser = crate::flags::parse_expires)]
    pub expires: Option<DateTime<Utc>>,
    /// A name for the token (1–64 characters of A-Z a-z 0-9 . _ -). Default: token-<id>.
    #[arg(long, value_parser = crate::flags::parse_name)]
    pub name: Option<String>,
    /// Print the token and its details as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenListArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token's id or name (see `caseflow token list`).
    #[arg(value_name = "ID|NAME", value_parser = non_blank)]
    pub token: String,
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

#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// Kafka bootstrap servers (host:port,host:port).
    #[arg(long, env = "CASEFLOW_BROKERS")]
    pub brokers: String,
    /// The event topic (key = case_id; formatie events key = gemeente/team).
    #[arg(long, env = "CASEFLOW_TOPIC", default_value = DEFAULT_TOPIC)]
    pub topic: String,
    /// Consumer group.
    #[arg(long, env = "CASEFLOW_GROUP", default_value = DEFAULT_GROUP)]
    pub group: String,
    /// Dead-letter topic: rejected messages with reason and source position in headers.
    #[arg(long, env = "CASEFLOW_DLQ_TOPIC", default_value = DEFAULT_DLQ_TOPIC)]
    pub dlq_topic: String,
    /// Alerts topic: every alert raise and resolve (JSON, key beschikking_id), exactly
    /// once per transition, relayed from the outbox. One projector relays at a time.
    #[arg(long, env = "CASEFLOW_ALERTS_TOPIC", default_value = DEFAULT_ALERTS_TOPIC)]
    pub alerts_topic: String,
    /// How often the alerts relay looks for new transitions, in milliseconds.
    #[arg(long, env = "CASEFLOW_ALERTS_POLL_MS", default_value_t = 500)]
    pub alerts_poll_ms: u64,
    /// Static group membership (group.instance.id), e.g. the pod name: a restarted
    /// projector gets its partitions back at once.
    #[arg(long, env = "CASEFLOW_INSTANCE_ID")]
    pub instance_id: Option<String>,
    /// Kafka session timeout in milliseconds: how soon a crashed member's partitions move.
    #[arg(long, env = "CASEFLOW_SESSION_TIMEOUT_MS", default_value_t = 6000)]
    pub session_timeout_ms: u64,
    /// Longest wait to fill a batch, in milliseconds (--batch-size caps its size).
    /// A batch is applied as soon as no further message arrives within 5 ms,
    /// so a trickle is applied at once and a backlog in full batches.
    #[arg(long, env = "CASEFLOW_BATCH_WAIT_MS", default_value_t = 100)]
    pub batch_wait_ms: u64,
    /// Extra librdkafka property KEY=VALUE (repeatable), e.g. security.protocol=SSL.
    #[arg(long = "kafka-property", short = 'X', env = "CASEFLOW_KAFKA_PROPERTIES", value_delimiter = ',', value_parser = parse_property)]
    pub properties: Vec<(String, String)>,
    /// Accept holes in a partition's offsets that a re-read confirms (compacted
    /// topics, transactional producers). Default: re-read until the messages arrive.
    #[arg(long, env = "CASEFLOW_ACCEPT_OFFSET_GAPS")]
    pub accept_offset_gaps: bool,
    /// PostgreSQL: wait at every batch's commit until it is flushed to disk.
    /// Default: commit without waiting (synchronous_commit = off), which keeps
    /// exactly-once effect, because the offsets are committed with the data: a
    /// database crash loses at most the last batches (a fraction of a second)
    /// together with their offsets, and they are read from Kafka again.
    #[arg(long, env = "CASEFLOW_SYNCHRONOUS_COMMIT")]
    pub synchronous_commit: bool,
    /// Address for /health/live, /health/ready and /metrics.
    #[arg(long, env = "CASEFLOW_LISTEN", default_value = "127.0.0.1:9090")]
    pub listen: String,
}

fn parse_property(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .ok_or_else(|| format!("`{s}`: expected KEY=VALUE"))
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
