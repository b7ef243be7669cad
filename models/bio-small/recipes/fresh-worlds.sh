#!/usr/bin/env bash
# Version 6 of the default pair: the version 5 reader (m9) and compressor (mid9-gmsa) trained on documents whose
# facts can only be read (employer cities drawn per person, world seeds no earlier step used), then scored on
# worlds that no training or selection step saw. Every stage resumes from its checkpoint when run again.
# Usage (from the repository root, with gmsa built): models/bio-small/recipes/fresh-worlds.sh WORK_DIR M9 MID9_GMSA
# M9 and MID9_GMSA are build.sh's m9 and mid9-gmsa (= version 5's base/ and gmsa/), absolute or relative to WORK_DIR.
# World seeds: 21 medium and 22 long training documents (per-person employer cities), 31 validation (selection),
# 41 and 42 test (reported only). Test and validation worlds keep per-company cities, as a user's documents may:
# a reader that reads handles both, and those cities cannot be recalled from a training world either.
set -euo pipefail
repo="$(pwd)"
work="${1:?usage: fresh-worlds.sh WORK_DIR M9 MID9_GMSA}"
m9="${2:?usage: fresh-worlds.sh WORK_DIR M9 MID9_GMSA}"
mid9_gmsa="${3:?usage: fresh-worlds.sh WORK_DIR M9 MID9_GMSA}"
cd "$work"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')
medium=(--people 100000 --min-bios 3 --max-bios 10 --filler 0.3 --questions-per-doc 16 --vocab 0)
long=(--people 100000 --min-bios 8 --max-bios 40 --max-chars 16000 --filler 0.5 --questions-per-doc 24 --vocab 0)

[ -f w21-mid/train/qa.jsonl ] || gmsa synth --out w21-mid --seed 21 --employer-cities per-person "${medium[@]}" \
  --train-docs 4000 --validation-docs 10 --test-docs 10
[ -f w22-long/train/qa.jsonl ] || gmsa synth --out w22-long --seed 22 --employer-cities per-person "${long[@]}" \
  --train-docs 1500 --validation-docs 10 --test-docs 10
for seed in 31 41 42; do
  [ -f "w$seed-mid/test/qa.jsonl" ] || gmsa synth --out "w$seed-mid" --seed "$seed" "${medium[@]}" --train-docs 1 --validation-docs 1 --test-docs 100
  [ -f "w$seed-long/test/qa.jsonl" ] || gmsa synth --out "w$seed-long" --seed "$seed" "${long[@]}" --train-docs 1 --validation-docs 1 --test-docs 100
done
# Two questions of each of 100 documents (as build.sh's mid-test200), the attributes in turn.
two_per_doc() { awk -v per="$2" '{ n = NR - 1; d = int(n / per); q = n % per; if (q == d % per || q == (d + per / 2) % per) print }' "$1"; }
for seed in 31 41 42; do
  two_per_doc "w$seed-mid/test/qa.jsonl" 16 > "w$seed-mid-200.jsonl"
  two_per_doc "w$seed-long/test/qa.jsonl" 24 > "w$seed-long-200.jsonl"
done

# w1: the reader on fresh-world medium documents, all 16 questions and a name-date list each (medium.sh's m6 mix).
python3 "$repo/models/bio-small/recipes/date_lists.py" w21-mid/train w1-mix.jsonl
gmsa train qa --model "$m9" --data w1-mix.jsonl "${qa_layout[@]}" --batch-size 16 --warmup 20 --lr 4e-4 --decay cosine \
  --checkpoint-every 50 --log-every 10 --seq-len 1280 --steps 300 --seed 21 --out w1 $(resume w1)
# w1-gmsa: version 5's compressor carried over to w1, KEFT training the compressor too, on the same documents.
gmsa train keft --model w1 --gmsa "$mid9_gmsa" --adopt-base --data w21-mid/train/qa.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 700 --lr 5e-4 --warmup 30 --batch-size 4 --seed 21 --checkpoint-every 100 --log-every 25 --out w1-gmsa $(resume w1-gmsa)
# Answers stop at a newline, after at most 32 tokens (answer_defaults.py says why).
python3 "$repo/models/bio-small/recipes/answer_defaults.py" w1-gmsa/gmsa_config.json
