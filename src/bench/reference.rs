//! The Python reference side: finding the benchmark Python and running a script of
//! `benches/reference/` (embedded in the binary) with a JSON configuration.
use super::Reference;
use anyhow::{bail, Context};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};

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

    /// Runs reference `script` with `config` and `threads` OpenMP/MKL threads; returns what
    /// it measured. A Python that cannot run or import gives an error.
    pub fn run(&self, script: &str, config: &Value, threads: usize) -> anyhow::Result<Reference> {
        let python = match self {
            Python::At(p) => p,
            Python::Skip(why) => return Ok(Reference::Unavailable(why.clone())),
        };
        let body = SCRIPTS
            .iter()
            .find(|(name, _)| *name == script)
            .map(|(_, body)| *body)
            .with_context(|| format!("no reference script {script}"))?;
        let threads = threads.max(1).to_string();
        let output = Command::new(python)
            .arg("-c")
            .arg(format!("{COMMON}\n{body}"))
            .arg(config.to_string())
            .env("OMP_NUM_THREADS", &threads)
            .env("MKL_NUM_THREADS", &threads)
            .env("PYTHONWARNINGS", "ignore")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot start {}", python.display()))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!(
                "reference script benches/reference/{script}.py failed ({}) under {}:\n{}",
                output.status,
                python.display(),
                tail.join("\n")
            );
        }
        let last = stdout.lines().last().unwrap_or_default();
        let v: Value = serde_json::from_str(last).with_context(|| {
            format!("reference script {script}.py printed no result line: {last:?}")
        })?;
        let per_unit_s = v["per_unit_s"]
            .as_f64()
            .with_context(|| format!("reference script {script}.py: no per_unit_s in {last}"))?;
        Ok(Reference::Ran {
            per_unit_s,
            what: v["reference"].as_str().unwrap_or("reference").to_string(),
        })
    }
}
