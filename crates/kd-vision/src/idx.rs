//! The IDX format of MNIST and Fashion-MNIST (raw or gzipped): big-endian magic 2051 for
//! images (then count, rows, cols, then count*rows*cols bytes) and 2049 for labels (then
//! count, then count bytes).
use anyhow::{bail, Context};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;

/// Images as parsed: `count` images of `rows` x `cols` bytes, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// All pixels, image after image.
    pub pixels: Vec<u8>,
}

/// Reads a file, decompressing it when it starts with the gzip magic.
fn read_maybe_gz(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .with_context(|| format!("{}: corrupt gzip data", path.display()))?;
        Ok(out)
    } else {
        Ok(bytes)
    }
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Parses IDX image bytes; `source` names the file in errors.
pub fn parse_images(bytes: &[u8], source: &str) -> anyhow::Result<IdxImages> {
    if bytes.len() < 16 {
        bail!(
            "{source}: {} bytes is too short for an IDX image header (16 bytes)",
            bytes.len()
        );
    }
    let magic = be_u32(bytes, 0);
    if magic != 2051 {
        bail!("{source}: bad magic number {magic}, expected 2051 (IDX images)");
    }
    let (count, rows, cols) = (
        be_u32(bytes, 4) as usize,
        be_u32(bytes, 8) as usize,
        be_u32(bytes, 12) as usize,
    );
    let expected = count
        .checked_mul(rows)
        .and_then(|v| v.checked_mul(cols))
        .and_then(|v| v.checked_add(16));
    if expected != Some(bytes.len()) {
        bail!(
            "{source}: the header says {count} images of {rows}x{cols} ({} bytes with the header), but the file has {} bytes (truncated or corrupt)",
            expected.map(|v| v.to_string()).unwrap_or_else(|| "too many".into()),
            bytes.len()
        );
    }
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: bytes[16..].to_vec(),
    })
}

/// Parses IDX label bytes; `source` names the file in errors.
pub fn parse_labels(bytes: &[u8], source: &str) -> anyhow::Result<Vec<u8>> {
    if bytes.len() < 8 {
        bail!(
            "{source}: {} bytes is too short for an IDX label header (8 bytes)",
            bytes.len()
        );
    }
    let magic = be_u32(bytes, 0);
    if magic != 2049 {
        bail!("{source}: bad magic number {magic}, expected 2049 (IDX labels)");
    }
    let count = be_u32(bytes, 4) as usize;
    if bytes.len() != count + 8 {
        bail!(
            "{source}: the header says {count} labels ({} bytes with the header), but the file has {} bytes (truncated or corrupt)",
            count + 8,
            bytes.len()
        );
    }
    Ok(bytes[8..].to_vec())
}

/// Reads an images file (raw or gzipped).
pub fn read_images(path: &Path) -> anyhow::Result<IdxImages> {
    parse_images(&read_maybe_gz(path)?, &path.display().to_string())
}

/// Reads a labels file (raw or gzipped).
pub fn read_labels(path: &Path) -> anyhow::Result<Vec<u8>> {
    parse_labels(&read_maybe_gz(path)?, &path.display().to_string())
}

/// Writes IDX files (used by tests and by tools that export data).
pub fn encode_images(images: &IdxImages) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + images.pixels.len());
    for v in [
        2051u32,
        images.count as u32,
        images.rows as u32,
        images.cols as u32,
    ] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(&images.pixels);
    out
}

/// Encodes labels as IDX.
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&2049u32.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    fn sample() -> IdxImages {
        IdxImages {
            count: 3,
            rows: 2,
            cols: 2,
            pixels: (0..12).collect(),
        }
    }

    #[test]
    fn round_trips_raw_and_gzipped() {
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("train-images-idx3-ubyte");
        std::fs::write(&raw, encode_images(&sample())).unwrap();
        assert_eq!(read_images(&raw).unwrap(), sample());
        let gz = dir.path().join("labels.gz");
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(&encode_labels(&[1, 2, 3])).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert_eq!(read_labels(&gz).unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn corrupt_files_are_named_errors() {
        let mut bytes = encode_images(&sample());
        bytes.pop();
        let err = parse_images(&bytes, "imgs").unwrap_err().to_string();
        assert!(
            err.starts_with("imgs:") && err.contains("truncated"),
            "{err}"
        );
        let err = parse_images(&encode_labels(&[1; 12]), "imgs")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad magic number 2049"), "{err}");
        assert!(parse_labels(&[0, 0], "l")
            .unwrap_err()
            .to_string()
            .contains("too short"));
        // A huge count in the header must not allocate: it is checked against the length.
        let mut huge = encode_images(&sample());
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse_images(&huge, "h")
            .unwrap_err()
            .to_string()
            .contains("truncated"));
        let mut labels = encode_labels(&[1, 2]);
        labels[4..8].copy_from_slice(&9u32.to_be_bytes());
        assert!(parse_labels(&labels, "l")
            .unwrap_err()
            .to_string()
            .contains("says 9 labels"));
    }
}
