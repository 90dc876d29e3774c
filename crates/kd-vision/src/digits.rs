//! The scikit-learn copy of the UCI optical-digits test set (1,797 8x8 images, BSD-3-Clause),
//! shipped inside kdbench, and its deterministic train/validation/test split.
use anyhow::{bail, Context};
use flate2::read::GzDecoder;
use kd_core::data::{split_from_vecs, Dataset};
use kd_core::seeding::stream;
use rand::seq::SliceRandom;
use std::io::Read;

/// `data/digits/digits.csv.gz` from the repository, embedded in the binary.
pub const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../../data/digits/digits.csv.gz");

/// Images and labels as parsed: pixels 0..16, row-major 8x8.
#[derive(Debug, Clone, PartialEq)]
pub struct DigitsRaw {
    /// 64 pixel values per image.
    pub pixels: Vec<[u8; 64]>,
    /// Labels 0..9.
    pub labels: Vec<u8>,
}

/// Parses the gzipped CSV (no header; 64 pixels then the label per row). `source` names the
/// file in errors.
pub fn parse_digits(gz: &[u8], source: &str) -> anyhow::Result<DigitsRaw> {
    let mut text = String::new();
    GzDecoder::new(gz)
        .read_to_string(&mut text)
        .with_context(|| format!("{source}: not a gzipped text file"))?;
    let mut raw = DigitsRaw {
        pixels: vec![],
        labels: vec![],
    };
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 65 {
            bail!("{source}:{line_no}: expected 65 comma-separated values (64 pixels and a label), found {}", fields.len());
        }
        let mut pixels = [0u8; 64];
        for (j, field) in fields[..64].iter().enumerate() {
            let v: f64 = field.trim().parse().with_context(|| {
                format!("{source}:{line_no}: pixel {j} '{field}' is not a number")
            })?;
            if !(0.0..=16.0).contains(&v) || v.fract() != 0.0 {
                bail!("{source}:{line_no}: pixel {j} is {v}, expected a whole number in 0..16");
            }
            pixels[j] = v as u8;
        }
        let label: f64 = fields[64].trim().parse().with_context(|| {
            format!("{source}:{line_no}: label '{}' is not a number", fields[64])
        })?;
        if !(0.0..=9.0).contains(&label) || label.fract() != 0.0 {
            bail!("{source}:{line_no}: label is {label}, expected 0..9");
        }
        raw.pixels.push(pixels);
        raw.labels.push(label as u8);
    }
    if raw.labels.is_empty() {
        bail!("{source}: no rows");
    }
    Ok(raw)
}

/// Indices of the train, validation and test splits: per class, a fixed shuffle (independent
/// of the run seed) puts 20% in test, 10% in validation and the rest in train.
pub fn split_indices(labels: &[u8]) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let mut rng = stream(0, "digits-split");
    let (mut train, mut val, mut test) = (vec![], vec![], vec![]);
    for class in 0..10u8 {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        idx.shuffle(&mut rng);
        let n_test = idx.len() / 5;
        let n_val = idx.len() / 10;
        test.extend_from_slice(&idx[..n_test]);
        val.extend_from_slice(&idx[n_test..n_test + n_val]);
        train.extend_from_slice(&idx[n_test + n_val..]);
    }
    train.sort_unstable();
    val.sort_unstable();
    test.sort_unstable();
    (train, val, test)
}

/// The shipped digits as a [`Dataset`] of flat 64-feature vectors scaled to [0, 1].
pub fn digits_dataset() -> anyhow::Result<Dataset> {
    let raw = parse_digits(DIGITS_CSV_GZ, "data/digits/digits.csv.gz (embedded)")?;
    let (train, val, test) = split_indices(&raw.labels);
    let make = |idx: &[usize]| {
        let features: Vec<f32> = idx
            .iter()
            .flat_map(|&i| raw.pixels[i].iter().map(|&p| p as f32 / 16.0))
            .collect();
        let labels: Vec<i64> = idx.iter().map(|&i| raw.labels[i] as i64).collect();
        split_from_vecs(&features, &labels, &[64])
    };
    Ok(Dataset {
        train: make(&train),
        val: make(&val),
        test: make(&test),
        num_classes: 10,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    #[test]
    fn shipped_file_has_the_documented_counts() {
        let raw = parse_digits(DIGITS_CSV_GZ, "digits").unwrap();
        assert_eq!(raw.labels.len(), 1797);
        let mut counts = [0usize; 10];
        for &l in &raw.labels {
            counts[l as usize] += 1;
        }
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    }

    #[test]
    fn split_is_disjoint_complete_and_fixed() {
        let raw = parse_digits(DIGITS_CSV_GZ, "digits").unwrap();
        let (train, val, test) = split_indices(&raw.labels);
        assert_eq!(train.len() + val.len() + test.len(), 1797);
        let mut all: Vec<usize> = train.iter().chain(&val).chain(&test).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 1797);
        assert!((350..=360).contains(&test.len()) && (170..=180).contains(&val.len()));
        assert_eq!(split_indices(&raw.labels), (train, val, test));
    }

    #[test]
    fn bad_rows_name_the_line() {
        let gz = |text: &str| {
            let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
            enc.write_all(text.as_bytes()).unwrap();
            enc.finish().unwrap()
        };
        let good = format!("{},3\n", vec!["0"; 64].join(","));
        let short = format!("{good}1,2,3\n");
        let err = parse_digits(&gz(&short), "d.csv.gz")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("d.csv.gz:2") && err.contains("expected 65"),
            "{err}"
        );
        let bad_label = format!("{},12\n", vec!["0"; 64].join(","));
        assert!(parse_digits(&gz(&bad_label), "d")
            .unwrap_err()
            .to_string()
            .contains("expected 0..9"));
        assert!(parse_digits(b"not gzip", "d")
            .unwrap_err()
            .to_string()
            .contains("not a gzipped"));
    }
}
