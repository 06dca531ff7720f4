fn main() -> std::process::ExitCode {
    caseflow::cli::main()
}
