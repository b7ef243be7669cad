#!/usr/bin/env bash
# Rebuilds the bundled bio-small model from nothing: corpora and tokenizer, base decoder (language modelling, then
# question answering), GMSA compressors (autoencode, then KEFT), evaluation. Steps 2-6 build the long-document
# pair of versions 1-2 (retired; kept as the record), step 7 the short pair, step 8 the default medium pair.
# Every training stage checkpoints; running the script again continues each stage from its checkpoint.
# Usage: models/bio-small/build.sh WORK_DIR   (then copy WORK_DIR/m9 to models/bio-small/base, WORK_DIR/mid9-gmsa
# to models/bio-small/gmsa, WORK_DIR/mid-heldout-qa.jsonl to models/bio-small/heldout-qa.jsonl,
# WORK_DIR/short-reader to models/bio-small/short-docs/base and WORK_DIR/short-gmsa-joint to
# models/bio-small/short-docs/gmsa). About 10.5 hours on a 2-core CPU with native bf16 (steps 2-6: about 1 hour).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:?usage: build.sh WORK_DIR}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"   # absolute: step 7b runs experiments/binding.sh from the repository root
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
gmsa train pretrain --config "$repo/models/bio-small/base-config.json" --tokenizer bio/tokenizer \
  --data bio-tiny/train/pretrain.txt bio-mid/train/pretrain.txt --packing records --seq-len 1024 --batch-size 4 \
  --steps 800 --lr 2e-3 --warmup 50 --seed 1 --checkpoint-every 100 --log-every 25 --out base-lm $(resume base-lm)

# 2. Full-context QA on one- and two-person documents, loss on the answers (plain language modelling never
#    learned to look answers up), plus 4,000 documents restated word for word (the copying GMSA's
#    autoencoding needs from the frozen decoder).
cat bio-tiny/train/qa.jsonl <(head -n 4000 bio-tiny/train/restate.jsonl) > tiny-mix.jsonl
gmsa train qa --model base-lm --data tiny-mix.jsonl --seq-len 512 "${qa_layout[@]}" \
  --batch-size 8 --steps 2000 --lr 1.5e-3 --warmup 50 --seed 1 --checkpoint-every 100 --log-every 25 --out base-qa1 $(resume base-qa1)

# 3. Full-context QA on medium and long documents (up to 4,600 tokens).
cat bio-mid/train/qa.jsonl bio/train/qa.jsonl > long-mix.jsonl
gmsa train qa --model base-qa1 --data long-mix.jsonl --seq-len 4600 "${qa_layout[@]}" \
  --batch-size 2 --steps 2200 --lr 1e-3 --warmup 30 --seed 1 --checkpoint-every 100 --log-every 25 --out base-qa2 $(resume base-qa2)

# 4. GMSA autoencoding: 2-block encoder, 1-block LSA, 512-token windows (documents are longer: chunking).
gmsa train autoencode --model base-qa2 --data bio/train/ae.jsonl --rates 4,8 --encoder-layers 2 \
  --lora-rank 32 --lora-alpha 32 --lora-dropout 0.05 --lsa-layers 1 --window 512 --overlong window "${qa_layout[@]}" \
  --steps 1000 --lr 1e-3 --warmup 50 --batch-size 2 --seed 1 --checkpoint-every 100 --log-every 25 --out gmsa-ae $(resume gmsa-ae)

# 5. KEFT: LoRA on the decoder's q/k/v, eight questions per compressed document.
cat bio-mid/train/qa.jsonl bio/train/qa.jsonl > keft-mix.jsonl
gmsa train keft --model base-qa2 --gmsa gmsa-ae --data keft-mix.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 16 --keft-alpha 32 --keft-dropout 0.05 \
  --steps 1000 --lr 1e-3 --warmup 50 --batch-size 2 --seed 1 --checkpoint-every 100 --log-every 25 --out gmsa $(resume gmsa)

# 6. Held-out evaluation: two questions from each of the first 100 long test documents; reconstruction of
#    ten medium test documents.
awk 'NR % 12 == 1' bio/test/qa.jsonl > test-qa.jsonl
gmsa eval --model base-qa2 --gmsa gmsa --data test-qa.jsonl --limit 200 --rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' --out eval-qa
gmsa eval --model base-qa2 --gmsa gmsa --data bio-mid/test/ae.jsonl --limit 10 --reconstruction --rates 4,8 --out eval-reconstruction

# 7. The short-document pair (short-docs/): its own base and a GMSA checkpoint trained and evaluated on 1-2-person
#    documents, where the small base can learn to read. 7a: stage 2 again from stage 1 with four times the
#    sequences per step (batch 32 x 1000 steps: 55% on 1-2-person validation documents, base-qa1 50%).
gmsa train qa --model base-lm --data tiny-mix.jsonl --seq-len 512 "${qa_layout[@]}" \
  --batch-size 32 --steps 1000 --lr 1.5e-3 --warmup 50 --seed 1 --checkpoint-every 50 --log-every 25 --out short-qa $(resume short-qa)
#    7b: that reader never learned to copy, and so not which person a question is about (two-person documents
#    at chance). experiments/binding.sh teaches copying (lists to repeat back), then binding (recall lists,
#    then documents naming the person in every sentence), then returns to these documents with copy lists
#    mixed in (pron-eE: 85.8%), scoring each step (MODEL_CARD "Copying first, then binding").
awk 'NR % 2 == 1' bio-tiny/validation/qa.jsonl > val400L.jsonl
[ -f pron-eE/model.safetensors ] || (cd "$repo" && models/bio-small/experiments/binding.sh "$work" short-qa)
#    7c: 400 more steps on the same mix with a decaying rate: short-reader (= short-docs/base).
gmsa train qa --model pron-eE --data pron-mix.jsonl --seq-len 512 "${qa_layout[@]}" \
  --batch-size 32 --steps 400 --lr 1e-3 --decay cosine --warmup 20 --seed 4 --checkpoint-every 100 --log-every 25 --out short-reader $(resume short-reader)
#    7d: its compressor: a wider one than above (4 encoder blocks, LoRA r64, 1200 autoencoding steps; with 2
#    blocks, r32 and 600 steps, 8x kept only 62% of full-prompt accuracy on the first short-docs/base).
gmsa train autoencode --model short-reader --data bio-tiny/train/ae.jsonl --rates 4,8 --encoder-layers 4 \
  --lora-rank 64 --lora-alpha 64 --lora-dropout 0.05 --lsa-layers 1 --window 512 --overlong window "${qa_layout[@]}" \
  --steps 1200 --lr 1e-3 --warmup 30 --batch-size 4 --seed 1 --checkpoint-every 100 --log-every 25 --out short-ae $(resume short-ae)
#    KEFT with a wider LoRA (r64) that also trains the compressor on the answers (--train-compressor; not in the
#    paper): 99% / 92% of the full prompt at 4x / 8x, against 83% / 56% for KEFT alone at 2400 steps (its own
#    folder, so a work folder holding the earlier KEFT-alone short-gmsa resumes nothing from it).
gmsa train keft --model short-reader --gmsa short-ae --data bio-tiny/train/qa.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 1200 --lr 1e-3 --warmup 30 --batch-size 4 --seed 1 --checkpoint-every 100 --log-every 25 --out short-gmsa-joint $(resume short-gmsa-joint)
awk 'NR % 8 == 1' bio-tiny/validation/qa.jsonl > short-validation-qa.jsonl
awk 'NR % 20 == 1' bio-tiny/test/qa.jsonl > short-heldout-qa.jsonl   # = short-docs/heldout-qa.jsonl
gmsa eval --model short-reader --gmsa short-gmsa-joint --data short-validation-qa.jsonl --limit 100 --rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' --out short-eval-validation
gmsa eval --model short-reader --gmsa short-gmsa-joint --data short-heldout-qa.jsonl --rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' --out short-eval-heldout
gmsa eval --model short-reader --gmsa short-gmsa-joint --data bio-tiny/test/ae.jsonl --limit 10 --reconstruction --rates 4,8 --out short-eval-reconstruction

# 8. The default pair (base/, gmsa/): medium documents, 3-10 people plus filler paragraphs, up to ~900 tokens, so
#    one or two 512-token encoder windows. 8a: the medium reader, five stages from short-reader
#    (experiments/medium.sh: named then pronoun medium documents, restatements, birth dates: m5), then four
#    stages with name-date lists (m7: version 4's base; m9).
[ -f m9/model.safetensors ] || (cd "$repo" && models/bio-small/experiments/medium.sh "$work" short-reader)
#    8b: the compressor of version 3 (for m5): the short pair's settings (step 7d) on medium documents, KEFT
#    training the compressor too.
gmsa train autoencode --model m5 --data mid-pronoun/train/ae.jsonl --rates 4,8 --encoder-layers 4 \
  --lora-rank 64 --lora-alpha 64 --lora-dropout 0.05 --lsa-layers 1 --window 512 --overlong window "${qa_layout[@]}" \
  --steps 1200 --lr 1e-3 --warmup 30 --batch-size 4 --seed 1 --checkpoint-every 100 --log-every 25 --out mid-ae $(resume mid-ae)
gmsa train keft --model m5 --gmsa mid-ae --data mid-pronoun/train/qa.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 1400 --lr 1e-3 --warmup 30 --batch-size 4 --seed 1 --checkpoint-every 100 --log-every 25 --out mid-gmsa $(resume mid-gmsa)
#    8c: that compressor carried over to m7 (--adopt-base) and trained 1400 more KEFT steps on m7: mid7-gmsa.
gmsa train keft --model m7 --gmsa mid-gmsa --adopt-base --data mid-pronoun/train/qa.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 1400 --lr 5e-4 --warmup 30 --batch-size 4 --seed 2 --checkpoint-every 100 --log-every 25 --out mid7-gmsa $(resume mid7-gmsa)
#    8c': mid7-gmsa (version 4's gmsa/) carried over to m9 the same way, 700 KEFT steps: mid9-gmsa.
gmsa train keft --model m9 --gmsa mid7-gmsa --adopt-base --data mid-pronoun/train/qa.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 700 --lr 5e-4 --warmup 30 --batch-size 4 --seed 3 --checkpoint-every 100 --log-every 25 --out mid9-gmsa $(resume mid9-gmsa)
#    8d: held-out evaluation: two questions from each of the 100 medium test documents (MODEL_CARD's table), the
#    first 40 of one question each (= heldout-qa.jsonl, which the tests score), reconstruction of ten documents.
#    sample-document.txt is test document 56 (the longest), sample-questions.txt its questions 1, 3, 5 and 9.
awk '{ n = NR - 1; d = int(n / 16); q = n % 16; if (q == d % 16 || q == (d + 8) % 16) print }' mid-pronoun/test/qa.jsonl > mid-test200.jsonl
awk '{ n = NR - 1; d = int(n / 16); q = n % 16; if (d < 40 && q == d % 16) print }' mid-pronoun/test/qa.jsonl > mid-heldout-qa.jsonl
python3 -c 'import json, sys; rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")][55 * 16:56 * 16]
open("sample-document.txt", "w", encoding="utf-8").write(rows[0]["input"])
open("sample-questions.txt", "w", encoding="utf-8").write("".join(rows[i]["prompt"] + "\n" for i in (0, 2, 4, 8)))' mid-pronoun/test/qa.jsonl
gmsa eval --model m9 --gmsa mid9-gmsa --data mid-test200.jsonl --rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' \
  --group-by biographies,attribute --out mid9-eval-test
gmsa eval --model m9 --gmsa mid9-gmsa --data mid-heldout-qa.jsonl --rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' --out mid9-eval-heldout
gmsa eval --model m9 --gmsa mid9-gmsa --data mid-pronoun/test/ae.jsonl --limit 10 --reconstruction --rates 4,8 --out mid9-eval-reconstruction
#    Versions 4 (m7, mid7-gmsa) and 3 (m5, mid-gmsa) on the same test questions (MODEL_CARD's version history).
gmsa eval --model m7 --gmsa mid7-gmsa --data mid-test200.jsonl --rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' \
  --group-by biographies,attribute --out mid7-eval-test
gmsa eval --model m5 --gmsa mid-gmsa --data mid-test200.jsonl --rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' \
  --group-by biographies,attribute --out mid-eval-test
