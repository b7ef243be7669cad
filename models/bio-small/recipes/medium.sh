#!/usr/bin/env bash
# The medium reader (MODEL_CARD "Medium documents from the short reader"; 2026-11-27, eighth and ninth sessions), each
# stage continuing from the one before (gmsa train qa, batch 16; m6-m9: tenth and eleventh sessions):
#   m1  START_MODEL + 600 steps on named 3-10-person documents, copy lists, 1-2-person pronoun QA (52 min)
#   m2  400 steps on pronoun 3-10-person documents, copy lists, 1-2-person QA (35 min)
#   m3  250 steps with 2,000 medium documents restated word for word mixed in (seq 2048; 26 min)
#   m4  300 steps on a mix where half the medium questions ask birth dates (date_mix.py; 16 min)
#   m5  300 more steps on the same mix (16 min): models/bio-small/base of version 3
#   m6  250 steps on every medium document with all its questions and a list of every person's name and birth
#       date (date_lists.py; 21 min)
#   m7  300 more steps on the same mix (25 min): models/bio-small/base of version 4
#   m8, m9  300 more steps each on the same mix, lr 4e-4 (25 min each): the shipped models/bio-small/base
# Usage (from the repository root, with gmsa built): models/bio-small/recipes/medium.sh WORK_DIR START_MODEL
# START_MODEL is build.sh's short-reader (= short-docs/base), absolute or relative to WORK_DIR; WORK_DIR needs build.sh's pron-mix.jsonl (binding.sh
# step 5) and its bio-tiny folder.
set -euo pipefail
repo="$(pwd)"
work="${1:?usage: medium.sh WORK_DIR START_MODEL}"
start="${2:?usage: medium.sh WORK_DIR START_MODEL}"
cd "$work"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ' --batch-size 16 --warmup 20)
first=(--seq-len 1280 --lr 1e-3 --checkpoint-every 100 --log-every 25)   # m1, m2
later=(--lr 5e-4 --decay cosine --checkpoint-every 50 --log-every 10)     # m3, m4, m5, m7
# The same world as build.sh's bio-mid (seed 1, 100,000 people, identical validation documents), 4,000 training documents.
[ -f mid-named/train/qa.jsonl ] || gmsa synth --out mid-named --seed 1 --people 100000 --min-bios 3 --max-bios 10 --filler 0.3 --name-every-sentence \
  --train-docs 4000 --validation-docs 100 --test-docs 100 --questions-per-doc 16 --vocab 0
[ -f mid-pronoun/train/qa.jsonl ] || gmsa synth --out mid-pronoun --seed 1 --people 100000 --min-bios 3 --max-bios 10 --filler 0.3 \
  --train-docs 4000 --validation-docs 100 --test-docs 100 --questions-per-doc 16 --vocab 0
awk 'NR % 8 == 1' mid-named/validation/qa.jsonl > named-mid-val200.jsonl
awk 'NR % 8 == 1' mid-pronoun/validation/qa.jsonl > mid-val200.jsonl
# (most of the 2,000 restatements are longer than 1,280 tokens and are rejected)
cat mid-named/train/qa.jsonl <(head -n 2000 mid-named/train/restate.jsonl) <(head -n 3000 mid-named/train/copy.jsonl) \
  <(head -n 16000 pron-mix.jsonl) > m1-mix.jsonl
gmsa train qa --model "$start" --data m1-mix.jsonl "${qa_layout[@]}" "${first[@]}" \
  --steps 600 --decay constant --seed 5 --out m1 $(resume m1)
cat mid-pronoun/train/qa.jsonl <(head -n 3000 mid-pronoun/train/copy.jsonl) <(sed -n 16001,32000p pron-mix.jsonl) > m2-mix.jsonl
gmsa train qa --model m1 --data m2-mix.jsonl "${qa_layout[@]}" "${first[@]}" --steps 400 --decay cosine --seed 6 --out m2 $(resume m2)
# m3: restatements need seq 2048 to fit; a lower, decaying rate from here on.
cat mid-pronoun/train/qa.jsonl <(head -n 2000 mid-pronoun/train/restate.jsonl) <(sed -n 1001,4000p mid-pronoun/train/copy.jsonl) \
  <(sed -n 32001,40000p pron-mix.jsonl) > m3-mix.jsonl
gmsa train qa --model m2 --data m3-mix.jsonl "${qa_layout[@]}" "${later[@]}" --seq-len 2048 --steps 250 --seed 8 --out m3 $(resume m3)
python3 "$repo/models/bio-small/recipes/date_mix.py" mid-pronoun/train pron-mix.jsonl m4-mix.jsonl
gmsa train qa --model m3 --data m4-mix.jsonl "${qa_layout[@]}" "${later[@]}" --seq-len 1280 --steps 300 --seed 9 --out m4 $(resume m4)
gmsa train qa --model m4 --data m4-mix.jsonl "${qa_layout[@]}" "${later[@]}" --seq-len 1280 --steps 300 --seed 10 --out m5 $(resume m5)
# m6, m7: name-date lists teach copying a date's digits (m5 still made up the day and year of most dates).
python3 "$repo/models/bio-small/recipes/date_lists.py" mid-pronoun/train m6-mix.jsonl
gmsa train qa --model m5 --data m6-mix.jsonl "${qa_layout[@]}" --lr 7e-4 --decay cosine --checkpoint-every 50 --log-every 10 --seq-len 1280 --steps 250 --seed 11 --out m6 $(resume m6)
gmsa train qa --model m6 --data m6-mix.jsonl "${qa_layout[@]}" "${later[@]}" --seq-len 1280 --steps 300 --seed 12 --out m7 $(resume m7)
# m8, m9: birth dates were still rising (+11 points on 100 validation dates from m6 to m7).
gmsa train qa --model m7 --data m6-mix.jsonl "${qa_layout[@]}" --lr 4e-4 --decay cosine --checkpoint-every 50 --log-every 10 --seq-len 1280 --steps 300 --seed 13 --out m8 $(resume m8)
gmsa train qa --model m8 --data m6-mix.jsonl "${qa_layout[@]}" --lr 4e-4 --decay cosine --checkpoint-every 50 --log-every 10 --seq-len 1280 --steps 300 --seed 14 --out m9 $(resume m9)
# Full-prompt scores (a 1-step throwaway GMSA folder makes gmsa eval run; only its full-prompt row is read).
score() {
  gmsa train autoencode --model "$1" --data bio-tiny/validation/ae.jsonl --rates 4 --encoder-layers 1 --lora-rank 2 --window 512 \
    --question-template $'Question: {question}\nAnswer:' --answer-prefix ' ' --steps 1 --out "$1-throwaway" > /dev/null
  gmsa eval --model "$1" --gmsa "$1-throwaway" --data "$2" --rates 4 --max-new-tokens 12 --stop $'\n' --group-by biographies,attribute --out "score-$1-$(basename "$2" .jsonl)"
}
# 100 birth-date questions of the medium validation documents (the answer that needs copying digits).
grep '"attribute":"birth_date"' mid-pronoun/validation/qa.jsonl | awk 'NR % 2 == 1' | head -n 100 > mid-dates-val100.jsonl
score m1 named-mid-val200.jsonl
for m in m1 m2 m3 m4 m5 m6 m7 m8 m9; do score $m mid-val200.jsonl; done
for m in m3 m4 m5 m6 m7 m8 m9; do score $m mid-dates-val100.jsonl; done
