//! Contextual knowledge distillation (Park, Kim & Yang, "Distilling Linguistic Context for
//! Language Model Compression", EMNLP 2021, arXiv 2109.08359).
//!
//! Two kinds of relation among token representations are matched between teacher and
//! student, so the two models may differ in width and depth:
//! - word relation (WR): within one layer, the pair-wise distances between the tokens of a
//!   sequence and the triple-wise angles among nearby tokens;
//! - layer-transforming relation (LTR): for one token, the pair-wise distances between its
//!   representations in different layers and the triple-wise angles among them.
//!
//! Distances are divided by their mean over the sequence (WR) or the token (LTR), as in
//! relational KD, so only their shape is transferred; an angle is the cosine at the middle
//! point, `cos(r_i - r_j, r_k - r_j)`. Student and teacher relations are compared with the
//! Huber (smooth L1) loss, averaged over the valid pairs or triples; padding never counts.
//! The models' features must be token representations, `batch x tokens x width`, shallow to
//! deep (the embedding output first), with the token mask in [`Forward::mask`]; the layers
//! paired are spread evenly over the shallower model's depth.
use super::{Loss, LossInputs};
use crate::model::Forward;
use crate::params::Params;
use tch::{Kind, Reduction, Tensor};

const EPS: f64 = 1e-12;

/// Evenly spread indices of `count` layers out of `available` (both ends included).
fn spread(available: usize, count: usize) -> Vec<usize> {
    if count == 0 || available == 0 {
        return vec![];
    }
    if count == 1 {
        return vec![available - 1];
    }
    (0..count)
        .map(|i| ((i * (available - 1)) as f64 / (count - 1) as f64).round() as usize)
        .collect()
}

/// The paired layers of student and teacher: as many as the shallower model has.
pub fn paired_layers<'a>(
    student: &'a Forward,
    teacher: &'a Forward,
) -> Vec<(&'a Tensor, &'a Tensor)> {
    let (ns, nt) = (student.features.len(), teacher.features.len());
    let k = ns.min(nt);
    spread(ns, k)
        .into_iter()
        .zip(spread(nt, k))
        .map(|(i, j)| (&student.features[i], &teacher.features[j]))
        .collect()
}

/// Euclidean distances between the rows of the last-but-one dimension: `[.., n, d] -> [.., n, n]`.
fn distances(x: &Tensor) -> Tensor {
    let squares = x
        .pow_tensor_scalar(2)
        .sum_dim_intlist(-1, true, Kind::Float);
    let gram = x.matmul(&x.transpose(-1, -2));
    (&squares + squares.transpose(-1, -2) - gram * 2.0)
        .clamp_min(EPS)
        .sqrt()
}

/// Distances divided by their mean over the valid entries of the last two dimensions.
fn normalised(d: &Tensor, valid: &Tensor) -> Tensor {
    let total = (d * valid).sum_dim_intlist([-1, -2].as_slice(), true, Kind::Float);
    let count = valid.sum_dim_intlist([-1, -2].as_slice(), true, Kind::Float);
    d / (total / count.clamp_min(1.0)).clamp_min(1e-6)
}

/// Huber loss between `s` and `t` averaged over the entries where `valid` is 1.
fn masked_huber(s: &Tensor, t: &Tensor, valid: &Tensor) -> Tensor {
    let loss = s.smooth_l1_loss(&t.detach(), Reduction::None, 1.0);
    (loss * valid).sum(Kind::Float) / valid.sum(Kind::Float).clamp_min(1.0)
}

/// Cosines of the angles at point `j` between points `i` and `k`, for differences `u = r_i - r_j`
/// laid out as `[.., j, i, d]`: returns `[.., j, i, k]`.
fn angles(differences: &Tensor) -> Tensor {
    let norm = differences
        .pow_tensor_scalar(2)
        .sum_dim_intlist(-1, true, Kind::Float)
        .clamp_min(EPS)
        .sqrt();
    let unit = differences / norm;
    unit.matmul(&unit.transpose(-1, -2))
}

/// The token mask of a forward pass as floats, `batch x tokens` (all ones when absent).
fn token_mask(forward: &Forward, hidden: &Tensor) -> Tensor {
    match &forward.mask {
        Some(mask) => mask.to_kind(Kind::Float),
        None => {
            let size = hidden.size();
            Tensor::ones([size[0], size[1]], (Kind::Float, hidden.device()))
        }
    }
}

/// `n x n` ones with a zero diagonal: the pairs of two different items.
fn off_diagonal(n: i64, device: tch::Device) -> Tensor {
    Tensor::ones([n, n], (Kind::Float, device)) - Tensor::eye(n, (Kind::Float, device))
}

/// Huber loss between the student's and the teacher's mean-normalised distances over the
/// rows of the last-but-one dimension, on the pairs where `valid` is 1.
fn distance_relation_loss(s: &Tensor, t: &Tensor, valid: &Tensor) -> Tensor {
    let ds = normalised(&distances(s), valid);
    let dt = normalised(&distances(t), valid);
    masked_huber(&ds, &dt, valid)
}

/// Word-relation distance term for one layer: `[b, n, d]` student and teacher states.
pub fn word_distance_loss(s: &Tensor, t: &Tensor, mask: &Tensor) -> Tensor {
    let n = mask.size()[1];
    let valid = mask.unsqueeze(2) * mask.unsqueeze(1) * off_diagonal(n, mask.device());
    distance_relation_loss(s, t, &valid)
}

/// Word-relation angle term for one layer: angles at each token between its neighbours
/// within `radius` positions on either side.
pub fn word_angle_loss(s: &Tensor, t: &Tensor, mask: &Tensor, radius: i64) -> Tensor {
    let (b, n) = (mask.size()[0], mask.size()[1]);
    let device = mask.device();
    let offsets: Vec<i64> = (-radius..=radius).filter(|&o| o != 0).collect();
    let w = offsets.len() as i64;
    // Neighbour positions [n, w], clamped into range; out-of-range ones are masked below.
    let positions = Tensor::arange(n, (Kind::Int64, device)).unsqueeze(1)
        + Tensor::from_slice(&offsets).to_device(device).unsqueeze(0);
    let in_range = positions
        .ge(0)
        .logical_and(&positions.lt(n))
        .to_kind(Kind::Float);
    let index = positions.clamp(0, n - 1);
    let flat = index.flatten(0, -1);
    let neighbour_mask = mask.index_select(1, &flat).view([b, n, w]) * in_range.unsqueeze(0);
    // [b, j, i]: centre j and neighbour i both real tokens.
    let pair = neighbour_mask * mask.unsqueeze(2);
    let valid = pair.unsqueeze(3) * pair.unsqueeze(2) * off_diagonal(w, device);
    let relation = |h: &Tensor| {
        let d = h.size()[2];
        let neighbours = h.index_select(1, &flat).view([b, n, w, d]);
        angles(&(neighbours - h.unsqueeze(2)))
    };
    masked_huber(&relation(s), &relation(t), &valid)
}

/// Layer-transforming relation terms: `s` and `t` are `[b, n, layers, d]` stacks of each
/// token's states; returns the (distance, angle) losses.
pub fn layer_relation_losses(s: &Tensor, t: &Tensor, mask: &Tensor) -> (Tensor, Tensor) {
    let distinct_pair = off_diagonal(s.size()[2], mask.device());
    let token = mask.unsqueeze(2).unsqueeze(3);
    let distance = distance_relation_loss(s, t, &(&token * &distinct_pair));
    // Angles at layer j between layers i and k, all distinct: [b, n, j, i, k].
    let relation = |h: &Tensor| angles(&(h.unsqueeze(2) - h.unsqueeze(3)));
    let distinct =
        distinct_pair.unsqueeze(2) * distinct_pair.unsqueeze(1) * distinct_pair.unsqueeze(0);
    let valid_triples = token.unsqueeze(4) * distinct;
    let angle = masked_huber(&relation(s), &relation(t), &valid_triples);
    (distance, angle)
}

/// Reads the `pair` and `triple` weights shared by both CKD terms.
fn read_weights(params: &mut Params) -> Result<(f64, f64), String> {
    let pair = params.f64_or("pair", 1.0)?;
    let triple = params.f64_or("triple", 1.0)?;
    for (key, value) in [("pair", pair), ("triple", triple)] {
        if value < 0.0 || !value.is_finite() {
            return Err(params.bad(key, "a non-negative number"));
        }
    }
    Ok((pair, triple))
}

/// CKD's word-relation term: `pair * distances + triple * angles`, summed over paired layers.
#[derive(Debug)]
pub struct WordRelation {
    /// Weight of the pair-wise distance relation.
    pub pair: f64,
    /// Weight of the triple-wise angle relation.
    pub triple: f64,
    /// Neighbours on each side of a token that form its angles (the paper's local window).
    pub radius: i64,
}

impl WordRelation {
    /// Reads `pair`, `triple` (default 1.0 each) and `window` (odd width of the local window
    /// of angles, default 5).
    pub fn from_params(params: &mut Params) -> Result<Box<dyn Loss>, String> {
        let (pair, triple) = read_weights(params)?;
        let window = params.usize_or("window", 5)?;
        if window < 3 || window % 2 == 0 {
            return Err(params.bad("window", "an odd width of at least 3"));
        }
        Ok(Box::new(WordRelation {
            pair,
            triple,
            radius: (window / 2) as i64,
        }))
    }
}

impl Loss for WordRelation {
    fn regression(&self) -> Result<(), String> {
        Ok(())
    }

    fn needs_teacher(&self) -> bool {
        true
    }

    fn needs_token_features(&self) -> bool {
        true
    }

    fn compute(&self, inputs: &LossInputs) -> Tensor {
        let teacher = inputs.expect_teacher("ckd_wr");
        let layers = paired_layers(inputs.student, teacher);
        if layers.is_empty() {
            return inputs.student.logits.sum(Kind::Float) * 0.0;
        }
        let mask = token_mask(inputs.student, layers[0].0);
        let mut total = Tensor::zeros([], (Kind::Float, mask.device()));
        for (s, t) in layers {
            if self.pair > 0.0 {
                total += word_distance_loss(s, t, &mask) * self.pair;
            }
            if self.triple > 0.0 {
                total += word_angle_loss(s, t, &mask, self.radius) * self.triple;
            }
        }
        total
    }
}

/// CKD's layer-transforming-relation term: `pair * distances + triple * angles`.
#[derive(Debug)]
pub struct LayerTransformingRelation {
    /// Weight of the pair-wise distance relation.
    pub pair: f64,
    /// Weight of the triple-wise angle relation.
    pub triple: f64,
}

impl LayerTransformingRelation {
    /// Reads `pair` and `triple` (default 1.0 each).
    pub fn from_params(params: &mut Params) -> Result<Box<dyn Loss>, String> {
        let (pair, triple) = read_weights(params)?;
        Ok(Box::new(LayerTransformingRelation { pair, triple }))
    }
}

impl Loss for LayerTransformingRelation {
    fn regression(&self) -> Result<(), String> {
        Ok(())
    }

    fn needs_teacher(&self) -> bool {
        true
    }

    fn needs_token_features(&self) -> bool {
        true
    }

    fn compute(&self, inputs: &LossInputs) -> Tensor {
        let teacher = inputs.expect_teacher("ckd_ltr");
        let layers = paired_layers(inputs.student, teacher);
        if layers.len() < 2 {
            return inputs.student.logits.sum(Kind::Float) * 0.0;
        }
        let mask = token_mask(inputs.student, layers[0].0);
        let stack = |pick: fn(&(&Tensor, &Tensor)) -> Tensor| {
            Tensor::stack(&layers.iter().map(pick).collect::<Vec<_>>(), 2)
        };
        let s = stack(|(s, _)| s.shallow_clone());
        let t = stack(|(_, t)| t.shallow_clone());
        let (distance, angle) = layer_relation_losses(&s, &t, &mask);
        distance * self.pair + angle * self.triple
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    fn states(seed: i64, shape: [i64; 3]) -> Tensor {
        tch::manual_seed(seed);
        Tensor::randn(shape, (Kind::Float, Device::Cpu))
    }

    fn value(t: Tensor) -> f64 {
        t.double_value(&[])
    }

    #[test]
    fn spread_takes_both_ends_and_spaces_the_rest() {
        assert_eq!(spread(7, 3), [0, 3, 6]);
        assert_eq!(spread(3, 3), [0, 1, 2]);
        assert_eq!(spread(5, 2), [0, 4]);
    }

    #[test]
    fn relations_ignore_width_scale_rotation_and_translation() {
        // A student that is the teacher rotated into a wider space, scaled and shifted has
        // the same relations: every term is zero.
        let t = states(0, [2, 6, 4]);
        tch::manual_seed(1);
        let (q, _) = Tensor::linalg_qr(
            &Tensor::randn([8, 8], (Kind::Float, Device::Cpu)),
            "reduced",
        );
        let s = t.matmul(&q.narrow(0, 0, 4)) * 3.0 + 0.5;
        let mask = Tensor::ones([2, 6], (Kind::Float, Device::Cpu));
        assert!(value(word_distance_loss(&s, &t, &mask)) < 1e-6);
        assert!(value(word_angle_loss(&s, &t, &mask, 2)) < 1e-6);
        // Across layers too: the student's layers are the teacher's under the same map.
        let map = |x: &Tensor| x.matmul(&q.narrow(0, 0, 4)) * 3.0 + 0.5;
        let layers = [t.shallow_clone(), &t * 2.0 + 1.0, t.tanh()];
        let t_stack = Tensor::stack(&layers, 2);
        let s_stack = Tensor::stack(&layers.iter().map(map).collect::<Vec<_>>(), 2);
        let (d, a) = layer_relation_losses(&s_stack, &t_stack, &mask);
        assert!(value(d) < 1e-6 && value(a) < 1e-6);
        // A student whose layers relate differently is penalised.
        let other = Tensor::stack(&[map(&t), map(&t.tanh()), map(&(&t * 2.0 + 1.0))], 2);
        let (d, a) = layer_relation_losses(&other, &t_stack, &mask);
        assert!(value(d) > 1e-3 && value(a) > 1e-3);
    }

    #[test]
    fn word_distances_match_a_hand_computed_case() {
        // Teacher tokens at 0, 1, 3 on a line: distances 1, 3, 2 (mean 2) normalise to
        // 0.5, 1.5, 1. Student tokens at 0, 1, 2: 1, 2, 1 (mean 4/3) give 0.75, 1.5, 0.75.
        // Huber (beta 1) of the differences 0.25, 0, 0.25: 0.03125 each, over the 6 ordered
        // pairs: (4 * 0.03125) / 6.
        let t = Tensor::from_slice(&[0.0f32, 1.0, 3.0]).view([1, 3, 1]);
        let s = Tensor::from_slice(&[0.0f32, 1.0, 2.0]).view([1, 3, 1]);
        let mask = Tensor::ones([1, 3], (Kind::Float, Device::Cpu));
        let expected = 4.0 * 0.5 * 0.25f64.powi(2) / 6.0;
        assert!((value(word_distance_loss(&s, &t, &mask)) - expected).abs() < 1e-6);
        // Padding a fourth token changes nothing once it is masked.
        let t4 = Tensor::from_slice(&[0.0f32, 1.0, 3.0, 40.0]).view([1, 4, 1]);
        let s4 = Tensor::from_slice(&[0.0f32, 1.0, 2.0, -7.0]).view([1, 4, 1]);
        let mask4 = Tensor::from_slice(&[1.0f32, 1.0, 1.0, 0.0]).view([1, 4]);
        assert!((value(word_distance_loss(&s4, &t4, &mask4)) - expected).abs() < 1e-6);
        let a3 = value(word_angle_loss(&s, &t, &mask, 1));
        let a4 = value(word_angle_loss(&s4, &t4, &mask4, 1));
        assert!((a3 - a4).abs() < 1e-6, "{a3} vs {a4}");
    }

    #[test]
    fn angles_are_the_cosines_at_the_middle_point() {
        // At the middle of three collinear points the angle is 180 degrees (cosine -1); at
        // the middle of a right angle it is 0.
        let line = Tensor::from_slice(&[0.0f32, 0.0, 1.0, 0.0, 2.0, 0.0]).view([1, 3, 2]);
        let corner = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 0.0, 0.0, 1.0]).view([1, 3, 2]);
        let mask = Tensor::ones([1, 3], (Kind::Float, Device::Cpu));
        // Only the middle token has both neighbours within radius 1; its single ordered
        // pair of distinct neighbours appears twice (i, k) and (k, i); the end tokens have
        // one neighbour each and no triple. Huber(|-1 - 0|) = 0.5.
        let loss = value(word_angle_loss(&line, &corner, &mask, 1));
        assert!((loss - 0.5).abs() < 1e-6, "{loss}");
    }

    #[test]
    fn the_student_gets_gradients_and_bad_parameters_are_named() {
        let t = states(2, [2, 5, 3]);
        let s = states(3, [2, 5, 6]).set_requires_grad(true);
        let mask =
            Tensor::from_slice(&[1.0f32, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]).view([2, 5]);
        let loss = word_distance_loss(&s, &t, &mask) + word_angle_loss(&s, &t, &mask, 2);
        loss.backward();
        let grad = s.grad();
        assert!(grad.abs().sum(Kind::Float).double_value(&[]) > 0.0);
        assert!(bool::try_from(grad.isfinite().all()).unwrap());
        // Padded tokens get no gradient.
        let padded = grad.narrow(0, 1, 1).narrow(1, 3, 2);
        assert_eq!(padded.abs().sum(Kind::Float).double_value(&[]), 0.0);
        let err = WordRelation::from_params(&mut Params::from_pairs("ckd_wr", &[("window", 4.0)]))
            .unwrap_err();
        assert!(err.contains("window"), "{err}");
        let err = LayerTransformingRelation::from_params(&mut Params::from_pairs(
            "ckd_ltr",
            &[("pair", -1.0)],
        ))
        .unwrap_err();
        assert!(err.contains("pair"), "{err}");
    }
}
