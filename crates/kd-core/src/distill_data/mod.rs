//! What the dataset-distillation tasks of kd-vision (images) and kd-nlu (sentences in
//! embedding space) share: the bi-level optimisation over any [`bilevel::FunctionalNet`]
//! ([`bilevel`]) and the `domain = "distill-data"` methods ([`method`]).
pub mod bilevel;
pub mod method;
