//! `caseflow simulate`: a deterministic, realistic NDJSON stream.

use std::io::{BufWriter, Write};

use anyhow::Context;
use caseflow_sim::{SimConfig, Simulator};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::SimulateArgs;

pub fn simulate(a: &SimulateArgs) -> anyhow::Result<()> {
    if a.from > a.to {
        anyhow::bail!("--from {} lies after --to {}", a.from, a.to);
    }
    if !(a.scale > 0.0) {
        anyhow::bail!("--scale must be above 0 (1.0 = the mid-sized city of the spec)");
    }
    let cfg = SimConfig {
        seed: a.seed,
        gemeenten: a.gemeenten,
        from: a.from,
        to: a.to,
        scale: a.scale,
        bad_fraction: a.bad_fraction,
        duplicate_fraction: a.duplicate_fraction,
    };
    let sim = Simulator::new(cfg);
    let to_stdout = a.out.as_os_str() == "-";
    let out: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Box::new(
            std::fs::File::create(&a.out)
                .with_context(|| format!("cannot create {}", a.out.display()))?,
        )
    };
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let pb =
        ProgressBar::with_draw_target(Some(sim.estimated_events()), ProgressDrawTarget::stderr())
            .with_style(
                ProgressStyle::with_template(
                    "simulate   [{bar:40}] {pos}/~{len} lines {per_sec} eta {eta}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
    let mut n = 0u64;
    for line in sim {
        out.write_all(line.to_ndjson().as_bytes())?;
        out.write_all(b"\n")?;
        n += 1;
        if n % 4096 == 0 {
            pb.set_position(n);
        }
    }
    out.flush()?;
    pb.finish_and_clear();
    if !to_stdout {
        eprintln!("wrote {n} lines to {}", a.out.display());
    }
    Ok(())
}
