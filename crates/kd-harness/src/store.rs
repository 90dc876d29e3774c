//! The results folder: `runs.csv`, `scores.csv`, `curves.csv` and `config/`, written so that
//! a crash or kill never corrupts them.
//!
//! A finished run's curve rows, then its score rows, then its `runs.csv` row are appended,
//! each append flushed and fsynced; the `runs.csv` row commits the run. On opening, a torn
//! last line (a crash mid-append) is cut off, and score and curve rows of runs that never
//! committed `ok` are dropped, so `--resume` redoes exactly the unfinished runs. An append
//! that fails (disk full) is cut back to the file's last complete row. The file `FORMAT`
//! names the folder's layout version, so a kdbench never alters a folder a newer one wrote.
use crate::error::bad_input;
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The layout version of results folders this kdbench writes, recorded in `FORMAT`.
pub const RESULTS_FORMAT: u32 = 1;

/// The first word of `FORMAT`.
const FORMAT_TAG: &str = "kdbench-results";

/// Columns of `runs.csv`.
pub const RUNS_HEADER: &[&str] = &[
    "run_id",
    "suite",
    "task",
    "method",
    "seed",
    "status",
    "config_hash",
    "device",
    "seconds",
    "started_at",
    "git_rev",
    "params_student",
    "params_teacher",
    "message",
];
/// Columns of `scores.csv`.
pub const SCORES_HEADER: &[&str] = &["suite", "task", "method", "seed", "metric", "value"];
/// Columns of `curves.csv`.
pub const CURVES_HEADER: &[&str] = &[
    "suite", "task", "method", "seed", "step", "split", "metric", "value",
];

/// One row of `runs.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// `task.method.sSEED.HASH`.
    pub run_id: String,
    /// Suite name.
    pub suite: String,
    /// Task name.
    pub task: String,
    /// Method name.
    pub method: String,
    /// Run seed.
    pub seed: u64,
    /// `ok`, `diverged`, `failed` or `skipped`.
    pub status: String,
    /// Hash of the resolved config.
    pub config_hash: String,
    /// Device the run used.
    pub device: String,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Start time, RFC 3339 UTC.
    pub started_at: String,
    /// `git describe`-style revision of the kdbench checkout, or `unknown`.
    pub git_rev: String,
    /// Student parameters (empty when none).
    pub params_student: Option<u64>,
    /// Teacher parameters (empty when none).
    pub params_teacher: Option<u64>,
    /// Skip reason, error text or note.
    pub message: String,
}

impl RunRecord {
    fn fields(&self) -> Vec<String> {
        let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        vec![
            self.run_id.clone(),
            self.suite.clone(),
            self.task.clone(),
            self.method.clone(),
            self.seed.to_string(),
            self.status.clone(),
            self.config_hash.clone(),
            self.device.clone(),
            format!("{:.3}", self.seconds),
            self.started_at.clone(),
            self.git_rev.clone(),
            opt(self.params_student),
            opt(self.params_teacher),
            self.message.clone(),
        ]
    }

    fn from_csv(row: &csv::StringRecord, at: &str) -> anyhow::Result<RunRecord> {
        let get = |i: usize| row.get(i).unwrap_or("").to_string();
        let num = |i: usize, what: &str| -> anyhow::Result<Option<u64>> {
            let text = get(i);
            if text.is_empty() {
                return Ok(None);
            }
            text.parse()
                .map(Some)
                .map_err(|_| bad_input(format!("{at}: {what} '{text}' is not a whole number")))
        };
        Ok(RunRecord {
            run_id: get(0),
            suite: get(1),
            task: get(2),
            method: get(3),
            seed: num(4, "seed")?.unwrap_or(0),
            status: get(5),
            config_hash: get(6),
            device: get(7),
            seconds: get(8).parse().unwrap_or(f64::NAN),
            started_at: get(9),
            git_rev: get(10),
            params_student: num(11, "params_student")?,
            params_teacher: num(12, "params_teacher")?,
            message: get(13),
        })
    }
}

/// One row of `scores.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    /// Suite name.
    pub suite: String,
    /// Task name.
    pub task: String,
    /// Method name.
    pub method: String,
    /// Run seed.
    pub seed: u64,
    /// Metric name.
    pub metric: String,
    /// Value.
    pub value: f64,
}

/// One row of `curves.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveRow {
    /// Suite name.
    pub suite: String,
    /// Task name.
    pub task: String,
    /// Method name.
    pub method: String,
    /// Run seed.
    pub seed: u64,
    /// Epoch or environment step.
    pub step: u64,
    /// Split (e.g. `val`, `teacher/val`).
    pub split: String,
    /// Metric name.
    pub metric: String,
    /// Value.
    pub value: f64,
}

/// Writes one CSV line (quoted as needed) into a string.
fn csv_line(fields: &[String]) -> String {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    writer.write_record(fields).expect("writing to memory");
    String::from_utf8(writer.into_inner().expect("flush to memory")).expect("utf-8")
}

/// Shortest round-trip text of a float.
pub fn fmt_value(v: f64) -> String {
    format!("{v}")
}

/// The open results folder.
pub struct ResultsStore {
    dir: PathBuf,
    write_lock: Mutex<()>,
}

/// The run rows found in a results folder when it was opened.
pub type ExistingRuns = Vec<RunRecord>;

impl ResultsStore {
    /// Opens (creating) `dir`. Without `resume`, a folder that already holds runs is an
    /// error, so nothing is ever overwritten; with it, the finished runs are returned.
    pub fn open(dir: &Path, resume: bool) -> anyhow::Result<(ResultsStore, ExistingRuns)> {
        check_format(dir)?;
        std::fs::create_dir_all(dir.join("config")).map_err(|e| {
            bad_input(format!(
                "--out {}: cannot create the results folder: {e}",
                dir.display()
            ))
        })?;
        let probe = dir.join(".write-test");
        File::create(&probe)
            .and_then(|mut f| f.write_all(b"ok"))
            .map_err(|e| {
                bad_input(format!(
                    "--out {}: the folder is not writable: {e}",
                    dir.display()
                ))
            })?;
        let _ = std::fs::remove_file(&probe);
        let format = dir.join("FORMAT");
        if !format.exists() {
            write_atomic(
                &format,
                format!("{FORMAT_TAG} {RESULTS_FORMAT}\n").as_bytes(),
            )?;
        }
        let store = ResultsStore {
            dir: dir.to_path_buf(),
            write_lock: Mutex::new(()),
        };
        for (name, header) in [
            ("runs.csv", RUNS_HEADER),
            ("scores.csv", SCORES_HEADER),
            ("curves.csv", CURVES_HEADER),
        ] {
            prepare_file(&dir.join(name), header)?;
        }
        let runs = read_runs(&dir.join("runs.csv"))?;
        if !runs.is_empty() && !resume {
            return Err(bad_input(format!(
                "--out {}: already holds {} run(s); pass --resume to continue them, or choose another --out",
                dir.display(),
                runs.len()
            )));
        }
        let committed: BTreeSet<(String, String, u64)> = runs
            .iter()
            .filter(|r| r.status == "ok")
            .map(|r| (r.task.clone(), r.method.clone(), r.seed))
            .collect();
        prune_uncommitted(&dir.join("scores.csv"), &committed)?;
        prune_uncommitted(&dir.join("curves.csv"), &committed)?;
        Ok((store, runs))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of `scores.csv`.
    pub fn scores_path(&self) -> PathBuf {
        self.dir.join("scores.csv")
    }

    /// Appends a finished run: curves, then scores, then the committing `runs.csv` row.
    pub fn append_run(
        &self,
        record: &RunRecord,
        scores: &[ScoreRow],
        curves: &[CurveRow],
    ) -> anyhow::Result<()> {
        let _guard = self.write_lock.lock().expect("results lock poisoned");
        let curve_text: String = curves
            .iter()
            .map(|c| {
                csv_line(&[
                    c.suite.clone(),
                    c.task.clone(),
                    c.method.clone(),
                    c.seed.to_string(),
                    c.step.to_string(),
                    c.split.clone(),
                    c.metric.clone(),
                    fmt_value(c.value),
                ])
            })
            .collect();
        append_synced(&self.dir.join("curves.csv"), &curve_text)?;
        let score_text: String = scores
            .iter()
            .map(|s| {
                csv_line(&[
                    s.suite.clone(),
                    s.task.clone(),
                    s.method.clone(),
                    s.seed.to_string(),
                    s.metric.clone(),
                    fmt_value(s.value),
                ])
            })
            .collect();
        append_synced(&self.dir.join("scores.csv"), &score_text)?;
        append_synced(&self.dir.join("runs.csv"), &csv_line(&record.fields()))?;
        Ok(())
    }

    /// Writes the resolved config of a run to `config/<run_id>.toml`.
    pub fn write_config(&self, run_id: &str, text: &str) -> anyhow::Result<()> {
        let path = self.dir.join("config").join(format!("{run_id}.toml"));
        write_atomic(&path, text.as_bytes())
    }
}

/// Checks `dir/FORMAT` (absent in a new folder and in folders of kdbench before it): a
/// folder of a newer layout, or a `FORMAT` that is not ours, is refused before anything in
/// the folder is touched.
pub fn check_format(dir: &Path) -> anyhow::Result<()> {
    let path = dir.join("FORMAT");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let version = text
        .trim()
        .strip_prefix(FORMAT_TAG)
        .and_then(|rest| rest.trim().parse::<u32>().ok())
        .ok_or_else(|| {
            bad_input(format!(
                "{}: expected '{FORMAT_TAG} <version>', found '{}': not a kdbench results folder",
                path.display(),
                text.trim()
            ))
        })?;
    if version > RESULTS_FORMAT {
        return Err(bad_input(format!(
            "{}: written by a newer kdbench (results format {version}; this kdbench knows \
             format {RESULTS_FORMAT}); nothing was changed: use the newer kdbench, or another --out",
            path.display()
        )));
    }
    Ok(())
}

/// Appends `text` and fsyncs (nothing to do for empty text). If the write fails (disk
/// full), the file is cut back to its length before the append, so no torn row is left
/// between complete ones.
fn append_synced(path: &Path, text: &str) -> anyhow::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    let mut file = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot open for appending: {e}", path.display()))?;
    let before = file
        .metadata()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        .len();
    if let Err(e) = file
        .write_all(text.as_bytes())
        .and_then(|_| file.sync_all())
    {
        let restored = file.set_len(before).and_then(|_| file.sync_all()).is_ok();
        return Err(anyhow::anyhow!(
            "{}: write failed: {e}{}; the runs recorded so far are intact: free space and \
             rerun with --resume",
            path.display(),
            if restored {
                ""
            } else {
                " (the torn row is dropped on --resume)"
            }
        ));
    }
    Ok(())
}

/// Writes a file via a temporary sibling and a rename, so readers never see half of it.
/// The sibling's name is unique to the process and call, so concurrent writers of one path
/// (two tests fetching the same data) do not rename each other's file away: the last wins.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".{}-{call}.tmp-write", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| -> std::io::Result<()> {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::anyhow!("{}: cannot write: {e}", path.display())
    })
}

/// Creates `path` with its header, or checks the header of an existing file and cuts a torn
/// last line.
fn prepare_file(path: &Path, header: &[&str]) -> anyhow::Result<()> {
    let header_line = format!("{}\n", header.join(","));
    let mut bytes = Vec::new();
    if path.exists() {
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| bad_input(format!("{}: cannot read: {e}", path.display())))?;
    }
    if bytes.is_empty() {
        return write_atomic(path, header_line.as_bytes());
    }
    let keep = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(last_newline) => last_newline + 1,
        None => 0,
    };
    if keep < bytes.len() {
        // A torn line from an interrupted append: drop it.
        bytes.truncate(keep);
        if bytes.is_empty() {
            return write_atomic(path, header_line.as_bytes());
        }
        write_atomic(path, &bytes)?;
    }
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    if first_line != header_line.trim_end().as_bytes() {
        return Err(bad_input(format!(
            "{}: unexpected header '{}' (expected '{}'): it was written by another version of \
             kdbench or another tool; use another --out",
            path.display(),
            String::from_utf8_lossy(first_line),
            header.join(",")
        )));
    }
    Ok(())
}

/// Reads `runs.csv`.
pub fn read_runs(path: &Path) -> anyhow::Result<Vec<RunRecord>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| bad_input(format!("{}: cannot read: {e}", path.display())))?;
    let mut runs = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let at = format!("{}:{}", path.display(), i + 2);
        let row = row.map_err(|e| bad_input(format!("{at}: {e}")))?;
        runs.push(RunRecord::from_csv(&row, &at)?);
    }
    Ok(runs)
}

/// Drops rows whose (task, method, seed) has no committed `ok` run (columns 1, 2, 3).
fn prune_uncommitted(
    path: &Path,
    committed: &BTreeSet<(String, String, u64)>,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_input(format!("{}: cannot read: {e}", path.display())))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut kept = String::new();
    let mut dropped = 0usize;
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| bad_input(format!("{}:{}: {e}", path.display(), i + 1)))?;
        let fields: Vec<String> = row.iter().map(str::to_string).collect();
        if i > 0 {
            let key = (
                fields.get(1).cloned().unwrap_or_default(),
                fields.get(2).cloned().unwrap_or_default(),
                fields
                    .get(3)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(u64::MAX),
            );
            if !committed.contains(&key) {
                dropped += 1;
                continue;
            }
        }
        kept.push_str(&csv_line(&fields));
    }
    if dropped > 0 {
        write_atomic(path, kept.as_bytes())?;
    }
    Ok(())
}

/// The data rows of a CSV file whose first columns must be `header` (extra columns are
/// ignored), each with its 1-based line number; short rows are errors naming the line.
fn read_table(path: &Path, header: &[&str]) -> anyhow::Result<Vec<(usize, csv::StringRecord)>> {
    let file =
        File::open(path).map_err(|e| bad_input(format!("{}: cannot read: {e}", path.display())))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let headers = reader
        .headers()
        .map_err(|e| bad_input(format!("{}:1: {e}", path.display())))?
        .clone();
    let first: Vec<&str> = headers.iter().take(header.len()).collect();
    if first != header {
        return Err(bad_input(format!(
            "{}:1: expected the columns {} first, found {}",
            path.display(),
            header.join(","),
            headers.iter().collect::<Vec<_>>().join(",")
        )));
    }
    let mut rows = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| bad_input(format!("{}:{line}: {e}", path.display())))?;
        if row.len() < header.len() {
            return Err(bad_input(format!(
                "{}:{line}: expected at least {} columns, found {}",
                path.display(),
                header.len(),
                row.len()
            )));
        }
        rows.push((line, row));
    }
    Ok(rows)
}

/// Parses cell `k` of a row as a non-negative integer, naming the file, line and column.
fn whole_cell(
    row: &csv::StringRecord,
    k: usize,
    what: &str,
    path: &Path,
    line: usize,
) -> anyhow::Result<u64> {
    row[k].trim().parse::<u64>().map_err(|_| {
        bad_input(format!(
            "{}:{line}: {what} '{}' is not a non-negative integer",
            path.display(),
            &row[k]
        ))
    })
}

/// Parses cell `k` of a row as a number, naming the file and line.
fn number_cell(row: &csv::StringRecord, k: usize, path: &Path, line: usize) -> anyhow::Result<f64> {
    row[k].trim().parse::<f64>().map_err(|_| {
        bad_input(format!(
            "{}:{line}: value '{}' is not a number",
            path.display(),
            &row[k]
        ))
    })
}

/// Reads a scores file in the `scores.csv` schema (extra columns are ignored).
pub fn read_scores(path: &Path) -> anyhow::Result<Vec<ScoreRow>> {
    read_table(path, SCORES_HEADER)?
        .into_iter()
        .map(|(line, row)| {
            Ok(ScoreRow {
                suite: row[0].to_string(),
                task: row[1].to_string(),
                method: row[2].to_string(),
                seed: whole_cell(&row, 3, "seed", path, line)?,
                metric: row[4].to_string(),
                value: number_cell(&row, 5, path, line)?,
            })
        })
        .collect()
}

/// Reads a curves file in the `curves.csv` schema (extra columns are ignored). An absent
/// file reads as no rows; a malformed one is an error naming the file and line.
pub fn read_curves(path: &Path) -> anyhow::Result<Vec<CurveRow>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    read_table(path, CURVES_HEADER)?
        .into_iter()
        .map(|(line, row)| {
            Ok(CurveRow {
                suite: row[0].to_string(),
                task: row[1].to_string(),
                method: row[2].to_string(),
                seed: whole_cell(&row, 3, "seed", path, line)?,
                step: whole_cell(&row, 4, "step", path, line)?,
                split: row[5].to_string(),
                metric: row[6].to_string(),
                value: number_cell(&row, 7, path, line)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Threads writing one path at once all succeed, the file holds one writer's whole
    /// bytes, and no temporary sibling is left behind.
    #[test]
    fn concurrent_atomic_writes_of_one_path_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.bin");
        std::thread::scope(|scope| {
            for t in 0..4u8 {
                let path = &path;
                scope.spawn(move || {
                    for _ in 0..50 {
                        write_atomic(path, &[t; 4096]).unwrap();
                    }
                });
            }
        });
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 4096);
        assert!(bytes.iter().all(|&b| b == bytes[0]));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    fn record(task: &str, seed: u64, status: &str) -> RunRecord {
        RunRecord {
            run_id: format!("{task}.m.s{seed}.abc"),
            suite: "s".into(),
            task: task.into(),
            method: "m".into(),
            seed,
            status: status.into(),
            config_hash: "abc".into(),
            device: "cpu".into(),
            seconds: 1.5,
            started_at: "2026-01-01T00:00:00Z".into(),
            git_rev: "unknown".into(),
            params_student: Some(10),
            params_teacher: None,
            message: "a, \"quoted\" note".into(),
        }
    }

    fn score(task: &str, seed: u64, value: f64) -> ScoreRow {
        ScoreRow {
            suite: "s".into(),
            task: task.into(),
            method: "m".into(),
            seed,
            metric: "acc".into(),
            value,
        }
    }

    #[test]
    fn runs_round_trip_and_refuse_to_be_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let (store, existing) = ResultsStore::open(dir.path(), false).unwrap();
        assert!(existing.is_empty());
        store
            .append_run(&record("t", 0, "ok"), &[score("t", 0, 0.5)], &[])
            .unwrap();
        let err = ResultsStore::open(dir.path(), false)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("--resume"), "{err}");
        let (_, existing) = ResultsStore::open(dir.path(), true).unwrap();
        assert_eq!(existing, vec![record("t", 0, "ok")]);
        assert_eq!(
            read_scores(&dir.path().join("scores.csv")).unwrap(),
            vec![score("t", 0, 0.5)]
        );
    }

    /// Every file under `dir` with its bytes.
    fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(snapshot(&path));
            } else {
                files.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
        files.sort();
        files
    }

    #[test]
    fn a_folder_of_a_newer_format_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = ResultsStore::open(dir.path(), false).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("FORMAT")).unwrap(),
            format!("kdbench-results {RESULTS_FORMAT}\n")
        );
        store
            .append_run(&record("t", 0, "ok"), &[score("t", 0, 0.5)], &[])
            .unwrap();
        // A newer kdbench's folder, with a torn last line this one would otherwise cut.
        std::fs::write(dir.path().join("FORMAT"), "kdbench-results 2\n").unwrap();
        append_synced(&dir.path().join("runs.csv"), "t.m.s2.abc,s,t").unwrap();
        let before = snapshot(dir.path());
        let err = ResultsStore::open(dir.path(), true).err().unwrap();
        let text = format!("{err:#}");
        assert!(text.contains("FORMAT") && text.contains("newer"), "{text}");
        assert!(
            err.downcast_ref::<crate::error::BadInput>().is_some(),
            "{text}"
        );
        assert_eq!(snapshot(dir.path()), before);
        std::fs::write(dir.path().join("FORMAT"), "something else\n").unwrap();
        let text = format!("{:#}", ResultsStore::open(dir.path(), true).err().unwrap());
        assert!(text.contains("not a kdbench results folder"), "{text}");
    }

    #[test]
    fn a_failed_append_names_the_file_and_keeps_earlier_rows() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = ResultsStore::open(dir.path(), false).unwrap();
        store
            .append_run(&record("t", 0, "ok"), &[score("t", 0, 0.5)], &[])
            .unwrap();
        // /dev/full fails every write with ENOSPC, as a full disk does.
        let curves = dir.path().join("curves.csv");
        std::fs::remove_file(&curves).unwrap();
        std::os::unix::fs::symlink("/dev/full", &curves).unwrap();
        let row = CurveRow {
            suite: "s".into(),
            task: "t".into(),
            method: "m".into(),
            seed: 1,
            step: 1,
            split: "test".into(),
            metric: "acc".into(),
            value: 0.1,
        };
        let err = store
            .append_run(&record("t", 1, "ok"), &[score("t", 1, 0.7)], &[row])
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("curves.csv") && text.contains("--resume"),
            "{text}"
        );
        // Nothing of the failed run reached scores.csv or runs.csv.
        assert_eq!(
            read_scores(&dir.path().join("scores.csv")).unwrap(),
            vec![score("t", 0, 0.5)]
        );
        assert_eq!(read_runs(&dir.path().join("runs.csv")).unwrap().len(), 1);
    }

    #[test]
    fn torn_lines_and_uncommitted_rows_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = ResultsStore::open(dir.path(), false).unwrap();
        store
            .append_run(&record("t", 0, "ok"), &[score("t", 0, 0.5)], &[])
            .unwrap();
        // A crash after the scores of seed 1 were written but before its runs row,
        // and in the middle of a runs row of seed 2.
        append_synced(&dir.path().join("scores.csv"), "s,t,m,1,acc,0.7\n").unwrap();
        append_synced(&dir.path().join("runs.csv"), "t.m.s2.abc,s,t,m,2,o").unwrap();
        let (_, existing) = ResultsStore::open(dir.path(), true).unwrap();
        assert_eq!(existing.len(), 1);
        let runs_text = std::fs::read_to_string(dir.path().join("runs.csv")).unwrap();
        assert!(runs_text.ends_with('\n') && !runs_text.contains("s2"));
        assert_eq!(
            read_scores(&dir.path().join("scores.csv")).unwrap(),
            vec![score("t", 0, 0.5)]
        );
    }

    #[test]
    fn foreign_headers_are_rejected_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scores.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let err = ResultsStore::open(dir.path(), true)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("unexpected header"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a,b\n1,2\n");
    }

    #[test]
    fn read_scores_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(
            &path,
            "suite,task,method,seed,metric,value,extra\ns,t,m,0,acc,0.5,z\ns,t,m,1,acc,abc,z\n",
        )
        .unwrap();
        let err = read_scores(&path).unwrap_err().to_string();
        assert!(err.contains("x.csv:3") && err.contains("'abc'"), "{err}");
        std::fs::write(&path, "task,method\n").unwrap();
        assert!(read_scores(&path)
            .unwrap_err()
            .to_string()
            .contains("x.csv:1"));
    }
}
