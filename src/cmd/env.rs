//! `kdbench env replay`: step a Gymnasium-exact environment through recorded actions and
//! print the trajectory as CSV (for debugging environments and checking exactness).
use kd_harness::error::bad_input;
use kd_rl::{replay, ReplayError};
use std::path::Path;

/// Replays `actions` in `env_id` from `reset(seed)`, printing CSV to stdout.
pub fn replay_command(env_id: &str, seed: u64, actions: &Path) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let summary = replay(env_id, seed, actions, &mut out).map_err(|e| match e {
        ReplayError::Write(_) => anyhow::Error::new(e),
        other => bad_input(other.to_string()),
    })?;
    drop(out);
    if summary.unused_actions > 0 {
        eprintln!(
            "kdbench env replay: the episode ended after {} steps; {} action row(s) were not used",
            summary.steps, summary.unused_actions
        );
    }
    Ok(())
}
