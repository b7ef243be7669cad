#!/usr/bin/env bash
# Version 11 of the default pair: both halves trained on documents that no earlier step read.
#   d2k5: version 10's compressor (d2k) trained on answers for 2,000 more KEFT steps (the compressor too) on the
#         long documents of worlds 25 and 26 (3,000) and the medium ones of world 27 (4,000), at half of version
#         10's learning rate. Its KEFT loss stays flat (~0.32) from the first step; validation answers moved by
#         noise-sized amounts (world 31, 4x/8x: long 65.5/61.5 -> 66.0/59.0, medium 67.0/62.0 -> 70.0/65.0).
#   l3:   version 8's reader (l2) 600 more steps x 4 sequences on the long documents of worlds 28 and 29 (3,000,
#         whole documents with their 24 questions) and world 30's 4,000 medium ones with their date lists
#         (date_lists.py), lr 2e-4 cosine: about a third of an epoch. The reader had seen 1,500 long documents.
#   l3k:  d2k5 carried over to l3 (KEFT with the compressor, --adopt-base), 600 steps on worlds 28-30's questions.
# ~37 + 30 + 12 min on a quiet 2-core CPU with AVX512-BF16. Every stage resumes from its checkpoint when run again.
# Run after recipes/student-keft.sh (l2, d2k).
# Usage (from the repository root, with gmsa built): models/bio-small/recipes/fresh-docs.sh WORK_DIR
set -euo pipefail
repo="$(pwd)"
work="${1:?usage: fresh-docs.sh WORK_DIR}"
cd "$work"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')
keft=(--rates 4,8 --questions-per-context 8 --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor --batch-size 4)
medium=(--people 100000 --min-bios 3 --max-bios 10 --filler 0.3 --questions-per-doc 16 --vocab 0)
long=(--people 100000 --min-bios 8 --max-bios 40 --max-chars 16000 --filler 0.5 --questions-per-doc 24 --vocab 0)

# Worlds 25, 26, 28 and 29: 1,500 long training documents each; worlds 27 and 30: 4,000 medium ones each.
# Employer cities per person, as in every training world since version 6.
for seed in 25 26 28 29; do
  [ -f "w$seed-long/train/qa.jsonl" ] || gmsa synth --out "w$seed-long" --seed "$seed" --employer-cities per-person "${long[@]}" \
    --train-docs 1500 --validation-docs 10 --test-docs 10
done
for seed in 27 30; do
  [ -f "w$seed-mid/train/qa.jsonl" ] || gmsa synth --out "w$seed-mid" --seed "$seed" --employer-cities per-person "${medium[@]}" \
    --train-docs 4000 --validation-docs 10 --test-docs 10
done

# d2k5: 136,000 questions about 7,000 documents; 2,000 steps x 4 contexts x 8 questions = 1.1 epochs of the contexts.
[ -f d2k5-mix.jsonl ] || cat w25-long/train/qa.jsonl w26-long/train/qa.jsonl w27-mid/train/qa.jsonl > d2k5-mix.jsonl
gmsa train keft --model l2 --gmsa d2k --data d2k5-mix.jsonl "${keft[@]}" \
  --steps 2000 --lr 1.5e-4 --warmup 20 --seed 28 --checkpoint-every 250 --log-every 10 --out d2k5 $(resume d2k5)

# l3: 3,000 long documents and 4,000 medium ones with a birth-date list each (and 3,000 copy lists).
[ -f w30-datemix.jsonl ] || python3 "$repo/models/bio-small/recipes/date_lists.py" w30-mid/train w30-datemix.jsonl
[ -f l3-mix.jsonl ] || cat w28-long/train/qa.jsonl w29-long/train/qa.jsonl w30-datemix.jsonl > l3-mix.jsonl
gmsa train qa --model l2 --data l3-mix.jsonl "${qa_layout[@]}" --batch-size 4 --warmup 20 --lr 2e-4 --decay cosine \
  --checkpoint-every 25 --log-every 5 --seq-len 4608 --steps 600 --seed 29 --out l3 $(resume l3)

# l3k: d2k5 carried over to l3 on the questions of the documents l3 read.
[ -f l3k-mix.jsonl ] || cat w28-long/train/qa.jsonl w29-long/train/qa.jsonl w30-mid/train/qa.jsonl > l3k-mix.jsonl
gmsa train keft --model l3 --gmsa d2k5 --adopt-base --data l3k-mix.jsonl "${keft[@]}" \
  --steps 600 --lr 1.5e-4 --warmup 20 --seed 30 --checkpoint-every 100 --log-every 10 --out l3k $(resume l3k)
