//! Adds an rpath to the libtorch that torch-sys linked, so binaries and tests run without
//! LD_LIBRARY_PATH; with the `mujoco` feature, also to MuJoCo, and points the crate at the
//! Gymnasium model files (`KD_RL_MUJOCO_ASSETS`) that it embeds.
fn main() {
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
    if std::env::var_os("CARGO_FEATURE_MUJOCO").is_some() {
        let lib = mujoco_lib_dir();
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
        let assets = lib.parent().expect("lib has a parent").join("assets");
        for xml in [
            "half_cheetah.xml",
            "hopper.xml",
            "walker2d_v5.xml",
            "swimmer.xml",
        ] {
            let path = assets.join(xml);
            if !path.is_file() {
                panic!(
                    "the mujoco feature needs {}: run scripts/mujoco.sh",
                    path.display()
                );
            }
            println!("cargo:rerun-if-changed={}", path.display());
        }
        println!("cargo:rustc-env=KD_RL_MUJOCO_ASSETS={}", assets.display());
    }
}

/// `MUJOCO_DYNAMIC_LINK_DIR` (set by `.cargo/config.toml` to `.mujoco/lib`), resolved.
fn mujoco_lib_dir() -> std::path::PathBuf {
    println!("cargo:rerun-if-env-changed=MUJOCO_DYNAMIC_LINK_DIR");
    let dir = std::env::var("MUJOCO_DYNAMIC_LINK_DIR").unwrap_or_else(|_| {
        panic!("the mujoco feature needs MUJOCO_DYNAMIC_LINK_DIR (set by .cargo/config.toml): run scripts/mujoco.sh")
    });
    std::fs::canonicalize(std::path::Path::new(&dir).join("libmujoco.so"))
        .ok()
        .and_then(|so| so.parent().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| {
            panic!("the mujoco feature needs {dir}/libmujoco.so: run scripts/mujoco.sh")
        })
}
