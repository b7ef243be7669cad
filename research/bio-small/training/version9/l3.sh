#!/usr/bin/env bash
# Next reader candidate (not shipped): l2 on 1,500 NEW long documents (world 23, per-person cities) + world 22's long
# documents + the first half of version 6's medium mix (first 35513 lines of w1-mix.jsonl, a group boundary).
set -euo pipefail
cd /work/build/v6
gmsa() { dotnet /work/build/gmsa-bin2/gmsa.dll "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')
gmsa train qa --model l2 --data l3-mix.jsonl "${qa_layout[@]}" --batch-size 4 --warmup 20 --lr 2e-4 --decay cosine \
  --checkpoint-every 25 --log-every 5 --seq-len 4608 --steps 800 --seed 24 --out l3 $(resume l3)
