//! End-to-end: methods declared in `methods/*.toml` (no code) are listed, run beside the
//! built-in ones, and a mistake in them is a usage error naming the file and key.
mod common;
use common::*;

#[test]
fn methods_folder_declares_runnable_methods() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("methods")).unwrap();
    std::fs::write(
        dir.path().join("methods/mine.toml"),
        "[kd_cosine]\ndescription = 'KD at T = 2 with a cosine-decaying weight'\n\
         regime = 'one_way'\nlosses.ce = { weight = 0.5 }\n\
         losses.kd = { weight = 0.5, temperature = 2.0, schedule = 'cosine_decay' }\n",
    )
    .unwrap();
    let list = command(&["list", "methods"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(stdout(&list).contains("kd_cosine"), "{}", stdout(&list));
    std::fs::write(
        dir.path().join("mine.toml"),
        "baseline = 'student'\nseeds = [0]\ntasks = ['digits-mlp']\n\
         methods = ['student', 'kd_cosine']\n[defaults]\nepochs = 5\n",
    )
    .unwrap();
    let run = command(&["run", "--suite", "mine.toml", "--out", "r"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let values = metric_values(&dir.path().join("r/scores.csv"), "final_acc");
    assert!(
        values.iter().any(|(m, _, _)| m == "kd_cosine"),
        "{values:?}"
    );

    std::fs::write(
        dir.path().join("methods/typo.toml"),
        "[bad]\nregime = 'one_way'\nlosses.kd = { temprature = 2 }\n",
    )
    .unwrap();
    let bad = command(&["list", "methods"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let message = stderr(&bad);
    assert!(
        message.contains("typo.toml") && message.contains("method.bad.losses.kd.temprature"),
        "{message}"
    );
}
