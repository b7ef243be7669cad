#!/usr/bin/env bash
# Version 10 of the default pair: version 9's reader (l2) unchanged, and version 9's distilled 2-block compressor (d2)
# trained on answers (KEFT, the compressor trained too) for 2,000 steps: d2k. Distillation copied version 8's
# compressor into the cheaper shape; this is the KEFT budget that the cheaper shape makes affordable (~1.9 s per
# step on a quiet 2-core CPU, against ~6 s for version 8's 4-block encoder), on more distinct documents than any
# earlier KEFT stage: the long documents of worlds 22, 23 and 24 (4,500, per-person cities) and world 21's 4,000
# medium ones, all their questions. Resumes from its checkpoint when run again.
# Run after recipes/distill.sh (l2, d2, w21-mid, w22-long, w23-long).
# Usage (from the repository root, with gmsa built): models/bio-small/recipes/student-keft.sh WORK_DIR
set -euo pipefail
repo="$(pwd)"
work="${1:?usage: student-keft.sh WORK_DIR}"
cd "$work"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
long=(--people 100000 --min-bios 8 --max-bios 40 --max-chars 16000 --filler 0.5 --questions-per-doc 24 --vocab 0)

# World 24: 1,500 more long training documents, made as worlds 22 and 23.
[ -f w24-long/train/qa.jsonl ] || gmsa synth --out w24-long --seed 24 --employer-cities per-person "${long[@]}" \
  --train-docs 1500 --validation-docs 10 --test-docs 10
# 172,000 questions about 8,500 documents; 2,000 steps x 4 contexts x 8 questions = about 0.9 epoch of the contexts.
[ -f d2k-mix.jsonl ] || cat w22-long/train/qa.jsonl w23-long/train/qa.jsonl w24-long/train/qa.jsonl w21-mid/train/qa.jsonl > d2k-mix.jsonl
gmsa train keft --model l2 --gmsa d2 --data d2k-mix.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 2000 --lr 3e-4 --warmup 50 --batch-size 4 --seed 25 --checkpoint-every 100 --log-every 10 --out d2k $(resume d2k)
