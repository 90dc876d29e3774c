//! Reading one or more scores files for `compare`, `gate` and `leaderboard`.
use kd_harness::error::bad_input;
use kd_harness::store::{read_scores, ScoreRow};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Reads and concatenates scores files; a (task, method, seed, metric) given twice (in one
/// file or across files) is an error naming both places.
pub fn read_all(files: &[PathBuf]) -> anyhow::Result<Vec<ScoreRow>> {
    let mut seen: BTreeMap<(String, String, u64, String), String> = BTreeMap::new();
    let mut all = Vec::new();
    for file in files {
        for row in read_scores(file)? {
            let key = (
                row.task.clone(),
                row.method.clone(),
                row.seed,
                row.metric.clone(),
            );
            let here = file.display().to_string();
            if let Some(first) = seen.insert(key, here.clone()) {
                return Err(bad_input(format!(
                    "{here}: task {} method {} seed {} metric {} is also in {first}: each run may appear once",
                    row.task, row.method, row.seed, row.metric
                )));
            }
            all.push(row);
        }
    }
    Ok(all)
}
