//! What the dataset-distillation tasks of kd-vision (images) and kd-nlu (sentences in
//! embedding space) share: the bi-level optimisation over any [`bilevel::FunctionalNet`]
//! ([`bilevel`]), the `domain = "distill-data"` methods ([`method`]), the shared config keys
//! ([`config`]), the learned-data file ([`file`]) and the steps of a run ([`run`]).
pub mod bilevel;
pub mod config;
pub mod file;
pub mod method;
pub mod run;
