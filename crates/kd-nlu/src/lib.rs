//! kd-nlu: kdbench's NLU side: text data sets, tokenisation and a BERT-compatible encoder.
//!
//! - [`datasets`]: the fetchable data sets (all-MiniLM-L6-v2, Rotten Tomatoes, SNLI).
//! - [`tokenize`]: the `tokenizer.json` wrapper and padded batches.
//! - [`encoder`]: the BERT encoder on tch (config, layers, all hidden states and attentions).
//! - [`pooling`]: mean and [CLS] pooling, L2 normalisation, the classification head.
//! - [`weights`]: loading `model.safetensors` into an encoder, optionally a subset of layers.
//! - [`text`]: labelled texts and hash-based splits.
//! - [`rotten`]: the Rotten Tomatoes sentiment task's data.
//! - [`snli`]: the SNLI inference task's data.
//! - [`imdb`]: the IMDB sentiment data set's official layout (from `--data-dir`).
//! - [`glue`]: the nine GLUE tasks' official TSV files and metrics.
//! - [`model`]: text classifiers for kd-core (encoder + head, packed batches, MiniLM init).
//! - [`task`]: text classification tasks, their config and scores.
//! - [`tasks`]: the registered NLU tasks.
//! - [`distill_text`]: text dataset distillation (`rotten-tomatoes-distill`, `imdb-distill`).
#![warn(missing_docs)]
pub mod datasets;
pub mod distill_text;
pub mod encoder;
pub mod glue;
pub mod imdb;
pub mod model;
pub mod pooling;
pub mod rotten;
pub mod snli;
pub mod task;
pub mod tasks;
pub mod text;
pub mod tokenize;
pub mod weights;
