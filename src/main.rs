//! The `kdbench` executable: the built-in registry and the command line.
fn main() -> std::process::ExitCode {
    kdbench::run_cli(kdbench::registry())
}
