//! Wires the domain crates into the harness registry: tasks, built-in methods and suites.
use kd_core::method::{builtin_method_tables, MethodSpec};
use kd_harness::registry::Registry;
use toml::Table;

/// Built-in suites, embedded from `suites/`.
pub const SUITES: &[(&str, &str)] = &[
    ("smoke", include_str!("../suites/smoke.toml")),
    ("vision", include_str!("../suites/vision.toml")),
    ("hinton-mnist", include_str!("../suites/hinton-mnist.toml")),
    ("vision-gpu", include_str!("../suites/vision-gpu.toml")),
];

fn check_method(name: &str, table: &Table) -> Result<String, String> {
    MethodSpec::from_table(name, table).map(|spec| spec.description)
}

/// The registry of this build.
pub fn registry() -> Registry {
    let mut registry = Registry::new(check_method);
    for task in kd_vision::tasks::vision_tasks() {
        registry.add_task(task);
    }
    for spec in kd_vision::datasets::vision_data()
        .into_iter()
        .chain(kd_nlu::datasets::nlu_data())
    {
        registry.add_data(spec);
    }
    for (name, table) in builtin_method_tables() {
        registry
            .add_method(&name, table)
            .unwrap_or_else(|e| panic!("built-in method {name}: {e}"));
    }
    for (name, text) in SUITES {
        registry.add_suite(name, text);
    }
    registry
}
