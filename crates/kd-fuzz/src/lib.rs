//! Every parser of a file that users hand kdbench, called on raw bytes: the entry points of
//! the `cargo fuzz` targets under `fuzz/` and of the test that replays their corpora and
//! the crash inputs they found (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`).
//!
//! Each entry point must return for any input: an `Err` is the expected answer to bad
//! bytes; a panic, an abort, a hang or a huge allocation is a bug.
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A fuzz target: its name (the folder names under `fuzz/`) and its entry point.
pub type Target = (&'static str, fn(&[u8]));

/// Every target.
pub const TARGETS: &[Target] = &[
    ("suite_toml", suite_toml),
    ("set_override", set_override),
    ("idx", idx),
    ("cifar_bin", cifar_bin),
    ("glue_tsv", glue_tsv),
    ("actions_csv", actions_csv),
    ("results_csv", results_csv),
    ("safetensors", safetensors),
    ("coin_collection", coin_collection),
];

/// The registry of the kdbench binary, built once.
fn registry() -> &'static kdbench::Registry {
    static REGISTRY: OnceLock<kdbench::Registry> = OnceLock::new();
    REGISTRY.get_or_init(kdbench::registry)
}

/// A scratch folder of this process, for parsers that read files.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kd-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    })
}

/// A suite file (as `kdbench run --suite FILE` reads it), then its run matrix with the
/// real tasks and methods (config checks of every task included).
pub fn suite_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let registry = registry();
    let mut names = registry.suite_names();
    names.push("fuzzed".into());
    let builtin = |name: &str| {
        if name == "fuzzed" {
            Some(text.to_string())
        } else {
            registry.suite_text(name)
        }
    };
    if let Ok(suite) = kd_harness::suite::Suite::load("fuzzed", &builtin, &names) {
        let _ = kd_harness::matrix::build_matrix(
            &suite,
            registry,
            &kd_harness::matrix::MatrixOptions::default(),
        );
    }
}

/// Command-line values: each line a `--set KEY=VALUE` applied to the smoke suite, except
/// lines starting `seeds ` (`--seeds`) and `shard ` (`--shard`).
pub fn set_override(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut options = kd_harness::matrix::MatrixOptions::default();
    for line in text.lines() {
        if let Some(seeds) = line.strip_prefix("seeds ") {
            options.seeds = kd_harness::suite::parse_seeds(seeds).ok();
        } else if let Some(shard) = line.strip_prefix("shard ") {
            options.shard = kd_harness::matrix::parse_shard(shard).ok();
        } else if let Ok(o) = kd_harness::config::Override::parse(line) {
            options.overrides.push(o);
        }
    }
    if options.seeds.as_ref().is_some_and(|s| s.len() > 64) {
        return; // a long seed list only makes a big matrix
    }
    let registry = registry();
    let names = registry.suite_names();
    let suite = kd_harness::suite::Suite::load("smoke", &|n| registry.suite_text(n), &names)
        .expect("the smoke suite loads");
    let _ = kd_harness::matrix::build_matrix(&suite, registry, &options);
}

/// MNIST-format IDX images and labels.
pub fn idx(data: &[u8]) {
    let _ = kd_vision::idx::parse_images(data, "fuzzed");
    let _ = kd_vision::idx::parse_labels(data, "fuzzed");
}

/// CIFAR-10 and CIFAR-100 binary records (the checks a batch file's bytes go through).
pub fn cifar_bin(data: &[u8]) {
    use kd_vision::cifar::{parse_records, CifarSet, Records};
    for set in [CifarSet::Cifar10, CifarSet::Cifar100] {
        let whole = data.len() / set.record_size();
        for expected in [whole, whole + 1, 10_000] {
            let _ = parse_records(data, "fuzzed", set, expected, &mut Records::default());
        }
    }
}

/// GLUE TSV files of every task, strict and skipping malformed rows.
pub fn glue_tsv(data: &[u8]) {
    for task in kd_nlu::glue::GlueTask::ALL {
        for skip in [false, true] {
            let _ = kd_nlu::glue::read_glue_tsv(Cursor::new(data), "fuzzed", task, skip);
        }
    }
}

/// `kdbench env replay --actions FILE`: an actions CSV replayed on Pendulum (1 action) and
/// MountainCarContinuous (1 action), and parsed for a 2-dimensional action space.
pub fn actions_csv(data: &[u8]) {
    let _ = kd_rl::replay::parse_actions(Cursor::new(data), "fuzzed", "fuzzed-env", 2);
    if data.len() > 4096 {
        return; // long replays only take time
    }
    for env in ["Pendulum-v1", "MountainCarContinuous-v0"] {
        let _ = kd_rl::replay::replay_reader(env, 0, Cursor::new(data), "fuzzed", &mut Vec::new());
    }
}

/// A results folder: the bytes as `runs.csv`, `scores.csv` and `curves.csv` read by
/// `compare`/`merge`, then opened for `--resume` (torn lines cut, uncommitted rows pruned).
pub fn results_csv(data: &[u8]) {
    use kd_harness::store::{read_curves, read_runs, read_scores, ResultsStore};
    let dir = scratch().join("results");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    for name in ["runs.csv", "scores.csv", "curves.csv"] {
        std::fs::write(dir.join(name), data).expect("scratch");
    }
    let _ = read_runs(&dir.join("runs.csv"));
    let _ = read_scores(&dir.join("scores.csv"));
    let _ = read_curves(&dir.join("curves.csv"));
    let _ = ResultsStore::open(&dir, true);
}

/// A safetensors checkpoint, loaded as a tiny BERT's weights (the MiniLM loader) and as a
/// cached teacher's variables.
pub fn safetensors(data: &[u8]) {
    use tch::nn;
    let path = scratch().join("model.safetensors");
    std::fs::write(&path, data).expect("scratch");
    let config: kd_nlu::encoder::BertConfig = serde_json::from_str(
        r#"{"vocab_size": 20, "hidden_size": 8, "num_hidden_layers": 2,
            "num_attention_heads": 2, "intermediate_size": 16,
            "max_position_embeddings": 16}"#,
    )
    .expect("a valid BERT config");
    let vs = nn::VarStore::new(tch::Device::Cpu);
    let _model = kd_nlu::encoder::BertModel::new(vs.root(), &config);
    let _ = kd_nlu::weights::load_weights(&vs, &path, None);
    let mut vs = nn::VarStore::new(tch::Device::Cpu);
    let _ = vs.root().var("weight", &[2, 3], nn::Init::Const(0.0));
    let _ = vs.load(&path);
}

/// A coin collection folder: the bytes as both faces' image of one coin (the image
/// decoders, resizing and cropping), then also as its `manifest.csv`.
pub fn coin_collection(data: &[u8]) {
    let root = scratch().join("coins");
    let _ = std::fs::remove_dir_all(&root);
    for side in ["obverse", "reverse"] {
        let dir = root.join("augustus").join("denarius").join(side);
        std::fs::create_dir_all(&dir).expect("scratch");
        std::fs::write(dir.join("c1.png"), data).expect("scratch");
    }
    let _ = kd_vision::coins::loader::load_collection(&root, 16);
    std::fs::write(root.join("manifest.csv"), data).expect("scratch");
    let _ = kd_vision::coins::loader::load_collection(&root, 16);
}

/// Removes this process's scratch folder (the fuzzers' processes leave theirs in the
/// temporary folder).
pub fn remove_scratch() {
    let _ = std::fs::remove_dir_all(scratch());
}
