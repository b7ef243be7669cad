set -euo pipefail
cd /work/build
gmsa() { dotnet /work/build/gmsa-bin/gmsa.dll "$@"; }

fp=629cb6b2fc358b05
echo "l4 fingerprint $fp"
mkdir -p l3k-for-l4 && cp l3k/gmsa.safetensors l3k-for-l4/
python3 -c "
import json
c=json.load(open('l3k/gmsa_config.json')); c['base_fingerprint']='$fp'
json.dump(c,open('l3k-for-l4/gmsa_config.json','w'),indent=2)"
for set in w31-long-200 w31-long-alt400 w31-mid-200 w31-mid-alt400; do
  # Only the full-prompt row counts (it runs first): stop the run once it is printed.
  gmsa eval --model l4 --gmsa l3k-for-l4 --data $set.jsonl --rates 4 --max-new-tokens 16 --stop $'\n' --out l4-full-$set > l4-full-$set.log 2>&1 &
  pid=$!
  until grep -q "full prompt :" l4-full-$set.log || ! kill -0 $pid 2>/dev/null; do sleep 2; done
  kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
  grep -E "full prompt :|rror" l4-full-$set.log | sed "s/^/$set /"
done
echo all-done
