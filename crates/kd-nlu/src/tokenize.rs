//! Tokenisation with the Hugging Face `tokenizers` crate from a `tokenizer.json`, and
//! batching the results as padded id, token type and attention mask tensors.
//!
//! The MiniLM `tokenizer.json` pads and truncates every input to 128 tokens; the wrapper
//! turns that padding off and pads each batch only to its longest sequence instead.
use anyhow::Context;
use std::path::Path;
use tch::Tensor;
use tokenizers::{EncodeInput, Tokenizer, TruncationParams};

/// The id used for padding (`[PAD]` in BERT vocabularies).
pub const PAD_ID: i64 = 0;

/// One tokenised text or text pair, without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Token ids, with the special tokens (`[CLS] ... [SEP]`).
    pub ids: Vec<i64>,
    /// Segment ids: 0 for the first text, 1 for the second of a pair.
    pub type_ids: Vec<i64>,
}

impl Encoded {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// A padded batch: three `[batch, longest]` Int64 tensors.
#[derive(Debug)]
pub struct Batch {
    /// Token ids, padded with [`PAD_ID`].
    pub input_ids: Tensor,
    /// Segment ids, padded with 0.
    pub token_type_ids: Tensor,
    /// 1 for real tokens, 0 for padding.
    pub attention_mask: Tensor,
}

impl Batch {
    /// The same batch on `device`.
    pub fn to_device(&self, device: tch::Device) -> Batch {
        Batch {
            input_ids: self.input_ids.to_device(device),
            token_type_ids: self.token_type_ids.to_device(device),
            attention_mask: self.attention_mask.to_device(device),
        }
    }

    /// Pads already tokenised sequences to the longest of them.
    pub fn from_encoded<'a>(items: impl IntoIterator<Item = &'a Encoded>) -> Batch {
        let items: Vec<&Encoded> = items.into_iter().collect();
        let longest = items.iter().map(|e| e.len()).max().unwrap_or(0);
        let n = items.len();
        let mut ids = vec![PAD_ID; n * longest];
        let mut types = vec![0i64; n * longest];
        let mut mask = vec![0i64; n * longest];
        for (row, e) in items.iter().enumerate() {
            let at = row * longest;
            ids[at..at + e.len()].copy_from_slice(&e.ids);
            types[at..at + e.len()].copy_from_slice(&e.type_ids);
            mask[at..at + e.len()].fill(1);
        }
        let shape = [n as i64, longest as i64];
        Batch {
            input_ids: Tensor::from_slice(&ids).view(shape),
            token_type_ids: Tensor::from_slice(&types).view(shape),
            attention_mask: Tensor::from_slice(&mask).view(shape),
        }
    }
}

/// A `tokenizer.json` tokenizer with padding off and an optional maximum length.
pub struct TextTokenizer {
    inner: Tokenizer,
}

impl TextTokenizer {
    /// Loads `tokenizer.json`; inputs longer than `max_length` tokens (special tokens
    /// included) are truncated, pairs longest-first. `None` keeps every token.
    pub fn from_file(path: &Path, max_length: Option<usize>) -> anyhow::Result<Self> {
        let mut inner = Tokenizer::from_file(path)
            .map_err(|e| anyhow::anyhow!("{}: cannot load the tokenizer: {e}", path.display()))?;
        inner.with_padding(None);
        let truncation = max_length.map(|max_length| TruncationParams {
            max_length,
            ..Default::default()
        });
        inner
            .with_truncation(truncation)
            .map_err(|e| anyhow::anyhow!("{}: bad truncation: {e}", path.display()))?;
        Ok(TextTokenizer { inner })
    }

    /// Size of the vocabulary, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The id of a token, if it is in the vocabulary.
    pub fn token_id(&self, token: &str) -> Option<i64> {
        self.inner.token_to_id(token).map(i64::from)
    }

    /// Tokenises single texts.
    pub fn encode(&self, texts: &[&str]) -> anyhow::Result<Vec<Encoded>> {
        self.encode_inputs(texts.iter().map(|&t| EncodeInput::from(t)).collect())
    }

    /// Tokenises text pairs (`[CLS] a [SEP] b [SEP]`, token types 0 then 1).
    pub fn encode_pairs(&self, pairs: &[(&str, &str)]) -> anyhow::Result<Vec<Encoded>> {
        self.encode_inputs(pairs.iter().map(|&p| EncodeInput::from(p)).collect())
    }

    /// Tokenises single texts into a padded batch.
    pub fn batch(&self, texts: &[&str]) -> anyhow::Result<Batch> {
        Ok(Batch::from_encoded(&self.encode(texts)?))
    }

    /// Tokenises text pairs into a padded batch.
    pub fn batch_pairs(&self, pairs: &[(&str, &str)]) -> anyhow::Result<Batch> {
        Ok(Batch::from_encoded(&self.encode_pairs(pairs)?))
    }

    fn encode_inputs(&self, inputs: Vec<EncodeInput<'_>>) -> anyhow::Result<Vec<Encoded>> {
        let encodings = self
            .inner
            .encode_batch(inputs, true)
            .map_err(|e| anyhow::anyhow!("tokenising: {e}"))
            .context("tokenizer")?;
        Ok(encodings
            .iter()
            .map(|e| Encoded {
                ids: e.get_ids().iter().map(|&i| i64::from(i)).collect(),
                type_ids: e.get_type_ids().iter().map(|&i| i64::from(i)).collect(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny WordPiece `tokenizer.json` with the same pipeline as MiniLM's, including
    /// its fixed padding to 128, which the wrapper must undo.
    fn toy_tokenizer(dir: &Path) -> std::path::PathBuf {
        let vocab = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "cat", "sat", "on", "mat", "##s", "a",
        ];
        let vocab: serde_json::Map<String, serde_json::Value> = vocab
            .iter()
            .enumerate()
            .map(|(i, t)| (t.to_string(), serde_json::json!(i)))
            .collect();
        let json = serde_json::json!({
            "version": "1.0",
            "truncation": {"direction": "Right", "max_length": 128, "strategy": "LongestFirst", "stride": 0},
            "padding": {"strategy": {"Fixed": 128}, "direction": "Right", "pad_to_multiple_of": null,
                        "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
            "added_tokens": [],
            "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                           "strip_accents": null, "lowercase": true},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                           {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                         {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                "special_tokens": {
                    "[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                    "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
            "decoder": null,
            "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100, "vocab": vocab}
        });
        let path = dir.join("tokenizer.json");
        std::fs::write(&path, json.to_string()).unwrap();
        path
    }

    #[test]
    fn pads_to_the_longest_and_marks_pairs() {
        let dir = tempfile::tempdir().unwrap();
        let tok = TextTokenizer::from_file(&toy_tokenizer(dir.path()), None).unwrap();
        assert_eq!(tok.vocab_size(), 11);
        assert_eq!(tok.token_id("[SEP]"), Some(3));
        let enc = tok.encode(&["The cats sat", "a dog"]).unwrap();
        assert_eq!(enc[0].ids, [2, 4, 5, 9, 6, 3]);
        assert_eq!(enc[1].ids, [2, 10, 1, 3]);
        let batch = Batch::from_encoded(&enc).to_device(tch::Device::Cpu);
        assert_eq!(batch.input_ids.size(), [2, 6]);
        assert_eq!(
            Vec::<i64>::try_from(batch.input_ids.view([-1])).unwrap(),
            [2, 4, 5, 9, 6, 3, 2, 10, 1, 3, 0, 0]
        );
        assert_eq!(
            Vec::<i64>::try_from(batch.attention_mask.view([-1])).unwrap(),
            [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
        );
        let pair = tok.batch_pairs(&[("the cat", "on a mat")]).unwrap();
        assert_eq!(
            Vec::<i64>::try_from(pair.input_ids.view([-1])).unwrap(),
            [2, 4, 5, 3, 7, 10, 8, 3]
        );
        assert_eq!(
            Vec::<i64>::try_from(pair.token_type_ids.view([-1])).unwrap(),
            [0, 0, 0, 0, 1, 1, 1, 1]
        );
    }

    #[test]
    fn truncates_to_the_configured_length() {
        let dir = tempfile::tempdir().unwrap();
        let tok = TextTokenizer::from_file(&toy_tokenizer(dir.path()), Some(4)).unwrap();
        let enc = tok.encode(&["the cat sat on a mat"]).unwrap();
        assert_eq!(enc[0].ids, [2, 4, 5, 3]);
        let pair = tok.encode_pairs(&[("the cat sat", "on a mat")]).unwrap();
        assert_eq!(pair[0].len(), 4);
        let empty = Batch::from_encoded(&[]);
        assert_eq!(empty.input_ids.size(), [0, 0]);
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = TextTokenizer::from_file(Path::new("/nonexistent/tokenizer.json"), None)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("/nonexistent/tokenizer.json"), "{err}");
    }
}
