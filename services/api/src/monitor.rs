//! `GET /api/v1/monitor`: the quarterly council monitor (spec §3.5) as JSON, CSV,
//! XLSX, HTML or PDF — by `format=` or the `Accept` header.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use caseflow_core::event::Domein;
use caseflow_core::monitor::{MonitorParams, ReportPeriod};
use chrono::{Datelike, NaiveDate};
use caseflow_core::params::ParamError;
use caseflow_report::Format;

use caseflow_core::access::Role;

use crate::auth::Access;
use crate::limits::Permit;
use crate::query::Params;
use crate::{ApiError, AppState};

/// The parameters `/api/v1/monitor` accepts.
pub const ACCEPTED: &[&str] =
    &["gemeente", "domein", "quarter", "half", "trend", "baseline", "threshold", "national", "format"];

/// How long Chromium may take to print the PDF (within the request timeout).
const PDF_TIMEOUT: Duration = Duration::from_secs(25);

/// PDFs printed at once by this process.
static PDF_PRINTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/monitor", get(monitor))
}

/// `GET /monitor[?domein=jeugd]`: the dashboard's link, redirected to the HTML
/// report of the last complete quarter for every gemeente with data, side by side.
pub fn latest_router() -> Router<AppState> {
    Router::new().route("/monitor", get(latest))
}

async fn latest(State(s): State<AppState>, access: Access, uri: Uri) -> Result<Response, ApiError> {
    let p = Params::parse_gemeente_list(&uri, &["domein"], &access)?;
    let domein = match p.get("domein") {
        None => Domein::Wmo,
        Some(d) => Domein::parse(d).ok_or_else(|| ParamError { parameter: "domein", message: "accepted: wmo, jeugd".into() })?,
    };
    let (gemeenten, last_day) = s.store.monitor_scope(domein).await?;
    let Some(last_day) = last_day else {
        return Err(ApiError::BadRequest(format!("no {domein} events yet: ingest events first, then open the monitor")));
    };
    let gemeenten: Vec<String> = gemeenten
        .into_iter()
        .filter(|g| access.scope().gemeenten.allows(g))
        .take(caseflow_core::monitor::MAX_GEMEENTEN)
        .collect();
    if gemeenten.is_empty() {
        return Err(ApiError::BadRequest(format!("no {domein} events of your gemeenten yet: ingest events first, then open the monitor")));
    }
    let quarter = last_complete_quarter(chrono::Utc::now().date_naive(), last_day);
    let target = format!(
        "/api/v1/monitor?gemeente={}&domein={domein}&quarter={}&format=html",
        gemeenten.join(","),
        quarter.label()
    );
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response())
}

/// The last quarter that ended before `today`, or the quarter of the last data
/// day when the data stop earlier.
fn last_complete_quarter(today: NaiveDate, last_day: NaiveDate) -> ReportPeriod {
    let of = |d: NaiveDate| ReportPeriod::quarter(d.year(), d.month0() / 3 + 1).expect("a valid quarter");
    let previous = of(today).previous();
    if previous.start > last_day {
        of(last_day)
    } else {
        previous
    }
}

async fn monitor(
    State(s): State<AppState>,
    Extension(_permit): Extension<Permit>,
    access: Access,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let p = Params::parse_gemeente_list(&uri, ACCEPTED, &access)?;
    let params = MonitorParams {
        gemeente: p.get("gemeente").map(str::to_string),
        domein: p.get("domein").map(str::to_string),
        quarter: p.get("quarter").map(str::to_string),
        half: p.get("half").map(str::to_string),
        trend: p.get("trend").map(str::to_string),
        baseline: p.get("baseline").map(str::to_string),
        threshold: p.get("threshold").map(str::to_string),
        national: p.get("national").map(str::to_string),
    };
    let req = params.parse()?;
    let format = match p.get("format") {
        Some(f) => Format::parse(f).filter(|f| *f != Format::Table).ok_or_else(|| ParamError {
            parameter: "format",
            message: "not accepted; accepted: json, csv, csv-nl, xlsx, html, pdf".into(),
        })?,
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .and_then(Format::from_accept)
            .filter(|f| *f != Format::Table)
            .unwrap_or(Format::Json),
    };
    let mut report = s.store.monitor(&req, chrono::Utc::now()).await?;
    // The council sees the shown values only, never a true value.
    if !access.identity().has(Role::Reader) {
        for cell in &mut report.cells {
            cell.value = None;
        }
    }
    let name = caseflow_report::file_name(&report, format);
    // A browser per PDF is heavy (hundreds of MB): at most two print at once,
    // the others wait their turn within the request timeout.
    let _printing = match format {
        Format::Pdf => Some(PDF_PRINTS.acquire().await.map_err(|_| ApiError::Cancelled)?),
        _ => None,
    };
    let rendered = tokio::task::spawn_blocking(move || caseflow_report::render(&report, format, None, PDF_TIMEOUT))
        .await
        .map_err(|e| ApiError::BadRequest(format!("the report could not be made: {e}")))?;
    let bytes = match rendered {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "monitor report rendering failed");
            let status = match e {
                caseflow_report::ReportError::ChromiumNotFound(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            return Ok((status, axum::Json(serde_json::json!({"error": format!("the {} could not be made: {e}", format.extension())}))).into_response());
        }
    };
    let disposition = match format {
        Format::Html | Format::Pdf | Format::Json => format!("inline; filename=\"{name}\""),
        _ => format!("attachment; filename=\"{name}\""),
    };
    Ok((
        [(header::CONTENT_TYPE, format.content_type().to_string()), (header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_complete_quarter_is_before_today_within_the_data() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(last_complete_quarter(d("2026-12-07"), d("2026-12-06")).label(), "2026-Q3");
        assert_eq!(last_complete_quarter(d("2026-10-01"), d("2026-09-30")).label(), "2026-Q3");
        assert_eq!(last_complete_quarter(d("2026-12-07"), d("2026-05-02")).label(), "2026-Q2");
        assert_eq!(last_complete_quarter(d("2027-01-15"), d("2027-01-14")).label(), "2026-Q4");
    }
}
