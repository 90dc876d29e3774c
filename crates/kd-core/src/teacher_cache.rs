//! A disk cache of trained teachers, so that the `teacher` method and every distillation
//! method of the same seed share one trained teacher. Safe to delete at any time.
use crate::train::{TrainError, TrainReport};
use anyhow::Context;
use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use tch::nn;

/// Serialises trainings of the same teacher within one process (parallel jobs).
static KEY_LOCKS: LazyLock<Mutex<HashMap<String, Arc<Mutex<()>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

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

    /// Loads the teacher for `key` into `vs` and returns its report, or trains it with `train`
    /// and stores it. `key` must describe the architecture, data, training settings and seed.
    pub fn get_or_train(
        &self,
        key: &str,
        vs: &mut nn::VarStore,
        train: impl FnOnce(&nn::VarStore) -> Result<TrainReport, TrainError>,
    ) -> Result<TrainReport, TrainError> {
        let hash = key_hash(key);
        let hash = hash.as_str();
        let lock = key_lock(hash);
        let _guard = lock.lock().expect("teacher lock poisoned");
        let _file_guard = self.file_lock(hash)?;
        let weights = self.dir.join(format!("teacher-{hash}.safetensors"));
        let report_path = self.dir.join(format!("teacher-{hash}.json"));
        if weights.exists() && report_path.exists() {
            if let Ok(report) = load_report(&report_path) {
                if vs.load(&weights).is_ok() {
                    return Ok(report);
                }
            }
            // A damaged entry is retrained and overwritten.
        }
        let report = train(vs)?;
        self.store(vs, &report, &weights, &report_path, key)?;
        Ok(report)
    }

    fn store(
        &self,
        vs: &nn::VarStore,
        report: &TrainReport,
        weights: &Path,
        report_path: &Path,
        key: &str,
    ) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating the teacher cache {}", self.dir.display()))?;
        let tmp_weights = weights.with_extension("tmp.safetensors");
        vs.save(&tmp_weights)
            .with_context(|| format!("writing {}", tmp_weights.display()))?;
        std::fs::rename(&tmp_weights, weights)?;
        let tmp_report = report_path.with_extension("tmp");
        let json = serde_json::json!({ "key": key, "report": report });
        std::fs::write(&tmp_report, serde_json::to_vec_pretty(&json)?)
            .with_context(|| format!("writing {}", tmp_report.display()))?;
        std::fs::rename(&tmp_report, report_path)?;
        Ok(())
    }

    /// Holds the entry's lock file exclusively (runs of a suite are separate processes, so two
    /// of them needing the same teacher wait for one training instead of both training).
    fn file_lock(&self, hash: &str) -> anyhow::Result<std::fs::File> {
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

    /// Returns the stored result for `key`, or computes it with `compute` and stores it (for
    /// trainings whose outcome, not weights, is shared: e.g. both sides of a co-training).
    pub fn get_or_compute<T: Serialize + DeserializeOwned>(
        &self,
        key: &str,
        compute: impl FnOnce() -> Result<T, TrainError>,
    ) -> Result<T, TrainError> {
        let hash = key_hash(key);
        let lock = key_lock(&hash);
        let _guard = lock.lock().expect("result lock poisoned");
        let _file_guard = self.file_lock(&hash)?;
        let path = self.dir.join(format!("result-{hash}.json"));
        if let Ok(bytes) = std::fs::read(&path) {
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                if let Ok(result) = serde_json::from_value(value["result"].clone()) {
                    return Ok(result);
                }
            }
        }
        let result = compute()?;
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating the cache {}", self.dir.display()))?;
        let tmp = path.with_extension("tmp");
        let json = serde_json::json!({ "key": key, "result": &result });
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(&json).map_err(anyhow::Error::from)?,
        )
        .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(result)
    }
}

/// The first 16 hex digits of the key's SHA-256.
fn key_hash(key: &str) -> String {
    format!("{:x}", Sha256::digest(key.as_bytes()))[..16].to_string()
}

/// The process-wide lock of one cache entry.
fn key_lock(hash: &str) -> Arc<Mutex<()>> {
    KEY_LOCKS
        .lock()
        .expect("cache lock table poisoned")
        .entry(hash.to_string())
        .or_default()
        .clone()
}

fn load_report(path: &Path) -> anyhow::Result<TrainReport> {
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    Ok(serde_json::from_value(value["report"].clone())?)
}
