set -euo pipefail
cd /work/build
gmsa() { dotnet /work/build/gmsa-bin/gmsa.dll "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
while pgrep -f "pipe.sh" > /dev/null; do sleep 10; done
echo "start l3k $(date)"
gmsa train keft --model l3 --gmsa k5 --adopt-base --data k6-mix.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 600 --lr 1.5e-4 --warmup 20 --batch-size 4 --seed 30 --checkpoint-every 100 --log-every 10 --out l3k $(resume l3k) > l3k.log 2>&1
echo "l3k done $(date)"
for set in w31-long w31-mid; do
  gmsa eval --model l3 --gmsa l3k --data $set-200.jsonl --rates 4,8 --max-new-tokens 16 --stop $'\n' --group-by biographies,attribute --out "l3k-val-$set"
done
echo "val l3k done $(date)"
