//! What the harness knows of a benchmark problem: the [`Task`] trait and its run context.
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use toml::Table;

/// A method as the harness sees it: a name and its (resolved) TOML definition. The domain
/// crates interpret the table through kd-core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodDef {
    /// The method's name (as in suites and `scores.csv`).
    pub name: String,
    /// One line for `kdbench list methods`.
    pub description: String,
    /// The full definition (regime, losses, parameters).
    pub table: Table,
}

/// Everything a run may need besides its config and method.
pub struct RunContext<'a> {
    /// The run seed.
    pub seed: u64,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// Intra-op threads this run may use.
    pub threads: usize,
    /// Where fetched data sets live (`--data-dir`).
    pub data_dir: PathBuf,
    /// A folder for artefacts shared between runs (e.g. trained teachers); safe to delete.
    pub cache_dir: PathBuf,
    /// This run's own folder for files it produces (images, learned data), under the
    /// results folder as `artifacts/<run_id>/`. Not created in advance; a rerun of the
    /// run replaces what is there.
    pub artifact_dir: PathBuf,
    /// Reports progress within the run (shown beside the progress bar).
    pub progress: &'a (dyn Fn(&str) + Sync),
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Finished and scored.
    Ok,
    /// The loss became NaN or infinite: recorded, not a crash.
    Diverged,
    /// An error; its text is in the message.
    Failed,
    /// Not run (e.g. the data set is absent); the reason is in the message.
    Skipped,
}

impl RunStatus {
    /// The word written in `runs.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Diverged => "diverged",
            RunStatus::Failed => "failed",
            RunStatus::Skipped => "skipped",
        }
    }

    /// Parses the word written in `runs.csv`.
    pub fn parse(word: &str) -> Option<RunStatus> {
        match word {
            "ok" => Some(RunStatus::Ok),
            "diverged" => Some(RunStatus::Diverged),
            "failed" => Some(RunStatus::Failed),
            "skipped" => Some(RunStatus::Skipped),
            _ => None,
        }
    }
}

/// One point of a learning curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Epoch (or environment step, RL).
    pub step: u64,
    /// `train`, `val`, `test`, or a role-qualified split such as `teacher/val`.
    pub split: String,
    /// Metric name, e.g. `acc` or `loss`.
    pub metric: String,
    /// The value.
    #[serde(with = "wire_f64")]
    pub value: f64,
}

/// Serde for an `f64` that survives JSON when it is NaN or infinite (written as the strings
/// `NaN`, `inf`, `-inf`), so a run's outcome always parses back from its child process.
mod wire_f64 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// An `f64` in that encoding.
    pub struct Wire(pub f64);

    impl Serialize for Wire {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize(&self.0, s)
        }
    }

    impl<'de> Deserialize<'de> for Wire {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            deserialize(d).map(Wire)
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Encoded {
        Number(f64),
        Text(String),
    }

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_str(&v.to_string())
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Encoded::deserialize(d)? {
            Encoded::Number(v) => Ok(v),
            Encoded::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// `(metric, value)` pairs with [`wire_f64`] values.
mod wire_scores {
    use super::wire_f64::Wire;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[(String, f64)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|(k, x)| (k, Wire(*x))))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, f64)>, D::Error> {
        let pairs: Vec<(String, Wire)> = Vec::deserialize(d)?;
        Ok(pairs.into_iter().map(|(k, w)| (k, w.0)).collect())
    }
}

/// What a finished run reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// How it ended.
    pub status: RunStatus,
    /// Metric name and value pairs (e.g. `final_acc`, `best_acc`, `best_epoch`).
    #[serde(with = "wire_scores")]
    pub scores: Vec<(String, f64)>,
    /// Learning curves.
    pub curves: Vec<CurvePoint>,
    /// Trainable parameters of the student, where there is one.
    pub params_student: Option<u64>,
    /// Trainable parameters of the teacher, where there is one.
    pub params_teacher: Option<u64>,
    /// Reason for a skip, error text, or a note.
    pub message: String,
}

impl RunOutcome {
    /// A run that did not happen, with the reason.
    pub fn skipped(reason: impl Into<String>) -> Self {
        RunOutcome {
            status: RunStatus::Skipped,
            scores: vec![],
            curves: vec![],
            params_student: None,
            params_teacher: None,
            message: reason.into(),
        }
    }
}

/// One benchmark problem: data, architectures, budget and metrics.
///
/// Implementations live in the domain crates; the binary registers them.
pub trait Task: Send + Sync {
    /// Unique name, e.g. `digits-mlp`.
    fn name(&self) -> &str;
    /// One line for `kdbench list tasks`.
    fn description(&self) -> &str;
    /// Every config key the task accepts, with its default value. Suites and `--set` may
    /// only set these keys.
    fn default_config(&self) -> Table;
    /// The metric the printed leaderboard shows (e.g. `best_acc`).
    fn primary_metric(&self) -> &str;
    /// Checks a resolved config and a method before any run starts (bad values, a method
    /// the task cannot run). The error names the key.
    fn check(&self, config: &Table, method: &MethodDef) -> Result<(), String>;
    /// Trains and evaluates once.
    fn run(
        &self,
        config: &Table,
        method: &MethodDef,
        ctx: &RunContext,
    ) -> anyhow::Result<RunOutcome>;
    /// Names of the trainings a run shares with other runs of this task (e.g. a teacher
    /// trained once for every seed), which make it wait while another run trains them. With
    /// several jobs, runs that would only wait go after runs that can start. Default: none.
    fn shared_trainings(&self, _config: &Table, _method: &MethodDef, _seed: u64) -> Vec<String> {
        Vec::new()
    }
}

#[cfg(test)]
mod wire_tests {
    use super::*;

    #[test]
    fn an_outcome_with_nan_and_infinite_values_survives_json() {
        let outcome = RunOutcome {
            status: RunStatus::Ok,
            scores: vec![
                ("a".into(), f64::NAN),
                ("b".into(), 0.25),
                ("c".into(), f64::INFINITY),
            ],
            curves: vec![CurvePoint {
                step: 1,
                split: "train".into(),
                metric: "loss".into(),
                value: f64::NEG_INFINITY,
            }],
            params_student: None,
            params_teacher: None,
            message: String::new(),
        };
        let text = serde_json::to_string(&outcome).unwrap();
        let back: RunOutcome = serde_json::from_str(&text).unwrap();
        assert!(back.scores[0].1.is_nan());
        assert_eq!(back.scores[1], ("b".to_string(), 0.25));
        assert_eq!(back.scores[2].1, f64::INFINITY);
        assert_eq!(back.curves[0].value, f64::NEG_INFINITY);
        assert!(text.contains("0.25"), "finite values stay numbers: {text}");
    }
}
