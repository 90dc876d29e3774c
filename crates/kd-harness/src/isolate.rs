//! Runs each cell in a child process of the same executable.
//!
//! libtorch's random generator and thread pool are process-wide, so two runs sharing a process
//! would draw from one generator in an order set by the scheduler: parallel jobs would not be
//! reproducible. A child per run also contains crashes (a segfault or an out-of-memory kill
//! becomes a `failed` run with the reason, not the end of the suite) and exits when the parent
//! dies. The parent writes the results store; children only compute.
use crate::registry::Registry;
use crate::runner::run_guarded;
use crate::task::{MethodDef, RunContext, RunOutcome};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use toml::Table;

/// The subcommand the child is started with (not shown in `--help`).
pub const CHILD_COMMAND: &str = "internal-run-cell";

/// The OpenMP variable children get `PASSIVE` for, unless it is set (see [`run_in_child`]).
pub const OMP_WAIT_POLICY: &str = "OMP_WAIT_POLICY";

/// Prefix of the progress lines the child writes on stderr.
const PROGRESS: &str = "@progress ";

/// Everything a child needs to run one cell.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellRequest {
    /// The task's name.
    pub task: String,
    /// The resolved config.
    pub config: Table,
    /// The resolved method.
    pub method: MethodDef,
    /// The run seed.
    pub seed: u64,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// Intra-op threads.
    pub threads: usize,
    /// Data folder.
    pub data_dir: PathBuf,
    /// Shared cache folder.
    pub cache_dir: PathBuf,
    /// The run's artefact folder.
    pub artifact_dir: PathBuf,
}

/// Runs `request` in a child `exe internal-run-cell`, forwarding its progress lines to
/// `progress`. A child that dies or prints no outcome is an error carrying its stderr tail.
pub fn run_in_child(
    exe: &Path,
    request: &CellRequest,
    progress: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<RunOutcome> {
    let mut command = Command::new(exe);
    if std::env::var_os(OMP_WAIT_POLICY).is_none() {
        // libtorch's OpenMP threads spin between parallel regions by default; on cores that
        // other processes share, a run with 2 threads then took 10x longer than with 1
        // (266 s vs 26 s), and 19 s with passive waiting. Users may set their own policy.
        command.env(OMP_WAIT_POLICY, "PASSIVE");
    }
    let mut child = command
        .arg(CHILD_COMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("starting {}: {e}", exe.display()))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(&serde_json::to_vec(request)?)?;
    drop(stdin);
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let mut tail: Vec<String> = Vec::new();
    for line in BufReader::new(child.stderr.take().expect("piped stderr")).lines() {
        let line = line?;
        match line.strip_prefix(PROGRESS) {
            Some(message) => progress(message),
            None => {
                tail.push(line);
                if tail.len() > 20 {
                    tail.remove(0);
                }
            }
        }
    }
    let status = child.wait()?;
    let text = reader
        .join()
        .map_err(|_| anyhow::anyhow!("reading the run's output"))??;
    match serde_json::from_str::<RunOutcome>(text.trim()) {
        Ok(outcome) if status.success() => Ok(outcome),
        _ => {
            let how = match status.code() {
                Some(code) => format!("exited with status {code}"),
                None => format!("was killed ({status})"),
            };
            Err(anyhow::anyhow!(
                "the run's process {how}{}",
                if tail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", tail.join(" | "))
                }
            ))
        }
    }
}

/// The child side: reads a [`CellRequest`] from stdin, runs it, prints the outcome as JSON on
/// stdout. Progress goes to stderr; the child exits as soon as it notices its parent is gone.
pub fn serve_child(registry: &Registry) -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let request: CellRequest = serde_json::from_str(&input)?;
    let task = registry
        .task(&request.task)
        .ok_or_else(|| anyhow::anyhow!("unknown task '{}'", request.task))?;
    let parent = std::os::unix::process::parent_id();
    let progress = move |message: &str| {
        if std::os::unix::process::parent_id() != parent {
            // Orphaned (the suite was killed): nobody will record this run.
            std::process::exit(3);
        }
        eprintln!("{PROGRESS}{}", message.replace('\n', " "));
    };
    let ctx = RunContext {
        seed: request.seed,
        device: request.device.clone(),
        threads: request.threads,
        data_dir: request.data_dir.clone(),
        cache_dir: request.cache_dir.clone(),
        artifact_dir: request.artifact_dir.clone(),
        progress: &progress,
    };
    let outcome = run_guarded(task.as_ref(), &request.config, &request.method, &ctx);
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &outcome)?;
    stdout.write_all(b"\n")?;
    Ok(())
}
