//! A full disk, a read-only results folder and a folder written by a newer kdbench: each
//! gives a clear error, and nothing already written is damaged. The disk and the read-only
//! folder are real: a small tmpfs mounted for the test (needs root, as in CI; elsewhere the
//! test says why it did not run).
mod common;
use common::{kdbench, read_csv, stderr};
use std::path::{Path, PathBuf};
use std::process::Command;

const SUITE: &[&str] = &[
    "run",
    "--suite",
    "smoke",
    "--methods",
    "student",
    "--set",
    "epochs=2",
];

/// A tmpfs mounted on a fresh folder, unmounted on drop.
struct Tmpfs {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `4m`), or says why it cannot.
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("mnt");
        std::fs::create_dir(&dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed (root needed): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs {
            dir,
            _parent: parent,
        })
    }

    fn remount(&self, mode: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "remount {mode}: {out:?}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).output();
    }
}

fn run(out: &Path, seeds: &str, resume: bool) -> std::process::Output {
    let mut args = SUITE.to_vec();
    let out = out.to_str().unwrap();
    args.extend(["--seeds", seeds, "--out", out]);
    if resume {
        args.push("--resume");
    }
    kdbench(&args)
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(snapshot(&path));
        } else {
            files.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    files.sort();
    files
}

/// Sorted score rows of a results folder.
fn scores(dir: &Path) -> Vec<Vec<String>> {
    let (_, mut rows) = read_csv(&dir.join("scores.csv"));
    rows.sort();
    rows
}

/// Each CSV of `dir` parses with every row as wide as its header (no torn row).
fn assert_untorn(dir: &Path) {
    for name in ["runs.csv", "scores.csv", "curves.csv"] {
        let (header, rows) = read_csv(&dir.join(name));
        for row in &rows {
            assert_eq!(row.len(), header.len(), "{name}: torn row {row:?}");
        }
    }
}

#[test]
fn a_full_disk_stops_the_suite_cleanly_and_resume_finishes_it() {
    let disk = match Tmpfs::mount("8m") {
        Ok(disk) => disk,
        Err(reason) => {
            eprintln!("SKIPPED a_full_disk...: {reason}");
            return;
        }
    };
    let reference = tempfile::tempdir().unwrap();
    assert!(run(reference.path(), "0..4", false).status.success());

    let out = disk.dir.join("results");
    assert!(run(&out, "0,1", false).status.success());
    // Fill the disk to the last byte, then ask for more runs.
    let filler = disk.dir.join("filler");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.write_all(&[0u8]);
    }
    let full = run(&out, "0..4", true);
    let text = stderr(&full);
    assert!(
        !full.status.success(),
        "a full disk must fail the run: {text}"
    );
    assert!(
        text.contains("No space left") && text.contains(out.to_str().unwrap()),
        "the error names the cause and the file: {text}"
    );
    assert_untorn(&out);
    let (_, runs) = read_csv(&out.join("runs.csv"));
    assert!(runs.len() >= 2, "the runs done before are kept: {runs:?}");

    std::fs::remove_file(&filler).unwrap();
    let resumed = run(&out, "0..4", true);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_untorn(&out);
    let (_, runs) = read_csv(&out.join("runs.csv"));
    let ok: std::collections::BTreeSet<&str> = runs
        .iter()
        .filter(|r| r[5] == "ok")
        .map(|r| r[4].as_str())
        .collect();
    assert_eq!(ok.len(), 4, "{runs:?}");
    assert_eq!(scores(&out), scores(reference.path()));
}

#[test]
fn a_read_only_results_folder_is_refused_untouched() {
    let disk = match Tmpfs::mount("4m") {
        Ok(disk) => disk,
        Err(reason) => {
            eprintln!("SKIPPED a_read_only...: {reason}");
            return;
        }
    };
    let out = disk.dir.join("results");
    assert!(run(&out, "0", false).status.success());
    let before = snapshot(&out);
    disk.remount("ro");
    let refused = run(&out, "0,1", true);
    disk.remount("rw");
    let text = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{text}");
    assert!(
        text.contains("--out") && text.contains("not writable"),
        "{text}"
    );
    assert_eq!(snapshot(&out), before);
}

#[test]
fn a_folder_of_a_newer_kdbench_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("FORMAT"), "kdbench-results 99\n").unwrap();
    std::fs::write(out.join("runs.csv"), "run_id,new_column\nx,y").unwrap();
    let before = snapshot(&out);
    let refused = run(&out, "0", true);
    let text = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{text}");
    assert!(
        text.contains("newer kdbench") && text.contains("FORMAT"),
        "{text}"
    );
    assert_eq!(snapshot(&out), before);
}
