//! Replays every fuzz target's seed corpus and the crash inputs fuzzing found (kept as
//! regression inputs): no input may panic. Runs in the normal test suite, without a fuzzer.
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect(),
        Err(_) => vec![],
    };
    files.sort();
    files
}

#[test]
fn every_corpus_and_regression_input_is_handled_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut failures = Vec::new();
    let mut total = 0;
    for (name, target) in kd_fuzz::TARGETS {
        assert!(
            root.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "fuzz/fuzz_targets/{name}.rs is missing"
        );
        let seeds = files(&root.join("corpus").join(name));
        assert!(!seeds.is_empty(), "fuzz/corpus/{name}/ has no seed inputs");
        for input in seeds
            .iter()
            .chain(&files(&root.join("regressions").join(name)))
        {
            let data = std::fs::read(input).unwrap();
            total += 1;
            if catch_unwind(AssertUnwindSafe(|| target(&data))).is_err() {
                failures.push(input.display().to_string());
            }
        }
    }
    kd_fuzz::remove_scratch();
    assert!(failures.is_empty(), "inputs that panicked: {failures:#?}");
    assert!(total >= kd_fuzz::TARGETS.len());
}

/// The seeds that are valid files parse: the targets really reach the parsers (a target
/// that rejected everything early would fuzz nothing).
#[test]
fn valid_seeds_parse() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let images = std::fs::read(corpus.join("idx/mnist-images-2")).unwrap();
    assert_eq!(
        kd_vision::idx::parse_images(&images, "seed").unwrap().count,
        2
    );
    let record = std::fs::read(corpus.join("cifar_bin/cifar10-2")).unwrap();
    let mut records = kd_vision::cifar::Records::default();
    kd_vision::cifar::parse_records(
        &record,
        "seed",
        kd_vision::cifar::CifarSet::Cifar10,
        2,
        &mut records,
    )
    .unwrap();
    assert_eq!(records.labels, vec![3, 9]);
    let cola = std::fs::read(corpus.join("glue_tsv/cola")).unwrap();
    let (rows, _) = kd_nlu::glue::read_glue_tsv(
        std::io::Cursor::new(cola),
        "seed",
        kd_nlu::glue::GlueTask::Cola,
        false,
    )
    .unwrap();
    assert_eq!(rows.len(), 2);
    let actions = std::fs::read(corpus.join("actions_csv/Pendulum-v1_seed0.csv")).unwrap();
    let parsed =
        kd_rl::replay::parse_actions(std::io::Cursor::new(actions), "seed", "Pendulum-v1", 1)
            .unwrap();
    assert_eq!(parsed.len(), 20);
}
