#!/usr/bin/env python3
"""Writes the medium date-list mix (MODEL_CARD "Birth dates: name-date lists", m6): every medium training document
with all its questions, followed by one more question that asks for every person's name and birth date in the
order of the document ("Richard William Lancaster: September 12, 1951; Patrick Carl Kessler: ..."), plus copy
lists. Medium readers found the right person and month of a birth date but made up its day and year: nothing
had taught them to keep copying digit after digit from one place in a document holding several dates. A list
of every date asks for that copying six times per document, and naming each person binds it to the right one.

Usage: date_lists.py MID_TRAIN_DIR OUT [COPY_LISTS]   (MID_TRAIN_DIR holds qa.jsonl and copy.jsonl)
"""
import json
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "src/GmsaSharp.Synthetic/Data"
PROMPT = "List every person with their birth date, in the order of the document."
DATE = re.compile(r"(January|February|March|April|May|June|July|August|September|October|November|December) \d{1,2}, \d{4}")


def words(name):
    return {line.strip() for line in open(DATA / name, encoding="utf-8") if line.strip()}


FIRST = words("male-first-names.txt") | words("female-first-names.txt")
LAST = words("last-names.txt")
# A full name: a first name, a middle name (also a first name), then a last name, which may hold a space or
# a hyphen, so it is matched against the list rather than as one word.
CAPITALISED = re.compile(r"\b[A-Z][a-zà-ÿ]+\b")


def full_name(paragraph):
    found = list(CAPITALISED.finditer(paragraph))
    for first, middle in zip(found, found[1:]):
        if first.group(0) in FIRST and middle.group(0) in FIRST and middle.start() == first.end() + 1:
            rest = paragraph[middle.end() + 1:]
            for last in sorted(LAST, key=len, reverse=True):
                if rest.startswith(last):
                    return f"{first.group(0)} {middle.group(0)} {last}"
    return None


def date_list(document):
    entries = []
    for paragraph in document.split("\n\n"):
        dates = [m.group(0) for m in DATE.finditer(paragraph)]
        if not dates:
            continue  # a filler paragraph
        name = full_name(paragraph)
        if name is None or len(dates) != 1:
            raise ValueError(f"cannot read one name and one date from: {paragraph!r}")
        entries.append(f"{name}: {dates[0]}")
    return "; ".join(entries)


def main():
    mid, out = sys.argv[1:3]
    copies = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
    documents = {}
    for line in open(f"{mid}/qa.jsonl", encoding="utf-8"):
        documents.setdefault(json.loads(line)["input"], []).append(line)
    with open(out, "w", encoding="utf-8") as f:
        for document, questions in documents.items():
            f.writelines(questions)  # consecutive lines with one input train as one sequence: the list comes last
            f.write(json.dumps({"input": document, "prompt": PROMPT, "answer": date_list(document)}, ensure_ascii=False) + "\n")
        f.writelines(open(f"{mid}/copy.jsonl", encoding="utf-8").readlines()[:copies])
    print(f"{len(documents)} documents with their questions and a date list, {copies} copy lists -> {out}")


if __name__ == "__main__":
    main()
