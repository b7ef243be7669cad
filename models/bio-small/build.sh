#!/usr/bin/env bash
# Rebuilds the bundled bio-small model from nothing: corpus, tokenizer, base decoder, GMSA (autoencode, KEFT),
# evaluation. Every stage checkpoints; running the script again continues each stage from its checkpoint.
# Usage: models/bio-small/build.sh WORK_DIR   (then copy WORK_DIR/base and WORK_DIR/gmsa into models/bio-small/)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:?usage: build.sh WORK_DIR}"
mkdir -p "$work"
dotnet build "$repo/src/GmsaSharp.Cli" -c Release -v q
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
# --resume when the stage already has a checkpoint in its output folder.
resume() { [ -d "$work/$1/checkpoint" ] && echo --resume || true; }

[ -f "$work/bio/tokenizer/tokenizer.json" ] || gmsa synth --out "$work/bio" --seed 1 --people 5000 \
  --min-bios 10 --max-bios 60 --max-chars 16000 --train-docs 1200 --validation-docs 100 --test-docs 200 \
  --questions-per-doc 16 --vocab 2048

gmsa train pretrain --config "$repo/models/bio-small/base-config.json" --tokenizer "$work/bio/tokenizer" \
  --data "$work/bio/train/pretrain.txt" --seq-len 4600 --steps "${PRETRAIN_STEPS:-1600}" --lr 2e-3 --warmup 100 \
  --batch-size 1 --seed 1 --checkpoint-every 50 --log-every 10 --out "$work/base" $(resume base)

gmsa train autoencode --model "$work/base" --data "$work/bio/train/ae.jsonl" --rates 4,8 --encoder-layers 2 \
  --lora-rank 32 --lora-alpha 32 --lora-dropout 0.05 --lsa-layers 1 --window 512 --overlong window \
  --question-template $'Question: {question}\nAnswer:' --answer-prefix ' ' \
  --steps "${AE_STEPS:-600}" --lr 1e-3 --warmup 30 --batch-size 2 --seed 1 --checkpoint-every 50 --log-every 10 --out "$work/gmsa-ae" $(resume gmsa-ae)

gmsa train keft --model "$work/base" --gmsa "$work/gmsa-ae" --data "$work/bio/train/qa.jsonl" --rates 4,8 \
  --keft-rank 16 --keft-alpha 32 --keft-dropout 0.05 \
  --steps "${KEFT_STEPS:-600}" --lr 1e-3 --warmup 30 --batch-size 2 --seed 1 --checkpoint-every 50 --log-every 10 --out "$work/gmsa" $(resume gmsa)

gmsa eval --model "$work/base" --gmsa "$work/gmsa" --data "$work/bio/test/qa.jsonl" --limit "${EVAL_LIMIT:-60}" \
  --rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' --out "$work/eval-qa"
gmsa eval --model "$work/base" --gmsa "$work/gmsa" --data "$work/bio/test/ae.jsonl" --limit "${EVAL_RECONSTRUCTION_LIMIT:-20}" \
  --reconstruction --rates 4,8 --out "$work/eval-reconstruction"
