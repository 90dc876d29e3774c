//! End-to-end test of the user guide in `docs/` (an mdBook): every snippet a user would run
//! on the shipped data is run with the real `kdbench` binary, every `kdbench` command line
//! elsewhere in the guide is checked against `kdbench <command> --help`, and the book's
//! structure (SUMMARY.md, relative links and their anchors) is valid.
//!
//! Snippets are fenced code blocks whose info string carries a marker (comma-separated after
//! the language):
//!
//! - ```` ```sh,test ````: run with `sh -ec` in the chapter's folder; the exit status must be
//!   0, or `N` with `exit=N` (```` ```sh,test,exit=2 ````).
//! - ```` ```text,stdout ```` / ```` ```text,stderr ````: the expected standard output / error of
//!   the `sh,test` block just before it (trailing spaces and leading or trailing blank lines
//!   are ignored).
//! - `file=PATH` on any block: the block is written to `PATH` in the chapter's folder, for the
//!   blocks after it (```` ```csv,file=scores.csv ````, ```` ```sh,file=shard.sbatch ````).
//! - ```` ```toml,test-method ````: a methods file, written to `file=` (default
//!   `methods/<chapter>-<line>.toml`); `KDBENCH_METHODS=<its folder> kdbench list methods`
//!   must list each of its methods, and each is run on the shipped `digits-mlp` task (RL
//!   methods, `domain = "rl"`, on `pendulum`) at a tiny budget; every run must end `ok`.
//! - ```` ```toml,test-suite ````: a suite file, written to `file=` (default
//!   `suite-<line>.toml`) and run with `--seeds 0` and a tiny budget (`--set epochs=2` for
//!   `digits-mlp`; a few hundred environment steps for the RL tasks); it may name only
//!   those tasks, and every run must end `ok`.
//! - ```` ```rust,excerpt=PATH ```` (any language): the block's non-blank lines must appear, in
//!   order, among the lines of the repository file `PATH`.
//!
//! Each chapter runs in a fresh temporary folder, its blocks in document order, with
//! `kdbench` (this build's binary) first on `PATH`, an empty data folder as `KDBENCH_DATA`
//! (so nothing fetched is used) and `LC_ALL=C`. The test fails if the guide holds no
//! snippet of some kind, so it cannot pass vacuously.
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest any one command of a snippet may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

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

/// The repository root.
fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The book's source folder.
fn book_src() -> PathBuf {
    repo().join("docs/src")
}

/// Every Markdown file under `dir`, sorted.
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|x| x == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A path relative to the repository, for messages.
fn shown(path: &Path) -> String {
    path.strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// One fenced code block of a Markdown file.
#[derive(Debug, Clone)]
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    /// The language: the first item of the info string.
    lang: String,
    /// Items of the info string without `=`.
    tags: Vec<String>,
    /// Items of the info string with `=`.
    attrs: BTreeMap<String, String>,
    /// The content, with the fence's indentation removed.
    body: String,
}

impl Block {
    fn has(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

/// The fenced (```` ``` ````) code blocks of a Markdown text.
fn code_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(Block, usize, usize)> = None; // block, indent, fence length
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let ticks = trimmed.chars().take_while(|&c| c == '`').count();
        match &mut open {
            None if ticks >= 3 => {
                let info: Vec<String> = trimmed[ticks..]
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect();
                let (mut tags, mut attrs) = (Vec::new(), BTreeMap::new());
                for item in info.iter().skip(1).filter(|s| !s.is_empty()) {
                    match item.split_once('=') {
                        Some((k, v)) => {
                            attrs.insert(k.trim().to_string(), v.trim().to_string());
                        }
                        None => tags.push(item.clone()),
                    }
                }
                let block = Block {
                    line: i + 1,
                    lang: info[0].clone(),
                    tags,
                    attrs,
                    body: String::new(),
                };
                open = Some((block, line.len() - trimmed.len(), ticks));
            }
            None => {}
            Some((block, indent, fence)) => {
                if ticks >= *fence && trimmed[ticks..].trim().is_empty() {
                    blocks.push(open.take().unwrap().0);
                } else {
                    let strip = line.len() - line.trim_start_matches(' ').len();
                    block.body.push_str(&line[strip.min(*indent)..]);
                    block.body.push('\n');
                }
            }
        }
    }
    blocks
}

/// Text with trailing spaces, and leading and trailing blank lines, removed.
fn normalised(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let last = lines.iter().rposition(|l| !l.is_empty());
    match (first, last) {
        (Some(a), Some(b)) => lines[a..=b].join("\n"),
        _ => String::new(),
    }
}

/// What happened when a command ran.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn describe(&self) -> String {
        format!(
            "exit status {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            tail(&self.stdout),
            tail(&self.stderr)
        )
    }
}

/// The last lines of a long output.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// A chapter's temporary folder: `work/` (the current folder of its snippets), `bin/` (with
/// `kdbench`), `data/` (the empty data folder) and `gen/` (files the test generates).
struct Sandbox {
    _root: tempfile::TempDir,
    work: PathBuf,
    bin: PathBuf,
    data: PathBuf,
    gen: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let root = tempfile::tempdir().unwrap();
        let [work, bin, data, gen] =
            ["work", "bin", "data", "gen"].map(|d| root.path().join(d));
        for dir in [&work, &bin, &data, &gen] {
            fs::create_dir_all(dir).unwrap();
        }
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kdbench"), bin.join("kdbench")).unwrap();
        Sandbox {
            _root: root,
            work,
            bin,
            data,
            gen,
        }
    }

    /// `program args...` in `work/`, with the sandbox's environment plus `env`.
    fn run(&self, program: &str, args: &[&str], env: &[(&str, &Path)]) -> Ran {
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let (out, err) = (self.gen.join("stdout"), self.gen.join("stderr"));
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(&self.work)
            .env("PATH", path)
            .env("KDBENCH_DATA", &self.data)
            .env("LC_ALL", "C")
            .env_remove("KDBENCH_METHODS")
            .stdin(Stdio::null())
            .stdout(fs::File::create(&out).unwrap())
            .stderr(fs::File::create(&err).unwrap());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        let started = Instant::now();
        let code = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status.code();
            }
            if started.elapsed() > COMMAND_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Ran {
            code,
            stdout: fs::read_to_string(out).unwrap_or_default(),
            stderr: fs::read_to_string(err).unwrap_or_default(),
        }
    }

    /// Writes `text` to `relative` below `work/`, creating folders.
    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.work.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }
}

/// Statuses of the runs recorded in a results folder's `runs.csv`, by method.
fn run_statuses(out: &Path) -> Result<Vec<(String, String)>, String> {
    let path = out.join("runs.csv");
    let mut reader = csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut statuses = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        statuses.push((record[3].to_string(), record[5].to_string()));
    }
    Ok(statuses)
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
        let suite = sandbox.gen.join(format!("method-{}-{task}.toml", block.line));
        fs::write(
            &suite,
            format!(
                "tasks = [\"{task}\"]\nmethods = [{}]\nseeds = [0]\nbaseline = {}\n",
                methods.join(", "),
                methods[0]
            ),
        )
        .unwrap();
        let out = sandbox.gen.join(format!("method-{}-{task}-out", block.line));
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
struct Counts {
    commands: usize,
    outputs: usize,
    methods: usize,
    suites: usize,
    excerpts: usize,
    files: usize,
}

/// Runs the marked snippets of one chapter in order; returns the failures.
fn check_chapter(chapter: &Path, counts: &Mutex<Counts>) -> Vec<String> {
    let text = fs::read_to_string(chapter).unwrap();
    let blocks = code_blocks(&text);
    let stem = chapter.file_stem().unwrap().to_string_lossy().to_string();
    let sandbox = Sandbox::new();
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

/// Every marked snippet of every chapter runs as the guide says (chapters run two at a time).
#[test]
fn every_marked_snippet_of_the_guide_runs() {
    let chapters = markdown_files(&book_src());
    assert!(chapters.len() > 5, "no guide in {}", book_src().display());
    let counts = Mutex::new(Counts::default());
    let failures = Mutex::new(Vec::new());
    let next = Mutex::new(chapters.iter());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let Some(chapter) = next.lock().unwrap().next() else {
                    break;
                };
                let found = check_chapter(chapter, &counts);
                failures.lock().unwrap().extend(found);
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} failing snippet(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    let counts = counts.into_inner().unwrap();
    eprintln!("guide snippets checked: {counts:?}");
    for (kind, n) in [
        ("sh,test", counts.commands),
        ("text,stdout/stderr", counts.outputs),
        ("toml,test-method", counts.methods),
        ("toml,test-suite", counts.suites),
        ("excerpt=", counts.excerpts),
        ("file=", counts.files),
    ] {
        assert!(n > 0, "the guide has no `{kind}` snippet: nothing of that kind is tested");
    }
}

/// The id mdBook (and GitHub) gives a heading: lowercase alphanumerics, `_` and `-` kept,
/// spaces turned into `-`, everything else dropped.
fn heading_id(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// A Markdown text with its fenced code blocks blanked (line numbers kept).
fn prose(text: &str) -> String {
    let mut inside = false;
    text.lines()
        .map(|line| {
            if line.trim_start().starts_with("```") {
                inside = !inside;
                ""
            } else if inside {
                ""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The heading ids of a Markdown file, with mdBook's `{{#include PATH}}` lines expanded.
fn heading_ids(file: &Path) -> BTreeSet<String> {
    let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut ids = BTreeSet::new();
    for line in prose(&text).lines() {
        if let Some(included) = line
            .trim()
            .strip_prefix("{{#include ")
            .and_then(|rest| rest.strip_suffix("}}"))
        {
            ids.extend(heading_ids(&file.parent().unwrap().join(included.trim())));
        } else if line.starts_with('#') {
            ids.insert(heading_id(line.trim_start_matches('#').trim()));
        }
    }
    ids
}

/// The targets of the inline links `[text](target)` in a Markdown text's prose.
fn link_targets(text: &str) -> Vec<(usize, String)> {
    let mut targets = Vec::new();
    for (i, line) in prose(text).lines().enumerate() {
        // Inline code may hold brackets and parentheses that are not links.
        let mut outside = String::new();
        for (j, part) in line.split('`').enumerate() {
            if j % 2 == 0 {
                outside.push_str(part);
            }
        }
        let mut rest = outside.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let end = after.find(')').unwrap_or(after.len());
            targets.push((i + 1, after[..end].trim().to_string()));
            rest = &after[end..];
        }
    }
    targets
}

/// The book is valid mdBook: `book.toml` parses, SUMMARY.md links every chapter and only
/// existing ones, and every relative link (and its `#anchor`) resolves.
#[test]
fn the_book_structure_is_valid() {
    let book: toml::Table = toml::from_str(&fs::read_to_string(repo().join("docs/book.toml")).unwrap())
        .expect("docs/book.toml is valid TOML");
    let src = book["book"].get("src").and_then(|s| s.as_str()).unwrap_or("src");
    assert_eq!(repo().join("docs").join(src), book_src());
    let summary_path = book_src().join("SUMMARY.md");
    let summary = fs::read_to_string(&summary_path).expect("docs/src/SUMMARY.md");
    let listed: BTreeSet<PathBuf> = link_targets(&summary)
        .into_iter()
        .map(|(_, t)| book_src().join(t))
        .collect();
    let mut problems = Vec::new();
    for chapter in markdown_files(&book_src()) {
        if chapter != summary_path && !listed.contains(&chapter) {
            problems.push(format!("{} is not linked from SUMMARY.md", shown(&chapter)));
        }
    }
    for file in markdown_files(&book_src()) {
        let text = fs::read_to_string(&file).unwrap();
        for (line, target) in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let resolved = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            let at = format!("{}:{line}: link {target}", shown(&file));
            if !resolved.exists() {
                problems.push(format!("{at}: no such file"));
            } else if let Some(anchor) = anchor {
                if resolved.extension().is_some_and(|x| x == "md")
                    && !heading_ids(&resolved).contains(anchor)
                {
                    problems.push(format!("{at}: no heading with this id"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Shell lines of a block with `\` continuations joined and comments dropped.
fn shell_lines(body: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in body.lines() {
        let line = line.trim_end();
        if let Some(start) = line.strip_suffix('\\') {
            current.push_str(start);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        let full = std::mem::take(&mut current);
        if !full.trim_start().starts_with('#') {
            lines.push(full);
        }
    }
    lines
}

/// The `kdbench` invocations of a shell line: the arguments after each `kdbench` (or
/// `./run.sh`), up to a shell separator or a comment.
fn kdbench_invocations(line: &str) -> Vec<Vec<String>> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let program = token.trim_start_matches("$(");
        if program == "kdbench" || program.ends_with("/kdbench") || program == "./run.sh" {
            let args: Vec<String> = tokens[i + 1..]
                .iter()
                .take_while(|t| {
                    !["|", "||", "&&", ";", ">", "2>", ")", "&"].contains(t) && !t.starts_with('#')
                })
                .map(|t| t.trim_end_matches(';').to_string())
                .collect();
            if !args.is_empty() {
                found.push(args);
            }
        }
    }
    found
}

/// Every `kdbench` command line in the guide's shell blocks (run or not) names an existing
/// command and only flags that command's `--help` lists; `data` and `list` get their
/// positional arguments checked too.
#[test]
fn every_kdbench_command_in_the_guide_uses_known_flags() {
    let mut helps: BTreeMap<Vec<String>, Result<String, String>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut checked = 0;
    for chapter in markdown_files(&book_src()) {
        let text = fs::read_to_string(&chapter).unwrap();
        for block in code_blocks(&text) {
            if !["sh", "bash", "console"].contains(&block.lang.as_str()) {
                continue;
            }
            for line in shell_lines(&block.body) {
                for args in kdbench_invocations(&line) {
                    if args[0].starts_with('-') {
                        continue;
                    }
                    checked += 1;
                    let at = format!("{}:{}: `kdbench {}`", shown(&chapter), block.line, args.join(" "));
                    let depth = if args[0] == "env" { 2 } else { 1 };
                    let command: Vec<String> = args.iter().take(depth).cloned().collect();
                    let help = helps.entry(command.clone()).or_insert_with(|| {
                        let out = Command::new(env!("CARGO_BIN_EXE_kdbench"))
                            .args(&command)
                            .arg("--help")
                            .output()
                            .unwrap();
                        if out.status.success() {
                            Ok(String::from_utf8_lossy(&out.stdout).to_string())
                        } else {
                            Err(String::from_utf8_lossy(&out.stderr).to_string())
                        }
                    });
                    let help = match help {
                        Ok(help) => help,
                        Err(e) => {
                            problems.push(format!("{at}: no such command: {e}"));
                            continue;
                        }
                    };
                    for flag in args.iter().filter(|a| a.starts_with("--")) {
                        let name = flag.split('=').next().unwrap();
                        let listed = help.match_indices(name).any(|(i, _)| {
                            !help[i + name.len()..]
                                .starts_with(|c: char| c.is_alphanumeric() || c == '-')
                        });
                        if !listed {
                            problems.push(format!("{at}: `{name}` is not an option of `kdbench {}`", command.join(" ")));
                        }
                    }
                    let positional: Vec<&String> = {
                        let mut out = Vec::new();
                        let mut skip = false;
                        for a in &args[1..] {
                            if skip {
                                skip = false;
                            } else if a.starts_with("--") {
                                skip = !a.contains('=');
                            } else {
                                out.push(a);
                            }
                        }
                        out
                    };
                    match args[0].as_str() {
                        "data" if positional.len() > 2
                            || positional.first().is_some_and(|a| {
                                !["list", "fetch", "verify", "path"].contains(&a.as_str())
                            }) =>
                        {
                            problems.push(format!("{at}: `kdbench data` takes an action and at most one name"));
                        }
                        "list" if positional.len() != 1
                            || !["suites", "tasks", "methods"].contains(&positional[0].as_str()) =>
                        {
                            problems.push(format!("{at}: `kdbench list` takes suites, tasks or methods"));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(checked > 10, "only {checked} kdbench commands found in the guide");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
