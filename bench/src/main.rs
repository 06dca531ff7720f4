//! `caseflow-bench`: see docs/benchmarks.md (run it with `make bench`).

use std::path::PathBuf;
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // target/release/caseflow-bench → target/
    let target = std::env::current_exe().ok().and_then(|e| Some(e.parent()?.parent()?.to_path_buf())).unwrap_or_else(|| PathBuf::from("target"));
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    match caseflow_bench::main(target, &workspace).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("caseflow-bench: some stages failed (see above and the report's results.errors)");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("caseflow-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}
