//! Adds an rpath to the libtorch that torch-sys linked (and, with the `mujoco` feature, to
//! MuJoCo), so binaries and tests run without LD_LIBRARY_PATH.
fn main() {
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
    if std::env::var_os("CARGO_FEATURE_MUJOCO").is_some() {
        println!("cargo:rerun-if-env-changed=MUJOCO_DYNAMIC_LINK_DIR");
        if let Ok(dir) = std::env::var("MUJOCO_DYNAMIC_LINK_DIR") {
            let so = std::path::Path::new(&dir).join("libmujoco.so");
            if let Some(lib) = std::fs::canonicalize(so)
                .ok()
                .and_then(|p| p.parent().map(|d| d.to_path_buf()))
            {
                println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
            }
        }
    }
}
