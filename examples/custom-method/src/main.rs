//! kdbench with one more method: logit matching (Ba & Caruana, "Do Deep Nets Really Need to
//! be Deep?", NeurIPS 2014, arXiv 1312.6184): the student regresses the teacher's logits with
//! a squared error instead of matching softened probabilities.
//!
//! Three steps: implement `kd_core::losses::Loss`, register it under a name, declare a method
//! that uses it, then hand the registry to `kdbench::run_cli`. Everything else (suites, seeds,
//! statistics, leaderboards, plots, `--set` overrides) comes with the CLI.
use kd_core::losses::{register_loss, Loss, LossInputs};
use kd_core::params::Params;
use tch::{Kind, Tensor};

/// Mean over the batch and classes of `(z_student - z_teacher)^2`, optionally after centring
/// each logit vector (logits are only defined up to a constant per example).
#[derive(Debug)]
struct LogitMatching {
    centre: bool,
}

impl LogitMatching {
    fn from_params(params: &mut Params) -> Result<Box<dyn Loss>, String> {
        let centre = params.bool_or("centre", true)?;
        Ok(Box::new(LogitMatching { centre }))
    }
}

impl Loss for LogitMatching {
    fn needs_teacher(&self) -> bool {
        true
    }

    fn compute(&self, inputs: &LossInputs) -> Tensor {
        let teacher = inputs
            .teacher()
            .expect("the method's regime provides a teacher");
        let centred = |z: &Tensor| {
            if self.centre {
                z - z.mean_dim(-1, true, Kind::Float)
            } else {
                z.shallow_clone()
            }
        };
        (centred(&inputs.student.logits) - centred(&teacher.logits))
            .pow_tensor_scalar(2)
            .mean(Kind::Float)
    }
}

const METHOD: &str = r#"
description = "logit matching: 0.1 CE + 0.9 x squared error between centred student and teacher logits"
paper = "Ba & Caruana 2014, Do Deep Nets Really Need to be Deep?, NeurIPS, arXiv 1312.6184"
regime = "one_way"
losses.ce = { weight = 0.1 }
losses.logit_mse = { weight = 0.9, centre = true }
"#;

fn main() -> std::process::ExitCode {
    register_loss(
        "logit_mse",
        LogitMatching::from_params,
        "squared error between (centred) student and teacher logits",
    );
    let mut registry = kdbench::registry();
    registry
        .add_method(
            "logit_matching",
            toml::from_str(METHOD).expect("valid TOML"),
        )
        .expect("a valid method");
    kdbench::run_cli(registry)
}
