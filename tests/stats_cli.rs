//! End-to-end: `kdbench compare`, `gate` and `leaderboard` on the golden statistics files
//! (computed with SciPy, statsmodels and rliable) and on constructed regressions.
mod common;
use common::*;
use std::path::{Path, PathBuf};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/kd-stats/tests/data")
        .join(name)
}

/// Compares two CSV texts cell by cell: numbers within `rel` relative (or 1e-12 absolute).
fn assert_csv_close(got: &str, want: &str, rel: f64, skip_columns: &[&str]) {
    let parse = |t: &str| -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(t.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    };
    let (got, want) = (parse(got), parse(want));
    assert_eq!(got.len(), want.len(), "row count");
    let header = &want[0];
    for (g, w) in got.iter().zip(&want) {
        for (i, name) in header.iter().enumerate() {
            if skip_columns.contains(&name.as_str()) {
                continue;
            }
            let (a, b) = (&g[i], &w[i]);
            match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) => assert!(
                    (x - y).abs() <= rel * y.abs() || (x - y).abs() <= 1e-12,
                    "column {name}: {x} vs {y}"
                ),
                _ => assert_eq!(a, b, "column {name}"),
            }
        }
    }
}

#[test]
fn compare_reproduces_the_golden_tables() {
    for set in ["small", "medium"] {
        let scores = golden(&format!("scores_{set}.csv"));
        let args = [
            "compare",
            "--scores",
            scores.to_str().unwrap(),
            "--baseline",
            "kd",
            "--metric",
            "acc",
            "--format",
            "csv",
        ];
        let out = kdbench(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let want =
            std::fs::read_to_string(golden(&format!("expected_compare_{set}_acc.csv"))).unwrap();
        assert_csv_close(&stdout(&out), &want, 1e-7, &[]);

        let out = kdbench(&[&args[..], &["--aggregate"]].concat());
        assert!(out.status.success(), "{}", stderr(&out));
        let want =
            std::fs::read_to_string(golden(&format!("expected_aggregate_{set}_acc.csv"))).unwrap();
        // The golden aggregate files leave out the bootstrap CI columns (randomness-dependent).
        let got: String = stdout(&out)
            .lines()
            .map(|l| l.split(',').take(9).collect::<Vec<_>>().join(",") + "\n")
            .collect();
        assert_csv_close(&got, &want, 1e-9, &[]);
    }
}

#[test]
fn compare_rejects_a_missing_baseline_or_metric() {
    let scores = golden("scores_small.csv");
    let s = scores.to_str().unwrap();
    let out = kdbench(&[
        "compare",
        "--scores",
        s,
        "--baseline",
        "student",
        "--metric",
        "acc",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--baseline student"),
        "{}",
        stderr(&out)
    );
    let out = kdbench(&[
        "compare",
        "--scores",
        s,
        "--baseline",
        "kd",
        "--metric",
        "f1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--metric f1"), "{}", stderr(&out));
    // The same runs given twice are refused, naming both files.
    let out = kdbench(&["compare", "--scores", s, s, "--baseline", "kd"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is also in"), "{}", stderr(&out));
}

#[test]
fn compare_keeps_only_the_chosen_tasks_and_methods() {
    let dir = tempfile::tempdir().unwrap();
    let scores = dir.path().join("scores.csv");
    write_scores(
        &scores,
        &[
            ("a", "student", &[0.80, 0.81, 0.79]),
            ("a", "kd", &[0.85, 0.86, 0.84]),
            ("a", "dkd", &[0.83, 0.82, 0.84]),
            // Task b has no student runs: comparing against student fails on it...
            ("b", "kd", &[0.70, 0.71, 0.69]),
        ],
    );
    let s = scores.to_str().unwrap();
    let base = ["compare", "--scores", s, "--baseline", "student"];
    let out = kdbench(&base);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`b`"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--tasks"), "{}", stderr(&out));
    // ...and is left out with --tasks; --methods keeps the baseline implicitly.
    let out = kdbench(
        &[
            &base[..],
            &["--tasks", "a", "--methods", "kd", "--format", "csv"],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(rows[0].starts_with("a,kd,student,"), "{text}");
    // A name the scores do not have is an error listing those they have.
    let out = kdbench(&[&base[..], &["--tasks", "c"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--tasks c"), "{}", stderr(&out));
    assert!(stderr(&out).contains("a, b"), "{}", stderr(&out));
}

fn write_scores(path: &Path, rows: &[(&str, &str, &[f64])]) {
    let mut text = String::from("suite,task,method,seed,metric,value\n");
    for (task, method, values) in rows {
        for (seed, v) in values.iter().enumerate() {
            text.push_str(&format!("s,{task},{method},{seed},best_acc,{v}\n"));
        }
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn gate_flags_a_real_drop_and_passes_noise() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference.csv");
    let current = dir.path().join("current.csv");
    let base: &[f64] = &[0.900, 0.905, 0.898, 0.903, 0.901];
    write_scores(&reference, &[("t", "kd", base), ("t", "student", base)]);
    // kd dropped by about 3 points; student moved within noise.
    write_scores(
        &current,
        &[
            ("t", "kd", &[0.870, 0.874, 0.868, 0.872, 0.871]),
            ("t", "student", &[0.902, 0.899, 0.904, 0.900, 0.903]),
        ],
    );
    let args = [
        "gate",
        "--current",
        current.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
    ];
    let out = kdbench(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l.starts_with("t ") && l.contains(" kd ") && l.ends_with("REGRESSION")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains(" student ") && l.ends_with("ok")),
        "{text}"
    );
    // A minimum drop larger than the drop lets it pass.
    let mut lenient = args.to_vec();
    lenient.extend_from_slice(&["--min-drop", "0.05"]);
    assert_eq!(kdbench(&lenient).status.code(), Some(0));
    // Identical scores never regress.
    let same = kdbench(&[
        "gate",
        "--current",
        reference.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
    // A method that vanished from the current scores (its data gone, its runs failed) fails
    // the gate too.
    let partial = dir.path().join("partial.csv");
    write_scores(&partial, &[("t", "student", base)]);
    let out = kdbench(&[
        "gate",
        "--current",
        partial.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("missing: t/kd"), "{}", stdout(&out));
}

/// A scores file where kd (0.85 ± 0.01) beats student (0.80 ± 0.01) on one task, 3 seeds.
fn two_method_scores(dir: &Path) -> PathBuf {
    let scores = dir.join("scores.csv");
    write_scores(
        &scores,
        &[
            ("t", "student", &[0.80, 0.81, 0.79]),
            ("t", "kd", &[0.85, 0.86, 0.84]),
        ],
    );
    scores
}

#[test]
fn leaderboard_ranks_methods_with_cis() {
    let dir = tempfile::tempdir().unwrap();
    let scores = two_method_scores(dir.path());
    let out = kdbench(&[
        "leaderboard",
        "--scores",
        scores.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "task,metric,method,n,mean,std,ci95_low,ci95_high,rank,baseline,diff,welch_p,holm_p,mwu_p,hedges_g,prob_improvement");
    assert!(
        lines[1].starts_with("t,best_acc,kd,3,0.85,") && lines[1].contains(",1.0,student,"),
        "{text}"
    );
    let md = stdout(&kdbench(&[
        "leaderboard",
        "--scores",
        scores.to_str().unwrap(),
    ]));
    assert!(md.contains("| 1 | kd | 3 | 0.8500 ± 0.0100 |"), "{md}");
}

#[test]
fn plot_writes_svg_and_png_figures() {
    let dir = tempfile::tempdir().unwrap();
    let scores = two_method_scores(dir.path());
    let out = dir.path().join("figs");
    let result = kdbench(&[
        "plot",
        "--scores",
        scores.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    for figure in [
        "task_means_best_acc",
        "aggregate_iqm_best_acc",
        "performance_profile_best_acc",
        "prob_improvement_best_acc",
    ] {
        let png = std::fs::read(out.join(format!("{figure}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{figure}");
        let svg = std::fs::read_to_string(out.join(format!("{figure}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("kd"), "{figure}");
    }
    let bad = kdbench(&[
        "plot",
        "--scores",
        scores.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--metrics",
        "f1",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}

/// Results from another framework, written in the scores.csv schema, join kdbench's own when
/// their task and seeds line up; a missing seed is a usage error naming both files.
#[test]
fn outside_scores_join_when_seeds_line_up() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.csv");
    let theirs = dir.path().join("theirs.csv");
    let header = "suite,task,method,seed,metric,value\n";
    let mut text = header.to_string();
    for (seed, acc) in [(0, 0.90), (1, 0.91), (2, 0.89)] {
        text.push_str(&format!("s,mnist-lenet,student,{seed},best_acc,{acc}\n"));
    }
    std::fs::write(&ours, text).unwrap();
    let mut text = header.to_string();
    for (seed, acc) in [(0, 0.95), (1, 0.96), (2, 0.94)] {
        text.push_str(&format!(
            "elsewhere,mnist-lenet,my_method,{seed},best_acc,{acc}\n"
        ));
    }
    std::fs::write(&theirs, &text).unwrap();
    let (o, t) = (ours.to_str().unwrap(), theirs.to_str().unwrap());
    let out = kdbench(&[
        "compare",
        "--scores",
        o,
        t,
        "--baseline",
        "student",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("my_method"), "{}", stdout(&out));

    let short = dir.path().join("short.csv");
    std::fs::write(
        &short,
        text.lines().take(3).collect::<Vec<_>>().join("\n") + "\n",
    )
    .unwrap();
    let out = kdbench(&[
        "compare",
        "--scores",
        o,
        short.to_str().unwrap(),
        "--baseline",
        "student",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.contains("short.csv") && message.contains("ours.csv") && message.contains("[2]"),
        "{message}"
    );
}
