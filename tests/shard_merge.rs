//! End-to-end: running a suite in shards and merging them gives the same results as one
//! unsharded run (same rows, any order).
mod common;
use common::*;

#[test]
fn shards_merged_equal_an_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "run", "--suite", "smoke", "--seeds", "0..2", "--set", "epochs=3",
    ];
    let whole = dir.path().join("whole");
    let mut args = base.to_vec();
    args.extend_from_slice(&["--out", whole.to_str().unwrap()]);
    assert!(kdbench(&args).status.success());
    let shards: Vec<_> = (0..3)
        .map(|i| dir.path().join(format!("shard{i}")))
        .collect();
    let mut total = 0;
    for (i, shard) in shards.iter().enumerate() {
        let spec = format!("{i}/3");
        let mut args = base.to_vec();
        args.extend_from_slice(&["--shard", &spec, "--out", shard.to_str().unwrap()]);
        let out = kdbench(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        total += read_csv(&shard.join("runs.csv")).1.len();
    }
    assert_eq!(total, 6, "the shards partition the 6 runs");

    let merged = dir.path().join("merged");
    let mut args = vec!["merge", merged.to_str().unwrap()];
    args.extend(shards.iter().map(|s| s.to_str().unwrap()));
    let out = kdbench(&args);
    assert!(out.status.success(), "{}", stderr(&out));

    assert_same_results(&merged, &whole);
    assert_eq!(std::fs::read_dir(merged.join("config")).unwrap().count(), 6);

    // Merging into a folder that holds runs is refused; so is a shard that is not a results folder.
    let again = kdbench(&args);
    assert_eq!(again.status.code(), Some(2));
    let bogus = kdbench(&[
        "merge",
        dir.path().join("m2").to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(bogus.status.code(), Some(2));
    assert!(
        stderr(&bogus).contains("not a results folder"),
        "{}",
        stderr(&bogus)
    );
}
