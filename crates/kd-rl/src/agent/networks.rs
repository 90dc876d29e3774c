//! Actor and critic MLPs with seeded initialisation, and target-network updates.
//!
//! Weights are drawn from our own seeded stream, not libtorch's global generator, so runs
//! that train at the same time in one process (`--jobs N`) cannot shift each other's
//! initialisation. The distribution is PyTorch's `nn.Linear` default: weights and biases
//! uniform in `±1/sqrt(fan_in)`.
use rand::Rng;
use rand_pcg::Pcg64;
use tch::{nn, Device, Kind, Tensor};

use crate::space::BoxSpace;

/// A ReLU multilayer perceptron `input -> hidden... -> output` with a linear last layer.
#[derive(Debug)]
pub struct Mlp {
    layers: Vec<nn::Linear>,
}

impl Mlp {
    /// Layers `path/l0, path/l1, ...`, initialised from `rng` (or to zeros with `None`, for
    /// networks that are overwritten right away, such as targets).
    pub fn new(
        path: &nn::Path,
        input: i64,
        hidden: &[i64],
        output: i64,
        mut rng: Option<&mut Pcg64>,
    ) -> Mlp {
        let mut sizes = vec![input];
        sizes.extend_from_slice(hidden);
        sizes.push(output);
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let layer = path / format!("l{i}");
                let bound = 1.0 / (fan_in as f32).sqrt();
                let mut draw = |shape: &[i64]| {
                    let n: i64 = shape.iter().product();
                    let values: Vec<f32> = match rng.as_deref_mut() {
                        Some(rng) => (0..n)
                            .map(|_| (rng.random::<f32>() * 2.0 - 1.0) * bound)
                            .collect(),
                        None => vec![0.0; n as usize],
                    };
                    Tensor::from_slice(&values).view(shape)
                };
                let ws = layer.var_copy("weight", &draw(&[fan_out, fan_in]));
                let bs = layer.var_copy("bias", &draw(&[fan_out]));
                nn::Linear { ws, bs: Some(bs) }
            })
            .collect();
        Mlp { layers }
    }

    /// The output for a batch `[B, input]`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let last = self.layers.len() - 1;
        let mut h = x.shallow_clone();
        for (i, layer) in self.layers.iter().enumerate() {
            h = h.apply(layer);
            if i < last {
                h = h.relu();
            }
        }
        h
    }

    /// Number of weights and biases.
    pub fn num_params(&self) -> u64 {
        self.layers
            .iter()
            .map(|l| (l.ws.numel() + l.bs.as_ref().map_or(0, |b| b.numel())) as u64)
            .sum()
    }
}

/// A deterministic policy: `action = centre + half_range * tanh(mlp(obs))`, so its actions
/// always lie inside the action space's bounds.
#[derive(Debug)]
pub struct Actor {
    net: Mlp,
    centre: Tensor,
    half_range: Tensor,
}

impl Actor {
    /// An actor for `obs_dim` observations and the bounded `action_space`, on `device`.
    pub fn new(
        path: &nn::Path,
        obs_dim: usize,
        action_space: &BoxSpace,
        hidden: &[i64],
        rng: Option<&mut Pcg64>,
    ) -> Actor {
        let act_dim = action_space.dim() as i64;
        let net = Mlp::new(path, obs_dim as i64, hidden, act_dim, rng);
        let (centre, half_range) = action_affine(action_space, path.device());
        Actor {
            net,
            centre,
            half_range,
        }
    }

    /// Actions for a batch of observations `[B, obs_dim]` (differentiable).
    pub fn forward(&self, obs: &Tensor) -> Tensor {
        self.net.forward(obs).tanh() * &self.half_range + &self.centre
    }

    /// Half the width of the action box per dimension, `[act_dim]`: the unit in which
    /// noise and distillation distances are measured.
    pub fn half_range(&self) -> &Tensor {
        &self.half_range
    }

    /// Trainable parameters.
    pub fn num_params(&self) -> u64 {
        self.net.num_params()
    }
}

/// The centre and half-width of a bounded action box, as `[act_dim]` tensors.
fn action_affine(space: &BoxSpace, device: Device) -> (Tensor, Tensor) {
    let centre: Vec<f32> = space
        .low()
        .iter()
        .zip(space.high())
        .map(|(l, h)| (l + h) / 2.0)
        .collect();
    let half: Vec<f32> = space
        .low()
        .iter()
        .zip(space.high())
        .map(|(l, h)| (h - l) / 2.0)
        .collect();
    (
        Tensor::from_slice(&centre).to_device(device),
        Tensor::from_slice(&half).to_device(device),
    )
}

/// State-action value networks `Q(s, a)`: two of them for TD3's clipped double-Q, one for
/// DDPG.
#[derive(Debug)]
pub struct Critic {
    q1: Mlp,
    q2: Option<Mlp>,
}

impl Critic {
    /// `twin` critics `q1` (and `q2`) over `[obs, action]`.
    pub fn new(
        path: &nn::Path,
        obs_dim: usize,
        act_dim: usize,
        hidden: &[i64],
        twin: bool,
        mut rng: Option<&mut Pcg64>,
    ) -> Critic {
        let input = (obs_dim + act_dim) as i64;
        let q1 = Mlp::new(&(path / "q1"), input, hidden, 1, rng.as_deref_mut());
        let q2 = twin.then(|| Mlp::new(&(path / "q2"), input, hidden, 1, rng));
        Critic { q1, q2 }
    }

    /// `Q1(s, a)`, `[B, 1]`.
    pub fn q1(&self, obs: &Tensor, actions: &Tensor) -> Tensor {
        self.q1.forward(&Tensor::cat(&[obs, actions], 1))
    }

    /// `Q1(s, a)` and, for twin critics, `Q2(s, a)`.
    pub fn both(&self, obs: &Tensor, actions: &Tensor) -> (Tensor, Option<Tensor>) {
        let x = Tensor::cat(&[obs, actions], 1);
        (
            self.q1.forward(&x),
            self.q2.as_ref().map(|q2| q2.forward(&x)),
        )
    }
}

/// Polyak averaging: moves every variable of `target` towards the variable of the same
/// name in `source`, `target <- (1 - tau) * target + tau * source`.
///
/// # Panics
/// If a variable of `target` has no counterpart in `source`.
pub fn polyak_update(target: &nn::VarStore, source: &nn::VarStore, tau: f64) {
    let sources = source.variables();
    tch::no_grad(|| {
        for (name, mut t) in target.variables() {
            let s = sources
                .get(&name)
                .unwrap_or_else(|| panic!("polyak_update: source has no variable `{name}`"));
            let _ = t.lerp_(s, tau);
        }
    });
}

/// A frozen copy of `source`'s variables built by `build` in a fresh store on `device`.
pub fn target_copy<T>(
    source: &nn::VarStore,
    device: Device,
    build: impl FnOnce(&nn::Path) -> T,
) -> Result<(nn::VarStore, T), tch::TchError> {
    let mut vs = nn::VarStore::new(device);
    let net = build(&vs.root());
    vs.copy(source)?;
    vs.freeze();
    Ok((vs, net))
}

/// A `[rows, cols]` f32 tensor from row-major values, on `device`.
pub fn rows_tensor(values: &[f32], cols: usize, device: Device) -> Tensor {
    Tensor::from_slice(values)
        .view([(values.len() / cols.max(1)) as i64, cols as i64])
        .to_device(device)
}

/// The values of a tensor as a flat `Vec<f32>`.
pub fn to_vec_f32(t: &Tensor) -> Vec<f32> {
    let t = t
        .to_kind(Kind::Float)
        .to_device(Device::Cpu)
        .contiguous()
        .view(-1);
    Vec::<f32>::try_from(&t).expect("a float tensor converts to Vec<f32>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use kd_core::seeding::stream;

    #[test]
    fn polyak_moves_targets_by_tau() {
        let source = nn::VarStore::new(Device::Cpu);
        let _ = source
            .root()
            .var_copy("w", &Tensor::from_slice(&[1.0f32, 2.0]));
        let mut target = nn::VarStore::new(Device::Cpu);
        let _ = target
            .root()
            .var_copy("w", &Tensor::from_slice(&[0.0f32, 4.0]));
        target.freeze();
        polyak_update(&target, &source, 0.25);
        let w = to_vec_f32(&target.variables()["w"]);
        assert_eq!(w, vec![0.25, 3.5]);
        polyak_update(&target, &source, 1.0);
        assert_eq!(to_vec_f32(&target.variables()["w"]), vec![1.0, 2.0]);
    }

    #[test]
    fn init_is_seeded_and_in_pytorch_bounds() {
        let build = |seed| {
            let vs = nn::VarStore::new(Device::Cpu);
            let mlp = Mlp::new(&vs.root(), 4, &[8], 2, Some(&mut stream(seed, "init")));
            let w = to_vec_f32(&mlp.layers[0].ws);
            (vs, mlp, w)
        };
        let (_, mlp, a) = build(1);
        let (_, _, b) = build(1);
        let (_, _, c) = build(2);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|v| v.abs() <= 0.5), "bound 1/sqrt(4)");
        assert_eq!(mlp.num_params(), 4 * 8 + 8 + 8 * 2 + 2);
    }

    #[test]
    fn actor_actions_stay_in_bounds_and_targets_copy() {
        let space = BoxSpace::from_bounds(vec![-2.0], vec![2.0]);
        let vs = nn::VarStore::new(Device::Cpu);
        let actor = Actor::new(&vs.root(), 3, &space, &[16], Some(&mut stream(0, "a")));
        let obs = Tensor::from_slice(&[100.0f32, -50.0, 3.0, -100.0, 50.0, -3.0]).view([2, 3]);
        let a = to_vec_f32(&actor.forward(&obs));
        assert!(a.iter().all(|v| (-2.0..=2.0).contains(v)), "{a:?}");
        let (_tvs, target) =
            target_copy(&vs, Device::Cpu, |p| Actor::new(p, 3, &space, &[16], None)).unwrap();
        assert_eq!(to_vec_f32(&target.forward(&obs)), a);
    }
}
