#!/usr/bin/env bash
# Speed-goal candidate (issue 19, goal 4): a 2-of-6-block encoder on the l3 reader, autoencoded far longer than
# before (3,000 steps on 512-token windows of 3,000 long training documents, worlds 22 and 23), then KEFT that
# trains the compressor too. Scored on validation world 31 against l3-gmsa (4 blocks, carried over since w1-gmsa).
set -uo pipefail
cd /work/build/v6
gmsa() { dotnet /work/build/gmsa-bin2/gmsa.dll "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')
[ -f l3-ae-mix.jsonl ] || cat w22-long/train/ae.jsonl w23-long/train/ae.jsonl > l3-ae-mix.jsonl
[ -f l3-e2-ae/gmsa_config.json ] && [ ! -d l3-e2-ae/checkpoint ] || \
gmsa train autoencode --model l3 --data l3-ae-mix.jsonl --rates 4,8 --encoder-layers 2 \
  --lora-rank 64 --lora-alpha 64 --lora-dropout 0.05 --lsa-layers 1 --window 512 --overlong window "${qa_layout[@]}" \
  --steps 3000 --lr 1e-3 --warmup 60 --batch-size 4 --seed 31 --checkpoint-every 100 --log-every 25 \
  --out l3-e2-ae $(resume l3-e2-ae) > l3-e2-ae.log 2>&1
gmsa train keft --model l3 --gmsa l3-e2-ae --data l1-keft-mix.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 500 --lr 1e-3 --warmup 30 --batch-size 4 --seed 32 --checkpoint-every 25 --log-every 5 \
  --out l3-e2-gmsa $(resume l3-e2-gmsa) > l3-e2-gmsa.log 2>&1
python3 /work/main/models/bio-small/recipes/answer_defaults.py l3-e2-gmsa/gmsa_config.json
qa_eval=(--rates 4,8 --truncation --max-new-tokens 16 --stop $'\n' --group-by biographies,attribute --threads 1)
for set in w31-long w31-mid; do
  [ -f l3-e2-eval-$set.done ] && continue
  gmsa eval --model l3 --gmsa l3-e2-gmsa --data $set-200.jsonl "${qa_eval[@]}" --out l3-e2-eval-$set > l3-e2-eval-$set.log 2>&1 && touch l3-e2-eval-$set.done &
done
wait
