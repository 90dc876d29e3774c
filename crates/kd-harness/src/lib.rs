//! kd-harness: suites, the run matrix, the crash-safe results store, the runner and the
//! leaderboards. It knows tasks only through the [`task::Task`] trait, and needs no libtorch.
//!
//! - [`suite`]: suite TOML files (tasks x methods x seeds, defaults, overrides, includes).
//! - [`config`]: layered configs, `--set` overrides, config hashes.
//! - [`matrix`]: the resolved cells of a run, filtered and sharded.
//! - [`runner`]: parallel execution with progress; failures never stop the suite.
//! - [`store`]: `runs.csv`, `scores.csv`, `curves.csv`, written crash-safely.
//! - [`registry`]: the tasks, methods and suites the binary registers.
//! - [`task`]: the task interface; [`error`]: the exit-status-2 error kind.
pub mod config;
pub mod data;
pub mod error;
pub mod isolate;
pub mod leaderboard;
pub mod matrix;
pub mod merge;
pub mod metrics;
pub mod plot;
pub mod queue;
pub mod registry;
pub mod runner;
pub mod store;
pub mod suite;
pub mod task;
