set -euo pipefail
cd /work/build
gmsa() { dotnet /work/build/gmsa-bin/gmsa.dll "$@"; }
resume() { [ -d "$1/checkpoint" ] && echo --resume || true; }
medium=(--people 100000 --min-bios 3 --max-bios 10 --filler 0.3 --questions-per-doc 16 --vocab 0)
long=(--people 100000 --min-bios 8 --max-bios 40 --max-chars 16000 --filler 0.5 --questions-per-doc 24 --vocab 0)
qa_layout=(--question-template $'Question: {question}\nAnswer:' --answer-prefix ' ')
for seed in 34 35; do
  [ -f "w$seed-long/train/qa.jsonl" ] || gmsa synth --out "w$seed-long" --seed "$seed" --employer-cities per-person "${long[@]}" --train-docs 1500 --validation-docs 10 --test-docs 10
done
[ -f w36-mid/train/qa.jsonl ] || gmsa synth --out w36-mid --seed 36 --employer-cities per-person "${medium[@]}" --train-docs 4000 --validation-docs 10 --test-docs 10
[ -f w36-datemix.jsonl ] || python3 /work/main/models/bio-small/recipes/date_lists.py w36-mid/train w36-datemix.jsonl
[ -f l4-mix.jsonl ] || cat w34-long/train/qa.jsonl w35-long/train/qa.jsonl w36-datemix.jsonl > l4-mix.jsonl
gmsa train qa --model l3 --data l4-mix.jsonl "${qa_layout[@]}" --batch-size 4 --warmup 20 --lr 2e-4 --decay cosine \
  --checkpoint-every 25 --log-every 5 --seq-len 4608 --steps 400 --seed 31 --out l4 $(resume l4) > l4.log 2>&1
echo "l4 done $(date)"
# Full prompt only: l3k with l4's fingerprint (the soft tokens are not meant for l4; only the full-prompt row counts).
mkdir -p l3k-for-l4 && cp l3k/gmsa.safetensors l3k-for-l4/ && python3 - <<'PY'
import json
c = json.load(open('l3k/gmsa_config.json'))
import subprocess
PY
echo prepared
