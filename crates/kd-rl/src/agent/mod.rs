//! Off-policy actor-critic learners on tch and the distillation terms between them.
//!
//! - [`networks`]: actor and critic MLPs with seeded initialisation, Polyak averaging.
//! - [`buffer`]: the replay buffer.
//! - [`noise`]: seeded Gaussian exploration and smoothing noise.
//! - [`learner`]: TD3 and DDPG updates.
//! - [`distill`]: the actor-loss distillation terms (DPD's disadvantage filter).
//! - [`eval`]: deterministic evaluation from fixed reset seeds.
pub mod buffer;
pub mod distill;
pub mod eval;
pub mod learner;
pub mod networks;
pub mod noise;

pub use buffer::{Batch, ReplayBuffer};
pub use distill::{DistillFilter, Guide};
pub use eval::evaluate;
pub use learner::{Algorithm, Learner, LearnerConfig, UpdateStats};
pub use networks::{Actor, Critic};
