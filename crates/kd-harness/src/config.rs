//! Config tables: layered merging with key and type checks, `--set key=value` overrides,
//! and the config hash that identifies a run.
use sha2::{Digest, Sha256};
use toml::{Table, Value};

/// One `--set key=value` override, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The dotted key path, e.g. `epochs`, `task.digits-mlp.lr`, `method.kd.losses.kd.temperature`.
    pub path: Vec<String>,
    /// The value, parsed as a TOML value (a bare word becomes a string).
    pub value: Value,
}

impl Override {
    /// Parses `key=value`. Values are TOML (`3`, `0.5`, `true`, `[64, 32]`, `"adam"`); a value
    /// that is not valid TOML is taken as a plain string (`--set optimizer=sgd`).
    pub fn parse(text: &str) -> Result<Override, String> {
        let (key, raw) = text
            .split_once('=')
            .ok_or_else(|| format!("--set '{text}': expected key=value, e.g. --set epochs=2"))?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(|part| part.trim().is_empty()) {
            return Err(format!(
                "--set '{text}': the key is empty or has an empty part"
            ));
        }
        let raw = raw.trim();
        let value = match toml::from_str::<Table>(&format!("v = {raw}")) {
            Ok(mut t) => t.remove("v").expect("parsed key"),
            Err(_) => Value::String(raw.to_string()),
        };
        Ok(Override {
            path: key.split('.').map(|p| p.trim().to_string()).collect(),
            value,
        })
    }

    /// The key path as written.
    pub fn key(&self) -> String {
        self.path.join(".")
    }
}

/// The name of a TOML value's type, for error messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true or false",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// Converts `value` to the type of `like` where that is lossless (an integer where a float is
/// expected), or says what was expected.
fn coerce(value: &Value, like: &Value, where_: &str) -> Result<Value, String> {
    match (like, value) {
        (Value::Float(_), Value::Integer(i)) => Ok(Value::Float(*i as f64)),
        (Value::Table(_), Value::Table(_)) => Ok(value.clone()),
        (l, v) if std::mem::discriminant(l) == std::mem::discriminant(v) => Ok(v.clone()),
        _ => Err(format!(
            "{where_}: expected {}, found {}",
            type_name(like),
            value
        )),
    }
}

/// Sets `path` in `base` to `value`, where `path` must exist in `base` and the value must
/// have the type of the value there. `where_` prefixes errors (e.g. the file and table).
pub fn set_known(
    base: &mut Table,
    path: &[String],
    value: &Value,
    where_: &str,
) -> Result<(), String> {
    let (first, rest) = path
        .split_first()
        .expect("a key path has at least one part");
    let here = format!("{where_}{first}");
    let Some(existing) = base.get_mut(first) else {
        let mut known: Vec<&String> = base.keys().collect();
        known.sort();
        return Err(format!(
            "{here}: unknown key (known keys: {})",
            known
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    if rest.is_empty() {
        if let (Value::Table(existing_table), Value::Table(new_table)) = (&mut *existing, value) {
            return merge_known(existing_table, new_table, &format!("{here}."));
        }
        *existing = coerce(value, existing, &here)?;
        return Ok(());
    }
    match existing {
        Value::Table(inner) => set_known(inner, rest, value, &format!("{here}.")),
        _ => Err(format!("{here}: is {}, not a table", type_name(existing))),
    }
}

/// Merges every key of `overlay` into `base`, each of which must already exist there.
pub fn merge_known(base: &mut Table, overlay: &Table, where_: &str) -> Result<(), String> {
    for (key, value) in overlay {
        set_known(base, std::slice::from_ref(key), value, where_)?;
    }
    Ok(())
}

/// Merges `overlay` into `base` allowing new keys (tables merge recursively).
pub fn merge_open(base: &mut Table, overlay: &Table) {
    for (key, value) in overlay {
        match (base.get_mut(key), value) {
            (Some(Value::Table(inner)), Value::Table(over)) => merge_open(inner, over),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// True when `path` names a key present in `table`.
pub fn has_path(table: &Table, path: &[String]) -> bool {
    let (first, rest) = path.split_first().expect("non-empty path");
    match (table.get(first), rest.is_empty()) {
        (Some(_), true) => true,
        (Some(Value::Table(inner)), false) => has_path(inner, rest),
        _ => false,
    }
}

/// A short, stable hash of the tables that define a run (task config and method).
pub fn config_hash(task: &str, config: &Table, method: &str, method_table: &Table) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("task={task}\nmethod={method}\n").as_bytes());
    hasher.update(toml::to_string(config).unwrap_or_default().as_bytes());
    hasher.update(b"\n--method--\n");
    hasher.update(toml::to_string(method_table).unwrap_or_default().as_bytes());
    let digest = format!("{:x}", hasher.finalize());
    digest[..12].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(src: &str) -> Table {
        toml::from_str(src).unwrap()
    }

    #[test]
    fn overrides_parse_toml_values_and_bare_words() {
        let o = Override::parse("epochs=2").unwrap();
        assert_eq!((o.key(), o.value), ("epochs".into(), Value::Integer(2)));
        assert_eq!(
            Override::parse("optimizer=sgd").unwrap().value,
            Value::String("sgd".into())
        );
        assert_eq!(
            Override::parse("student.hidden=[16, 8]").unwrap().value,
            Value::Array(vec![Value::Integer(16), Value::Integer(8)])
        );
        assert!(Override::parse("epochs").unwrap_err().contains("key=value"));
        assert!(Override::parse("a..b=1")
            .unwrap_err()
            .contains("empty part"));
    }

    #[test]
    fn set_known_checks_keys_and_types() {
        let mut base = table("epochs = 3\nlr = 0.1\n[student]\nhidden = [32]");
        set_known(&mut base, &["lr".into()], &Value::Integer(1), "").unwrap();
        assert_eq!(base["lr"], Value::Float(1.0));
        let err = set_known(
            &mut base,
            &["epochz".into()],
            &Value::Integer(1),
            "suite.toml: ",
        )
        .unwrap_err();
        assert!(
            err.starts_with("suite.toml: epochz: unknown key") && err.contains("epochs"),
            "{err}"
        );
        let err = set_known(&mut base, &["epochs".into()], &Value::Float(1.5), "").unwrap_err();
        assert!(err.contains("epochs: expected an integer"), "{err}");
        set_known(
            &mut base,
            &["student".into(), "hidden".into()],
            &Value::Array(vec![]),
            "",
        )
        .unwrap();
        let err = set_known(
            &mut base,
            &["epochs".into(), "x".into()],
            &Value::Integer(1),
            "",
        )
        .unwrap_err();
        assert!(err.contains("not a table"), "{err}");
    }

    #[test]
    fn hash_changes_with_any_setting() {
        let a = table("epochs = 3");
        let b = table("epochs = 4");
        let m = table("regime = 'student'");
        assert_eq!(
            config_hash("t", &a, "kd", &m),
            config_hash("t", &a, "kd", &m)
        );
        assert_ne!(
            config_hash("t", &a, "kd", &m),
            config_hash("t", &b, "kd", &m)
        );
        assert_ne!(
            config_hash("t", &a, "kd", &m),
            config_hash("t", &a, "student", &m)
        );
        assert_eq!(config_hash("t", &a, "kd", &m).len(), 12);
    }
}
