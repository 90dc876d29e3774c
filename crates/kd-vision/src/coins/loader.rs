//! A real coin collection on disk, as `root/<emperor>/<coin_type>/{obverse,reverse}/*.{jpg,png}`
//! (the obverse and reverse photographs of one coin share a file stem), or as listed by an
//! optional `root/manifest.csv` with the columns `emperor,type,obverse,reverse` (image paths
//! relative to `root`). Images become grey, centred square crops resized to `size` pixels.
use super::hierarchy::Hierarchy;
use anyhow::{anyhow, bail, Context};
use image::imageops;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The manifest's file name inside a collection folder.
pub const MANIFEST: &str = "manifest.csv";

/// One coin: its label, a name (the file stem) and both sides as `size * size` intensities.
#[derive(Debug, Clone, PartialEq)]
pub struct Coin {
    /// Full label in the collection's [`Hierarchy`].
    pub class: usize,
    /// The file stem shared by both photographs.
    pub name: String,
    /// Obverse (head) then reverse (tail), each `size * size` in [0, 1].
    pub sides: [Vec<f32>; 2],
}

/// A loaded collection.
#[derive(Debug, Clone)]
pub struct Collection {
    /// Emperors, types and labels found.
    pub hierarchy: Hierarchy,
    /// Every coin, sorted by label then name.
    pub coins: Vec<Coin>,
}

/// Reads an image as a grey, centred square crop of `size` x `size` in [0, 1].
pub fn load_image(path: &Path, size: usize) -> anyhow::Result<Vec<f32>> {
    let img = image::open(path)
        .with_context(|| format!("{}: cannot read the image", path.display()))?
        .to_luma8();
    let (w, h) = img.dimensions();
    let side = w.min(h);
    if side == 0 {
        bail!("{}: the image is empty", path.display());
    }
    let crop = imageops::crop_imm(&img, (w - side) / 2, (h - side) / 2, side, side).to_image();
    let small = imageops::resize(
        &crop,
        size as u32,
        size as u32,
        imageops::FilterType::Triangle,
    );
    Ok(small.pixels().map(|p| p.0[0] as f32 / 255.0).collect())
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["jpg", "jpeg", "png"].contains(&e.to_ascii_lowercase().as_str()))
}

fn sorted_dirs(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot list the folder", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The images of a side folder by stem (an absent folder has none).
fn images_by_stem(dir: &Path) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?
    {
        let path = entry?.path();
        if path.is_file() && is_image(&path) {
            let stem = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if let Some(other) = out.insert(stem.clone(), path.clone()) {
                bail!(
                    "{} and {}: two images with the stem '{stem}' on one side",
                    other.display(),
                    path.display()
                );
            }
        }
    }
    Ok(out)
}

/// One coin's listing: emperor, type, stem, obverse path, reverse path.
type Listing = (String, String, String, PathBuf, PathBuf);

/// Image pairs listed by the folder layout.
fn pairs_from_folders(root: &Path) -> anyhow::Result<Vec<Listing>> {
    let name = |p: &Path| {
        p.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string()
    };
    let mut pairs = Vec::new();
    for emperor in sorted_dirs(root)? {
        for coin_type in sorted_dirs(&emperor)? {
            let obverse = images_by_stem(&coin_type.join("obverse"))?;
            let reverse = images_by_stem(&coin_type.join("reverse"))?;
            for (stem, path) in &obverse {
                if !reverse.contains_key(stem) {
                    bail!(
                        "{}: unpaired image, no reverse with the stem '{stem}' in {}",
                        path.display(),
                        coin_type.join("reverse").display()
                    );
                }
            }
            for (stem, path) in &reverse {
                let Some(front) = obverse.get(stem) else {
                    bail!(
                        "{}: unpaired image, no obverse with the stem '{stem}' in {}",
                        path.display(),
                        coin_type.join("obverse").display()
                    );
                };
                pairs.push((
                    name(&emperor),
                    name(&coin_type),
                    stem.clone(),
                    front.clone(),
                    path.clone(),
                ));
            }
        }
    }
    Ok(pairs)
}

/// Image pairs listed by `manifest.csv`.
fn pairs_from_manifest(root: &Path, manifest: &Path) -> anyhow::Result<Vec<Listing>> {
    let shown = manifest.display();
    let mut reader =
        csv::Reader::from_path(manifest).with_context(|| format!("{shown}: cannot read"))?;
    let headers = reader
        .headers()
        .with_context(|| format!("{shown}: no header"))?
        .clone();
    let column = |key: &str| {
        headers.iter().position(|h| h.trim() == key).ok_or_else(|| {
            anyhow!(
                "{shown}: no column '{key}' (expected the columns emperor,type,obverse,reverse)"
            )
        })
    };
    let cols = [
        column("emperor")?,
        column("type")?,
        column("obverse")?,
        column("reverse")?,
    ];
    let mut pairs = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("{shown}, line {line}"))?;
        let field = |c: usize, key: &str| -> anyhow::Result<String> {
            match record.get(cols[c]).map(str::trim) {
                Some(v) if !v.is_empty() => Ok(v.to_string()),
                _ => Err(anyhow!("{shown}, line {line}: '{key}' is empty")),
            }
        };
        let (obverse, reverse) = (
            root.join(field(2, "obverse")?),
            root.join(field(3, "reverse")?),
        );
        let stem = |p: &Path| {
            p.file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string()
        };
        if stem(&obverse) != stem(&reverse) {
            bail!(
                "{shown}, line {line}: unpaired images {} and {} (the obverse and reverse of a coin share a file stem)",
                obverse.display(),
                reverse.display()
            );
        }
        pairs.push((
            field(0, "emperor")?,
            field(1, "type")?,
            stem(&obverse),
            obverse,
            reverse,
        ));
    }
    Ok(pairs)
}

/// Loads the collection under `root` at `size` x `size` pixels per side.
pub fn load_collection(root: &Path, size: usize) -> anyhow::Result<Collection> {
    let manifest = root.join(MANIFEST);
    let pairs = if manifest.is_file() {
        pairs_from_manifest(root, &manifest)?
    } else {
        pairs_from_folders(root)?
    };
    if pairs.is_empty() {
        bail!(
            "{}: no coins found (expected <emperor>/<type>/obverse/*.jpg with a matching reverse/*.jpg, or {MANIFEST})",
            root.display()
        );
    }
    let names: Vec<(String, String)> = pairs.iter().map(|p| (p.0.clone(), p.1.clone())).collect();
    let hierarchy = Hierarchy::from_names(&names);
    let mut coins = Vec::with_capacity(pairs.len());
    for (emperor, coin_type, stem, obverse, reverse) in pairs {
        let e = hierarchy
            .emperors
            .iter()
            .position(|n| *n == emperor)
            .expect("listed");
        let t = hierarchy
            .types
            .iter()
            .position(|n| *n == coin_type)
            .expect("listed");
        coins.push(Coin {
            class: hierarchy.class_of(e, t).expect("listed"),
            name: stem,
            sides: [load_image(&obverse, size)?, load_image(&reverse, size)?],
        });
    }
    coins.sort_by(|a, b| (a.class, &a.name).cmp(&(b.class, &b.name)));
    Ok(Collection { hierarchy, coins })
}

/// Which split a coin goes to: of each label's coins in name order, every fifth (from the
/// first) is a test coin, every fifth from the second a validation coin, the rest train.
pub fn split_of(rank_in_class: usize) -> &'static str {
    match rank_in_class % 5 {
        0 => "test",
        1 => "val",
        _ => "train",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Luma, RgbImage};

    fn write_png(path: &Path, value: u8, w: u32, h: u32) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        GrayImage::from_pixel(w, h, Luma([value]))
            .save(path)
            .unwrap();
    }

    fn layout(root: &Path) {
        for (e, t, stem, v) in [
            ("nero", "lion", "c1", 10u8),
            ("nero", "lion", "c2", 20),
            ("nero", "eagle", "c3", 30),
            ("trajan", "lion", "c4", 40),
        ] {
            write_png(
                &root
                    .join(e)
                    .join(t)
                    .join("obverse")
                    .join(format!("{stem}.png")),
                v,
                40,
                30,
            );
            write_png(
                &root
                    .join(e)
                    .join(t)
                    .join("reverse")
                    .join(format!("{stem}.png")),
                v + 100,
                30,
                40,
            );
        }
    }

    #[test]
    fn folders_load_paired_by_stem() {
        let dir = tempfile::tempdir().unwrap();
        layout(dir.path());
        // A colour JPEG is read too, as grey.
        let jpg = dir.path().join("trajan/lion/obverse/c5.jpg");
        RgbImage::from_pixel(20, 20, image::Rgb([200, 200, 200]))
            .save(&jpg)
            .unwrap();
        write_png(&dir.path().join("trajan/lion/reverse/c5.png"), 50, 20, 20);
        let c = load_collection(dir.path(), 16).unwrap();
        assert_eq!(c.hierarchy.emperors, ["nero", "trajan"]);
        assert_eq!(c.hierarchy.types, ["eagle", "lion"]);
        assert_eq!(c.hierarchy.num_classes(), 3);
        assert_eq!(c.coins.len(), 5);
        let c3 = c.coins.iter().find(|c| c.name == "c3").unwrap();
        assert_eq!(c.hierarchy.class_name(c3.class), "nero/eagle");
        assert_eq!(c3.sides[0].len(), 256);
        assert!((c3.sides[0][0] - 30.0 / 255.0).abs() < 1e-6);
        assert!((c3.sides[1][100] - 130.0 / 255.0).abs() < 1e-6);
        let c5 = c.coins.iter().find(|c| c.name == "c5").unwrap();
        assert!((c5.sides[0][0] - 200.0 / 255.0).abs() < 0.02);
    }

    #[test]
    fn an_unpaired_image_is_named() {
        let dir = tempfile::tempdir().unwrap();
        layout(dir.path());
        let lonely = dir.path().join("nero/lion/obverse/c9.png");
        write_png(&lonely, 1, 8, 8);
        let err = load_collection(dir.path(), 16).unwrap_err().to_string();
        assert!(err.contains("c9.png") && err.contains("unpaired"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        layout(dir.path());
        write_png(&dir.path().join("nero/eagle/reverse/c7.png"), 1, 8, 8);
        let err = load_collection(dir.path(), 16).unwrap_err().to_string();
        assert!(
            err.contains("c7.png") && err.contains("no obverse"),
            "{err}"
        );
    }

    #[test]
    fn an_unreadable_image_is_named() {
        let dir = tempfile::tempdir().unwrap();
        layout(dir.path());
        std::fs::write(dir.path().join("nero/lion/obverse/c2.png"), b"not a png").unwrap();
        let err = format!("{:#}", load_collection(dir.path(), 16).unwrap_err());
        assert!(
            err.contains("c2.png") && err.contains("cannot read"),
            "{err}"
        );
    }

    #[test]
    fn a_manifest_lists_the_coins() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_png(&root.join("img/a_front/x1.png"), 10, 8, 8);
        write_png(&root.join("img/a_back/x1.png"), 20, 8, 8);
        write_png(&root.join("img/b/x2.png"), 30, 8, 8);
        write_png(&root.join("img/b/back/x2.png"), 40, 8, 8);
        std::fs::write(
            root.join(MANIFEST),
            "emperor,type,obverse,reverse\nnero,lion,img/a_front/x1.png,img/a_back/x1.png\nvespasian,lion,img/b/x2.png,img/b/back/x2.png\n",
        )
        .unwrap();
        let c = load_collection(root, 8).unwrap();
        assert_eq!(c.coins.len(), 2);
        assert_eq!(c.hierarchy.emperors, ["nero", "vespasian"]);
        assert!((c.coins[1].sides[1][0] - 40.0 / 255.0).abs() < 1e-6);
        // Errors name the file and line.
        std::fs::write(
            root.join(MANIFEST),
            "emperor,type,obverse,reverse\nnero,lion,img/a_front/x1.png,img/b/back/x2.png\n",
        )
        .unwrap();
        let err = load_collection(root, 8).unwrap_err().to_string();
        assert!(
            err.contains("manifest.csv, line 2") && err.contains("unpaired"),
            "{err}"
        );
        std::fs::write(root.join(MANIFEST), "emperor,obverse,reverse\n").unwrap();
        let err = load_collection(root, 8).unwrap_err().to_string();
        assert!(err.contains("no column 'type'"), "{err}");
    }

    #[test]
    fn an_empty_folder_says_what_is_expected() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_collection(dir.path(), 8).unwrap_err().to_string();
        assert!(err.contains("no coins found"), "{err}");
        assert_eq!(
            (0..10).map(split_of).collect::<Vec<_>>(),
            ["test", "val", "train", "train", "train", "test", "val", "train", "train", "train"]
        );
    }
}
