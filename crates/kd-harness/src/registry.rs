//! The registry the binary fills: tasks, methods and built-in suites.
use crate::data::DataSpec;
use crate::task::{MethodDef, Task};
use std::sync::Arc;
use toml::Table;

/// Checks a method definition and returns its description (kd-core's parser, wired by the binary).
pub type MethodChecker = fn(&str, &Table) -> Result<String, String>;

/// Tasks, methods and suites known to this build of kdbench.
pub struct Registry {
    tasks: Vec<Arc<dyn Task>>,
    methods: Vec<MethodDef>,
    suites: Vec<(String, String)>,
    data: Vec<DataSpec>,
    check_method: MethodChecker,
}

impl Registry {
    /// An empty registry whose method definitions are validated by `check_method`.
    pub fn new(check_method: MethodChecker) -> Self {
        Registry {
            tasks: vec![],
            methods: vec![],
            suites: vec![],
            data: vec![],
            check_method,
        }
    }

    /// Adds a task (a later task of the same name replaces it).
    pub fn add_task(&mut self, task: Arc<dyn Task>) {
        self.tasks.retain(|t| t.name() != task.name());
        self.tasks.push(task);
    }

    /// Adds a method from its TOML definition (a later method of the same name replaces it).
    pub fn add_method(&mut self, name: &str, table: Table) -> Result<(), String> {
        let description = (self.check_method)(name, &table)?;
        self.methods.retain(|m| m.name != name);
        self.methods.push(MethodDef {
            name: name.to_string(),
            description,
            table,
        });
        Ok(())
    }

    /// Adds a built-in suite from its TOML text.
    pub fn add_suite(&mut self, name: &str, toml_text: &str) {
        self.suites.retain(|(n, _)| n != name);
        self.suites.push((name.to_string(), toml_text.to_string()));
    }

    /// Adds a fetchable data set.
    pub fn add_data(&mut self, spec: DataSpec) {
        self.data.retain(|d| d.name != spec.name);
        self.data.push(spec);
    }

    /// Every fetchable data set.
    pub fn data(&self) -> &[DataSpec] {
        &self.data
    }

    /// The task called `name`.
    pub fn task(&self, name: &str) -> Option<&Arc<dyn Task>> {
        self.tasks.iter().find(|t| t.name() == name)
    }

    /// Every task, in registration order.
    pub fn tasks(&self) -> &[Arc<dyn Task>] {
        &self.tasks
    }

    /// The method called `name`.
    pub fn method(&self, name: &str) -> Option<&MethodDef> {
        self.methods.iter().find(|m| m.name == name)
    }

    /// Every method, in registration order.
    pub fn methods(&self) -> &[MethodDef] {
        &self.methods
    }

    /// Validates a (possibly overridden) method definition; returns its description.
    pub fn check_method(&self, name: &str, table: &Table) -> Result<String, String> {
        (self.check_method)(name, table)
    }

    /// The TOML text of the built-in suite `name`.
    pub fn suite_text(&self, name: &str) -> Option<String> {
        self.suites
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    }

    /// Names of the built-in suites.
    pub fn suite_names(&self) -> Vec<String> {
        self.suites.iter().map(|(n, _)| n.clone()).collect()
    }
}
