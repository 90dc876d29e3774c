//! The SNLI 3-way inference task (MNLI-like) from the `snli` data folder.
//!
//! Pairs without a gold label (`-`) are dropped. The test split is the official test set;
//! dev is taken from the training subset grouped by premise: a pair goes to dev when
//! [`hash_bucket`]`(captionID, 20) == 0`, so no premise is in both train and dev.
use crate::text::{hash_bucket, TextExample, TextSplits};
use anyhow::{bail, Context};
use serde::Deserialize;
use std::io::BufRead;
use std::path::Path;

/// The training subset file (first 100,000 pairs of the official train set).
pub const TRAIN_FILE: &str = "snli_1.0_train_subset.jsonl";
/// The official test set file.
pub const TEST_FILE: &str = "snli_1.0_test.jsonl";

/// Class names by label (the MNLI order): entailment 0, neutral 1, contradiction 2.
pub const CLASSES: [&str; 3] = ["entailment", "neutral", "contradiction"];

#[derive(Deserialize)]
struct Line {
    gold_label: String,
    sentence1: String,
    sentence2: String,
    #[serde(rename = "captionID")]
    caption_id: String,
}

/// One labelled pair and the caption (premise) it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct SnliPair {
    /// The premise's caption id, the grouping key for the dev split.
    pub caption_id: String,
    /// Premise, hypothesis and label.
    pub example: TextExample,
}

/// Reads SNLI JSON lines, dropping pairs without a gold label. `name` labels errors, which
/// give the line.
pub fn read_pairs(reader: impl BufRead, name: &str) -> anyhow::Result<Vec<SnliPair>> {
    let mut pairs = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let at = i + 1;
        let line = line.with_context(|| format!("{name}:{at}: cannot read"))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Line = serde_json::from_str(&line)
            .with_context(|| format!("{name}:{at}: not an SNLI record"))?;
        let label = match CLASSES.iter().position(|&c| c == record.gold_label) {
            Some(label) => label as i64,
            None if record.gold_label == "-" => continue,
            None => bail!("{name}:{at}: unknown gold_label `{}`", record.gold_label),
        };
        pairs.push(SnliPair {
            caption_id: record.caption_id,
            example: TextExample {
                text: record.sentence1,
                pair: Some(record.sentence2),
                label,
                score: None,
            },
        });
    }
    Ok(pairs)
}

/// Splits the training pairs into train and dev by caption, and takes `test` as is.
pub fn split_pairs(train: Vec<SnliPair>, test: Vec<SnliPair>) -> TextSplits {
    let (dev, train): (Vec<SnliPair>, Vec<SnliPair>) = train
        .into_iter()
        .partition(|p| hash_bucket(&p.caption_id, 20) == 0);
    let examples = |v: Vec<SnliPair>| v.into_iter().map(|p| p.example).collect();
    TextSplits {
        train: examples(train),
        dev: examples(dev),
        test: examples(test),
        classes: CLASSES.to_vec(),
    }
}

/// Loads the task from the `snli` data folder.
pub fn load_snli(dir: &Path) -> anyhow::Result<TextSplits> {
    let read = |file: &str| {
        let path = dir.join(file);
        let f = std::fs::File::open(&path).with_context(|| {
            format!(
                "{}: cannot open; run `kdbench data fetch snli`",
                path.display()
            )
        })?;
        read_pairs(std::io::BufReader::new(f), &path.display().to_string())
    };
    Ok(split_pairs(read(TRAIN_FILE)?, read(TEST_FILE)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(label: &str, caption: &str) -> String {
        serde_json::json!({
            "annotator_labels": [label], "captionID": caption, "gold_label": label,
            "pairID": format!("{caption}r1"), "sentence1": "A dog runs.",
            "sentence1_binary_parse": "", "sentence1_parse": "",
            "sentence2": "An animal moves.", "sentence2_binary_parse": "", "sentence2_parse": ""
        })
        .to_string()
    }

    #[test]
    fn reads_labels_and_drops_unlabelled_pairs() {
        let text = [
            line("entailment", "1.jpg#0"),
            line("-", "1.jpg#0"),
            String::new(),
            line("contradiction", "2.jpg#1"),
        ]
        .join("\n");
        let pairs = read_pairs(text.as_bytes(), "toy.jsonl").unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[1].example.label, 2);
        assert_eq!(pairs[0].example.pair.as_deref(), Some("An animal moves."));
        let splits = split_pairs(pairs.clone(), pairs);
        assert_eq!(splits.train.len() + splits.dev.len(), 2);
        assert_eq!(splits.test.len(), 2);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let text = format!("{}\n{{broken", line("neutral", "1"));
        let err = read_pairs(text.as_bytes(), "toy.jsonl")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "toy.jsonl:2: not an SNLI record");
        let text = line("maybe", "1");
        let err = read_pairs(text.as_bytes(), "toy.jsonl")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "toy.jsonl:1: unknown gold_label `maybe`");
        let dir = tempfile::tempdir().unwrap();
        let err = load_snli(dir.path()).unwrap_err().to_string();
        assert!(err.contains("kdbench data fetch snli"), "{err}");
    }
}
