# Copy lists as the binding experiment of 2026-11-26 (sixth session) made them, before `gmsa synth` wrote
# copy.jsonl: 20,000 lists of 8-24 first names, last names and cities, each asked back word for word.
# Usage: python3 copy_lists.py OUT.jsonl
import json, random, sys
D = 'src/GmsaSharp.Synthetic/Data/'
def L(f): return [l.strip() for l in open(D + f) if l.strip()]
words = L('male-first-names.txt') + L('female-first-names.txt') + L('last-names.txt') + L('cities.txt')
r = random.Random(11)
with open(sys.argv[1], 'w') as f:
    for _ in range(20000):
        a = ' '.join(r.choice(words) for _ in range(r.randint(8, 24)))
        f.write(json.dumps(dict(input=a, prompt='Repeat the list.', answer=a)) + '\n')
