//! The `kdbench` executable: the built-in registry and the command line.
fn main() {
    std::process::exit(kdbench::run_cli(kdbench::registry()));
}
