//! The RL benchmark tasks: a Gymnasium environment, a budget, and the return-based scores
//! every RL method is reported with.
//!
//! Scores of a run: `final_return` and `best_return` (the last and the highest evaluation of
//! the reported learner) and `best_step`; pairs add `return_a` and `return_b` (each learner's
//! final return; the reported learner is the one with the higher final return), and
//! `teacher_distill` adds `teacher_return`. Curves: split `eval`, metric `return` for the
//! reported learner, one point per evaluation at its environment step; pairs add `a/eval` and
//! `b/eval`, `teacher_distill` adds `teacher/eval`; learners with a guide add metric
//! `distill_fraction` (split `train`, or `a/train` and `b/train`).
use std::sync::Arc;

use kd_core::device::parse_device;
use kd_harness::task::{CurvePoint, MethodDef, RunContext, RunOutcome, RunStatus, Task};
use toml::Table;

use crate::agent::Learner;
use crate::config::RlConfig;
use crate::method::{is_rl_method, Distill, RlMethod};
use crate::teacher;
use crate::train::{letter, train, GuideSource, LearnerHistory, Plan, TrainError};

/// An RL benchmark: one environment with its default config.
pub struct RlTask {
    name: String,
    description: String,
    env_id: &'static str,
    defaults: RlConfig,
}

impl RlTask {
    /// A task named `name` on the registered environment `env_id`.
    pub fn new(name: &str, description: &str, env_id: &'static str, defaults: RlConfig) -> Self {
        RlTask {
            name: name.to_string(),
            description: description.to_string(),
            env_id,
            defaults,
        }
    }

    /// The environment id.
    pub fn env_id(&self) -> &str {
        self.env_id
    }
}

/// Every RL task. The MuJoCo tasks (`halfcheetah`, `hopper`, `walker2d`, `swimmer`) are
/// always listed; in a build without the `mujoco` feature their runs are skipped with
/// [`crate::envs::MUJOCO_MISSING`] as the reason.
pub fn rl_tasks() -> Vec<Arc<dyn Task>> {
    let mut tasks: Vec<Arc<dyn Task>> = vec![
        Arc::new(RlTask::new(
            "pendulum",
            "Pendulum-v1 (200-step episodes, bit-exact port): TD3 learners, return of the deterministic policy",
            crate::envs::pendulum::ID,
            RlConfig {
                total_steps: 15_000,
                teacher_steps: 30_000,
                ..RlConfig::default()
            },
        )),
        Arc::new(RlTask::new(
            "mountain-car-continuous",
            "MountainCarContinuous-v0 (999-step episodes, bit-exact port): TD3 learners, sparse goal reward",
            crate::envs::mountain_car_continuous::ID,
            RlConfig {
                total_steps: 30_000,
                warmup_steps: 5_000,
                eval_every: 2_500,
                eval_episodes: 5,
                expl_noise: 0.5,
                teacher_steps: 60_000,
                ..RlConfig::default()
            },
        )),
    ];
    for (name, id) in [
        ("halfcheetah", crate::envs::HALF_CHEETAH_ID),
        ("hopper", crate::envs::HOPPER_ID),
        ("walker2d", crate::envs::WALKER2D_ID),
        ("swimmer", crate::envs::SWIMMER_ID),
    ] {
        tasks.push(Arc::new(RlTask::new(
            name,
            &format!(
                "{id} (MuJoCo 3.17.0, 1000-step episodes; needs the mujoco feature): TD3 learners at TD3's MuJoCo settings"
            ),
            id,
            mujoco_defaults(),
        )));
    }
    tasks
}

/// TD3's MuJoCo settings (Fujimoto et al. 2018): 10^6 steps, 25,000 random steps first,
/// evaluation every 5,000 steps over 10 episodes.
fn mujoco_defaults() -> RlConfig {
    RlConfig {
        total_steps: 1_000_000,
        warmup_steps: 25_000,
        eval_every: 5_000,
        eval_episodes: 10,
        teacher_steps: 1_000_000,
        ..RlConfig::default()
    }
}

/// The names of the built-in RL methods, for messages.
fn rl_method_names() -> String {
    crate::method::rl_method_tables()
        .into_iter()
        .map(|(n, _)| n)
        .collect::<Vec<_>>()
        .join(", ")
}

fn curve(points: &mut Vec<CurvePoint>, split: &str, history: &LearnerHistory) {
    for e in &history.evals {
        points.push(CurvePoint {
            step: e.step,
            split: split.to_string(),
            metric: "return".into(),
            value: e.mean_return,
        });
    }
}

fn fraction_curve(points: &mut Vec<CurvePoint>, split: &str, history: &LearnerHistory) {
    for &(step, value) in &history.distill_fraction {
        points.push(CurvePoint {
            step,
            split: split.to_string(),
            metric: "distill_fraction".into(),
            value,
        });
    }
}

impl Task for RlTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn default_config(&self) -> Table {
        Table::try_from(&self.defaults).expect("a config serialises to a table")
    }

    fn primary_metric(&self) -> &str {
        "final_return"
    }

    fn check(&self, config: &Table, method: &MethodDef) -> Result<(), String> {
        RlConfig::from_table(config)?;
        if !is_rl_method(&method.table) {
            return Err(format!(
                "method '{}' is not an RL method: RL tasks run methods with domain = \"rl\" ({})",
                method.name,
                rl_method_names()
            ));
        }
        RlMethod::from_table(&method.name, &method.table)?;
        Ok(())
    }

    fn run(
        &self,
        config: &Table,
        method: &MethodDef,
        ctx: &RunContext,
    ) -> anyhow::Result<RunOutcome> {
        let config = RlConfig::from_table(config).map_err(anyhow::Error::msg)?;
        let method =
            RlMethod::from_table(&method.name, &method.table).map_err(anyhow::Error::msg)?;
        if !crate::envs::HAS_MUJOCO && crate::envs::MUJOCO_IDS.contains(&self.env_id) {
            return Ok(RunOutcome::skipped(crate::envs::MUJOCO_MISSING));
        }
        kd_core::set_threads(ctx.threads);
        let device = parse_device(&ctx.device).map_err(anyhow::Error::msg)?;
        let diverged = |e: TrainError| match e {
            TrainError::Diverged { .. } => Ok(RunOutcome {
                status: RunStatus::Diverged,
                scores: vec![],
                curves: vec![],
                params_student: None,
                params_teacher: None,
                message: e.to_string(),
            }),
            TrainError::Other(e) => Err(e),
        };

        let teacher = if method.distill == Distill::Teacher {
            let steps = config.teacher_steps;
            let mut on_eval = |step: u64, returns: &[f64]| {
                (ctx.progress)(&format!(
                    "teacher step {step}/{steps} return {:.1}",
                    returns[0]
                ));
            };
            match teacher::load_or_train(
                &ctx.cache_dir.join("teachers"),
                self.env_id,
                &config,
                ctx.seed,
                device,
                &mut on_eval,
            ) {
                Ok(t) => Some(t),
                Err(e) => return diverged(e),
            }
        } else {
            None
        };
        let guide = match (&teacher, method.distill) {
            (Some(t), _) => GuideSource::Teacher(&t.actor, method.filter),
            (None, Distill::Peer) => GuideSource::Peer(method.filter),
            _ => GuideSource::None,
        };
        let plan = Plan {
            env_id: self.env_id,
            config: &config,
            algorithm: method.algorithm,
            learners: method.learners,
            guide,
            seed: ctx.seed,
            role: "learner",
            device,
        };
        let total = config.total_steps;
        let mut on_eval = |step: u64, returns: &[f64]| {
            let shown = match returns {
                [r] => format!("{r:.1}"),
                rs => rs
                    .iter()
                    .enumerate()
                    .map(|(i, r)| format!("{} {r:.1}", letter(i)))
                    .collect::<Vec<_>>()
                    .join(" "),
            };
            (ctx.progress)(&format!("step {step}/{total} return {shown}"));
        };
        let (learners, histories) = match train(&plan, &mut on_eval) {
            Ok(result) => result,
            Err(e) => return diverged(e),
        };
        Ok(outcome(&learners, &histories, teacher.as_ref()))
    }
}

/// The scores and curves of a finished run (see the module docs).
fn outcome(
    learners: &[Learner],
    histories: &[LearnerHistory],
    teacher: Option<&teacher::Teacher>,
) -> RunOutcome {
    let mut curves = Vec::new();
    let curves = &mut curves;
    // The reported learner: the higher final return, `a` on ties.
    let reported = (0..histories.len())
        .reduce(|best, i| {
            if histories[i].last().mean_return > histories[best].last().mean_return {
                i
            } else {
                best
            }
        })
        .expect("at least one learner");
    let history = &histories[reported];
    let best = history.best();
    let mut scores = vec![
        ("final_return".to_string(), history.last().mean_return),
        ("best_return".to_string(), best.mean_return),
        ("best_step".to_string(), best.step as f64),
    ];
    curve(curves, "eval", history);
    if histories.len() > 1 {
        for (i, h) in histories.iter().enumerate() {
            scores.push((format!("return_{}", letter(i)), h.last().mean_return));
            curve(curves, &format!("{}/eval", letter(i)), h);
            fraction_curve(curves, &format!("{}/train", letter(i)), h);
        }
    } else {
        fraction_curve(curves, "train", history);
    }
    let mut params_teacher = None;
    let mut message = String::new();
    if let Some(t) = teacher {
        let last = t.evals.last().expect("a teacher evaluates at least once");
        scores.push(("teacher_return".to_string(), last.mean_return));
        let teacher_history = LearnerHistory {
            evals: t.evals.clone(),
            distill_fraction: vec![],
        };
        curve(curves, "teacher/eval", &teacher_history);
        params_teacher = Some(t.actor.num_params());
        if t.cached {
            message = "teacher from the cache".into();
        }
    }
    RunOutcome {
        status: RunStatus::Ok,
        scores,
        curves: std::mem::take(curves),
        params_student: Some(learners[reported].actor().num_params()),
        params_teacher,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without the feature a MuJoCo task's run is skipped with the setup instructions.
    #[cfg(not(feature = "mujoco"))]
    #[test]
    fn mujoco_tasks_are_skipped_without_the_feature() {
        let task = rl_tasks()
            .into_iter()
            .find(|t| t.name() == "halfcheetah")
            .unwrap();
        let (name, table) = crate::method::rl_method_tables()
            .into_iter()
            .find(|(n, _)| n == "single")
            .unwrap();
        let def = MethodDef {
            name,
            description: String::new(),
            table,
        };
        let dir = std::env::temp_dir();
        let ctx = RunContext {
            seed: 0,
            device: "cpu".into(),
            threads: 1,
            data_dir: dir.clone(),
            cache_dir: dir.clone(),
            artifact_dir: dir,
            progress: &|_| {},
        };
        let out = task.run(&task.default_config(), &def, &ctx).unwrap();
        assert_eq!(out.status, RunStatus::Skipped);
        assert_eq!(out.message, crate::envs::MUJOCO_MISSING);
    }

    fn method(name: &str, table: &str) -> MethodDef {
        MethodDef {
            name: name.into(),
            description: String::new(),
            table: toml::from_str(table).unwrap(),
        }
    }

    #[test]
    fn check_accepts_rl_methods_and_rejects_others() {
        let tasks = rl_tasks();
        assert_eq!(tasks.len(), 6);
        for task in &tasks {
            let config = task.default_config();
            for (name, table) in crate::method::rl_method_tables() {
                let def = MethodDef {
                    name: name.clone(),
                    description: String::new(),
                    table,
                };
                task.check(&config, &def).unwrap();
            }
            let kd = method("kd", "regime = 'one_way'\nlosses.kd = { weight = 0.9 }");
            let err = task.check(&config, &kd).unwrap_err();
            assert!(err.contains("method 'kd' is not an RL method"), "{err}");
            let mut bad = config.clone();
            bad.insert("eval_every".into(), 0.into());
            let single = method(
                "single",
                "domain = 'rl'\ndescription = 'x'\nalgorithm = 'td3'\nlearners = 1\ndistill = 'none'\nfilter = 'none'",
            );
            assert!(task
                .check(&bad, &single)
                .unwrap_err()
                .starts_with("eval_every"));
        }
    }
}
