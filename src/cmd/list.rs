//! `kdbench list suites|tasks|methods`: one entry per line, its name first.
use kd_harness::registry::Registry;
use kd_harness::suite::Suite;

/// What to list.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum What {
    /// Built-in suites.
    Suites,
    /// Registered tasks.
    Tasks,
    /// Built-in methods.
    Methods,
}

/// Prints the entries of `what`.
pub fn list(registry: &Registry, what: What) -> anyhow::Result<()> {
    let rows: Vec<(String, String)> = match what {
        What::Suites => registry
            .suite_names()
            .into_iter()
            .map(|name| {
                let description =
                    Suite::load(&name, &|n| registry.suite_text(n), &registry.suite_names())
                        .map(|s| s.description)
                        .unwrap_or_else(|e| format!("(invalid: {e})"));
                (name, description)
            })
            .collect(),
        What::Tasks => registry
            .tasks()
            .iter()
            .map(|t| (t.name().to_string(), t.description().to_string()))
            .collect(),
        What::Methods => registry
            .methods()
            .iter()
            .map(|m| (m.name.clone(), m.description.clone()))
            .collect(),
    };
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, description) in rows {
        println!("{name:<width$}  {description}");
    }
    Ok(())
}
