//! all-MiniLM-L6-v2 end to end: fetch (into the default data folder), tokenise, load, encode,
//! and compare with the PyTorch reference in `tests/reference/` and the golden values in
//! the repository's DATA notes. Fails (never skips) when the model cannot be fetched.
use kd_nlu::datasets::{default_data_dir, ensure, minilm_spec};
use kd_nlu::encoder::{BertConfig, BertModel};
use kd_nlu::pooling::{l2_normalize, mean_pool};
use kd_nlu::tokenize::{Batch, Encoded, TextTokenizer};
use kd_nlu::weights::load_weights;
use serde_json::Value;
use std::path::PathBuf;
use tch::{nn, Device, Kind, Tensor};

fn model_dir() -> PathBuf {
    ensure(&minilm_spec(), &default_data_dir())
        .unwrap_or_else(|e| panic!("fetching minilm-l6 failed: {e:#}"))
}

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/minilm_reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

fn row(t: &Tensor, i: i64, n: i64) -> Vec<f64> {
    Vec::<f64>::try_from(t.get(i).narrow(0, 0, n).to_kind(Kind::Double)).unwrap()
}

fn norm(t: &Tensor, i: i64) -> f64 {
    t.get(i).norm().double_value(&[])
}

struct Loaded {
    tokenizer: TextTokenizer,
    config: BertConfig,
    model: BertModel,
    _vs: nn::VarStore,
}

fn load(layers: Option<&[usize]>) -> Loaded {
    let dir = model_dir();
    let tokenizer = TextTokenizer::from_file(&dir.join("tokenizer.json"), Some(256)).unwrap();
    let full = BertConfig::from_file(&dir.join("config.json")).unwrap();
    let config = layers.map_or(full.clone(), |l| full.with_layers(l.len()));
    let vs = nn::VarStore::new(Device::Cpu);
    let model = BertModel::new(vs.root(), &config);
    let report = load_weights(&vs, &dir.join("model.safetensors"), layers).unwrap();
    assert_eq!(report.loaded, 5 + 16 * config.num_hidden_layers as usize);
    assert!(report
        .unused
        .contains(&"embeddings.position_ids".to_string()));
    assert!(report.unused.contains(&"pooler.dense.weight".to_string()));
    Loaded {
        tokenizer,
        config,
        model,
        _vs: vs,
    }
}

/// Tokenises every reference case (checking the ids) and encodes them as one padded batch.
fn encode_cases(m: &Loaded, cases: &[Value]) -> (Vec<Encoded>, Batch) {
    let encoded: Vec<Encoded> = cases
        .iter()
        .map(|c| {
            let text = c["text"].as_str().unwrap();
            let mut e = match c["pair"].as_str() {
                Some(pair) => m.tokenizer.encode_pairs(&[(text, pair)]).unwrap(),
                None => m.tokenizer.encode(&[text]).unwrap(),
            };
            e.remove(0)
        })
        .collect();
    for (e, c) in encoded.iter().zip(cases) {
        assert_eq!(e.ids, ints(&c["ids"]), "token ids of {}", c["text"]);
        assert_eq!(
            e.type_ids,
            ints(&c["type_ids"]),
            "token types of {}",
            c["text"]
        );
    }
    let batch = Batch::from_encoded(&encoded);
    (encoded, batch)
}

#[test]
fn matches_the_pytorch_reference() {
    let reference = reference();
    let dims = reference["dims"].as_i64().unwrap();
    let cases = reference["cases"].as_array().unwrap();
    let m = load(None);
    assert_eq!((m.config.num_hidden_layers, m.config.hidden_size), (6, 384));
    let (_, batch) = encode_cases(&m, cases);
    let out = tch::no_grad(|| {
        m.model.forward(
            &batch.input_ids,
            Some(&batch.token_type_ids),
            Some(&batch.attention_mask),
            false,
        )
    });
    assert_eq!(out.hidden_states.len(), 7);
    assert_eq!(out.attentions.len(), 6);
    let last = out.last_hidden_state();
    let mean = mean_pool(last, &batch.attention_mask);
    let mut worst: f64 = 0.0;
    for (i, c) in cases.iter().enumerate() {
        let i = i as i64;
        let cls = Vec::<f64>::try_from(last.get(i).get(0).narrow(0, 0, dims).to_kind(Kind::Double))
            .unwrap();
        for (got, want) in [
            (row(&mean, i, dims), floats(&c["mean"])),
            (cls, floats(&c["cls"])),
            (
                vec![norm(&mean, i), last.get(i).get(0).norm().double_value(&[])],
                vec![
                    c["mean_norm"].as_f64().unwrap(),
                    c["cls_norm"].as_f64().unwrap(),
                ],
            ),
        ] {
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                worst = worst.max((g - w).abs());
            }
        }
    }
    eprintln!("max abs difference from the PyTorch reference: {worst:.3e}");
    assert!(worst < 1e-4, "max abs difference {worst}");
}

#[test]
fn a_three_layer_student_matches_the_reference() {
    let reference = reference();
    let dims = reference["dims"].as_i64().unwrap();
    let layers: Vec<usize> = ints(&reference["student_layers"])
        .into_iter()
        .map(|l| l as usize)
        .collect();
    let cases = reference["cases"].as_array().unwrap();
    let m = load(Some(&layers));
    assert_eq!(m.config.num_hidden_layers, 3);
    let (_, batch) = encode_cases(&m, cases);
    let out = tch::no_grad(|| {
        m.model.forward(
            &batch.input_ids,
            Some(&batch.token_type_ids),
            Some(&batch.attention_mask),
            false,
        )
    });
    let mean = mean_pool(out.last_hidden_state(), &batch.attention_mask);
    let mut worst: f64 = 0.0;
    for (i, c) in cases.iter().enumerate() {
        let got = row(&mean, i as i64, dims);
        for (g, w) in got.iter().zip(floats(&c["student_mean"])) {
            worst = worst.max((g - w).abs());
        }
        worst = worst.max((norm(&mean, i as i64) - c["student_mean_norm"].as_f64().unwrap()).abs());
    }
    eprintln!("student max abs difference: {worst:.3e}");
    assert!(worst < 1e-4, "max abs difference {worst}");
}

#[test]
fn reproduces_the_golden_sentence_embeddings() {
    let m = load(None);
    let texts = [
        "This is an example sentence",
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "A man is riding a horse.",
        "The stock market fell sharply today.",
    ];
    let batch = m.tokenizer.batch(&texts).unwrap();
    // `[CLS] this is an example sentence [SEP]`, padded to the longest text (not to 128).
    assert_eq!(
        batch
            .attention_mask
            .get(0)
            .sum(Kind::Int64)
            .int64_value(&[]),
        7
    );
    assert!(batch.input_ids.size()[1] < 20);
    let out = tch::no_grad(|| {
        m.model.forward(
            &batch.input_ids,
            Some(&batch.token_type_ids),
            Some(&batch.attention_mask),
            false,
        )
    });
    let emb = l2_normalize(&mean_pool(out.last_hidden_state(), &batch.attention_mask));
    let golden = [0.067657, 0.063496, 0.048713, 0.079305, 0.037448, 0.002653];
    for (g, w) in row(&emb, 0, 6).iter().zip(golden) {
        assert!((g - w).abs() < 1e-3, "{g} vs {w}");
    }
    let cosine = |a: i64, b: i64| (emb.get(a) * emb.get(b)).sum(Kind::Float).double_value(&[]);
    for (other, want) in [(2, 0.7553), (3, 0.2474), (4, 0.0037)] {
        let got = cosine(1, other);
        assert!(
            (got - want).abs() < 1e-3,
            "cosine with {}: {got} vs {want}",
            texts[other as usize]
        );
    }
}
