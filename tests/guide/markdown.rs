//! Reading the guide's Markdown: fenced code blocks with their info strings, headings and
//! the ids mdBook gives them, inline links, and the `kdbench` command lines of shell blocks.
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every Markdown file under `dir`, sorted.
pub fn markdown_files(dir: &Path) -> Vec<PathBuf> {
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

/// One fenced code block of a Markdown file.
#[derive(Debug, Clone)]
pub struct Block {
    /// 1-based line of the opening fence.
    pub line: usize,
    /// The language: the first item of the info string.
    pub lang: String,
    /// Items of the info string without `=`.
    pub tags: Vec<String>,
    /// Items of the info string with `=`.
    pub attrs: BTreeMap<String, String>,
    /// The content, with the fence's indentation removed.
    pub body: String,
}

impl Block {
    /// True when the info string carries `tag`.
    pub fn has(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

/// The fenced (```` ``` ````) code blocks of a Markdown text.
pub fn code_blocks(text: &str) -> Vec<Block> {
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
pub fn normalised(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let last = lines.iter().rposition(|l| !l.is_empty());
    match (first, last) {
        (Some(a), Some(b)) => lines[a..=b].join("\n"),
        _ => String::new(),
    }
}

/// The id mdBook (and GitHub) gives a heading: lowercase alphanumerics, `_` and `-` kept,
/// spaces turned into `-`, everything else dropped.
pub fn heading_id(heading: &str) -> String {
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
pub fn prose(text: &str) -> String {
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
pub fn heading_ids(file: &Path) -> BTreeSet<String> {
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
pub fn link_targets(text: &str) -> Vec<(usize, String)> {
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

/// Shell lines of a block with `\` continuations joined and comments dropped.
pub fn shell_lines(body: &str) -> Vec<String> {
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
pub fn kdbench_invocations(line: &str) -> Vec<Vec<String>> {
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
