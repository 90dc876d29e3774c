//! Times the default IQM bootstrap (10,000 reps) for 5 methods on a
//! 6-task × 20-seed score table: `cargo run --release --example bootstrap_timing -p kd-stats`.

use kd_stats::{compare, CompareOptions, ScoreRecord};

fn main() {
    let mut records = Vec::new();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for task in 0..6 {
        for method in 0..5 {
            for seed in 0..20 {
                // xorshift: deterministic pseudo-scores in [0.6, 0.9)
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                records.push(ScoreRecord {
                    task: format!("task{task}"),
                    method: format!("m{method}"),
                    seed,
                    value: 0.6 + 0.3 * u + 0.01 * method as f64,
                });
            }
        }
    }
    let start = std::time::Instant::now();
    let report = compare(&records, "m0", "acc", &CompareOptions::default()).expect("valid input");
    let elapsed = start.elapsed();
    for row in &report.aggregates {
        println!("{}", row.to_strings().join(","));
    }
    println!(
        "compare + aggregates ({} reps): {:.3} s",
        CompareOptions::default().bootstrap_reps,
        elapsed.as_secs_f64()
    );
}
