//! End-to-end: the nightly GPU regression path on CPU. `scripts/nightly-gpu.sh` (what the
//! nightly workflow runs) with `CPU_SMOKE=1` runs the whole `nightly-gpu` suite at tiny
//! budgets (CIFAR-100 and GLUE are absent here, so `skipped`; the RL tasks really run), writes
//! the figures, and gates the scores against the committed CPU-smoke reference; a worsened
//! or larger reference must fail the gate.
mod common;
use common::*;
use std::path::Path;
use std::process::Command;

#[test]
fn the_nightly_path_runs_on_cpu_and_gates_against_the_cpu_reference() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.path().join("nightly");
    let reference = repo.join("results/reference/nightly-gpu/cpu-smoke/scores.csv");
    let started = std::time::Instant::now();
    let run = Command::new("bash")
        .arg(repo.join("scripts/nightly-gpu.sh"))
        .args(["--threads", "1", "--jobs", "2"])
        .env("CPU_SMOKE", "1")
        .env("KDBENCH", env!("CARGO_BIN_EXE_kdbench"))
        .env("OUT", &out)
        .output()
        .expect("bash runs");
    eprintln!(
        "nightly path on CPU: {:.0} s",
        started.elapsed().as_secs_f64()
    );
    assert!(run.status.success(), "{}\n{}", stdout(&run), stderr(&run));

    // Every task of the suite is in the matrix; the ones without data are skipped, the RL
    // ones ran.
    let (_, runs) = read_csv(&out.join("runs.csv"));
    let status_of = |prefix: &str| -> Vec<&str> {
        runs.iter()
            .filter(|r| r[2].starts_with(prefix))
            .map(|r| r[5].as_str())
            .collect()
    };
    for (prefix, count, status) in [
        ("cifar100-", 16, "skipped"),
        ("glue-", 40, "skipped"),
        ("pendulum", 12, "ok"),
        ("mountain-car-continuous", 12, "ok"),
    ] {
        let got = status_of(prefix);
        assert_eq!(got.len(), count, "{prefix}: {got:?}");
        assert!(got.iter().all(|s| *s == status), "{prefix}: {got:?}");
    }
    assert!(out.join("plots").read_dir().unwrap().count() > 0);
    let gate = std::fs::read_to_string(out.join("gate.txt")).unwrap();
    assert!(
        gate.contains("kdbench gate: no regression in 12 pair(s)"),
        "{gate}"
    );
    assert!(gate.contains("final_return"), "{gate}");

    // The same scores fail against a reference where one method did far better, and against
    // one with a pair the night did not produce.
    let (header, rows) = read_csv(&reference);
    let write = |name: &str, rows: &[Vec<String>]| {
        let path = dir.path().join(name);
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.write_record(&header).unwrap();
        for r in rows {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
        path
    };
    let better: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if r[1] == "pendulum" && r[2] == "single" && r[4] == "final_return" {
                r[5] = (r[5].parse::<f64>().unwrap() + 1e5).to_string();
            }
            r
        })
        .collect();
    let mut larger = rows.clone();
    for seed in ["0", "1"] {
        larger.push(
            [
                "nightly-gpu",
                "cifar100-wrn_40_2-wrn_16_2",
                "kd",
                seed,
                "best_acc",
                "0.75",
            ]
            .map(String::from)
            .to_vec(),
        );
    }
    let current = out.join("scores.csv");
    for (name, rows, expected) in [
        ("better.csv", &better, "pendulum final_return single"),
        (
            "larger.csv",
            &larger,
            "missing: cifar100-wrn_40_2-wrn_16_2/kd",
        ),
    ] {
        let reference = write(name, rows);
        let gate = kdbench(&[
            "gate",
            "--metric",
            "main",
            "--min-drop",
            "100",
            "--current",
            current.to_str().unwrap(),
            "--reference",
            reference.to_str().unwrap(),
        ]);
        assert_eq!(gate.status.code(), Some(1), "{name}: {}", stdout(&gate));
        let text = stdout(&gate);
        let line = text.lines().find(|l| {
            l.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .starts_with(expected)
        });
        assert!(line.is_some(), "{name}: no line with {expected:?}:\n{text}");
        if name == "better.csv" {
            assert!(line.unwrap().ends_with("REGRESSION"), "{text}");
        }
    }
}
