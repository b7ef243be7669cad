"""Experiment, not part of the build: does the bio-small shape learn to read 1-2- and 3-10-person documents
when given several times the QA sequences the CPU build gives it? Same data, layout and answer-only loss as
`gmsa train qa` (stage 2, then stage 3 on medium documents), in PyTorch + transformers on a lent GPU; nothing
it trains is shipped (the bundled weights come from our own trainer). Results: research/bio-small/NOTES.md, "Scaling check".

    python3 qa_scale.py prepare BUILD_DIR DIR   # BUILD_DIR as build.sh made it (stage 1 done, tiny-mix.jsonl,
                                                 # val-*.jsonl); writes compact gzip data + base-lm + base-qa1 to DIR
    cd DIR && python3 qa_scale.py run 180 120   # seconds of tiny-document, then medium-document training

`run` writes log.txt and the trained models (qa-tiny after the first phase, qa-mid at the end; bfloat16, with
the tokenizer) to $OUT, so that `gmsa eval --group-by biographies,attribute` can score them per kind of question.
"""
import gzip, json, os, pathlib, random, re, shutil, string, sys, time

if len(sys.argv) < 2 or sys.argv[1] not in ("prepare", "run"):
    sys.exit(__doc__)

if sys.argv[1] == "prepare":
    build, target = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(__file__, target / "qa_scale.py")
    for model in ("base-lm", "base-qa1"):
        (target / model).mkdir(exist_ok=True)
        for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
            shutil.copy(build / model / name, target / model / name)
    # One line per document with all its questions: the QA files repeat the document on every question's line.
    for source, name in (("tiny-mix.jsonl", "tiny"), ("bio-mid/train/qa.jsonl", "mid"),
                         ("val-tiny.jsonl", "val-tiny"), ("val-mid.jsonl", "val-mid"), ("val-long.jsonl", "val-long")):
        documents = {}
        for line in open(build / source, encoding="utf-8"):
            record = json.loads(line)
            answer = record["answer"] if isinstance(record["answer"], str) else record["answer"][0]
            documents.setdefault(record["input"], []).append([record["prompt"], answer])
        with gzip.open(target / f"{name}.jsonl.gz", "wt", encoding="utf-8") as f:
            for document, qa in documents.items():
                f.write(json.dumps({"input": document, "qa": qa}) + "\n")
    sys.exit(0)

import torch, torch.nn.functional as F
from tokenizers import Tokenizer
from transformers import LlamaForCausalLM, GenerationConfig

D = pathlib.Path(__file__).resolve().parent
OUT = pathlib.Path(os.environ.get("OUT", "/tmp"))
LOG = open(OUT / "log.txt", "a")
T0 = time.time()
def log(*a):
    s = f"[{time.time()-T0:6.1f}s] " + " ".join(str(x) for x in a)
    print(s, flush=True); LOG.write(s + "\n"); LOG.flush()

dev = "cuda"
torch.backends.cuda.matmul.allow_tf32 = True
tok = Tokenizer.from_file(str(D / "base-lm" / "tokenizer.json"))
EOS = 2047
def enc(t): return tok.encode(t, add_special_tokens=False).ids
NL, BL = enc("\n"), enc("\n\n")
log("newline tokens", NL, "blank line", BL)

def read(path):
    return [json.loads(l) for l in gzip.open(D / path, "rt")]

def sequences(docs, seq_len):
    out = []
    for r in docs:
        toks = enc(r["input"]) + BL
        mask = [False] * len(toks)
        for q, a in r["qa"]:
            p, ans = enc(f"Question: {q}\nAnswer:"), enc(" " + a) + NL
            if len(toks) + len(p) + len(ans) > seq_len:
                out.append((toks, mask)) if any(mask) else None
                toks = enc(r["input"]) + BL; mask = [False] * len(toks)
                if len(toks) + len(p) + len(ans) > seq_len: break
            toks = toks + p + ans; mask = mask + [False] * len(p) + [True] * len(ans)
        if any(mask):
            toks = toks[:-len(NL)] + [EOS]; mask = mask[:-len(NL)] + [True]
            out.append((toks, mask))
    return out

def norm(s):
    s = "".join(c for c in s.lower() if c not in string.punctuation)
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())

@torch.no_grad()
def evaluate(model, docs, limit=200):
    model.eval()
    cfg = GenerationConfig(do_sample=False, max_new_tokens=12, eos_token_id=None, pad_token_id=0)
    model.generation_config.eos_token_id = None
    right = n = 0
    for r in docs:
        for q, a in r["qa"]:
            ids = enc(r["input"]) + BL + enc(f"Question: {q}\nAnswer:")
            x = torch.tensor([ids], device=dev)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                y = model.generate(x, attention_mask=torch.ones_like(x), generation_config=cfg)
            text = tok.decode(y[0, len(ids):].tolist()).split("\n")[0]
            right += norm(a) in norm(text); n += 1
            if n >= limit: break
        if n >= limit: break
    model.train()
    return 100.0 * right / n

def batch(seqs, idx):
    L = max(len(seqs[i][0]) for i in idx)
    x = torch.full((len(idx), L), EOS, dtype=torch.long); m = torch.zeros((len(idx), L), dtype=torch.bool)
    att = torch.zeros((len(idx), L), dtype=torch.long)
    for j, i in enumerate(idx):
        t, mk = seqs[i]
        x[j, :len(t)] = torch.tensor(t); m[j, :len(t)] = torch.tensor(mk); att[j, :len(t)] = 1
    return x.to(dev), m.to(dev), att.to(dev)

def train(model, seqs, seconds, batch_size, lr, evals, eval_every, tag):
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.01)
    order, pos, step, start = list(range(len(seqs))), 0, 0, time.time()
    random.Random(1).shuffle(order)
    losses = []
    while time.time() - start < seconds:
        if pos + batch_size > len(order):
            random.shuffle(order); pos = 0
        idx = order[pos:pos + batch_size]; pos += batch_size
        x, m, att = batch(seqs, idx)
        for g in opt.param_groups: g["lr"] = lr * min(1.0, (step + 1) / 50)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(input_ids=x, attention_mask=att).logits
        mm = m[:, 1:]
        loss = F.cross_entropy(logits[:, :-1][mm].float(), x[:, 1:][mm])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 2.0)
        opt.step(); opt.zero_grad(set_to_none=True)
        losses.append(loss.item()); step += 1
        if step % eval_every == 0:
            log(tag, "step", step, "seqs", step * batch_size, "loss", round(sum(losses[-100:]) / len(losses[-100:]), 4),
                *[f"{name} {evaluate(model, d, 100):.1f}" for name, d in evals])
    log(tag, "done", step, "steps", step * batch_size, "sequences")
    return model

def save(model, name):
    """Writes the model to $OUT/name in bfloat16 with the tokenizer, a folder `gmsa eval --group-by` can score."""
    try:
        folder = OUT / name
        model.save_pretrained(folder, state_dict={k: v.detach().to(torch.bfloat16).cpu() for k, v in model.state_dict().items()})
        for file in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(D / "base-lm" / file, folder / file)
        log("saved", folder)
    except Exception as e:  # the log matters more than the copy
        log("could not save", name, repr(e))

val_tiny, val_mid, val_long = read("val-tiny.jsonl.gz"), read("val-mid.jsonl.gz"), read("val-long.jsonl.gz")
calib = LlamaForCausalLM.from_pretrained(D / "base-qa1", dtype=torch.float32).to(dev)
log("calibration: CPU-trained base-qa1 (gmsa eval: 50% tiny, 6% mid):", f"tiny {evaluate(calib, val_tiny, 100):.1f}", f"mid {evaluate(calib, val_mid, 100):.1f}")
del calib
tiny = sequences(read("tiny.jsonl.gz"), 512)
log("tiny sequences", len(tiny))
model = LlamaForCausalLM.from_pretrained(D / "base-lm", dtype=torch.float32).to(dev)
log("base-lm tiny", f"{evaluate(model, val_tiny, 100):.1f}")
model = train(model, tiny, float(sys.argv[2]), 32, 1.5e-3, [("tiny", val_tiny)], 1000, "tiny")
save(model, "qa-tiny")
mid = sequences(read("mid.jsonl.gz"), 1536)
log("mid sequences", len(mid))
model = train(model, mid, float(sys.argv[3]), 16, 1e-3, [("tiny", val_tiny), ("mid", val_mid)], 1000, "mid")
log("final", f"tiny {evaluate(model, val_tiny, 100):.1f}", f"mid {evaluate(model, val_mid, 200):.1f}", f"long {evaluate(model, val_long, 100):.1f}")
save(model, "qa-mid")
