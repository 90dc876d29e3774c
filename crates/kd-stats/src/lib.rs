//! # kd-stats
//!
//! Statistics for kdbench, the knowledge-distillation benchmark harness. Pure
//! Rust (no libtorch): small pure functions over plain slices and one
//! documented matrix shape, in the style of `rliable/metrics.py`. Numbers
//! reproduce the SciPy / statsmodels / rliable reference outputs described in
//! the statistics reference README (golden files under `tests/data/`).
//!
//! Modules:
//! - [`descriptive`] — mean, sample variance/std (two-pass, ddof 1), Student-t
//!   95% CI ([`descriptive::t_ci95`]), median, linear-interpolation quantiles.
//! - [`distributions`] — Student-t CDF/tail/quantile with real df and
//!   normal CDF/tail (`statrs` incomplete beta, `libm` `erfc`).
//! - [`hypothesis`] — Welch t-test (two-sided and one-sided "less"),
//!   Mann–Whitney U with SciPy's exact/asymptotic auto rule, Holm adjustment.
//! - [`effect`] — Hedges' g (approximate J) and probability of improvement.
//! - [`aggregate`] — [`ScoreMatrix`] (runs × tasks) and rliable aggregates:
//!   IQM, mean, median, optimality gap, probability of improvement, average
//!   ranks, seeded stratified bootstrap percentile CIs.
//! - [`metrics`] — task metrics for the domain crates: accuracy, macro-F1,
//!   positive-class F1, Matthews correlation, Pearson, Spearman.
//! - [`distill_metric`] — the distillation metric of Alkhulaifi et al. (2021).
//! - [`compare`](mod@compare) — the `kdbench compare` / `--aggregate` tables
//!   ([`compare::compare`]).
//! - [`gate`] — the nightly regression gate ([`gate::regression_gate`]).
//! - [`format`](mod@format) — Python-`repr` float formatting ([`format::py_repr`]).
//! - [`error`] — the crate error type, [`StatsError`].
//!
//! Degenerate inputs (constant samples, fewer than two runs, ragged runs)
//! never panic: they yield the README's recommended values (`NaN`, `±inf`,
//! `p = 1.0`) and warnings in the report structs.

pub mod aggregate;
pub mod compare;
pub mod descriptive;
pub mod distill_metric;
pub mod distributions;
pub mod effect;
pub mod error;
pub mod format;
pub mod gate;
pub mod hypothesis;
pub mod metrics;

pub use aggregate::{ScoreMatrix, DEFAULT_BOOTSTRAP_REPS};
pub use compare::{compare, AggregateRow, CompareOptions, CompareReport, CompareRow, ScoreRecord};
pub use error::StatsError;
pub use format::py_repr;
pub use gate::{regression_gate, GateConfig, GateReport, GateRow};
pub use hypothesis::MwuMethod;
