//! End-to-end on a real Slurm: `scripts/slurm-test.sh` starts a throwaway single-node cluster
//! on loopback, runs the smoke suite through `kdbench slurm --submit` (3 array tasks and a
//! dependent merge job) and compares it with an unsharded run; this test then checks the
//! merged folder row by row. Where Slurm is not installed or cannot start here, the test
//! prints why and passes, unless `KDBENCH_REQUIRE_SLURM=1` (set by `.ci/run`, which installs
//! Slurm), where that is a failure.
mod common;
use common::*;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

/// A port P with P and P + 1 free on 127.0.0.1 (slurmctld and slurmd).
fn free_port_pair() -> u16 {
    (16817..17817)
        .step_by(2)
        .find(|&p| {
            TcpListener::bind(("127.0.0.1", p)).is_ok()
                && TcpListener::bind(("127.0.0.1", p + 1)).is_ok()
        })
        .expect("a free pair of ports on 127.0.0.1")
}

#[test]
fn a_suite_runs_as_a_slurm_job_array_and_merges_like_an_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/slurm-test.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_kdbench"))
        .env("SLURM_TEST_PORT", free_port_pair().to_string())
        .env("SLURM_TEST_OUT", dir.path())
        .output()
        .expect("bash runs");
    let (stdout, stderr) = (stdout(&out), stderr(&out));
    if out.status.code() == Some(77) {
        let reason = stderr
            .lines()
            .find_map(|l| l.strip_prefix("skip: "))
            .unwrap_or("(no reason given)");
        assert!(
            std::env::var("KDBENCH_REQUIRE_SLURM").as_deref() != Ok("1"),
            "KDBENCH_REQUIRE_SLURM=1 but the Slurm test cannot run: {reason}\n{stderr}"
        );
        eprintln!("SKIPPED the Slurm test: {reason}");
        return;
    }
    assert!(
        out.status.success(),
        "scripts/slurm-test.sh failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    eprintln!("{}", stdout.lines().last().unwrap_or_default());
    assert!(
        stdout.contains("shards_job=") && stdout.contains("merge_job="),
        "{stdout}"
    );

    let slurm = dir.path().join("slurm");
    let merged = slurm.join("merged");
    assert_same_results(&merged, &dir.path().join("whole"));
    // Each array task ran its own shard: 3 shards holding 2 runs each, every one ok.
    for i in 0..3 {
        let (_, runs) = read_csv(&slurm.join(format!("shard-{i}/runs.csv")));
        assert_eq!(runs.len(), 2, "shard {i}");
        assert!(runs.iter().all(|r| r[5] == "ok"), "shard {i}: {runs:?}");
        let log = std::fs::read_to_string(slurm.join(format!("logs/shard-{i}.out"))).unwrap();
        assert!(log.contains("2 ok"), "shard {i} log:\n{log}");
    }
    let log = std::fs::read_to_string(slurm.join("logs/merge.out")).unwrap();
    assert!(log.contains("6 runs from 3 shards"), "merge log:\n{log}");
    assert!(merged.join("leaderboard.md").is_file());
}
