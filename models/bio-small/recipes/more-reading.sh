#!/usr/bin/env bash
# Version 12 of the default pair: the reader reads more new documents, the compressor is carried over to it.
#   l5:  version 11's reader (l3) 300 more steps x 4 sequences on the long documents of worlds 34, 35 and 37
#        (4,500 whole documents with their 24 questions) and world 36's 4,000 medium ones with their date lists
#        (date_lists.py), lr 2e-4 cosine: a tenth of an epoch of the 11,500 sequences. l3's training loss was still
#        falling; 400 steps on worlds 34-36 alone raised validation full-prompt accuracy by 1.5 (long) and 2 (medium)
#        points (research/bio-small/training/version11, l4).
#   l5k: version 11's compressor (l3k) carried over to l5 (KEFT with the compressor, --adopt-base), 300 steps on the
#        questions of worlds 34-37.
# ~22 + 12 min on a quiet 2-core CPU with AVX512-BF16 (AMD EPYC, 2.1 GHz). Every stage resumes from its checkpoint.
# Run after recipes/fresh-docs.sh (l3, l3k).
# Usage (from the repository root, with gmsa built): models/bio-small/recipes/more-reading.sh WORK_DIR
set -euo pipefail
repo="$(pwd)"
work="${1:?usage: more-reading.sh WORK_DIR}"
cd "$work"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')
keft=(--rates 4,8 --questions-per-context 8 --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor --batch-size 4)
medium=(--people 100000 --min-bios 3 --max-bios 10 --filler 0.3 --questions-per-doc 16 --vocab 0)
long=(--people 100000 --min-bios 8 --max-bios 40 --max-chars 16000 --filler 0.5 --questions-per-doc 24 --vocab 0)

# Worlds 34, 35 and 37: 1,500 long training documents each; world 36: 4,000 medium ones. Employer cities per person.
for seed in 34 35 37; do
  [ -f "w$seed-long/train/qa.jsonl" ] || gmsa synth --out "w$seed-long" --seed "$seed" --employer-cities per-person "${long[@]}" \
    --train-docs 1500 --validation-docs 10 --test-docs 10
done
[ -f w36-mid/train/qa.jsonl ] || gmsa synth --out w36-mid --seed 36 --employer-cities per-person "${medium[@]}" \
  --train-docs 4000 --validation-docs 10 --test-docs 10

# l5: 4,500 long documents and 4,000 medium ones with a birth-date list each (and 3,000 copy lists).
[ -f w36-datemix.jsonl ] || python3 "$repo/models/bio-small/recipes/date_lists.py" w36-mid/train w36-datemix.jsonl
[ -f l5-mix.jsonl ] || cat w34-long/train/qa.jsonl w35-long/train/qa.jsonl w37-long/train/qa.jsonl w36-datemix.jsonl > l5-mix.jsonl
gmsa train qa --model l3 --data l5-mix.jsonl "${qa_layout[@]}" --batch-size 4 --warmup 20 --lr 2e-4 --decay cosine \
  --checkpoint-every 25 --log-every 5 --seq-len 4608 --steps 300 --seed 31 --out l5 $(resume l5)

# l5k: l3k carried over to l5 on the questions of the documents l5 read.
[ -f l5k-mix.jsonl ] || cat w34-long/train/qa.jsonl w35-long/train/qa.jsonl w37-long/train/qa.jsonl w36-mid/train/qa.jsonl > l5k-mix.jsonl
gmsa train keft --model l5 --gmsa l3k --adopt-base --data l5k-mix.jsonl "${keft[@]}" \
  --steps 300 --lr 1.5e-4 --warmup 20 --seed 32 --checkpoint-every 100 --log-every 10 --out l5k $(resume l5k)
