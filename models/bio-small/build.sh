#!/usr/bin/env bash
# Rebuilds the bundled bio-small model from nothing: corpora and tokenizer (seed-1 world), a base decoder
# (language modelling, then reading one- and two-person, then medium documents), a GMSA compressor (autoencode,
# then KEFT), both trained on in fresh worlds whose facts can only be read, then scored on worlds no step saw.
# Every training stage checkpoints; running the script again continues each stage from its checkpoint.
# Usage: models/bio-small/build.sh WORK_DIR   (then copy WORK_DIR/l5 to models/bio-small/base and WORK_DIR/l5k
# to models/bio-small/gmsa without their checkpoint/ folders, and WORK_DIR's heldout-qa.jsonl, heldout-long-qa.jsonl,
# sample-document.txt and sample-questions.txt to models/bio-small/). About 16.5 hours on a 2-core CPU with native bf16.
# The retired pairs and the seed-1 evaluations of earlier versions: research/bio-small/ (NOTES.md).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:?usage: build.sh WORK_DIR}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"   # absolute: step 7b runs recipes/binding.sh from the repository root
cd "$work"
dotnet build "$repo/src/GmsaSharp.Cli" -c Release -v q
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
# --resume when the stage already has a checkpoint in its output folder.
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')

# One world of 100,000 people (so no training person is seen often enough to be memorised: answers must be
# read from the document), split 80/10/10 into disjoint train/validation/test people, three document sizes.
# The tokenizer is trained on the long-document corpus.
[ -f bio/tokenizer/tokenizer.json ] || gmsa synth --out bio --seed 1 --people 100000 --min-bios 8 --max-bios 40 --max-chars 16000 \
  --filler 0.5 --train-docs 1500 --validation-docs 100 --test-docs 200 --questions-per-doc 24 --vocab 2048
[ -f bio-tiny/train/restate.jsonl ] || gmsa synth --out bio-tiny --seed 1 --people 100000 --min-bios 1 --max-bios 2 --filler 0 \
  --train-docs 20000 --validation-docs 100 --test-docs 100 --questions-per-doc 8 --vocab 0
[ -f bio-mid/train/qa.jsonl ] || gmsa synth --out bio-mid --seed 1 --people 100000 --min-bios 3 --max-bios 10 --filler 0.3 \
  --train-docs 8000 --validation-docs 100 --test-docs 100 --questions-per-doc 16 --vocab 0

# 1. Language modelling from scratch on short and medium documents with their answered questions.
gmsa train pretrain --config "$repo/models/bio-small/recipes/base-config.json" --tokenizer bio/tokenizer \
  --data bio-tiny/train/pretrain.txt bio-mid/train/pretrain.txt --packing records --seq-len 1024 --batch-size 4 \
  --steps 800 --lr 2e-3 --warmup 50 --seed 1 --checkpoint-every 100 --log-every 25 --out base-lm $(resume base-lm)

# 2. One- and two-person documents with their questions, plus 4,000 documents restated word for word (the
#    copying GMSA's autoencoding needs from the frozen decoder): the short reader's data (step 3).
cat bio-tiny/train/qa.jsonl <(head -n 4000 bio-tiny/train/restate.jsonl) > tiny-mix.jsonl

# 3. The short reader: reading 1-2-person documents, where the small base can learn to read. 3a: QA from stage 1
#    (batch 32 x 1000 steps: 55% on 1-2-person validation documents).
gmsa train qa --model base-lm --data tiny-mix.jsonl --seq-len 512 "${qa_layout[@]}" \
  --batch-size 32 --steps 1000 --lr 1.5e-3 --warmup 50 --seed 1 --checkpoint-every 50 --log-every 25 --out short-qa $(resume short-qa)
#    3b: that reader never learned to copy, and so not which person a question is about (two-person documents
#    at chance). recipes/binding.sh teaches copying (lists to repeat back), then binding (recall lists,
#    then documents naming the person in every sentence), then returns to these documents with copy lists
#    mixed in (pron-eE: 85.8%), scoring each step (research/bio-small/NOTES.md "Copying first, then binding").
awk 'NR % 2 == 1' bio-tiny/validation/qa.jsonl > val400L.jsonl
[ -f pron-eE/model.safetensors ] || (cd "$repo" && models/bio-small/recipes/binding.sh "$work" short-qa)
#    3c: 400 more steps on the same mix with a decaying rate: short-reader (the short-docs/base of versions 3-5).
gmsa train qa --model pron-eE --data pron-mix.jsonl --seq-len 512 "${qa_layout[@]}" \
  --batch-size 32 --steps 400 --lr 1e-3 --decay cosine --warmup 20 --seed 4 --checkpoint-every 100 --log-every 25 --out short-reader $(resume short-reader)

# 4. The version 5 pair: medium documents, 3-10 people plus filler paragraphs, up to ~900 tokens, so
#    one or two 512-token encoder windows, all of the seed-1 world. 4a: the medium reader, five stages from short-reader
#    (recipes/medium.sh: named then pronoun medium documents, restatements, birth dates: m5), then four
#    stages with name-date lists (m7: version 4's base; m9).
[ -f m9/model.safetensors ] || (cd "$repo" && models/bio-small/recipes/medium.sh "$work" short-reader)
#    4b: the compressor of version 3 (for m5): the short pair's settings on medium documents, KEFT
#    training the compressor too.
gmsa train autoencode --model m5 --data mid-pronoun/train/ae.jsonl --rates 4,8 --encoder-layers 4 \
  --lora-rank 64 --lora-alpha 64 --lora-dropout 0.05 --lsa-layers 1 --window 512 --overlong window "${qa_layout[@]}" \
  --steps 1200 --lr 1e-3 --warmup 30 --batch-size 4 --seed 1 --checkpoint-every 100 --log-every 25 --out mid-ae $(resume mid-ae)
gmsa train keft --model m5 --gmsa mid-ae --data mid-pronoun/train/qa.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 1400 --lr 1e-3 --warmup 30 --batch-size 4 --seed 1 --checkpoint-every 100 --log-every 25 --out mid-gmsa $(resume mid-gmsa)
#    4c: that compressor carried over to m7 (--adopt-base) and trained 1400 more KEFT steps on m7: mid7-gmsa.
gmsa train keft --model m7 --gmsa mid-gmsa --adopt-base --data mid-pronoun/train/qa.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 1400 --lr 5e-4 --warmup 30 --batch-size 4 --seed 2 --checkpoint-every 100 --log-every 25 --out mid7-gmsa $(resume mid7-gmsa)
#    4d: mid7-gmsa (version 4's gmsa/) carried over to m9 the same way, 700 KEFT steps: mid9-gmsa.
gmsa train keft --model m9 --gmsa mid7-gmsa --adopt-base --data mid-pronoun/train/qa.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 700 --lr 5e-4 --warmup 30 --batch-size 4 --seed 3 --checkpoint-every 100 --log-every 25 --out mid9-gmsa $(resume mid9-gmsa)

# 5. Version 6 (base/, gmsa/): m9 and mid9-gmsa trained on in fresh worlds whose employer cities are drawn per
#    person, so no answer can be recalled (recipes/fresh-worlds.sh): w1 (reader), w1-gmsa (compressor).
(cd "$repo" && models/bio-small/recipes/fresh-worlds.sh "$work" m9 mid9-gmsa)

# 6. Version 7: w1 taught to read long documents (8-40 people, up to ~4,000 tokens) of world 22, then w1-gmsa
#    carried over to it with KEFT on long and medium documents: l1, l1-gmsa. Version 8 (base/, gmsa/): l1 trained
#    on long and medium documents together, l1-gmsa carried over to it the same way: l2, l2-gmsa (recipes/long-docs.sh).
(cd "$repo" && models/bio-small/recipes/long-docs.sh "$work")

# 6c. Version 9 (gmsa/): l2-gmsa distilled into a 2-of-6-block encoder that produces its soft tokens, so that
#     compressing costs a third of reading instead of two thirds (recipes/distill.sh: d2). The reader stays l2.
(cd "$repo" && models/bio-small/recipes/distill.sh "$work")
# 6d. Version 10 (gmsa/): d2 trained on answers (KEFT, the compressor too) for 2,000 steps on the long documents of
#     worlds 22-24 and the medium ones of world 21 (recipes/student-keft.sh: d2k). The reader stays l2.
(cd "$repo" && models/bio-small/recipes/student-keft.sh "$work")
# 6e. Version 11 (base/, gmsa/): d2k 2,000 more KEFT steps on new documents (d2k5), the reader 600 more steps on
#     3,000 new long and 4,000 new medium documents (l3), and d2k5 carried over to it (recipes/fresh-docs.sh: l3k).
(cd "$repo" && models/bio-small/recipes/fresh-docs.sh "$work")
# 6f. Version 12 (base/, gmsa/): l3 300 more steps on 4,500 new long and 4,000 new medium documents (l5), and l3k
#     carried over to it (recipes/more-reading.sh: l5k).
(cd "$repo" && models/bio-small/recipes/more-reading.sh "$work")

# 7. Evaluation on worlds no step used: validation world 31 (any choice between candidates is made there), test
#    worlds 41 and 42 (the card's tables), 200 questions each (two per document), medium and long documents.
#    heldout-qa.jsonl and heldout-long-qa.jsonl (the tests' floors): one question of each of world 41's first 40
#    medium and long test documents. sample-document.txt: world 41's long test document closest to 12,000
#    characters (about 3,000 tokens, six encoder windows); sample-questions.txt: four of its questions.
qa_eval=(--rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' --group-by biographies,attribute)
for set in w31-long w41-long w41-mid w42-long w42-mid w31-mid; do
  gmsa eval --model l5 --gmsa l5k --data "$set-200.jsonl" "${qa_eval[@]}" --out "l5k-eval-$set"
done
awk '{ n = NR - 1; d = int(n / 16); q = n % 16; if (d < 40 && q == d % 16) print }' w41-mid/test/qa.jsonl > heldout-qa.jsonl
awk '{ n = NR - 1; d = int(n / 24); q = n % 24; if (d < 40 && q == d % 24) print }' w41-long/test/qa.jsonl > heldout-long-qa.jsonl
for held in heldout-qa heldout-long-qa; do
  gmsa eval --model l5 --gmsa l5k --data "$held.jsonl" --rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' --out "l5k-eval-$held"
done
gmsa eval --model l5 --gmsa l5k --data w41-mid/test/ae.jsonl --limit 10 --reconstruction --rates 4,8 --out l5k-eval-reconstruction
python3 - w41-long/test/qa.jsonl <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
chosen = min(range(0, len(rows), 24), key=lambda i: abs(len(rows[i]["input"]) - 12000))
open("sample-document.txt", "w", encoding="utf-8").write(rows[chosen]["input"])
open("sample-questions.txt", "w", encoding="utf-8").write("".join(rows[chosen + q]["prompt"] + "\n" for q in (0, 4, 8, 16)))
open("sample-qa.jsonl", "w", encoding="utf-8").write("".join(json.dumps(row) + "\n" for row in rows[chosen:chosen + 24]))
PY
#    All 24 questions of the sample document (the README's count of right answers).
gmsa eval --model l5 --gmsa l5k --data sample-qa.jsonl --rates 4 --max-new-tokens 16 --stop $'\n' --out l5k-eval-sample
#    Version 11 (l3, l3k) on the same sets, for the card's comparison (research/bio-small/training/version11 records
#    them, version10 and earlier the versions before).
for set in w31-long w41-long w41-mid w42-long w42-mid w31-mid; do
  gmsa eval --model l3 --gmsa l3k --data "$set-200.jsonl" "${qa_eval[@]}" --out "l3k-eval-$set"
done
#    Version 12 was chosen over version 11 on world 31 alone: the 200 questions above and 400 more of the same
#    validation documents (four other questions of each, attributes in turn), both pairs.
pick_four() { awk -v per="$2" '{ n = NR - 1; d = int(n / per); q = n % per; o = (q - d % per + per) % per; if (o == per / 4 || o == 3 * per / 4 || o == 1 || o == per / 2 + 1) print }' "$1"; }
pick_four w31-long/test/qa.jsonl 24 > w31-long-alt400.jsonl
pick_four w31-mid/test/qa.jsonl 16 > w31-mid-alt400.jsonl
for set in w31-long-alt400 w31-mid-alt400; do
  gmsa eval --model l5 --gmsa l5k --data "$set.jsonl" --rates 4,8 --max-new-tokens 16 --stop $'\n' --group-by attribute --out "l5k-val2-$set"
  gmsa eval --model l3 --gmsa l3k --data "$set.jsonl" --rates 4,8 --max-new-tokens 16 --stop $'\n' --group-by attribute --out "l3k-val2-$set"
done
