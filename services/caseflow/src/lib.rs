//! The `caseflow` binary: one subcommand per role. `main.rs` only calls [`cli::main`].

mod args;
mod auth;
pub mod cli;
mod flags;
mod ingest;
mod project;
mod query;
mod report;
mod run;
mod shutdown;
mod simulate;
mod store;
mod table;
mod token;
