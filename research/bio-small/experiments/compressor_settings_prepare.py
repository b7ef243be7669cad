#!/usr/bin/env python3
"""Prepares the compact data compressor_settings.py reads (pure Python, no torch):
    python3 research/bio-small/experiments/compressor_settings_prepare.py BUILD_DIR [AE_CONTEXTS]
BUILD_DIR is build.sh's work folder with step 8 done (mid-pronoun/, mid-val200.jsonl and the evaluations of
the shipped pair on it, m7qa-eval-val/ and m7g-eval-val/). AE_CONTEXTS (default 1500, what the logged run
used) keeps the first that many autoencoding contexts, so that the data and the repository travel to a
device machine within its 64 MiB. Writes .explore/data/ in the repository root:
  train_qa.jsonl   one line per document: {"input": ..., "qa": [[prompt, answer], ...]}, questions in file order.
                   Documents are runs of consecutive qa.jsonl lines with the same input, exactly as
                   QaPacker.GroupByContext groups them (a context seen again later would start a new group).
  ae.jsonl         the first AE_CONTEXTS autoencoding contexts {"input": ...} of train/ae.jsonl.
  val200.jsonl     the 200 validation questions (a copy of mid-val200.jsonl, extra fields kept).
  cs_shipped_outputs.jsonl    our C# eval's per-question outputs of the shipped checkpoint on val200 (4x and 8x),
  cs_fullprompt_outputs.jsonl and of the full-prompt baseline, for a per-question agreement check.
"""
import json
import os
import pathlib
import shutil
import sys

SRC = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else sys.exit(__doc__)
AE_CONTEXTS = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
OUT = pathlib.Path(__file__).resolve().parents[3] / ".explore" / "data"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    docs = []
    lines = 0
    with open(SRC / "mid-pronoun/train/qa.jsonl", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            lines += 1
            d = json.loads(line)
            answer = d["answer"]
            if isinstance(answer, list):
                answer = answer[0]  # the trainer's target is the first gold answer
            if docs and docs[-1]["input"] == d["input"]:
                docs[-1]["qa"].append([d["prompt"], answer])
            else:
                docs.append({"input": d["input"], "qa": [[d["prompt"], answer]]})
    sizes = {}
    for d in docs:
        sizes[len(d["qa"])] = sizes.get(len(d["qa"]), 0) + 1
    distinct = len({d["input"] for d in docs})
    print(f"qa.jsonl: {lines} lines, {len(docs)} documents (runs of equal input), {distinct} distinct inputs; questions per document: {sizes}")
    with open(OUT / "train_qa.jsonl", "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")

    with open(SRC / "mid-pronoun/train/ae.jsonl", encoding="utf-8") as f:
        kept = [l for l in f if l.strip()][:AE_CONTEXTS]
    with open(OUT / "ae.jsonl", "w", encoding="utf-8") as f:
        f.writelines(kept)
    ae = [json.loads(l) for l in kept]
    qa_inputs = {d["input"] for d in docs}
    print(f"ae.jsonl: {len(ae)} contexts, {sum(a['input'] in qa_inputs for a in ae)} of them also QA documents")

    shutil.copyfile(SRC / "mid-val200.jsonl", OUT / "val200.jsonl")
    val = [json.loads(l) for l in open(OUT / "val200.jsonl", encoding="utf-8") if l.strip()]
    print(f"val200.jsonl: {len(val)} questions, {len({v['input'] for v in val})} documents, fields {sorted(val[0])}, "
          f"{sum(v['input'] in qa_inputs for v in val)} of them with a training document")

    rows = [json.loads(l) for l in open(SRC / "m7qa-eval-val/outputs.jsonl", encoding="utf-8") if l.strip()]
    with open(OUT / "cs_shipped_outputs.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"cs_shipped_outputs.jsonl: {len(rows)} rows {sorted({(r['method'], r['rate']) for r in rows}, key=str)}")
    rows = [json.loads(l) for l in open(SRC / "m7g-eval-val/outputs.jsonl", encoding="utf-8") if l.strip()]
    rows = [r for r in rows if r["method"] == "full prompt"]
    with open(OUT / "cs_fullprompt_outputs.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"cs_fullprompt_outputs.jsonl: {len(rows)} rows, Acc {100 * sum(r['correct'] for r in rows) / len(rows):.2f}")
    for name in sorted(os.listdir(OUT)):
        print(f"  {name}: {os.path.getsize(OUT / name) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
