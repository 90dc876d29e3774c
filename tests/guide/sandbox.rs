//! Where a chapter's snippets run: a temporary folder with `kdbench` on `PATH`, an empty data
//! folder, and commands pinned to one CPU; and reading what a run recorded.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest any one command of a snippet may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// What happened when a command ran.
pub struct Ran {
    /// The exit status (`None`: killed by a signal or after [`COMMAND_TIMEOUT`]).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Ran {
    /// The status and the ends of both outputs, for a failure message.
    pub fn describe(&self) -> String {
        format!(
            "exit status {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            tail(&self.stdout),
            tail(&self.stderr)
        )
    }
}

/// The last lines of a long output.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// A chapter's temporary folder: `work/` (the current folder of its snippets), `bin/` (with
/// `kdbench`), `data/` (the empty data folder) and `gen/` (files the test generates).
pub struct Sandbox {
    _root: tempfile::TempDir,
    work: PathBuf,
    bin: PathBuf,
    data: PathBuf,
    /// Files the test generates for itself (suites, results folders, captured output).
    pub gen: PathBuf,
    /// The CPU the chapter's commands are pinned to (with `taskset`), if any.
    cpu: Option<usize>,
}

/// The CPUs this process may run on (`Cpus_allowed_list` of `/proc/self/status`), when
/// `taskset` is there to pin commands to one of them.
pub fn pinnable_cpus() -> Vec<usize> {
    let has_taskset = Command::new("taskset")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let Some(list) = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .filter(|_| has_taskset)
    else {
        return vec![];
    };
    let mut cpus = Vec::new();
    for range in list.trim().split(',') {
        let bounds: Vec<usize> = range.split('-').filter_map(|n| n.parse().ok()).collect();
        match bounds[..] {
            [one] => cpus.push(one),
            [first, last] => cpus.extend(first..=last),
            _ => return vec![],
        }
    }
    cpus
}

impl Sandbox {
    /// A fresh sandbox whose commands run on `cpu` (see [`pinnable_cpus`]).
    pub fn new(cpu: Option<usize>) -> Sandbox {
        let root = tempfile::tempdir().unwrap();
        let [work, bin, data, gen] = ["work", "bin", "data", "gen"].map(|d| root.path().join(d));
        for dir in [&work, &bin, &data, &gen] {
            fs::create_dir_all(dir).unwrap();
        }
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kdbench"), bin.join("kdbench")).unwrap();
        Sandbox {
            _root: root,
            work,
            bin,
            data,
            gen,
            cpu,
        }
    }

    /// `program args...` in `work/`, with the sandbox's environment plus `env`.
    pub fn run(&self, program: &str, args: &[&str], env: &[(&str, &Path)]) -> Ran {
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let (out, err) = (self.gen.join("stdout"), self.gen.join("stderr"));
        let mut command = match self.cpu {
            Some(cpu) => {
                let mut pinned = Command::new("taskset");
                pinned.args(["-c", &cpu.to_string(), program]);
                pinned
            }
            None => Command::new(program),
        };
        command
            .args(args)
            .current_dir(&self.work)
            .env("PATH", path)
            .env("KDBENCH_DATA", &self.data)
            .env("LC_ALL", "C")
            .env_remove("KDBENCH_METHODS")
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out).unwrap())
            .stderr(fs::File::create(&err).unwrap());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap_or_else(|e| panic!("{program}: {e}"));
        let started = Instant::now();
        let code = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status.code();
            }
            if started.elapsed() > COMMAND_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Ran {
            code,
            stdout: fs::read_to_string(out).unwrap_or_default(),
            stderr: fs::read_to_string(err).unwrap_or_default(),
        }
    }

    /// Writes `text` to `relative` below `work/`, creating folders.
    pub fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.work.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }
}

/// Statuses of the runs recorded in a results folder's `runs.csv`, by method.
pub fn run_statuses(out: &Path) -> Result<Vec<(String, String)>, String> {
    let path = out.join("runs.csv");
    let mut reader =
        csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut statuses = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        statuses.push((record[3].to_string(), record[5].to_string()));
    }
    Ok(statuses)
}
