//! Training one or two learners side by side on their own copies of an environment, with
//! periodic evaluation and the method's distillation.
//!
//! Each step, every learner acts once in its own environment (uniformly random actions for
//! the first `warmup_steps` steps, then its policy plus exploration noise), stores the
//! transition in its own replay buffer and, from the end of the warm-up on, makes one update
//! on a batch from that buffer. The learners of a pair update one after the other, `a`
//! first; a learner's guide (its peer, or the teacher) acts on the learner's own batch.
//!
//! Every random stream derives from the run seed and the learner's role and letter
//! (`learner/a/init`, `learner/b/env`, `teacher/a/noise`, ...) through
//! [`kd_core::seeding::stream`], so learner `a` of a pair without distillation is the same
//! learner as that of a single run, and concurrent runs never share a generator.
use kd_core::seeding::stream;
use rand::Rng;
use rand_pcg::Pcg64;
use tch::Device;

use crate::agent::{evaluate, Actor, Algorithm, DistillFilter, Guide, Learner, ReplayBuffer};
use crate::config::RlConfig;
use crate::env::Env;

/// One evaluation: the mean return of the deterministic policy after `step` env steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Environment steps taken by the learner so far.
    pub step: u64,
    /// Mean undiscounted return over the evaluation episodes.
    pub mean_return: f64,
}

/// The record of one learner.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LearnerHistory {
    /// Evaluations, in step order.
    pub evals: Vec<Evaluation>,
    /// At each evaluation step, the fraction of states the learner imitated its guide on
    /// since the previous evaluation (only learners with a guide).
    pub distill_fraction: Vec<(u64, f64)>,
}

impl LearnerHistory {
    /// The last evaluation.
    pub fn last(&self) -> Evaluation {
        *self.evals.last().expect("training evaluates at least once")
    }

    /// The evaluation with the highest return (the first of equals).
    pub fn best(&self) -> Evaluation {
        self.evals
            .iter()
            .copied()
            .reduce(|best, e| {
                if e.mean_return > best.mean_return {
                    e
                } else {
                    best
                }
            })
            .expect("training evaluates at least once")
    }
}

/// Where a learner's distillation target comes from.
pub enum GuideSource<'a> {
    /// No distillation.
    None,
    /// The other learner of the pair.
    Peer(DistillFilter),
    /// A fixed, pre-trained actor.
    Teacher(&'a Actor, DistillFilter),
}

/// What to train.
pub struct Plan<'a> {
    /// The Gymnasium id, made with its time limit.
    pub env_id: &'a str,
    /// Budget and hyperparameters (`total_steps` is the per-learner budget).
    pub config: &'a RlConfig,
    /// TD3 or DDPG.
    pub algorithm: Algorithm,
    /// 1 or 2 learners.
    pub learners: usize,
    /// What the learners imitate.
    pub guide: GuideSource<'a>,
    /// The run seed.
    pub seed: u64,
    /// Prefix of the random streams' names (`learner`, `teacher`).
    pub role: &'a str,
    /// Where the networks live.
    pub device: Device,
}

/// Why training stopped early.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A loss became NaN or infinite.
    #[error("learner {learner}: the {which} loss became {value} at step {step}")]
    Diverged {
        /// `a` or `b`.
        learner: char,
        /// `critic` or `actor`.
        which: &'static str,
        /// The environment step.
        step: u64,
        /// The loss.
        value: f64,
    },
    /// Anything else (a bad environment id, a libtorch error).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// The letter naming learner `i` (`a`, `b`).
pub fn letter(i: usize) -> char {
    (b'a' + i as u8) as char
}

/// One learner with its environment, buffer and random streams.
struct Participant {
    learner: Learner,
    env: Box<dyn Env>,
    obs: Vec<f32>,
    buffer: ReplayBuffer,
    warmup_rng: Pcg64,
    replay_rng: Pcg64,
    fraction_sum: f64,
    fraction_count: u64,
}

impl Participant {
    fn new(plan: &Plan, index: usize) -> anyhow::Result<Participant> {
        let name = |purpose: &str| format!("{}/{}/{purpose}", plan.role, letter(index));
        let mut env = crate::envs::make(plan.env_id)?;
        let env_seed: u64 = stream(plan.seed, &name("env")).random();
        let (obs, _) = env.reset(Some(env_seed));
        let obs_dim = env.observation_space().dim();
        let space = env.action_space().clone();
        let learner = Learner::new(
            &plan.config.learner(plan.algorithm),
            obs_dim,
            &space,
            plan.device,
            &mut stream(plan.seed, &name("init")),
            stream(plan.seed, &name("noise")),
        )?;
        let capacity = plan.config.buffer_size.min(plan.config.total_steps).max(1);
        Ok(Participant {
            learner,
            env,
            obs,
            buffer: ReplayBuffer::new(obs_dim, space.dim(), capacity),
            warmup_rng: stream(plan.seed, &name("warmup")),
            replay_rng: stream(plan.seed, &name("replay")),
            fraction_sum: 0.0,
            fraction_count: 0,
        })
    }

    fn act_and_store(&mut self, warmup: bool) {
        let action = if warmup {
            let space = self.env.action_space();
            let rng = &mut self.warmup_rng;
            space
                .low()
                .iter()
                .zip(space.high())
                .map(|(&l, &h)| l + (h - l) * rng.random::<f32>())
                .collect()
        } else {
            self.learner.explore(&self.obs)
        };
        let step = self.env.step(&action);
        self.buffer
            .push(&self.obs, &action, step.reward, &step.obs, step.terminated);
        self.obs = if step.done() {
            self.env.reset(None).0
        } else {
            step.obs
        };
    }
}

/// Trains the plan's learners for `config.total_steps` steps each, evaluating every
/// `eval_every` steps and after the last; `on_eval` sees each step and the learners' returns.
/// Returns the learners and their histories.
pub fn train(
    plan: &Plan,
    on_eval: &mut dyn FnMut(u64, &[f64]),
) -> Result<(Vec<Learner>, Vec<LearnerHistory>), TrainError> {
    let config = plan.config;
    let mut parts: Vec<Participant> = (0..plan.learners)
        .map(|i| Participant::new(plan, i))
        .collect::<anyhow::Result<_>>()?;
    let mut histories = vec![LearnerHistory::default(); plan.learners];
    let total = config.total_steps as u64;
    for step in 1..=total {
        let warmup = step <= config.warmup_steps as u64;
        for part in parts.iter_mut() {
            part.act_and_store(warmup);
        }
        if !warmup {
            for i in 0..parts.len() {
                update_one(plan, &mut parts, i, step)?;
            }
        }
        if step.is_multiple_of(config.eval_every as u64) || step == total {
            let mut returns = Vec::with_capacity(parts.len());
            for (part, history) in parts.iter_mut().zip(histories.iter_mut()) {
                let mean_return = evaluate(
                    part.learner.actor(),
                    plan.env_id,
                    config.eval_episodes,
                    plan.device,
                )
                .map_err(anyhow::Error::from)?;
                history.evals.push(Evaluation { step, mean_return });
                if part.fraction_count > 0 {
                    let mean = part.fraction_sum / part.fraction_count as f64;
                    history.distill_fraction.push((step, mean));
                    (part.fraction_sum, part.fraction_count) = (0.0, 0);
                }
                returns.push(mean_return);
            }
            on_eval(step, &returns);
        }
    }
    Ok((parts.into_iter().map(|p| p.learner).collect(), histories))
}

/// One update of learner `i`, with its guide's actions on the batch when the actor trains.
fn update_one(
    plan: &Plan,
    parts: &mut [Participant],
    i: usize,
    step: u64,
) -> Result<(), TrainError> {
    let batch = {
        let part = &mut parts[i];
        part.buffer
            .sample(plan.config.batch_size, &mut part.replay_rng, plan.device)
    };
    let guide = if parts[i].learner.actor_update_due() {
        let (actions, filter) = match plan.guide {
            GuideSource::None => (None, DistillFilter::All),
            GuideSource::Peer(filter) => {
                let peer = &parts[1 - i].learner;
                (Some(peer.act_batch(&batch.obs)), filter)
            }
            GuideSource::Teacher(actor, filter) => {
                (Some(tch::no_grad(|| actor.forward(&batch.obs))), filter)
            }
        };
        actions.map(|actions| Guide {
            actions,
            filter,
            weight: plan.config.distill_weight,
        })
    } else {
        None
    };
    let part = &mut parts[i];
    let stats = part.learner.update(&batch, guide.as_ref());
    let diverged = |which, value: f64| TrainError::Diverged {
        learner: letter(i),
        which,
        step,
        value,
    };
    if !stats.critic_loss.is_finite() {
        return Err(diverged("critic", stats.critic_loss));
    }
    if let Some(loss) = stats.actor_loss.filter(|l| !l.is_finite()) {
        return Err(diverged("actor", loss));
    }
    if let Some(fraction) = stats.distill_fraction {
        part.fraction_sum += fraction;
        part.fraction_count += 1;
    }
    Ok(())
}
