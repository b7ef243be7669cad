#!/usr/bin/env bash
# Version 9 of the default pair: version 8's reader (l2) unchanged, and version 8's compressor (l2-gmsa, a
# 4-of-6-block encoder) distilled into a 2-block one (d2), so that compressing costs much less than reading.
# The student starts from the teacher's weights where shapes allow (encoder LoRA of blocks 0-1, the LSA block, the
# KEFT adapters, kept frozen) and learns to produce the teacher's soft tokens for the same documents and rates
# (`gmsa train distill`: relative squared error per soft token, documents compressed window by window as at
# inference). No answers are trained on. Every stage resumes from its checkpoint when run again.
# Run after recipes/long-docs.sh (l2, l2-gmsa, w22-long, w21-mid).
# Usage (from the repository root, with gmsa built): models/bio-small/recipes/distill.sh WORK_DIR
set -euo pipefail
repo="$(pwd)"
work="${1:?usage: distill.sh WORK_DIR}"
cd "$work"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
long=(--people 100000 --min-bios 8 --max-bios 40 --max-chars 16000 --filler 0.5 --questions-per-doc 24 --vocab 0)

# World 23: 1,500 more long training documents, made as world 22's (per-person employer cities).
[ -f w23-long/train/ae.jsonl ] || gmsa synth --out w23-long --seed 23 --employer-cities per-person "${long[@]}" \
  --train-docs 1500 --validation-docs 10 --test-docs 10
# 7,000 distinct documents: the long ones of worlds 22 and 23 (~2,300 tokens, 5 windows on average) and world 21's
# 4,000 medium ones. 1,500 steps x 4 documents = about 0.9 epoch; ~1.4 s per step on a quiet 2-core CPU.
[ -f distill-docs.jsonl ] || cat w22-long/train/ae.jsonl w23-long/train/ae.jsonl w21-mid/train/ae.jsonl > distill-docs.jsonl
gmsa train distill --model l2 --teacher l2-gmsa --data distill-docs.jsonl --encoder-layers 2 --rates 4,8 \
  --steps 1500 --batch-size 4 --lr 5e-4 --warmup 50 --seed 7 --checkpoint-every 100 --log-every 25 --out d2 $(resume d2)
