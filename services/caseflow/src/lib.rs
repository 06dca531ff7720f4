//! The `caseflow` binary: one subcommand per role. `main.rs` only calls [`cli::main`].

pub mod cli;
mod ingest;
mod project;
mod query;
mod run;
mod shutdown;
mod simulate;
mod table;
