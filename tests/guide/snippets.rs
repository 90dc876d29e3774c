//! Checking the marked snippets of one chapter: `sh,test` commands and their expected
//! output, `test-method` and `test-suite` files run at a tiny budget, `file=` and `excerpt=`.
use crate::markdown::{code_blocks, normalised, Block};
use crate::sandbox::{run_statuses, Ran, Sandbox};
use crate::{repo, shown};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::sync::Mutex;

/// Config overrides that shrink the shipped tasks' budgets for `test-method` and `test-suite`
/// blocks, by task.
fn tiny_budget(task: &str) -> Option<&'static [&'static str]> {
    match task {
        "digits-mlp" => Some(&["epochs=2"]),
        "pendulum" | "mountain-car-continuous" => Some(&[
            "total_steps=400",
            "warmup_steps=200",
            "eval_every=200",
            "eval_episodes=1",
            "teacher_steps=400",
        ]),
        _ => None,
    }
}

/// Runs a suite file (relative to `work/`, or absolute) at a tiny budget and checks that every
/// run ended `ok`; `tasks` are the suite's tasks, which choose the budget overrides.
fn run_tiny_suite(
    sandbox: &Sandbox,
    suite: &str,
    tasks: &[String],
    out: &Path,
    env: &[(&str, &Path)],
) -> Result<(), String> {
    let mut sets: BTreeSet<&str> = BTreeSet::new();
    for task in tasks {
        let budget = tiny_budget(task).ok_or_else(|| {
            format!("task {task}: snippets run on shipped data only (digits-mlp, pendulum, mountain-car-continuous)")
        })?;
        sets.extend(budget);
    }
    let out_text = out.display().to_string();
    let mut args = vec![
        "run",
        "--suite",
        suite,
        "--seeds",
        "0",
        "--threads",
        "1",
        "--out",
        out_text.as_str(),
    ];
    for set in &sets {
        args.extend(["--set", *set]);
    }
    let ran = sandbox.run("kdbench", &args, env);
    if ran.code != Some(0) {
        return Err(format!("kdbench {}: {}", args.join(" "), ran.describe()));
    }
    let statuses = run_statuses(out)?;
    if statuses.is_empty() || statuses.iter().any(|(_, s)| s != "ok") {
        return Err(format!(
            "kdbench {}: runs not all ok: {statuses:?}\n{}",
            args.join(" "),
            ran.describe()
        ));
    }
    Ok(())
}

/// The names of a TOML text's string array `key`.
fn string_array(table: &toml::Table, key: &str) -> Vec<String> {
    table
        .get(key)
        .and_then(toml::Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks a `test-method` block: listed, then trained at a tiny budget.
fn check_method_block(sandbox: &Sandbox, block: &Block, stem: &str) -> Result<(), String> {
    let relative = block
        .attrs
        .get("file")
        .cloned()
        .unwrap_or_else(|| format!("methods/{stem}-{}.toml", block.line));
    let table: toml::Table =
        toml::from_str(&block.body).map_err(|e| format!("not valid TOML: {e}"))?;
    if table.is_empty() || table.values().any(|v| !v.is_table()) {
        return Err("a methods file holds [NAME] tables only, at least one".into());
    }
    let path = sandbox.write(&relative, &block.body);
    let folder = path.parent().unwrap().to_path_buf();
    let env = [("KDBENCH_METHODS", folder.as_path())];
    let list = sandbox.run("kdbench", &["list", "methods"], &env);
    if list.code != Some(0) {
        return Err(format!("kdbench list methods: {}", list.describe()));
    }
    for name in table.keys() {
        if !list
            .stdout
            .lines()
            .any(|l| l.split_whitespace().next() == Some(name.as_str()))
        {
            return Err(format!("`kdbench list methods` does not list {name}"));
        }
    }
    let mut by_task: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, value) in &table {
        let rl = value.get("domain").and_then(toml::Value::as_str) == Some("rl");
        let task = if rl { "pendulum" } else { "digits-mlp" };
        by_task.entry(task).or_default().push(name);
    }
    for (task, names) in by_task {
        let methods: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
        let suite = sandbox
            .gen
            .join(format!("method-{}-{task}.toml", block.line));
        fs::write(
            &suite,
            format!(
                "tasks = [\"{task}\"]\nmethods = [{}]\nseeds = [0]\nbaseline = {}\n",
                methods.join(", "),
                methods[0]
            ),
        )
        .unwrap();
        let out = sandbox
            .gen
            .join(format!("method-{}-{task}-out", block.line));
        run_tiny_suite(
            sandbox,
            &suite.display().to_string(),
            &[task.to_string()],
            &out,
            &env,
        )?;
    }
    Ok(())
}

/// Checks a `test-suite` block: written, then run at a tiny budget.
fn check_suite_block(sandbox: &Sandbox, block: &Block) -> Result<(), String> {
    let relative = block
        .attrs
        .get("file")
        .cloned()
        .unwrap_or_else(|| format!("suite-{}.toml", block.line));
    let table: toml::Table =
        toml::from_str(&block.body).map_err(|e| format!("not valid TOML: {e}"))?;
    let tasks = string_array(&table, "tasks");
    if tasks.is_empty() {
        return Err("a test-suite block must list its tasks".into());
    }
    sandbox.write(&relative, &block.body);
    let out = sandbox.gen.join(format!("suite-{}-out", block.line));
    run_tiny_suite(sandbox, &relative, &tasks, &out, &[])
}

/// Checks that the block's non-blank lines appear in order among the lines of `file`.
fn check_excerpt(block: &Block, file: &str) -> Result<(), String> {
    let path = repo().join(file);
    let text = fs::read_to_string(&path).map_err(|e| format!("{file}: {e}"))?;
    let mut lines = text.lines().map(str::trim_end);
    for wanted in block.body.lines().map(str::trim_end) {
        if wanted.trim().is_empty() {
            continue;
        }
        if !lines.any(|l| l == wanted) {
            return Err(format!(
                "line not found in {file} (in this order): {wanted:?}"
            ));
        }
    }
    Ok(())
}

/// How many marked snippets of each kind were checked.
#[derive(Default, Debug)]
pub struct Counts {
    /// `sh,test` blocks run.
    pub commands: usize,
    /// `text,stdout` and `text,stderr` blocks compared.
    pub outputs: usize,
    /// `test-method` blocks listed and run.
    pub methods: usize,
    /// `test-suite` blocks run.
    pub suites: usize,
    /// `excerpt=` blocks found in their files.
    pub excerpts: usize,
    /// Other `file=` blocks written.
    pub files: usize,
}

/// Runs the marked snippets of one chapter in order; returns the failures.
pub fn check_chapter(chapter: &Path, cpu: Option<usize>, counts: &Mutex<Counts>) -> Vec<String> {
    let text = fs::read_to_string(chapter).unwrap();
    let blocks = code_blocks(&text);
    let stem = chapter.file_stem().unwrap().to_string_lossy().to_string();
    let sandbox = Sandbox::new(cpu);
    let mut failures = Vec::new();
    let mut last_command: Option<Ran> = None;
    for block in &blocks {
        let at = format!("{}:{}", shown(chapter), block.line);
        let mut fail = |message: String| failures.push(format!("{at}: {message}"));
        let known = ["test", "test-method", "test-suite", "stdout", "stderr"];
        if let Some(tag) = block
            .tags
            .iter()
            .find(|t| !known.contains(&t.as_str()) && t.starts_with("test"))
        {
            fail(format!("unknown marker `{tag}`"));
            continue;
        }
        if block.attrs.contains_key("exit") && !block.has("test") {
            fail("`exit=` belongs on a `sh,test` block".into());
        }
        if let Some(file) = block.attrs.get("excerpt") {
            counts.lock().unwrap().excerpts += 1;
            if let Err(e) = check_excerpt(block, file) {
                fail(e);
            }
            continue;
        }
        if block.has("stdout") || block.has("stderr") {
            counts.lock().unwrap().outputs += 1;
            let Some(ran) = &last_command else {
                fail("an expected output must follow a `sh,test` block".into());
                continue;
            };
            let (name, actual) = if block.has("stdout") {
                ("stdout", &ran.stdout)
            } else {
                ("stderr", &ran.stderr)
            };
            let (expected, actual) = (normalised(&block.body), normalised(actual));
            if expected != actual {
                fail(format!(
                    "{name} differs\n--- expected ---\n{expected}\n--- actual ---\n{actual}"
                ));
            }
            continue;
        }
        last_command = None;
        if block.has("test-method") {
            counts.lock().unwrap().methods += 1;
            if let Err(e) = check_method_block(&sandbox, block, &stem) {
                fail(e);
            }
        } else if block.has("test-suite") {
            counts.lock().unwrap().suites += 1;
            if let Err(e) = check_suite_block(&sandbox, block) {
                fail(e);
            }
        } else if let Some(file) = block.attrs.get("file") {
            counts.lock().unwrap().files += 1;
            sandbox.write(file, &block.body);
        }
        if block.has("test") {
            if block.lang != "sh" {
                fail(format!("`test` marks sh blocks, not {}", block.lang));
                continue;
            }
            counts.lock().unwrap().commands += 1;
            let expected: i32 = match block.attrs.get("exit").map(|e| e.parse()) {
                None => 0,
                Some(Ok(code)) => code,
                Some(Err(_)) => {
                    fail("exit=N needs a number".into());
                    continue;
                }
            };
            let ran = sandbox.run("sh", &["-ec", block.body.as_str()], &[]);
            if ran.code != Some(expected) {
                fail(format!(
                    "expected exit status {expected}\n{}\n{}",
                    block.body.trim_end(),
                    ran.describe()
                ));
            }
            last_command = Some(ran);
        }
    }
    failures
}
