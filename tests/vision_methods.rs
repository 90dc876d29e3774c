//! End-to-end: every built-in classification method of the `vision` suite runs on real
//! MNIST (a small budget) and learns; runs in parallel jobs are reproducible.
mod common;
use common::*;

#[test]
fn every_vision_method_learns_mnist_on_a_small_budget() {
    let fetch = kdbench(&["data", "fetch", "mnist"]);
    assert!(fetch.status.success(), "fetching MNIST: {}", stderr(&fetch));
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("r");
    let run = kdbench(&[
        "run",
        "--suite",
        "vision",
        "--tasks",
        "mnist-lenet",
        "--seeds",
        "0",
        "--set",
        "epochs=2",
        "--set",
        "train_limit=2000",
        "--set",
        "lr=0.005",
        "--jobs",
        "2",
        "--out",
        results.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (header, runs) = read_csv(&results.join("runs.csv"));
    let status = header.iter().position(|h| h == "status").unwrap();
    assert_eq!(runs.len(), 15, "one run per method");
    for row in &runs {
        assert_eq!(row[status], "ok", "{row:?}");
    }
    let values = metric_values(&results.join("scores.csv"), "final_acc");
    let methods: Vec<&str> = values.iter().map(|(m, _, _)| m.as_str()).collect();
    for method in [
        "fitnet",
        "isls",
        "born_again",
        "cont_kd",
        "dwt",
        "ctcd:small",
        "ctcd:large",
    ] {
        assert!(
            methods.contains(&method),
            "{method} missing from {methods:?}"
        );
    }
    // 2,000 images, two epochs of LeNet-5: every method is far above chance (10%).
    for (method, _, acc) in &values {
        assert!(*acc > 0.6, "{method}: final_acc {acc}");
    }
    // The co-trained pair reports each side's own parameter count; the weak-teacher method
    // trains the large architecture.
    let params = header.iter().position(|h| h == "params_student").unwrap();
    let method = header.iter().position(|h| h == "method").unwrap();
    let count = |name: &str| -> u64 {
        let row = runs.iter().find(|r| r[method] == name).unwrap();
        row[params].parse().unwrap()
    };
    assert!(count("ctcd:large") > count("ctcd:small"));
    assert_eq!(count("ctcd:small"), count("student"));
    assert_eq!(count("dwt"), count("ctcd:large"));
    // Learning curves carry the other models under their roles.
    let (_, curves) = read_csv(&results.join("curves.csv"));
    let has = |m: &str, split: &str| curves.iter().any(|r| r[2] == m && r[5] == split);
    assert!(has("ctcd:small", "peer/test"));
    assert!(has("born_again", "gen0/test") && has("born_again", "gen1/test"));
    assert!(has("multi_teacher", "teacher3/test"));
    assert!(has("dwt", "weak_teacher/test"));
}

/// Each run is its own process, so libtorch's global generator is not shared between parallel
/// runs: two jobs give exactly the scores of one job (same threads per run).
#[test]
fn parallel_jobs_reproduce_sequential_scores() {
    let out = tempfile::tempdir().unwrap();
    let run = |jobs: &str, threads: &str, dir: &str| {
        let results = out.path().join(dir);
        let result = kdbench(&[
            "run",
            "--suite",
            "smoke",
            "--seeds",
            "0,1",
            "--methods",
            "student,kd",
            "--set",
            "epochs=8",
            "--jobs",
            jobs,
            "--threads",
            threads,
            "--out",
            results.to_str().unwrap(),
        ]);
        assert!(result.status.success(), "{}", stderr(&result));
        let (_, mut rows) = read_csv(&results.join("scores.csv"));
        rows.sort();
        rows
    };
    let sequential = run("1", "1", "one");
    let parallel = run("2", "2", "two");
    assert!(!sequential.is_empty());
    assert_eq!(sequential, parallel);
}

/// With one teacher shared by every seed and two jobs, the second job runs the students
/// (which need no teacher) while the first trains the teacher, instead of waiting for it.
#[test]
fn a_second_job_runs_the_students_while_the_shared_teacher_trains() {
    let out = tempfile::tempdir().unwrap();
    let result = kdbench(&[
        "run",
        "--suite",
        "smoke",
        "--set",
        "shared_teacher=true",
        "--set",
        "teacher_epochs=150",
        "--jobs",
        "2",
        "--threads",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    // runs.csv rows are appended as runs finish.
    let (header, rows) = read_csv(&out.path().join("runs.csv"));
    let method = header.iter().position(|h| h == "method").unwrap();
    let order: Vec<&str> = rows.iter().map(|r| r[method].as_str()).collect();
    assert_eq!(order.len(), 9, "{order:?}");
    let first_teacher = order.iter().position(|m| *m == "teacher").unwrap();
    let last_student = order.iter().rposition(|m| *m == "student").unwrap();
    assert!(last_student < first_teacher, "finish order: {order:?}");
}
