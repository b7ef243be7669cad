#!/usr/bin/env bash
# Versions 7 and 8 of the default pair: version 6 (w1, w1-gmsa) taught to read long documents (8-40 people, up to
# ~4,000 tokens) of world 22, whose employer cities are drawn per person (version 7: l1, l1-gmsa), then the reader
# trained on long and medium documents together (version 8: l2, l2-gmsa). Every stage resumes from its checkpoint
# when run again. Run after recipes/fresh-worlds.sh, which generates the documents (w22-long, w21-mid, w1-mix.jsonl).
# Usage (from the repository root, with gmsa built): models/bio-small/recipes/long-docs.sh WORK_DIR
set -euo pipefail
repo="$(pwd)"
work="${1:?usage: long-docs.sh WORK_DIR}"
cd "$work"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')

# l1: the reader on whole long documents, all 24 questions of each packed after it (one document per sequence;
# the longest fit in 4,608 positions, the base's max_position_embeddings). 400 steps x 4 = about one epoch.
gmsa train qa --model w1 --data w22-long/train/qa.jsonl "${qa_layout[@]}" --batch-size 4 --warmup 20 --lr 3e-4 --decay cosine \
  --checkpoint-every 25 --log-every 5 --seq-len 4608 --steps 400 --seed 22 --out l1 $(resume l1)
# l1-gmsa: version 6's compressor carried over to l1, KEFT training the compressor too, on long documents and as
# many medium ones (the first 1,500 of w21-mid), so that neither size is forgotten.
[ -f l1-keft-mix.jsonl ] || { cat w22-long/train/qa.jsonl; head -n 24000 w21-mid/train/qa.jsonl; } > l1-keft-mix.jsonl
gmsa train keft --model l1 --gmsa w1-gmsa --adopt-base --data l1-keft-mix.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 250 --lr 5e-4 --warmup 20 --batch-size 4 --seed 22 --checkpoint-every 25 --log-every 5 --out l1-gmsa $(resume l1-gmsa)
# Answers stop at a newline, after at most 32 tokens (answer_defaults.py says why).
python3 "$repo/models/bio-small/recipes/answer_defaults.py" l1-gmsa/gmsa_config.json

# Version 8. l2: l1 on long and medium documents together (the 1,500 long documents of l1 and the 7,000 medium
# sequences of version 6's reader, w1-mix.jsonl), so the medium documents that l1 forgot come back; 600 steps x 4
# at a lower rate (about a quarter of an epoch of the mix). Validation world 31: full prompt long 71.0 -> 75.5,
# medium 85.0 -> 89.0.
[ -f l2-mix.jsonl ] || cat w22-long/train/qa.jsonl w1-mix.jsonl > l2-mix.jsonl
gmsa train qa --model l1 --data l2-mix.jsonl "${qa_layout[@]}" --batch-size 4 --warmup 20 --lr 2e-4 --decay cosine \
  --checkpoint-every 25 --log-every 5 --seq-len 4608 --steps 600 --seed 23 --out l2 $(resume l2)
# l2-gmsa: l1-gmsa carried over to l2 exactly as l1-gmsa was to l1 (same data, steps and seed).
gmsa train keft --model l2 --gmsa l1-gmsa --adopt-base --data l1-keft-mix.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 250 --lr 5e-4 --warmup 20 --batch-size 4 --seed 22 --checkpoint-every 25 --log-every 5 --threads 1 --out l2-gmsa $(resume l2-gmsa)
python3 "$repo/models/bio-small/recipes/answer_defaults.py" l2-gmsa/gmsa_config.json
