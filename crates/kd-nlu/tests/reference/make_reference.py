"""Reference outputs of all-MiniLM-L6-v2 for the Rust encoder's parity test.

Plain PyTorch (no transformers, no numpy): reads model.safetensors by hand, tokenises with
a minimal BERT basic tokenizer + WordPiece over vocab.txt (enough for the plain ASCII
sentences below), runs the post-LN BERT forward in float64 and writes minilm_reference.json.

    PYTHONPATH=/path/to/torch python3 make_reference.py [MODEL_DIR]

MODEL_DIR defaults to $KDBENCH_DATA/minilm-l6 (or ~/.cache/kdbench/data/minilm-l6), the
folder `kdbench data fetch minilm-l6` fills.
"""
import hashlib, json, math, os, struct, sys, unicodedata
import torch

CASES = [
    ("This is an example sentence", None),
    ("A man is eating food.", None),
    ("A man is eating a piece of bread.", None),
    ("A man is riding a horse.", None),
    ("The stock market fell sharply today.", None),
    ("Knowledge distillation compresses a large teacher into a small student!", None),
    ("A soccer game with multiple males playing.", "Some men are playing a sport."),
]
STUDENT_LAYERS = [0, 2, 4]
DIMS = 16


def load_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    kinds = {"F32": torch.float32, "I64": torch.int64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        buf = bytearray(data[8 + n + a : 8 + n + b])
        out[name] = torch.frombuffer(buf, dtype=kinds[info["dtype"]]).reshape(info["shape"])
    return out


def wordpiece(text, vocab):
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    words, cur = [], ""
    for c in text:
        if c.isspace():
            words, cur = words + [cur] if cur else words, ""
        elif unicodedata.category(c).startswith("P") or c in "$+<=>^`|~":
            words, cur = words + ([cur] if cur else []) + [c], ""
        else:
            cur += c
    words += [cur] if cur else []
    ids = []
    for w in words:
        start, pieces = 0, []
        while start < len(w):
            end = len(w)
            while end > start and ("##" if start else "") + w[start:end] not in vocab:
                end -= 1
            if end == start:
                pieces = [vocab["[UNK]"]]
                break
            pieces.append(vocab[("##" if start else "") + w[start:end]])
            start = end
        ids += pieces
    return ids


def encode(text, pair, vocab):
    a = [vocab["[CLS]"]] + wordpiece(text, vocab) + [vocab["[SEP]"]]
    b = wordpiece(pair, vocab) + [vocab["[SEP]"]] if pair is not None else []
    return a + b, [0] * len(a) + [1] * len(b)


def forward(w, cfg, ids, types, layers):
    ids, types = torch.tensor([ids]), torch.tensor([types])
    eps, heads = cfg["layer_norm_eps"], cfg["num_attention_heads"]
    ln = lambda x, p: torch.nn.functional.layer_norm(x, x.shape[-1:], w[p + ".weight"], w[p + ".bias"], eps)
    lin = lambda x, p: x @ w[p + ".weight"].T + w[p + ".bias"]
    pos = torch.arange(ids.shape[1])[None]
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][pos]
    x = ln(x + w["embeddings.token_type_embeddings.weight"][types], "embeddings.LayerNorm")
    b, t, h = x.shape
    d = h // heads
    for i in layers:
        p = f"encoder.layer.{i}."
        split = lambda y: y.view(b, t, heads, d).transpose(1, 2)
        q, k, v = (split(lin(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
        ctx = (probs @ v).transpose(1, 2).reshape(b, t, h)
        x = ln(lin(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inner = torch.nn.functional.gelu(lin(x, p + "intermediate.dense"))
        x = ln(lin(inner, p + "output.dense") + x, p + "output.LayerNorm")
    return x[0]


def main():
    base = os.environ.get("KDBENCH_DATA") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kdbench", "data")
    model_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(base, "minilm-l6")
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    vocab = {t.rstrip("\n"): i for i, t in enumerate(open(os.path.join(model_dir, "vocab.txt"), encoding="utf-8"))}
    path = os.path.join(model_dir, "model.safetensors")
    w = {k: v.double() if v.is_floating_point() else v for k, v in load_safetensors(path).items()}
    out = {
        "model_sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
        "torch": torch.__version__,
        "dtype": "float64",
        "dims": DIMS,
        "student_layers": STUDENT_LAYERS,
        "cases": [],
    }
    unit = []
    for text, pair in CASES:
        ids, types = encode(text, pair, vocab)
        hidden = forward(w, cfg, ids, types, range(cfg["num_hidden_layers"]))
        mean, cls = hidden.mean(0), hidden[0]
        student_mean = forward(w, cfg, ids, types, STUDENT_LAYERS).mean(0)
        unit.append(mean / mean.norm())
        out["cases"].append({
            "text": text,
            "pair": pair,
            "ids": ids,
            "type_ids": types,
            "mean": mean[:DIMS].tolist(),
            "cls": cls[:DIMS].tolist(),
            "mean_norm": mean.norm().item(),
            "cls_norm": cls.norm().item(),
            "student_mean": student_mean[:DIMS].tolist(),
            "student_mean_norm": student_mean.norm().item(),
        })
    print("golden:", [round(x, 6) for x in unit[0][:6].tolist()])
    print("cosines:", [round(float(unit[1] @ u), 4) for u in unit[2:5]])
    dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), "minilm_reference.json")
    with open(dest, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", dest)


if __name__ == "__main__":
    main()
