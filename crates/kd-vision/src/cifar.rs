//! CIFAR-10 and CIFAR-100 in their official binary versions
//! (<https://www.cs.toronto.edu/~kriz/cifar.html>).
//!
//! A record is the label byte(s) then 3,072 pixel bytes: the red, green and blue 32x32 planes,
//! each row-major, so the pixels are already in C x H x W order. CIFAR-10 has one label byte
//! (0-9) per record, 10,000 records in each of `data_batch_1.bin` .. `data_batch_5.bin` and
//! `test_batch.bin`; CIFAR-100 has a coarse (0-19) then a fine (0-99) label byte, 50,000
//! records in `train.bin` and 10,000 in `test.bin`.
use anyhow::{bail, Context};
use kd_core::data::{Dataset, Split};
use std::io::Read;
use std::path::{Path, PathBuf};
use tch::{Kind, Tensor};

/// Pixel bytes per record: 3 planes of 32x32.
pub const PIXELS: usize = 3 * 32 * 32;

/// Which CIFAR data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CifarSet {
    /// 10 classes.
    Cifar10,
    /// 100 fine classes in 20 coarse superclasses.
    Cifar100,
}

/// Which CIFAR-100 labels become the classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cifar100Labels {
    /// The 100 classes (the usual benchmark).
    Fine,
    /// The 20 superclasses.
    Coarse,
}

impl CifarSet {
    /// Human-readable name, for messages.
    pub fn title(self) -> &'static str {
        match self {
            CifarSet::Cifar10 => "CIFAR-10",
            CifarSet::Cifar100 => "CIFAR-100",
        }
    }

    /// The folder under the data folder where kdbench looks for it: `cifar10` or `cifar100`.
    pub fn dir_name(self) -> &'static str {
        match self {
            CifarSet::Cifar10 => "cifar10",
            CifarSet::Cifar100 => "cifar100",
        }
    }

    /// The folder the official archive unpacks to.
    pub fn archive_folder(self) -> &'static str {
        match self {
            CifarSet::Cifar10 => "cifar-10-batches-bin",
            CifarSet::Cifar100 => "cifar-100-binary",
        }
    }

    /// The training files, in the order their records are concatenated.
    pub fn train_files(self) -> &'static [&'static str] {
        match self {
            CifarSet::Cifar10 => &[
                "data_batch_1.bin",
                "data_batch_2.bin",
                "data_batch_3.bin",
                "data_batch_4.bin",
                "data_batch_5.bin",
            ],
            CifarSet::Cifar100 => &["train.bin"],
        }
    }

    /// The test file.
    pub fn test_file(self) -> &'static str {
        match self {
            CifarSet::Cifar10 => "test_batch.bin",
            CifarSet::Cifar100 => "test.bin",
        }
    }

    /// Label bytes at the start of each record.
    pub fn label_bytes(self) -> usize {
        match self {
            CifarSet::Cifar10 => 1,
            CifarSet::Cifar100 => 2,
        }
    }

    /// Bytes per record.
    pub fn record_size(self) -> usize {
        self.label_bytes() + PIXELS
    }

    /// Per-channel (R, G, B) mean and standard deviation of the training pixels in [0, 1].
    pub fn normalisation(self) -> ([f32; 3], [f32; 3]) {
        match self {
            CifarSet::Cifar10 => ([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]),
            CifarSet::Cifar100 => ([0.5071, 0.4865, 0.4409], [0.2673, 0.2564, 0.2762]),
        }
    }

    /// Official record counts: (per training file, test file).
    fn official_counts(self) -> RecordCounts {
        match self {
            CifarSet::Cifar10 => RecordCounts {
                per_train_file: 10_000,
                test: 10_000,
            },
            CifarSet::Cifar100 => RecordCounts {
                per_train_file: 50_000,
                test: 10_000,
            },
        }
    }

    fn files(self) -> impl Iterator<Item = &'static str> {
        self.train_files()
            .iter()
            .copied()
            .chain(std::iter::once(self.test_file()))
    }
}

/// How many records each file must hold (the official counts, or small ones in tests).
#[derive(Debug, Clone, Copy)]
struct RecordCounts {
    per_train_file: usize,
    test: usize,
}

/// The folder holding `set`'s .bin files: `dir` itself, or its official archive subfolder.
pub fn find_cifar_dir(dir: &Path, set: CifarSet) -> Option<PathBuf> {
    [dir.to_path_buf(), dir.join(set.archive_folder())]
        .into_iter()
        .find(|d| set.files().all(|f| d.join(f).is_file()))
}

/// Why `set` cannot be loaded from `dir` (`None` when every file is there): names the expected
/// files and says where to get them. `dir` is normally `<data-dir>/cifar10` or `cifar100`.
pub fn cifar_missing(dir: &Path, set: CifarSet) -> Option<String> {
    if find_cifar_dir(dir, set).is_some() {
        return None;
    }
    let files: Vec<&str> = set.files().collect();
    Some(format!(
        "{}: {} not found: expected {} in this folder or in its subfolder {}/; download the \
         binary version from https://www.cs.toronto.edu/~kriz/cifar.html and unpack it under \
         <data-dir>/{}",
        dir.display(),
        set.title(),
        files.join(", "),
        set.archive_folder(),
        set.dir_name()
    ))
}

/// Loads CIFAR-10 from `dir` (see [`find_cifar_dir`]): images N x 3 x 32 x 32, normalised
/// per channel with [`CifarSet::normalisation`]; the last `val` of the 50,000 training images
/// are the validation split; the 10,000 test images are the test split.
pub fn load_cifar10(dir: &Path, val: usize) -> anyhow::Result<Dataset> {
    load(
        dir,
        CifarSet::Cifar10,
        Cifar100Labels::Fine,
        val,
        CifarSet::Cifar10.official_counts(),
    )
}

/// Loads CIFAR-100 from `dir` like [`load_cifar10`], with the fine (100) or coarse (20)
/// labels as classes; the channel statistics are CIFAR-100's.
pub fn load_cifar100(dir: &Path, val: usize, labels: Cifar100Labels) -> anyhow::Result<Dataset> {
    load(
        dir,
        CifarSet::Cifar100,
        labels,
        val,
        CifarSet::Cifar100.official_counts(),
    )
}

fn load(
    dir: &Path,
    set: CifarSet,
    labels: Cifar100Labels,
    val: usize,
    counts: RecordCounts,
) -> anyhow::Result<Dataset> {
    let found = find_cifar_dir(dir, set).ok_or_else(|| {
        // Name the first missing file of the folder the user most likely meant.
        let base = if dir.join(set.archive_folder()).is_dir() {
            dir.join(set.archive_folder())
        } else {
            dir.to_path_buf()
        };
        let missing = set
            .files()
            .map(|f| base.join(f))
            .find(|p| !p.is_file())
            .unwrap_or_else(|| base.clone());
        anyhow::anyhow!(
            "{}: missing. {}",
            missing.display(),
            cifar_missing(dir, set).unwrap_or_default()
        )
    })?;
    let (mean, std) = set.normalisation();
    let (classes, label_at) = match (set, labels) {
        (CifarSet::Cifar10, _) => (10, 0),
        (CifarSet::Cifar100, Cifar100Labels::Coarse) => (20, 0),
        (CifarSet::Cifar100, Cifar100Labels::Fine) => (100, 1),
    };
    let mut train = Records::default();
    for file in set.train_files() {
        read_records(&found.join(file), set, counts.per_train_file, &mut train)?;
    }
    let mut test = Records::default();
    read_records(&found.join(set.test_file()), set, counts.test, &mut test)?;
    let n = train.len();
    if val >= n {
        bail!(
            "{}: a validation split of {val} images leaves none of the {n} training images",
            found.display()
        );
    }
    let to_split = |records: &Records, start: usize, len: usize| -> Split {
        let mut x = Tensor::from_slice(&records.pixels[start * PIXELS..(start + len) * PIXELS])
            .view([len as i64, 3, 32, 32])
            .to_kind(Kind::Float);
        // In place: the CIFAR-10 training images alone are 600 MB as floats.
        let _ = x.g_div_scalar_(255.0);
        let _ = x.g_sub_(&Tensor::from_slice(&mean).view([1, 3, 1, 1]));
        let _ = x.g_div_(&Tensor::from_slice(&std).view([1, 3, 1, 1]));
        let y: Vec<i64> = records.labels
            [start * set.label_bytes()..(start + len) * set.label_bytes()]
            .chunks_exact(set.label_bytes())
            .map(|l| l[label_at] as i64)
            .collect();
        Split {
            x,
            y: Tensor::from_slice(&y),
        }
    };
    Ok(Dataset {
        train: to_split(&train, 0, n - val),
        val: to_split(&train, n - val, val),
        test: to_split(&test, 0, test.len()),
        num_classes: classes,
    })
}

/// Raw records: pixel bytes and label bytes, record after record.
#[derive(Debug, Default)]
pub struct Records {
    /// 3,072 pixel bytes per record (channel-major 32 x 32).
    pub pixels: Vec<u8>,
    /// The label bytes of each record (1 for CIFAR-10; coarse, fine for CIFAR-100).
    pub labels: Vec<u8>,
}

impl Records {
    fn len(&self) -> usize {
        self.pixels.len() / PIXELS
    }
}

/// Appends the records of `path` to `out` after checking its length against `expected`
/// records (before reading anything) and every label byte's range.
fn read_records(
    path: &Path,
    set: CifarSet,
    expected: usize,
    out: &mut Records,
) -> anyhow::Result<()> {
    let record = set.record_size();
    let mut file =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let length = file
        .metadata()
        .with_context(|| format!("{}: cannot read its size", path.display()))?
        .len();
    if length % record as u64 != 0 {
        bail!(
            "{}: {length} bytes is not a whole number of {record}-byte {} records \
             (truncated or not the binary version)",
            path.display(),
            set.title()
        );
    }
    let count = length / record as u64;
    if count != expected as u64 {
        bail!("{}: {count} records, expected {expected}", path.display());
    }
    let mut bytes = Vec::with_capacity(expected * record);
    file.by_ref()
        .take(length)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    if bytes.len() != expected * record {
        bail!(
            "{}: read {} bytes, expected {} (the file changed while being read)",
            path.display(),
            bytes.len(),
            expected * record
        );
    }
    parse_records(&bytes, &path.display().to_string(), set, expected, out)
}

/// Appends the records held in `bytes` to `out` after checking that they are exactly
/// `expected` whole records and every label byte's range; `name` labels errors.
pub fn parse_records(
    bytes: &[u8],
    name: &str,
    set: CifarSet,
    expected: usize,
    out: &mut Records,
) -> anyhow::Result<()> {
    let record = set.record_size();
    if bytes.len() != expected * record {
        bail!(
            "{name}: {} bytes, expected {expected} {}-byte {} records",
            bytes.len(),
            record,
            set.title()
        );
    }
    let limits: &[u8] = match set {
        CifarSet::Cifar10 => &[10],
        CifarSet::Cifar100 => &[20, 100],
    };
    out.pixels.reserve(expected * PIXELS);
    out.labels.reserve(expected * limits.len());
    for (index, rec) in bytes.chunks_exact(record).enumerate() {
        let (labels, pixels) = rec.split_at(limits.len());
        for ((&label, &limit), what) in labels.iter().zip(limits).zip(["coarse ", "fine "]) {
            if label >= limit {
                let what = if limits.len() == 1 { "" } else { what };
                bail!(
                    "{name}: record {index}: {what}label {label} is out of range 0..{}",
                    limit - 1
                );
            }
        }
        out.labels.extend_from_slice(labels);
        out.pixels.extend_from_slice(pixels);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: RecordCounts = RecordCounts {
        per_train_file: 3,
        test: 2,
    };

    /// A record whose pixels encode (record id, channel, row, col) deterministically.
    fn record(set: CifarSet, id: usize, labels: &[u8]) -> Vec<u8> {
        let mut out = labels[..set.label_bytes()].to_vec();
        out.extend((0..PIXELS).map(|p| ((p * 7 + id * 31) % 251) as u8));
        out
    }

    /// Writes every file of `set` with `counts` records; record `i` of the whole training
    /// sequence has label `i % 10` (CIFAR-100: coarse `i % 20`, fine `(i * 3) % 100`).
    fn write_set(dir: &Path, set: CifarSet, counts: RecordCounts) {
        std::fs::create_dir_all(dir).unwrap();
        let mut id = 0;
        let mut write = |name: &str, n: usize| {
            let mut bytes = Vec::new();
            for _ in 0..n {
                let labels = match set {
                    CifarSet::Cifar10 => vec![(id % 10) as u8],
                    CifarSet::Cifar100 => vec![(id % 20) as u8, ((id * 3) % 100) as u8],
                };
                bytes.extend(record(set, id, &labels));
                id += 1;
            }
            std::fs::write(dir.join(name), bytes).unwrap();
        };
        for f in set.train_files() {
            write(f, counts.per_train_file);
        }
        write(set.test_file(), counts.test);
    }

    fn denormalise(set: CifarSet, x: &Tensor) -> Tensor {
        let (mean, std) = set.normalisation();
        let mean = Tensor::from_slice(&mean).view([1, 3, 1, 1]);
        let std = Tensor::from_slice(&std).view([1, 3, 1, 1]);
        ((x * std + mean) * 255.0).round()
    }

    #[test]
    fn cifar10_pixels_labels_and_validation_split() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cifar10");
        write_set(&dir, CifarSet::Cifar10, SMALL);
        let data = load(&dir, CifarSet::Cifar10, Cifar100Labels::Fine, 4, SMALL).unwrap();
        assert_eq!(
            (data.train.len(), data.val.len(), data.test.len()),
            (11, 4, 2)
        );
        assert_eq!(data.num_classes, 10);
        assert_eq!(data.train.x.size(), vec![11, 3, 32, 32]);
        assert_eq!(data.train.x.kind(), Kind::Float);
        assert_eq!(
            Vec::<i64>::try_from(&data.train.y).unwrap(),
            (0..11).map(|i| i % 10).collect::<Vec<_>>()
        );
        // The validation split is the last 4 training records (ids 11..15).
        assert_eq!(Vec::<i64>::try_from(&data.val.y).unwrap(), vec![1, 2, 3, 4]);
        let pixel = |id: usize, c: usize, r: usize, col: usize| {
            ((((c * 32 + r) * 32 + col) * 7 + id * 31) % 251) as f64
        };
        let train = denormalise(CifarSet::Cifar10, &data.train.x);
        let val = denormalise(CifarSet::Cifar10, &data.val.x);
        let test = denormalise(CifarSet::Cifar10, &data.test.x);
        for (c, r, col) in [(0, 0, 0), (1, 5, 17), (2, 31, 30), (2, 0, 31)] {
            let at = |t: &Tensor, i: i64| t.double_value(&[i, c as i64, r as i64, col as i64]);
            assert_eq!(at(&train, 0), pixel(0, c, r, col));
            assert_eq!(at(&train, 7), pixel(7, c, r, col));
            assert_eq!(at(&val, 3), pixel(14, c, r, col));
            assert_eq!(at(&test, 1), pixel(16, c, r, col));
        }
        // Normalised per channel: record 0's first red pixel is 0, so it maps to -mean / std.
        let (mean, std) = CifarSet::Cifar10.normalisation();
        assert_eq!(pixel(0, 0, 0, 0), 0.0);
        let expected = f64::from(-mean[0] / std[0]);
        assert!((data.train.x.double_value(&[0, 0, 0, 0]) - expected).abs() < 1e-6);
    }

    #[test]
    fn cifar100_fine_or_coarse_from_the_archive_subfolder() {
        let tmp = tempfile::tempdir().unwrap();
        let counts = RecordCounts {
            per_train_file: 6,
            test: 3,
        };
        write_set(
            &tmp.path().join("cifar-100-binary"),
            CifarSet::Cifar100,
            counts,
        );
        assert_eq!(cifar_missing(tmp.path(), CifarSet::Cifar100), None);
        let fine = load(
            tmp.path(),
            CifarSet::Cifar100,
            Cifar100Labels::Fine,
            1,
            counts,
        )
        .unwrap();
        assert_eq!(fine.num_classes, 100);
        assert_eq!(
            Vec::<i64>::try_from(&fine.train.y).unwrap(),
            vec![0, 3, 6, 9, 12]
        );
        assert_eq!(
            Vec::<i64>::try_from(&fine.test.y).unwrap(),
            vec![18, 21, 24]
        );
        let coarse = load(
            tmp.path(),
            CifarSet::Cifar100,
            Cifar100Labels::Coarse,
            2,
            counts,
        )
        .unwrap();
        assert_eq!(coarse.num_classes, 20);
        assert_eq!(Vec::<i64>::try_from(&coarse.val.y).unwrap(), vec![4, 5]);
        let px = denormalise(CifarSet::Cifar100, &fine.val.x);
        assert_eq!(
            px.double_value(&[0, 1, 2, 3]),
            ((((32 + 2) * 32 + 3) * 7 + 5 * 31) % 251) as f64
        );
    }

    #[test]
    fn missing_data_names_the_files_and_the_download() {
        let tmp = tempfile::tempdir().unwrap();
        let msg = cifar_missing(tmp.path(), CifarSet::Cifar10).unwrap();
        for needle in [
            "data_batch_1.bin",
            "data_batch_5.bin",
            "test_batch.bin",
            "cifar-10-batches-bin/",
            "https://www.cs.toronto.edu/~kriz/cifar.html",
            "<data-dir>/cifar10",
        ] {
            assert!(msg.contains(needle), "{needle} not in {msg}");
        }
        let msg = cifar_missing(tmp.path(), CifarSet::Cifar100).unwrap();
        assert!(msg.contains("train.bin, test.bin") && msg.contains("<data-dir>/cifar100"));
        // One file absent: the loader's error names it.
        write_set(tmp.path(), CifarSet::Cifar10, SMALL);
        std::fs::remove_file(tmp.path().join("data_batch_3.bin")).unwrap();
        let err = load_cifar10(tmp.path(), 0).unwrap_err().to_string();
        assert!(err.contains("data_batch_3.bin: missing"), "{err}");
    }

    #[test]
    fn corrupt_files_are_named_errors() {
        let tmp = tempfile::tempdir().unwrap();
        write_set(tmp.path(), CifarSet::Cifar10, SMALL);
        let load10 = |val| {
            load(
                tmp.path(),
                CifarSet::Cifar10,
                Cifar100Labels::Fine,
                val,
                SMALL,
            )
            .unwrap_err()
            .to_string()
        };
        // The official counts are checked by the public loader.
        let err = load_cifar10(tmp.path(), 0).unwrap_err().to_string();
        assert!(
            err.contains("data_batch_1.bin: 3 records, expected 10000"),
            "{err}"
        );
        let err = load10(15);
        assert!(
            err.contains("leaves none of the 15 training images"),
            "{err}"
        );

        let path = tmp.path().join("data_batch_2.bin");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.pop();
        std::fs::write(&path, &bytes).unwrap();
        let err = load10(0);
        assert!(
            err.contains("data_batch_2.bin: 9218 bytes is not a whole number of 3073-byte"),
            "{err}"
        );

        bytes.push(0);
        bytes.extend(record(CifarSet::Cifar10, 0, &[0]));
        std::fs::write(&path, &bytes).unwrap();
        assert!(load10(0).contains("data_batch_2.bin: 4 records, expected 3"));

        write_set(tmp.path(), CifarSet::Cifar10, SMALL);
        let path = tmp.path().join("test_batch.bin");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[3073] = 10;
        std::fs::write(&path, &bytes).unwrap();
        let err = load10(0);
        assert!(
            err.contains("test_batch.bin: record 1: label 10 is out of range 0..9"),
            "{err}"
        );

        let counts = RecordCounts {
            per_train_file: 2,
            test: 2,
        };
        write_set(tmp.path(), CifarSet::Cifar100, counts);
        let path = tmp.path().join("train.bin");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[3074 + 1] = 100;
        std::fs::write(&path, &bytes).unwrap();
        let err = load(
            tmp.path(),
            CifarSet::Cifar100,
            Cifar100Labels::Coarse,
            0,
            counts,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("train.bin: record 1: fine label 100 is out of range 0..99"),
            "{err}"
        );
        bytes[3074 + 1] = 0;
        bytes[0] = 20;
        std::fs::write(&path, &bytes).unwrap();
        let err = load(
            tmp.path(),
            CifarSet::Cifar100,
            Cifar100Labels::Fine,
            0,
            counts,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("train.bin: record 0: coarse label 20 is out of range 0..19"),
            "{err}"
        );
    }
}
