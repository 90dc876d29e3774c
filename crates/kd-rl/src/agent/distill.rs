//! Policy distillation terms of the actor loss: dual policy distillation (DPD) and its
//! baselines.
//!
//! A learner with actor `π`, critic `Q1` and a *guide* policy `g` (its peer in DPD, a
//! pre-trained teacher in classic policy distillation) minimises, on a replay batch of
//! states `s_1..s_B`,
//!
//! ```text
//! L_actor = -mean_b Q1(s_b, π(s_b))
//!           + w * mean_b |Q1(s_b, π(s_b))| * mean_b [ m_b * Σ_d ((π(s_b)_d - g(s_b)_d) / h_d)² ]
//! ```
//!
//! - `w` is the task's `distill_weight`; `h_d` is half the width of the action box in
//!   dimension `d`, so distances do not depend on the action units.
//! - `mean_b |Q1|` is detached (a constant for the gradient). It rescales the distillation
//!   term to the size of the Q term, as TD3+BC does (Fujimoto & Gu 2021, with their
//!   `alpha = 1 / w`), so one weight fits tasks whose returns differ by orders of magnitude.
//! - `m_b` is the filter. Disadvantageous distillation (DPD, Lai et al. 2020,
//!   arXiv 2006.04061): `m_b = 1` where the learner's *own* critic values the guide's action
//!   above its own, `Q1(s_b, g(s_b)) > Q1(s_b, π(s_b))`, else `0`; the learner imitates its
//!   peer only on the states where it is at a disadvantage. Without the filter (`dpd_no_filter`,
//!   `teacher_distill`), `m_b = 1` everywhere. The mask is a constant for the gradient, and
//!   the mean runs over the whole batch, masked states included.
use tch::{Kind, Tensor};

/// On which states a learner imitates its guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistillFilter {
    /// Every sampled state.
    All,
    /// Only states where the learner's critic prefers the guide's action (DPD).
    Disadvantage,
}

/// What a learner imitates on one actor update: the guide's actions on the batch states.
#[derive(Debug)]
pub struct Guide {
    /// The guide's actions `[B, act_dim]` on the batch's observations (no gradient).
    pub actions: Tensor,
    /// Which states count.
    pub filter: DistillFilter,
    /// `w` in the loss.
    pub weight: f64,
}

/// The DPD filter `m_b = 1[q_guide_b > q_own_b]` as a float `[B, 1]` tensor, from the
/// learner's own critic values of its action (`q_own`) and of the guide's (`q_guide`).
pub fn disadvantage_mask(q_own: &Tensor, q_guide: &Tensor) -> Tensor {
    q_guide.gt_tensor(q_own).to_kind(Kind::Float)
}

/// The unweighted distillation distance `mean_b [ m_b * Σ_d ((a_bd - g_bd) / h_d)² ]`.
pub fn distill_distance(
    actions: &Tensor,
    guide_actions: &Tensor,
    mask: &Tensor,
    half_range: &Tensor,
) -> Tensor {
    let diff = (actions - guide_actions) / half_range;
    let per_state = diff.square().sum_dim_intlist(1, true, Kind::Float);
    (per_state * mask).mean(Kind::Float)
}

/// The actor loss above for actions `actions = π(s)` with values `q = Q1(s, π(s))`; with a
/// guide, `q_guide = Q1(s, g(s))` feeds the filter. Returns the loss and the fraction of
/// states the learner imitated on (`None` without a guide).
pub fn actor_loss(
    q: &Tensor,
    actions: &Tensor,
    guide: Option<(&Guide, &Tensor)>,
    half_range: &Tensor,
) -> (Tensor, Option<f64>) {
    let rl = -q.mean(Kind::Float);
    let Some((guide, q_guide)) = guide else {
        return (rl, None);
    };
    let mask = match guide.filter {
        DistillFilter::All => q.ones_like().detach(),
        DistillFilter::Disadvantage => disadvantage_mask(&q.detach(), &q_guide.detach()),
    };
    let fraction = mask.mean(Kind::Float).double_value(&[]);
    let scale = q.detach().abs().mean(Kind::Float);
    let distance = distill_distance(actions, &guide.actions, &mask, half_range);
    (rl + distance * scale * guide.weight, Some(fraction))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(values: &[f32]) -> Tensor {
        Tensor::from_slice(values).view([-1, 1])
    }

    #[test]
    fn mask_keeps_states_where_the_guide_is_valued_higher() {
        let q_own = t(&[1.0, 2.0, -3.0, 0.5]);
        let q_guide = t(&[2.0, 2.0, -4.0, 0.6]);
        let mask = disadvantage_mask(&q_own, &q_guide);
        assert_eq!(
            Vec::<f32>::try_from(mask.view(-1)).unwrap(),
            [1.0, 0.0, 0.0, 1.0]
        );
    }

    #[test]
    fn distance_is_masked_scaled_and_averaged_over_the_batch() {
        // Two 2-D actions, half ranges 2 and 1.
        let a = Tensor::from_slice(&[0.0f32, 0.0, 1.0, 1.0]).view([2, 2]);
        let g = Tensor::from_slice(&[2.0f32, 1.0, 1.0, 0.0]).view([2, 2]);
        let h = Tensor::from_slice(&[2.0f32, 1.0]);
        let all = distill_distance(&a, &g, &t(&[1.0, 1.0]), &h).double_value(&[]);
        // ((2/2)^2 + (1/1)^2 + 0 + (1/1)^2) / 2 states.
        assert!((all - 1.5).abs() < 1e-6, "{all}");
        let first = distill_distance(&a, &g, &t(&[1.0, 0.0]), &h).double_value(&[]);
        assert!((first - 1.0).abs() < 1e-6, "{first}");
    }

    #[test]
    fn actor_loss_adds_the_q_scaled_term() {
        let q = t(&[-2.0, -4.0]);
        let a = t(&[0.0, 0.0]);
        let h = Tensor::from_slice(&[1.0f32]);
        let (plain, none) = actor_loss(&q, &a, None, &h);
        assert_eq!(plain.double_value(&[]), 3.0);
        assert_eq!(none, None);
        let guide = Guide {
            actions: t(&[1.0, 1.0]),
            filter: DistillFilter::Disadvantage,
            weight: 0.5,
        };
        // The own critic prefers the guide's action on the first state only.
        let q_guide = t(&[-1.0, -5.0]);
        let (loss, fraction) = actor_loss(&q, &a, Some((&guide, &q_guide)), &h);
        // 3 + 0.5 * mean|Q| (3) * (1 + 0) / 2.
        assert!((loss.double_value(&[]) - 3.75).abs() < 1e-6);
        assert_eq!(fraction, Some(0.5));
        let all = Guide {
            filter: DistillFilter::All,
            ..guide
        };
        let (loss, fraction) = actor_loss(&q, &a, Some((&all, &q_guide)), &h);
        assert!((loss.double_value(&[]) - 4.5).abs() < 1e-6);
        assert_eq!(fraction, Some(1.0));
    }
}
