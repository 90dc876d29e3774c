//! Fetches the NLU data sets into a folder and reports how long each took:
//! `cargo run -p kd-nlu --example fetch_nlu -- DIR [NAME...]`.
use kd_nlu::datasets::nlu_data;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .map(std::path::PathBuf::from)
        .ok_or_else(|| anyhow::anyhow!("usage: fetch_nlu DIR [NAME...]"))?;
    let names: Vec<String> = args.collect();
    for spec in nlu_data() {
        if !names.is_empty() && !names.iter().any(|n| n == spec.name) {
            continue;
        }
        let start = Instant::now();
        spec.fetch(&dir, &|line| eprintln!("{line}"))?;
        spec.verify(&dir)?;
        println!("{}: {:.1} s", spec.name, start.elapsed().as_secs_f64());
    }
    Ok(())
}
