//! Wires the domain crates into the harness registry: tasks, built-in methods and suites.
use kd_core::method::{builtin_method_tables, MethodSpec};
use kd_harness::registry::Registry;
use kd_vision::distill_data;
use toml::Table;

/// Built-in suites, embedded from `suites/`.
pub const SUITES: &[(&str, &str)] = &[
    ("smoke", include_str!("../suites/smoke.toml")),
    ("vision", include_str!("../suites/vision.toml")),
    ("hinton-mnist", include_str!("../suites/hinton-mnist.toml")),
    ("vision-gpu", include_str!("../suites/vision-gpu.toml")),
    ("rl", include_str!("../suites/rl.toml")),
    ("rl-mujoco", include_str!("../suites/rl-mujoco.toml")),
    ("nlu", include_str!("../suites/nlu.toml")),
    ("glue", include_str!("../suites/glue.toml")),
    ("glue-stsb", include_str!("../suites/glue-stsb.toml")),
    ("coins", include_str!("../suites/coins.toml")),
    ("distill-data", include_str!("../suites/distill-data.toml")),
    (
        "distill-data-5",
        include_str!("../suites/distill-data-5.toml"),
    ),
    ("distill-text", include_str!("../suites/distill-text.toml")),
    ("all", include_str!("../suites/all.toml")),
    ("nightly-gpu", include_str!("../suites/nightly-gpu.toml")),
    (
        "nightly-gpu-glue",
        include_str!("../suites/nightly-gpu-glue.toml"),
    ),
];

/// RL methods (`domain = "rl"`) are checked by kd-rl, dataset-distillation methods
/// (`domain = "distill-data"`, run by kd-vision's and kd-nlu's `*-distill` tasks) by
/// kd-core's `distill_data::method`, every other method by kd-core's `MethodSpec`.
fn check_method(name: &str, table: &Table) -> Result<String, String> {
    if kd_rl::is_rl_method(table) {
        return kd_rl::check_rl_method(name, table);
    }
    if distill_data::is_distill_method(table) {
        return distill_data::check_distill_method(name, table);
    }
    MethodSpec::from_table(name, table).map(|spec| spec.description)
}

/// The registry of this build.
pub fn registry() -> Registry {
    let mut registry = Registry::new(check_method);
    for task in kd_vision::tasks::vision_tasks()
        .into_iter()
        .chain(kd_nlu::tasks::nlu_tasks())
        .chain(kd_rl::rl_tasks())
        .chain(distill_data::distill_tasks())
        .chain(kd_nlu::distill_text::distill_text_tasks())
    {
        registry.add_task(task);
    }
    for spec in kd_vision::datasets::vision_data()
        .into_iter()
        .chain(kd_nlu::datasets::nlu_data())
    {
        registry.add_data(spec);
    }
    for (name, table) in builtin_method_tables()
        .into_iter()
        .chain(kd_rl::rl_method_tables())
        .chain(distill_data::distill_method_tables())
    {
        registry
            .add_method(&name, table)
            .unwrap_or_else(|e| panic!("built-in method {name}: {e}"));
    }
    for (name, text) in SUITES {
        registry.add_suite(name, text);
    }
    registry
}

/// Adds the methods declared in `dir/*.toml` (each file holds `[name]` tables like
/// kd-core's `methods.toml`; a name already known is replaced). A missing folder adds
/// nothing; a bad file or method is an error naming the file and key.
pub fn add_user_methods(registry: &mut Registry, dir: &std::path::Path) -> Result<usize, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut added = 0;
    for file in files {
        let name = file.display();
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{name}: {e}"))?;
        let table: Table = toml::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
        for (method, value) in table {
            let toml::Value::Table(definition) = value else {
                return Err(format!(
                    "{name}: [{method}] must be a table of the method's keys"
                ));
            };
            registry
                .add_method(&method, definition)
                .map_err(|e| format!("{name}: {e}"))?;
            added += 1;
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kd_harness::matrix::{build_matrix, MatrixOptions};
    use kd_harness::suite::Suite;

    /// Every built-in suite parses, names known tasks and methods, and passes the tasks'
    /// checks (a method a task cannot run would stop `kdbench run` before any run).
    #[test]
    fn every_builtin_suite_builds_its_matrix() {
        let registry = registry();
        let names = registry.suite_names();
        assert!(names.len() >= 6, "{names:?}");
        for name in &names {
            let suite = Suite::load(name, &|n| registry.suite_text(n), &names)
                .unwrap_or_else(|e| panic!("suite {name}: {e:#}"));
            let cells = build_matrix(&suite, &registry, &MatrixOptions::default())
                .unwrap_or_else(|e| panic!("suite {name}: {e:#}"));
            assert!(!cells.is_empty(), "suite {name} has no runs");
        }
    }
}
