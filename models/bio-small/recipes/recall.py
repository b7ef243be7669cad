# Recall lists for the binding experiment (2026-11-26, sixth session): N people, every sentence names its
# person ("Hugo Rachel Blake works for Cobalt Systems."), the sentences of all people shuffled together, and one
# question per person and attribute. Run from the repository root:
#   python3 recall.py SEED DOCUMENTS PEOPLE INTERLEAVE(1|0) NAME_PARTS(3|2) OUT.jsonl
# (the experiment: "1 4000 2 1 3 rA-train.jsonl" for training, "2 50 2 1 3 rA-val.jsonl" for scoring).
# Minimal binding task: N people, every sentence names its person, sentences of all people shuffled together.
import json, random, sys
D='src/GmsaSharp.Synthetic/Data/'
def L(f): return [l.strip() for l in open(D+f) if l.strip() and not l.startswith('#')]
first=L('male-first-names.txt')+L('female-first-names.txt'); last=L('last-names.txt')
cities=L('cities.txt'); comps=L('companies.txt'); unis=L('universities.txt'); majors=L('majors.txt')
S={'birth_city':("{n} was born in {v}.","Where was {n} born?",cities),
   'employer':("{n} works for {v}.","Which company does {n} work for?",comps),
   'university':("{n} studied at {v}.","At which university was {n} educated?",unis),
   'major':("{n} majored in {v}.","What did {n} study?",majors)}
def gen(seed,ndocs,npeople,interleave,mode):
    r=random.Random(seed); out=[]
    for _ in range(ndocs):
        ps=[]
        names=set()
        while len(ps)<npeople:
            n=f"{r.choice(first)} {r.choice(first)} {r.choice(last)}" if mode=='3' else f"{r.choice(first)} {r.choice(last)}"
            if n in names: continue
            names.add(n); ps.append((n,{k:r.choice(S[k][2]) for k in S}))
        sents=[[S[k][0].format(n=n,v=v) for k,v in a.items()] for n,a in ps]
        for s in sents: r.shuffle(s)
        if interleave:
            flat=[x for s in sents for x in s]; r.shuffle(flat); doc=' '.join(flat)
        else: doc='\n\n'.join(' '.join(s) for s in sents)
        for i,(n,a) in enumerate(ps):
            for k in S:
                out.append(dict(input=doc,prompt=S[k][1].format(n=n),answer=a[k],attribute=k,biographies=npeople,biography=i+1))
    return out
seed,ndocs,npeople,inter,mode,path=int(sys.argv[1]),int(sys.argv[2]),int(sys.argv[3]),sys.argv[4]=='1',sys.argv[5],sys.argv[6]
rows=gen(seed,ndocs,npeople,inter,mode)
with open(path,'w') as f:
    for x in rows: f.write(json.dumps(x)+'\n')
