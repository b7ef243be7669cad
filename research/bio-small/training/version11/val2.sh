set -euo pipefail
cd /work/build
gmsa() { dotnet /work/build/gmsa-bin/gmsa.dll "$@"; }
for set in w31-long-alt400 w31-mid-alt400; do
  gmsa eval --model l3 --gmsa l3k --data $set.jsonl --rates 4,8 --max-new-tokens 16 --stop $'\n' --group-by attribute --out "l3k-val2-$set"
  gmsa eval --model /work/main/models/bio-small/base --gmsa /work/main/models/bio-small/gmsa --data $set.jsonl --rates 4,8 --max-new-tokens 16 --stop $'\n' --group-by attribute --out "d2k-val2-$set"
  gmsa eval --model /work/main/models/bio-small/base --gmsa k5 --data $set.jsonl --rates 4,8 --no-full-prompt --max-new-tokens 16 --stop $'\n' --group-by attribute --out "k5-val2-$set"
done
echo done
