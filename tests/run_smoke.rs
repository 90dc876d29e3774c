//! End-to-end: `kdbench run` on the smoke suite writes the documented files, learns for
//! real, is deterministic, and resumes without redoing or duplicating runs.
mod common;
use common::*;

const QUICK: &[&str] = &["run", "--suite", "smoke", "--set", "epochs=3"];

fn quick_run(out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<&str> = QUICK.to_vec();
    args.extend_from_slice(&["--out", out.to_str().unwrap()]);
    args.extend_from_slice(extra);
    kdbench(&args)
}

#[test]
fn writes_the_documented_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = quick_run(dir.path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    let (header, runs) = read_csv(&dir.path().join("runs.csv"));
    assert_eq!(
        header.join(","),
        "run_id,suite,task,method,seed,status,config_hash,device,seconds,started_at,git_rev,params_student,params_teacher,message"
    );
    assert_eq!(runs.len(), 9, "3 methods x 3 seeds");
    assert!(runs.iter().all(|r| r[5] == "ok" && r[7] == "cpu"));
    // Parameter counts: teacher 64-512-512-10, student 64-16-10.
    let teacher_params = (64 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10).to_string();
    let student_params = (64 * 16 + 16 + 16 * 10 + 10).to_string();
    for r in &runs {
        match r[3].as_str() {
            "teacher" => assert_eq!(
                (r[11].as_str(), r[12].as_str()),
                ("", teacher_params.as_str())
            ),
            "student" => assert_eq!(
                (r[11].as_str(), r[12].as_str()),
                (student_params.as_str(), "")
            ),
            _ => assert_eq!((&r[11], &r[12]), (&student_params, &teacher_params)),
        }
    }

    let (header, scores) = read_csv(&dir.path().join("scores.csv"));
    assert_eq!(header.join(","), "suite,task,method,seed,metric,value");
    assert_eq!(scores.len(), 9 * 5);
    for metric in [
        "best_acc",
        "final_acc",
        "best_errors",
        "final_errors",
        "best_epoch",
    ] {
        assert_eq!(
            scores.iter().filter(|r| r[4] == metric).count(),
            9,
            "{metric}"
        );
    }

    let (header, curves) = read_csv(&dir.path().join("curves.csv"));
    assert_eq!(
        header.join(","),
        "suite,task,method,seed,step,split,metric,value"
    );
    // 3 epochs x 6 (split, metric) pairs per trained model; kd also logs its teacher.
    assert_eq!(curves.len(), 3 * 6 * (3 + 3 + 3 * 2));
    assert!(curves.iter().any(|r| r[2] == "kd" && r[5] == "teacher/val"));

    let configs = std::fs::read_dir(dir.path().join("config"))
        .unwrap()
        .count();
    assert_eq!(configs, 9);
}

#[test]
fn the_smoke_suite_learns() {
    let dir = tempfile::tempdir().unwrap();
    let out = kdbench(&[
        "run",
        "--suite",
        "smoke",
        "--seeds",
        "0",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (method, _, acc) in metric_values(&dir.path().join("scores.csv"), "best_acc") {
        // Chance is 10%; the documented bar is well above 90%.
        assert!(acc > 0.9, "{method}: best_acc {acc}");
    }
}

#[test]
fn the_same_seed_gives_the_same_scores() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for dir in [&a, &b] {
        let out = quick_run(dir.path(), &["--seeds", "1", "--methods", "student,kd"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let sa = metric_values(&a.path().join("scores.csv"), "final_acc");
    let sb = metric_values(&b.path().join("scores.csv"), "final_acc");
    assert_eq!(sa.len(), 2);
    assert_eq!(sa, sb);
    let (_, ca) = read_csv(&a.path().join("curves.csv"));
    let (_, cb) = read_csv(&b.path().join("curves.csv"));
    assert_eq!(ca, cb, "learning curves differ between identical runs");
}

#[test]
fn resume_redoes_only_unfinished_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = quick_run(dir.path(), &["--seeds", "0..2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let runs_path = dir.path().join("runs.csv");
    let (_, first) = read_csv(&runs_path);
    assert_eq!(first.len(), 6);

    // Simulate a crash: the last run's row is lost mid-write (a torn line).
    let text = std::fs::read_to_string(&runs_path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let lost = lines.pop().unwrap().to_string();
    let torn = format!("{}\n{}", lines.join("\n"), &lost[..lost.len() / 2]);
    std::fs::write(&runs_path, torn).unwrap();

    // Without --resume nothing is touched.
    let refused = quick_run(dir.path(), &["--seeds", "0..3"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--resume"));

    let out = quick_run(dir.path(), &["--seeds", "0..3", "--resume"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (_, runs) = read_csv(&runs_path);
    // 5 kept + the lost one redone + 3 new for seed 2.
    assert_eq!(runs.len(), 9);
    let mut cells: Vec<(String, String)> =
        runs.iter().map(|r| (r[3].clone(), r[4].clone())).collect();
    cells.sort();
    cells.dedup();
    assert_eq!(cells.len(), 9, "a run appears twice");
    for kept in &first[..5] {
        assert!(runs.contains(kept), "finished run {} was redone", kept[0]);
    }
    let (_, scores) = read_csv(&dir.path().join("scores.csv"));
    assert_eq!(scores.len(), 9 * 5, "scores duplicated or missing");

    // Resuming a finished suite does nothing.
    let again = quick_run(dir.path(), &["--seeds", "0..3", "--resume"]);
    assert!(again.status.success());
    assert!(
        stderr(&again).contains("9 already done"),
        "{}",
        stderr(&again)
    );
    assert_eq!(read_csv(&runs_path).1.len(), 9);
}
