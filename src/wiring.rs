//! Wires the domain crates into the harness registry: tasks, built-in methods and suites.
use kd_core::method::{builtin_method_tables, MethodSpec};
use kd_harness::registry::Registry;
use toml::Table;

/// Built-in suites, embedded from `suites/`.
pub const SUITES: &[(&str, &str)] = &[
    ("smoke", include_str!("../suites/smoke.toml")),
    ("rl", include_str!("../suites/rl.toml")),
];

/// RL methods (`domain = "rl"`) are checked by kd-rl, every other method by kd-core.
fn check_method(name: &str, table: &Table) -> Result<String, String> {
    if kd_rl::is_rl_method(table) {
        return kd_rl::check_rl_method(name, table);
    }
    MethodSpec::from_table(name, table).map(|spec| spec.description)
}

/// The registry of this build.
pub fn registry() -> Registry {
    let mut registry = Registry::new(check_method);
    for task in kd_vision::tasks::vision_tasks()
        .into_iter()
        .chain(kd_rl::rl_tasks())
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
