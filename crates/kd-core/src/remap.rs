//! Parameter remapping: start a wider model from a narrower trained one of the same layout
//! (the initialisation option of distillation from a weak teacher).
//!
//! Every variable of the target that has a same-named variable in the source gets the source's
//! values in its leading slice (`[..s0, ..s1, ...]`); along every dimension but the first (the
//! inputs of a weight), the entries beyond the source's extent are zeroed, so the new units
//! receive the old units' inputs as usual but feed nothing into old units at first. A wider MLP
//! or CNN so initialised computes the narrower model's function exactly (without dropout), and
//! its new units still get gradients through their random incoming weights.
use tch::{nn, Tensor};

/// Copies `from` into `to` as described in the module docs. Returns how many variables were
/// remapped; fails when a shared variable is smaller in `to` along some dimension, or when no
/// variable is shared.
pub fn remap_parameters(from: &nn::VarStore, to: &nn::VarStore) -> Result<usize, String> {
    let source = from.variables();
    let mut target: Vec<(String, Tensor)> = to.variables().into_iter().collect();
    target.sort_by(|a, b| a.0.cmp(&b.0));
    let mut remapped = 0;
    tch::no_grad(|| {
        for (name, dst) in &mut target {
            let Some(src) = source.get(name) else {
                continue;
            };
            let (s, d) = (src.size(), dst.size());
            if s.len() != d.len() || s.iter().zip(&d).any(|(a, b)| a > b) {
                return Err(format!(
                    "remap_init: variable '{name}' is {s:?} in the weak teacher but {d:?} in the \
                     student; remapping needs the same layout with equal or larger sizes"
                ));
            }
            for dim in 1..d.len() {
                if s[dim] < d[dim] {
                    let _ = dst.narrow(dim as i64, s[dim], d[dim] - s[dim]).zero_();
                }
            }
            let mut slice = dst.shallow_clone();
            for (dim, &len) in s.iter().enumerate() {
                slice = slice.narrow(dim as i64, 0, len);
            }
            slice.copy_(src);
            remapped += 1;
        }
        Ok(())
    })?;
    if remapped == 0 {
        return Err(
            "remap_init: the weak teacher and the student share no parameter names \
                    (the architectures differ in layout)"
                .into(),
        );
    }
    Ok(remapped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn::Module;
    use tch::{Device, Kind};

    fn mlp(vs: &nn::VarStore, widths: &[i64]) -> nn::Sequential {
        let root = vs.root();
        let mut seq = nn::seq();
        for (i, w) in widths.windows(2).enumerate() {
            seq = seq.add(nn::linear(
                &root / format!("l{i}"),
                w[0],
                w[1],
                Default::default(),
            ));
            if i + 2 < widths.len() {
                seq = seq.add_fn(|x| x.relu());
            }
        }
        seq
    }

    #[test]
    fn the_wider_model_computes_the_narrow_models_function() {
        tch::manual_seed(3);
        let small_vs = nn::VarStore::new(Device::Cpu);
        let small = mlp(&small_vs, &[5, 4, 3, 2]);
        let big_vs = nn::VarStore::new(Device::Cpu);
        let big = mlp(&big_vs, &[5, 9, 7, 2]);
        let x = Tensor::randn([6, 5], (Kind::Float, Device::Cpu));
        let before = (big.forward(&x) - small.forward(&x))
            .abs()
            .max()
            .double_value(&[]);
        assert!(before > 1e-3);
        assert_eq!(remap_parameters(&small_vs, &big_vs).unwrap(), 6);
        let after = (big.forward(&x) - small.forward(&x))
            .abs()
            .max()
            .double_value(&[]);
        assert!(after < 1e-6, "{after}");
        // The new units keep random incoming weights (they can still learn).
        let w = big_vs.variables()["l1.weight"].narrow(0, 3, 4);
        assert!(w.abs().sum(Kind::Float).double_value(&[]) > 0.0);
    }

    #[test]
    fn refuses_a_narrower_target_or_a_different_layout() {
        let a = nn::VarStore::new(Device::Cpu);
        mlp(&a, &[5, 9, 2]);
        let b = nn::VarStore::new(Device::Cpu);
        mlp(&b, &[5, 4, 2]);
        assert!(remap_parameters(&a, &b)
            .unwrap_err()
            .contains("variable 'l0."));
        let c = nn::VarStore::new(Device::Cpu);
        let _ = nn::linear(c.root() / "other", 5, 2, Default::default());
        assert!(remap_parameters(&b, &c)
            .unwrap_err()
            .contains("share no parameter"));
    }
}
