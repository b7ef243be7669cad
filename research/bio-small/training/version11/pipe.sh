set -euo pipefail
cd /work/build
gmsa() { dotnet /work/build/gmsa-bin/gmsa.dll "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
while pgrep -f "out k5" > /dev/null; do sleep 10; done
echo "k5 done $(date)"
bash val.sh k5 k5
echo "val k5 done $(date)"
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')
gmsa train qa --model /work/main/models/bio-small/base --data l3-mix.jsonl "${qa_layout[@]}" --batch-size 4 --warmup 20 --lr 2e-4 --decay cosine \
  --checkpoint-every 25 --log-every 5 --seq-len 4608 --steps 600 --seed 29 --out l3 $(resume l3) > l3.log 2>&1
echo "l3 done $(date)"
