//! RL methods as data: the `domain = "rl"` tables of `methods.toml`, parsed and checked.
use serde::Deserialize;
use toml::{Table, Value};

use crate::agent::{Algorithm, DistillFilter};

/// The built-in RL methods (`crates/kd-rl/methods.toml`).
pub const RL_METHODS_TOML: &str = include_str!("../methods.toml");

/// What a learner imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Distill {
    /// Nothing (plain TD3/DDPG).
    None,
    /// The other learner of a pair (dual policy distillation).
    Peer,
    /// A TD3 teacher trained beforehand for `teacher_steps` steps.
    Teacher,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum AlgorithmName {
    Td3,
    Ddpg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FilterName {
    None,
    Disadvantage,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMethod {
    domain: String,
    description: String,
    #[serde(default)]
    paper: Option<String>,
    algorithm: AlgorithmName,
    learners: usize,
    distill: Distill,
    filter: FilterName,
}

/// A checked RL method.
#[derive(Debug, Clone, PartialEq)]
pub struct RlMethod {
    /// The method's name.
    pub name: String,
    /// One line for `kdbench list methods`.
    pub description: String,
    /// TD3 or DDPG.
    pub algorithm: Algorithm,
    /// 1 or 2 learners.
    pub learners: usize,
    /// What the learners imitate.
    pub distill: Distill,
    /// On which states they imitate.
    pub filter: DistillFilter,
}

/// Whether `table` is an RL method (`domain = "rl"`).
pub fn is_rl_method(table: &Table) -> bool {
    table.get("domain").and_then(Value::as_str) == Some("rl")
}

impl RlMethod {
    /// Parses and checks the method `name`; errors name the key (`method.NAME.KEY`).
    pub fn from_table(name: &str, table: &Table) -> Result<RlMethod, String> {
        let raw: RawMethod = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| format!("method.{name}: {}", e.message().trim()))?;
        let key = |k: &str| format!("method.{name}.{k}");
        if raw.domain != "rl" {
            return Err(format!(
                "{}: expected \"rl\", found \"{}\"",
                key("domain"),
                raw.domain
            ));
        }
        if !(1..=2).contains(&raw.learners) {
            return Err(format!(
                "{}: expected 1 or 2, found {}",
                key("learners"),
                raw.learners
            ));
        }
        match (raw.distill, raw.learners) {
            (Distill::Peer, 1) => {
                return Err(format!(
                    "{}: \"peer\" needs two learners, but {} = 1",
                    key("distill"),
                    key("learners")
                ))
            }
            (Distill::Teacher, 2) => {
                return Err(format!(
                    "{}: \"teacher\" takes one learner, but {} = 2",
                    key("distill"),
                    key("learners")
                ))
            }
            _ => {}
        }
        if raw.distill == Distill::None && raw.filter != FilterName::None {
            return Err(format!(
                "{}: a filter needs distillation, but {} = \"none\"",
                key("filter"),
                key("distill")
            ));
        }
        let _ = raw.paper;
        Ok(RlMethod {
            name: name.to_string(),
            description: raw.description,
            algorithm: match raw.algorithm {
                AlgorithmName::Td3 => Algorithm::Td3,
                AlgorithmName::Ddpg => Algorithm::Ddpg,
            },
            learners: raw.learners,
            distill: raw.distill,
            filter: match raw.filter {
                FilterName::None => DistillFilter::All,
                FilterName::Disadvantage => DistillFilter::Disadvantage,
            },
        })
    }
}

/// Checks an RL method definition and returns its description (the registry's checker for
/// tables with `domain = "rl"`).
pub fn check_rl_method(name: &str, table: &Table) -> Result<String, String> {
    RlMethod::from_table(name, table).map(|m| m.description)
}

/// The built-in RL methods as `(name, table)` pairs, in file order.
pub fn rl_method_tables() -> Vec<(String, Table)> {
    let table: Table = toml::from_str(RL_METHODS_TOML).expect("methods.toml is valid TOML");
    table
        .into_iter()
        .map(|(name, value)| match value {
            Value::Table(t) => (name, t),
            _ => panic!("kd-rl methods.toml: [{name}] must be a table"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_method_parses_and_is_rl() {
        let methods = rl_method_tables();
        let names: Vec<&str> = methods.iter().map(|(n, _)| n.as_str()).collect();
        for expected in [
            "single",
            "independent_pair",
            "dpd",
            "dpd_no_filter",
            "teacher_distill",
        ] {
            assert!(names.contains(&expected), "{expected} missing: {names:?}");
        }
        for (name, table) in &methods {
            assert!(is_rl_method(table), "{name}");
            let method = RlMethod::from_table(name, table).unwrap();
            assert!(!method.description.is_empty());
        }
        let dpd = methods.iter().find(|(n, _)| n == "dpd").unwrap();
        let dpd = RlMethod::from_table("dpd", &dpd.1).unwrap();
        assert_eq!(
            (dpd.learners, dpd.distill, dpd.filter),
            (2, Distill::Peer, DistillFilter::Disadvantage)
        );
    }

    #[test]
    fn errors_name_the_key() {
        let bad = |extra: &str| {
            let text = format!(
                "domain = 'rl'\ndescription = 'x'\nalgorithm = 'td3'\n{extra}\nfilter = 'none'"
            );
            RlMethod::from_table("m", &toml::from_str(&text).unwrap()).unwrap_err()
        };
        assert!(bad("learners = 3\ndistill = 'none'").contains("method.m.learners"));
        assert!(bad("learners = 1\ndistill = 'peer'").contains("method.m.distill"));
        assert!(bad("learners = 2\ndistill = 'teacher'").contains("one learner"));
        assert!(bad("learners = 1\ndistill = 'sideways'").contains("method.m"));
        assert!(bad("learners = 1\ndistill = 'none'\ncolour = 1").contains("colour"));
        let filter_without_distill: Table = toml::from_str(
            "domain = 'rl'\ndescription = 'x'\nalgorithm = 'td3'\nlearners = 1\ndistill = 'none'\nfilter = 'disadvantage'",
        )
        .unwrap();
        assert!(RlMethod::from_table("m", &filter_without_distill)
            .unwrap_err()
            .contains("method.m.filter"));
    }
}
