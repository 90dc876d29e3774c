//! The Rotten Tomatoes and SNLI loaders on the real files (fetched into the default data
//! folder), checked against the counts in the repository's DATA notes. Fails (never skips)
//! when the data cannot be fetched.
use kd_nlu::datasets::{default_data_dir, ensure, rotten_tomatoes_spec, snli_spec};
use kd_nlu::rotten::load_rotten_tomatoes;
use kd_nlu::snli::load_snli;

#[test]
fn rotten_tomatoes_splits_as_documented() {
    let dir = ensure(&rotten_tomatoes_spec(), &default_data_dir())
        .unwrap_or_else(|e| panic!("fetching rotten-tomatoes failed: {e:#}"));
    let data = load_rotten_tomatoes(&dir).unwrap();
    assert_eq!(
        (data.train.len(), data.dev.len(), data.test.len()),
        (10_219, 1_280, 1_253)
    );
    // [rotten, fresh]
    assert_eq!(data.class_counts(&data.train), [4_348, 5_871]);
    assert_eq!(data.class_counts(&data.dev), [527, 753]);
    assert_eq!(data.class_counts(&data.test), [509, 744]);
    assert!(data
        .train
        .iter()
        .all(|e| e.pair.is_none() && !e.text.is_empty() && e.text.trim() == e.text));
}

#[test]
fn snli_splits_as_documented() {
    let dir = ensure(&snli_spec(), &default_data_dir())
        .unwrap_or_else(|e| panic!("fetching snli failed: {e:#}"));
    let data = load_snli(&dir).unwrap();
    assert_eq!(
        (data.train.len(), data.dev.len(), data.test.len()),
        (94_947, 4_943, 9_824)
    );
    // [entailment, neutral, contradiction]
    assert_eq!(data.class_counts(&data.dev), [1_645, 1_650, 1_648]);
    assert_eq!(data.class_counts(&data.test), [3_368, 3_219, 3_237]);
    assert_eq!(
        data.class_counts(&data.train),
        [33_385 - 1_645, 33_194 - 1_650, 33_311 - 1_648]
    );
    assert!(data.test.iter().all(|e| e.pair.is_some()));
}
