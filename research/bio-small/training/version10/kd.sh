set -euo pipefail
gmsa() { dotnet /work/build/gmsa-bin/gmsa.dll "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
gmsa train keft --model /work/main/models/bio-small/base --gmsa /work/main/models/bio-small/gmsa --data dates-mix.jsonl --rates 4,8 --questions-per-context 4 \
  --keft-rank 64 --keft-alpha 64 --keft-dropout 0.05 --train-compressor \
  --steps 200 --lr 3e-4 --warmup 20 --batch-size 4 --seed 26 --checkpoint-every 50 --log-every 10 --threads 1 --out kd $(resume kd)
