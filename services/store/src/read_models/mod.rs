//! The read models, one module each: its tables' writes (its part of a
//! projection batch, handed the facts before and after by the engine), its part
//! of the facts stored per key, and its queries (`impl Store`).
//!
//! | module         | tables                      | queries                                   |
//! |----------------|-----------------------------|-------------------------------------------|
//! | [`throughput`] | `agg_daily`                 | `daily_counts`, `throughput`              |
//! | [`leadtime`]   | `leadtime_samples`          | `leadtime`, `leadtime_samples`            |
//! | [`open_cases`] | `open_cases`                | `open_cases`                              |
//! | [`workload`]   | `formatie` (+ `agg_daily`)  | `workload`, `formatie`                    |
//! | [`po`]         | `po_monitor`                | `po`, `po_filtered`, `po_timelines`       |
//! | [`monitor`]    | `monitor_facts` (+ others)  | `monitor`, `monitor_facts`, `monitor_scope`, `monitor_from_log` |
//! | [`terms`]      | `case_terms`                | `terms`, `case_terms`                     |
//!
//! [`keyed`] is the shared shape of the tables of one JSON body per key.

pub(crate) mod keyed;
pub(crate) mod leadtime;
pub(crate) mod monitor;
pub(crate) mod open_cases;
pub(crate) mod po;
pub(crate) mod terms;
pub(crate) mod throughput;
pub(crate) mod workload;

use caseflow_core::fact::ProjectionKey;

use crate::StoreError;

/// Every read-model table, emptied by a rebuild.
pub(crate) const TABLES: [&str; 7] = ["agg_daily", "leadtime_samples", "open_cases", "po_monitor", "monitor_facts", "formatie", "case_terms"];

/// A stored projection key.
pub(crate) fn decode_key(k: &str) -> Result<ProjectionKey, StoreError> {
    ProjectionKey::decode(k).ok_or_else(|| StoreError::Corrupt(format!("read-model key `{k}`")))
}
