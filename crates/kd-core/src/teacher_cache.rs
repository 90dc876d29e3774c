//! A disk cache of trained teachers, so that the `teacher` method and every distillation
//! method of the same seed share one trained teacher (and its logits on the training set).
//! Safe to delete at any time.
use anyhow::Context;
use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::path::{Path, PathBuf};
use tch::{nn, Device, Tensor};

/// Trained teachers stored under a folder, keyed by a hash of everything that shapes them.
#[derive(Debug, Clone)]
pub struct TeacherCache {
    dir: PathBuf,
}

impl TeacherCache {
    /// A cache in `dir` (created on first store).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        TeacherCache { dir: dir.into() }
    }

    /// The folder of the cache.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads the teacher for `key` into `vs` and returns its record (e.g. its training
    /// report), or trains it with `train` and stores weights and record. `key` must describe
    /// the architecture, data, training settings and seed. A damaged entry (unreadable
    /// weights, or a record that does not parse as `R`) is retrained and overwritten.
    pub fn get_or_train<R, E>(
        &self,
        key: &str,
        vs: &mut nn::VarStore,
        train: impl FnOnce(&mut nn::VarStore) -> Result<R, E>,
    ) -> Result<R, E>
    where
        R: Serialize + DeserializeOwned,
        E: From<anyhow::Error>,
    {
        let hash = key_hash(key);
        let _lock = self.lock(&hash)?;
        let weights = self.dir.join(format!("teacher-{hash}.safetensors"));
        let record_path = self.dir.join(format!("teacher-{hash}.json"));
        if weights.exists() {
            if let Some(record) = read_json(&record_path, "report") {
                if vs.load(&weights).is_ok() {
                    return Ok(record);
                }
            }
        }
        let record = train(vs)?;
        // Logits of an earlier training of this entry no longer describe these weights.
        let _ = std::fs::remove_file(self.logits_path(&hash));
        let tmp_weights = weights.with_extension("tmp.safetensors");
        vs.save(&tmp_weights)
            .with_context(|| format!("writing {}", tmp_weights.display()))?;
        std::fs::rename(&tmp_weights, &weights)
            .with_context(|| format!("writing {}", weights.display()))?;
        write_json(&record_path, key, "report", &record)?;
        Ok(record)
    }

    /// Returns the logits on the training set of the teacher stored under `key` (the key of
    /// [`TeacherCache::get_or_train`]), kept next to its weights, or computes them with
    /// `compute` and stores them. Stored logits that do not read, or do not have `rows` rows,
    /// are recomputed; training the entry again discards them.
    pub fn get_or_compute_logits<E>(
        &self,
        key: &str,
        rows: i64,
        compute: impl FnOnce() -> Result<Tensor, E>,
    ) -> Result<Tensor, E>
    where
        E: From<anyhow::Error>,
    {
        let hash = key_hash(key);
        let _lock = self.lock(&hash)?;
        let path = self.logits_path(&hash);
        if let Ok(stored) = Tensor::read_safetensors(&path) {
            if let Some((_, logits)) = stored.into_iter().find(|(name, _)| name == "logits") {
                if logits.dim() == 2 && logits.size()[0] == rows {
                    return Ok(logits);
                }
            }
        }
        let logits = compute()?;
        let tmp = path.with_extension("tmp.safetensors");
        Tensor::write_safetensors(
            &[("logits", logits.to_device(Device::Cpu).contiguous())],
            &tmp,
        )
        .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(logits)
    }

    /// Where the training-set logits of the teacher with hash `hash` are kept.
    fn logits_path(&self, hash: &str) -> PathBuf {
        self.dir.join(format!("teacher-{hash}.logits.safetensors"))
    }

    /// Returns the stored result for `key`, or computes it with `compute` and stores it (for
    /// trainings whose outcome, not weights, is shared: e.g. both sides of a co-training).
    pub fn get_or_compute<T, E>(
        &self,
        key: &str,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        E: From<anyhow::Error>,
    {
        let hash = key_hash(key);
        let _lock = self.lock(&hash)?;
        let path = self.dir.join(format!("result-{hash}.json"));
        if let Some(result) = read_json(&path, "result") {
            return Ok(result);
        }
        let result = compute()?;
        write_json(&path, key, "result", &result)?;
        Ok(result)
    }

    /// Holds the entry's lock file exclusively until the returned file is dropped. Runs of a
    /// suite are separate processes (and the lock is per open file, so threads of one process
    /// exclude each other too): two runs needing the same entry wait for one training instead
    /// of both training.
    fn lock(&self, hash: &str) -> anyhow::Result<File> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating the cache {}", self.dir.display()))?;
        let path = self.dir.join(format!("{hash}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
        Ok(file)
    }
}

/// The first 16 hex digits of the key's SHA-256.
fn key_hash(key: &str) -> String {
    format!("{:x}", Sha256::digest(key.as_bytes()))[..16].to_string()
}

/// The value under `field` of the JSON file at `path`, if the file is there and parses.
fn read_json<T: DeserializeOwned>(path: &Path, field: &str) -> Option<T> {
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    serde_json::from_value(value.get(field)?.clone()).ok()
}

/// Writes `{"key": key, field: value}` to `path` atomically (a temporary file, then a rename).
fn write_json<T: Serialize>(path: &Path, key: &str, field: &str, value: &T) -> anyhow::Result<()> {
    let mut json = serde_json::Map::new();
    json.insert("key".into(), key.into());
    json.insert(field.into(), serde_json::to_value(value)?);
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&json)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
