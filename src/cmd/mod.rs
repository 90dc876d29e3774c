//! One module per CLI command; each parses nothing itself and delegates to the crates.
pub mod bench;
pub mod compare;
pub mod data;
pub mod env;
pub mod gate;
pub mod leaderboard;
pub mod list;
pub mod merge;
pub mod plot;
pub mod report;
pub mod run;
pub mod scores;
pub mod slurm;
