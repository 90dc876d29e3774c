//! The crate's error type.

use thiserror::Error;

/// Errors from building score matrices, comparison tables and gates.
///
/// Degenerate statistics (constant samples, `n < 2`) are *not* errors: they
/// yield documented `NaN`/`inf` values plus warnings. Errors are reserved for
/// input that cannot be interpreted.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// No records (or an empty matrix) were given.
    #[error("no scores to analyse (empty input)")]
    EmptyInput,
    /// The baseline method does not occur anywhere in the records.
    #[error("baseline method `{baseline}` not found in the scores")]
    BaselineNotFound {
        /// The requested baseline method.
        baseline: String,
    },
    /// The baseline exists but has no runs on this task, so the task's rows
    /// cannot be compared.
    #[error("baseline method `{baseline}` has no scores on task `{task}`")]
    BaselineMissingInTask {
        /// Task without baseline runs.
        task: String,
        /// The requested baseline method.
        baseline: String,
    },
    /// The same `(task, method, seed)` occurs more than once.
    #[error("duplicate score for task `{task}`, method `{method}`, seed {seed}")]
    DuplicateRecord {
        /// Task of the duplicate.
        task: String,
        /// Method of the duplicate.
        method: String,
        /// Seed of the duplicate.
        seed: i64,
    },
    /// A score is NaN or infinite.
    #[error("non-finite score {value} for task `{task}`, method `{method}`, seed {seed}")]
    NonFiniteValue {
        /// Task of the offending record.
        task: String,
        /// Method of the offending record.
        method: String,
        /// Seed of the offending record.
        seed: i64,
        /// The offending value.
        value: f64,
    },
    /// A runs × tasks matrix was not rectangular or had an empty task column.
    #[error("invalid score matrix: {0}")]
    InvalidMatrix(String),
}
