//! Dataset-distillation methods as data: the `domain = "distill-data"` tables of
//! `distill-methods.toml`, parsed and checked.
use serde::Deserialize;
use toml::{Table, Value};

/// The built-in dataset-distillation methods (`crates/kd-core/distill-methods.toml`).
pub const DISTILL_METHODS_TOML: &str = include_str!("../../distill-methods.toml");

/// The `domain` value of dataset-distillation methods.
pub const DOMAIN: &str = "distill-data";

/// What a method trains the evaluated networks on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataKind {
    /// Synthetic examples (images, embedded sentences) learned by the bi-level optimisation.
    Learned,
    /// Real training examples chosen at random; only the step sizes are learned.
    Real,
    /// The whole training set (ordinary training).
    Full,
}

/// Hard (one-hot, fixed) or soft (learned distribution) labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Labels {
    /// Example `i` has class `i mod classes`.
    Hard,
    /// Each example's label is the softmax of learned logits.
    Soft,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMethod {
    domain: String,
    description: String,
    #[serde(default)]
    paper: Option<String>,
    data: DataKind,
    labels: Labels,
}

/// A checked dataset-distillation method.
#[derive(Debug, Clone, PartialEq)]
pub struct DistillMethod {
    /// The method's name.
    pub name: String,
    /// One line for `kdbench list methods`.
    pub description: String,
    /// What the evaluated networks train on.
    pub data: DataKind,
    /// Hard or soft labels.
    pub labels: Labels,
}

/// Whether `table` is a dataset-distillation method (`domain = "distill-data"`).
pub fn is_distill_method(table: &Table) -> bool {
    table.get("domain").and_then(Value::as_str) == Some(DOMAIN)
}

impl DistillMethod {
    /// Parses and checks the method `name`; errors name the key (`method.NAME.KEY`).
    pub fn from_table(name: &str, table: &Table) -> Result<DistillMethod, String> {
        let raw: RawMethod = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| format!("method.{name}: {}", e.message().trim()))?;
        if raw.domain != DOMAIN {
            return Err(format!(
                "method.{name}.domain: expected \"{DOMAIN}\", found \"{}\"",
                raw.domain
            ));
        }
        if raw.labels == Labels::Soft && raw.data != DataKind::Learned {
            return Err(format!(
                "method.{name}.labels: soft labels are learned, which needs data = \"learned\""
            ));
        }
        let _ = raw.paper;
        Ok(DistillMethod {
            name: name.to_string(),
            description: raw.description,
            data: raw.data,
            labels: raw.labels,
        })
    }
}

/// Checks a dataset-distillation method and returns its description (the registry's checker
/// for tables with `domain = "distill-data"`).
pub fn check_distill_method(name: &str, table: &Table) -> Result<String, String> {
    DistillMethod::from_table(name, table).map(|m| m.description)
}

/// The built-in dataset-distillation methods as `(name, table)` pairs, in file order.
pub fn distill_method_tables() -> Vec<(String, Table)> {
    let table: Table =
        toml::from_str(DISTILL_METHODS_TOML).expect("distill-methods.toml is valid TOML");
    table
        .into_iter()
        .map(|(name, value)| match value {
            Value::Table(t) => (name, t),
            _ => panic!("kd-core distill-methods.toml: [{name}] must be a table"),
        })
        .collect()
}

/// The names of the built-in methods, for messages.
pub fn distill_method_names() -> String {
    distill_method_tables()
        .into_iter()
        .map(|(n, _)| n)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_methods_parse() {
        let methods: Vec<DistillMethod> = distill_method_tables()
            .iter()
            .map(|(n, t)| {
                assert!(is_distill_method(t), "{n}");
                DistillMethod::from_table(n, t).unwrap()
            })
            .collect();
        let mut names: Vec<&str> = methods.iter().map(|m| m.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["dd_hard", "dd_soft", "full_data", "random_real"]);
        let soft = methods.iter().find(|m| m.name == "dd_soft").unwrap();
        assert_eq!((soft.data, soft.labels), (DataKind::Learned, Labels::Soft));
    }

    #[test]
    fn errors_name_the_key() {
        let parse = |text: &str| {
            DistillMethod::from_table("m", &toml::from_str(text).unwrap()).unwrap_err()
        };
        let base = "domain = 'distill-data'\ndescription = 'x'\n";
        let err = parse(&format!("{base}data = 'real'\nlabels = 'soft'"));
        assert!(err.contains("method.m.labels"), "{err}");
        let err = parse(&format!("{base}data = 'pixels'\nlabels = 'hard'"));
        assert!(err.contains("method.m") && err.contains("pixels"), "{err}");
        let err = parse(&format!("{base}data = 'real'\nlabels = 'hard'\nsteps = 3"));
        assert!(err.contains("steps"), "{err}");
    }
}
