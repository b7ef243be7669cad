#!/usr/bin/env bash
# Medium documents from the short reader (MODEL_CARD "Medium documents from the short reader"; 2026-11-27, eighth
# session; not shipped): m1 = short-docs/base + 600 steps on named 3-10-person documents with copy lists and
# 1-2-person pronoun QA mixed in (52 min); m2 = 400 steps on build.sh's pronoun bio-mid documents (35 min).
# Usage (from the repository root, with gmsa built): models/bio-small/experiments/medium.sh WORK_DIR
# WORK_DIR needs build.sh's pron-mix.jsonl (binding.sh step 5) and its bio-tiny folder.
set -euo pipefail
repo="$(pwd)"
work="${1:?usage: medium.sh WORK_DIR}"
cd "$work"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ' --seq-len 1280 --batch-size 16
  --lr 1e-3 --warmup 20 --checkpoint-every 100 --log-every 25)
# The same world as build.sh's bio-mid (seed 1, 100,000 people, identical validation documents), 4,000 training documents.
gmsa synth --out mid-named --seed 1 --people 100000 --min-bios 3 --max-bios 10 --filler 0.3 --name-every-sentence \
  --train-docs 4000 --validation-docs 100 --test-docs 100 --questions-per-doc 16 --vocab 0
gmsa synth --out mid-pronoun --seed 1 --people 100000 --min-bios 3 --max-bios 10 --filler 0.3 \
  --train-docs 4000 --validation-docs 100 --test-docs 100 --questions-per-doc 16 --vocab 0
awk 'NR % 8 == 1' mid-named/validation/qa.jsonl > named-mid-val200.jsonl
awk 'NR % 8 == 1' mid-pronoun/validation/qa.jsonl > mid-val200.jsonl
# (most of the 2,000 restatements are longer than 1,280 tokens and are rejected)
cat mid-named/train/qa.jsonl <(head -n 2000 mid-named/train/restate.jsonl) <(head -n 3000 mid-named/train/copy.jsonl) \
  <(head -n 16000 pron-mix.jsonl) > m1-mix.jsonl
gmsa train qa --model "$repo/models/bio-small/short-docs/base" --data m1-mix.jsonl "${qa_layout[@]}" \
  --steps 600 --decay constant --seed 5 --out m1 $(resume m1)
cat mid-pronoun/train/qa.jsonl <(head -n 3000 mid-pronoun/train/copy.jsonl) <(sed -n 16001,32000p pron-mix.jsonl) > m2-mix.jsonl
gmsa train qa --model m1 --data m2-mix.jsonl "${qa_layout[@]}" --steps 400 --decay cosine --seed 6 --out m2 $(resume m2)
# Full-prompt scores (a 1-step throwaway GMSA folder makes gmsa eval run; only its full-prompt row is read).
score() {
  gmsa train autoencode --model "$1" --data bio-tiny/validation/ae.jsonl --rates 4 --encoder-layers 1 --lora-rank 2 --window 512 \
    --question-template $'Question: {question}\nAnswer:' --answer-prefix ' ' --steps 1 --out "$1-throwaway" > /dev/null
  gmsa eval --model "$1" --gmsa "$1-throwaway" --data "$2" --rates 4 --max-new-tokens 12 --stop $'\n' --group-by biographies,attribute --out "score-$1-$(basename "$2" .jsonl)"
}
score m1 named-mid-val200.jsonl
score m1 mid-val200.jsonl
score m2 mid-val200.jsonl
