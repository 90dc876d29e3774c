//! `kdbench bench`: kdbench's hot paths timed side by side with a Python reference (PyTorch
//! eager, Gymnasium, a torchvision-style loader, rliable) in the same invocation, back to back,
//! so both sides see the same machine load. Each bench times `rounds` rounds of `units` units of
//! work after a warm-up and keeps the fastest round (the one least disturbed by other load).
pub mod data;
pub mod env_step;
pub mod reference;
pub mod stats;
pub mod train_step;

use reference::Started;
use serde_json::{json, Value};
use std::time::Instant;

/// One side-by-side measurement.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Stable name, e.g. `train-step/mlp/b128`.
    pub name: String,
    /// What one unit is (`step`, `epoch`, `ci`).
    pub unit: &'static str,
    /// Units timed per round.
    pub units: usize,
    /// Timed rounds per side (the fastest counts).
    pub rounds: usize,
    /// libtorch intra-op threads on both sides (1 for benches that use none).
    pub threads: usize,
    /// kdbench's seconds per unit.
    pub kdbench_per_unit_s: f64,
    /// What the reference side ran (e.g. `PyTorch 2.13.0+cu130 eager`), or why it did not.
    pub reference: Reference,
}

/// The outcome of the reference side.
#[derive(Debug, Clone)]
pub enum Reference {
    /// It ran: seconds per unit and a description of what ran.
    Ran {
        /// Seconds per unit.
        per_unit_s: f64,
        /// What ran, with versions.
        what: String,
    },
    /// Not run (`--no-reference`, or no Python with the needed packages): why.
    Unavailable(String),
}

impl Measurement {
    /// The reference's seconds per unit, when it ran.
    pub fn reference_per_unit_s(&self) -> Option<f64> {
        match &self.reference {
            Reference::Ran { per_unit_s, .. } => Some(*per_unit_s),
            Reference::Unavailable(_) => None,
        }
    }

    /// kdbench / reference time per unit (below 1: kdbench is faster).
    pub fn ratio(&self) -> Option<f64> {
        self.reference_per_unit_s()
            .map(|r| self.kdbench_per_unit_s / r)
    }

    /// One JSON object (`ratio` and `reference_per_unit_s` are null without a reference;
    /// `reference_unavailable` then says why).
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "unit": self.unit,
            "units": self.units,
            "rounds": self.rounds,
            "threads": self.threads,
            "kdbench_per_unit_s": self.kdbench_per_unit_s,
            "reference_per_unit_s": self.reference_per_unit_s(),
            "ratio": self.ratio(),
        });
        match &self.reference {
            Reference::Ran { what, .. } => v["reference"] = json!(what),
            Reference::Unavailable(why) => v["reference_unavailable"] = json!(why),
        }
        v
    }

    /// One human-readable line.
    pub fn to_text(&self) -> String {
        let kd = format_seconds(self.kdbench_per_unit_s);
        match &self.reference {
            Reference::Ran { per_unit_s, what } => format!(
                "{:<28} kdbench {kd}/{unit}  {what} {}/{unit}  ratio {:.3} ({:.1}x {})",
                self.name,
                format_seconds(*per_unit_s),
                self.kdbench_per_unit_s / per_unit_s,
                speedup(self.kdbench_per_unit_s, *per_unit_s),
                if self.kdbench_per_unit_s <= *per_unit_s {
                    "faster"
                } else {
                    "slower"
                },
                unit = self.unit,
            ),
            Reference::Unavailable(why) => format!(
                "{:<28} kdbench {kd}/{}  reference not run: {why}",
                self.name, self.unit
            ),
        }
    }
}

fn speedup(kd: f64, reference: f64) -> f64 {
    if kd <= reference {
        reference / kd
    } else {
        kd / reference
    }
}

/// Seconds with a unit that keeps 3-4 significant digits (`12.3 ms`, `85.1 ns`).
pub fn format_seconds(s: f64) -> String {
    let (value, unit) = if s >= 1.0 {
        (s, "s")
    } else if s >= 1e-3 {
        (s * 1e3, "ms")
    } else if s >= 1e-6 {
        (s * 1e6, "us")
    } else {
        (s * 1e9, "ns")
    };
    format!("{value:.3} {unit}")
}

/// Times both sides: warms kdbench's side up with `work(warmup)` while the reference warms
/// up, then alternates `rounds` timed rounds of `work(units)` with the reference's rounds, so
/// load from other processes hits both alike. Returns kdbench's fastest round per unit and the
/// reference's (its fastest round per unit).
pub fn side_by_side(
    rounds: usize,
    units: usize,
    warmup: usize,
    reference: Started,
    mut work: impl FnMut(usize),
) -> anyhow::Result<(f64, Reference)> {
    if warmup > 0 {
        work(warmup);
    }
    let (mut process, unavailable) = match reference {
        Started::Running(mut p) => (Some((p.ready()?, p)), None),
        Started::Unavailable(why) => (None, Some(why)),
    };
    let (mut best, mut best_reference) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..rounds.max(1) {
        let start = Instant::now();
        work(units);
        best = best.min(start.elapsed().as_secs_f64());
        if let Some((_, p)) = process.as_mut() {
            best_reference = best_reference.min(p.round()?);
        }
    }
    let per_unit = |s: f64| s / units.max(1) as f64;
    let reference = match process {
        Some((what, p)) => {
            p.finish();
            Reference::Ran {
                per_unit_s: per_unit(best_reference),
                what,
            }
        }
        None => Reference::Unavailable(unavailable.unwrap_or_default()),
    };
    Ok((per_unit(best), reference))
}

/// A deterministic value in [0, 1) from `i` (splitmix64), for synthetic inputs that must be
/// identical on both sides.
pub fn unit_hash(i: u64) -> f64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(reference: Reference) -> Measurement {
        Measurement {
            name: "x".into(),
            unit: "step",
            units: 4,
            rounds: 2,
            threads: 1,
            kdbench_per_unit_s: 0.002,
            reference,
        }
    }

    #[test]
    fn ratio_is_kdbench_over_reference() {
        let ran = m(Reference::Ran {
            per_unit_s: 0.004,
            what: "PyTorch".into(),
        });
        assert_eq!(ran.ratio(), Some(0.5));
        let v = ran.to_json();
        assert_eq!(v["ratio"], json!(0.5));
        assert_eq!(v["reference_per_unit_s"], json!(0.004));
        assert!(ran.to_text().contains("2.0x faster"), "{}", ran.to_text());
        let missing = m(Reference::Unavailable("no python".into()));
        assert_eq!(missing.ratio(), None);
        assert!(missing.to_json()["ratio"].is_null());
        assert_eq!(
            missing.to_json()["reference_unavailable"],
            json!("no python")
        );
    }

    #[test]
    fn seconds_are_formatted_with_their_unit() {
        assert_eq!(format_seconds(1.5), "1.500 s");
        assert_eq!(format_seconds(0.0123), "12.300 ms");
        assert_eq!(format_seconds(8.51e-8), "85.100 ns");
        assert!(unit_hash(1) != unit_hash(2) && (0.0..1.0).contains(&unit_hash(3)));
    }
}
