//! The nine GLUE tasks from their official TSV files, and their official metrics.
//!
//! kdbench cannot download GLUE: the folders of the GLUE download (`CoLA/`, `SST-2/`,
//! `MRPC/`, `STS-B/`, `QQP/`, `MNLI/`, `QNLI/`, `RTE/`, `WNLI/`) go under
//! `<data-dir>/glue/`. A task reads `train.tsv` and `dev.tsv` (MNLI: `dev_matched.tsv` and
//! `dev_mismatched.tsv`); the unlabelled `test.tsv` files are not read.
//!
//! The files are tab-separated and *not* CSV-quoted: a `"` is part of the text, so they are
//! read with quoting off and texts are kept verbatim. CoLA's files have no header row
//! (source, label, original label, sentence); every other file has one, and its columns are
//! found by name. A row whose field count differs from the header's is malformed (the real
//! QQP `train.tsv` has a few): in a train file it is skipped and its line recorded in
//! [`GlueSplits::skipped_train_lines`], in a dev file it is an error. Errors name the file
//! and line.
use crate::text::TextExample;
use anyhow::{anyhow, bail, Context};
use kd_stats::metrics::{accuracy, f1_binary, matthews_corrcoef, pearson, spearman};
use std::io::Read;
use std::path::{Path, PathBuf};

/// One of the nine GLUE tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GlueTask {
    /// Corpus of Linguistic Acceptability: is the sentence grammatical?
    Cola,
    /// Stanford Sentiment Treebank, binary: is the sentence positive?
    Sst2,
    /// Microsoft Research Paraphrase Corpus: are the two sentences paraphrases?
    Mrpc,
    /// Semantic Textual Similarity Benchmark: similarity of two sentences, 0 to 5.
    Stsb,
    /// Quora Question Pairs: are the two questions duplicates?
    Qqp,
    /// Multi-Genre NLI: entailment, neutral or contradiction.
    Mnli,
    /// Question NLI: does the sentence answer the question?
    Qnli,
    /// Recognizing Textual Entailment.
    Rte,
    /// Winograd NLI.
    Wnli,
}

/// Where a task's labelled files keep the fields it reads.
struct Columns {
    /// Column names of headerless files (CoLA); `None` when the first row is the header.
    headerless: Option<&'static [&'static str]>,
    text: &'static str,
    pair: Option<&'static str>,
    label: &'static str,
}

impl GlueTask {
    /// All nine tasks, in the GLUE paper's order.
    pub const ALL: [GlueTask; 9] = [
        GlueTask::Cola,
        GlueTask::Sst2,
        GlueTask::Mrpc,
        GlueTask::Stsb,
        GlueTask::Qqp,
        GlueTask::Mnli,
        GlueTask::Qnli,
        GlueTask::Rte,
        GlueTask::Wnli,
    ];

    /// Lower-case name, as the Hugging Face `glue` configurations spell it (`sst2`, `stsb`).
    pub fn name(self) -> &'static str {
        match self {
            GlueTask::Cola => "cola",
            GlueTask::Sst2 => "sst2",
            GlueTask::Mrpc => "mrpc",
            GlueTask::Stsb => "stsb",
            GlueTask::Qqp => "qqp",
            GlueTask::Mnli => "mnli",
            GlueTask::Qnli => "qnli",
            GlueTask::Rte => "rte",
            GlueTask::Wnli => "wnli",
        }
    }

    /// The task with this [`name`](Self::name) or [`folder`](Self::folder).
    pub fn from_name(name: &str) -> Option<GlueTask> {
        GlueTask::ALL
            .into_iter()
            .find(|t| t.name() == name || t.folder() == name)
    }

    /// The task's folder in the GLUE download (`CoLA`, `SST-2`, ...).
    pub fn folder(self) -> &'static str {
        match self {
            GlueTask::Cola => "CoLA",
            GlueTask::Sst2 => "SST-2",
            GlueTask::Mrpc => "MRPC",
            GlueTask::Stsb => "STS-B",
            GlueTask::Qqp => "QQP",
            GlueTask::Mnli => "MNLI",
            GlueTask::Qnli => "QNLI",
            GlueTask::Rte => "RTE",
            GlueTask::Wnli => "WNLI",
        }
    }

    /// Whether the task is a regression (STS-B).
    pub fn is_regression(self) -> bool {
        self == GlueTask::Stsb
    }

    /// Outputs of the model's head: the class count, or 1 for STS-B.
    pub fn num_labels(self) -> usize {
        if self.is_regression() {
            1
        } else {
            self.label_names().len()
        }
    }

    /// Class names by label index; empty for STS-B. In the binary tasks label 1 is the
    /// class F1 counts as positive; MNLI uses the SNLI task's order (entailment 0, neutral
    /// 1, contradiction 2).
    pub fn label_names(self) -> &'static [&'static str] {
        match self {
            GlueTask::Cola => &["unacceptable", "acceptable"],
            GlueTask::Sst2 => &["negative", "positive"],
            GlueTask::Mrpc => &["not_equivalent", "equivalent"],
            GlueTask::Stsb => &[],
            GlueTask::Qqp => &["not_duplicate", "duplicate"],
            GlueTask::Mnli => &["entailment", "neutral", "contradiction"],
            GlueTask::Qnli | GlueTask::Rte => &["entailment", "not_entailment"],
            GlueTask::Wnli => &["not_entailment", "entailment"],
        }
    }

    /// The label strings the files write, by label index: `0`/`1` where the files use
    /// numbers, else the class names.
    fn file_labels(self) -> &'static [&'static str] {
        match self {
            GlueTask::Cola | GlueTask::Sst2 | GlueTask::Mrpc | GlueTask::Qqp | GlueTask::Wnli => {
                &["0", "1"]
            }
            _ => self.label_names(),
        }
    }

    /// The official metrics, named and ordered as [`glue_scores`] returns them.
    pub fn metrics(self) -> &'static [&'static str] {
        match self {
            GlueTask::Cola => &["mcc"],
            GlueTask::Stsb => &["pearson", "spearman"],
            GlueTask::Mrpc | GlueTask::Qqp => &["f1", "acc"],
            _ => &["acc"],
        }
    }

    /// The labelled files the task reads from its folder: `train.tsv`, then the dev file
    /// (MNLI: matched, then mismatched).
    pub fn files(self) -> &'static [&'static str] {
        match self {
            GlueTask::Mnli => &["train.tsv", "dev_matched.tsv", "dev_mismatched.tsv"],
            _ => &["train.tsv", "dev.tsv"],
        }
    }

    fn columns(self) -> Columns {
        let pair = |text, pair, label| Columns {
            headerless: None,
            text,
            pair: Some(pair),
            label,
        };
        match self {
            GlueTask::Cola => Columns {
                headerless: Some(&["source", "label", "original_label", "sentence"]),
                text: "sentence",
                pair: None,
                label: "label",
            },
            GlueTask::Sst2 => Columns {
                headerless: None,
                text: "sentence",
                pair: None,
                label: "label",
            },
            GlueTask::Mrpc => pair("#1 String", "#2 String", "Quality"),
            GlueTask::Stsb => pair("sentence1", "sentence2", "score"),
            GlueTask::Qqp => pair("question1", "question2", "is_duplicate"),
            GlueTask::Mnli => pair("sentence1", "sentence2", "gold_label"),
            GlueTask::Qnli => pair("question", "sentence", "label"),
            GlueTask::Rte | GlueTask::Wnli => pair("sentence1", "sentence2", "label"),
        }
    }
}

/// A GLUE task's labelled splits.
#[derive(Debug, Clone, PartialEq)]
pub struct GlueSplits {
    /// The task.
    pub task: GlueTask,
    /// `train.tsv`, without its malformed rows.
    pub train: Vec<TextExample>,
    /// `dev.tsv` (MNLI: `dev_matched.tsv`), the split GLUE results are reported on.
    pub dev: Vec<TextExample>,
    /// MNLI's `dev_mismatched.tsv`; empty for the other tasks.
    pub dev_mismatched: Vec<TextExample>,
    /// Lines of `train.tsv` skipped for having the wrong number of fields.
    pub skipped_train_lines: Vec<u64>,
}

/// The folder holding `task`'s files: `<data_dir>/glue/<folder>`.
pub fn glue_dir(data_dir: &Path, task: GlueTask) -> PathBuf {
    data_dir.join("glue").join(task.folder())
}

/// Why `task` cannot be loaded from `data_dir`: which expected files are absent, and
/// where they go. `None` when every file is there.
pub fn glue_missing(data_dir: &Path, task: GlueTask) -> Option<String> {
    let dir = glue_dir(data_dir, task);
    let missing: Vec<&str> = task
        .files()
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(format!(
        "GLUE {} data not found: {} missing from {} (expects {}); kdbench cannot download \
         GLUE: put the GLUE download's task folders under <data-dir>/glue/ and pass --data-dir",
        task.folder(),
        missing.join(", "),
        dir.display(),
        task.files().join(", "),
    ))
}

/// Loads `task`'s train and dev splits from `<data_dir>/glue/<folder>/`.
pub fn load_glue(data_dir: &Path, task: GlueTask) -> anyhow::Result<GlueSplits> {
    let dir = glue_dir(data_dir, task);
    let read = |file: &str, skip_malformed: bool| {
        let path = dir.join(file);
        let f = std::fs::File::open(&path).with_context(|| {
            format!(
                "{}: cannot open; put the GLUE `{}` folder under {}",
                path.display(),
                task.folder(),
                data_dir.join("glue").display()
            )
        })?;
        read_glue_tsv(
            std::io::BufReader::new(f),
            &path.display().to_string(),
            task,
            skip_malformed,
        )
    };
    let files = task.files();
    let (train, skipped_train_lines) = read(files[0], true)?;
    let (dev, _) = read(files[1], false)?;
    let dev_mismatched = match files.get(2) {
        Some(file) => read(file, false)?.0,
        None => Vec::new(),
    };
    Ok(GlueSplits {
        task,
        train,
        dev,
        dev_mismatched,
        skipped_train_lines,
    })
}

/// Reads one labelled GLUE file of `task`: its examples in file order, and the lines of the
/// rows skipped for having the wrong number of fields (with `skip_malformed`; otherwise
/// such a row is an error). `name` labels errors, which give the line.
pub fn read_glue_tsv(
    reader: impl Read,
    name: &str,
    task: GlueTask,
    skip_malformed: bool,
) -> anyhow::Result<(Vec<TextExample>, Vec<u64>)> {
    let columns = task.columns();
    let mut tsv = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quoting(false)
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let at = |e: &csv::Error| e.position().map_or(0, |p| p.line());
    let mut records = tsv.records();
    let header: Vec<String> = match columns.headerless {
        Some(names) => names.iter().map(|s| s.to_string()).collect(),
        None => match records.next() {
            Some(row) => row
                .map_err(|e| anyhow!("{name}:{}: {e}", at(&e)))?
                .iter()
                .map(|h| h.trim_start_matches('\u{feff}').to_string())
                .collect(),
            None => bail!("{name}: empty file, expected a header row"),
        },
    };
    let column = |wanted: &str| {
        header
            .iter()
            .position(|h| h == wanted)
            .with_context(|| format!("{name}:1: no `{wanted}` column in the header {header:?}"))
    };
    let text = column(columns.text)?;
    let pair = columns.pair.map(column).transpose()?;
    let label = column(columns.label)?;
    let mut examples = Vec::new();
    let mut skipped = Vec::new();
    for record in records {
        let record = record.map_err(|e| anyhow!("{name}:{}: {e}", at(&e)))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            if skip_malformed {
                skipped.push(line);
                continue;
            }
            bail!(
                "{name}:{line}: expected {} tab-separated fields, found {}",
                header.len(),
                record.len()
            );
        }
        let raw = record[label].trim();
        let (label, score) = if task.is_regression() {
            let score = raw
                .parse::<f64>()
                .ok()
                .filter(|s| (0.0..=5.0).contains(s))
                .with_context(|| {
                    format!("{name}:{line}: bad score `{raw}`, expected a number from 0 to 5")
                })?;
            (0, Some(score))
        } else {
            let labels = task.file_labels();
            let index = labels.iter().position(|&l| l == raw).with_context(|| {
                format!("{name}:{line}: unknown label `{raw}`, expected one of {labels:?}")
            })?;
            (index as i64, None)
        };
        examples.push(TextExample {
            text: record[text].to_string(),
            pair: pair.map(|p| record[p].to_string()),
            label,
            score,
        });
    }
    if examples.is_empty() {
        bail!("{name}: no examples");
    }
    Ok((examples, skipped))
}

/// The official GLUE metrics of `predictions` against `gold`, named and ordered as
/// [`GlueTask::metrics`]: Matthews correlation (CoLA), Pearson and Spearman correlation
/// (STS-B), F1 of class 1 and accuracy (MRPC, QQP), accuracy (the others), as fractions.
///
/// Values are what [`TextExample::target`] gives: class indices for the classification
/// tasks (a prediction is the argmax class), similarity scores for STS-B. Panics when the
/// lengths differ or a classification value is not one of the task's class indices, as
/// those are programming errors.
pub fn glue_scores(task: GlueTask, predictions: &[f64], gold: &[f64]) -> Vec<(String, f64)> {
    assert_eq!(
        predictions.len(),
        gold.len(),
        "as many predictions as gold values"
    );
    let named = |pairs: Vec<(&str, f64)>| {
        pairs
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect()
    };
    if task.is_regression() {
        return named(vec![
            ("pearson", pearson(predictions, gold)),
            ("spearman", spearman(predictions, gold)),
        ]);
    }
    let classes = |values: &[f64]| -> Vec<usize> {
        values
            .iter()
            .map(|&v| {
                assert!(
                    v >= 0.0 && v.fract() == 0.0 && (v as usize) < task.num_labels(),
                    "{v} is not a class index of {}",
                    task.name()
                );
                v as usize
            })
            .collect()
    };
    let (y_pred, y_true) = (classes(predictions), classes(gold));
    named(match task {
        GlueTask::Cola => vec![("mcc", matthews_corrcoef(&y_true, &y_pred))],
        GlueTask::Mrpc | GlueTask::Qqp => vec![
            ("f1", f1_binary(&y_true, &y_pred, 1)),
            ("acc", accuracy(&y_true, &y_pred)),
        ],
        _ => vec![("acc", accuracy(&y_true, &y_pred))],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MNLI_TRAIN_HEADER: &str = "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\t\
        sentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\t\
        gold_label";
    const MNLI_DEV_HEADER: &str = "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\t\
        sentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\t\
        label2\tlabel3\tlabel4\tlabel5\tgold_label";
    const STSB_HEADER: &str =
        "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore";
    const QQP_HEADER: &str = "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate";

    /// Writes `lines` (LF-terminated) as `<root>/glue/<task folder>/<file>`.
    fn write(root: &Path, task: GlueTask, file: &str, lines: &[impl AsRef<str>]) {
        let dir = glue_dir(root, task);
        std::fs::create_dir_all(&dir).unwrap();
        let text: String = lines.iter().map(|l| format!("{}\n", l.as_ref())).collect();
        std::fs::write(dir.join(file), text).unwrap();
    }

    fn ex(text: &str, pair: Option<&str>, label: i64) -> TextExample {
        TextExample {
            text: text.to_string(),
            pair: pair.map(str::to_string),
            label,
            score: None,
        }
    }

    /// One MNLI row: the columns up to `sentence2`, then `labels` (train: `label1` and
    /// `gold_label`; dev: `label1` to `label5` and `gold_label`).
    fn mnli_row(sentence1: &str, sentence2: &str, labels: &[&str]) -> String {
        let mut fields = vec![
            "0",
            "31193",
            "31193n",
            "government",
            "( ( Conceptually ( cream skimming ) ) ... )",
            "( ( Product and ) geography ) ... )",
            "(ROOT (S (NP (JJ Conceptually) (NN cream) (NN skimming)) ...))",
            "(ROOT (S (NP (NN Product) ...)))",
            sentence1,
            sentence2,
        ];
        fields.extend(labels);
        fields.join("\t")
    }

    #[test]
    fn describes_the_nine_tasks() {
        let names: Vec<_> = GlueTask::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(
            names,
            ["cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"]
        );
        for task in GlueTask::ALL {
            assert_eq!(GlueTask::from_name(task.name()), Some(task));
            assert_eq!(GlueTask::from_name(task.folder()), Some(task));
            assert_eq!(task.file_labels().len(), task.label_names().len());
        }
        assert_eq!(GlueTask::from_name("sst-2"), None);
        assert_eq!(GlueTask::Stsb.num_labels(), 1);
        assert_eq!(GlueTask::Mnli.num_labels(), 3);
        assert_eq!(GlueTask::Rte.num_labels(), 2);
        assert_eq!(GlueTask::Cola.metrics(), ["mcc"]);
        assert_eq!(GlueTask::Stsb.metrics(), ["pearson", "spearman"]);
        assert_eq!(GlueTask::Qqp.metrics(), ["f1", "acc"]);
        assert_eq!(GlueTask::Wnli.metrics(), ["acc"]);
        assert_eq!(GlueTask::Mnli.files()[2], "dev_mismatched.tsv");
    }

    #[test]
    fn reads_headerless_cola_with_literal_quotes() {
        let root = tempfile::tempdir().unwrap();
        let task = GlueTask::Cola;
        write(
            root.path(),
            task,
            "train.tsv",
            &[
                "gj04\t1\t\tOur friends won't buy this analysis, let alone the next one we propose.",
                "gj04\t0\t*\tThey drank the pub \"dry.",
                "cj99\t1\t\t\"Hello,\" he said.",
            ],
        );
        write(
            root.path(),
            task,
            "dev.tsv",
            &["clc95\t0\t*\tThe more we study verbs, the crazier they get get."],
        );
        let splits = load_glue(root.path(), task).unwrap();
        assert_eq!(
            splits.train,
            [
                ex(
                    "Our friends won't buy this analysis, let alone the next one we propose.",
                    None,
                    1
                ),
                ex("They drank the pub \"dry.", None, 0),
                ex("\"Hello,\" he said.", None, 1),
            ]
        );
        assert_eq!(
            splits.dev,
            [ex(
                "The more we study verbs, the crazier they get get.",
                None,
                0
            )]
        );
        assert!(splits.dev_mismatched.is_empty());
        assert!(splits.skipped_train_lines.is_empty());
    }

    #[test]
    fn reads_sst2_and_mrpc_headers_keeping_texts_verbatim() {
        let root = tempfile::tempdir().unwrap();
        let sst2 = [
            "sentence\tlabel",
            "hide new secretions from the parental units \t0",
            "\"Hello,\" he said \t1",
            "it 's a \" bad \" movie\t0",
        ];
        write(root.path(), GlueTask::Sst2, "train.tsv", &sst2);
        write(root.path(), GlueTask::Sst2, "dev.tsv", &sst2);
        let splits = load_glue(root.path(), GlueTask::Sst2).unwrap();
        assert_eq!(
            splits.train,
            [
                ex("hide new secretions from the parental units ", None, 0),
                ex("\"Hello,\" he said ", None, 1),
                ex("it 's a \" bad \" movie", None, 0),
            ]
        );
        // CRLF line ends and blank lines are tolerated.
        let (crlf, skipped) = read_glue_tsv(
            "sentence\tlabel\r\n\"a\" b \t1\r\n\r\nc\t0\r\n".as_bytes(),
            "in.tsv",
            GlueTask::Sst2,
            false,
        )
        .unwrap();
        assert_eq!(crlf, [ex("\"a\" b ", None, 1), ex("c", None, 0)]);
        assert!(skipped.is_empty());
        // MRPC's train and dev files keep the source file's UTF-8 byte-order mark.
        let mrpc = [
            "\u{feff}Quality\t#1 ID\t#2 ID\t#1 String\t#2 String",
            "1\t702876\t702977\tAmrozi accused his brother , whom he called \" the witness \" , \
             of deliberately distorting his evidence .\tReferring to him as only \" the witness \" \
             , Amrozi accused his brother of deliberately distorting his evidence .",
            "0\t2108705\t2108831\tYucaipa owned Dominick 's .\tYucaipa bought Dominick 's .",
        ];
        write(root.path(), GlueTask::Mrpc, "train.tsv", &mrpc);
        write(root.path(), GlueTask::Mrpc, "dev.tsv", &mrpc);
        let splits = load_glue(root.path(), GlueTask::Mrpc).unwrap();
        assert_eq!(splits.dev.len(), 2);
        assert_eq!(
            splits.dev[0].pair.as_deref(),
            Some(
                "Referring to him as only \" the witness \" , Amrozi accused his brother of \
                 deliberately distorting his evidence ."
            )
        );
        assert_eq!(
            splits.dev[1],
            ex(
                "Yucaipa owned Dominick 's .",
                Some("Yucaipa bought Dominick 's ."),
                0
            )
        );
    }

    #[test]
    fn reads_stsb_scores_by_column_name() {
        let root = tempfile::tempdir().unwrap();
        let rows = [
            STSB_HEADER,
            "0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA plane is taking off.\t\
             An air plane is taking off.\t5.000",
            "1\tmain-news\theadlines\t2013\t0002\tnone\tnone\t\"Hello,\" he said.\tHe said hi.\t\
             3.8",
        ];
        write(root.path(), GlueTask::Stsb, "train.tsv", &rows);
        write(root.path(), GlueTask::Stsb, "dev.tsv", &rows);
        let splits = load_glue(root.path(), GlueTask::Stsb).unwrap();
        let second = &splits.dev[1];
        assert_eq!(second.text, "\"Hello,\" he said.");
        assert_eq!(second.pair.as_deref(), Some("He said hi."));
        assert_eq!((second.label, second.score), (0, Some(3.8)));
        assert_eq!(splits.train[0].target(), 5.0);
        for bad in ["5.2", "-0.1", "nan", "high"] {
            let file = format!("{STSB_HEADER}\n0\tg\tf\ty\to\ts1\ts2\ta\tb\t{bad}\n");
            let err = read_glue_tsv(file.as_bytes(), "dev.tsv", GlueTask::Stsb, false)
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                format!("dev.tsv:2: bad score `{bad}`, expected a number from 0 to 5")
            );
        }
    }

    #[test]
    fn reads_mnli_columns_and_both_dev_sets() {
        let root = tempfile::tempdir().unwrap();
        let task = GlueTask::Mnli;
        let premise =
            "Conceptually cream skimming has two basic dimensions - product and geography.";
        let train = [
            MNLI_TRAIN_HEADER.to_string(),
            mnli_row(
                premise,
                "Product and geography are what make cream skimming work. ",
                &["neutral", "neutral"],
            ),
            mnli_row(
                "you know \"during the season",
                "I lose.",
                &["entailment"; 2],
            ),
            mnli_row("One of our number.", "A member.", &["contradiction"; 2]),
        ];
        let dev = [
            MNLI_DEV_HEADER.to_string(),
            mnli_row(
                "The new rights are nice enough",
                "Everyone really likes the newest benefits ",
                &[
                    "neutral",
                    "entailment",
                    "neutral",
                    "neutral",
                    "neutral",
                    "neutral",
                ],
            ),
        ];
        let mismatched = [
            MNLI_DEV_HEADER.to_string(),
            mnli_row(
                "Your contribution helped.",
                "It was useless.",
                &[
                    "contradiction",
                    "contradiction",
                    "contradiction",
                    "neutral",
                    "contradiction",
                    "contradiction",
                ],
            ),
        ];
        write(root.path(), task, "train.tsv", &train);
        write(root.path(), task, "dev_matched.tsv", &dev);
        write(root.path(), task, "dev_mismatched.tsv", &mismatched);
        let splits = load_glue(root.path(), task).unwrap();
        assert_eq!(
            splits.train[0],
            ex(
                premise,
                Some("Product and geography are what make cream skimming work. "),
                1
            )
        );
        assert_eq!(splits.train[1].text, "you know \"during the season");
        let labels: Vec<i64> = splits.train.iter().map(|e| e.label).collect();
        assert_eq!(labels, [1, 0, 2]);
        assert_eq!(splits.dev.len(), 1);
        assert_eq!(splits.dev[0].label, 1);
        assert_eq!(
            splits.dev_mismatched,
            [ex("Your contribution helped.", Some("It was useless."), 2)]
        );
    }

    #[test]
    fn reads_qnli_rte_and_wnli_labels() {
        let root = tempfile::tempdir().unwrap();
        let qnli = [
            "index\tquestion\tsentence\tlabel",
            "0\tWhen did the third Digimon series begin?\tUnlike the two seasons before it, \
             Digimon Tamers takes a darker approach.\tnot_entailment",
            "1\tWhat is \"Tamers\"?\tTamers is the third series.\tentailment",
        ];
        let rte = [
            "index\tsentence1\tsentence2\tlabel",
            "0\tNo Weapons of Mass Destruction Found in Iraq Yet.\tWeapons of Mass Destruction \
             Found in Iraq.\tnot_entailment",
            "1\tA place of sorrow.\tA place.\tentailment",
        ];
        let wnli = [
            "index\tsentence1\tsentence2\tlabel",
            "0\tI stuck a pin through a carrot. When I pulled the pin out, it had a hole.\t\
             The carrot had a hole.\t1",
            "1\tJohn couldn't see the stage with Billy in front of him because he is so short.\t\
             John is so short.\t0",
        ];
        for (task, rows) in [
            (GlueTask::Qnli, qnli),
            (GlueTask::Rte, rte),
            (GlueTask::Wnli, wnli),
        ] {
            write(root.path(), task, "train.tsv", &rows);
            write(root.path(), task, "dev.tsv", &rows);
            let splits = load_glue(root.path(), task).unwrap();
            let labels: Vec<&str> = splits
                .dev
                .iter()
                .map(|e| task.label_names()[e.label as usize])
                .collect();
            let expected = match task {
                GlueTask::Wnli => ["entailment", "not_entailment"],
                _ => ["not_entailment", "entailment"],
            };
            assert_eq!(labels, expected, "{}", task.name());
            assert!(splits.dev.iter().all(|e| e.pair.is_some()));
        }
        let splits = load_glue(root.path(), GlueTask::Qnli).unwrap();
        assert_eq!(
            splits.train[1],
            ex(
                "What is \"Tamers\"?",
                Some("Tamers is the third series."),
                0
            )
        );
    }

    #[test]
    fn skips_malformed_qqp_train_rows_and_rejects_them_in_dev() {
        let root = tempfile::tempdir().unwrap();
        let task = GlueTask::Qqp;
        let good = "133273\t213221\t213222\tHow is the life of a math student?\t\
                    Which level of prepration is enough for the exam jlpt5?\t0";
        write(
            root.path(),
            task,
            "train.tsv",
            &[
                QQP_HEADER,
                good,
                // A question cut by a line break: two rows of 4 and 3 fields.
                "402555\t536040\t536041\tHow do I \"get\" better",
                "at chess?\tHow can I improve at chess?\t1",
                "1\t3\t4\tWhy is \"Hello,\" said twice?\tWhy say hello?\t1",
            ],
        );
        write(root.path(), task, "dev.tsv", &[QQP_HEADER, good]);
        let splits = load_glue(root.path(), task).unwrap();
        assert_eq!(splits.skipped_train_lines, [3, 4]);
        assert_eq!(splits.train.len(), 2);
        assert_eq!(
            splits.train[1],
            ex("Why is \"Hello,\" said twice?", Some("Why say hello?"), 1)
        );
        write(
            root.path(),
            task,
            "dev.tsv",
            &[QQP_HEADER, good, "5\t6\t7\tWhere?\t0"],
        );
        let err = load_glue(root.path(), task).unwrap_err().to_string();
        let dev = glue_dir(root.path(), task).join("dev.tsv");
        assert_eq!(
            err,
            format!(
                "{}:3: expected 6 tab-separated fields, found 5",
                dev.display()
            )
        );
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let root = tempfile::tempdir().unwrap();
        let task = GlueTask::Rte;
        let header = "index\tsentence1\tsentence2\tlabel";
        write(
            root.path(),
            task,
            "train.tsv",
            &[header, "0\ta\tb\tentailment"],
        );
        write(
            root.path(),
            task,
            "dev.tsv",
            &[header, "0\ta\tb\tentailment", "1\ta\tb\tcontradiction"],
        );
        let dev = glue_dir(root.path(), task).join("dev.tsv");
        let err = load_glue(root.path(), task).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}:3: unknown label `contradiction`, expected one of \
                 [\"entailment\", \"not_entailment\"]",
                dev.display()
            )
        );
        let err = read_glue_tsv(
            "index\tsentence1\tsentence2\tgold\n0\ta\tb\tentailment\n".as_bytes(),
            "dev.tsv",
            task,
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("dev.tsv:1: no `label` column in the header"),
            "{err}"
        );
        let err = read_glue_tsv(
            "gj04\t2\t\tA sentence.\n".as_bytes(),
            "in.tsv",
            GlueTask::Cola,
            true,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "in.tsv:1: unknown label `2`, expected one of [\"0\", \"1\"]"
        );
        let err = read_glue_tsv(
            "sentence\tlabel\n".as_bytes(),
            "in.tsv",
            GlueTask::Sst2,
            true,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "in.tsv: no examples");
        std::fs::remove_file(&dev).unwrap();
        let err = load_glue(root.path(), task).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: cannot open", dev.display())),
            "{err}"
        );
    }

    #[test]
    fn says_which_files_are_missing() {
        let root = tempfile::tempdir().unwrap();
        let task = GlueTask::Mnli;
        let message = glue_missing(root.path(), task).unwrap();
        let dir = glue_dir(root.path(), task);
        assert!(
            message.starts_with(&format!(
                "GLUE MNLI data not found: train.tsv, dev_matched.tsv, dev_mismatched.tsv \
                 missing from {}",
                dir.display()
            )),
            "{message}"
        );
        assert!(message.contains("--data-dir"), "{message}");
        write(root.path(), task, "train.tsv", &[MNLI_TRAIN_HEADER]);
        write(root.path(), task, "dev_matched.tsv", &[MNLI_DEV_HEADER]);
        let message = glue_missing(root.path(), task).unwrap();
        assert!(
            message.starts_with("GLUE MNLI data not found: dev_mismatched.tsv missing"),
            "{message}"
        );
        write(root.path(), task, "dev_mismatched.tsv", &[MNLI_DEV_HEADER]);
        assert_eq!(glue_missing(root.path(), task), None);
        assert!(glue_missing(root.path(), GlueTask::Cola).is_some());
    }

    #[test]
    fn scores_match_hand_computed_values() {
        // Binary confusion matrix: tp 3, fn 2, fp 1, tn 4.
        let gold = [1., 1., 1., 1., 1., 0., 0., 0., 0., 0.];
        let pred = [1., 1., 1., 0., 0., 1., 0., 0., 0., 0.];
        let close = |got: &[(String, f64)], want: &[(&str, f64)]| {
            assert_eq!(got.len(), want.len());
            for ((name, value), (want_name, want_value)) in got.iter().zip(want) {
                assert_eq!(name, want_name);
                assert!((value - want_value).abs() < 1e-12, "{name}: {value}");
            }
        };
        // MCC = (3·4 − 1·2) / √((3+1)(3+2)(4+1)(4+2)) = 10 / √600.
        close(
            &glue_scores(GlueTask::Cola, &pred, &gold),
            &[("mcc", 10.0 / 600f64.sqrt())],
        );
        // F1 = 2·3 / (2·3 + 1 + 2) = 2/3; accuracy 7/10.
        close(
            &glue_scores(GlueTask::Mrpc, &pred, &gold),
            &[("f1", 2.0 / 3.0), ("acc", 0.7)],
        );
        close(
            &glue_scores(GlueTask::Qqp, &pred, &gold),
            &[("f1", 2.0 / 3.0), ("acc", 0.7)],
        );
        close(&glue_scores(GlueTask::Rte, &pred, &gold), &[("acc", 0.7)]);
        close(
            &glue_scores(GlueTask::Mnli, &[0., 1., 2., 2.], &[0., 2., 2., 1.]),
            &[("acc", 0.5)],
        );
        // Pearson: centred x (−1.5, −0.5, 0.5, 1.5), y (−2, 0, −1, 3): 7 / √(5·14).
        // Spearman: ranks of y (1, 3, 2, 4) against (1, 2, 3, 4): 4 / 5.
        close(
            &glue_scores(GlueTask::Stsb, &[0., 1., 2., 3.], &[0., 2., 1., 5.]),
            &[("pearson", 7.0 / 70f64.sqrt()), ("spearman", 0.8)],
        );
    }

    #[test]
    #[should_panic(expected = "3 is not a class index of rte")]
    fn scores_reject_values_that_are_not_classes() {
        glue_scores(GlueTask::Rte, &[3.0], &[1.0]);
    }
}
