//! End-to-end: `kdbench bench`: the JSON shape of each bench (kdbench side only, small
//! sizes), argument errors (exit 2 naming the flag), and the Python reference side when the
//! benchmark Python (scripts/bench-python.sh) is installed.
mod common;
use common::*;
use serde_json::Value;
use std::path::PathBuf;

/// Runs `kdbench bench args... --format json` and returns its JSON lines.
fn bench_json(args: &[&str], envs: &[(&str, &str)]) -> Vec<Value> {
    let mut cmd = command(&[&["bench"], args, &["--format", "json", "--rounds", "1"]].concat());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn assert_kdbench_side(v: &Value, name_prefix: &str, unit: &str) {
    let name = v["name"].as_str().unwrap();
    assert!(name.starts_with(name_prefix), "{name}");
    assert_eq!(v["unit"], unit);
    let t = v["kdbench_per_unit_s"].as_f64().unwrap();
    assert!(t > 0.0 && t < 10.0, "{v}");
    assert_eq!(v["threads"], 1);
}

#[test]
fn each_bench_prints_one_json_object_without_the_reference() {
    let train = bench_json(
        &[
            "train-step",
            "--model",
            "mlp",
            "--batch",
            "8",
            "--steps",
            "2",
            "--warmup",
            "1",
            "--no-reference",
        ],
        &[],
    );
    assert_eq!(train.len(), 1);
    let v = &train[0];
    assert_kdbench_side(v, "train-step/mlp/b8", "step");
    assert_eq!(v["units"], 2);
    assert!(
        v["reference_per_unit_s"].is_null() && v["ratio"].is_null(),
        "{v}"
    );
    assert_eq!(v["reference_unavailable"], "--no-reference");

    let env = bench_json(&["env-step", "--steps", "500", "--no-reference"], &[]);
    assert_kdbench_side(&env[0], "env-step/Pendulum-v1", "step");

    let stats = bench_json(
        &["stats", "--reps", "50", "--seeds", "5", "--no-reference"],
        &[],
    );
    assert_kdbench_side(&stats[0], "stats/iqm-ci/6x5x5/r50", "ci");
    assert_eq!(stats[0]["units"], 5);
}

#[test]
fn data_bench_reads_idx_files() {
    use kd_vision::idx::{encode_images, encode_labels, IdxImages};
    let dir = tempfile::tempdir().unwrap();
    let mnist = dir.path().join("mnist");
    std::fs::create_dir(&mnist).unwrap();
    for (prefix, n) in [("train", 300), ("t10k", 50)] {
        let images = IdxImages {
            count: n,
            rows: 28,
            cols: 28,
            pixels: (0..n * 784).map(|i| (i % 251) as u8).collect(),
        };
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        std::fs::write(
            mnist.join(format!("{prefix}-images-idx3-ubyte")),
            encode_images(&images),
        )
        .unwrap();
        std::fs::write(
            mnist.join(format!("{prefix}-labels-idx1-ubyte")),
            encode_labels(&labels),
        )
        .unwrap();
    }
    let data_dir = dir.path().to_str().unwrap();
    let v = bench_json(
        &[
            "data",
            "--data-dir",
            data_dir,
            "--batch",
            "64",
            "--no-reference",
        ],
        &[],
    );
    assert_kdbench_side(&v[0], "data/mnist/b64", "epoch");
}

#[test]
fn bad_arguments_exit_2_naming_the_flag() {
    let empty = tempfile::tempdir().unwrap();
    for (args, flag) in [
        (vec!["train-step", "--model", "vgg99"], "--model"),
        (
            vec!["train-step", "--model", "mlp", "--steps", "0"],
            "--steps",
        ),
        (
            vec!["train-step", "--model", "mlp", "--batch", "lots"],
            "--batch",
        ),
        (
            vec!["env-step", "--env", "Nope-v0", "--no-reference"],
            "--env",
        ),
        (vec!["stats", "--reps", "0"], "--reps"),
        (vec!["all", "--threads", "0"], "--threads"),
        (
            vec![
                "data",
                "--data-dir",
                empty.path().to_str().unwrap(),
                "--no-reference",
            ],
            "--data-dir",
        ),
    ] {
        let out = kdbench(&[&["bench"], args.as_slice()].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(flag), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_missing_python_is_reported_in_place_of_the_ratio() {
    let v = bench_json(
        &["env-step", "--steps", "200"],
        &[("KDBENCH_BENCH_PYTHON", "/nonexistent/python3")],
    );
    assert!(v[0]["ratio"].is_null());
    let why = v[0]["reference_unavailable"].as_str().unwrap();
    assert!(why.contains("/nonexistent/python3"), "{why}");
}

/// The benchmark Python, when installed (scripts/bench-python.sh).
fn bench_python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KDBENCH_BENCH_PYTHON") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let cache = std::env::var_os("KDBENCH_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("kdbench")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kdbench")))?;
    let venv = cache.join("bench-venv");
    venv.join(".complete")
        .is_file()
        .then(|| venv.join("bin/python"))
}

#[test]
fn the_reference_side_runs_when_its_python_is_installed() {
    let Some(python) = bench_python() else {
        eprintln!("skipped: no benchmark Python (run scripts/bench-python.sh)");
        return;
    };
    let python = python.to_str().unwrap();
    let env = bench_json(
        &["env-step", "--steps", "300"],
        &[("KDBENCH_BENCH_PYTHON", python)],
    );
    let train = bench_json(
        &[
            "train-step",
            "--model",
            "mlp",
            "--batch",
            "8",
            "--steps",
            "2",
            "--warmup",
            "1",
        ],
        &[("KDBENCH_BENCH_PYTHON", python)],
    );
    for v in [&env[0], &train[0]] {
        let (kd, reference) = (
            v["kdbench_per_unit_s"].as_f64().unwrap(),
            v["reference_per_unit_s"].as_f64().unwrap(),
        );
        let ratio = v["ratio"].as_f64().unwrap();
        assert!(
            reference > 0.0 && (ratio - kd / reference).abs() <= 1e-12 * ratio,
            "{v}"
        );
    }
    assert!(env[0]["reference"]
        .as_str()
        .unwrap()
        .starts_with("Gymnasium"));
    assert!(train[0]["reference"]
        .as_str()
        .unwrap()
        .starts_with("PyTorch 2.13.0"));
}

#[test]
fn a_reference_that_fails_is_an_error_naming_its_script() {
    let out = command(&["bench", "env-step", "--steps", "100", "--rounds", "1"])
        .env("KDBENCH_BENCH_PYTHON", "/bin/false")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("benches/reference/env_step.py"),
        "{}",
        stderr(&out)
    );
}
