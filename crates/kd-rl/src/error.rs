//! The crate's error type for building environments.

/// Errors from [`crate::envs::make`] and [`crate::wrappers::VecEnv`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The id is not registered.
    #[error("unknown environment id `{id}`; known ids: {}", .known.join(", "))]
    UnknownEnv {
        /// The id asked for.
        id: String,
        /// Every registered id.
        known: Vec<&'static str>,
    },
    /// A MuJoCo environment was asked for in a build without the `mujoco` feature.
    #[error("environment `{id}` is {}", crate::envs::MUJOCO_MISSING)]
    NeedsMujoco {
        /// The id asked for.
        id: String,
    },
    /// A vectorised env was given no environments.
    #[error("a VecEnv needs at least one environment")]
    NoEnvs,
    /// The environments of a vectorised env do not share their spaces.
    #[error(
        "VecEnv: environment {index} (`{id}`) has a different {which} space from environment 0"
    )]
    IncompatibleSpaces {
        /// Index of the first mismatching environment.
        index: usize,
        /// Its id.
        id: String,
        /// `"observation"` or `"action"`.
        which: &'static str,
    },
}
