//! End-to-end: a diverging run is recorded `diverged` and a failing run `failed` with its
//! error, neither stops the suite, and `run` exits 1 only when a run failed.
mod common;
use common::*;

#[test]
fn diverged_runs_are_recorded_and_the_suite_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = kdbench(&[
        "run",
        "--suite",
        "smoke",
        "--seeds",
        "0",
        "--methods",
        "student,teacher",
        "--set",
        "epochs=2",
        "--set",
        "optimizer=sgd",
        "--set",
        "lr=1e30",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "diverging is not failing: {}",
        stderr(&out)
    );
    let (_, runs) = read_csv(&dir.path().join("runs.csv"));
    assert_eq!(runs.len(), 2, "both runs happened");
    for r in &runs {
        assert_eq!(r[5], "diverged", "{r:?}");
        assert!(r[13].contains("NaN") || r[13].contains("inf"), "{}", r[13]);
    }
    let (_, scores) = read_csv(&dir.path().join("scores.csv"));
    assert!(scores.is_empty(), "a diverged run has no scores");
}

#[test]
fn a_failing_run_is_recorded_and_others_still_run() {
    let data = tempfile::tempdir().unwrap();
    let mnist = data.path().join("mnist");
    std::fs::create_dir_all(&mnist).unwrap();
    for f in [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ] {
        std::fs::write(mnist.join(f), b"this is not an idx file at all").unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("mixed.toml");
    std::fs::write(
        &suite,
        "tasks = ['mnist-mlp', 'digits-mlp']\nmethods = ['student']\nseeds = [0]",
    )
    .unwrap();
    let out = kdbench(&[
        "run",
        "--suite",
        suite.to_str().unwrap(),
        "--set",
        "epochs=2",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--out",
        dir.path().join("r").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let (_, runs) = read_csv(&dir.path().join("r/runs.csv"));
    let status = |task: &str| {
        runs.iter()
            .find(|r| r[2] == task)
            .map(|r| (r[5].clone(), r[13].clone()))
            .unwrap()
    };
    let (mnist_status, message) = status("mnist-mlp");
    assert_eq!(mnist_status, "failed");
    assert!(
        message.contains("train-images-idx3-ubyte") && message.contains("magic"),
        "{message}"
    );
    assert_eq!(status("digits-mlp").0, "ok");
}
