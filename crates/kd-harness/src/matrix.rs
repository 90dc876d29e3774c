//! The run matrix: a suite's tasks x methods x seeds, each cell with its fully resolved
//! config and hash, filtered, overridden and sharded as the CLI asks.
use crate::config::{config_hash, has_path, merge_known, merge_open, set_known, Override};
use crate::error::bad_input;
use crate::registry::Registry;
use crate::suite::Suite;
use crate::task::MethodDef;
use std::collections::BTreeSet;
use toml::{Table, Value};

/// One run of the matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The suite's name.
    pub suite: String,
    /// The task's name.
    pub task: String,
    /// The method, with its resolved definition.
    pub method: MethodDef,
    /// The run seed.
    pub seed: u64,
    /// The task's resolved config.
    pub config: Table,
    /// Hash of the resolved config and method.
    pub config_hash: String,
    /// The baseline method of the cell's suite group.
    pub baseline: String,
}

impl Cell {
    /// The run's id: task, method, seed and config hash.
    pub fn run_id(&self) -> String {
        format!(
            "{}.{}.s{}.{}",
            self.task, self.method.name, self.seed, self.config_hash
        )
    }
}

/// How the CLI narrows and changes a suite.
#[derive(Debug, Clone, Default)]
pub struct MatrixOptions {
    /// Replace every group's seeds.
    pub seeds: Option<Vec<u64>>,
    /// Keep only these tasks.
    pub tasks: Option<Vec<String>>,
    /// Keep only these methods.
    pub methods: Option<Vec<String>>,
    /// `--set` overrides, applied last.
    pub overrides: Vec<Override>,
    /// `(index, count)`: keep cells whose position modulo `count` is `index` (0-based).
    pub shard: Option<(usize, usize)>,
}

/// Parses `--shard I/N` (0 <= I < N).
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard '{text}': expected I/N with 0 <= I < N, e.g. 0/4");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let i: usize = i.trim().parse().map_err(|_| bad())?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Expands `suite` into its cells. Every error is bad input (exit 2) and names the key.
pub fn build_matrix(
    suite: &Suite,
    registry: &Registry,
    options: &MatrixOptions,
) -> anyhow::Result<Vec<Cell>> {
    let all_tasks: BTreeSet<&str> = suite
        .groups
        .iter()
        .flat_map(|g| g.tasks.iter().map(String::as_str))
        .collect();
    let all_methods: BTreeSet<&str> = suite
        .groups
        .iter()
        .flat_map(|g| g.methods.iter().map(String::as_str))
        .collect();
    for (flag, wanted, present) in [
        ("--tasks", &options.tasks, &all_tasks),
        ("--methods", &options.methods, &all_methods),
    ] {
        if let Some(wanted) = wanted {
            for name in wanted {
                if !present.contains(name.as_str()) {
                    return Err(bad_input(format!(
                        "{flag}: '{name}' is not in suite '{}' (it has: {})",
                        suite.name,
                        present.iter().copied().collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        }
    }

    // Sort the overrides by their target.
    let mut global = Vec::new();
    let mut per_task = Vec::new();
    let mut per_method = Vec::new();
    for o in &options.overrides {
        match o.path[0].as_str() {
            "task" | "method" if o.path.len() < 3 => {
                return Err(bad_input(format!(
                    "--set {}: expected {}.NAME.KEY=VALUE",
                    o.key(),
                    o.path[0]
                )))
            }
            "task" => {
                if !all_tasks.contains(o.path[1].as_str()) {
                    return Err(bad_input(format!(
                        "--set {}: task '{}' is not in suite '{}'",
                        o.key(),
                        o.path[1],
                        suite.name
                    )));
                }
                per_task.push(o);
            }
            "method" => {
                if !all_methods.contains(o.path[1].as_str()) {
                    return Err(bad_input(format!(
                        "--set {}: method '{}' is not in suite '{}'",
                        o.key(),
                        o.path[1],
                        suite.name
                    )));
                }
                per_method.push(o);
            }
            _ => global.push(o),
        }
    }
    let mut global_used = vec![false; global.len()];

    let mut cells = Vec::new();
    let mut seen = BTreeSet::new();
    for group in &suite.groups {
        let seeds = options.seeds.clone().unwrap_or_else(|| group.seeds.clone());
        for task_name in &group.tasks {
            if let Some(wanted) = &options.tasks {
                if !wanted.contains(task_name) {
                    continue;
                }
            }
            let task = registry.task(task_name).ok_or_else(|| {
                bad_input(format!(
                    "{}: unknown task '{task_name}' (see `kdbench list tasks`)",
                    group.source
                ))
            })?;
            let mut config = task.default_config();
            for (key, value) in &group.defaults {
                if config.contains_key(key) {
                    set_known(
                        &mut config,
                        std::slice::from_ref(key),
                        value,
                        &format!("{}: defaults.", group.source),
                    )
                    .map_err(bad_input)?;
                }
            }
            if let Some(over) = group.task_overrides.get(task_name) {
                merge_known(
                    &mut config,
                    over,
                    &format!("{}: task.{task_name}.", group.source),
                )
                .map_err(bad_input)?;
            }
            for (i, o) in global.iter().enumerate() {
                if has_path(&config, &o.path) {
                    set_known(&mut config, &o.path, &o.value, "--set ").map_err(bad_input)?;
                    global_used[i] = true;
                }
            }
            for o in per_task.iter().filter(|o| &o.path[1] == task_name) {
                set_known(
                    &mut config,
                    &o.path[2..],
                    &o.value,
                    &format!("--set task.{task_name}."),
                )
                .map_err(bad_input)?;
            }
            for method_name in &group.methods {
                if let Some(wanted) = &options.methods {
                    if !wanted.contains(method_name) {
                        continue;
                    }
                }
                let method = resolve_method(method_name, group, registry, &per_method)?;
                task.check(&config, &method).map_err(|e| {
                    bad_input(format!("task '{task_name}', method '{method_name}': {e}"))
                })?;
                for &seed in &seeds {
                    if !seen.insert((task_name.clone(), method_name.clone(), seed)) {
                        continue;
                    }
                    cells.push(Cell {
                        suite: suite.name.clone(),
                        task: task_name.clone(),
                        config_hash: config_hash(task_name, &config, method_name, &method.table),
                        method: method.clone(),
                        seed,
                        config: config.clone(),
                        baseline: group.baseline.clone(),
                    });
                }
            }
        }
    }
    if let Some(i) = global_used.iter().position(|used| !used) {
        let mut known: BTreeSet<String> = BTreeSet::new();
        for name in &all_tasks {
            if let Some(task) = registry.task(name) {
                known.extend(task.default_config().keys().cloned());
            }
        }
        return Err(bad_input(format!(
            "--set {}: no task of suite '{}' has this key (known keys: {})",
            global[i].key(),
            suite.name,
            known.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some((index, count)) = options.shard {
        cells = cells
            .into_iter()
            .enumerate()
            .filter(|(pos, _)| pos % count == index)
            .map(|(_, c)| c)
            .collect();
    }
    Ok(cells)
}

fn resolve_method(
    name: &str,
    group: &crate::suite::SuiteGroup,
    registry: &Registry,
    overrides: &[&Override],
) -> anyhow::Result<MethodDef> {
    let mut table = match registry.method(name) {
        Some(def) => def.table.clone(),
        None if group.method_overrides.contains_key(name) => Table::new(),
        None => {
            return Err(bad_input(format!(
                "{}: unknown method '{name}': not built in, and not defined under [method.{name}] \
                 (see `kdbench list methods`)",
                group.source
            )))
        }
    };
    if let Some(over) = group.method_overrides.get(name) {
        merge_open(&mut table, over);
    }
    for o in overrides.iter().filter(|o| o.path[1] == name) {
        let mut patch = Table::new();
        let mut cursor = &mut patch;
        let rest = &o.path[2..];
        for part in &rest[..rest.len() - 1] {
            cursor = cursor
                .entry(part.clone())
                .or_insert_with(|| Value::Table(Table::new()))
                .as_table_mut()
                .expect("fresh table");
        }
        cursor.insert(rest[rest.len() - 1].clone(), o.value.clone());
        merge_open(&mut table, &patch);
    }
    let description = registry
        .check_method(name, &table)
        .map_err(|e| bad_input(format!("{}: {e}", group.source)))?;
    Ok(MethodDef {
        name: name.to_string(),
        description,
        table,
    })
}
