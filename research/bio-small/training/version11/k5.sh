set -euo pipefail
gmsa() { dotnet /work/build/gmsa-bin/gmsa.dll "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
gmsa train keft --model /work/main/models/bio-small/base --gmsa /work/main/models/bio-small/gmsa --data k5-mix.jsonl --rates 4,8 --questions-per-context 8 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 2000 --lr 1.5e-4 --warmup 20 --batch-size 4 --seed 28 --checkpoint-every 250 --log-every 10 --out k5 $(resume k5)
