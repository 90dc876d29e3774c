//! `kdbench slurm`: write (and optionally submit) a Slurm script that runs a suite as a job
//! array, one shard per array task, and merges the shards in a job that depends on them all.
use kd_harness::error::bad_input;
use kd_harness::matrix::build_matrix;
use kd_harness::registry::Registry;
use kd_harness::suite::Suite;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `kdbench slurm`.
#[derive(Debug, clap::Args)]
pub struct SlurmArgs {
    /// A built-in suite name (see `kdbench list suites`) or a path to a suite TOML file.
    #[arg(long)]
    pub suite: String,
    /// Number of shards, one Slurm array task each (at most the suite's number of runs).
    #[arg(long)]
    pub shards: usize,
    /// Slurm partition(s) for both jobs [default: the cluster's default].
    #[arg(long)]
    pub partition: Option<String>,
    /// GPUs for each array task (`sbatch --gpus-per-task`); needs `--device cuda`.
    #[arg(long)]
    pub gpus_per_task: Option<u32>,
    /// Time limit of each array task: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS.
    #[arg(long)]
    pub time: Option<String>,
    /// CPUs for each array task; `kdbench run` gets as many `--threads`.
    #[arg(long, default_value_t = 1)]
    pub cpus_per_task: u32,
    /// The folder of the shards (`DIR/shard-I`), the merged results (`DIR/merged`) and the
    /// job logs (`DIR/logs`) [default: results/<suite>-slurm].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the script to this file (made executable) instead of stdout [default with
    /// --submit: DIR/kdbench-slurm.sh].
    #[arg(long)]
    pub script: Option<PathBuf>,
    /// Submit at once: run the script, which calls `sbatch` for the array and for the merge.
    #[arg(long)]
    pub submit: bool,
    /// Another sbatch option for both jobs, e.g. `--sbatch-arg=--qos=high` (repeatable).
    #[arg(
        long = "sbatch-arg",
        alias = "sbatch-args",
        value_name = "OPTION",
        allow_hyphen_values = true
    )]
    pub sbatch_args: Vec<String>,
    /// The kdbench executable the jobs run [default: this one].
    #[arg(long)]
    pub kdbench: Option<PathBuf>,
    /// `run --device` of every shard: cpu, cuda or cuda:N (checked on the nodes, not here).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// `run --jobs` of every shard (runs at once within an array task).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// `run --seeds`: a range `0..5` (end excluded) or a list `0,3,7`.
    #[arg(long)]
    pub seeds: Option<String>,
    /// `run --tasks` (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub tasks: Option<Vec<String>>,
    /// `run --methods` (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub methods: Option<Vec<String>>,
    /// `run --set`: override a config key, e.g. `epochs=2` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// `run --data-dir` of every shard [default: $KDBENCH_DATA on the node, else ~/.cache/kdbench/data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// Everything the script needs, checked and with absolute paths.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmPlan {
    /// The suite as `run` and `merge` get it (a name, or an absolute file path).
    pub suite: String,
    /// The suite's name, for job names.
    pub suite_name: String,
    /// The number of shards.
    pub shards: usize,
    /// The number of runs of the whole matrix.
    pub runs: usize,
    /// The folder of shards, merged results and logs.
    pub out: PathBuf,
    /// The working folder of the jobs (where `kdbench slurm` ran).
    pub workdir: PathBuf,
    /// The kdbench executable.
    pub kdbench: PathBuf,
    /// Options of `kdbench run` after the shard, out and resume ones.
    pub run_args: Vec<String>,
    /// sbatch options of the array job (besides array, output, job name and working folder).
    pub shard_sbatch: Vec<String>,
    /// sbatch options of the merge job.
    pub merge_sbatch: Vec<String>,
}

/// Runs the command: writes the script, and submits it with `--submit`.
pub fn run(registry: &Registry, args: &SlurmArgs) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let plan = plan(registry, args, &cwd)?;
    let text = script(&plan);
    let path = match (&args.script, args.submit) {
        (Some(path), _) => Some(absolute(path, &cwd)),
        (None, true) => Some(plan.out.join("kdbench-slurm.sh")),
        (None, false) => None,
    };
    let Some(path) = path else {
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| anyhow::anyhow!("{}: cannot create it: {e}", parent.display()))?;
    }
    std::fs::write(&path, &text)
        .map_err(|e| anyhow::anyhow!("{}: cannot write it: {e}", path.display()))?;
    make_executable(&path)?;
    eprintln!(
        "kdbench slurm: suite '{}', {} runs in {} shards: wrote {}",
        plan.suite_name,
        plan.runs,
        plan.shards,
        path.display()
    );
    if !args.submit {
        eprintln!(
            "kdbench slurm: submit with `sh {}` (it calls sbatch twice)",
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let status = std::process::Command::new("sh")
        .arg(&path)
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run sh {}: {e}", path.display()))?;
    if !status.success() {
        anyhow::bail!(
            "submitting failed ({status}): is sbatch on the PATH and the cluster reachable? \
             The script is {}",
            path.display()
        );
    }
    eprintln!(
        "kdbench slurm: the merged results will be in {}",
        plan.out.join("merged").display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = std::fs::metadata(path)?.permissions();
    permissions.set_mode(permissions.mode() | 0o755);
    std::fs::set_permissions(path, permissions)?;
    Ok(())
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

/// Checks the arguments against the registry (the suite, its matrix and every option) and
/// resolves paths against `cwd`. Every problem is bad input naming the option.
pub fn plan(registry: &Registry, args: &SlurmArgs, cwd: &Path) -> anyhow::Result<SlurmPlan> {
    // A suite file given by path must be found from the nodes too.
    let file = absolute(Path::new(&args.suite), cwd);
    let suite_arg = if file.is_file() || args.suite.ends_with(".toml") {
        file.display().to_string()
    } else {
        args.suite.clone()
    };
    let suite = Suite::load(
        &suite_arg,
        &|n| registry.suite_text(n),
        &registry.suite_names(),
    )?;
    let options = super::run::matrix_options(
        args.seeds.as_deref(),
        &args.tasks,
        &args.methods,
        &args.set,
        None,
    )?;
    let runs = build_matrix(&suite, registry, &options)?.len();
    if runs == 0 {
        return Err(bad_input(
            "the selection leaves no run to do (check --tasks, --methods)",
        ));
    }
    if args.shards == 0 || args.shards > runs {
        return Err(bad_input(format!(
            "--shards {}: expected 1 to {runs} (suite '{}' has {runs} runs with these options; \
             a shard without runs would fail its array task)",
            args.shards, suite.name
        )));
    }
    check_device(&args.device)?;
    if args.jobs == 0 {
        return Err(bad_input("--jobs: expected at least 1"));
    }
    if args.cpus_per_task == 0 {
        return Err(bad_input("--cpus-per-task: expected at least 1"));
    }
    let gpus = args.gpus_per_task.filter(|&g| g > 0);
    if gpus.is_some() && args.device == "cpu" {
        return Err(bad_input(format!(
            "--gpus-per-task {}: the runs would not use the GPUs with --device cpu; \
             add --device cuda",
            gpus.unwrap_or_default()
        )));
    }
    if let Some(time) = &args.time {
        check_time(time)?;
    }
    if let Some(partition) = &args.partition {
        check_partition(partition)?;
    }
    for arg in &args.sbatch_args {
        check_sbatch_arg(arg)?;
    }

    let out = absolute(
        &args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("results").join(format!("{}-slurm", suite.name))),
        cwd,
    );
    let kdbench = match &args.kdbench {
        Some(path) => absolute(path, cwd),
        None => std::env::current_exe()?,
    };

    let mut run_args = vec!["--device".to_string(), args.device.clone()];
    run_args.extend(["--jobs".to_string(), args.jobs.to_string()]);
    if let Some(seeds) = &args.seeds {
        run_args.extend(["--seeds".to_string(), seeds.clone()]);
    }
    if let Some(tasks) = &args.tasks {
        run_args.extend(["--tasks".to_string(), tasks.join(",")]);
    }
    if let Some(methods) = &args.methods {
        run_args.extend(["--methods".to_string(), methods.join(",")]);
    }
    for set in &args.set {
        run_args.extend(["--set".to_string(), set.clone()]);
    }
    if let Some(dir) = &args.data_dir {
        run_args.extend([
            "--data-dir".to_string(),
            absolute(dir, cwd).display().to_string(),
        ]);
    }

    let mut common = Vec::new();
    if let Some(partition) = &args.partition {
        common.push(format!("--partition={partition}"));
    }
    let mut shard_sbatch = common.clone();
    shard_sbatch.push(format!("--cpus-per-task={}", args.cpus_per_task));
    if let Some(gpus) = gpus {
        shard_sbatch.push(format!("--gpus-per-task={gpus}"));
    }
    if let Some(time) = &args.time {
        shard_sbatch.push(format!("--time={time}"));
    }
    let mut merge_sbatch = common;
    merge_sbatch.push("--cpus-per-task=1".to_string());
    shard_sbatch.extend(args.sbatch_args.iter().cloned());
    merge_sbatch.extend(args.sbatch_args.iter().cloned());

    Ok(SlurmPlan {
        suite: suite_arg,
        suite_name: suite.name.clone(),
        shards: args.shards,
        runs,
        out,
        workdir: cwd.to_path_buf(),
        kdbench,
        run_args,
        shard_sbatch,
        merge_sbatch,
    })
}

/// `cpu`, `cuda` or `cuda:N`, by syntax only: the GPUs are on the nodes, not here.
fn check_device(device: &str) -> anyhow::Result<()> {
    let ok = device == "cpu"
        || device == "cuda"
        || device
            .strip_prefix("cuda:")
            .is_some_and(|n| n.parse::<usize>().is_ok());
    if ok {
        Ok(())
    } else {
        Err(bad_input(format!(
            "--device '{device}': expected cpu, cuda or cuda:N"
        )))
    }
}

/// Slurm's time formats: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or UNLIMITED.
fn check_time(time: &str) -> anyhow::Result<()> {
    let bad = || {
        bad_input(format!(
            "--time '{time}': expected minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS \
             (e.g. 90, 04:00:00 or 1-12:00:00)"
        ))
    };
    if matches!(time, "UNLIMITED" | "INFINITE") {
        return Ok(());
    }
    let number = |s: &str| !s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit());
    let (days, clock) = match time.split_once('-') {
        Some((d, rest)) => (Some(d), rest),
        None => (None, time),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let well_formed = days.is_none_or(number)
        && parts.iter().all(|p| number(p))
        && (1..=3).contains(&parts.len());
    // Below the largest unit, minutes and seconds are 0-59.
    let in_range = parts
        .iter()
        .skip(1)
        .all(|p| p.parse::<u32>().is_ok_and(|v| v < 60))
        && (days.is_none() || parts[0].parse::<u32>().is_ok_and(|h| h < 24));
    let nonzero = time.bytes().any(|b| (b'1'..=b'9').contains(&b));
    if well_formed && in_range && nonzero {
        Ok(())
    } else {
        Err(bad())
    }
}

fn check_partition(partition: &str) -> anyhow::Result<()> {
    let ok = !partition.is_empty()
        && partition.split(',').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        });
    if ok {
        Ok(())
    } else {
        Err(bad_input(format!(
            "--partition '{partition}': expected a partition name (letters, digits, _ - .), \
             or several separated by commas"
        )))
    }
}

fn check_sbatch_arg(arg: &str) -> anyhow::Result<()> {
    if !arg.starts_with('-') || arg.contains('\n') {
        return Err(bad_input(format!(
            "--sbatch-arg '{arg}': expected one sbatch option, e.g. --sbatch-arg=--qos=high"
        )));
    }
    for managed in [
        "--array",
        "--dependency",
        "--output",
        "--chdir",
        "-a",
        "-d",
        "-o",
        "-D",
    ] {
        let name = arg.split('=').next().unwrap_or(arg);
        if name == managed {
            return Err(bad_input(format!(
                "--sbatch-arg '{arg}': kdbench slurm sets {managed} itself"
            )));
        }
    }
    Ok(())
}

/// Quotes `word` for a POSIX shell (unchanged when it holds only safe characters).
pub fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=,+@%".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn quoted(words: &[String]) -> String {
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The script: `sh SCRIPT` submits the array and the merge; Slurm runs it again as
/// `SCRIPT shard` (each array task) and `SCRIPT merge`.
pub fn script(plan: &SlurmPlan) -> String {
    let last = plan.shards - 1;
    let name = format!("kdbench-{}", plan.suite_name);
    let shard_sbatch = quoted(&plan.shard_sbatch);
    let merge_sbatch = quoted(&plan.merge_sbatch);
    let space = |s: &str| {
        if s.is_empty() {
            String::new()
        } else {
            format!(" {s}")
        }
    };
    format!(
        r#"#!/bin/sh
# kdbench on Slurm: suite '{suite_name}' ({runs} runs) in {shards} shards, one array task each,
# then a merge job that starts once every shard has succeeded. Written by `kdbench slurm`.
#
#   sh THIS_FILE            submit both jobs; prints shards_job=ID and merge_job=ID
#   sh THIS_FILE shard I    run shard I (0 <= I < {shards}) here, without Slurm
#   sh THIS_FILE merge      merge the shards here
#
# Submitting again continues: every shard resumes (runs already ok are kept) and the merge
# is redone. Results: {out_shown}/merged; logs: {out_shown}/logs.
set -eu
KDBENCH={kdbench}
OUT={out}
SHARDS={shards}

shard() {{
  case $1 in ''|*[!0-9]*) echo "shard '$1': expected a number" >&2; exit 2;; esac
  exec "$KDBENCH" run --suite {suite} --shard "$1/$SHARDS" --out "$OUT/shard-$1" --resume \
    ${{SLURM_CPUS_PER_TASK:+--threads $SLURM_CPUS_PER_TASK}} {run_args}
}}

merge() {{
  set --
  i=0
  while [ "$i" -lt "$SHARDS" ]; do set -- "$@" "$OUT/shard-$i"; i=$((i + 1)); done
  rm -rf "$OUT/merged"
  exec "$KDBENCH" merge "$OUT/merged" "$@" --suite {suite}
}}

case ${{1:-submit}} in
  submit)
    mkdir -p "$OUT/logs"
    job=$(sbatch --parsable --job-name={name} --array=0-{last} --chdir={workdir} \
      --output="$OUT/logs/shard-%a.out"{shard_sbatch} "$0" shard)
    job=${{job%%;*}}
    merge_job=$(sbatch --parsable --job-name={name}-merge --dependency="afterok:$job" \
      --kill-on-invalid-dep=yes --chdir={workdir} --output="$OUT/logs/merge.out"{merge_sbatch} \
      "$0" merge)
    echo "shards_job=$job"
    echo "merge_job=${{merge_job%%;*}}"
    ;;
  shard) shard "${{2:-${{SLURM_ARRAY_TASK_ID:?not an array task: give the shard, e.g. shard 0}}}}" ;;
  merge) merge ;;
  *) echo "usage: sh $0 [submit | shard I | merge]" >&2; exit 2 ;;
esac
"#,
        suite_name = plan.suite_name,
        runs = plan.runs,
        shards = plan.shards,
        out_shown = plan.out.display(),
        kdbench = shell_quote(&plan.kdbench.display().to_string()),
        out = shell_quote(&plan.out.display().to_string()),
        suite = shell_quote(&plan.suite),
        run_args = quoted(&plan.run_args),
        name = shell_quote(&name),
        workdir = shell_quote(&plan.workdir.display().to_string()),
        shard_sbatch = space(&shard_sbatch),
        merge_sbatch = space(&merge_sbatch),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SlurmArgs,
    }

    fn args(line: &[&str]) -> SlurmArgs {
        let mut all = vec!["kdbench-slurm"];
        all.extend_from_slice(line);
        Cli::try_parse_from(all).expect("parses").args
    }

    fn plan_of(line: &[&str]) -> anyhow::Result<SlurmPlan> {
        let mut all = vec!["--kdbench", "/opt/kd/kdbench"];
        all.extend_from_slice(line);
        plan(&crate::registry(), &args(&all), Path::new("/home/u/work"))
    }

    fn error(line: &[&str]) -> String {
        let e = plan_of(line).expect_err("a bad value");
        assert!(e.downcast_ref::<kd_harness::error::BadInput>().is_some());
        format!("{e:#}")
    }

    #[test]
    fn the_script_runs_one_shard_per_array_task_and_merges_after_all() {
        let plan = plan_of(&[
            "--suite",
            "smoke",
            "--shards",
            "3",
            "--seeds",
            "0..2",
            "--set",
            "epochs=2",
            "--partition",
            "gpu",
            "--gpus-per-task",
            "1",
            "--device",
            "cuda",
            "--time",
            "04:00:00",
            "--cpus-per-task",
            "4",
            "--sbatch-arg=--qos=high",
            "--out",
            "res",
        ])
        .unwrap();
        assert_eq!(plan.runs, 6);
        assert_eq!(plan.out, Path::new("/home/u/work/res"));
        let text = script(&plan);
        assert!(text.starts_with("#!/bin/sh\n"), "{text}");
        for expected in [
            "KDBENCH=/opt/kd/kdbench\n",
            "OUT=/home/u/work/res\n",
            "SHARDS=3\n",
            r#"exec "$KDBENCH" run --suite smoke --shard "$1/$SHARDS" --out "$OUT/shard-$1" --resume"#,
            "${SLURM_CPUS_PER_TASK:+--threads $SLURM_CPUS_PER_TASK} --device cuda --jobs 1 \
             --seeds 0..2 --set epochs=2\n",
            r#"exec "$KDBENCH" merge "$OUT/merged" "$@" --suite smoke"#,
            "--array=0-2 --chdir=/home/u/work",
            r#"--output="$OUT/logs/shard-%a.out" --partition=gpu --cpus-per-task=4 --gpus-per-task=1 --time=04:00:00 --qos=high "$0" shard)"#,
            r#"--dependency="afterok:$job""#,
            "--kill-on-invalid-dep=yes",
            r#"--output="$OUT/logs/merge.out" --partition=gpu --cpus-per-task=1 --qos=high"#,
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        // The merge job asks for no GPU and no long time limit.
        let merge_line = text.lines().find(|l| l.contains("merge.out")).unwrap();
        assert!(!merge_line.contains("gpus"), "{merge_line}");
    }

    #[test]
    fn paths_and_odd_values_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("epochs=2"), "epochs=2");
        assert_eq!(shell_quote("hidden=[16, 8]"), "'hidden=[16, 8]'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        let plan = plan_of(&[
            "--suite",
            "smoke",
            "--shards",
            "2",
            "--set",
            "task.digits-mlp.student.hidden=[16, 8]",
            "--out",
            "my results",
        ])
        .unwrap();
        let text = script(&plan);
        assert!(text.contains("OUT='/home/u/work/my results'\n"), "{text}");
        assert!(
            text.contains("--set 'task.digits-mlp.student.hidden=[16, 8]'"),
            "{text}"
        );
        // No partition, GPUs or time limit unless asked for; the default output folder.
        assert!(
            !text.contains("--partition") && !text.contains("--gpus") && !text.contains("--time")
        );
        let default = plan_of(&["--suite", "smoke", "--shards", "2"]).unwrap();
        assert_eq!(default.out, Path::new("/home/u/work/results/smoke-slurm"));
    }

    #[test]
    fn a_suite_file_is_passed_by_its_absolute_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mine.toml");
        std::fs::write(
            &file,
            "tasks = [\"digits-mlp\"]\nmethods = [\"student\"]\nseeds = [0, 1]\n",
        )
        .unwrap();
        let plan = plan(
            &crate::registry(),
            &args(&["--suite", "mine.toml", "--shards", "2"]),
            dir.path(),
        )
        .unwrap();
        assert_eq!(plan.suite, file.display().to_string());
        assert_eq!(plan.suite_name, "mine");
    }

    #[test]
    fn bad_values_are_clear_errors() {
        let smoke = ["--suite", "smoke"];
        let with = |extra: &[&'static str]| {
            let mut line = smoke.to_vec();
            line.extend_from_slice(extra);
            error(&line)
        };
        assert!(with(&["--shards", "0"]).contains("--shards 0: expected 1 to 9"));
        assert!(with(&["--shards", "10"]).contains("suite 'smoke' has 9 runs"));
        assert!(with(&["--shards", "4", "--seeds", "0"]).contains("expected 1 to 3"));
        assert!(with(&["--shards", "2", "--time", "4h"]).contains("--time '4h'"));
        assert!(with(&["--shards", "2", "--time", "1:75:00"]).contains("--time"));
        assert!(with(&["--shards", "2", "--time", "0"]).contains("--time"));
        assert!(with(&["--shards", "2", "--partition", "a b"]).contains("--partition 'a b'"));
        assert!(with(&["--shards", "2", "--gpus-per-task", "1"]).contains("add --device cuda"));
        assert!(with(&["--shards", "2", "--device", "gpu"]).contains("--device 'gpu'"));
        assert!(with(&["--shards", "2", "--cpus-per-task", "0"]).contains("--cpus-per-task"));
        assert!(with(&["--shards", "2", "--jobs", "0"]).contains("--jobs"));
        assert!(with(&["--shards", "2", "--sbatch-arg", "qos"]).contains("one sbatch option"));
        assert!(with(&["--shards", "2", "--sbatch-arg=--array=0-9"]).contains("sets --array"));
        assert!(with(&["--shards", "2", "--set", "epochz=2"]).contains("epochz"));
        assert!(with(&["--shards", "2", "--seeds", "x"]).contains("--seeds"));
        assert!(with(&["--shards", "2", "--tasks", "nope"]).contains("'nope' is not in suite"));
        assert!(error(&["--suite", "nope", "--shards", "2"]).contains("unknown suite 'nope'"));
        for time in [
            "90",
            "30:00",
            "04:00:00",
            "2-0",
            "1-12:00",
            "1-12:00:00",
            "UNLIMITED",
        ] {
            check_time(time).unwrap_or_else(|e| panic!("{time}: {e}"));
        }
    }
}
