#!/usr/bin/env bash
# Candidate recipe for the next short-document pair (NOTES.md "Copying first, then binding"; not shipped):
# build.sh's stage 1, then copy lists until the decoder copies, then QA on 1-2-person documents that name the
# person in every sentence, then build.sh's short-document compressor on those documents.
# Usage (from the repository root, with gmsa built): research/bio-small/experiments/copy_then_named.sh WORK_DIR
# WORK_DIR needs base-lm (build.sh stage 1).
set -euo pipefail
repo="$(pwd)"
work="${1:?usage: copy_then_named.sh WORK_DIR}"
cd "$work"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')
gmsa synth --out bio-tiny-named --seed 1 --people 100000 --min-bios 1 --max-bios 2 --filler 0 --name-every-sentence \
  --train-docs 20000 --validation-docs 100 --test-docs 100 --questions-per-doc 8 --vocab 0
# Copy warm-up: answer loss 2.7 -> 2.1 in 200 steps, then the jump (0.76 at step 375, 0.10 at 550).
gmsa train qa --model base-lm --data bio-tiny-named/train/copy.jsonl --seq-len 256 "${qa_layout[@]}" \
  --batch-size 32 --steps 600 --lr 1e-3 --decay constant --warmup 20 --seed 1 --checkpoint-every 50 --log-every 25 --out copy-lm
# QA with restatements and copy lists mixed in (so the frozen decoder keeps copying for autoencoding).
cat bio-tiny-named/train/qa.jsonl <(head -n 4000 bio-tiny-named/train/restate.jsonl) <(head -n 4000 bio-tiny-named/train/copy.jsonl) > named-mix.jsonl
gmsa train qa --model copy-lm --data named-mix.jsonl --seq-len 512 "${qa_layout[@]}" \
  --batch-size 32 --steps 600 --lr 1e-3 --decay constant --warmup 20 --seed 1 --checkpoint-every 50 --log-every 25 --out named-qa
# 400 more steps from the saved model (fresh optimizer, seed 2): two-person questions 52.9% -> 79.9%.
gmsa train qa --model named-qa --data named-mix.jsonl --seq-len 512 "${qa_layout[@]}" \
  --batch-size 32 --steps 400 --lr 1e-3 --decay constant --warmup 20 --seed 2 --checkpoint-every 50 --log-every 25 --out named-qa2
# The short-document compressor of build.sh step 7 (it was trained on named-qa, before the 400 more steps).
gmsa train autoencode --model named-qa --data bio-tiny-named/train/ae.jsonl --rates 4,8 --encoder-layers 4 \
  --lora-rank 64 --lora-alpha 64 --lora-dropout 0.05 --lsa-layers 1 --window 512 --overlong window "${qa_layout[@]}" \
  --steps 1200 --lr 1e-3 --warmup 30 --batch-size 4 --seed 1 --checkpoint-every 100 --log-every 25 --out named-ae
gmsa train keft --model named-qa --gmsa named-ae --data bio-tiny-named/train/qa.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 16 --keft-alpha 32 --keft-dropout 0.05 \
  --steps 600 --lr 1e-3 --warmup 30 --batch-size 4 --seed 1 --checkpoint-every 100 --log-every 25 --out named-gmsa
awk 'NR % 8 == 1' bio-tiny-named/validation/qa.jsonl > named-validation-qa.jsonl
gmsa eval --model named-qa --gmsa named-gmsa --data named-validation-qa.jsonl --limit 100 --rates 4,8 --truncation \
  --max-new-tokens 16 --stop $'\n' --group-by biographies,attribute --out named-eval-validation
gmsa eval --model named-qa --gmsa named-gmsa --data bio-tiny-named/test/ae.jsonl --limit 10 --reconstruction --rates 4,8 --out named-eval-reconstruction
