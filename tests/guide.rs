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
//! - `excerpt=PATH` on any block (```` ```rust,ignore,excerpt=PATH ````, `ignore` keeping
//!   `mdbook test` from compiling it): the block's non-blank lines must appear, in
//!   order, among the lines of the repository file `PATH`.
//!
//! Each chapter runs in a fresh temporary folder, its blocks in document order, with
//! `kdbench` (this build's binary) first on `PATH`, an empty data folder as `KDBENCH_DATA`
//! (so nothing fetched is used), `LC_ALL=C`, and its commands pinned to one CPU with
//! `taskset` where available. The test fails if the guide holds no snippet of some kind, so
//! it cannot pass vacuously.
#[path = "guide/commands.rs"]
mod commands;
#[path = "guide/markdown.rs"]
mod markdown;
#[path = "guide/sandbox.rs"]
mod sandbox;
#[path = "guide/snippets.rs"]
mod snippets;

use commands::{check_invocation, Helps};
use markdown::{
    code_blocks, heading_ids, kdbench_invocations, link_targets, markdown_files, shell_lines,
};
use sandbox::pinnable_cpus;
use snippets::{check_chapter, Counts};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// The repository root.
fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The book's source folder.
fn book_src() -> PathBuf {
    repo().join("docs/src")
}

/// A path relative to the repository, for messages.
fn shown(path: &Path) -> String {
    path.strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Every marked snippet of every chapter runs as the guide says. Chapters run two at a time,
/// each pinned to one CPU where `taskset` exists: `kdbench run` then sees one core and uses
/// one libtorch thread, as the tests in `common.rs` do with `--threads 1` (on a loaded
/// machine, two libtorch threads per run can be thirty times slower).
#[test]
fn every_marked_snippet_of_the_guide_runs() {
    let chapters = markdown_files(&book_src());
    assert!(chapters.len() > 5, "no guide in {}", book_src().display());
    let counts = Mutex::new(Counts::default());
    let failures = Mutex::new(Vec::new());
    let next = Mutex::new(chapters.iter());
    let cpus = pinnable_cpus();
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let cpu = (!cpus.is_empty()).then(|| cpus[worker % cpus.len()]);
            let (counts, failures, next) = (&counts, &failures, &next);
            scope.spawn(move || loop {
                let Some(chapter) = next.lock().unwrap().next() else {
                    break;
                };
                let started = Instant::now();
                let found = check_chapter(chapter, cpu, counts);
                eprintln!(
                    "{}: {:.1} s",
                    shown(chapter),
                    started.elapsed().as_secs_f64()
                );
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
        assert!(
            n > 0,
            "the guide has no `{kind}` snippet: nothing of that kind is tested"
        );
    }
}

/// The book is valid mdBook: `book.toml` parses, SUMMARY.md links every chapter and only
/// existing ones, and every relative link (and its `#anchor`) resolves.
#[test]
fn the_book_structure_is_valid() {
    let book: toml::Table =
        toml::from_str(&fs::read_to_string(repo().join("docs/book.toml")).unwrap())
            .expect("docs/book.toml is valid TOML");
    let src = book["book"]
        .get("src")
        .and_then(|s| s.as_str())
        .unwrap_or("src");
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

/// Every `kdbench` command line in the guide's shell blocks, run or not, names an existing
/// command and only options its `--help` lists; `data` and `list` get their positionals
/// checked too.
#[test]
fn every_kdbench_command_in_the_guide_uses_known_options() {
    let mut helps = Helps::default();
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
                    for problem in check_invocation(&args, &mut helps) {
                        problems.push(format!(
                            "{}:{}: `kdbench {}`: {problem}",
                            shown(&chapter),
                            block.line,
                            args.join(" ")
                        ));
                    }
                }
            }
        }
    }
    assert!(
        checked > 10,
        "only {checked} kdbench commands found in the guide"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
