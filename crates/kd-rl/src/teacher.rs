//! Pre-trained TD3 teachers for `teacher_distill`, cached on disk so that every run of the
//! same task config and seed trains its teacher once. The cache is safe to delete.
use kd_core::teacher_cache::TeacherCache;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{nn, Device};

use crate::agent::{Actor, Algorithm};
use crate::config::RlConfig;
use crate::train::{train, Evaluation, GuideSource, Plan, TrainError};

/// Bump when a change to the learners makes cached teachers stale.
const CACHE_VERSION: u32 = 1;

/// A trained teacher actor.
pub struct Teacher {
    /// The actor's variables.
    pub vars: nn::VarStore,
    /// The actor.
    pub actor: Actor,
    /// Its evaluations while it trained.
    pub evals: Vec<Evaluation>,
    /// Whether it came from the cache.
    pub cached: bool,
}

/// The config a teacher trains with: the task's, with `teacher_steps` as the budget; keys
/// that only concern the student are reset so that they do not change the cache key.
pub fn teacher_config(config: &RlConfig) -> RlConfig {
    RlConfig {
        total_steps: config.teacher_steps,
        distill_weight: 0.0,
        ..config.clone()
    }
}

/// Everything that shapes the teacher of `env_id` for `config` and `seed`.
pub fn cache_key(env_id: &str, config: &RlConfig, seed: u64) -> String {
    format!(
        "rl-teacher v{CACHE_VERSION}|{env_id}|{:?}|seed {seed}",
        teacher_config(config)
    )
}

/// The teacher for `env_id`, `config` and `seed`: loaded from the cache in `dir` if it is
/// there, else trained with TD3 (streams `teacher/a/...`) and stored. `on_eval` sees its
/// evaluations while it trains.
pub fn load_or_train(
    dir: &Path,
    env_id: &str,
    config: &RlConfig,
    seed: u64,
    device: Device,
    on_eval: &mut dyn FnMut(u64, &[f64]),
) -> Result<Teacher, TrainError> {
    let env = crate::envs::make(env_id).map_err(anyhow::Error::from)?;
    let (obs_dim, space) = (env.observation_space().dim(), env.action_space().clone());
    let mut vars = nn::VarStore::new(device);
    let actor = Actor::new(&vars.root(), obs_dim, &space, &config.hidden, None);
    let mut trained = false;
    let record = TeacherCache::new(dir).get_or_train(
        &cache_key(env_id, config, seed),
        &mut vars,
        |vars: &mut nn::VarStore| {
            trained = true;
            let teacher_config = teacher_config(config);
            let plan = Plan {
                env_id,
                config: &teacher_config,
                algorithm: Algorithm::Td3,
                learners: 1,
                guide: GuideSource::None,
                seed,
                role: "teacher",
                device,
            };
            let (learners, histories) = train(&plan, on_eval)?;
            vars.copy(learners[0].actor_vars())
                .map_err(anyhow::Error::from)?;
            Ok::<_, TrainError>(EvalRecord(
                histories[0]
                    .evals
                    .iter()
                    .map(|e| (e.step, e.mean_return))
                    .collect(),
            ))
        },
    )?;
    Ok(Teacher {
        vars,
        actor,
        evals: record
            .0
            .into_iter()
            .map(|(step, mean_return)| Evaluation { step, mean_return })
            .collect(),
        cached: !trained,
    })
}

/// A teacher's evaluations as cached: (step, mean return) pairs, at least one (an entry
/// without any is damaged and retrained).
#[derive(Serialize, Deserialize)]
#[serde(try_from = "Vec<(u64, f64)>")]
struct EvalRecord(Vec<(u64, f64)>);

impl TryFrom<Vec<(u64, f64)>> for EvalRecord {
    type Error = &'static str;

    fn try_from(evals: Vec<(u64, f64)>) -> Result<Self, Self::Error> {
        if evals.is_empty() {
            Err("no evaluations")
        } else {
            Ok(EvalRecord(evals))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_ignores_student_only_settings() {
        let config = RlConfig::default();
        let other_student = RlConfig {
            total_steps: 5,
            distill_weight: 3.0,
            ..config.clone()
        };
        assert_eq!(
            cache_key("Pendulum-v1", &config, 0),
            cache_key("Pendulum-v1", &other_student, 0)
        );
        let other_teacher = RlConfig {
            teacher_steps: 7,
            ..config.clone()
        };
        assert_ne!(
            cache_key("Pendulum-v1", &config, 0),
            cache_key("Pendulum-v1", &other_teacher, 0)
        );
        assert_ne!(
            cache_key("Pendulum-v1", &config, 0),
            cache_key("Pendulum-v1", &config, 1)
        );
    }

    #[test]
    fn a_cached_teacher_is_the_trained_one() {
        let dir = tempfile::tempdir().unwrap();
        let config = RlConfig {
            teacher_steps: 300,
            warmup_steps: 100,
            eval_every: 150,
            eval_episodes: 1,
            batch_size: 16,
            hidden: vec![8],
            ..RlConfig::default()
        };
        let mut seen = 0;
        let trained = load_or_train(
            dir.path(),
            "Pendulum-v1",
            &config,
            3,
            Device::Cpu,
            &mut |_, _| seen += 1,
        )
        .unwrap();
        assert!(!trained.cached);
        assert_eq!(seen, 2);
        let cached = load_or_train(
            dir.path(),
            "Pendulum-v1",
            &config,
            3,
            Device::Cpu,
            &mut |_, _| panic!("a cached teacher is not retrained"),
        )
        .unwrap();
        assert!(cached.cached);
        assert_eq!(cached.evals, trained.evals);
        let obs = tch::Tensor::from_slice(&[0.5f32, -0.5, 1.0]).view([1, 3]);
        let a = tch::no_grad(|| trained.actor.forward(&obs));
        let b = tch::no_grad(|| cached.actor.forward(&obs));
        assert_eq!(a.double_value(&[0, 0]), b.double_value(&[0, 0]));
    }
}
