#!/usr/bin/env bash
# Records of versions 3-5 and the short-document pair, on the seed-1 world the readers were trained on (build.sh
# steps 7d-8d until version 6): the short pair's compressor and the evaluations behind NOTES.md's tables. A world
# that fixes one city per company lets those readers answer employer cities from memory, so these numbers are
# higher than on documents of a fresh world (NOTES.md, issue "Default model v6").
# Usage (from the repository root, after models/bio-small/build.sh WORK_DIR has run steps 1-4):
#   research/bio-small/seed-one-world.sh WORK_DIR
set -euo pipefail
repo="$(pwd)"
cd "${1:?usage: seed-one-world.sh WORK_DIR}"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')

# The short pair's compressor (short-docs/gmsa of versions 3-5).
# Its compressor: a wider one than above (4 encoder blocks, LoRA r64, 1200 autoencoding steps; with 2
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


# Versions 5 (m9, mid9-gmsa), 4 (m7, mid7-gmsa) and 3 (m5, mid-gmsa) on 200 seed-1 test questions.
# Held-out evaluation: two questions from each of the 100 medium test documents (NOTES.md's table), the
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
#    Versions 4 (m7, mid7-gmsa) and 3 (m5, mid-gmsa) on the same test questions (NOTES.md's version history).
gmsa eval --model m7 --gmsa mid7-gmsa --data mid-test200.jsonl --rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' \
  --group-by biographies,attribute --out mid7-eval-test
gmsa eval --model m5 --gmsa mid-gmsa --data mid-test200.jsonl --rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' \
  --group-by biographies,attribute --out mid-eval-test
