//! End-to-end: bad input exits with status 2 and a message naming the file or key, and
//! never damages results already written.
mod common;
use common::*;

#[test]
fn bad_suites_methods_and_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let suite = dir.path().join("broken.toml");
    std::fs::write(&suite, "tasks = ['digits-mlp'\nmethods = ['kd']").unwrap();
    expect_bad(
        &["run", "--suite", suite.to_str().unwrap(), "--out", out],
        "broken.toml: not valid TOML",
    );
    std::fs::write(&suite, "tasks = ['digits-mlp']\nmethods = ['kdd']").unwrap();
    expect_bad(
        &["run", "--suite", suite.to_str().unwrap(), "--out", out],
        "unknown method 'kdd'",
    );
    std::fs::write(&suite, "tasks = ['nope']\nmethods = ['kd']").unwrap();
    expect_bad(
        &["run", "--suite", suite.to_str().unwrap(), "--out", out],
        "unknown task 'nope'",
    );
    std::fs::write(
        &suite,
        "tasks = ['digits-mlp']\nmethods = ['kd']\n[task.digits-mlp]\nepocs = 3",
    )
    .unwrap();
    expect_bad(
        &["run", "--suite", suite.to_str().unwrap(), "--out", out],
        "task.digits-mlp.epocs: unknown key",
    );
    expect_bad(
        &["run", "--suite", "nosuch", "--out", out],
        "unknown suite 'nosuch'",
    );
    expect_bad(
        &["run", "--suite", "smoke", "--out", out, "--set", "epochz=2"],
        "epochz",
    );
    expect_bad(
        &[
            "run",
            "--suite",
            "smoke",
            "--out",
            out,
            "--set",
            "epochs=fast",
        ],
        "epochs: expected an integer",
    );
    expect_bad(
        &[
            "run",
            "--suite",
            "smoke",
            "--out",
            out,
            "--set",
            "optimizer=rmsprop",
        ],
        "optimizer",
    );
    expect_bad(
        &[
            "run",
            "--suite",
            "smoke",
            "--out",
            out,
            "--set",
            "method.kd.losses.kd.temperature=-1",
        ],
        "temperature",
    );
    expect_bad(
        &["run", "--suite", "smoke", "--out", out, "--methods", "dkd"],
        "--methods: 'dkd'",
    );
    expect_bad(
        &["run", "--suite", "smoke", "--out", out, "--seeds", "5..1"],
        "--seeds",
    );
    expect_bad(
        &["run", "--suite", "smoke", "--out", out, "--shard", "3/3"],
        "--shard",
    );
    expect_bad(
        &["run", "--suite", "smoke", "--out", out, "--device", "tpu"],
        "--device",
    );
    assert!(
        !std::path::Path::new(out).join("runs.csv").exists(),
        "bad input must fail before writing"
    );
}

#[test]
fn an_unwritable_out_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "keep me").unwrap();
    let out = file.join("results");
    expect_bad(
        &["run", "--suite", "smoke", "--out", out.to_str().unwrap()],
        "--out",
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

#[test]
fn existing_results_are_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let first = kdbench(&[
        "run",
        "--suite",
        "smoke",
        "--out",
        out,
        "--seeds",
        "0",
        "--methods",
        "student",
        "--set",
        "epochs=1",
    ]);
    assert!(first.status.success(), "{}", stderr(&first));
    let before: Vec<String> = ["runs.csv", "scores.csv", "curves.csv"]
        .iter()
        .map(|f| std::fs::read_to_string(dir.path().join(f)).unwrap())
        .collect();
    // Without --resume: refused. With --resume but another config: refused.
    expect_bad(
        &[
            "run",
            "--suite",
            "smoke",
            "--out",
            out,
            "--seeds",
            "0",
            "--methods",
            "student",
            "--set",
            "epochs=1",
        ],
        "--resume",
    );
    expect_bad(
        &[
            "run",
            "--suite",
            "smoke",
            "--out",
            out,
            "--seeds",
            "0",
            "--methods",
            "student",
            "--set",
            "epochs=2",
            "--resume",
        ],
        "config",
    );
    let after: Vec<String> = ["runs.csv", "scores.csv", "curves.csv"]
        .iter()
        .map(|f| std::fs::read_to_string(dir.path().join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
}

#[test]
fn list_prints_one_entry_per_line() {
    for (what, expected) in [
        ("suites", "smoke"),
        ("tasks", "digits-mlp"),
        ("methods", "kd"),
    ] {
        let out = kdbench(&["list", what]);
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().next() == Some(expected)),
            "{what}: {text}"
        );
        assert!(
            text.lines().all(|l| l.split_whitespace().count() >= 2),
            "{what} needs descriptions: {text}"
        );
    }
    assert_eq!(kdbench(&["list", "things"]).status.code(), Some(2));
}
