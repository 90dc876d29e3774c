//! Methods: a regime plus a weighted sum of registered loss terms, parsed from TOML.
use crate::losses::{build_loss, Loss, LossInputs};
use crate::params::Params;
use tch::Tensor;
use toml::{Table, Value};

/// The built-in methods' TOML (see `methods.toml` in this crate).
pub const BUILTIN_METHODS_TOML: &str = include_str!("../methods.toml");

/// Which model of a co-trained pair a method reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The task's student architecture.
    Small,
    /// The task's teacher architecture.
    Large,
}

/// How the models of a method are trained together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    /// Train the teacher architecture alone; report the teacher.
    Teacher,
    /// Train the student architecture alone; report the student.
    Student,
    /// Train (or reuse) `teachers` teachers of the teacher architecture (different seeds),
    /// freeze them, then train the student against them.
    OneWay {
        /// How many teachers (1 for classic KD).
        teachers: usize,
    },
    /// Born-again self-distillation: generation 0 is the student architecture trained alone;
    /// each later generation (same architecture) learns from the previous one; the last of
    /// `generations` distilled generations is reported.
    SelfDistill {
        /// Distilled generations after generation 0 (at least 1).
        generations: usize,
    },
    /// Distillation from a weak teacher: the task's student architecture, trained alone, is the
    /// teacher of the task's (larger) teacher architecture, which is reported.
    WeakTeacher {
        /// Start the large model from the small one's parameters (see [`crate::remap`]).
        remap_init: bool,
    },
    /// Co-training: both architectures train together, each distilling from the other's
    /// current (detached) predictions; `report` chooses the model scored.
    CoTrain {
        /// The model this method reports.
        report: Side,
    },
}

const REGIMES: &str =
    "one of \"teacher\", \"student\", \"one_way\", \"self_distill\", \"weak_teacher\", \"co_train\"";

impl Regime {
    /// Reads `regime` and the options that belong to it from a method's parameters.
    fn from_params(params: &mut Params) -> Result<Regime, String> {
        let name = params.str_or("regime", "")?;
        let regime = match name.as_str() {
            "teacher" => Regime::Teacher,
            "student" => Regime::Student,
            "one_way" => Regime::OneWay {
                teachers: params.usize_or("teachers", 1)?,
            },
            "self_distill" => Regime::SelfDistill {
                generations: params.usize_or("generations", 2)?,
            },
            "weak_teacher" => Regime::WeakTeacher {
                remap_init: params.bool_or("remap_init", false)?,
            },
            "co_train" => Regime::CoTrain {
                report: match params.str_or("report", "small")?.as_str() {
                    "small" => Side::Small,
                    "large" => Side::Large,
                    _ => return Err(params.bad("report", "\"small\" or \"large\"")),
                },
            },
            _ => return Err(params.bad("regime", REGIMES)),
        };
        match regime {
            Regime::OneWay { teachers: 0 } => Err(params.bad("teachers", "at least 1")),
            Regime::SelfDistill { generations: 0 } => Err(params.bad("generations", "at least 1")),
            _ => Ok(regime),
        }
    }

    /// True when the regime has a teacher available to the losses.
    pub fn has_teacher(self) -> bool {
        !matches!(self, Regime::Teacher | Regime::Student)
    }
}

/// How a term's weight changes over training (`progress` p in [0, 1]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightSchedule {
    /// Always the weight.
    Constant,
    /// `weight (1 - p)`.
    LinearDecay,
    /// `weight p`.
    LinearWarmup,
    /// `weight (1 + cos(pi p)) / 2`.
    CosineDecay,
    /// `weight (1 - cos(pi p)) / 2`.
    CosineWarmup,
}

impl WeightSchedule {
    fn parse(name: &str) -> Option<WeightSchedule> {
        Some(match name {
            "constant" => WeightSchedule::Constant,
            "linear_decay" => WeightSchedule::LinearDecay,
            "linear_warmup" => WeightSchedule::LinearWarmup,
            "cosine_decay" => WeightSchedule::CosineDecay,
            "cosine_warmup" => WeightSchedule::CosineWarmup,
            _ => return None,
        })
    }

    /// The factor applied to the weight at `progress`.
    pub fn factor(self, progress: f64) -> f64 {
        let p = progress.clamp(0.0, 1.0);
        let cos = (std::f64::consts::PI * p).cos();
        match self {
            WeightSchedule::Constant => 1.0,
            WeightSchedule::LinearDecay => 1.0 - p,
            WeightSchedule::LinearWarmup => p,
            WeightSchedule::CosineDecay => 0.5 * (1.0 + cos),
            WeightSchedule::CosineWarmup => 0.5 * (1.0 - cos),
        }
    }
}

/// One term of a method's objective.
#[derive(Debug)]
pub struct WeightedLoss {
    /// The registry name of the loss.
    pub name: String,
    /// Its weight in the sum.
    pub weight: f64,
    /// How the weight changes over training.
    pub schedule: WeightSchedule,
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
    /// The definition without its description, paper and `report` choice: two methods with
    /// the same signature train the same models (e.g. `ctcd:small` and `ctcd:large`).
    pub signature: String,
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
        if let Some(domain) = params.take("domain") {
            let domain = domain
                .as_str()
                .map(str::to_string)
                .unwrap_or(domain.to_string());
            return Err(format!(
                "method '{name}' is for the {domain} domain, not a classification method"
            ));
        }
        let regime = Regime::from_params(&mut params)?;
        let losses = params.table("losses")?;
        if regime == Regime::Teacher {
            // The teacher regime scores the task's shared reference teacher, which every
            // distillation method of the seed learns from; it is always trained with plain CE.
            let plain_ce = losses.len() == 1
                && losses
                    .get("ce")
                    .and_then(Value::as_table)
                    .is_some_and(|ce| ce.keys().all(|k| k == "weight"));
            if !plain_ce {
                return Err(format!(
                    "method.{name}.losses: regime \"teacher\" scores the task's shared reference \
                     teacher, always trained with plain cross-entropy (losses.ce = {{}}); to train \
                     a model with other terms use regime \"student\" (the student architecture) \
                     or a distillation regime"
                ));
            }
        }
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
            let schedule_name = loss_params.str_or("schedule", "constant")?;
            let schedule = WeightSchedule::parse(&schedule_name).ok_or_else(|| {
                loss_params.bad(
                    "schedule",
                    "one of \"constant\", \"linear_decay\", \"linear_warmup\", \"cosine_decay\", \"cosine_warmup\"",
                )
            })?;
            let loss = build_loss(loss_name, &mut loss_params).map_err(|e| {
                if e.starts_with("unknown loss") {
                    format!("{path}: {e}")
                } else {
                    e
                }
            })?;
            if loss.needs_teacher() && !regime.has_teacher() {
                return Err(format!(
                    "{path}: this loss needs a teacher, but regime {regime:?} trains no teacher \
                     (use regime = \"one_way\")"
                ));
            }
            terms.push(WeightedLoss {
                name: loss_name.clone(),
                weight,
                schedule,
                loss,
            });
        }
        params.finish()?;
        let mut training = table.clone();
        for key in ["description", "paper", "report"] {
            training.remove(key);
        }
        Ok(MethodSpec {
            name: name.to_string(),
            description,
            paper,
            regime,
            terms,
            signature: training.to_string(),
        })
    }

    /// True when any term needs 4-D feature maps from the models.
    pub fn needs_feature_maps(&self) -> bool {
        self.terms.iter().any(|t| t.loss.needs_feature_maps())
    }

    /// True when any term needs token representations from sequence models.
    pub fn needs_token_features(&self) -> bool {
        self.terms.iter().any(|t| t.loss.needs_token_features())
    }

    /// Whether every term applies to a regression task (one output, float targets); the
    /// error names the first term that does not and why (see [`Loss::regression`]).
    pub fn check_regression(&self) -> Result<(), String> {
        for term in &self.terms {
            term.loss
                .regression()
                .map_err(|why| format!("method.{}.losses.{}: {why}", self.name, term.name))?;
        }
        Ok(())
    }

    /// True when every term that needs a teacher reads only its logits (see
    /// [`crate::losses::Loss::teacher_logits_suffice`]).
    pub fn teacher_logits_suffice(&self) -> bool {
        self.terms
            .iter()
            .all(|t| !t.loss.needs_teacher() || t.loss.teacher_logits_suffice())
    }

    /// Lets every term create its own parameters under `aux` (see [`Loss::prepare`]).
    pub fn prepare(
        &self,
        aux: &tch::nn::Path,
        student: &crate::model::Forward,
        teachers: &[crate::model::Forward],
    ) -> Result<(), String> {
        for term in &self.terms {
            term.loss
                .prepare(&(aux / term.name.as_str()), student, teachers)
                .map_err(|e| format!("method.{}.losses.{}: {e}", self.name, term.name))?;
        }
        Ok(())
    }

    /// The weighted sum of the terms for one batch.
    pub fn total_loss(&self, inputs: &LossInputs) -> Tensor {
        let mut total: Option<Tensor> = None;
        for term in &self.terms {
            let weight = term.weight * term.schedule.factor(inputs.progress);
            let value = term.loss.compute(inputs) * weight;
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
    fn regression_keeps_the_output_matching_terms_and_names_the_others() {
        let verdicts: Vec<(String, bool)> = builtin_method_tables()
            .iter()
            .map(|(name, table)| {
                let spec = MethodSpec::from_table(name, table).unwrap();
                (name.clone(), spec.check_regression().is_ok())
            })
            .collect();
        for (name, ok) in &verdicts {
            let expected = !matches!(
                name.as_str(),
                "label_smooth"
                    | "dkd"
                    | "isls"
                    | "cont_kd"
                    | "multi_teacher"
                    | "multi_teacher_adaptive"
            );
            assert_eq!(*ok, expected, "{name}");
        }
        let spec = MethodSpec::from_table(
            "mine",
            &toml::from_str("regime = 'one_way'\nlosses.ce = {}\nlosses.cont_kd = {}").unwrap(),
        )
        .unwrap();
        let err = spec.check_regression().unwrap_err();
        assert!(err.starts_with("method.mine.losses.cont_kd: "), "{err}");
    }

    #[test]
    fn errors_name_the_key() {
        let bad =
            |src: &str| MethodSpec::from_table("m", &toml::from_str(src).unwrap()).unwrap_err();
        assert!(bad("regime = 'sideways'\nlosses.ce = {}").contains("method.m.regime"));
        // The shared teacher is always plain CE: other terms would be silently ignored.
        for losses in [
            "losses.ce = { smoothing = 0.1 }",
            "losses.ce = {}\nlosses.isls = {}",
        ] {
            let err = bad(&format!("regime = 'teacher'\n{losses}"));
            assert!(err.contains("plain cross-entropy"), "{err}");
        }
        assert!(MethodSpec::from_table(
            "m",
            &toml::from_str("regime = 'teacher'\nlosses.ce = { weight = 1.0 }").unwrap()
        )
        .is_ok());
        assert!(
            bad("regime = 'one_way'\nteachers = 0\nlosses.kd = {}").contains("method.m.teachers")
        );
        assert!(bad("regime = 'one_way'\ngenerations = 2\nlosses.kd = {}")
            .contains("method.m.generations: unknown key"));
        assert!(
            bad("regime = 'co_train'\nreport = 'both'\nlosses.kd = {}").contains("method.m.report")
        );
        assert!(bad("regime = 'student'\nlosses.ce = { schedule = 'up' }")
            .contains("method.m.losses.ce.schedule"));
        assert!(bad("domain = 'rl'\nregime = 'student'").contains("rl domain"));
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
            mask: None,
        };
        let t = Forward {
            logits: Tensor::from_slice(&[2.0f32, 0.5, 1.0]).view([1, 3]),
            features: vec![],
            mask: None,
        };
        let y = Tensor::from_slice(&[0i64]);
        let inputs = LossInputs {
            student: &s,
            teachers: std::slice::from_ref(&t),
            targets: &y,
            progress: 0.0,
        };
        let total = spec.total_loss(&inputs).double_value(&[]);
        let ce = 1.464_368_784_107_945; // -log softmax([1, 2, 0.5])[0]
        let kd = crate::losses::hinton_kd_loss(&s.logits, &t.logits, 2.0).double_value(&[]);
        assert!((total - (0.25 * ce + 0.5 * kd)).abs() < 1e-5, "{total}");
    }

    #[test]
    fn weight_schedules_scale_the_terms() {
        use WeightSchedule::*;
        for (schedule, at_0, at_half, at_1) in [
            (Constant, 1.0, 1.0, 1.0),
            (LinearDecay, 1.0, 0.5, 0.0),
            (LinearWarmup, 0.0, 0.5, 1.0),
            (CosineDecay, 1.0, 0.5, 0.0),
            (CosineWarmup, 0.0, 0.5, 1.0),
        ] {
            for (p, want) in [(0.0, at_0), (0.5, at_half), (1.0, at_1)] {
                assert!(
                    (schedule.factor(p) - want).abs() < 1e-12,
                    "{schedule:?} at {p}"
                );
            }
        }
        assert!((CosineDecay.factor(0.25) - 0.853_553_390_593_273_8).abs() < 1e-12);
        use crate::model::Forward;
        let table = toml::from_str(
            "regime = 'student'\nlosses.ce = { weight = 2.0, schedule = 'linear_decay' }",
        )
        .unwrap();
        let spec = MethodSpec::from_table("decay", &table).unwrap();
        let s = Forward {
            logits: Tensor::from_slice(&[1.0f32, 2.0, 0.5]).view([1, 3]),
            features: vec![],
            mask: None,
        };
        let y = Tensor::from_slice(&[0i64]);
        let at = |progress| {
            spec.total_loss(&LossInputs {
                student: &s,
                teachers: &[],
                targets: &y,
                progress,
            })
            .double_value(&[])
        };
        assert!((at(0.25) - 1.5 * 1.464_368_784_107_945).abs() < 1e-5);
        assert!(at(1.0).abs() < 1e-9);
    }
}
