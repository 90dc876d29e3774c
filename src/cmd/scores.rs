//! Reading one or more scores files for `compare`, `gate` and `leaderboard`.
use kd_harness::error::bad_input;
use kd_harness::store::{read_scores, ScoreRow};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Reads and concatenates scores files; a (task, method, seed, metric) given twice (in one
/// file or across files) is an error naming both places, and so is a task whose files
/// disagree on its seeds (methods are compared over the same seeds; see [`check_alignment`]).
pub fn read_all(files: &[PathBuf]) -> anyhow::Result<Vec<ScoreRow>> {
    let mut seen: BTreeMap<(String, String, u64, String), String> = BTreeMap::new();
    let mut per_file: Vec<(String, Vec<ScoreRow>)> = Vec::new();
    for file in files {
        let here = file.display().to_string();
        let rows = read_scores(file)?;
        for row in &rows {
            let key = (
                row.task.clone(),
                row.method.clone(),
                row.seed,
                row.metric.clone(),
            );
            if let Some(first) = seen.insert(key, here.clone()) {
                return Err(bad_input(format!(
                    "{here}: task {} method {} seed {} metric {} is also in {first}: each run may appear once",
                    row.task, row.method, row.seed, row.metric
                )));
            }
        }
        per_file.push((here, rows));
    }
    check_alignment(&per_file)?;
    Ok(per_file.into_iter().flat_map(|(_, rows)| rows).collect())
}

/// With several files (e.g. a method trained elsewhere beside kdbench's results), each task
/// they share must have the same seeds in every file: a missing or extra seed would compare
/// methods over different runs.
pub fn check_alignment(files: &[(String, Vec<ScoreRow>)]) -> anyhow::Result<()> {
    use std::collections::BTreeSet;
    let mut first: BTreeMap<&str, (&str, BTreeSet<u64>)> = BTreeMap::new();
    for (name, rows) in files {
        let mut seeds: BTreeMap<&str, BTreeSet<u64>> = BTreeMap::new();
        for row in rows {
            seeds.entry(row.task.as_str()).or_default().insert(row.seed);
        }
        for (task, here) in seeds {
            match first.get(task) {
                None => {
                    first.insert(task, (name.as_str(), here));
                }
                Some((other, there)) if *there != here => {
                    let missing: Vec<&u64> = there.difference(&here).collect();
                    let extra: Vec<&u64> = here.difference(there).collect();
                    return Err(bad_input(format!(
                        "{name}: task {task} has seeds {here:?}, but {other} has {there:?} \
                         (missing here: {missing:?}, extra here: {extra:?}); give every method \
                         the same seeds of the same task split (shards of one run: join them \
                         with `kdbench merge` first)"
                    )));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}
