//! What the harness knows about metric names: direction, which ones are scores, and turning
//! `scores.csv` rows of one metric into kd-stats records where higher is always better.
use crate::error::bad_input;
use crate::store::ScoreRow;
use kd_stats::compare::ScoreRecord;
use std::collections::BTreeSet;

/// True for metrics where lower is better: names ending in `errors`, `loss` or `gap`
/// (e.g. `final_errors`, `val_loss`). Every other metric is higher-is-better.
pub fn lower_is_better(metric: &str) -> bool {
    metric.ends_with("errors") || metric.ends_with("loss") || metric.ends_with("gap")
}

/// True for metrics that describe a run rather than score it (`best_epoch`), which
/// leaderboards leave out.
pub fn is_descriptive(metric: &str) -> bool {
    metric.ends_with("_epoch") || metric.ends_with("_step")
}

/// +1 for higher-is-better metrics, -1 for lower-is-better ones.
pub fn direction(metric: &str) -> f64 {
    if lower_is_better(metric) {
        -1.0
    } else {
        1.0
    }
}

/// The metrics present in `rows`, sorted.
pub fn metrics_of(rows: &[ScoreRow]) -> BTreeSet<String> {
    rows.iter().map(|r| r.metric.clone()).collect()
}

/// Chooses the metric to analyse: `wanted` if given (it must be present), else the only
/// metric, else `best_acc` when present; anything else is an error listing the choices.
pub fn pick_metric(rows: &[ScoreRow], wanted: Option<&str>) -> anyhow::Result<String> {
    let metrics = metrics_of(rows);
    let list = || metrics.iter().cloned().collect::<Vec<_>>().join(", ");
    match wanted {
        Some(m) if metrics.contains(m) => Ok(m.to_string()),
        Some(m) => Err(bad_input(format!(
            "--metric {m}: no score has this metric (present: {})",
            list()
        ))),
        None if metrics.len() == 1 => Ok(metrics.into_iter().next().expect("one metric")),
        None if metrics.contains("best_acc") => Ok("best_acc".into()),
        None if metrics.is_empty() => Err(bad_input("the scores hold no rows")),
        None => Err(bad_input(format!(
            "several metrics present; choose one with --metric ({})",
            list()
        ))),
    }
}

/// The rows of `metric` as kd-stats records, with lower-is-better metrics negated so that
/// higher is always better for the statistics.
pub fn signed_records(rows: &[ScoreRow], metric: &str) -> Vec<ScoreRecord> {
    let sign = direction(metric);
    rows.iter()
        .filter(|r| r.metric == metric)
        .map(|r| ScoreRecord {
            task: r.task.clone(),
            method: r.method.clone(),
            seed: r.seed as i64,
            value: sign * r.value,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(metric: &str, value: f64) -> ScoreRow {
        ScoreRow {
            suite: "s".into(),
            task: "t".into(),
            method: "m".into(),
            seed: 0,
            metric: metric.into(),
            value,
        }
    }

    #[test]
    fn directions_and_metric_choice() {
        assert!(lower_is_better("final_errors") && lower_is_better("val_loss"));
        assert!(!lower_is_better("best_acc") && is_descriptive("best_epoch"));
        let rows = vec![row("best_acc", 0.9), row("final_errors", 3.0)];
        assert_eq!(pick_metric(&rows, None).unwrap(), "best_acc");
        assert_eq!(
            pick_metric(&rows, Some("final_errors")).unwrap(),
            "final_errors"
        );
        assert!(pick_metric(&rows, Some("f1"))
            .unwrap_err()
            .to_string()
            .contains("present: best_acc, final_errors"));
        assert!(pick_metric(&[row("a", 1.0), row("b", 1.0)], None).is_err());
        assert_eq!(signed_records(&rows, "final_errors")[0].value, -3.0);
    }
}
