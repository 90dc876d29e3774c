//! `kd_rl::replay`: the trajectory CSV against the reference data, exact
//! round-tripping, the stop rule and the error messages.

use std::io::Cursor;
use std::path::Path;

use kd_rl::replay::{parse_actions, replay_reader};
use kd_rl::{make, replay, ReplayError};
use serde_json::Value;

fn ref_file(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gymnasium")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn run(env_id: &str, seed: u64, csv: &str) -> Result<String, ReplayError> {
    let mut out = Vec::new();
    replay_reader(env_id, seed, Cursor::new(csv), "actions.csv", &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

/// A parsed output row: t (None for the reset row), reward, flags, obs.
type Row = (Option<usize>, f64, bool, bool, Vec<f32>);

fn parse_output(text: &str, obs_dim: usize) -> Vec<Row> {
    let mut lines = text.lines();
    let header: Vec<String> = (0..obs_dim).map(|i| format!("obs_{i}")).collect();
    assert_eq!(
        lines.next().unwrap(),
        format!("t,reward,terminated,truncated,{}", header.join(","))
    );
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            assert_eq!(c.len(), 4 + obs_dim, "{l}");
            let t = if c[0] == "reset" {
                None
            } else {
                Some(c[0].parse().unwrap())
            };
            let obs = c[4..].iter().map(|x| x.parse::<f32>().unwrap()).collect();
            (
                t,
                c[1].parse().unwrap(),
                c[2].parse().unwrap(),
                c[3].parse().unwrap(),
                obs,
            )
        })
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Actions written as the JSON's exact doubles, with a header and blank lines,
/// replay to the recorded trajectory; every printed number parses back exactly.
#[test]
fn replay_reproduces_reference_trajectories() {
    for name in [
        "Pendulum-v1_seed1.json",
        "MountainCarContinuous-v0_seed0_pump.json",
    ] {
        let d = ref_file(name);
        let id = d["env_id"].as_str().unwrap();
        let steps = d["steps"].as_array().unwrap();
        let mut csv = String::from("torque\n\n");
        for s in steps {
            csv += &format!("{}\r\n", s["action"][0].as_f64().unwrap());
        }
        csv += "\n   \n";
        let text = run(id, d["seed"].as_u64().unwrap(), &csv).unwrap();
        let obs_dim = f32s(&d["reset_obs"]).len();
        let rows = parse_output(&text, obs_dim);
        assert_eq!(rows.len(), steps.len() + 1, "{name}");
        let (t, r, te, tr, obs) = &rows[0];
        assert_eq!((*t, *r, *te, *tr), (None, 0.0, false, false));
        assert_eq!(bits(obs), bits(&f32s(&d["reset_obs"])), "{name}: reset");
        for (k, (row, s)) in rows[1..].iter().zip(steps).enumerate() {
            assert_eq!(row.0, Some(k));
            assert_eq!(
                row.1.to_bits(),
                s["reward"].as_f64().unwrap().to_bits(),
                "{name} t={k}"
            );
            assert_eq!(row.2, s["terminated"].as_bool().unwrap(), "{name} t={k}");
            assert_eq!(row.3, s["truncated"].as_bool().unwrap(), "{name} t={k}");
            assert_eq!(bits(&row.4), bits(&f32s(&s["obs"])), "{name} t={k}");
        }
    }
}

#[test]
fn output_round_trips_against_direct_stepping() {
    let actions = ["0.1", "-1.7", "3.3", "1e-3", "-0", "2"];
    let text = run("Pendulum-v1", 42, &actions.join("\n")).unwrap();
    let rows = parse_output(&text, 3);
    let mut env = make("Pendulum-v1").unwrap();
    let (obs, _) = env.reset(Some(42));
    assert_eq!(bits(&rows[0].4), bits(&obs));
    for (row, a) in rows[1..].iter().zip(actions) {
        let s = env.step(&[a.parse().unwrap()]);
        assert_eq!(row.1.to_bits(), s.reward.to_bits());
        assert_eq!(bits(&row.4), bits(&s.obs));
    }
    assert_eq!(rows.len(), actions.len() + 1);
}

#[test]
fn replay_stops_at_truncation_and_reads_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("acts.csv");
    let body: String = (0..250)
        .map(|t| format!("{}\n", (t % 5) as f32 - 2.0))
        .collect();
    std::fs::write(&path, body).unwrap();
    let mut out = Vec::new();
    let summary = replay("Pendulum-v1", 0, &path, &mut out).unwrap();
    assert_eq!(summary.steps, 200);
    assert!(summary.truncated && !summary.terminated);
    assert_eq!(summary.unused_actions, 50);
    let rows = parse_output(std::str::from_utf8(&out).unwrap(), 3);
    assert_eq!(rows.len(), 201);
    assert!(rows[200].3, "the last row is the truncated step");
    assert!(rows[..200].iter().all(|r| !r.3));
}

#[test]
fn replay_stops_at_termination() {
    // Pump actions from the reference: the goal is reached on step 106.
    let d = ref_file("MountainCarContinuous-v0_seed0_pump.json");
    let mut csv: String = d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{}\n", s["action"][0]))
        .collect();
    csv += "1.0\n-1.0\n";
    let mut out = Vec::new();
    let summary = replay_reader(
        "MountainCarContinuous-v0",
        0,
        Cursor::new(csv),
        "pump.csv",
        &mut out,
    )
    .unwrap();
    assert_eq!(summary.steps, 106);
    assert!(summary.terminated && !summary.truncated);
    assert_eq!(summary.unused_actions, 2);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("105,99.9,true,false,"),
        "{text}"
    );
}

fn err(env_id: &str, csv: &str) -> String {
    run(env_id, 0, csv)
        .expect_err("expected an error")
        .to_string()
}

#[test]
fn errors_name_file_line_and_expectation() {
    assert_eq!(
        err("Pendulum-v1", "a\n0.5\n\n0.5,1.0\n"),
        "actions.csv:4: expected 1 comma-separated value(s) (the action dimension of Pendulum-v1), found 2"
    );
    assert_eq!(
        err("Pendulum-v1", "0.5\n0.25\nabc\n"),
        "actions.csv:3: column 1: expected a number, found `abc`"
    );
    assert_eq!(
        err("MountainCarContinuous-v0", "0.5\nNaN\n"),
        "actions.csv:2: column 1: expected a finite number, found `NaN`"
    );
    assert_eq!(
        err("Pendulum-v1", "0.5\n-inf\n"),
        "actions.csv:2: column 1: expected a finite number, found `-inf`"
    );
    // A header is only skipped on the first non-blank line.
    assert_eq!(
        err("Pendulum-v1", "\ntorque\naction\n"),
        "actions.csv:3: column 1: expected a number, found `action`"
    );
    // A header must still have one cell per action dimension.
    assert!(err("Pendulum-v1", "a,b\n0.5\n").starts_with("actions.csv:1: expected 1 "));
    let unknown = err("CartPole-v1", "0\n");
    assert!(
        unknown.contains("CartPole-v1") && unknown.contains("Pendulum-v1"),
        "{unknown}"
    );
}

#[test]
fn missing_file_error_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.csv");
    let e = replay("Pendulum-v1", 0, &path, &mut Vec::new())
        .err()
        .unwrap();
    let msg = e.to_string();
    assert!(matches!(e, ReplayError::Read { line: None, .. }));
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    assert!(msg.contains("cannot read"), "{msg}");
}

#[test]
fn parse_actions_rounds_once_to_f32_and_skips_header() {
    let rows = parse_actions(
        Cursor::new("\u{feff}a, b\n 0.1 , 1e3\n\n0.652016282081604,-0\n"),
        "x",
        "Test",
        2,
    )
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], vec![0.1f32, 1000.0]);
    assert_eq!(rows[1][0], 0.652016282081604f64 as f32);
    assert!(rows[1][1].is_sign_negative());
}
