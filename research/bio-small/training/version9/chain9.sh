#!/usr/bin/env bash
# e2-gmsa (chain8.sh) with 400 more KEFT steps that train the compressor too: how far more KEFT takes a fresh
# 2-block compressor. Scored on validation world 31. Usage: chain9.sh WORK (chain8.sh's work folder).
set -uo pipefail
repo="$(cd "$(dirname "$0")/../../../.." && pwd)"
cd "${1:?usage: chain9.sh WORK}"
gmsa() { dotnet /work/build/gmsa-bin/gmsa.dll "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
base="$repo/models/bio-small/base"
gmsa train keft --model "$base" --gmsa e2-gmsa --data l1-keft-mix.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 400 --lr 5e-4 --warmup 20 --batch-size 4 --seed 33 --checkpoint-every 25 --log-every 5 \
  --out e2-gmsa2 $(resume e2-gmsa2) > e2-gmsa2.log 2>&1
python3 "$repo/models/bio-small/recipes/answer_defaults.py" e2-gmsa2/gmsa_config.json
qa_eval=(--rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' --group-by biographies,attribute --threads 1)
for set in w31-long w31-mid; do
  [ -f e2-2-eval-$set.done ] && continue
  gmsa eval --model "$base" --gmsa e2-gmsa2 --data $set-200.jsonl "${qa_eval[@]}" --out e2-2-eval-$set > e2-2-eval-$set.log 2>&1 && touch e2-2-eval-$set.done &
done
wait
