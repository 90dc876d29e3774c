//! Methods: a regime plus a weighted sum of registered loss terms, parsed from TOML.
use crate::losses::{build_loss, Loss, LossInputs};
use crate::params::Params;
use tch::Tensor;
use toml::{Table, Value};

/// The built-in methods' TOML (see `methods.toml` in this crate).
pub const BUILTIN_METHODS_TOML: &str = include_str!("../methods.toml");

/// How the models of a method are trained together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    /// Train the teacher architecture alone; report the teacher.
    Teacher,
    /// Train the student architecture alone; report the student.
    Student,
    /// Train (or reuse) the teacher, freeze it, then train the student against it.
    OneWay,
}

impl Regime {
    fn parse(name: &str) -> Option<Regime> {
        match name {
            "teacher" => Some(Regime::Teacher),
            "student" => Some(Regime::Student),
            "one_way" => Some(Regime::OneWay),
            _ => None,
        }
    }

    /// True when the regime has a teacher available to the losses.
    pub fn has_teacher(self) -> bool {
        matches!(self, Regime::OneWay)
    }
}

/// One term of a method's objective.
#[derive(Debug)]
pub struct WeightedLoss {
    /// The registry name of the loss.
    pub name: String,
    /// Its weight in the sum.
    pub weight: f64,
    /// The loss itself.
    pub loss: Box<dyn Loss>,
}

/// A parsed, validated method.
#[derive(Debug)]
pub struct MethodSpec {
    /// The method's name (as in suites and `scores.csv`).
    pub name: String,
    /// One line for `kdbench list methods`.
    pub description: String,
    /// The paper the method implements, if any.
    pub paper: Option<String>,
    /// How models are trained together.
    pub regime: Regime,
    /// The objective's terms.
    pub terms: Vec<WeightedLoss>,
}

impl MethodSpec {
    /// Parses the method `name` from its table (found at `method.<name>` in a suite).
    pub fn from_table(name: &str, table: &Table) -> Result<MethodSpec, String> {
        let mut params = Params::new(format!("method.{name}"), table.clone());
        let description = params.str_or("description", "")?;
        let paper = match params.take("paper") {
            None => None,
            Some(Value::String(p)) => Some(p),
            Some(_) => return Err(params.bad("paper", "a string")),
        };
        let regime_name = params.str_or("regime", "")?;
        let regime = Regime::parse(&regime_name)
            .ok_or_else(|| params.bad("regime", "one of \"teacher\", \"student\", \"one_way\""))?;
        let losses = params.table("losses")?;
        if losses.is_empty() {
            return Err(format!(
                "method.{name}.losses: expected at least one loss term, e.g. losses.ce = {{ weight = 1.0 }}"
            ));
        }
        let mut terms = Vec::new();
        for (loss_name, value) in &losses {
            let path = format!("method.{name}.losses.{loss_name}");
            let Value::Table(loss_table) = value else {
                return Err(format!(
                    "{path}: expected a table such as {{ weight = 1.0 }}"
                ));
            };
            let mut loss_params = Params::new(path.clone(), loss_table.clone());
            let weight = loss_params.f64_or("weight", 1.0)?;
            if !weight.is_finite() || weight < 0.0 {
                return Err(loss_params.bad("weight", "a non-negative number"));
            }
            let loss = build_loss(loss_name, &mut loss_params).map_err(|e| {
                if e.starts_with("unknown loss") {
                    format!("{path}: {e}")
                } else {
                    e
                }
            })?;
            if loss.needs_teacher() && !regime.has_teacher() {
                return Err(format!(
                    "{path}: this loss needs a teacher, but regime \"{regime_name}\" trains no teacher \
                     (use regime = \"one_way\")"
                ));
            }
            terms.push(WeightedLoss {
                name: loss_name.clone(),
                weight,
                loss,
            });
        }
        params.finish()?;
        Ok(MethodSpec {
            name: name.to_string(),
            description,
            paper,
            regime,
            terms,
        })
    }

    /// True when any term needs 4-D feature maps from the models.
    pub fn needs_feature_maps(&self) -> bool {
        self.terms.iter().any(|t| t.loss.needs_feature_maps())
    }

    /// The weighted sum of the terms for one batch.
    pub fn total_loss(&self, inputs: &LossInputs) -> Tensor {
        let mut total: Option<Tensor> = None;
        for term in &self.terms {
            let value = term.loss.compute(inputs) * term.weight;
            total = Some(match total {
                None => value,
                Some(sum) => sum + value,
            });
        }
        total.expect("a method has at least one loss term")
    }
}

/// The built-in methods as (name, table) pairs, in file order.
pub fn builtin_method_tables() -> Vec<(String, Table)> {
    let table: Table = toml::from_str(BUILTIN_METHODS_TOML).expect("methods.toml is valid TOML");
    table
        .into_iter()
        .map(|(name, value)| match value {
            Value::Table(t) => (name, t),
            _ => panic!("methods.toml: [{name}] must be a table"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_method_parses() {
        let methods = builtin_method_tables();
        assert!(methods.len() >= 3);
        for (name, table) in &methods {
            let spec = MethodSpec::from_table(name, table).unwrap();
            assert!(!spec.description.is_empty(), "{name} needs a description");
        }
    }

    #[test]
    fn errors_name_the_key() {
        let bad =
            |src: &str| MethodSpec::from_table("m", &toml::from_str(src).unwrap()).unwrap_err();
        assert!(bad("regime = 'sideways'\nlosses.ce = {}").contains("method.m.regime"));
        assert!(bad("regime = 'student'\nlosses.kd = {}").contains("needs a teacher"));
        assert!(bad("regime = 'one_way'\nlosses.kdd = {}").contains("unknown loss 'kdd'"));
        assert!(
            bad("regime = 'one_way'\nlosses.kd = { temp = 3 }").contains("method.m.losses.kd.temp")
        );
        assert!(bad("regime = 'student'\nlosses.ce = { weight = 'high' }").contains("a number"));
        assert!(bad("regime = 'student'").contains("at least one loss"));
        assert!(bad("regime = 'student'\nlosses.ce = {}\ncolour = 1").contains("method.m.colour"));
    }

    #[test]
    fn total_loss_is_the_weighted_sum() {
        use crate::model::Forward;
        let table = toml::from_str(
            "regime = 'one_way'\nlosses.ce = { weight = 0.25 }\nlosses.kd = { weight = 0.5, temperature = 2.0 }",
        )
        .unwrap();
        let spec = MethodSpec::from_table("mix", &table).unwrap();
        let s = Forward {
            logits: Tensor::from_slice(&[1.0f32, 2.0, 0.5]).view([1, 3]),
            features: vec![],
        };
        let t = Forward {
            logits: Tensor::from_slice(&[2.0f32, 0.5, 1.0]).view([1, 3]),
            features: vec![],
        };
        let y = Tensor::from_slice(&[0i64]);
        let inputs = LossInputs {
            student: &s,
            teacher: Some(&t),
            targets: &y,
            progress: 0.0,
        };
        let total = spec.total_loss(&inputs).double_value(&[]);
        let ce = 1.464_368_784_107_945; // -log softmax([1, 2, 0.5])[0]
        let kd = crate::losses::hinton_kd_loss(&s.logits, &t.logits, 2.0).double_value(&[]);
        assert!((total - (0.25 * ce + 0.5 * kd)).abs() < 1e-5, "{total}");
    }
}
