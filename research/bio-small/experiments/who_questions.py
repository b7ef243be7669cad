"""Adds reverse questions ("Who works for Topaz Vision?" -> the person's full name) to a labelled QA file.

    python3 who_questions.py QA_JSONL OUT_JSONL

QA_JSONL is a `gmsa synth` qa.jsonl (with its attribute and biography labels). For every question whose answer
occurs once in its document, a "Who ...?" question about the same fact is added, labelled who_<attribute>.
A document's forward questions stay together and its reverse questions come after all documents, so that
`gmsa train qa` packs them into separate sequences (it groups consecutive lines with the same input): a
reverse question must not be answerable from the forward question and answer just before it.
"""
import json, random, re, sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
TEMPLATES = {"university": "Who studied at {v}?", "major": "Who majored in {v}?", "employer": "Who works for {v}?",
             "employer_city": "Who works in {v}?", "birth_city": "Who was born in {v}?", "birth_date": "Who was born on {v}?"}
FULL_NAME = r"(?=(\b[A-Z]\w+ [A-Z]\w+ [A-Z][\w'-]*\w))"
documents = {}
for line in open(sys.argv[1], encoding="utf-8"):
    record = json.loads(line)
    documents.setdefault(record["input"], []).append(record)
forward, reverse = [], []
random.seed(5)
for text, questions in documents.items():
    paragraphs = text.split("\n\n")
    forward.extend(questions)
    extra = []
    for q in questions:
        biography = paragraphs[q["biography"] - 1]
        names = [n for n in re.findall(FULL_NAME, q["prompt"]) if n in biography]
        if len(names) != 1 or sum(p.count(q["answer"]) for p in paragraphs) != 1:
            continue
        extra.append({"input": text, "prompt": TEMPLATES[q["attribute"]].format(v=q["answer"]), "answer": names[0],
                      "attribute": "who_" + q["attribute"], "biographies": q["biographies"], "biography": q["biography"]})
    random.shuffle(extra)
    reverse.extend(extra)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for record in forward + reverse:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
print(f"{len(forward)} questions, {len(reverse)} reverse questions added")
