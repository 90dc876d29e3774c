//! Replaying a file of actions through an environment: the library side of
//! `kdbench env replay --env ID --seed S --actions FILE`.
//!
//! # Input: the actions CSV
//! One row per step, one comma-separated column per action dimension, each a
//! decimal number rounded once to the nearest `f32` (so the shortest repr of
//! an `f32`, or the exact double of one, gives that `f32` back). Cells are
//! trimmed; blank lines are ignored; a UTF-8 BOM is ignored. The first
//! non-blank row is a header, and skipped, if *none* of its cells is a number
//! (it must still have one cell per action dimension). No quoting. NaN and
//! infinities are rejected. The whole file is read and checked before the
//! environment is stepped, so a bad row is reported even if it comes after
//! the end of the episode; errors name the file, the 1-based line and column,
//! and what was expected.
//!
//! # Output: the trajectory CSV
//! ```text
//! t,reward,terminated,truncated,obs_0,...,obs_{k-1}
//! reset,0,false,false,<reset observation>
//! 0,<reward>,<terminated>,<truncated>,<observation after step 0>
//! 1,...
//! ```
//! The second line is the observation from `reset(Some(seed))` (reward `0`,
//! flags `false`); then one line per step, `t` counting from 0. Rewards are
//! printed as `f64` and observations as `f32` (as `f64` for environments with
//! float64 observations, the MuJoCo ones: see [`Env::obs_f64`]), both with
//! Rust's `Display`, the shortest string that parses back to the same bits
//! (`-0` for negative zero, no exponent). Booleans are `true`/`false`. The environment comes from
//! [`crate::envs::make`] (time limit included), and the replay stops after the
//! first step that is terminated or truncated; remaining action rows are
//! ignored (counted in [`ReplaySummary::unused_actions`]).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use crate::env::Env;
use crate::error::Error;

/// What a replay did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Steps taken.
    pub steps: usize,
    /// The last step was terminated.
    pub terminated: bool,
    /// The last step was truncated.
    pub truncated: bool,
    /// Action rows left over after the episode ended.
    pub unused_actions: usize,
}

/// Errors from [`replay`] and [`parse_actions`].
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Unknown environment id.
    #[error(transparent)]
    Env(#[from] Error),
    /// The actions file could not be opened or read.
    #[error("{file}{}: cannot read: {source}", .line.map(|l| format!(":{l}")).unwrap_or_default())]
    Read {
        /// The file.
        file: String,
        /// The line being read, if any.
        line: Option<usize>,
        /// The I/O error.
        source: io::Error,
    },
    /// A row has the wrong number of cells.
    #[error(
        "{file}:{line}: expected {expected} comma-separated value(s) (the action dimension of {env_id}), found {found}"
    )]
    ColumnCount {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The environment id.
        env_id: String,
        /// The action dimension.
        expected: usize,
        /// Cells found.
        found: usize,
    },
    /// A cell is not a decimal number.
    #[error("{file}:{line}: column {column}: expected a number, found `{cell}`")]
    NotANumber {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column number.
        column: usize,
        /// The cell's text.
        cell: String,
    },
    /// A cell is NaN or infinite.
    #[error("{file}:{line}: column {column}: expected a finite number, found `{cell}`")]
    NotFinite {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column number.
        column: usize,
        /// The cell's text.
        cell: String,
    },
    /// Writing the output failed.
    #[error("cannot write the replay output: {0}")]
    Write(#[source] io::Error),
}

/// Replays the actions in the CSV file `actions_csv` through
/// `make(env_id)` from `reset(Some(seed))`, writing the trajectory CSV to
/// `out` (formats in the [module docs](self)).
pub fn replay(
    env_id: &str,
    seed: u64,
    actions_csv: &Path,
    out: &mut dyn Write,
) -> Result<ReplaySummary, ReplayError> {
    let name = actions_csv.display().to_string();
    let file = File::open(actions_csv).map_err(|source| ReplayError::Read {
        file: name.clone(),
        line: None,
        source,
    })?;
    replay_reader(env_id, seed, BufReader::new(file), &name, out)
}

/// [`replay`] reading the actions CSV from `reader`; `source_name` stands for
/// the file name in errors.
pub fn replay_reader(
    env_id: &str,
    seed: u64,
    reader: impl BufRead,
    source_name: &str,
    out: &mut dyn Write,
) -> Result<ReplaySummary, ReplayError> {
    let mut env = crate::envs::make(env_id)?;
    let actions = parse_actions(reader, source_name, env.id(), env.action_space().dim())?;
    write_replay(env.as_mut(), seed, &actions, out).map_err(ReplayError::Write)
}

/// Parses an actions CSV (format in the [module docs](self)) into one
/// `action_dim`-long row per step; `env_id` only appears in errors.
pub fn parse_actions(
    reader: impl BufRead,
    source_name: &str,
    env_id: &str,
    action_dim: usize,
) -> Result<Vec<Vec<f32>>, ReplayError> {
    let mut rows = Vec::new();
    let mut first = true;
    for (index, line) in reader.lines().enumerate() {
        let lineno = index + 1;
        let line = line.map_err(|source| ReplayError::Read {
            file: source_name.to_string(),
            line: Some(lineno),
            source,
        })?;
        let text = if index == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            &line
        }
        .trim();
        if text.is_empty() {
            continue;
        }
        let cells: Vec<&str> = text.split(',').map(str::trim).collect();
        if cells.len() != action_dim {
            return Err(ReplayError::ColumnCount {
                file: source_name.to_string(),
                line: lineno,
                env_id: env_id.to_string(),
                expected: action_dim,
                found: cells.len(),
            });
        }
        let is_header = first && cells.iter().all(|c| c.parse::<f32>().is_err());
        first = false;
        if is_header {
            continue;
        }
        let row = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let err_fields = (source_name.to_string(), lineno, i + 1, cell.to_string());
                match cell.parse::<f32>() {
                    Ok(v) if v.is_finite() => Ok(v),
                    Ok(_) => {
                        let (file, line, column, cell) = err_fields;
                        Err(ReplayError::NotFinite {
                            file,
                            line,
                            column,
                            cell,
                        })
                    }
                    Err(_) => {
                        let (file, line, column, cell) = err_fields;
                        Err(ReplayError::NotANumber {
                            file,
                            line,
                            column,
                            cell,
                        })
                    }
                }
            })
            .collect::<Result<Vec<f32>, _>>()?;
        rows.push(row);
    }
    Ok(rows)
}

/// Resets `env` with `Some(seed)`, steps it through `actions` until the first
/// terminated or truncated step, and writes the trajectory CSV to `out`.
///
/// # Panics
/// If an action row does not match the env's action dimension.
pub fn write_replay(
    env: &mut dyn Env,
    seed: u64,
    actions: &[Vec<f32>],
    out: &mut dyn Write,
) -> io::Result<ReplaySummary> {
    let mut w = BufWriter::new(out);
    let (obs, _) = env.reset(Some(seed));
    write!(w, "t,reward,terminated,truncated")?;
    for i in 0..obs.len() {
        write!(w, ",obs_{i}")?;
    }
    write!(w, "\nreset,0,false,false")?;
    write_obs(&mut w, &obs, env.obs_f64())?;
    let mut summary = ReplaySummary {
        steps: 0,
        terminated: false,
        truncated: false,
        unused_actions: 0,
    };
    for (t, action) in actions.iter().enumerate() {
        let step = env.step(action);
        write!(
            w,
            "{t},{},{},{}",
            step.reward, step.terminated, step.truncated
        )?;
        write_obs(&mut w, &step.obs, env.obs_f64())?;
        summary.steps = t + 1;
        summary.terminated = step.terminated;
        summary.truncated = step.truncated;
        if step.done() {
            summary.unused_actions = actions.len() - summary.steps;
            break;
        }
    }
    w.flush()?;
    Ok(summary)
}

/// Writes `,obs_0,...` and the line end: the float64 observation when the env has one.
fn write_obs(w: &mut impl Write, obs: &[f32], obs_f64: Option<Vec<f64>>) -> io::Result<()> {
    match obs_f64 {
        Some(exact) => {
            for v in exact {
                write!(w, ",{v}")?;
            }
        }
        None => {
            for v in obs {
                write!(w, ",{v}")?;
            }
        }
    }
    writeln!(w)
}
