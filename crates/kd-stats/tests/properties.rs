//! Property tests (proptest) for kd-stats: invariances, bounds and symmetries
//! of the compare / aggregate tables and the regression gate, task-metric
//! invariants, and the `py_repr` round trip.
//!
//! Generated data looks like real benchmark output: 1–4 tasks, 2–4 methods
//! (the baseline anywhere in byte order), 2–12 seeds per `(task, method)`
//! with an occasional single run, scores with 4 decimals, and three value
//! modes: a fine grid (ties rare), a coarse grid of 9 values (many ties, often
//! constant samples) and a 2-value grid (`0.75`/`0.8`, so constant samples and
//! non-dyadic constants are common). Non-baseline methods are missing from a
//! task now and then, which exercises the "k of n tasks" aggregate path.
//!
//! Exactness policy (what "unchanged" means below):
//! - **Bit-identical** whenever the computation sees the same numbers in the
//!   same order. `compare` groups records into `task → method → seed` sorted
//!   maps, so *shuffling input rows* changes no summation order: every field
//!   (bootstrap CIs included) must be bit-identical, NaN matching NaN.
//!   Likewise renaming methods with the byte order kept, and the rows/aggregates
//!   that adding an unrelated task does not touch.
//! - **Tolerance** only where the summation order really changes: relabelling
//!   the seeds of a sample permutes its runs, so sums (mean, variance) round
//!   differently. There means use 1e-12 relative; quantities that suffer
//!   cancellation or amplify it (`std`, `diff`, `welch_t`, `hedges_g`, CI
//!   ends, p-values) use the reference README's tolerances (1e-9 rel or 1e-12
//!   abs; p-values 1e-7 rel or 1e-12 abs). Order statistics (IQM, `mwu_u`,
//!   `prob_improvement`, `mwu_p`) stay bit-identical. The bootstrap CI and
//!   `avg_rank` are excluded there: the bootstrap resamples by run *position*,
//!   and ranks are decided by exact equality of task means, which an ulp of
//!   summation noise can make or break (the README's exact-tie rule).
//!
//! Runs are deterministic: a fixed RNG seed is used unless
//! `PROPTEST_RNG_SEED` is set; `PROPTEST_CASES` scales the case counts.

use std::collections::{BTreeMap, BTreeSet};

use kd_stats::aggregate::{
    aggregate_iqm, average_ranks, iqm_bootstrap_ci, rankdata_average, trim_mean,
};
use kd_stats::compare::{AggregateRow, CompareRow};
use kd_stats::descriptive::{mean, median};
use kd_stats::effect::probability_of_improvement;
use kd_stats::hypothesis::{holm, mann_whitney_u, u_statistic, welch_t_test};
use kd_stats::metrics::{accuracy, f1_binary, macro_f1, matthews_corrcoef, pearson, spearman};
use kd_stats::{
    compare, py_repr, regression_gate, CompareOptions, CompareReport, GateConfig, ScoreMatrix,
    ScoreRecord,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

// ---------------------------------------------------------------- config ---

/// `cases` cases (scaled by `PROPTEST_CASES` / 256 if set), fixed seed unless
/// `PROPTEST_RNG_SEED` is set, no regression files (failing cases found so
/// far are kept as regular unit tests at the end of this file).
fn config(cases: u32) -> Config {
    let mut c = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    if c.rng_seed == RngSeed::Random {
        c.rng_seed = RngSeed::Fixed(0x6b64_7374_6174);
    }
    c.failure_persistence = None;
    c
}

/// Small bootstrap so a whole `compare` costs microseconds.
fn opts() -> CompareOptions {
    CompareOptions {
        aggregate: true,
        bootstrap_reps: 64,
        bootstrap_seed: 5,
        optimality_gamma: 1.0,
    }
}

// ------------------------------------------------------------ generators ---

/// Value modes: 0 = fine grid 0.5000..=0.9500 (ties rare), 1 = 9-value grid
/// 0.6000, 0.6125, …, 0.7000 (ties, constant samples), 2 = {0.75, 0.8}.
fn value(mode: u8) -> BoxedStrategy<f64> {
    // k / 10000 with integer k is the correctly rounded double of the
    // 4-decimal string, i.e. exactly what the CSV loader would parse.
    match mode {
        0 => (5000u32..=9500).prop_map(|k| k as f64 / 10000.0).boxed(),
        1 => (0u32..=8)
            .prop_map(|k| (6000 + 125 * k) as f64 / 10000.0)
            .boxed(),
        _ => prop_oneof![Just(0.75), Just(0.8)].boxed(),
    }
}

/// Runs of one sample: 2..=12 values, 1 value one time in ten.
fn sample(mode: u8) -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![1 => Just(1usize), 9 => 2usize..=12]
        .prop_flat_map(move |n| prop::collection::vec(value(mode), n))
}

/// A sample with at least two runs.
fn sample2(mode: u8) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(value(mode), 2..=12)
}

#[derive(Debug, Clone)]
struct Dataset {
    records: Vec<ScoreRecord>,
    tasks: Vec<String>,
    methods: Vec<String>,
    baseline: String,
}

fn rec(task: &str, method: &str, seed: i64, value: f64) -> ScoreRecord {
    ScoreRecord {
        task: task.to_string(),
        method: method.to_string(),
        seed,
        value,
    }
}

/// Records of one `(task, method)` with seeds `first_seed + 7·i` (runs are
/// therefore in generation order).
fn push_runs(out: &mut Vec<ScoreRecord>, task: &str, method: &str, first_seed: i64, v: &[f64]) {
    for (i, &x) in v.iter().enumerate() {
        out.push(rec(task, method, first_seed + 7 * i as i64, x));
    }
}

fn dataset() -> impl Strategy<Value = Dataset> {
    (1usize..=4, 2usize..=4, 0u8..3)
        .prop_flat_map(|(nt, nm, mode)| {
            let cell = (prop::bool::weighted(0.85), sample(mode));
            (
                Just(nt),
                Just(nm),
                0..nm,
                prop::collection::vec(cell, nt * nm),
                -3i64..40,
            )
        })
        .prop_map(|(nt, nm, b, cells, first_seed)| {
            let tasks: Vec<String> = (0..nt).map(|t| format!("t{t}")).collect();
            let methods: Vec<String> = (0..nm).map(|m| format!("m{m}")).collect();
            let mut records = Vec::new();
            for (t, task) in tasks.iter().enumerate() {
                for (m, method) in methods.iter().enumerate() {
                    let (present, runs) = &cells[t * nm + m];
                    if *present || m == b {
                        push_runs(&mut records, task, method, first_seed, runs);
                    }
                }
            }
            Dataset {
                records,
                tasks,
                methods: methods.clone(),
                baseline: methods[b].clone(),
            }
        })
}

fn run(d: &Dataset) -> CompareReport {
    compare(&d.records, &d.baseline, "acc", &opts()).expect("generated data is valid")
}

// --------------------------------------------------------------- helpers ---

/// Bit-identical, with any NaN equal to any NaN.
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// `|a − b| <= max(rel·max(|a|,|b|), abs)`; NaN matches NaN, infinities must
/// be equal.
fn near(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= (rel * a.abs().max(b.abs())).max(abs)
}

fn in_unit(p: f64) -> bool {
    (0.0..=1.0).contains(&p)
}

/// The numeric fields of a compare row, with their names.
fn row_nums(r: &CompareRow) -> [(&'static str, f64); 16] {
    [
        ("mean", r.mean),
        ("std", r.std),
        ("ci95_low", r.ci95_low),
        ("ci95_high", r.ci95_high),
        ("baseline_mean", r.baseline_mean),
        ("diff", r.diff),
        ("welch_t", r.welch_t),
        ("welch_df", r.welch_df),
        ("welch_p", r.welch_p),
        ("mwu_u", r.mwu_u),
        ("mwu_p", r.mwu_p),
        ("holm_p", r.holm_p),
        ("hedges_g", r.hedges_g),
        ("prob_improvement", r.prob_improvement),
        ("n", r.n as f64),
        ("baseline_n", r.baseline_n as f64),
    ]
}

fn agg_nums(r: &AggregateRow) -> [(&'static str, f64); 9] {
    [
        ("tasks", r.tasks as f64),
        ("iqm", r.iqm),
        ("mean", r.mean),
        ("median", r.median),
        ("optimality_gap", r.optimality_gap),
        (
            "prob_improvement_vs_baseline",
            r.prob_improvement_vs_baseline,
        ),
        ("avg_rank", r.avg_rank),
        ("iqm_ci95_low", r.iqm_ci95_low),
        ("iqm_ci95_high", r.iqm_ci95_high),
    ]
}

/// Rows equal in every numeric field (bit-identical) and in the MWU details;
/// names are compared by the caller.
fn assert_rows_bitwise(a: &CompareRow, b: &CompareRow) -> Result<(), TestCaseError> {
    for ((name, x), (_, y)) in row_nums(a).into_iter().zip(row_nums(b)) {
        prop_assert!(same(x, y), "{name}: {x:e} vs {y:e}\n{a:?}\n{b:?}");
    }
    prop_assert_eq!(a.mwu_method, b.mwu_method);
    prop_assert_eq!(a.mwu_pooled_ties, b.mwu_pooled_ties);
    Ok(())
}

fn assert_aggs_bitwise(a: &AggregateRow, b: &AggregateRow) -> Result<(), TestCaseError> {
    for ((name, x), (_, y)) in agg_nums(a).into_iter().zip(agg_nums(b)) {
        prop_assert!(same(x, y), "{name}: {x:e} vs {y:e}\n{a:?}\n{b:?}");
    }
    Ok(())
}

/// Whole reports bit-identical (names, numbers, warnings).
fn assert_reports_bitwise(a: &CompareReport, b: &CompareReport) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.rows.len(), b.rows.len());
    for (x, y) in a.rows.iter().zip(&b.rows) {
        prop_assert_eq!(
            (&x.task, &x.method, &x.baseline),
            (&y.task, &y.method, &y.baseline)
        );
        assert_rows_bitwise(x, y)?;
    }
    prop_assert_eq!(a.aggregates.len(), b.aggregates.len());
    for (x, y) in a.aggregates.iter().zip(&b.aggregates) {
        prop_assert_eq!(&x.method, &y.method);
        assert_aggs_bitwise(x, y)?;
    }
    prop_assert_eq!(&a.warnings, &b.warnings);
    Ok(())
}

/// `task → method → runs (seed order)` of a dataset.
fn grouped(records: &[ScoreRecord]) -> BTreeMap<String, BTreeMap<String, Vec<f64>>> {
    let mut g: BTreeMap<String, BTreeMap<String, BTreeMap<i64, f64>>> = BTreeMap::new();
    for r in records {
        g.entry(r.task.clone())
            .or_default()
            .entry(r.method.clone())
            .or_default()
            .insert(r.seed, r.value);
    }
    g.into_iter()
        .map(|(t, ms)| {
            (
                t,
                ms.into_iter()
                    .map(|(m, runs)| (m, runs.into_values().collect()))
                    .collect(),
            )
        })
        .collect()
}

// ------------------------------------------------------------ invariances ---

proptest! {
    #![proptest_config(config(384))]

    /// Shuffling the input rows changes nothing, bit for bit (see the module
    /// docs: runs are ordered by seed, so no summation order changes).
    #[test]
    fn shuffling_rows_changes_nothing(
        (d, shuffled) in dataset().prop_flat_map(|d| {
            let r = d.records.clone();
            (Just(d), Just(r).prop_shuffle())
        })
    ) {
        let a = run(&d);
        let b = compare(&shuffled, &d.baseline, "acc", &opts()).unwrap();
        assert_reports_bitwise(&a, &b)?;
        // and the rows come sorted by (task, method) with byte order
        let keys: Vec<(&str, &str)> =
            a.rows.iter().map(|r| (r.task.as_str(), r.method.as_str())).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(keys, sorted);
        let methods: Vec<&str> = a.aggregates.iter().map(|r| r.method.as_str()).collect();
        let mut sorted = methods.clone();
        sorted.sort();
        prop_assert_eq!(methods, sorted);
    }

    /// Renaming methods with an order-preserving map (baseline included) only
    /// renames: every number and MWU detail is bit-identical, rows keep their
    /// positions, and the warnings are the renamed warnings.
    #[test]
    fn renaming_methods_only_renames(
        d in dataset(),
        suffixes in prop::collection::vec("[a-z_0-9]{0,6}", 4),
    ) {
        // "a…", "b…", "c…", "d…" keep the order of m0 < m1 < m2 < m3.
        let rename: BTreeMap<String, String> = d
            .methods
            .iter()
            .enumerate()
            .map(|(i, m)| (m.clone(), format!("{}{}", (b'a' + i as u8) as char, suffixes[i])))
            .collect();
        let renamed = Dataset {
            records: d
                .records
                .iter()
                .map(|r| ScoreRecord { method: rename[&r.method].clone(), ..r.clone() })
                .collect(),
            tasks: d.tasks.clone(),
            methods: d.methods.iter().map(|m| rename[m].clone()).collect(),
            baseline: rename[&d.baseline].clone(),
        };
        let (a, b) = (run(&d), run(&renamed));
        prop_assert_eq!(a.rows.len(), b.rows.len());
        for (x, y) in a.rows.iter().zip(&b.rows) {
            prop_assert_eq!(&x.task, &y.task);
            prop_assert_eq!(&rename[&x.method], &y.method);
            prop_assert_eq!(&rename[&x.baseline], &y.baseline);
            assert_rows_bitwise(x, y)?;
        }
        prop_assert_eq!(a.aggregates.len(), b.aggregates.len());
        for (x, y) in a.aggregates.iter().zip(&b.aggregates) {
            prop_assert_eq!(&rename[&x.method], &y.method);
            assert_aggs_bitwise(x, y)?;
        }
        let renamed_warnings: Vec<String> = a
            .warnings
            .iter()
            .map(|w| {
                let mut w = w.clone();
                // `m0` etc. only occur quoted, and the task names are `t…`.
                for (old, new) in &rename {
                    w = w.replace(&format!("`{old}`"), &format!("`{new}`"));
                }
                w
            })
            .collect();
        prop_assert_eq!(renamed_warnings, b.warnings.clone());
    }

    /// Relabelling seeds permutes the runs of each sample. Order statistics
    /// stay bit-identical; sums change by rounding only (tolerances in the
    /// module docs). Bootstrap CIs and `avg_rank` are not order-invariant.
    #[test]
    fn permuting_runs_changes_only_rounding(
        (d, perm_seed) in (dataset(), any::<u64>())
    ) {
        // Reverse-and-rotate the seed labels within every (task, method).
        let mut by_sample: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for (i, r) in d.records.iter().enumerate() {
            by_sample.entry((r.task.clone(), r.method.clone())).or_default().push(i);
        }
        let mut records = d.records.clone();
        for idx in by_sample.values() {
            let seeds: Vec<i64> = idx.iter().map(|&i| d.records[i].seed).collect();
            let k = idx.len();
            let rot = (perm_seed % k as u64) as usize;
            for (j, &i) in idx.iter().enumerate() {
                records[i].seed = seeds[(k - 1 - j + rot) % k];
            }
        }
        let permuted = Dataset { records, ..d.clone() };
        let (a, b) = (run(&d), run(&permuted));
        prop_assert_eq!(a.rows.len(), b.rows.len());
        for (x, y) in a.rows.iter().zip(&b.rows) {
            for ((name, u), (_, v)) in row_nums(x).into_iter().zip(row_nums(y)) {
                let ok = match name {
                    "n" | "baseline_n" | "mwu_u" | "mwu_p" | "prob_improvement" => same(u, v),
                    "mean" | "baseline_mean" => near(u, v, 1e-12, 0.0),
                    "welch_p" | "holm_p" => near(u, v, 1e-7, 1e-12),
                    _ => near(u, v, 1e-9, 1e-12),
                };
                prop_assert!(ok, "{name}: {u:e} vs {v:e}\n{x:?}\n{y:?}");
            }
        }
        for (x, y) in a.aggregates.iter().zip(&b.aggregates) {
            for ((name, u), (_, v)) in agg_nums(x).into_iter().zip(agg_nums(y)) {
                let ok = match name {
                    "tasks" | "iqm" | "prob_improvement_vs_baseline" => same(u, v),
                    "mean" | "median" | "optimality_gap" => near(u, v, 1e-12, 1e-15),
                    _ => true, // avg_rank, bootstrap CI: see the docs above
                };
                prop_assert!(ok, "{name}: {u:e} vs {v:e}\n{x:?}\n{y:?}");
            }
        }
    }

    /// Adding an unrelated task (baseline plus some of the methods, maybe a
    /// brand-new one) leaves every other task's rows bit-identical, Holm
    /// included (Holm families are per task). Aggregates change only as
    /// documented: a method absent from the new task keeps its row bit for
    /// bit; a method present gains one task, and its mean / median / IQM /
    /// gap / P(improvement) / average rank are the documented functions of
    /// the enlarged per-task data.
    #[test]
    fn adding_an_unrelated_task_is_local(
        d in dataset(),
        name in prop::sample::select(vec!["a_first", "t1_mid", "zz_last"]),
        present in prop::collection::vec(prop::bool::ANY, 5),
        runs in prop::collection::vec(sample(0), 5),
    ) {
        prop_assume!(!d.tasks.iter().any(|t| t == name));
        let mut extra = d.records.clone();
        let mut in_new: BTreeSet<String> = BTreeSet::new();
        for (i, m) in d.methods.iter().chain(std::iter::once(&"m_new".to_string())).enumerate() {
            if present[i] || *m == d.baseline {
                push_runs(&mut extra, name, m, 0, &runs[i]);
                in_new.insert(m.clone());
            }
        }
        let bigger = Dataset { records: extra.clone(), ..d.clone() };
        let (a, b) = (run(&d), run(&bigger));

        // compare rows: old ones unchanged, new ones only for the new task
        let new_rows: Vec<&CompareRow> = b.rows.iter().filter(|r| r.task != name).collect();
        prop_assert_eq!(a.rows.len(), new_rows.len());
        for (x, y) in a.rows.iter().zip(new_rows) {
            prop_assert_eq!((&x.task, &x.method), (&y.task, &y.method));
            assert_rows_bitwise(x, y)?;
        }
        prop_assert_eq!(
            b.rows.iter().filter(|r| r.task == name).count(),
            in_new.len() - 1
        );
        // per-pair warnings of the old tasks are kept
        for w in a.warnings.iter().filter(|w| w.starts_with("task `")) {
            prop_assert!(b.warnings.contains(w), "lost warning {w}");
        }

        // aggregates
        let g_old = grouped(&d.records);
        let g_new = grouped(&extra);
        let old: BTreeMap<&str, &kd_stats::AggregateRow> =
            a.aggregates.iter().map(|r| (r.method.as_str(), r)).collect();
        let ntasks_old = g_old.len();
        // rank of each method on the new task (1 = best, ties averaged)
        let new_task = &g_new[name];
        let new_methods: Vec<&String> = new_task.keys().collect();
        let neg_means: Vec<f64> = new_task.values().map(|v| -mean(v)).collect();
        let new_ranks: BTreeMap<&str, f64> = new_methods
            .iter()
            .map(|m| m.as_str())
            .zip(rankdata_average(&neg_means))
            .collect();
        for row in &b.aggregates {
            let m = row.method.as_str();
            let Some(prev) = old.get(m) else {
                // a method without any old runs (e.g. `m_new`): new task only
                prop_assert!(in_new.contains(m) && !g_old.values().any(|ms| ms.contains_key(m)));
                prop_assert_eq!(row.tasks, 1);
                prop_assert!(same(row.avg_rank, new_ranks[m]));
                prop_assert!(same(row.mean, mean(&new_task[m])));
                continue;
            };
            if !in_new.contains(m) {
                prop_assert_eq!(row.tasks, prev.tasks);
                assert_aggs_bitwise(prev, row)?;
                continue;
            }
            prop_assert_eq!(row.tasks, prev.tasks + 1);
            // the documented definitions over the method's tasks
            let cols: Vec<&Vec<f64>> =
                g_new.values().filter_map(|ms| ms.get(m)).collect();
            let task_means: Vec<f64> = cols.iter().map(|c| mean(c)).collect();
            let all: Vec<f64> = cols.iter().flat_map(|c| c.iter().copied()).collect();
            prop_assert!(same(row.iqm, trim_mean(&all, 0.25)), "iqm {row:?}");
            prop_assert!(same(row.median, median(&task_means)), "median {row:?}");
            prop_assert!(same(row.mean, mean(&task_means)), "mean {row:?}");
            // incremental forms (old value re-weighted), within rounding
            let t_old = prev.tasks as f64;
            let m_new = mean(&new_task[m]);
            prop_assert!(near(row.mean, (prev.mean * t_old + m_new) / (t_old + 1.0), 1e-12, 1e-15));
            let pi_new = probability_of_improvement(&new_task[m], &new_task[&d.baseline]);
            let pi_want = (prev.prob_improvement_vs_baseline * t_old + pi_new) / (t_old + 1.0);
            prop_assert!(near(row.prob_improvement_vs_baseline, pi_want, 1e-12, 1e-15));
            let rank_want = (prev.avg_rank * t_old + new_ranks[m]) / (t_old + 1.0);
            prop_assert!(near(row.avg_rank, rank_want, 1e-12, 0.0), "{row:?} {rank_want}");
            let n_old: usize = g_old.values().filter_map(|ms| ms.get(m)).map(Vec::len).sum();
            let n_new = new_task[m].len();
            let short: f64 = new_task[m].iter().map(|v| 1.0 - v.min(1.0)).sum();
            let gap_want = (prev.optimality_gap * n_old as f64 + short) / (n_old + n_new) as f64;
            prop_assert!(near(row.optimality_gap, gap_want, 1e-9, 1e-15), "{row:?} {gap_want}");
        }
        let brand_new = in_new
            .iter()
            .filter(|m| !g_old.values().any(|ms| ms.contains_key(*m)))
            .count();
        prop_assert_eq!(b.aggregates.len(), a.aggregates.len() + brand_new);
        prop_assert_eq!(g_new.len(), ntasks_old + 1);
    }
}

// ------------------------------------------------------------------ bounds ---

proptest! {
    #![proptest_config(config(512))]

    /// p-values in [0, 1]; NaN only where documented (Welch/Holm with n < 2 on
    /// a side; MWU never, as every sample has a run). CI contains the mean;
    /// `holm_p >= welch_p` and Holm is monotone in the raw p-values of its
    /// task; `prob_improvement = mwu_u/(n1·n2)` in [0, 1].
    #[test]
    fn compare_rows_are_in_bounds(d in dataset()) {
        let rep = run(&d);
        for r in &rep.rows {
            let too_few = r.n < 2 || r.baseline_n < 2;
            prop_assert_eq!(r.welch_p.is_nan(), too_few, "{:?}", r);
            prop_assert_eq!(r.holm_p.is_nan(), too_few, "{:?}", r);
            if !too_few {
                prop_assert!(in_unit(r.welch_p) && in_unit(r.holm_p), "{:?}", r);
                prop_assert!(r.holm_p >= r.welch_p, "{:?}", r);
                prop_assert!(r.ci95_low <= r.mean && r.mean <= r.ci95_high, "{:?}", r);
                prop_assert!(r.std >= 0.0);
            } else {
                prop_assert!(r.welch_t.is_nan() && r.hedges_g.is_nan());
            }
            if r.n < 2 {
                prop_assert!(r.std.is_nan() && r.ci95_low.is_nan() && r.ci95_high.is_nan());
            }
            prop_assert!(in_unit(r.mwu_p), "{:?}", r);
            prop_assert!(in_unit(r.prob_improvement));
            prop_assert!(same(r.prob_improvement, r.mwu_u / (r.n * r.baseline_n) as f64));
            prop_assert_eq!((2.0 * r.mwu_u).fract(), 0.0);
            prop_assert!(same(r.diff, r.mean - r.baseline_mean));
        }
        // Holm monotone within each task
        for t in &d.tasks {
            let fam: Vec<&CompareRow> = rep.rows.iter().filter(|r| &r.task == t).collect();
            for x in &fam {
                for y in &fam {
                    if x.welch_p <= y.welch_p {
                        prop_assert!(x.holm_p <= y.holm_p, "{x:?}\n{y:?}");
                    }
                }
            }
        }
    }

    /// Aggregates: IQM between the method's min and max score, bootstrap CI
    /// ordered and containing the IQM, the baseline's P(improvement) exactly
    /// 0.5, all P(improvement) and gaps in [0, 1], ranks in [1, #methods] and
    /// summing to the expected total Σ_t k_t(k_t+1)/2 (k_t methods on task t).
    #[test]
    fn aggregates_are_in_bounds(d in dataset()) {
        let rep = run(&d);
        let g = grouped(&d.records);
        let mut rank_total = 0.0;
        for row in &rep.aggregates {
            let vals: Vec<f64> = g
                .values()
                .filter_map(|ms| ms.get(&row.method))
                .flat_map(|v| v.iter().copied())
                .collect();
            let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(lo <= row.iqm && row.iqm <= hi, "iqm {} not in [{lo}, {hi}]: {vals:?}", row.iqm);
            prop_assert!(lo <= row.mean && row.mean <= hi, "{row:?}");
            prop_assert!(lo <= row.median && row.median <= hi, "{row:?}");
            prop_assert!(row.iqm_ci95_low <= row.iqm_ci95_high, "{row:?}");
            prop_assert!(
                row.iqm_ci95_low <= row.iqm && row.iqm <= row.iqm_ci95_high,
                "CI misses IQM: {row:?} {vals:?}"
            );
            prop_assert!(lo <= row.iqm_ci95_low && row.iqm_ci95_high <= hi, "{row:?}");
            prop_assert!(in_unit(row.prob_improvement_vs_baseline));
            prop_assert!(in_unit(row.optimality_gap), "{row:?}");
            prop_assert!(row.avg_rank >= 1.0 && row.avg_rank <= d.methods.len() as f64);
            if row.method == d.baseline {
                prop_assert_eq!(row.prob_improvement_vs_baseline, 0.5);
            }
            rank_total += row.avg_rank * row.tasks as f64;
        }
        let want: f64 = g
            .values()
            .map(|ms| {
                let k = ms.len() as f64;
                k * (k + 1.0) / 2.0
            })
            .sum();
        prop_assert!(near(rank_total, want, 1e-12, 0.0), "{rank_total} vs {want}");
    }

    /// Stratified bootstrap on its own: ordered, inside [min, max], and
    /// containing the IQM; identical for the same seed.
    #[test]
    fn bootstrap_ci_brackets_iqm(
        cols in (0u8..3).prop_flat_map(|mode| prop::collection::vec(sample2(mode), 1..=4)),
        seed in any::<u64>(),
    ) {
        let s = ScoreMatrix::from_task_columns(cols.clone()).unwrap();
        let iqm = aggregate_iqm(&s);
        let (lo, hi) = iqm_bootstrap_ci(&s, 200, seed, 0.95);
        prop_assert_eq!((lo, hi), iqm_bootstrap_ci(&s, 200, seed, 0.95));
        let min = s.values().fold(f64::INFINITY, f64::min);
        let max = s.values().fold(f64::NEG_INFINITY, f64::max);
        prop_assert!(min <= lo && lo <= hi && hi <= max, "[{lo}, {hi}] vs [{min}, {max}]");
        prop_assert!(lo <= iqm && iqm <= hi, "IQM {iqm} outside [{lo}, {hi}] for {cols:?}");
    }

    /// Average ranks with absent methods: each task's ranks sum to k(k+1)/2.
    #[test]
    fn average_ranks_sum_to_total(
        means in (1usize..=5, 1usize..=6).prop_flat_map(|(m, t)| {
            prop::collection::vec(
                prop::collection::vec(prop_oneof![
                    1 => Just(f64::NAN),
                    4 => (0u32..=6).prop_map(|k| f64::from(k) / 8.0),
                ], t),
                m,
            )
        })
    ) {
        let ranks = average_ranks(&means);
        let tasks = means[0].len();
        let mut total = 0.0;
        let mut want = 0.0;
        for t in 0..tasks {
            let k = means.iter().filter(|r| !r[t].is_nan()).count() as f64;
            want += k * (k + 1.0) / 2.0;
        }
        for (m, r) in ranks.iter().enumerate() {
            let count = means[m].iter().filter(|v| !v.is_nan()).count();
            prop_assert_eq!(r.is_nan(), count == 0);
            if count > 0 {
                prop_assert!(*r >= 1.0 && *r <= means.len() as f64);
                total += r * count as f64;
            }
        }
        prop_assert!(near(total, want, 1e-12, 0.0), "{total} vs {want}");
    }

    /// Holm directly: NaN stays NaN (and only NaN), in [0, 1], `>= p`,
    /// `<= min(1, m·p)`, monotone in p, invariant under permuting the input.
    #[test]
    fn holm_is_bounded_and_monotone(
        (p, shuffled) in prop::collection::vec(prop_oneof![
            1 => Just(f64::NAN),
            2 => (0u32..=20).prop_map(|k| f64::from(k) / 20.0),
            6 => 0.0f64..=1.0,
        ], 0..12).prop_flat_map(|p| {
            let idx: Vec<usize> = (0..p.len()).collect();
            (Just(p), Just(idx).prop_shuffle())
        })
    ) {
        let adj = holm(&p);
        let m = p.len() as f64;
        for (a, q) in adj.iter().zip(&p) {
            prop_assert_eq!(a.is_nan(), q.is_nan());
            if !q.is_nan() {
                prop_assert!(in_unit(*a) && a >= q && *a <= (m * q).min(1.0), "{p:?} -> {adj:?}");
            }
        }
        for i in 0..p.len() {
            for j in 0..p.len() {
                if p[i] <= p[j] {
                    prop_assert!(adj[i] <= adj[j], "{p:?} -> {adj:?}");
                }
            }
        }
        let permuted: Vec<f64> = shuffled.iter().map(|&i| p[i]).collect();
        let adj2 = holm(&permuted);
        for (k, &i) in shuffled.iter().enumerate() {
            prop_assert!(same(adj2[k], adj[i]));
        }
    }

    /// Regression gate: p and p_holm in [0, 1] or NaN exactly when a side has
    /// fewer than 2 runs; `p_holm >= p`; Holm monotone per task; `regression`
    /// is exactly `p_holm < alpha && drop > min_drop`; every pair is a row or
    /// listed as unmatched; swapping sides maps p to 1 − p (non-degenerate).
    #[test]
    fn gate_is_in_bounds((cur, refs) in (dataset(), dataset()), min_drop in 0.0f64..0.02) {
        let cfg = GateConfig { alpha: 0.05, min_drop };
        let rep = regression_gate(&cur.records, &refs.records, &cfg).unwrap();
        for r in &rep.rows {
            let too_few = r.n_cur < 2 || r.n_ref < 2;
            prop_assert_eq!(r.p.is_nan(), too_few, "{:?}", r);
            prop_assert_eq!(r.p_holm.is_nan(), too_few);
            if !too_few {
                prop_assert!(in_unit(r.p) && in_unit(r.p_holm) && r.p_holm >= r.p, "{:?}", r);
            }
            prop_assert_eq!(r.regression, r.p_holm < cfg.alpha && r.drop > cfg.min_drop);
            prop_assert!(same(r.drop, r.mean_ref - r.mean_cur));
        }
        for x in &rep.rows {
            for y in rep.rows.iter().filter(|y| y.task == x.task) {
                if x.p <= y.p {
                    prop_assert!(x.p_holm <= y.p_holm);
                }
            }
        }
        let gc = grouped(&cur.records);
        let gr = grouped(&refs.records);
        let pairs = |g: &BTreeMap<String, BTreeMap<String, Vec<f64>>>| -> BTreeSet<(String, String)> {
            g.iter().flat_map(|(t, ms)| ms.keys().map(move |m| (t.clone(), m.clone()))).collect()
        };
        let (pc, pr) = (pairs(&gc), pairs(&gr));
        let rows: BTreeSet<(String, String)> =
            rep.rows.iter().map(|r| (r.task.clone(), r.method.clone())).collect();
        prop_assert_eq!(&rows, &pc.intersection(&pr).cloned().collect());
        prop_assert_eq!(&rep.only_current.iter().cloned().collect::<BTreeSet<_>>(), &pc.difference(&pr).cloned().collect());
        prop_assert_eq!(&rep.only_reference.iter().cloned().collect::<BTreeSet<_>>(), &pr.difference(&pc).cloned().collect());

        let back = regression_gate(&refs.records, &cur.records, &cfg).unwrap();
        for (x, y) in rep.rows.iter().zip(&back.rows) {
            prop_assert_eq!((&x.task, &x.method), (&y.task, &y.method));
            prop_assert!(negated(x.drop, y.drop));
            let xs = &gc[&x.task][&x.method];
            let ys = &gr[&x.task][&x.method];
            let constant_equal = welch_t_test(xs, ys).degenerate
                == Some(kd_stats::hypothesis::Degenerate::ConstantEqual);
            if constant_equal {
                prop_assert_eq!((x.p, y.p), (1.0, 1.0));
            } else if !x.p.is_nan() {
                prop_assert!(near(x.p + y.p, 1.0, 0.0, 1e-12), "{x:?}\n{y:?}");
            }
        }
    }
}

// ---------------------------------------------------------------- symmetry ---

/// Negated: `a == −b` (so ±inf map to ∓inf and 0.0 matches −0.0), NaN
/// matching NaN.
fn negated(a: f64, b: f64) -> bool {
    a == -b || (a.is_nan() && b.is_nan())
}

proptest! {
    #![proptest_config(config(512))]

    /// Swapping method and baseline flips the sign of diff, welch_t and
    /// hedges_g (exactly), keeps welch_df, welch_p and mwu_p (exactly), maps
    /// U1 to n1·n2 − U1 exactly and prob_improvement p to 1 − p (within one
    /// rounding).
    #[test]
    fn swapping_method_and_baseline(
        (x, y) in (0u8..3).prop_flat_map(|mode| (sample(mode), sample(mode)))
    ) {
        let mut records = Vec::new();
        push_runs(&mut records, "t", "a", 0, &x);
        push_runs(&mut records, "t", "b", 0, &y);
        let opts = CompareOptions { aggregate: false, ..opts() };
        let ab = &compare(&records, "b", "acc", &opts).unwrap().rows[0];
        let ba = &compare(&records, "a", "acc", &opts).unwrap().rows[0];
        prop_assert_eq!((ab.method.as_str(), ba.method.as_str()), ("a", "b"));
        prop_assert!(negated(ab.diff, ba.diff), "{ab:?}\n{ba:?}");
        prop_assert!(negated(ab.welch_t, ba.welch_t), "{ab:?}\n{ba:?}");
        prop_assert!(negated(ab.hedges_g, ba.hedges_g), "{ab:?}\n{ba:?}");
        prop_assert!(same(ab.welch_df, ba.welch_df));
        prop_assert!(same(ab.welch_p, ba.welch_p), "{ab:?}\n{ba:?}");
        prop_assert!(same(ab.holm_p, ba.holm_p));
        prop_assert!(same(ab.mwu_p, ba.mwu_p), "{ab:?}\n{ba:?}");
        prop_assert_eq!(ab.mwu_method, ba.mwu_method);
        prop_assert_eq!(ab.mwu_u + ba.mwu_u, (x.len() * y.len()) as f64);
        prop_assert!(near(ab.prob_improvement, 1.0 - ba.prob_improvement, 0.0, f64::EPSILON / 2.0));
        // and the same at the function level
        let w = (welch_t_test(&x, &y), welch_t_test(&y, &x));
        prop_assert!(negated(w.0.t, w.1.t) && same(w.0.p, w.1.p));
        let u = (mann_whitney_u(&x, &y), mann_whitney_u(&y, &x));
        prop_assert!(same(u.0.p, u.1.p));
    }

    /// `P(X > Y) + P(Y > X) == 1` (ties count ½ on both sides), with
    /// `U(x, y) + U(y, x) == n1·n2` exactly; identical samples give 0.5.
    #[test]
    fn probability_of_improvement_is_complementary(
        (x, y) in (0u8..3).prop_flat_map(|mode| (sample(mode), sample(mode)))
    ) {
        prop_assert_eq!(u_statistic(&x, &y) + u_statistic(&y, &x), (x.len() * y.len()) as f64);
        let (p, q) = (probability_of_improvement(&x, &y), probability_of_improvement(&y, &x));
        prop_assert!(in_unit(p) && in_unit(q));
        prop_assert_eq!(p + q, 1.0, "{} + {}", p, q);
        prop_assert_eq!(probability_of_improvement(&x, &x), 0.5);
    }
}

// ----------------------------------------------------------------- metrics ---

/// Labels and predictions of the same length over `k` classes.
fn labelled() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, Vec<usize>)> {
    (2usize..=5, 1usize..=40).prop_flat_map(|(k, n)| {
        let labels = prop::collection::vec(0..k, n);
        let idx: Vec<usize> = (0..n).collect();
        (labels.clone(), labels, Just(idx).prop_shuffle())
    })
}

/// Paired real vectors (4-decimal values, ties possible; one side constant
/// about one time in six, often a non-dyadic constant such as 0.7).
fn paired() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (2usize..=30, prop::bool::ANY, prop::bool::weighted(0.15)).prop_flat_map(
        |(n, coarse, constant_y)| {
            let v = if coarse {
                (0u32..=10).prop_map(|k| f64::from(k) / 10.0).boxed()
            } else {
                (0u32..=10000).prop_map(|k| f64::from(k) / 10000.0).boxed()
            };
            let y = if constant_y {
                v.clone().prop_map(move |c| vec![c; n]).boxed()
            } else {
                prop::collection::vec(v.clone(), n).boxed()
            };
            (prop::collection::vec(v, n), y)
        },
    )
}

proptest! {
    #![proptest_config(config(512))]

    /// Permuting examples (same permutation for labels and predictions)
    /// leaves accuracy, macro-F1, per-class F1 and MCC bit-identical; all are
    /// in range; MCC is symmetric in its arguments; perfect predictions give
    /// accuracy = macro-F1 = 1 and MCC = 1 (0 when only one class occurs:
    /// the denominator is 0, as in scikit-learn).
    #[test]
    fn classification_metrics_invariants((t, p, perm) in labelled()) {
        let tp: Vec<usize> = perm.iter().map(|&i| t[i]).collect();
        let pp: Vec<usize> = perm.iter().map(|&i| p[i]).collect();
        prop_assert!(same(accuracy(&t, &p), accuracy(&tp, &pp)));
        prop_assert!(same(macro_f1(&t, &p), macro_f1(&tp, &pp)));
        prop_assert!(same(matthews_corrcoef(&t, &p), matthews_corrcoef(&tp, &pp)));
        for c in 0..5 {
            prop_assert!(same(f1_binary(&t, &p, c), f1_binary(&tp, &pp, c)));
            prop_assert!(in_unit(f1_binary(&t, &p, c)));
        }
        prop_assert!(in_unit(accuracy(&t, &p)) && in_unit(macro_f1(&t, &p)));
        let mcc = matthews_corrcoef(&t, &p);
        prop_assert!((-1.0..=1.0).contains(&mcc), "{mcc}");
        prop_assert!(same(mcc, matthews_corrcoef(&p, &t)));
        prop_assert!(same(macro_f1(&t, &p), macro_f1(&p, &t)));

        let distinct = t.iter().collect::<BTreeSet<_>>().len();
        prop_assert_eq!(accuracy(&t, &t), 1.0);
        prop_assert_eq!(macro_f1(&t, &t), 1.0);
        prop_assert_eq!(matthews_corrcoef(&t, &t), if distinct > 1 { 1.0 } else { 0.0 });
    }

    /// Pearson in [-1, 1] (NaN exactly for a constant side), symmetric,
    /// `pearson(x, x) = 1`; Spearman invariant under strictly increasing
    /// transforms of either side (bit-identical: same ranks), negated by a
    /// decreasing one, and 1 against a strictly increasing image of x.
    #[test]
    fn correlation_invariants((x, y) in paired()) {
        let constant = |v: &[f64]| v.iter().all(|a| *a == v[0]);
        let r = pearson(&x, &y);
        prop_assert_eq!(r.is_nan(), constant(&x) || constant(&y));
        if !r.is_nan() {
            prop_assert!((-1.0..=1.0).contains(&r));
        }
        prop_assert!(same(r, pearson(&y, &x)));
        if !constant(&x) {
            prop_assert_eq!(pearson(&x, &x), 1.0);
        }
        let s = spearman(&x, &y);
        prop_assert_eq!(s.is_nan(), constant(&x) || constant(&y));
        // strictly increasing on [0, 1] with slope >= 2: distinct 4-decimal
        // values stay distinct, equal ones stay equal
        let f = |v: &f64| v * v * v + 2.0 * v + 3.0;
        let fx: Vec<f64> = x.iter().map(f).collect();
        let fy: Vec<f64> = y.iter().map(|v| v.exp()).collect();
        prop_assert!(same(s, spearman(&fx, &fy)), "{s} vs {}", spearman(&fx, &fy));
        let neg: Vec<f64> = x.iter().map(|v| -v).collect();
        prop_assert!(near(spearman(&neg, &y), -s, 1e-12, 1e-15));
        if !r.is_nan() {
            prop_assert!((-1.0..=1.0).contains(&s));
        }
        let distinct = x.iter().map(|v| v.to_bits()).collect::<BTreeSet<_>>().len() == x.len();
        if distinct {
            prop_assert_eq!(spearman(&x, &fx), 1.0);
        }
    }
}

// ----------------------------------------------------------------- py_repr ---

/// Parses Python's `repr(float)` spellings (`inf`, `-inf`, `nan`, plain and
/// exponent forms).
fn parse_py(s: &str) -> f64 {
    match s {
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        "nan" => f64::NAN,
        _ => s.parse().unwrap_or_else(|e| panic!("{s}: {e}")),
    }
}

/// Shape of Python's repr: fixed notation with a fractional part for decimal
/// exponents -4..16, otherwise `d[.ddd]e±XX`.
fn python_shape(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    if let Some((mant, exp)) = body.split_once('e') {
        let digits_ok = |m: &str| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit());
        let mant_ok = match mant.split_once('.') {
            Some((a, b)) => a.len() == 1 && digits_ok(a) && digits_ok(b) && !b.ends_with('0'),
            None => mant.len() == 1 && digits_ok(mant),
        };
        let exp_ok = (exp.starts_with('+') || exp.starts_with('-'))
            && exp.len() >= 3
            && digits_ok(&exp[1..]);
        mant_ok && exp_ok && mant != "0"
    } else {
        match body.split_once('.') {
            Some((a, b)) => {
                !a.is_empty()
                    && !b.is_empty()
                    && a.bytes().all(|c| c.is_ascii_digit())
                    && b.bytes().all(|c| c.is_ascii_digit())
                    && (a == "0" || !a.starts_with('0'))
            }
            None => false,
        }
    }
}

proptest! {
    #![proptest_config(config(2048))]

    /// `parse(py_repr(x)) == x` bit for bit (sign of zero included) for every
    /// finite double; specials use Python's spellings; the string has
    /// Python's shape.
    #[test]
    fn py_repr_round_trips(x in any::<f64>()) {
        let s = py_repr(x);
        let back = parse_py(&s);
        if x.is_nan() {
            prop_assert_eq!(s.as_str(), "nan");
        } else {
            prop_assert_eq!(back.to_bits(), x.to_bits(), "{} -> {}", x, s);
            if x.is_finite() {
                prop_assert!(python_shape(&s), "{:e} -> {}", x, s);
            }
        }
    }

    /// Same for "score-like" values (k/10^d), where the fixed/exponent switch
    /// at 1e-4 and 1e16 is most visible.
    #[test]
    fn py_repr_round_trips_decimals(k in -100_000i64..100_000, d in -20i32..20) {
        let x = k as f64 * 10f64.powi(d);
        let s = py_repr(x);
        prop_assert_eq!(parse_py(&s).to_bits(), x.to_bits(), "{} -> {}", x, s);
        prop_assert!(python_shape(&s), "{:e} -> {}", x, s);
        let e = x.abs().log10().floor();
        if x != 0.0 && (-4.0..16.0).contains(&e) && (x.abs() >= 1e-4 && x.abs() < 1e16) {
            prop_assert!(!s.contains('e'), "{:e} -> {}", x, s);
        }
    }
}
