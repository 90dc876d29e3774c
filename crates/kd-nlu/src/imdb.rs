//! The IMDB movie-review sentiment data set (Maas et al. 2011, "Learning Word Vectors for
//! Sentiment Analysis", ACL) in its official layout, which users unpack from
//! `aclImdb_v1.tar.gz` into `<data-dir>/aclImdb/` (it cannot be fetched here):
//! `{train,test}/{neg,pos}/<id>_<rating>.txt`, one review a file, ratings 1-4 negative and
//! 7-10 positive (`train/unsup/` and the `.feat`/`urls_*` files are not read).
//!
//! Texts have their `<br />` line breaks replaced by spaces and are stripped; files are read
//! in the order of their numeric id, negatives first. The official train and test splits
//! (25,000 reviews each) are kept; there is no dev split.
use crate::text::{TextExample, TextSplits};
use anyhow::{bail, Context};
use std::path::Path;

/// The data set's folder inside `--data-dir`.
pub const DIR: &str = "aclImdb";

/// Class names: label 0 is `neg`, 1 is `pos`.
pub const CLASSES: [&str; 2] = ["neg", "pos"];

/// Why IMDB cannot be read from `data_dir`, if it cannot.
pub fn missing(data_dir: &Path) -> Option<String> {
    let root = data_dir.join(DIR);
    let absent: Vec<String> = ["train/neg", "train/pos", "test/neg", "test/pos"]
        .iter()
        .filter(|sub| !root.join(sub).is_dir())
        .map(|sub| sub.to_string())
        .collect();
    (!absent.is_empty()).then(|| {
        format!(
            "IMDB is not in {} (no {}); it cannot be fetched here: download aclImdb_v1.tar.gz \
             from https://ai.stanford.edu/~amaas/data/sentiment/ and unpack it into the data \
             folder (or pass --data-dir)",
            root.display(),
            absent.join(", ")
        )
    })
}

/// The reviews of one class folder (`train/pos`, ...) in the order of their ids, checking
/// each file's name and rating.
fn read_class(dir: &Path, label: i64) -> anyhow::Result<Vec<TextExample>> {
    let mut files = Vec::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("{}: cannot list", dir.display()))?
            .path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".txt"))
        else {
            continue;
        };
        let parsed = stem
            .split_once('_')
            .and_then(|(id, rating)| Some((id.parse::<u64>().ok()?, rating.parse::<u32>().ok()?)));
        let Some((id, rating)) = parsed else {
            bail!(
                "{}: expected a review named <id>_<rating>.txt",
                path.display()
            );
        };
        let fits = if label == 1 {
            (7..=10).contains(&rating)
        } else {
            (1..=4).contains(&rating)
        };
        if !fits {
            bail!(
                "{}: rating {rating} does not belong in {} (negative reviews are rated 1-4, \
                 positive 7-10)",
                path.display(),
                CLASSES[label as usize]
            );
        }
        files.push((id, path));
    }
    files.sort();
    files
        .into_iter()
        .map(|(_, path)| {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("{}: cannot read as UTF-8 text", path.display()))?;
            Ok(TextExample {
                text: text.replace("<br />", " ").trim().to_string(),
                pair: None,
                label,
                score: None,
            })
        })
        .collect()
}

/// Loads the official train and test splits from `dir` (the `aclImdb` folder).
pub fn load_imdb(dir: &Path) -> anyhow::Result<TextSplits> {
    let split = |name: &str| -> anyhow::Result<Vec<TextExample>> {
        let mut examples = read_class(&dir.join(name).join("neg"), 0)?;
        examples.extend(read_class(&dir.join(name).join("pos"), 1)?);
        if examples.is_empty() {
            bail!("{}: no reviews", dir.join(name).display());
        }
        Ok(examples)
    };
    Ok(TextSplits {
        train: split("train")?,
        dev: Vec::new(),
        test: split("test")?,
        classes: CLASSES.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `files` (`(relative path, text)`) under a fresh `aclImdb` folder.
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for sub in [
            "train/neg",
            "train/pos",
            "test/neg",
            "test/pos",
            "train/unsup",
        ] {
            std::fs::create_dir_all(dir.path().join(DIR).join(sub)).unwrap();
        }
        for (path, text) in files {
            std::fs::write(dir.path().join(DIR).join(path), text).unwrap();
        }
        dir
    }

    #[test]
    fn reviews_load_by_id_with_their_class_and_line_breaks_removed() {
        let dir = tree(&[
            ("train/neg/10_2.txt", "Dull.<br /><br />Very dull. "),
            ("train/neg/9_1.txt", "Awful"),
            ("train/pos/0_9.txt", "Great fun"),
            ("train/unsup/5_0.txt", "not read"),
            ("train/urls_pos.txt", "http://"),
            ("test/neg/3_4.txt", "Meh"),
            ("test/pos/1_10.txt", "Superb"),
            ("test/pos/2_7.txt", "Good"),
        ]);
        assert!(missing(dir.path()).is_none());
        let splits = load_imdb(&dir.path().join(DIR)).unwrap();
        let texts: Vec<(&str, i64)> = splits
            .train
            .iter()
            .map(|e| (e.text.as_str(), e.label))
            .collect();
        assert_eq!(
            texts,
            [("Awful", 0), ("Dull.  Very dull.", 0), ("Great fun", 1)]
        );
        assert_eq!(splits.class_counts(&splits.test), [1, 2]);
        assert!(splits.dev.is_empty());
        assert_eq!(splits.classes, ["neg", "pos"]);
    }

    #[test]
    fn bad_names_ratings_and_absent_folders_are_named() {
        let dir = tree(&[("train/pos/4_3.txt", "Bad")]);
        let err = load_imdb(&dir.path().join(DIR)).unwrap_err().to_string();
        assert!(err.contains("4_3.txt") && err.contains("rating 3"), "{err}");
        let dir = tree(&[("train/neg/1_1.txt", "x"), ("test/neg/review.txt", "x")]);
        let err = load_imdb(&dir.path().join(DIR)).unwrap_err().to_string();
        assert!(
            err.contains("review.txt") && err.contains("<id>_<rating>"),
            "{err}"
        );
        let dir = tree(&[("train/neg/1_1.txt", "x")]);
        let err = load_imdb(&dir.path().join(DIR)).unwrap_err().to_string();
        assert!(err.ends_with("aclImdb/test: no reviews"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(empty.path().join(DIR).join("train/neg")).unwrap();
        let reason = missing(empty.path()).unwrap();
        assert!(
            reason.contains("train/pos, test/neg, test/pos") && reason.contains("aclImdb_v1"),
            "{reason}"
        );
    }
}
