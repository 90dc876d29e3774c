//! End-to-end: the `rl` suite runs TD3 and DPD through `kdbench run` at a tiny budget and
//! writes the documented RL scores and curves; RL tasks reject non-RL methods.
mod common;
use common::*;

const TINY: &[&str] = &[
    "--set",
    "total_steps=400",
    "--set",
    "warmup_steps=100",
    "--set",
    "eval_every=200",
    "--set",
    "eval_episodes=2",
    "--set",
    "batch_size=32",
    "--set",
    "hidden=[16]",
];

#[test]
fn the_rl_suite_runs_single_and_dpd() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let mut args = vec![
        "run",
        "--suite",
        "rl",
        "--seeds",
        "0",
        "--tasks",
        "pendulum",
        "--methods",
        "single,dpd",
        "--out",
        out_dir,
    ];
    args.extend_from_slice(TINY);
    let out = kdbench(&args);
    assert!(out.status.success(), "{}", stderr(&out));

    let (_, runs) = read_csv(&dir.path().join("runs.csv"));
    assert_eq!(runs.len(), 2);
    for r in &runs {
        assert_eq!((r[1].as_str(), r[2].as_str()), ("rl", "pendulum"));
        assert_eq!(r[5], "ok", "{r:?}");
        // The reported learner's actor: 3-16-1.
        assert_eq!(r[11], (3 * 16 + 16 + 16 + 1).to_string());
    }

    let (_, scores) = read_csv(&dir.path().join("scores.csv"));
    let metrics = |method: &str| -> Vec<String> {
        let mut m: Vec<String> = scores
            .iter()
            .filter(|r| r[2] == method)
            .map(|r| r[4].clone())
            .collect();
        m.sort();
        m
    };
    assert_eq!(
        metrics("single"),
        ["best_return", "best_step", "final_return"]
    );
    assert_eq!(
        metrics("dpd"),
        [
            "best_return",
            "best_step",
            "final_return",
            "return_a",
            "return_b"
        ]
    );
    let value = |method: &str, metric: &str| -> f64 {
        scores
            .iter()
            .find(|r| r[2] == method && r[4] == metric)
            .unwrap()[5]
            .parse()
            .unwrap()
    };
    for method in ["single", "dpd"] {
        let (last, best) = (value(method, "final_return"), value(method, "best_return"));
        // Pendulum returns lie in [-16.3 * 200, 0].
        assert!((-3300.0..=0.0).contains(&last), "{method}: {last}");
        assert!(best >= last, "{method}: best {best} < final {last}");
    }
    let (a, b) = (value("dpd", "return_a"), value("dpd", "return_b"));
    assert_eq!(value("dpd", "final_return"), a.max(b));

    let (_, curves) = read_csv(&dir.path().join("curves.csv"));
    let steps = |method: &str, split: &str| -> Vec<String> {
        curves
            .iter()
            .filter(|r| r[2] == method && r[5] == split && r[6] == "return")
            .map(|r| r[4].clone())
            .collect()
    };
    assert_eq!(steps("single", "eval"), ["200", "400"]);
    for split in ["eval", "a/eval", "b/eval"] {
        assert_eq!(steps("dpd", split), ["200", "400"], "{split}");
    }
    assert!(curves
        .iter()
        .any(|r| r[2] == "dpd" && r[5] == "a/train" && r[6] == "distill_fraction"));
}

#[test]
fn rl_methods_are_listed_and_rl_tasks_reject_other_methods() {
    let out = kdbench(&["list", "methods"]);
    assert!(out.status.success());
    let listed = stdout(&out);
    for method in [
        "single",
        "independent_pair",
        "dpd",
        "dpd_no_filter",
        "teacher_distill",
    ] {
        assert!(
            listed.lines().any(|l| l.starts_with(&format!("{method} "))),
            "{method} not in:\n{listed}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    expect_suite_refused(
        dir.path(),
        "mixed",
        "baseline = \"single\"\nseeds = [0]\ntasks = [\"pendulum\"]\nmethods = [\"single\", \"kd\"]\n",
        "method 'kd' is not an RL method",
    );
}
