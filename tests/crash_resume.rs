//! End-to-end: a real `kdbench run` killed with SIGKILL mid-suite resumes to exactly the
//! results of an uninterrupted run, with every run present once and no torn row.
mod common;
use common::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

const ARGS: &[&str] = &[
    "run", "--suite", "smoke", "--seeds", "0..4", "--set", "epochs=4",
];

fn data_rows(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

#[test]
fn sigkill_mid_suite_then_resume_matches_an_uninterrupted_run() {
    let reference = tempfile::tempdir().unwrap();
    let mut args = ARGS.to_vec();
    args.extend_from_slice(&["--out", reference.path().to_str().unwrap()]);
    let out = kdbench(&args);
    assert!(out.status.success(), "{}", stderr(&out));

    let crashed = tempfile::tempdir().unwrap();
    let runs = crashed.path().join("runs.csv");
    let mut args = ARGS.to_vec();
    args.extend_from_slice(&["--out", crashed.path().to_str().unwrap()]);
    let mut child = command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while data_rows(&runs) < 4 && start.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let done_at_kill = data_rows(&runs);
    assert!(
        (4..12).contains(&done_at_kill),
        "killed after {done_at_kill} of 12 runs"
    );

    args.push("--resume");
    let out = kdbench(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{done_at_kill} already done")),
        "{}",
        stderr(&out)
    );

    let (_, rows) = read_csv(&runs);
    assert_eq!(rows.len(), 12);
    let mut cells: Vec<(String, String)> =
        rows.iter().map(|r| (r[3].clone(), r[4].clone())).collect();
    cells.sort();
    cells.dedup();
    assert_eq!(cells.len(), 12, "every run exactly once");
    for file in ["scores.csv", "curves.csv"] {
        let text = std::fs::read_to_string(crashed.path().join(file)).unwrap();
        assert!(text.ends_with('\n'), "{file} ends in a torn line");
        let (_, got) = read_csv(&crashed.path().join(file));
        let (_, want) = read_csv(&reference.path().join(file));
        let (mut got, mut want) = (got, want);
        got.sort();
        want.sort();
        assert_eq!(got, want, "{file} differs from the uninterrupted run");
    }
}
