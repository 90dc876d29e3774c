//! Parsing `--device` values into tch devices, with a clear error when CUDA is missing.
use tch::Device;

/// Parses `cpu`, `cuda` or `cuda:N` and checks that the device exists on this machine.
pub fn parse_device(spec: &str) -> Result<Device, String> {
    let spec = spec.trim();
    match spec {
        "cpu" => Ok(Device::Cpu),
        "cuda" => cuda_device(0, spec),
        _ => match spec.strip_prefix("cuda:") {
            Some(index) => {
                let index: usize = index.parse().map_err(|_| {
                    format!("bad device '{spec}': expected cpu, cuda or cuda:N with N a GPU index")
                })?;
                cuda_device(index, spec)
            }
            None => Err(format!("bad device '{spec}': expected cpu, cuda or cuda:N")),
        },
    }
}

fn cuda_device(index: usize, spec: &str) -> Result<Device, String> {
    let count = tch::Cuda::device_count().max(0) as usize;
    if count == 0 {
        return Err(format!(
            "device '{spec}' requested, but libtorch sees no CUDA device on this machine \
             (no NVIDIA GPU or driver); use --device cpu"
        ));
    }
    if index >= count {
        return Err(format!(
            "device '{spec}' requested, but this machine has {count} CUDA device(s) (cuda:0..cuda:{})",
            count - 1
        ));
    }
    Ok(Device::Cuda(index))
}

/// The short name of a device as written in `runs.csv` (`cpu`, `cuda:0`).
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".into(),
        Device::Cuda(i) => format!("cuda:{i}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_rejects_garbage() {
        assert_eq!(parse_device("cpu").unwrap(), Device::Cpu);
        assert!(parse_device("gpu").unwrap_err().contains("expected cpu"));
        assert!(parse_device("cuda:x").unwrap_err().contains("GPU index"));
    }

    #[test]
    fn cuda_fails_clearly_without_a_gpu() {
        if tch::Cuda::is_available() {
            assert!(parse_device("cuda").is_ok());
        } else {
            let err = parse_device("cuda").unwrap_err();
            assert!(err.contains("no CUDA device"), "{err}");
            assert!(parse_device("cuda:3").unwrap_err().contains("--device cpu"));
        }
    }
}
