//! The Python reference side: finding the benchmark Python and running a script of
//! `benches/reference/` (embedded in the binary) with a JSON configuration.
use anyhow::Context;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

const COMMON: &str = include_str!("../../benches/reference/common.py");

/// The reference scripts, by name.
pub const SCRIPTS: &[(&str, &str)] = &[
    (
        "train_step",
        include_str!("../../benches/reference/train_step.py"),
    ),
    (
        "env_step",
        include_str!("../../benches/reference/env_step.py"),
    ),
    ("data", include_str!("../../benches/reference/data.py")),
    ("stats", include_str!("../../benches/reference/stats.py")),
];

/// Where the reference side's Python comes from.
#[derive(Debug, Clone)]
pub enum Python {
    /// Run the references with this interpreter.
    At(PathBuf),
    /// Don't run them; the reason is reported in place of the ratio.
    Skip(String),
}

impl Python {
    /// `KDBENCH_BENCH_PYTHON` if set, else the venv `scripts/bench-python.sh` makes
    /// (`$KDBENCH_CACHE`, `$XDG_CACHE_HOME/kdbench` or `~/.cache/kdbench`, then `bench-venv`).
    pub fn locate() -> Python {
        if let Some(p) = std::env::var_os("KDBENCH_BENCH_PYTHON") {
            let p = PathBuf::from(p);
            return if p.is_file() {
                Python::At(p)
            } else {
                Python::Skip(format!(
                    "KDBENCH_BENCH_PYTHON={} does not exist",
                    p.display()
                ))
            };
        }
        let cache = std::env::var_os("KDBENCH_CACHE")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("kdbench"))
            })
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kdbench")))
            .unwrap_or_else(|| PathBuf::from(".cache/kdbench"));
        let venv = cache.join("bench-venv");
        let python = venv.join("bin/python");
        if venv.join(".complete").is_file() && python.is_file() {
            Python::At(python)
        } else {
            Python::Skip(format!(
                "no benchmark Python at {} (run scripts/bench-python.sh to install torch 2.13.0, \
                 Gymnasium 1.4.0, NumPy and rliable there, or set KDBENCH_BENCH_PYTHON)",
                venv.display()
            ))
        }
    }

    /// Starts reference `script` with `config` and `threads` OpenMP/MKL threads; it imports
    /// and warms up while the caller warms up its own side ([`Started::ready`] waits for it).
    pub fn start(&self, script: &str, config: &Value, threads: usize) -> anyhow::Result<Started> {
        let python = match self {
            Python::At(p) => p,
            Python::Skip(why) => return Ok(Started::Unavailable(why.clone())),
        };
        let body = SCRIPTS
            .iter()
            .find(|(name, _)| *name == script)
            .map(|(_, body)| *body)
            .with_context(|| format!("no reference script {script}"))?;
        let threads = threads.max(1).to_string();
        let mut child = Command::new(python)
            .arg("-c")
            .arg(format!("{COMMON}\n{body}"))
            .arg(config.to_string())
            .env("OMP_NUM_THREADS", &threads)
            .env("MKL_NUM_THREADS", &threads)
            .env("PYTHONWARNINGS", "ignore")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", python.display()))?;
        let mut stderr = child.stderr.take().expect("piped stderr");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Ok(Started::Running(Box::new(RefProcess {
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().expect("piped stdout")),
            stderr: Some(stderr),
            child,
            script: script.to_string(),
            python: python.clone(),
        })))
    }
}

/// A reference side that was started, or why it was not.
pub enum Started {
    /// The script is running.
    Running(Box<RefProcess>),
    /// Not run: why.
    Unavailable(String),
}

/// A running reference script (see `benches/reference/common.py` for its protocol).
pub struct RefProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: Option<std::thread::JoinHandle<String>>,
    script: String,
    python: PathBuf,
}

impl RefProcess {
    /// Waits until the script has warmed up; returns what it runs (with versions).
    pub fn ready(&mut self) -> anyhow::Result<String> {
        let v = self.read()?;
        Ok(v["reference"].as_str().unwrap_or("reference").to_string())
    }

    /// Has the script time one round; returns its seconds.
    pub fn round(&mut self) -> anyhow::Result<f64> {
        let stdin = self.stdin.as_mut().expect("stdin open until finish");
        if writeln!(stdin, "round")
            .and_then(|_| stdin.flush())
            .is_err()
        {
            return Err(self.failure("stopped accepting rounds"));
        }
        let v = self.read()?;
        v["seconds"]
            .as_f64()
            .with_context(|| format!("reference script {}.py: no seconds in {v}", self.script))
    }

    /// Ends the script.
    pub fn finish(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }

    fn read(&mut self) -> anyhow::Result<Value> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line).unwrap_or(0) == 0 {
            return Err(self.failure("ended without a result"));
        }
        serde_json::from_str(line.trim())
            .with_context(|| format!("reference script {}.py printed {line:?}", self.script))
    }

    /// The error for a script that died: its exit status and the tail of its stderr.
    fn failure(&mut self, what: &str) -> anyhow::Error {
        drop(self.stdin.take());
        let status = self.child.wait().map(|s| s.to_string()).unwrap_or_default();
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let tail: Vec<&str> = stderr.lines().collect();
        let tail = tail[tail.len().saturating_sub(8)..].join("\n");
        anyhow::anyhow!(
            "reference script benches/reference/{}.py {what} ({status}) under {}:\n{tail}",
            self.script,
            self.python.display()
        )
    }
}
