#!/usr/bin/env bash
# The retired long-document pair of versions 1-2 (build.sh steps 2-6 until version 6; 5% of long-document
# questions answered): full-context QA on one- and two-person, then medium and long documents; a 2-block
# compressor; KEFT on q/k/v; evaluation. Kept as the record of what did not work (NOTES.md "The long pair").
# Usage (from the repository root, after models/bio-small/build.sh WORK_DIR has made its corpora and base-lm):
#   research/bio-small/long-pair.sh WORK_DIR
set -euo pipefail
repo="$(pwd)"
cd "${1:?usage: long-pair.sh WORK_DIR}"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')
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

