//! Suite specs: TOML files listing tasks x methods x seeds, with defaults, per-task and
//! per-method overrides, and includes (`all` includes the domain suites).
use crate::error::bad_input;
use std::collections::BTreeMap;
use std::path::Path;
use toml::{Table, Value};

/// One suite file's matrix (a suite with includes has one group per file).
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteGroup {
    /// Where it was read from (a path, or `builtin suite NAME`), for messages.
    pub source: String,
    /// Task names.
    pub tasks: Vec<String>,
    /// Method names.
    pub methods: Vec<String>,
    /// Run seeds.
    pub seeds: Vec<u64>,
    /// The method every other method is compared against.
    pub baseline: String,
    /// Config values for every task (keys a task does not know are ignored for it).
    pub defaults: Table,
    /// `[task.NAME]` overrides.
    pub task_overrides: BTreeMap<String, Table>,
    /// `[method.NAME]` overrides or new method definitions.
    pub method_overrides: BTreeMap<String, Table>,
}

/// A parsed suite.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    /// The suite's name (file stem for a path).
    pub name: String,
    /// One line for `kdbench list suites`.
    pub description: String,
    /// The metric the printed leaderboard shows (None: each task's primary metric).
    pub metric: Option<String>,
    /// The matrices, the suite's own last.
    pub groups: Vec<SuiteGroup>,
}

const TOP_KEYS: &[&str] = &[
    "description",
    "baseline",
    "seeds",
    "methods",
    "tasks",
    "include",
    "metric",
    "defaults",
    "task",
    "method",
];

/// Parses a seed list: `0..5` (end excluded), `0,3,7`, or a single number.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, String> {
    let text = text.trim();
    let bad = || format!("seeds '{text}': expected a range such as 0..5 or a list such as 0,3,7");
    if let Some((a, b)) = text.split_once("..") {
        let a: u64 = a.trim().parse().map_err(|_| bad())?;
        let b: u64 = b.trim().parse().map_err(|_| bad())?;
        if b <= a {
            return Err(format!(
                "seeds '{text}': the range is empty (the end is excluded)"
            ));
        }
        return Ok((a..b).collect());
    }
    let seeds: Vec<u64> = text
        .split(',')
        .map(|s| s.trim().parse::<u64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    if seeds.is_empty() {
        return Err(bad());
    }
    Ok(seeds)
}

fn string_list(table: &Table, key: &str, source: &str) -> anyhow::Result<Vec<String>> {
    match table.get(key) {
        None => Ok(vec![]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(bad_input(format!(
                    "{source}: {key}: expected an array of strings, found {other}"
                ))),
            })
            .collect(),
        Some(other) => Err(bad_input(format!(
            "{source}: {key}: expected an array of strings, found {other}"
        ))),
    }
}

fn sub_tables(table: &Table, key: &str, source: &str) -> anyhow::Result<BTreeMap<String, Table>> {
    let mut out = BTreeMap::new();
    match table.get(key) {
        None => {}
        Some(Value::Table(t)) => {
            for (name, value) in t {
                match value {
                    Value::Table(inner) => {
                        out.insert(name.clone(), inner.clone());
                    }
                    other => {
                        return Err(bad_input(format!(
                            "{source}: {key}.{name}: expected a table, found {other}"
                        )))
                    }
                }
            }
        }
        Some(other) => {
            return Err(bad_input(format!(
                "{source}: {key}: expected a table, found {other}"
            )))
        }
    }
    Ok(out)
}

impl Suite {
    /// Loads `name_or_path`: a path to a TOML file, or the name of a built-in suite found by
    /// `builtin`. Includes are resolved the same way (cycles are errors).
    pub fn load(
        name_or_path: &str,
        builtin: &dyn Fn(&str) -> Option<String>,
        builtin_names: &[String],
    ) -> anyhow::Result<Suite> {
        let mut stack = Vec::new();
        Suite::load_inner(name_or_path, builtin, builtin_names, &mut stack)
    }

    fn load_inner(
        name_or_path: &str,
        builtin: &dyn Fn(&str) -> Option<String>,
        builtin_names: &[String],
        stack: &mut Vec<String>,
    ) -> anyhow::Result<Suite> {
        let path = Path::new(name_or_path);
        let (name, source, text) = if name_or_path.ends_with(".toml") || path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|e| {
                bad_input(format!(
                    "suite file {}: cannot read it: {e}",
                    path.display()
                ))
            })?;
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_else(|| name_or_path.to_string());
            (stem, path.display().to_string(), text)
        } else if let Some(text) = builtin(name_or_path) {
            (
                name_or_path.to_string(),
                format!("suites/{name_or_path}.toml"),
                text,
            )
        } else {
            return Err(bad_input(format!(
                "unknown suite '{name_or_path}': not a file, and not a built-in suite (built-in: {})",
                builtin_names.join(", ")
            )));
        };
        if stack.contains(&source) {
            return Err(bad_input(format!(
                "{source}: include cycle: {} -> {source}",
                stack.join(" -> ")
            )));
        }
        let table: Table = toml::from_str(&text).map_err(|e| {
            bad_input(format!(
                "{source}: not valid TOML: {}",
                e.to_string().trim_end()
            ))
        })?;
        for key in table.keys() {
            if !TOP_KEYS.contains(&key.as_str()) {
                return Err(bad_input(format!(
                    "{source}: unknown key '{key}' (expected one of: {})",
                    TOP_KEYS.join(", ")
                )));
            }
        }
        let description = match table.get("description") {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(bad_input(format!(
                    "{source}: description: expected a string, found {other}"
                )))
            }
        };
        let metric = match table.get("metric") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(bad_input(format!(
                    "{source}: metric: expected a string, found {other}"
                )))
            }
        };
        let mut groups = Vec::new();
        stack.push(source.clone());
        for include in string_list(&table, "include", &source)? {
            let included = Suite::load_inner(&include, builtin, builtin_names, stack)
                .map_err(|e| bad_input(format!("{source}: include '{include}': {e}")))?;
            groups.extend(included.groups);
        }
        stack.pop();
        let tasks = string_list(&table, "tasks", &source)?;
        if !tasks.is_empty() {
            let methods = string_list(&table, "methods", &source)?;
            if methods.is_empty() {
                return Err(bad_input(format!(
                    "{source}: methods: expected a non-empty array of method names"
                )));
            }
            let seeds = match table.get("seeds") {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| match v {
                        Value::Integer(i) if *i >= 0 => Ok(*i as u64),
                        other => Err(bad_input(format!(
                            "{source}: seeds: expected non-negative integers, found {other}"
                        ))),
                    })
                    .collect::<anyhow::Result<Vec<u64>>>()?,
                Some(Value::String(s)) => {
                    parse_seeds(s).map_err(|e| bad_input(format!("{source}: {e}")))?
                }
                None => vec![0, 1, 2],
                Some(other) => {
                    return Err(bad_input(format!(
                        "{source}: seeds: expected an array or a range string like \"0..5\", found {other}"
                    )))
                }
            };
            let baseline = match table.get("baseline") {
                None => "student".to_string(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => {
                    return Err(bad_input(format!(
                        "{source}: baseline: expected a method name, found {other}"
                    )))
                }
            };
            let defaults = match table.get("defaults") {
                None => Table::new(),
                Some(Value::Table(t)) => t.clone(),
                Some(other) => {
                    return Err(bad_input(format!(
                        "{source}: defaults: expected a table, found {other}"
                    )))
                }
            };
            let task_overrides = sub_tables(&table, "task", &source)?;
            for name in task_overrides.keys() {
                if !tasks.contains(name) {
                    return Err(bad_input(format!(
                        "{source}: [task.{name}]: '{name}' is not in this suite's tasks ({})",
                        tasks.join(", ")
                    )));
                }
            }
            groups.push(SuiteGroup {
                source: source.clone(),
                tasks,
                methods,
                seeds,
                baseline,
                defaults,
                task_overrides,
                method_overrides: sub_tables(&table, "method", &source)?,
            });
        } else if groups.is_empty() {
            return Err(bad_input(format!(
                "{source}: the suite has no tasks: expected tasks = [\"...\"] or include = [\"...\"]"
            )));
        }
        Ok(Suite {
            name,
            description,
            metric,
            groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin(name: &str) -> Option<String> {
        match name {
            "a" => Some("tasks = ['t1']\nmethods = ['student', 'kd']\nseeds = '0..2'".into()),
            "b" => {
                Some("include = ['a']\ntasks = ['t2']\nmethods = ['student']\nseeds = [5]".into())
            }
            "loop" => Some("include = ['loop']".into()),
            _ => None,
        }
    }

    fn load(name: &str) -> anyhow::Result<Suite> {
        Suite::load(name, &builtin, &["a".into(), "b".into()])
    }

    #[test]
    fn seeds_parse_ranges_and_lists() {
        assert_eq!(parse_seeds("0..3").unwrap(), vec![0, 1, 2]);
        assert_eq!(parse_seeds("0,3,7").unwrap(), vec![0, 3, 7]);
        assert!(parse_seeds("3..3").unwrap_err().contains("empty"));
        assert!(parse_seeds("x").is_err());
    }

    #[test]
    fn includes_add_groups() {
        let suite = load("b").unwrap();
        assert_eq!(suite.groups.len(), 2);
        assert_eq!(suite.groups[0].seeds, vec![0, 1]);
        assert_eq!(suite.groups[1].tasks, vec!["t2"]);
        assert!(load("loop").unwrap_err().to_string().contains("cycle"));
        assert!(load("nope")
            .unwrap_err()
            .to_string()
            .contains("built-in: a, b"));
    }

    #[test]
    fn bad_files_name_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, "tasks = ['t']\nmethods = ['kd']\nseedz = [1]").unwrap();
        let err = load(path.to_str().unwrap()).unwrap_err().to_string();
        assert!(err.contains("mine.toml") && err.contains("seedz"), "{err}");
        std::fs::write(&path, "tasks = ['t'\n").unwrap();
        let err = load(path.to_str().unwrap()).unwrap_err().to_string();
        assert!(err.contains("mine.toml: not valid TOML"), "{err}");
        std::fs::write(
            &path,
            "tasks = ['t']\nmethods = ['kd']\n[task.u]\nepochs = 1",
        )
        .unwrap();
        let err = load(path.to_str().unwrap()).unwrap_err().to_string();
        assert!(err.contains("[task.u]"), "{err}");
    }
}
