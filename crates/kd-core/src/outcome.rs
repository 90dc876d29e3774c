//! One classification method run as one harness run: progress lines, every model's epochs as
//! curves, and the outcome. Shared by every domain whose tasks are classifications.
use crate::method::MethodSpec;
use crate::regime::{run_classification, ClassificationSetup};
use crate::train::{EpochRecord, TrainError, TrainReport};
use kd_harness::task::{CurvePoint, RunContext, RunOutcome, RunStatus};

/// Runs `spec` on `setup`. Progress goes to `ctx.progress` (`epochs` is the longest budget,
/// for the `k/n` counter); every epoch of every model becomes curve points (models other
/// than the reported one under their role, e.g. `teacher/val`); `scores` turns the reported
/// model's training report into the run's scores. A diverged training is a `diverged` run.
/// On a regression the curves' `acc` is named `pearson` (what the records hold there).
pub fn run_classification_task(
    spec: &MethodSpec,
    setup: &ClassificationSetup,
    ctx: &RunContext,
    epochs: usize,
    scores: &dyn Fn(&TrainReport) -> Vec<(String, f64)>,
) -> anyhow::Result<RunOutcome> {
    let mut curves = Vec::new();
    let acc = if setup.data.is_regression() {
        "pearson"
    } else {
        "acc"
    };
    let mut on_epoch = |role: &str, r: &EpochRecord| {
        (ctx.progress)(&format!(
            "{} epoch {}/{epochs} val_{acc} {:.3}",
            if role.is_empty() { "model" } else { role },
            r.epoch,
            r.val_acc
        ));
        let prefix = if role.is_empty() {
            String::new()
        } else {
            format!("{role}/")
        };
        for (split, metric, value) in [
            ("train", "loss", r.train_loss),
            ("train", acc, r.train_acc),
            ("val", "loss", r.val_loss),
            ("val", acc, r.val_acc),
            ("test", "loss", r.test_loss),
            ("test", acc, r.test_acc),
        ] {
            curves.push(CurvePoint {
                step: r.epoch as u64,
                split: format!("{prefix}{split}"),
                metric: metric.into(),
                value,
            });
        }
    };
    match run_classification(spec, setup, &mut on_epoch) {
        Ok(result) => Ok(RunOutcome {
            status: RunStatus::Ok,
            scores: scores(&result.report),
            curves,
            params_student: result.params_student,
            params_teacher: result.params_teacher,
            message: String::new(),
        }),
        Err(TrainError::Diverged { epoch, loss }) => Ok(RunOutcome {
            status: RunStatus::Diverged,
            scores: vec![],
            curves,
            params_student: None,
            params_teacher: None,
            message: format!("training loss became {loss} in epoch {epoch}"),
        }),
        Err(TrainError::Other(e)) => Err(e),
    }
}
