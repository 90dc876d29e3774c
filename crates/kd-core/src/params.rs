//! A typed reader over a TOML table that names the full key path in every error and
//! rejects keys nobody read (so a typo is an error, not a silently ignored setting).
use std::collections::BTreeSet;
use toml::{Table, Value};

/// Parameters of one configurable thing (a loss, a method), read key by key.
#[derive(Debug, Clone)]
pub struct Params {
    path: String,
    table: Table,
    used: BTreeSet<String>,
}

impl Params {
    /// Wraps `table`, found at the dotted `path` (used in error messages).
    pub fn new(path: impl Into<String>, table: Table) -> Self {
        Params {
            path: path.into(),
            table,
            used: BTreeSet::new(),
        }
    }

    /// Builds parameters from numeric pairs (handy in tests).
    pub fn from_pairs(path: &str, pairs: &[(&str, f64)]) -> Self {
        let table = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::Float(*v)))
            .collect();
        Params::new(path, table)
    }

    /// The dotted path of `key` under these parameters.
    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// An error message for `key` that names what was expected and what was found.
    pub fn bad(&self, key: &str, expected: &str) -> String {
        match self.table.get(key) {
            Some(found) => format!("{}: expected {expected}, found {found}", self.key_path(key)),
            None => format!("{}: expected {expected}", self.key_path(key)),
        }
    }

    /// Marks `key` as read and returns its raw value.
    pub fn take(&mut self, key: &str) -> Option<Value> {
        self.used.insert(key.to_string());
        self.table.get(key).cloned()
    }

    /// A number (integer or float) or `default` when absent.
    pub fn f64_or(&mut self, key: &str, default: f64) -> Result<f64, String> {
        match self.take(key) {
            None => Ok(default),
            Some(Value::Float(v)) => Ok(v),
            Some(Value::Integer(v)) => Ok(v as f64),
            Some(_) => Err(self.bad(key, "a number")),
        }
    }

    /// A string or `default` when absent.
    pub fn str_or(&mut self, key: &str, default: &str) -> Result<String, String> {
        match self.take(key) {
            None => Ok(default.to_string()),
            Some(Value::String(v)) => Ok(v),
            Some(_) => Err(self.bad(key, "a string")),
        }
    }

    /// A non-negative integer or `default` when absent.
    pub fn usize_or(&mut self, key: &str, default: usize) -> Result<usize, String> {
        match self.take(key) {
            None => Ok(default),
            Some(Value::Integer(v)) if v >= 0 => Ok(v as usize),
            Some(_) => Err(self.bad(key, "a non-negative integer")),
        }
    }

    /// A boolean or `default` when absent.
    pub fn bool_or(&mut self, key: &str, default: bool) -> Result<bool, String> {
        match self.take(key) {
            None => Ok(default),
            Some(Value::Boolean(v)) => Ok(v),
            Some(_) => Err(self.bad(key, "true or false")),
        }
    }

    /// A sub-table (empty when absent).
    pub fn table(&mut self, key: &str) -> Result<Table, String> {
        match self.take(key) {
            None => Ok(Table::new()),
            Some(Value::Table(t)) => Ok(t),
            Some(_) => Err(self.bad(key, "a table")),
        }
    }

    /// Fails on the first key that was never read.
    pub fn finish(&self) -> Result<(), String> {
        let unknown: Vec<&String> = self
            .table
            .keys()
            .filter(|k| !self.used.contains(*k))
            .collect();
        match unknown.first() {
            None => Ok(()),
            Some(key) => {
                let mut known: Vec<&str> = self.used.iter().map(String::as_str).collect();
                known.sort();
                Err(format!(
                    "{}: unknown key (known keys here: {})",
                    self.key_path(key),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_typed_values_and_names_bad_keys() {
        let table: Table = toml::from_str("a = 2\nb = 'x'\nc = true\nd = 1.5").unwrap();
        let mut p = Params::new("m.x", table);
        assert_eq!(p.f64_or("a", 0.0).unwrap(), 2.0);
        assert_eq!(p.str_or("b", "").unwrap(), "x");
        assert!(p.bool_or("c", false).unwrap());
        let err = p.usize_or("d", 0).unwrap_err();
        assert!(
            err.contains("m.x.d") && err.contains("non-negative integer"),
            "{err}"
        );
        assert_eq!(p.f64_or("missing", 7.0).unwrap(), 7.0);
        assert!(p.finish().is_ok());
    }

    #[test]
    fn unread_keys_are_errors() {
        let table: Table = toml::from_str("temperatur = 4").unwrap();
        let mut p = Params::new("method.kd.losses.kd", table);
        p.f64_or("temperature", 4.0).unwrap();
        let err = p.finish().unwrap_err();
        assert!(err.contains("method.kd.losses.kd.temperatur"), "{err}");
        assert!(err.contains("temperature"), "{err}");
    }
}
