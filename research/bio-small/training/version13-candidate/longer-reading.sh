#!/usr/bin/env bash
# Version 13 candidate (not shipped: not better on validation world 31, README.md beside this script): the reader
# reads new documents with birth-date lists, the compressor is carried over. Kept as it ran.
#   l6:  version 12's reader (l5) 450 more steps x 4 sequences on the long documents of worlds 38, 39 and 40
#        (4,500 whole documents with their 24 questions) and world 43's 4,000 medium ones, every document followed
#        by the list of its people's birth dates (date_lists.py), lr 2e-4 cosine. l5's training loss was still
#        falling (0.143 -> 0.096 per 100 steps), and birth dates were what its long-document answers missed most
#        (15-36% from the full prompt against 67% on medium documents, whose training had the lists since m6).
#   l6k: version 12's compressor (l5k) carried over to l6 (KEFT with the compressor, --adopt-base), 600 steps on the
#        questions of worlds 38-40 and 43 (version 12's 300-step carry-over lost a little at 4x).
# Took 80 + 19 min on a 2-core CPU with AVX512-BF16 (AMD EPYC, 2.1 GHz). Every stage resumes from its checkpoint.
# Starts from version 12: WORK_DIR/l5 = a copy of models/bio-small/base, WORK_DIR/l5k = of models/bio-small/gmsa.
# Usage (from the repository root, with gmsa built): bash research/bio-small/training/version13-candidate/longer-reading.sh WORK_DIR
set -euo pipefail
repo="$(pwd)"
work="${1:?usage: longer-reading.sh WORK_DIR}"
cd "$work"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')
keft=(--rates 4,8 --questions-per-context 8 --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor --batch-size 4)
medium=(--people 100000 --min-bios 3 --max-bios 10 --filler 0.3 --questions-per-doc 16 --vocab 0)
long=(--people 100000 --min-bios 8 --max-bios 40 --max-chars 16000 --filler 0.5 --questions-per-doc 24 --vocab 0)

# Worlds 38, 39 and 40: 1,500 long training documents each; world 43: 4,000 medium ones. Employer cities per person.
for seed in 38 39 40; do
  [ -f "w$seed-long/train/qa.jsonl" ] || gmsa synth --out "w$seed-long" --seed "$seed" --employer-cities per-person "${long[@]}" \
    --train-docs 1500 --validation-docs 10 --test-docs 10
done
[ -f w43-mid/train/qa.jsonl ] || gmsa synth --out w43-mid --seed 43 --employer-cities per-person "${medium[@]}" \
  --train-docs 4000 --validation-docs 10 --test-docs 10

# l6: 4,500 long documents and 4,000 medium ones with a birth-date list each (and 3,000 medium copy lists).
for seed in 38 39 40; do
  [ -f "w$seed-datemix.jsonl" ] || python3 "$repo/models/bio-small/recipes/date_lists.py" "w$seed-long/train" "w$seed-datemix.jsonl" 0
done
[ -f w43-datemix.jsonl ] || python3 "$repo/models/bio-small/recipes/date_lists.py" w43-mid/train w43-datemix.jsonl
[ -f l6-mix.jsonl ] || cat w38-datemix.jsonl w39-datemix.jsonl w40-datemix.jsonl w43-datemix.jsonl > l6-mix.jsonl
gmsa train qa --model l5 --data l6-mix.jsonl "${qa_layout[@]}" --batch-size 4 --warmup 20 --lr 2e-4 --decay cosine \
  --checkpoint-every 25 --log-every 5 --seq-len 4608 --steps 450 --seed 33 --out l6 $(resume l6)

# l6k: l5k carried over to l6 on the questions of the documents l6 read.
[ -f l6k-mix.jsonl ] || cat w38-long/train/qa.jsonl w39-long/train/qa.jsonl w40-long/train/qa.jsonl w43-mid/train/qa.jsonl > l6k-mix.jsonl
gmsa train keft --model l6 --gmsa l5k --adopt-base --data l6k-mix.jsonl "${keft[@]}" \
  --steps 600 --lr 1.5e-4 --warmup 20 --seed 34 --checkpoint-every 100 --log-every 10 --out l6k $(resume l6k)
