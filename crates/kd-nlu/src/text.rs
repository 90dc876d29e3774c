//! Labelled texts and their deterministic train/dev/test splits.
use sha2::{Digest, Sha256};

/// One labelled text or text pair.
#[derive(Debug, Clone, PartialEq)]
pub struct TextExample {
    /// The text (the premise for a pair).
    pub text: String,
    /// The second text of a pair (the hypothesis), if any.
    pub pair: Option<String>,
    /// The class index (0 for a regression example).
    pub label: i64,
    /// The regression target (e.g. STS-B's similarity), if the task is a regression.
    pub score: Option<f64>,
}

impl TextExample {
    /// What a model should predict: the regression score if any, else the class index.
    pub fn target(&self) -> f64 {
        self.score.unwrap_or(self.label as f64)
    }
}

/// A task's three splits and its class names (index = label).
#[derive(Debug, Clone, PartialEq)]
pub struct TextSplits {
    /// Training examples.
    pub train: Vec<TextExample>,
    /// Development (validation) examples.
    pub dev: Vec<TextExample>,
    /// Test examples.
    pub test: Vec<TextExample>,
    /// Class names by label.
    pub classes: Vec<&'static str>,
}

impl TextSplits {
    /// How many examples of each class `split` holds.
    pub fn class_counts(&self, split: &[TextExample]) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for e in split {
            counts[e.label as usize] += 1;
        }
        counts
    }
}

/// `u32` of the first 8 hex digits (4 bytes, big-endian) of `sha256(key)`, modulo `modulus`:
/// the bucket that decides an example's split.
pub fn hash_bucket(key: &str, modulus: u32) -> u32 {
    let digest = Sha256::digest(key.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % modulus
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_uses_the_first_eight_hex_digits() {
        // sha256("abc") = ba7816bf...
        assert_eq!(hash_bucket("abc", 1 << 31), 0xba7816bf - (1 << 31));
        assert_eq!(hash_bucket("abc", 10), 0xba7816bfu32 % 10);
    }

    #[test]
    fn counts_classes() {
        let ex = |label| TextExample {
            text: String::new(),
            pair: None,
            label,
            score: None,
        };
        let splits = TextSplits {
            train: vec![ex(0), ex(1), ex(1)],
            dev: vec![],
            test: vec![],
            classes: vec!["a", "b"],
        };
        assert_eq!(splits.class_counts(&splits.train), [1, 2]);
        assert_eq!(splits.train[1].target(), 1.0);
        let scored = TextExample {
            score: Some(3.8),
            ..ex(0)
        };
        assert_eq!(scored.target(), 3.8);
    }
}
