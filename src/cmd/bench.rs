//! `kdbench bench`: side-by-side timings of kdbench and its Python reference (see
//! [`crate::bench`]).
use crate::bench::data::DataBench;
use crate::bench::env_step::EnvStepBench;
use crate::bench::reference::Python;
use crate::bench::stats::StatsBench;
use crate::bench::train_step::{BenchModel, TrainStepBench};
use crate::bench::Measurement;
use clap::{Args, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// What `kdbench bench` times.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Training steps (forward, cross-entropy, backward, optimiser step) of a model, against
    /// the same model, batch, optimiser and thread count in PyTorch eager.
    TrainStep {
        /// The model.
        #[arg(long, value_enum)]
        model: BenchModel,
        /// Batch size [default: mlp, lenet 128; resnet20 32; bert-mini 8 (x 128 tokens)].
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        batch: Option<u64>,
        /// Timed steps per round [default: mlp, lenet 20; resnet20 5; bert-mini 3].
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        steps: Option<u64>,
        /// Untimed warm-up steps.
        #[arg(long, default_value_t = 3)]
        warmup: u64,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Environment steps (reset at episode ends) against Gymnasium's `gymnasium.make(ID)`.
    EnvStep {
        /// Environment id.
        #[arg(long = "env", default_value = "Pendulum-v1")]
        env_id: String,
        /// Timed steps per round.
        #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..))]
        steps: u64,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// One epoch of shuffled training batches from an IDX data set, against a
    /// torchvision-style Dataset + DataLoader over the same files.
    Data {
        /// The data set.
        #[arg(long, value_enum, default_value_t = BenchData::Mnist)]
        dataset: BenchData,
        /// The data folder [default: $KDBENCH_DATA or ~/.cache/kdbench/data].
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Batch size.
        #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..))]
        batch: u64,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Stratified-bootstrap 95% CIs of the IQM (one per method) against rliable.
    Stats {
        /// Tasks.
        #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u64).range(1..))]
        tasks: u64,
        /// Methods (one CI each).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
        methods: u64,
        /// Seeds (runs per task).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
        seeds: u64,
        /// Bootstrap replicates per CI (`kdbench compare --aggregate` uses 10000; rliable
        /// takes about a second per 1000 here).
        #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
        reps: u64,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Every bench above with its defaults: train-step for each model, env-step on
    /// Pendulum-v1, data on MNIST, stats.
    All {
        /// The data folder for the data bench [default: $KDBENCH_DATA or ~/.cache/kdbench/data].
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[command(flatten)]
        common: CommonArgs,
    },
}

/// Data sets `bench data` can read (IDX format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchData {
    /// MNIST.
    Mnist,
    /// Fashion-MNIST.
    FashionMnist,
}

impl BenchData {
    fn folder(self) -> &'static str {
        match self {
            BenchData::Mnist => "mnist",
            BenchData::FashionMnist => "fashion-mnist",
        }
    }
}

/// Options every bench takes.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Timed rounds per side; the fastest round counts.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    rounds: u64,
    /// libtorch intra-op threads, on both sides (torch.set_num_threads on the Python side).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    threads: u64,
    /// Output: one line per measurement (text), or one JSON object per line (json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Time kdbench's side only (the ratio is then absent).
    #[arg(long)]
    no_reference: bool,
}

/// Output format of `kdbench bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// One bench to run.
enum Job {
    Train(TrainStepBench),
    Env(EnvStepBench),
    Data(DataBench),
    Stats(StatsBench),
}

impl Job {
    fn run(&self, python: &Python) -> anyhow::Result<Measurement> {
        match self {
            Job::Train(b) => b.run(python),
            Job::Env(b) => b.run(python),
            Job::Data(b) => b.run(python),
            Job::Stats(b) => b.run(python),
        }
    }
}

fn train_job(
    model: BenchModel,
    batch: Option<u64>,
    steps: Option<u64>,
    warmup: u64,
    c: &CommonArgs,
) -> Job {
    let (default_batch, default_steps) = model.defaults();
    Job::Train(TrainStepBench {
        model,
        batch: batch.map_or(default_batch, |b| b as usize),
        steps: steps.map_or(default_steps, |s| s as usize),
        warmup: warmup as usize,
        rounds: c.rounds as usize,
        threads: c.threads as usize,
    })
}

fn stats_job(tasks: u64, methods: u64, seeds: u64, reps: u64, c: &CommonArgs) -> Job {
    Job::Stats(StatsBench {
        tasks: tasks as usize,
        methods: methods as usize,
        seeds: seeds as usize,
        reps: reps as usize,
        rounds: c.rounds as usize,
    })
}

fn data_job(dataset: BenchData, data_dir: Option<PathBuf>, batch: u64, c: &CommonArgs) -> Job {
    Job::Data(DataBench {
        dir: kd_harness::data::data_dir(data_dir).join(dataset.folder()),
        batch: batch as usize,
        rounds: c.rounds as usize,
        threads: c.threads as usize,
    })
}

/// Runs `kdbench bench ...`: prints each measurement as it completes. Exit 1 when a bench
/// failed (the others still run under `all`).
pub fn run(command: BenchCommand) -> anyhow::Result<ExitCode> {
    let (jobs, common) = match command {
        BenchCommand::TrainStep {
            model,
            batch,
            steps,
            warmup,
            common,
        } => (
            vec![train_job(model, batch, steps, warmup, &common)],
            common,
        ),
        BenchCommand::EnvStep {
            env_id,
            steps,
            common,
        } => {
            let job = Job::Env(EnvStepBench {
                env: env_id,
                steps: steps as usize,
                rounds: common.rounds as usize,
            });
            (vec![job], common)
        }
        BenchCommand::Data {
            dataset,
            data_dir,
            batch,
            common,
        } => (vec![data_job(dataset, data_dir, batch, &common)], common),
        BenchCommand::Stats {
            tasks,
            methods,
            seeds,
            reps,
            common,
        } => (
            vec![stats_job(tasks, methods, seeds, reps, &common)],
            common,
        ),
        BenchCommand::All { data_dir, common } => {
            let mut jobs: Vec<Job> = BenchModel::ALL
                .iter()
                .map(|&m| train_job(m, None, None, 3, &common))
                .collect();
            jobs.push(Job::Env(EnvStepBench {
                env: "Pendulum-v1".into(),
                steps: 20_000,
                rounds: common.rounds as usize,
            }));
            jobs.push(data_job(BenchData::Mnist, data_dir, 128, &common));
            jobs.push(stats_job(6, 5, 20, 2_000, &common));
            (jobs, common)
        }
    };
    let python = if common.no_reference {
        Python::Skip("--no-reference".into())
    } else {
        Python::locate()
    };
    if common.format == Format::Text {
        println!("{}", machine_line(&common));
    }
    let single = jobs.len() == 1;
    let mut failed = 0;
    for job in &jobs {
        match job.run(&python) {
            Ok(m) => {
                let line = match common.format {
                    Format::Text => m.to_text(),
                    Format::Json => {
                        let mut v = m.to_json();
                        v["load1"] = serde_json::json!(load_average());
                        v.to_string()
                    }
                };
                println!("{line}");
                let _ = std::io::stdout().flush();
            }
            // A single bench's error (bad input included) is the command's error.
            Err(e) if single => return Err(e),
            Err(e) => {
                eprintln!("error: {e:#}");
                failed += 1;
            }
        }
    }
    if common.format == Format::Text {
        println!(
            "# load average after: {}",
            load_average().unwrap_or(f64::NAN)
        );
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The 1-minute load average (Linux), when readable.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `# <cpu model>, <n> cores, threads T, rounds R, load L`.
fn machine_line(common: &CommonArgs) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "# {cpu}, {cores} cores; threads {}, rounds {} (fastest counts); load average {}",
        common.threads,
        common.rounds,
        load_average().unwrap_or(f64::NAN)
    )
}
