#!/usr/bin/env bash
# chain7.sh again, lost with its machine at autoencoding step ~300 (and with it l3, so the reader here is version 8's
# shipped base, l2 = models/bio-small/base). A fresh 2-of-6-block compressor, autoencoded 2,000 steps (what one
# session's quiet CPU time allows) on 512-token windows of 3,000 long training documents (worlds 22 and 23), scored
# on reconstruction of validation world 31 beside the shipped compressor; then KEFT that trains the compressor too,
# then validation world 31 QA. Data: fresh-worlds.sh's w21-mid, w22-long, w31-* and world 23 long as world 22.
# Usage: chain8.sh WORK (with gmsa.dll built into /work/build/gmsa-bin); every stage resumes.
set -uo pipefail
repo="$(cd "$(dirname "$0")/../../../.." && pwd)"
cd "${1:?usage: chain8.sh WORK}"
gmsa() { dotnet /work/build/gmsa-bin/gmsa.dll "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')
base="$repo/models/bio-small/base"
[ -f e2-ae/gmsa_config.json ] && [ ! -d e2-ae/checkpoint ] || \
gmsa train autoencode --model "$base" --data ae-mix.jsonl --rates 4,8 --encoder-layers 2 \
  --lora-rank 64 --lora-alpha 64 --lora-dropout 0.05 --lsa-layers 1 --window 512 --overlong window "${qa_layout[@]}" \
  --steps 2000 --lr 1e-3 --warmup 60 --batch-size 4 --seed 31 --checkpoint-every 50 --log-every 25 \
  --out e2-ae $(resume e2-ae) > e2-ae.log 2>&1
for pair in e2-ae:e2-ae "$repo/models/bio-small/gmsa":shipped; do
  [ -f "recon-${pair##*:}.done" ] && continue
  gmsa eval --model "$base" --gmsa "${pair%%:*}" --data w31-mid/test/ae.jsonl --limit 10 --reconstruction --rates 4,8 \
    --out "recon-${pair##*:}" > "recon-${pair##*:}.log" 2>&1 && touch "recon-${pair##*:}.done"
done
gmsa train keft --model "$base" --gmsa e2-ae --data l1-keft-mix.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 250 --lr 1e-3 --warmup 20 --batch-size 4 --seed 32 --checkpoint-every 25 --log-every 5 \
  --out e2-gmsa $(resume e2-gmsa) > e2-gmsa.log 2>&1
python3 "$repo/models/bio-small/recipes/answer_defaults.py" e2-gmsa/gmsa_config.json
qa_eval=(--rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' --group-by biographies,attribute --threads 1)
for set in w31-long w31-mid; do
  [ -f e2-eval-$set.done ] && continue
  gmsa eval --model "$base" --gmsa e2-gmsa --data $set-200.jsonl "${qa_eval[@]}" --out e2-eval-$set > e2-eval-$set.log 2>&1 && touch e2-eval-$set.done &
done
wait
