"""Writes the answer defaults into a trained GMSA checkpoint's gmsa_config.json.

Answers end at the newline that ends each answer in KEFT's packed sequences; the longest training answer (a date)
is about 10 tokens, so 32 new tokens leave room without letting a runaway answer go on.
Usage: python3 answer_defaults.py GMSA_DIR/gmsa_config.json
"""
import json
import sys

path = sys.argv[1]
with open(path, encoding="utf-8") as file:
    config = json.load(file)
config.update(answer_stop_strings=["\n"], answer_max_new_tokens=32)
with open(path, "w", encoding="utf-8") as file:
    json.dump(config, file, indent=2)
