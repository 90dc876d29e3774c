//! Golden tests against the statistics reference files (copied byte-for-byte
//! into `tests/data/`): compare and aggregate tables, Mann–Whitney method
//! choice, bootstrap IQM CIs and rliable's own example.

use std::collections::HashMap;
use std::path::PathBuf;

use kd_stats::aggregate::{
    aggregate_iqm, aggregate_mean, aggregate_median, aggregate_optimality_gap, iqm_bootstrap_ci,
    probability_of_improvement, probability_of_improvement_per_task,
};
use kd_stats::{compare, AggregateRow, CompareOptions, CompareRow, ScoreMatrix, ScoreRecord};
use serde_json::Value;

fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(data_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Simple CSV (no quoting in these files): header + rows as maps.
fn read_csv(name: &str) -> (Vec<String>, Vec<HashMap<String, String>>) {
    let text = read(name);
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{name}: {l}");
            header
                .iter()
                .cloned()
                .zip(cells.iter().map(|c| c.to_string()))
                .collect()
        })
        .collect();
    (header, rows)
}

/// Loads a scores file the way the CLI does: first six columns fixed, extra
/// columns ignored, only rows of `metric`.
fn load_scores(name: &str, metric: &str) -> Vec<ScoreRecord> {
    let (header, rows) = read_csv(name);
    assert_eq!(
        &header[..6],
        &["suite", "task", "method", "seed", "metric", "value"]
    );
    rows.iter()
        .filter(|r| r["metric"] == metric)
        .map(|r| ScoreRecord {
            task: r["task"].clone(),
            method: r["method"].clone(),
            seed: r["seed"].parse().unwrap(),
            value: r["value"].parse().unwrap(),
        })
        .collect()
}

fn cases() -> Vec<Value> {
    let v: Value = serde_json::from_str(&read("cases.json")).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn parse_f(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a float: {s}"))
}

/// Tolerance of a column, from the README: (relative, absolute); `None` means
/// the textual value must match exactly.
fn tolerance(column: &str) -> Option<(f64, f64)> {
    match column {
        "task" | "method" | "baseline" | "metric" | "n" | "baseline_n" | "tasks" => None,
        "mwu_u" => Some((0.0, 0.0)),
        "prob_improvement" | "prob_improvement_vs_baseline" | "avg_rank" => Some((1e-12, 0.0)),
        "mean" | "std" | "baseline_mean" | "iqm" | "median" | "optimality_gap" | "welch_df"
        | "ci95_low" | "ci95_high" => Some((1e-9, 0.0)),
        "diff" | "welch_t" | "hedges_g" => Some((1e-9, 1e-12)),
        "welch_p" | "mwu_p" | "holm_p" => Some((1e-7, 1e-12)),
        other => panic!("no tolerance for column {other}"),
    }
}

fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    if want.is_nan() {
        return got.is_nan();
    }
    if want.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= (rel * want.abs()).max(abs)
}

/// Checks every column of `got` (rendered cells) against `want`; returns the
/// worst relative error seen per column for the report.
fn check_row(
    file: &str,
    header: &[String],
    got_cells: &[String],
    want: &HashMap<String, String>,
    worst: &mut HashMap<String, f64>,
) {
    for (col, cell) in header.iter().zip(got_cells) {
        let expected = &want[col];
        match tolerance(col) {
            None => assert_eq!(cell, expected, "{file}: column {col}"),
            Some((rel, abs)) => {
                let (g, w) = (parse_f(cell), parse_f(expected));
                assert!(
                    close(g, w, rel, abs),
                    "{file}: column {col}: got {cell}, expected {expected} (row {want:?})"
                );
                let e = if w == 0.0 {
                    (g - w).abs()
                } else {
                    ((g - w) / w).abs()
                };
                let slot = worst.entry(col.clone()).or_insert(0.0);
                *slot = slot.max(e);
            }
        }
    }
}

#[test]
fn compare_tables_match_reference() {
    for case in cases() {
        let scores = case["scores"].as_str().unwrap();
        let baseline = case["baseline"].as_str().unwrap();
        let metric = case["metric"].as_str().unwrap();
        let file = case["expected_compare"].as_str().unwrap();
        let records = load_scores(scores, metric);
        let opts = CompareOptions {
            aggregate: false,
            ..CompareOptions::default()
        };
        let report = compare(&records, baseline, metric, &opts).unwrap();
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        let (header, rows) = read_csv(file);
        assert_eq!(header, CompareRow::HEADER.to_vec(), "{file} header");
        assert_eq!(report.rows.len(), rows.len(), "{file} row count");
        let mut worst = HashMap::new();
        for (row, want) in report.rows.iter().zip(&rows) {
            check_row(file, &header, &row.to_strings(), want, &mut worst);
        }
        let mut worst: Vec<_> = worst.into_iter().collect();
        worst.sort_by(|a, b| a.0.cmp(&b.0));
        println!("{file}: worst relative error per column: {worst:?}");
    }
}

#[test]
fn mwu_method_choice_matches_scipy_auto() {
    for case in cases() {
        let records = load_scores(case["scores"].as_str().unwrap(), "acc");
        let opts = CompareOptions {
            aggregate: false,
            ..CompareOptions::default()
        };
        let report = compare(&records, case["baseline"].as_str().unwrap(), "acc", &opts).unwrap();
        let file = case["mwu_method"].as_str().unwrap();
        let (_, rows) = read_csv(file);
        assert_eq!(report.rows.len(), rows.len());
        for (row, want) in report.rows.iter().zip(&rows) {
            assert_eq!((&row.task, &row.method), (&want["task"], &want["method"]));
            assert_eq!(row.n.to_string(), want["n"]);
            assert_eq!(row.baseline_n.to_string(), want["baseline_n"]);
            assert_eq!(
                row.mwu_method.as_str(),
                want["mwu_method"],
                "{file} {want:?}"
            );
            let ties = if row.mwu_pooled_ties { "yes" } else { "no" };
            assert_eq!(ties, want["combined_ties"], "{file} {want:?}");
        }
    }
}

#[test]
fn aggregate_tables_match_reference() {
    for case in cases() {
        let scores = case["scores"].as_str().unwrap();
        let baseline = case["baseline"].as_str().unwrap();
        let metric = case["metric"].as_str().unwrap();
        let file = case["expected_aggregate"].as_str().unwrap();
        let records = load_scores(scores, metric);
        let opts = CompareOptions {
            bootstrap_reps: 2_000,
            bootstrap_seed: 11,
            ..CompareOptions::default()
        };
        let report = compare(&records, baseline, metric, &opts).unwrap();
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        let (header, rows) = read_csv(file);
        // The reference omits the two bootstrap columns; the rest is in order.
        assert_eq!(header, AggregateRow::HEADER[..9].to_vec(), "{file} header");
        assert_eq!(report.aggregates.len(), rows.len());
        let mut worst = HashMap::new();
        for (row, want) in report.aggregates.iter().zip(&rows) {
            let cells = row.to_strings();
            check_row(file, &header, &cells[..9], want, &mut worst);
            assert!(
                row.iqm_ci95_low < row.iqm && row.iqm < row.iqm_ci95_high,
                "{row:?}"
            );
        }
        println!("{file}: worst relative error per column: {worst:?}");
    }
}

/// Runs × tasks matrix of one method (tasks sorted, runs by seed).
fn method_matrix(records: &[ScoreRecord], method: &str, tasks: &[String]) -> ScoreMatrix {
    let columns = tasks
        .iter()
        .map(|t| {
            let mut runs: Vec<(i64, f64)> = records
                .iter()
                .filter(|r| &r.task == t && r.method == method)
                .map(|r| (r.seed, r.value))
                .collect();
            runs.sort_by_key(|r| r.0);
            runs.into_iter().map(|r| r.1).collect()
        })
        .collect();
    ScoreMatrix::from_task_columns(columns).unwrap()
}

#[test]
fn bootstrap_iqm_ci_matches_rliable() {
    let reference: Value = serde_json::from_str(&read("bootstrap_iqm_ci_medium_acc.json")).unwrap();
    let records = load_scores(reference["scores"].as_str().unwrap(), "acc");
    let tasks: Vec<String> = reference["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    let reps = reference["reps"].as_u64().unwrap() as usize;
    let tol = reference["recommended_tolerance_abs"].as_f64().unwrap();
    assert_eq!(tol, 0.0005);
    for (method, want) in reference["methods"].as_object().unwrap() {
        let s = method_matrix(&records, method, &tasks);
        let iqm = aggregate_iqm(&s);
        assert!((iqm - want["iqm"].as_f64().unwrap()).abs() < 1e-12);
        let (lo, hi) = iqm_bootstrap_ci(&s, reps, 20240611, 0.95);
        let (wlo, whi) = (
            want["ci95_low"].as_f64().unwrap(),
            want["ci95_high"].as_f64().unwrap(),
        );
        println!("{method}: ci [{lo}, {hi}] vs rliable [{wlo}, {whi}]");
        assert!((lo - wlo).abs() <= tol, "{method} low {lo} vs {wlo}");
        assert!((hi - whi).abs() <= tol, "{method} high {hi} vs {whi}");
        assert!(lo < iqm && iqm < hi, "{method}: {lo} < {iqm} < {hi}");
    }
}

#[test]
fn bootstrap_default_reps_is_fast_enough_and_close() {
    // The user default (10,000 reps) stays within the brief's ±0.01, and is
    // still within ±0.001 of rliable's 50,000-rep interval here.
    let reference: Value = serde_json::from_str(&read("bootstrap_iqm_ci_medium_acc.json")).unwrap();
    let records = load_scores("scores_medium.csv", "acc");
    let report = compare(&records, "kd", "acc", &CompareOptions::default()).unwrap();
    for row in &report.aggregates {
        let want = &reference["methods"][&row.method];
        let (wlo, whi) = (
            want["ci95_low"].as_f64().unwrap(),
            want["ci95_high"].as_f64().unwrap(),
        );
        assert!((row.iqm_ci95_low - wlo).abs() <= 0.001, "{row:?}");
        assert!((row.iqm_ci95_high - whi).abs() <= 0.001, "{row:?}");
    }
}

#[test]
fn rliable_golden_example() {
    let g: Value = serde_json::from_str(&read("rliable_golden.json")).unwrap();
    let matrix = |key: &str| {
        let rows: Vec<Vec<f64>> = g[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect()
            })
            .collect();
        ScoreMatrix::from_rows(&rows).unwrap()
    };
    let (x, y) = (matrix("x"), matrix("y"));
    let e = &g["expected"];
    let f = |k: &str| e[k].as_f64().unwrap();
    let checks = [
        ("aggregate_mean_x", aggregate_mean(&x)),
        ("aggregate_median_x", aggregate_median(&x)),
        ("aggregate_iqm_x", aggregate_iqm(&x)),
        ("optimality_gap_gamma1_x", aggregate_optimality_gap(&x, 1.0)),
        ("aggregate_mean_y", aggregate_mean(&y)),
        ("aggregate_median_y", aggregate_median(&y)),
        ("aggregate_iqm_y", aggregate_iqm(&y)),
        ("optimality_gap_gamma1_y", aggregate_optimality_gap(&y, 1.0)),
        ("optimality_gap_gamma2_y", aggregate_optimality_gap(&y, 2.0)),
        (
            "probability_of_improvement_x_over_y",
            probability_of_improvement(&x, &y),
        ),
        (
            "probability_of_improvement_y_over_x",
            probability_of_improvement(&y, &x),
        ),
    ];
    for (key, got) in checks {
        let want = f(key);
        assert!(
            (got - want).abs() <= 1e-15 * want.abs().max(1.0),
            "{key}: {got} vs {want}"
        );
    }
    let per_task = probability_of_improvement_per_task(&x, &y);
    let want: Vec<f64> = e["probability_of_improvement_per_task_x_over_y"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(per_task.len(), want.len());
    for (a, b) in per_task.iter().zip(&want) {
        assert!((a - b).abs() < 1e-15);
    }
    // Exact rational forms listed alongside.
    assert_eq!(aggregate_optimality_gap(&y, 2.0), 2.0 - 5.0 / 3.0);
    assert_eq!(probability_of_improvement(&x, &x), 0.5);
}

#[test]
fn data_files_are_the_reference_copies() {
    // Guards against accidental edits: every file named in cases.json exists
    // and the scores files keep the README's documented shape.
    let manifest: Value = serde_json::from_str(&read("cases.json")).unwrap();
    for case in manifest["cases"].as_array().unwrap() {
        for key in [
            "scores",
            "expected_compare",
            "expected_aggregate",
            "mwu_method",
        ] {
            assert!(data_path(case[key].as_str().unwrap()).is_file(), "{key}");
        }
    }
    assert_eq!(load_scores("scores_small.csv", "acc").len(), 2 * 3 * 5);
    assert_eq!(load_scores("scores_medium.csv", "acc").len(), 4 * 4 * 10);
    assert!(load_scores("scores_medium.csv", "f1").is_empty());
}
