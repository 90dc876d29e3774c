//! Helpers shared by the end-to-end tests: run the real `kdbench` binary and read its CSVs.
#![allow(dead_code)]
use std::path::Path;
use std::process::{Command, Output};

/// Runs `kdbench args...` and returns its output. `run` gets `--threads 1`: cargo runs the
/// tests in parallel, and several libtorch thread pools on 2 cores slow each other down.
pub fn kdbench(args: &[&str]) -> Output {
    command(args).output().expect("kdbench runs")
}

/// The `kdbench` command for `args` (with `--threads 1` for `run`), not yet started.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kdbench"));
    cmd.args(args);
    if args.first() == Some(&"run") && !args.contains(&"--threads") {
        cmd.args(["--threads", "1"]);
    }
    cmd
}

/// Runs `kdbench args...` and asserts it is refused as bad usage (exit 2) with `needle` in
/// its stderr.
pub fn expect_bad(args: &[&str], needle: &str) {
    let out = kdbench(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    assert!(
        stderr(&out).contains(needle),
        "{args:?}: expected '{needle}' in: {}",
        stderr(&out)
    );
}

/// Writes `toml` as the suite file `<dir>/<name>.toml`, runs it into `<dir>/<name>-out` and
/// asserts it is refused as bad usage (exit 2) with `needle` in its stderr.
pub fn expect_suite_refused(dir: &Path, name: &str, toml: &str, needle: &str) {
    let suite = dir.join(format!("{name}.toml"));
    std::fs::write(&suite, toml).unwrap();
    let out = dir.join(format!("{name}-out"));
    expect_bad(
        &[
            "run",
            "--suite",
            suite.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        needle,
    );
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Header and data rows of a CSV file.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// Values of `metric` per (method, seed) from a scores file, sorted.
pub fn metric_values(scores: &Path, metric: &str) -> Vec<(String, String, f64)> {
    let (_, rows) = read_csv(scores);
    let mut values: Vec<(String, String, f64)> = rows
        .iter()
        .filter(|r| r[4] == metric)
        .map(|r| (r[2].clone(), r[3].clone(), r[5].parse().unwrap()))
        .collect();
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values
}

/// The rows of a CSV file restricted to `columns`, sorted.
pub fn sorted_rows(path: &Path, columns: &[usize]) -> Vec<Vec<String>> {
    let (_, rows) = read_csv(path);
    let mut picked: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|&c| r[c].clone()).collect())
        .collect();
    picked.sort();
    picked
}

/// Asserts that two results folders hold the same runs (same rows, any order): `runs.csv`'s
/// identity, status, config and sizes (times and dates differ by nature), and every row of
/// `scores.csv`, `curves.csv` and `leaderboard.csv`.
pub fn assert_same_results(got: &Path, want: &Path) {
    let identity = [0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13];
    assert_eq!(
        sorted_rows(&got.join("runs.csv"), &identity),
        sorted_rows(&want.join("runs.csv"), &identity),
        "runs.csv of {} vs {}",
        got.display(),
        want.display()
    );
    for file in ["scores.csv", "curves.csv", "leaderboard.csv"] {
        let all: Vec<usize> = (0..read_csv(&want.join(file)).0.len()).collect();
        assert_eq!(
            sorted_rows(&got.join(file), &all),
            sorted_rows(&want.join(file), &all),
            "{file} of {} vs {}",
            got.display(),
            want.display()
        );
    }
}
