//! One module per CLI command; each parses nothing itself and delegates to the crates.
pub mod data;
pub mod env;
pub mod list;
pub mod run;
