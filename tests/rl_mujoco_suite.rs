//! End-to-end: the `rl-mujoco` suite through `kdbench run`. Built with the `mujoco` feature,
//! every MuJoCo task trains at a tiny budget and ends `ok`; built without it, every run is
//! reported `skipped` with the setup instructions (never a silent pass).
mod common;
use common::*;

const TINY: &[&str] = &[
    "--set",
    "total_steps=300",
    "--set",
    "warmup_steps=100",
    "--set",
    "eval_every=300",
    "--set",
    "eval_episodes=1",
    "--set",
    "batch_size=32",
    "--set",
    "hidden=[16]",
];

/// Runs `single` on every task of `rl-mujoco` at seed 0; returns the rows of `runs.csv`.
fn run_suite() -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "run",
        "--suite",
        "rl-mujoco",
        "--seeds",
        "0",
        "--methods",
        "single",
        "--threads",
        "1",
        "--out",
        dir.path().to_str().unwrap(),
    ];
    args.extend_from_slice(TINY);
    let out = kdbench(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let (_, runs) = read_csv(&dir.path().join("runs.csv"));
    let mut tasks: Vec<&str> = runs.iter().map(|r| r[2].as_str()).collect();
    tasks.sort();
    assert_eq!(tasks, ["halfcheetah", "hopper", "swimmer", "walker2d"]);
    runs
}

#[cfg(feature = "mujoco")]
#[test]
fn the_mujoco_tasks_train() {
    for r in run_suite() {
        assert_eq!(r[5], "ok", "{r:?}");
        // The actor obs-16-act: HalfCheetah 17/6, Hopper 11/3, Walker2d 17/6, Swimmer 8/2.
        let (obs, act) = match r[2].as_str() {
            "halfcheetah" | "walker2d" => (17, 6),
            "hopper" => (11, 3),
            _ => (8, 2),
        };
        assert_eq!(r[11], (obs * 16 + 16 + 16 * act + act).to_string(), "{r:?}");
    }
}

#[cfg(not(feature = "mujoco"))]
#[test]
fn the_mujoco_tasks_are_skipped_without_the_feature() {
    for r in run_suite() {
        assert_eq!(r[5], "skipped", "{r:?}");
        assert_eq!(
            r[13],
            "built without the mujoco feature: run scripts/mujoco.sh and build with --features mujoco"
        );
    }
}
