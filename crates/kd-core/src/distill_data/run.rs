//! The steps of a dataset-distillation run that every domain shares: which method runs, what
//! the config allows it, the bi-level optimisation with its curve and divergence, and the
//! evaluation scores.
use super::bilevel::{
    accuracy_scores, cyclic_classes, distill, evaluate, fresh_inits, FunctionalNet, Learn,
    SyntheticSet,
};
use super::config::BilevelConfig;
use super::method::{distill_method_names, is_distill_method, DataKind, DistillMethod, Labels};
use kd_harness::task::{CurvePoint, MethodDef, RunOutcome, RunStatus};
use std::path::Path;
use tch::{Kind, Tensor};

/// The dataset-distillation method `method` of a run of `task`; any other method is refused
/// with the names of the built-in ones.
pub fn distill_method(task: &str, method: &MethodDef) -> Result<DistillMethod, String> {
    if !is_distill_method(&method.table) {
        return Err(format!(
            "method '{}' is not a dataset-distillation method: {task} runs methods with domain = \
             \"distill-data\" ({})",
            method.name,
            distill_method_names()
        ));
    }
    DistillMethod::from_table(&method.name, &method.table)
}

/// Checks that `method` can run with `config` on a set of `examples` examples (named by the
/// key `examples_key`) over `classes` classes: hard learned labels need one example per class;
/// a `distilled` file is trained on by a method that learns data and must load with `load`.
pub fn check_method(
    method: &DistillMethod,
    config: &BilevelConfig,
    (examples_key, examples): (&str, usize),
    classes: i64,
    load: impl Fn(&Path) -> Result<SyntheticSet, String>,
) -> Result<(), String> {
    let hard_learned = method.data == DataKind::Learned && method.labels == Labels::Hard;
    if hard_learned && config.distilled.is_empty() && (examples as i64) < classes {
        return Err(format!(
            "{examples_key}: method '{}' gives each example one of the {classes} classes, so it \
             needs at least {classes} (one per class), found {examples}; fewer {examples_key} \
             than classes need soft labels (dd_soft)",
            method.name
        ));
    }
    if !config.distilled.is_empty() {
        if method.data != DataKind::Learned {
            return Err(format!(
                "distilled: a distilled-data file is trained on by a method that learns data \
                 (dd_hard, dd_soft), not by '{}'",
                method.name
            ));
        }
        load(Path::new(&config.distilled)).map_err(|e| format!("distilled: {e}"))?;
    }
    Ok(())
}

/// An `ok` outcome with no scores yet, for a network of `params` parameters.
pub fn empty_outcome(params: u64) -> RunOutcome {
    RunOutcome {
        status: RunStatus::Ok,
        scores: vec![],
        curves: vec![],
        params_student: Some(params),
        params_teacher: None,
        message: String::new(),
    }
}

/// What the outer loop of `method` learns besides the step sizes.
pub fn learns(method: &DistillMethod) -> Learn {
    Learn {
        inputs: method.data == DataKind::Learned,
        labels: method.labels == Labels::Soft,
    }
}

/// The set a run of `method` trains fresh networks on: the `distilled` file when the config
/// names one (read with `load`; noted in `outcome`'s message), else the result of the
/// bi-level optimisation of `net` from `start()` (`examples` synthetic examples, example i of
/// class i mod classes) against the real `train` examples, with the `outer_loss` curve and
/// score recorded in `outcome`. `Ok(None)` when the outer loss diverged (`outcome` is then
/// `diverged` with the step in its message).
#[allow(clippy::too_many_arguments)]
pub fn obtain_set(
    net: &dyn FunctionalNet,
    examples: usize,
    method: &DistillMethod,
    train: (&Tensor, &Tensor),
    config: &BilevelConfig,
    fixed_init: Option<&[Tensor]>,
    outcome: &mut RunOutcome,
    progress: &dyn Fn(&str),
    load: impl FnOnce(&Path) -> Result<SyntheticSet, String>,
    start: impl FnOnce() -> anyhow::Result<Tensor>,
) -> anyhow::Result<Option<SyntheticSet>> {
    if !config.distilled.is_empty() {
        outcome.message = format!("trained on {}", config.distilled);
        return Ok(Some(
            load(Path::new(&config.distilled)).map_err(anyhow::Error::msg)?,
        ));
    }
    let classes = cyclic_classes(examples, net.classes(), train.0.device());
    let start = start()?;
    let total = config.outer_steps;
    let report = |step: usize, loss: f64| {
        progress(&format!("outer step {step}/{total} loss {loss:.3}"));
    };
    let result = distill(
        net,
        &start,
        &classes,
        learns(method),
        train.0,
        train.1,
        &config.settings(fixed_init),
        &report,
    );
    for &(step, value) in &result.losses {
        outcome.curves.push(CurvePoint {
            step: step as u64,
            split: "train".into(),
            metric: "outer_loss".into(),
            value,
        });
    }
    if let Some(step) = result.diverged {
        outcome.status = RunStatus::Diverged;
        outcome.message = format!(
            "the outer loss became NaN or infinite at outer step {step} (try a smaller step_lr \
             or outer_lr)"
        );
        return Ok(None);
    }
    if let Some(&(_, last)) = result.losses.last() {
        outcome.scores.push(("outer_loss".into(), last));
    }
    Ok(Some(result.set))
}

/// Trains fresh networks on `set` (from `fixed_init` when given, else from `eval_inits` fresh
/// initialisations) and puts their test accuracies' scores (`acc_mean`, ...) first in
/// `outcome`, with `step_size_mean` after the scores already there. With `fixed_init`, the
/// set is also scored on `eval_inits` fresh initialisations it was not learned for
/// (`acc_fresh_mean`, `acc_fresh_std`).
pub fn score_set(
    net: &dyn FunctionalNet,
    set: &SyntheticSet,
    fixed_init: Option<Vec<Tensor>>,
    eval_inits: usize,
    test: (&Tensor, &Tensor),
    outcome: &mut RunOutcome,
    progress: &dyn Fn(&str),
) {
    outcome.scores.push((
        "step_size_mean".into(),
        set.step_sizes.mean(Kind::Float).double_value(&[]),
    ));
    progress("evaluating");
    let fresh = fresh_inits(net, eval_inits, set.inputs.device());
    let accs = match &fixed_init {
        Some(p) => evaluate(net, set, std::slice::from_ref(p), test.0, test.1),
        None => evaluate(net, set, &fresh, test.0, test.1),
    };
    let mut scores = accuracy_scores(&accs);
    if fixed_init.is_some() {
        // How well the set, learned for one initialisation, trains networks it never saw.
        let accs = evaluate(net, set, &fresh, test.0, test.1);
        let (mean, std) = super::bilevel::mean_std(&accs);
        scores.push(("acc_fresh_mean".into(), mean));
        scores.push(("acc_fresh_std".into(), std));
    }
    scores.append(&mut outcome.scores);
    outcome.scores = scores;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distill_data::method::distill_method_tables;
    use tch::Device;

    fn method(name: &str) -> MethodDef {
        let (name, table) = distill_method_tables()
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap();
        MethodDef {
            name,
            description: String::new(),
            table,
        }
    }

    #[test]
    fn methods_and_configs_are_checked_with_the_key_named() {
        let kd = MethodDef {
            name: "kd".into(),
            description: String::new(),
            table: toml::from_str("regime = 'standard'").unwrap(),
        };
        let err = distill_method("toy-distill", &kd).unwrap_err();
        assert!(
            err.contains("toy-distill") && err.contains("dd_soft"),
            "{err}"
        );
        let hard = distill_method("t", &method("dd_hard")).unwrap();
        let soft = distill_method("t", &method("dd_soft")).unwrap();
        let real = distill_method("t", &method("random_real")).unwrap();
        let config = BilevelConfig::default();
        let never = |_: &Path| -> Result<SyntheticSet, String> { Err("unreadable".into()) };
        let err = check_method(&hard, &config, ("images", 5), 10, never).unwrap_err();
        assert!(err.starts_with("images:"), "{err}");
        assert!(check_method(&soft, &config, ("images", 5), 10, never).is_ok());
        let with_file = BilevelConfig {
            distilled: "x.safetensors".into(),
            ..config
        };
        let err = check_method(&real, &with_file, ("images", 10), 10, never).unwrap_err();
        assert!(err.contains("random_real"), "{err}");
        let err = check_method(&soft, &with_file, ("images", 10), 10, never).unwrap_err();
        assert_eq!(err, "distilled: unreadable");
        let ok = |_: &Path| {
            Ok(SyntheticSet {
                inputs: Tensor::zeros([1], (Kind::Float, Device::Cpu)),
                labels: Tensor::zeros([1], (Kind::Float, Device::Cpu)),
                step_sizes: Tensor::zeros([1], (Kind::Float, Device::Cpu)),
            })
        };
        assert!(check_method(&hard, &with_file, ("images", 5), 10, ok).is_ok());
    }
}
