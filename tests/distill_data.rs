//! End-to-end: the `distill-data` suite distils MNIST at a tiny budget through `kdbench run`,
//! writes the documented scores and artifacts, trains again from a written file
//! (`distilled = PATH`), and refuses hard labels with fewer images than classes.
mod common;
use common::*;
use std::path::Path;

const TINY: &[&str] = &[
    "--set",
    "outer_steps=3",
    "--set",
    "log_every=1",
    "--set",
    "inner_steps=2",
    "--set",
    "real_batch=32",
    "--set",
    "eval_inits=2",
];

fn fetch_mnist() {
    let fetch = kdbench(&["data", "fetch", "mnist"]);
    assert!(fetch.status.success(), "fetching MNIST: {}", stderr(&fetch));
}

/// `(run_id, task, method, status)` of every run.
fn runs(results: &Path) -> Vec<(String, String, String, String)> {
    let (header, rows) = read_csv(&results.join("runs.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    rows.iter()
        .map(|r| {
            (
                r[col("run_id")].clone(),
                r[col("task")].clone(),
                r[col("method")].clone(),
                r[col("status")].clone(),
            )
        })
        .collect()
}

#[test]
fn the_distill_suite_writes_scores_images_and_a_loadable_file() {
    fetch_mnist();
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("r");
    let mut args = vec![
        "run",
        "--suite",
        "distill-data",
        "--seeds",
        "0",
        "--methods",
        "dd_hard,dd_soft,random_real",
        "--out",
        results.to_str().unwrap(),
    ];
    args.extend_from_slice(TINY);
    let out = kdbench(&args);
    assert!(out.status.success(), "{}", stderr(&out));

    let runs = runs(&results);
    let mut cells: Vec<(&str, &str)> = runs
        .iter()
        .map(|(_, t, m, _)| (t.as_str(), m.as_str()))
        .collect();
    cells.sort();
    assert_eq!(
        cells,
        [
            ("mnist-distill", "dd_hard"),
            ("mnist-distill", "dd_soft"),
            ("mnist-distill", "random_real"),
            ("mnist-distill-5", "dd_soft"),
            ("mnist-distill-5", "random_real"),
        ]
    );
    for (id, _, _, status) in &runs {
        assert_eq!(status, "ok", "{id}");
        let artifacts = results.join("artifacts").join(id);
        let png = std::fs::read(artifacts.join("distilled.png")).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{id}");
        assert!(artifacts.join("distilled.safetensors").is_file(), "{id}");
    }
    let (_, scores) = read_csv(&results.join("scores.csv"));
    for metric in [
        "acc_mean",
        "acc_std",
        "acc_min",
        "acc_max",
        "acc_fresh_mean",
        "acc_fresh_std",
        "outer_loss",
        "step_size_mean",
    ] {
        let values: Vec<f64> = scores
            .iter()
            .filter(|r| r[4] == metric)
            .map(|r| r[5].parse().unwrap())
            .collect();
        assert_eq!(values.len(), 5, "{metric}");
        if metric.starts_with("acc") {
            assert!(
                values.iter().all(|v| (0.0..=1.0).contains(v)),
                "{metric}: {values:?}"
            );
        }
    }
    let (_, curves) = read_csv(&results.join("curves.csv"));
    let loss_points = curves.iter().filter(|r| r[6] == "outer_loss").count();
    assert_eq!(
        loss_points,
        5 * 3,
        "one outer_loss point per outer step and run"
    );

    // Train fresh LeNets on the file dd_soft wrote for 5 images: no distillation, the file's
    // 5 images and 2 step sizes.
    let (id, _, _, _) = runs
        .iter()
        .find(|(_, t, m, _)| t == "mnist-distill-5" && m == "dd_soft")
        .unwrap();
    let file = results
        .join("artifacts")
        .join(id)
        .join("distilled.safetensors");
    let again = dir.path().join("again");
    let set = format!("distilled={:?}", file.to_str().unwrap());
    let out = kdbench(&[
        "run",
        "--suite",
        "distill-data",
        "--seeds",
        "0",
        "--tasks",
        "mnist-distill",
        "--methods",
        "dd_soft",
        "--set",
        &set,
        "--set",
        "eval_inits=2",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (header, rows) = read_csv(&again.join("runs.csv"));
    let message = header.iter().position(|h| h == "message").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][5], "ok");
    assert!(rows[0][message].contains("trained on"), "{:?}", rows[0]);
    let metrics: Vec<String> = read_csv(&again.join("scores.csv"))
        .1
        .iter()
        .map(|r| r[4].clone())
        .collect();
    assert!(
        metrics.contains(&"acc_mean".to_string()) && !metrics.contains(&"outer_loss".to_string())
    );
}

#[test]
fn hard_labels_need_a_class_per_image_and_other_tasks_refuse_these_methods() {
    let dir = tempfile::tempdir().unwrap();
    expect_suite_refused(
        dir.path(),
        "five",
        "baseline = 'random_real'\nseeds = [0]\ntasks = ['mnist-distill-5']\nmethods = ['dd_hard', 'random_real']\n",
        "fewer images than classes need soft labels (dd_soft)",
    );
    expect_suite_refused(
        dir.path(),
        "lenet",
        "baseline = 'student'\nseeds = [0]\ntasks = ['mnist-lenet']\nmethods = ['student', 'dd_soft']\n",
        "distill-data",
    );

    let bad_file = dir.path().join("bad.safetensors");
    std::fs::write(&bad_file, b"not tensors").unwrap();
    let set = format!("distilled={:?}", bad_file.to_str().unwrap());
    let out = kdbench(&[
        "run",
        "--suite",
        "distill-data",
        "--tasks",
        "mnist-distill",
        "--methods",
        "dd_soft",
        "--set",
        &set,
        "--out",
        dir.path().join("out3").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("distilled:") && err.contains("bad.safetensors"),
        "{err}"
    );

    let listed = stdout(&kdbench(&["list", "methods"]));
    for method in ["dd_hard", "dd_soft", "random_real", "full_data"] {
        assert!(
            listed.lines().any(|l| l.starts_with(&format!("{method} "))),
            "{method} not in:\n{listed}"
        );
    }
}

/// A short distillation learns: from the same 10 real starting images, the same fixed
/// initialisation (Wang et al.'s fixed-init setting) and the same outer budget, learning the
/// images and soft labels (`dd_soft`) beats learning only the step sizes (`random_real`), and
/// is far above chance (10%).
#[test]
fn a_short_soft_label_distillation_beats_random_real_images() {
    fetch_mnist();
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("r");
    let out = kdbench(&[
        "run",
        "--suite",
        "distill-data",
        "--seeds",
        "0",
        "--tasks",
        "mnist-distill",
        "--methods",
        "dd_soft,random_real",
        "--set",
        "outer_steps=100",
        "--set",
        "outer_lr=0.05",
        "--set",
        "fixed_init=true",
        "--set",
        "inner_steps=10",
        "--out",
        results.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let values = metric_values(&results.join("scores.csv"), "acc_mean");
    let acc = |method: &str| values.iter().find(|(m, _, _)| m == method).unwrap().2;
    let (soft, real) = (acc("dd_soft"), acc("random_real"));
    assert!(soft > 0.4, "dd_soft: {soft}");
    assert!(soft > real + 0.05, "dd_soft {soft} vs random_real {real}");
}
