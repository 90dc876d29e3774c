//! End-to-end: `kdbench env replay` reproduces Gymnasium's recorded trajectories exactly.
mod common;
use common::*;

#[test]
fn replay_matches_the_gymnasium_recordings() {
    let data =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/kd-rl/tests/data/gymnasium");
    for file in [
        "Pendulum-v1_seed1.json",
        "MountainCarContinuous-v0_seed0_pump.json",
    ] {
        let reference: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(data.join(file)).unwrap()).unwrap();
        let steps = reference["steps"].as_array().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let actions = dir.path().join("actions.csv");
        let rows: Vec<String> = steps
            .iter()
            .map(|s| {
                s["action"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| format!("{}", a.as_f64().unwrap() as f32))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        std::fs::write(&actions, rows.join("\n")).unwrap();
        let out = kdbench(&[
            "env",
            "replay",
            "--env",
            reference["env_id"].as_str().unwrap(),
            "--seed",
            &reference["seed"].to_string(),
            "--actions",
            actions.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        let text = stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("t,reward,terminated,truncated,obs_0"));
        assert_eq!(
            lines.len(),
            steps.len() + 2,
            "{file}: header, reset and one row per step"
        );
        let obs_of = |line: &str| -> Vec<f32> {
            line.split(',')
                .skip(4)
                .map(|v| v.parse().unwrap())
                .collect()
        };
        let expect_obs = |v: &serde_json::Value| -> Vec<f32> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        };
        assert_eq!(
            obs_of(lines[1]),
            expect_obs(&reference["reset_obs"]),
            "{file}: reset"
        );
        for (line, step) in lines[2..].iter().zip(steps) {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(
                obs_of(line),
                expect_obs(&step["obs"]),
                "{file}: step {}",
                cells[0]
            );
            assert_eq!(
                cells[1].parse::<f64>().unwrap(),
                step["reward"].as_f64().unwrap(),
                "{file}: reward"
            );
            assert_eq!(cells[2], step["terminated"].to_string());
            assert_eq!(cells[3], step["truncated"].to_string());
        }
    }
}

#[test]
fn bad_action_files_name_the_line() {
    expect_replay_refused("Pendulum-v1", "0.5\n0.1,0.2\n", "a.csv:2");
}

/// Replays the actions `csv` (written to `a.csv`) on `env` with seed 0 and asserts it is
/// refused as bad usage (exit 2) with `needle` in stderr.
fn expect_replay_refused(env: &str, csv: &str, needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let actions = dir.path().join("a.csv");
    std::fs::write(&actions, csv).unwrap();
    let args = [
        "env",
        "replay",
        "--env",
        env,
        "--seed",
        "0",
        "--actions",
        actions.to_str().unwrap(),
    ];
    expect_bad(&args, needle);
}

/// `env replay` on HalfCheetah-v5 (feature `mujoco`): float64 observations printed
/// round-trip exact, equal bit for bit to Gymnasium's recording.
#[cfg(feature = "mujoco")]
#[test]
fn replay_half_cheetah_matches_gymnasium() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/kd-rl/tests/data/gymnasium/HalfCheetah-v5_seed0.json");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let steps = reference["steps"].as_array().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let actions = dir.path().join("actions.csv");
    let rows: Vec<String> = steps
        .iter()
        .map(|s| {
            let a: Vec<String> = s["action"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| format!("{}", a.as_f64().unwrap() as f32))
                .collect();
            a.join(",")
        })
        .collect();
    std::fs::write(&actions, rows.join("\n")).unwrap();
    let out = kdbench(&[
        "env",
        "replay",
        "--env",
        "HalfCheetah-v5",
        "--seed",
        "0",
        "--actions",
        actions.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), steps.len() + 2);
    assert_eq!(lines[0].split(',').count(), 4 + 17);
    let bits_of = |cells: &[&str]| -> Vec<u64> {
        cells
            .iter()
            .map(|v| v.parse::<f64>().unwrap().to_bits())
            .collect()
    };
    let want_bits = |v: &serde_json::Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap().to_bits())
            .collect()
    };
    let reset: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(bits_of(&reset[4..]), want_bits(&reference["reset_obs"]));
    for (line, step) in lines[2..].iter().zip(steps) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(bits_of(&cells[4..]), want_bits(&step["obs"]), "{line}");
        assert_eq!(
            cells[1].parse::<f64>().unwrap().to_bits(),
            step["reward"].as_f64().unwrap().to_bits()
        );
        assert_eq!(cells[2], "false");
        assert_eq!(cells[3], "false");
    }
    assert!(
        !stderr(&out).contains("WARNING"),
        "MuJoCo's messages stay quiet: {}",
        stderr(&out)
    );
}

/// Without the feature, a MuJoCo id says how to get it (exit 2).
#[cfg(not(feature = "mujoco"))]
#[test]
fn replay_of_a_mujoco_env_needs_the_feature() {
    expect_replay_refused(
        "HalfCheetah-v5",
        "0,0,0,0,0,0\n",
        "run scripts/mujoco.sh and build with --features mujoco",
    );
}
