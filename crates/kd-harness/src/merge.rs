//! Joining the results folders of shards (`kdbench run --shard I/N`) into one.
use crate::error::bad_input;
use crate::store::{read_curves, read_runs, read_scores, write_atomic, ResultsStore, RunRecord};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergeSummary {
    /// Runs written to the merged folder.
    pub runs: usize,
    /// Cells found in more than one shard with the same config (the first shard's copy is kept).
    pub duplicates: usize,
}

/// The last recorded run of each cell of one shard folder, preferring an `ok` run.
fn final_runs(dir: &Path) -> anyhow::Result<BTreeMap<(String, String, u64), RunRecord>> {
    let path = dir.join("runs.csv");
    if !path.is_file() {
        return Err(bad_input(format!(
            "{}: not a results folder (no runs.csv)",
            dir.display()
        )));
    }
    crate::store::check_format(dir)?;
    let mut cells: BTreeMap<(String, String, u64), RunRecord> = BTreeMap::new();
    for run in read_runs(&path)? {
        let key = (run.task.clone(), run.method.clone(), run.seed);
        let keep_old = cells
            .get(&key)
            .is_some_and(|old| old.status == "ok" && run.status != "ok");
        if !keep_old {
            cells.insert(key, run);
        }
    }
    Ok(cells)
}

/// Appends the runs of every shard folder to `store` (which must hold no runs yet), with
/// their scores, curves and configs. A cell present in two shards with different configs
/// is an error; with the same config the first shard's copy is kept.
pub fn merge_into(store: &ResultsStore, shards: &[PathBuf]) -> anyhow::Result<MergeSummary> {
    let mut summary = MergeSummary::default();
    let mut seen: BTreeMap<(String, String, u64), (String, PathBuf)> = BTreeMap::new();
    let mut plan = Vec::new();
    for shard in shards {
        for (key, run) in final_runs(shard)? {
            match seen.get(&key) {
                Some((hash, _)) if *hash == run.config_hash => summary.duplicates += 1,
                Some((hash, first)) => {
                    return Err(bad_input(format!(
                        "{}: run {}/{}/seed {} has config {}, but {} has it with config {hash}: \
                         the shards come from different configs",
                        shard.display(),
                        key.0,
                        key.1,
                        key.2,
                        run.config_hash,
                        first.display()
                    )))
                }
                None => {
                    seen.insert(key, (run.config_hash.clone(), shard.clone()));
                    plan.push((shard.clone(), run));
                }
            }
        }
    }
    let mut by_shard: BTreeMap<PathBuf, Vec<RunRecord>> = BTreeMap::new();
    for (shard, run) in plan {
        by_shard.entry(shard).or_default().push(run);
    }
    for (shard, runs) in by_shard {
        let scores = read_scores(&shard.join("scores.csv"))?;
        let curves = read_curves(&shard.join("curves.csv"))?;
        for run in runs {
            let same = |task: &str, method: &str, seed: u64| {
                task == run.task && method == run.method && seed == run.seed
            };
            let run_scores: Vec<_> = if run.status == "ok" {
                scores
                    .iter()
                    .filter(|s| same(&s.task, &s.method, s.seed))
                    .cloned()
                    .collect()
            } else {
                vec![]
            };
            let run_curves: Vec<_> = curves
                .iter()
                .filter(|c| same(&c.task, &c.method, c.seed))
                .cloned()
                .collect();
            let config = shard.join("config").join(format!("{}.toml", run.run_id));
            if let Ok(text) = std::fs::read(&config) {
                write_atomic(
                    &store
                        .dir()
                        .join("config")
                        .join(format!("{}.toml", run.run_id)),
                    &text,
                )?;
            }
            copy_tree(
                &shard.join("artifacts").join(&run.run_id),
                &store.dir().join("artifacts").join(&run.run_id),
            )?;
            store.append_run(&run, &run_scores, &run_curves)?;
            summary.runs += 1;
        }
    }
    Ok(summary)
}

/// Copies the files under `from` (if it exists) to `to`, keeping the tree.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(to).map_err(|e| anyhow::anyhow!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| anyhow::anyhow!("{}: {e}", from.display()))? {
        let path = entry?.path();
        let target = to.join(path.file_name().expect("a directory entry has a name"));
        if path.is_dir() {
            copy_tree(&path, &target)?;
        } else {
            std::fs::copy(&path, &target)
                .map_err(|e| anyhow::anyhow!("copying {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_tree_copies_nested_files_and_ignores_a_missing_source() {
        let tmp = tempfile::tempdir().unwrap();
        let from = tmp.path().join("a");
        std::fs::create_dir_all(from.join("sub")).unwrap();
        std::fs::write(from.join("grid.png"), b"png").unwrap();
        std::fs::write(from.join("sub").join("data.bin"), b"bin").unwrap();
        let to = tmp.path().join("b");
        copy_tree(&from, &to).unwrap();
        assert_eq!(std::fs::read(to.join("grid.png")).unwrap(), b"png");
        assert_eq!(
            std::fs::read(to.join("sub").join("data.bin")).unwrap(),
            b"bin"
        );
        copy_tree(&tmp.path().join("missing"), &tmp.path().join("c")).unwrap();
        assert!(!tmp.path().join("c").exists());
    }
}
