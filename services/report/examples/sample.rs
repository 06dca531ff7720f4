//! Render the tests' sample report in every format into a directory, to look at:
//! `cargo run -p caseflow-report --example sample -- /tmp/rapport`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "rapport".to_string()),
    );
    std::fs::create_dir_all(&dir)?;
    let report = common::sample();
    let page = caseflow_report::html(&report);
    std::fs::write(dir.join("rapport.html"), &page)?;
    std::fs::write(dir.join("cellen.csv"), caseflow_report::csv(&report, false))?;
    std::fs::write(
        dir.join("cellen-nl.csv"),
        caseflow_report::csv(&report, true),
    )?;
    std::fs::write(dir.join("rapport.xlsx"), caseflow_report::xlsx(&report)?)?;
    std::fs::write(dir.join("tabel.txt"), caseflow_report::table(&report))?;
    match caseflow_report::find_chromium() {
        Some(chromium) => std::fs::write(
            dir.join("rapport.pdf"),
            caseflow_report::pdf(&page, &chromium, Duration::from_secs(60))?,
        )?,
        None => eprintln!("no Chromium found: rapport.pdf skipped"),
    }
    println!("written to {}", dir.display());
    Ok(())
}
