//! The order in which parallel jobs take runs: matrix order, except that a run which would
//! only wait for a training another job has under way (a shared teacher) goes after runs
//! that can start at once. No job idles while a run remains.
use std::collections::{BTreeMap, BTreeSet};

/// Runs not yet started and the shared trainings of those under way.
#[derive(Debug)]
pub struct RunQueue {
    shares: Vec<Vec<String>>,
    taken: Vec<bool>,
    running: BTreeMap<String, usize>,
    done: BTreeSet<String>,
}

impl RunQueue {
    /// A queue of runs in matrix order; `shares[i]` names the trainings run `i` shares.
    pub fn new(shares: Vec<Vec<String>>) -> Self {
        RunQueue {
            taken: vec![false; shares.len()],
            shares,
            running: BTreeMap::new(),
            done: BTreeSet::new(),
        }
    }

    /// The next run to start: the first whose shared trainings are finished or not under
    /// way, else the first left (it will wait); `None` when every run has been taken.
    pub fn take(&mut self) -> Option<usize> {
        let free = |i: usize| {
            self.shares[i]
                .iter()
                .all(|s| self.done.contains(s) || !self.running.contains_key(s))
        };
        let left = || (0..self.taken.len()).filter(|&i| !self.taken[i]);
        let i = left().find(|&i| free(i)).or_else(|| left().next())?;
        self.taken[i] = true;
        for s in &self.shares[i] {
            *self.running.entry(s.clone()).or_default() += 1;
        }
        Some(i)
    }

    /// Marks run `i` finished: the trainings it shares are done (stored for reuse).
    pub fn finish(&mut self, i: usize) {
        for s in &self.shares[i] {
            if let Some(n) = self.running.get_mut(s) {
                *n -= 1;
                if *n == 0 {
                    self.running.remove(s);
                }
            }
            self.done.insert(s.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(names: &[&[&str]]) -> Vec<Vec<String>> {
        names
            .iter()
            .map(|n| n.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn runs_waiting_for_a_training_under_way_go_after_those_that_can_start() {
        // hinton-mnist: teacher 0-1, student 0-1, kd 0-1, one teacher shared by all seeds.
        let t: &[&str] = &["teacher"];
        let mut q = RunQueue::new(shares(&[t, t, &[], &[], t, t]));
        assert_eq!(q.take(), Some(0)); // trains the teacher
        assert_eq!(q.take(), Some(2)); // the students need no teacher
        q.finish(2);
        assert_eq!(q.take(), Some(3));
        q.finish(3);
        // Only runs waiting for the teacher are left: the next one waits rather than idle.
        assert_eq!(q.take(), Some(1));
        q.finish(0);
        q.finish(1);
        // The teacher is stored: the rest start in order.
        assert_eq!(q.take(), Some(4));
        assert_eq!(q.take(), Some(5));
        assert_eq!(q.take(), None);
    }

    #[test]
    fn without_shared_trainings_the_order_is_the_matrix_order() {
        let mut q = RunQueue::new(shares(&[&["a"], &["b"], &[], &["a"]]));
        assert_eq!(q.take(), Some(0));
        assert_eq!(q.take(), Some(1));
        assert_eq!(q.take(), Some(2));
        q.finish(0);
        assert_eq!(q.take(), Some(3));
        assert_eq!(q.take(), None);
    }
}
