//! The formats a monitor report is asked for, by name (`--format`, `format=`) or
//! by the HTTP `Accept` header, and rendering one to bytes.

use std::path::Path;
use std::time::Duration;

use caseflow_core::monitor::MonitorReport;

use crate::ReportError;

/// A monitor report's output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    /// One row per cell, comma-separated, decimal point.
    Csv,
    /// The same for Dutch Excel: semicolons, decimal comma, UTF-8 BOM.
    CsvNl,
    Xlsx,
    Html,
    Pdf,
    /// The terminal table.
    Table,
}

impl Format {
    pub const ACCEPTED: &'static str = "json, csv, csv-nl, xlsx, html, pdf, table";

    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "json" => Self::Json,
            "csv" => Self::Csv,
            "csv-nl" => Self::CsvNl,
            "xlsx" => Self::Xlsx,
            "html" => Self::Html,
            "pdf" => Self::Pdf,
            "table" => Self::Table,
            _ => return None,
        })
    }

    /// The format an `Accept` header asks for first, among those served over HTTP.
    pub fn from_accept(accept: &str) -> Option<Format> {
        accept.split(',').find_map(|part| {
            let mime = part.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            Some(match mime.as_str() {
                "application/json" => Self::Json,
                "text/csv" => Self::Csv,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Self::Xlsx,
                "text/html" => Self::Html,
                "application/pdf" => Self::Pdf,
                "text/plain" => Self::Table,
                _ => return None,
            })
        })
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv | Self::CsvNl => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Html => "text/html; charset=utf-8",
            Self::Pdf => "application/pdf",
            Self::Table => "text/plain; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv | Self::CsvNl => "csv",
            Self::Xlsx => "xlsx",
            Self::Html => "html",
            Self::Pdf => "pdf",
            Self::Table => "txt",
        }
    }

    /// Whether the bytes are not text (not for a terminal).
    pub fn is_binary(self) -> bool {
        matches!(self, Self::Xlsx | Self::Pdf)
    }
}

/// Render `report` as `format`. The PDF needs Chromium at `chromium` and blocks
/// for up to `timeout`.
pub fn render(
    report: &MonitorReport,
    format: Format,
    chromium: Option<&Path>,
    timeout: Duration,
) -> Result<Vec<u8>, ReportError> {
    Ok(match format {
        Format::Json => {
            let mut v = serde_json::to_vec_pretty(report).expect("a report serializes");
            v.push(b'\n');
            v
        }
        Format::Csv => crate::csv(report, false).into_bytes(),
        Format::CsvNl => crate::csv(report, true).into_bytes(),
        Format::Xlsx => crate::xlsx(report)?,
        Format::Html => crate::html(report).into_bytes(),
        Format::Pdf => {
            let chromium = chromium
                .map(Path::to_path_buf)
                .or_else(crate::find_chromium)
                .ok_or_else(|| ReportError::ChromiumNotFound("PATH".into()))?;
            crate::pdf(&crate::html(report), &chromium, timeout)?
        }
        Format::Table => crate::table(report).into_bytes(),
    })
}

/// The file name a download gets: `monitor-wmo-2026-Q3.pdf`.
pub fn file_name(report: &MonitorReport, format: Format) -> String {
    format!("monitor-{}-{}.{}", report.report.domein, report.report.quarter, format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_accept_headers_map_to_formats() {
        for name in Format::ACCEPTED.split(", ") {
            assert!(Format::parse(name).is_some(), "{name}");
        }
        assert_eq!(Format::parse("docx"), None);
        assert_eq!(Format::from_accept("application/pdf"), Some(Format::Pdf));
        assert_eq!(Format::from_accept("text/html,application/xhtml+xml;q=0.9"), Some(Format::Html));
        assert_eq!(Format::from_accept("image/png, text/csv;q=0.5"), Some(Format::Csv));
        assert_eq!(Format::from_accept("*/*"), None);
    }
}
