//! The council monitor (spec §3.5) in the forms its readers use: a Dutch,
//! print-ready A4 HTML page for council members (and its PDF through headless
//! Chromium), CSV and XLSX for analysts and Excel, and a terminal table.
//!
//! Every format built for the council shows only what disclosure control lets
//! it see (`Cell::shown`); only the CSV and the XLSX "Cellen" sheet, meant for
//! the municipality's own analysts, carry the true `value` as well.

mod format;
mod html;
pub mod labels;
mod pdf;
mod tabular;
mod view;

use std::time::Duration;

pub use format::{file_name, render, Format};
pub use html::html;
pub use pdf::{find_chromium, pdf};
pub use tabular::{csv, table, xlsx, COLUMNS};

/// What can go wrong making a report file.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "Chromium not found at {0}: install Debian's `chromium` package (apt-get install chromium) \
         or pass --chromium PATH (or set CASEFLOW_CHROMIUM)"
    )]
    ChromiumNotFound(String),
    #[error("Chromium exited with {status}: {stderr}")]
    ChromiumFailed { status: String, stderr: String },
    #[error("Chromium did not finish within {after:?} and was stopped: {stderr}")]
    ChromiumTimeout { after: Duration, stderr: String },
    #[error("Chromium wrote no PDF: {stderr}")]
    NoPdf { stderr: String },
    #[error("{0}: {1}")]
    Io(&'static str, #[source] std::io::Error),
    #[error("writing the XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}
