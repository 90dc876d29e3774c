//! Checking `kdbench` command lines against the binary's own `--help`: the command exists,
//! every `--option` is one of its options, and `data` and `list` get valid positionals.
use std::collections::BTreeMap;
use std::process::Command;

/// `kdbench <command> --help`, asked once per command: the help text, or the error of a
/// command that does not exist.
#[derive(Default)]
pub struct Helps(BTreeMap<Vec<String>, Result<String, String>>);

impl Helps {
    fn get(&mut self, command: &[String]) -> &Result<String, String> {
        self.0.entry(command.to_vec()).or_insert_with(|| {
            let out = Command::new(env!("CARGO_BIN_EXE_kdbench"))
                .args(command)
                .arg("--help")
                .output()
                .expect("kdbench runs");
            if out.status.success() {
                Ok(String::from_utf8_lossy(&out.stdout).to_string())
            } else {
                Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
            }
        })
    }
}

/// True when `help` lists the option `name` itself, not only a longer one it begins
/// (`--seed` is not `--seeds`).
fn lists(help: &str, name: &str) -> bool {
    help.match_indices(name).any(|(i, _)| {
        !help[i + name.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '-')
    })
}

/// True when `help` shows the option `name` with a value (`--out <OUT>`).
fn takes_value(help: &str, name: &str) -> bool {
    help.contains(&format!("{name} <"))
}

/// What is wrong with `kdbench ARGS...`, if anything (`args` follow `kdbench`).
pub fn check_invocation(args: &[String], helps: &mut Helps) -> Vec<String> {
    // Commands with subcommands of their own: `env replay`, `bench train-step`, ...
    let depth = if matches!(args[0].as_str(), "env" | "bench") {
        2
    } else {
        1
    };
    let command = &args[..depth.min(args.len())];
    let help = match helps.get(command) {
        Ok(help) => help.clone(),
        Err(e) => return vec![format!("no such command: {e}")],
    };
    let mut problems = Vec::new();
    let mut positional = Vec::new();
    let mut value_next = false;
    for arg in &args[depth.min(args.len())..] {
        if value_next {
            value_next = false;
        } else if arg.starts_with("--") {
            let name = arg.split('=').next().unwrap_or(arg);
            if !lists(&help, name) {
                problems.push(format!(
                    "`{name}` is not an option of `kdbench {}`",
                    command.join(" ")
                ));
            }
            value_next = !arg.contains('=') && takes_value(&help, name);
        } else {
            positional.push(arg.as_str());
        }
    }
    let (actions, most): (&[&str], usize) = match args[0].as_str() {
        "data" => (&["list", "fetch", "verify", "path"], usize::MAX),
        "list" => (&["suites", "tasks", "methods"], 1),
        _ => return problems,
    };
    if positional.len() > most || positional.first().is_some_and(|a| !actions.contains(a)) {
        problems.push(format!(
            "`kdbench {}` takes one of {}{}",
            args[0],
            actions.join(", "),
            if most == usize::MAX {
                String::new()
            } else {
                format!(" and at most {most} argument(s) in all")
            }
        ));
    }
    problems
}
