#!/usr/bin/env bash
# Version 9 candidate l3 (l2 + 800 steps on l3-mix.jsonl): carry the compressor over as for l2 (chain4.sh, plain
# KEFT, which won there), then validation world 31 (long, medium) and reconstruction. Test worlds by hand if it wins.
set -uo pipefail
cd /work/build/v6
gmsa() { dotnet /work/build/gmsa-bin2/gmsa.dll "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
keft=(train keft --model l3 --gmsa l2-gmsa --adopt-base --data l1-keft-mix.jsonl --rates 4,8 --questions-per-context 8
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor
  --steps 250 --lr 5e-4 --warmup 20 --batch-size 4 --seed 22 --checkpoint-every 25 --log-every 5)
gmsa "${keft[@]}" --out l3-gmsa $(resume l3-gmsa) > l3g.log 2>&1
python3 /work/main/models/bio-small/recipes/answer_defaults.py l3-gmsa/gmsa_config.json
qa_eval=(--rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' --group-by biographies,attribute --threads 1)
for set in w31-long w31-mid; do
  [ -f l3-eval-$set.done ] && continue
  gmsa eval --model l3 --gmsa l3-gmsa --data $set-200.jsonl "${qa_eval[@]}" --out l3-eval-$set > l3-eval-$set.log 2>&1 && touch l3-eval-$set.done &
done
wait
