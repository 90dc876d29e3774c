//! The reports written into a results folder after `run` and `merge`: the leaderboard (CSV
//! and Markdown) and the figures.
use kd_harness::leaderboard;
use kd_harness::plot;
use kd_harness::registry::Registry;
use kd_harness::store::{read_curves, read_scores, write_atomic, ResultsStore};

/// The metric a report shows for `task`: `chosen` if given, else the task's main metric
/// (`best_acc` for a task this build does not know).
pub fn metric_for(registry: &Registry, chosen: Option<&str>, task: &str) -> String {
    chosen.map(str::to_string).unwrap_or_else(|| {
        registry
            .task(task)
            .map_or("best_acc", |t| t.primary_metric())
            .to_string()
    })
}

/// Writes `leaderboard.csv`, `leaderboard.md` and `plots/` for the runs `keep` selects, and
/// returns the Markdown of each task's main metric (`metric_of`). A plotting problem is a
/// warning, never an error.
pub fn write_reports(
    store: &ResultsStore,
    keep: &dyn Fn(&str, &str, u64) -> bool,
    baseline_of: &dyn Fn(&str) -> String,
    metric_of: &dyn Fn(&str) -> String,
) -> anyhow::Result<String> {
    let scores: Vec<_> = read_scores(&store.scores_path())?
        .into_iter()
        .filter(|r| keep(&r.task, &r.method, r.seed))
        .collect();
    let board = leaderboard::build(&scores, baseline_of);
    for warning in &board.warnings {
        eprintln!("kdbench: note: {warning}");
    }
    write_atomic(
        &store.dir().join("leaderboard.csv"),
        leaderboard::to_csv(&board).as_bytes(),
    )?;
    let full = leaderboard::to_markdown(&board, &|_, _| true, 0.05);
    write_atomic(
        &store.dir().join("leaderboard.md"),
        format!("# Leaderboard\n{full}").as_bytes(),
    )?;

    let figures = (|| -> anyhow::Result<usize> {
        let curves: Vec<_> = read_curves(&store.dir().join("curves.csv"))?
            .into_iter()
            .filter(|r| keep(&r.task, &r.method, r.seed))
            .collect();
        let baseline = scores
            .first()
            .map(|r| baseline_of(&r.task))
            .unwrap_or_else(|| "student".into());
        let report = plot::plot_figures(
            &scores,
            &curves,
            &baseline,
            &plot::default_metrics(&scores),
            &store.dir().join("plots"),
        )?;
        Ok(report.files.len())
    })();
    let plots = store.dir().join("plots");
    match figures {
        Ok(n) => eprintln!("kdbench: {n} figures in {}", plots.display()),
        Err(e) => eprintln!("kdbench: warning: could not draw the figures: {e:#}"),
    }
    Ok(leaderboard::to_markdown(
        &board,
        &|task, metric| metric == metric_of(task),
        0.05,
    ))
}
