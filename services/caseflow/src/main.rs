// mimalloc: the projection allocates and frees many small objects (events,
// facts, statement arguments) across threads; glibc malloc spent ~20 % of the
// ingest profile there (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    caseflow::cli::main()
}
