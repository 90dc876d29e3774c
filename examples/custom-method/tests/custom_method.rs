//! The example binary is a full kdbench with the extra method: listed, composable in a suite,
//! run (in child processes of the same binary), scored and compared.
use std::process::Command;

fn my_kdbench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_my-kdbench"))
        .args(args)
        .output()
        .expect("my-kdbench runs")
}

#[test]
fn the_custom_method_is_listed_and_learns_the_digits() {
    let list = my_kdbench(&["list", "methods"]);
    let listed = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(
        listed.contains("logit_matching") && listed.contains("born_again"),
        "{listed}"
    );

    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("mine.toml");
    std::fs::write(
        &suite,
        "baseline = 'student'\nseeds = [0, 1]\ntasks = ['digits-mlp']\n\
         methods = ['student', 'kd', 'logit_matching']\n[defaults]\nepochs = 20\n",
    )
    .unwrap();
    let out = dir.path().join("r");
    let run = my_kdbench(&[
        "run",
        "--suite",
        suite.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "1",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr).to_string();
    assert!(run.status.success(), "{stderr}");
    let leaderboard = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(leaderboard.contains("logit_matching"), "{leaderboard}");
    let scores = std::fs::read_to_string(out.join("scores.csv")).unwrap();
    let accs: Vec<f64> = scores
        .lines()
        .filter(|l| l.contains(",logit_matching,") && l.contains(",final_acc,"))
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(accs.len(), 2, "{scores}");
    // A 16-unit student on 10 digit classes after 20 epochs: far above chance (0.1).
    assert!(accs.iter().all(|&a| a > 0.7), "{accs:?}");
}

#[test]
fn a_typo_in_the_custom_loss_is_an_error_naming_the_key() {
    let run = my_kdbench(&[
        "run",
        "--suite",
        "smoke",
        "--set",
        "method.kd.losses.logit_mse.centr=false",
        "--out",
        tempfile::tempdir()
            .unwrap()
            .path()
            .join("r")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr).to_string();
    assert!(
        stderr.contains("method.kd.losses.logit_mse.centr"),
        "{stderr}"
    );
}
