//! The experience replay buffer of the off-policy learners.
use rand::Rng;
use rand_pcg::Pcg64;
use tch::{Device, Tensor};

use super::networks::rows_tensor;

/// A batch of transitions as `[B, ·]` tensors on the learner's device.
#[derive(Debug)]
pub struct Batch {
    /// Observations `[B, obs_dim]`.
    pub obs: Tensor,
    /// Actions taken `[B, act_dim]`.
    pub actions: Tensor,
    /// Rewards `[B, 1]`.
    pub rewards: Tensor,
    /// Observations after the step `[B, obs_dim]`.
    pub next_obs: Tensor,
    /// `0` where the step terminated the episode, else `1` `[B, 1]`: a truncated episode
    /// (time limit) still bootstraps from the next state.
    pub not_done: Tensor,
}

/// A ring buffer of the last `capacity` transitions, stored as flat `f32` rows on the CPU.
#[derive(Debug, Clone)]
pub struct ReplayBuffer {
    obs_dim: usize,
    act_dim: usize,
    capacity: usize,
    len: usize,
    next: usize,
    obs: Vec<f32>,
    actions: Vec<f32>,
    rewards: Vec<f32>,
    next_obs: Vec<f32>,
    not_done: Vec<f32>,
}

impl ReplayBuffer {
    /// An empty buffer for `capacity` transitions.
    ///
    /// # Panics
    /// If `capacity` is 0.
    pub fn new(obs_dim: usize, act_dim: usize, capacity: usize) -> Self {
        assert!(capacity > 0, "ReplayBuffer: capacity must be > 0");
        ReplayBuffer {
            obs_dim,
            act_dim,
            capacity,
            len: 0,
            next: 0,
            obs: vec![0.0; capacity * obs_dim],
            actions: vec![0.0; capacity * act_dim],
            rewards: vec![0.0; capacity],
            next_obs: vec![0.0; capacity * obs_dim],
            not_done: vec![0.0; capacity],
        }
    }

    /// Transitions held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer holds no transition.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Stores a transition, overwriting the oldest one when full.
    pub fn push(
        &mut self,
        obs: &[f32],
        action: &[f32],
        reward: f64,
        next_obs: &[f32],
        terminated: bool,
    ) {
        let (i, o, a) = (self.next, self.obs_dim, self.act_dim);
        self.obs[i * o..(i + 1) * o].copy_from_slice(obs);
        self.actions[i * a..(i + 1) * a].copy_from_slice(action);
        self.rewards[i] = reward as f32;
        self.next_obs[i * o..(i + 1) * o].copy_from_slice(next_obs);
        self.not_done[i] = if terminated { 0.0 } else { 1.0 };
        self.next = (i + 1) % self.capacity;
        self.len = (self.len + 1).min(self.capacity);
    }

    /// `n` transitions drawn uniformly with replacement by `rng`, on `device`.
    ///
    /// # Panics
    /// If the buffer is empty.
    pub fn sample(&self, n: usize, rng: &mut Pcg64, device: Device) -> Batch {
        assert!(self.len > 0, "ReplayBuffer::sample: the buffer is empty");
        let (o, a) = (self.obs_dim, self.act_dim);
        let mut obs = Vec::with_capacity(n * o);
        let mut actions = Vec::with_capacity(n * a);
        let mut rewards = Vec::with_capacity(n);
        let mut next_obs = Vec::with_capacity(n * o);
        let mut not_done = Vec::with_capacity(n);
        for _ in 0..n {
            let i = rng.random_range(0..self.len);
            obs.extend_from_slice(&self.obs[i * o..(i + 1) * o]);
            actions.extend_from_slice(&self.actions[i * a..(i + 1) * a]);
            rewards.push(self.rewards[i]);
            next_obs.extend_from_slice(&self.next_obs[i * o..(i + 1) * o]);
            not_done.push(self.not_done[i]);
        }
        Batch {
            obs: rows_tensor(&obs, o, device),
            actions: rows_tensor(&actions, a, device),
            rewards: rows_tensor(&rewards, 1, device),
            next_obs: rows_tensor(&next_obs, o, device),
            not_done: rows_tensor(&not_done, 1, device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::networks::to_vec_f32;
    use kd_core::seeding::stream;

    #[test]
    fn ring_overwrites_oldest_and_keeps_rows_together() {
        let mut buffer = ReplayBuffer::new(2, 1, 3);
        for t in 0..5 {
            let x = t as f32;
            buffer.push(&[x, -x], &[x / 10.0], f64::from(x), &[x + 1.0, 0.0], t == 4);
        }
        assert_eq!(buffer.len(), 3);
        let batch = buffer.sample(64, &mut stream(0, "replay"), Device::Cpu);
        let obs = to_vec_f32(&batch.obs);
        let actions = to_vec_f32(&batch.actions);
        let rewards = to_vec_f32(&batch.rewards);
        let not_done = to_vec_f32(&batch.not_done);
        for b in 0..64 {
            let x = obs[2 * b];
            assert!(
                (2.0..=4.0).contains(&x),
                "transitions 0 and 1 were overwritten"
            );
            assert_eq!(obs[2 * b + 1], -x);
            assert_eq!(actions[b], x / 10.0);
            assert_eq!(rewards[b], x);
            assert_eq!(not_done[b], if x == 4.0 { 0.0 } else { 1.0 });
        }
    }
}
