//! End-to-end: the `coins` suite runs recognition and landmark discovery through
//! `kdbench run` at a tiny budget, writing the documented scores and the PNG/CSV artifacts;
//! bad coin settings and unsupported methods are bad input.
mod common;
use common::*;

const TINY: &[&str] = &[
    "--set",
    "train_per_class=4",
    "--set",
    "val_per_class=2",
    "--set",
    "test_per_class=2",
    "--set",
    "epochs=1",
    "--set",
    "teacher={channels = [4], hidden = 8, dropout = 0.0}",
    "--set",
    "student={channels = [2], hidden = 8, dropout = 0.0}",
    "--set",
    "landmarks.steps=3",
    "--set",
    "landmarks.allowed_losses=[0.01, 0.05]",
];

#[test]
fn the_coins_suite_scores_recognition_and_writes_landmark_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let mut args = vec![
        "run",
        "--suite",
        "coins",
        "--seeds",
        "0",
        "--tasks",
        "coins-hier,coins-landmarks",
        "--methods",
        "student,kd",
        "--out",
        out_dir,
    ];
    args.extend_from_slice(TINY);
    let out = kdbench(&args);
    assert!(out.status.success(), "{}", stderr(&out));

    let (_, runs) = read_csv(&dir.path().join("runs.csv"));
    assert_eq!(runs.len(), 4);
    for r in &runs {
        assert_eq!(r[5], "ok", "{r:?}");
    }
    let scores = dir.path().join("scores.csv");
    let (_, rows) = read_csv(&scores);
    let has = |task: &str, method: &str, metric: &str| {
        rows.iter()
            .any(|r| r[1] == task && r[2] == method && r[4] == metric)
    };
    for metric in ["best_acc", "emperor_acc", "type_acc"] {
        assert!(has("coins-hier", "kd", metric), "{metric}");
    }
    for metric in [
        "full_acc",
        "iou",
        "kept_area_1pct",
        "acc_loss_5pct",
        "iou_gradxinput_1pct",
        "pointing_random_5pct",
        "constraint_met_5pct",
    ] {
        assert!(has("coins-landmarks", "student", metric), "{metric}");
    }
    // Only a distilled student has a teacher whose landmarks it can agree with.
    assert!(has("coins-landmarks", "kd", "teacher_agreement"));
    assert!(!has("coins-landmarks", "student", "teacher_agreement"));
    for (_, _, value) in metric_values(&scores, "kept_area_1pct") {
        assert!((0.0..=1.0).contains(&value), "{value}");
    }

    let run_id = &runs.iter().find(|r| r[2] == "coins-landmarks").unwrap()[0];
    let artifacts = dir.path().join("artifacts").join(run_id);
    let (header, summary) = read_csv(&artifacts.join("kept_area_vs_loss.csv"));
    assert_eq!(header[..3], ["allowed_loss", "mask", "kept_area"]);
    // Two allowed losses x (learned, gradient x input, random).
    assert_eq!(summary.len(), 6);
    assert_eq!(summary[0][..2], ["0.01", "learned"]);
    let (_, per_class) = read_csv(&artifacts.join("landmarks.csv"));
    assert_eq!(per_class.len(), 2 * 3 * 24);
    for png in [
        "landmarks_learned_1pct.png",
        "landmarks_learned_5pct.png",
        "landmarks_gradxinput_1pct.png",
        "coins_sample.png",
    ] {
        let bytes = std::fs::read(artifacts.join(png)).unwrap_or_else(|e| panic!("{png}: {e}"));
        assert!(bytes.starts_with(b"\x89PNG"), "{png}");
    }
}

#[test]
fn bad_coin_settings_and_unsupported_methods_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out_dir = out_dir.to_str().unwrap();
    for (args, needle) in [
        (
            vec![
                "--tasks",
                "coins-flat",
                "--methods",
                "student",
                "--set",
                "head=tree",
            ],
            "head: expected \"flat\" or \"hierarchical\"",
        ),
        (
            vec![
                "--tasks",
                "coins-landmarks",
                "--methods",
                "kd",
                "--set",
                "landmarks.allowed_losses=[1.5]",
            ],
            "landmarks.allowed_losses",
        ),
    ] {
        let mut all = vec!["run", "--suite", "coins", "--seeds", "0", "--out", out_dir];
        all.extend(args);
        let out = kdbench(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{all:?}: {}", stderr(&out));
    }
    // Landmarks need one model of the teacher or student architecture.
    expect_suite_refused(
        dir.path(),
        "lm",
        "description = 'x'\nbaseline = 'student'\nseeds = [0]\ntasks = ['coins-landmarks']\nmethods = ['student', 'born_again']\n",
        "finds the landmarks of a teacher, a student",
    );
}
