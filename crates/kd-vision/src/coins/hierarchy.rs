//! The class hierarchy of a coin collection: emperors, the coin types struck under each, and
//! the full labels (emperor, type) the classifiers predict, numbered emperor by emperor.
use tch::Tensor;

/// Emperors, type names and the full labels, grouped by emperor.
#[derive(Debug, Clone, PartialEq)]
pub struct Hierarchy {
    /// Emperor names, in label order.
    pub emperors: Vec<String>,
    /// Type names (a name shared by several emperors is one type).
    pub types: Vec<String>,
    /// Full labels as (emperor, type) indices, sorted by emperor: the labels of emperor `e`
    /// are one contiguous range ([`Hierarchy::group`]).
    pub classes: Vec<(usize, usize)>,
}

impl Hierarchy {
    /// The hierarchy of `pairs` (emperor name, type name); labels are numbered in sorted
    /// order of the names.
    pub fn from_names(pairs: &[(String, String)]) -> Hierarchy {
        let mut emperors: Vec<String> = pairs.iter().map(|p| p.0.clone()).collect();
        let mut types: Vec<String> = pairs.iter().map(|p| p.1.clone()).collect();
        emperors.sort();
        emperors.dedup();
        types.sort();
        types.dedup();
        let index = |list: &[String], name: &str| list.iter().position(|n| n == name).unwrap();
        let mut classes: Vec<(usize, usize)> = pairs
            .iter()
            .map(|(e, t)| (index(&emperors, e), index(&types, t)))
            .collect();
        classes.sort();
        classes.dedup();
        Hierarchy {
            emperors,
            types,
            classes,
        }
    }

    /// Number of full labels.
    pub fn num_classes(&self) -> usize {
        self.classes.len()
    }

    /// The full label of (emperor, type), if the collection has it.
    pub fn class_of(&self, emperor: usize, coin_type: usize) -> Option<usize> {
        self.classes.iter().position(|&c| c == (emperor, coin_type))
    }

    /// A readable name of a full label, `emperor/type`.
    pub fn class_name(&self, class: usize) -> String {
        let (e, t) = self.classes[class];
        format!("{}/{}", self.emperors[e], self.types[t])
    }

    /// The range of full labels of emperor `e`.
    pub fn group(&self, emperor: usize) -> std::ops::Range<usize> {
        let start = self
            .classes
            .iter()
            .position(|c| c.0 == emperor)
            .unwrap_or(0);
        let len = self.classes.iter().filter(|c| c.0 == emperor).count();
        start..start + len
    }

    /// Joint log-probabilities of the full labels from an emperor head (`batch x emperors`)
    /// and a type-given-emperor head (`batch x classes`, softmaxed within each emperor's
    /// group): log p(e) + log p(t | e). Every joint argmax is hierarchy-consistent.
    pub fn joint_log_probs(&self, emperor_logits: &Tensor, type_logits: &Tensor) -> Tensor {
        let log_e = emperor_logits.log_softmax(-1, tch::Kind::Float);
        let parts: Vec<Tensor> = (0..self.emperors.len())
            .map(|e| {
                let g = self.group(e);
                let within = type_logits
                    .narrow(1, g.start as i64, g.len() as i64)
                    .log_softmax(-1, tch::Kind::Float);
                within + log_e.narrow(1, e as i64, 1)
            })
            .collect();
        Tensor::cat(&parts, 1)
    }

    /// Top-down decoding of joint scores (`batch x classes`): the emperor with the largest
    /// total probability, then the most probable type of that emperor.
    pub fn decode_top_down(&self, joint_logits: &Tensor) -> Vec<usize> {
        let p = joint_logits.softmax(-1, tch::Kind::Float);
        let rows = p.size()[0];
        let p: Vec<f32> = Vec::try_from(p.flatten(0, -1)).expect("float scores");
        let k = self.num_classes();
        (0..rows as usize)
            .map(|r| {
                let row = &p[r * k..(r + 1) * k];
                let emperor = (0..self.emperors.len())
                    .max_by(|&a, &b| {
                        let sum = |e: usize| -> f32 { row[self.group(e)].iter().sum() };
                        sum(a).total_cmp(&sum(b))
                    })
                    .unwrap_or(0);
                self.group(emperor)
                    .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                    .unwrap_or(0)
            })
            .collect()
    }

    /// Accuracies at the emperor level, the type level and the full label from a row-major
    /// `classes x classes` confusion matrix (true by predicted).
    pub fn level_accuracies(&self, confusion: &[u64]) -> LevelAccuracy {
        let k = self.num_classes();
        let (mut total, mut emperor, mut coin_type, mut full) = (0u64, 0u64, 0u64, 0u64);
        for truth in 0..k {
            for pred in 0..k {
                let n = confusion[truth * k + pred];
                total += n;
                let (te, tt) = self.classes[truth];
                let (pe, pt) = self.classes[pred];
                emperor += n * u64::from(te == pe);
                coin_type += n * u64::from(tt == pt);
                full += n * u64::from(truth == pred);
            }
        }
        let frac = |n: u64| n as f64 / total.max(1) as f64;
        LevelAccuracy {
            emperor: frac(emperor),
            coin_type: frac(coin_type),
            full: frac(full),
        }
    }
}

/// Top-1 accuracy at each level of the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelAccuracy {
    /// The emperor is right.
    pub emperor: f64,
    /// The type is right (whatever the emperor).
    pub coin_type: f64,
    /// Both are right.
    pub full: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Hierarchy {
        let pairs: Vec<(String, String)> = [("b", "x"), ("a", "y"), ("a", "x"), ("b", "z")]
            .iter()
            .map(|(e, t)| (e.to_string(), t.to_string()))
            .collect();
        Hierarchy::from_names(&pairs)
    }

    #[test]
    fn labels_are_grouped_by_emperor() {
        let h = small();
        assert_eq!(h.classes, vec![(0, 0), (0, 1), (1, 0), (1, 2)]);
        assert_eq!(h.group(0), 0..2);
        assert_eq!(h.group(1), 2..4);
        assert_eq!(h.class_name(3), "b/z");
        assert_eq!(h.class_of(1, 2), Some(3));
        assert_eq!(h.class_of(1, 1), None);
    }

    #[test]
    fn joint_log_probs_are_a_distribution_and_decode_consistently() {
        let h = small();
        let e = Tensor::from_slice(&[2.0f32, 0.0, -1.0, 1.0]).view([2, 2]);
        let t = Tensor::from_slice(&[0.5f32, 0.0, 3.0, -3.0, 0.0, 0.0, -2.0, 1.0]).view([2, 4]);
        let joint = h.joint_log_probs(&e, &t);
        let sums =
            Vec::<f32>::try_from(joint.exp().sum_dim_intlist(-1, false, tch::Kind::Float)).unwrap();
        for s in sums {
            assert!((s - 1.0).abs() < 1e-5, "{s}");
        }
        // Row 0: emperor 0 is more likely (e = 2 vs 0), then type 0 within it.
        // Row 1: emperor 1, then its type with logit 1.0 (label 3).
        assert_eq!(h.decode_top_down(&joint), vec![0, 3]);
        let argmax = Vec::<i64>::try_from(joint.argmax(-1, false)).unwrap();
        assert_eq!(argmax, vec![0, 3]);
    }

    #[test]
    fn top_down_decoding_can_differ_from_the_joint_argmax() {
        // Emperor a: 0.31 + 0.29; emperor b: 0.40 + 0.00 -> top-down picks a, argmax picks b.
        let h = small();
        let p = Tensor::from_slice(&[0.31f32, 0.29, 0.4, 1e-6])
            .view([1, 4])
            .log();
        assert_eq!(h.decode_top_down(&p), vec![0]);
        assert_eq!(Vec::<i64>::try_from(p.argmax(-1, false)).unwrap(), vec![2]);
    }

    #[test]
    fn level_accuracies_from_a_confusion_matrix() {
        let h = small();
        let mut confusion = vec![0u64; 16];
        confusion[0] = 2; // a/x right
        confusion[1] = 1; // a/x taken for a/y: emperor right, type wrong
        confusion[2 * 4] = 1; // b/x taken for a/x: type right, emperor wrong
        let acc = h.level_accuracies(&confusion);
        assert_eq!(acc.full, 0.5);
        assert_eq!(acc.emperor, 0.75);
        assert_eq!(acc.coin_type, 0.75);
    }
}
