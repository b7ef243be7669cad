#!/usr/bin/env bash
# KEFT variants on the shipped short pair's autoencoder (NOTES.md "Extraction: KEFT beyond the paper";
# 2026-11-27, eighth session; kjoint shipped in the ninth). Each continues build.sh's short-ae (step 7d's autoencoding)
# on short-reader (= short-docs/base) with the then-shipped KEFT's settings (KEFT alone, 2400 steps) but 1200 steps, and changes one thing:
#   kall:   LoRA on every decoder projection, not only q/k/v (--keft-targets all)
#   kjoint: q/k/v as in the paper, and the compressor (encoder LoRA, LSA) trained on the answers too
#           (--train-compressor): short-docs/gmsa since the ninth session (build.sh step 7d now trains it
#           as short-gmsa-joint; the comparison below needs short-gmsa, KEFT alone, from build.sh before that session)
# Usage (from the repository root, with gmsa built): research/bio-small/experiments/extraction_keft.sh WORK_DIR
# WORK_DIR is build.sh's (short-reader, short-ae, bio-tiny, short-validation-qa.jsonl).
set -euo pipefail
repo="$(pwd)"
work="${1:?usage: extraction_keft.sh WORK_DIR}"
cd "$work"
gmsa() { dotnet "$repo/src/GmsaSharp.Cli/bin/Release/net10.0/gmsa.dll" "$@"; }
keft=(--model short-reader --gmsa short-ae --data bio-tiny/train/qa.jsonl --rates 4,8 --questions-per-context 8
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --steps 1200 --lr 1e-3 --warmup 30 --batch-size 4 --seed 1
  --checkpoint-every 100 --log-every 25)
gmsa train keft "${keft[@]}" --keft-targets all --out kall-gmsa                # 14.5 min
gmsa train keft "${keft[@]}" --train-compressor --out kjoint-gmsa              # 16.9 min
for variant in kall kjoint; do
  gmsa eval --model short-reader --gmsa $variant-gmsa --data short-validation-qa.jsonl --limit 100 --rates 4,8 --truncation \
    --max-new-tokens 16 --stop $'\n' --out $variant-eval-validation
  gmsa eval --model short-reader --gmsa $variant-gmsa --data "$repo/models/bio-small/short-docs/heldout-qa.jsonl" --rates 4,8 \
    --truncation --max-new-tokens 16 --stop $'\n' --out $variant-eval-heldout
done
gmsa eval --model short-reader --gmsa kjoint-gmsa --data bio-tiny/test/ae.jsonl --limit 10 --reconstruction --rates 4,8 --out kjoint-eval-reconstruction
# 400 validation questions (build.sh's val400L.jsonl), the then-shipped compressor (KEFT alone) beside the candidate.
for g in kjoint-gmsa short-gmsa; do
  gmsa eval --model short-reader --gmsa $g --data val400L.jsonl --rates 4,8 --max-new-tokens 16 --stop $'\n' --group-by biographies --out val400-$g
done
