#!/usr/bin/env python3
"""Writes the medium date-stage mix (MODEL_CARD "Medium documents from the short reader", m4): every birth-date
question of the medium training documents, as many other medium questions drawn at random (seed 9), 3,000 copy
lists and 5,000 lines of the short readers' pronoun mix. Medium readers found the right person and month but not
the day and year: birth dates are the one answer that must be copied token by token (other answers are one
retrieved token and a continuation learned from the word lists), and the earlier medium stages saw few of them.

Usage: date_mix.py MID_TRAIN_DIR PRON_MIX OUT   (MID_TRAIN_DIR holds qa.jsonl and copy.jsonl)
"""
import json
import random
import sys

mid, pron_mix, out = sys.argv[1:4]
questions = open(f"{mid}/qa.jsonl", encoding="utf-8").readlines()
dates = [q for q in questions if json.loads(q)["attribute"] == "birth_date"]
others = [q for q in questions if json.loads(q)["attribute"] != "birth_date"]
random.seed(9)
random.shuffle(others)
copies = open(f"{mid}/copy.jsonl", encoding="utf-8").readlines()[:3000]
pronouns = open(pron_mix, encoding="utf-8").readlines()[40000:45000]
with open(out, "w", encoding="utf-8") as f:
    f.writelines(dates + others[: len(dates)] + copies + pronouns)
print(f"{len(dates)} birth-date questions, {len(dates)} others, {len(copies)} copy lists, {len(pronouns)} pronoun lines -> {out}")
