#!/usr/bin/env python3
"""Writes what HuggingFace transformers, tokenizers and sentencepiece compute for the checkpoints and tokenizers
in this folder, including the frozen copies of bio-small models in bio-small/, as the reference.json files that
TransformersAgreementTests compare GmsaSharp against.

Run from anywhere, on a machine with torch, transformers, tokenizers and sentencepiece (no GPU needed):
    python3 tests/GmsaSharp.Tests/TransformersReference/generate.py
The decoders run in float64 with eager attention, so the references carry no rounding of their own worth
speaking of; GmsaSharp's float32 forward is then held to a tight tolerance.
"""
import copy
import hashlib
import json
import pathlib

import sentencepiece
import tokenizers
import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

HERE = pathlib.Path(__file__).resolve().parent
# Frozen copies of bio-small models once shipped, with their sample documents and questions (models/bio-small's
# layout): the references describe these, so the shipped models can be retrained on a machine without transformers.
FROZEN = HERE / "bio-small"
VERSIONS = {
    "transformers": transformers.__version__,
    "torch": torch.__version__,
    "tokenizers": tokenizers.__version__,
    "sentencepiece": sentencepiece.__version__,
}

# The same ids the in-repo reference tests use: (i * 37 + 11) mod vocab.
DECODER_TOKENS = 40
PROMPT_TOKENS = 8
NEW_TOKENS = 24
PENALTY = 1.3  # the paper's inference setting; generation is also recorded without it

TOKENIZER_TEXTS = [
    "Hello world",
    "the cat sat on the mat. the dog ate the cat food in 2024 and 2024 again.",
    "  leading and trailing spaces  ",
    "tabs\tand\nnewlines\r\n\n  indented\n",
    "café crème, café au lait; naïve résumé.",
    "日本語のテキストと日本語の文。",
    "emoji 🎉🎉 party 👋🏽 hello",
    "numbers 7 42 2024 1234567 3.14159",
    "it's we're they'll I'd you've I'm she'd",
    "MiXeD CaSe ÀÉÎ ǅ",
    "",
    " ",
    "\n\n",
]
# Added tokens written in text: one id each in the byte-level tokenizers (plain SentencePiece has no such rule).
ADDED_TOKEN_TEXTS = [
    "<|im_start|>user\nhi<|im_end|>",
    "<think>x</think><|endoftext|>",
]


def rounded(values):
    return [float(f"{v:.8g}") for v in values]


def load_decoder(folder):
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float64, attn_implementation="eager")
    return model.eval()


def greedy(model, ids, new_tokens, penalty, inputs_embeds=None):
    """HF generate, greedy, no EOS stop, from token ids or (GMSA) from input embeddings, whose tokens the
    repetition penalty then does not see; also the smallest gap between the best and second-best score."""
    config = GenerationConfig(do_sample=False, max_new_tokens=new_tokens, repetition_penalty=penalty,
                              eos_token_id=None, bos_token_id=None, pad_token_id=0)
    model.generation_config.eos_token_id = None
    length = len(ids) if inputs_embeds is None else inputs_embeds.shape[1]
    inputs = {"input_ids": torch.tensor([ids])} if inputs_embeds is None else {"inputs_embeds": inputs_embeds}
    with torch.no_grad():
        out = model.generate(**inputs, attention_mask=torch.ones(1, length, dtype=torch.long),
                             generation_config=config, output_scores=True, return_dict_in_generate=True)
    tokens = out.sequences[0, -new_tokens:].tolist()
    margin = min(float(s[0].topk(2).values[0] - s[0].topk(2).values[1]) for s in out.scores)
    return {"repetition_penalty": penalty, "tokens": tokens, "smallest_margin": margin}


def decoders():
    for folder in sorted((HERE / "decoders").iterdir()):
        model = load_decoder(folder)
        vocab = model.config.vocab_size
        ids = [(i * 37 + 11) % vocab for i in range(DECODER_TOKENS)]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0]
        reference = {
            "versions": VERSIONS,
            "ids": ids,
            "logits": [rounded(row.tolist()) for row in logits],
            "prompt": ids[:PROMPT_TOKENS],
            "generations": [greedy(model, ids[:PROMPT_TOKENS], NEW_TOKENS, p) for p in (1.0, PENALTY)],
        }
        (folder / "reference.json").write_text(json.dumps(reference))
        print(folder.name, "generation margins", [g["smallest_margin"] for g in reference["generations"]])


def tokenizer_cases(encode, decode, texts):
    cases = []
    for text in texts:
        ids = encode(text)
        cases.append({"text": text, "ids": ids, "decoded": decode(ids)})
    return cases


def tokenizer_references():
    for name in ("byte-level-qwen", "byte-level-gpt2"):
        folder = HERE / "tokenizers" / name
        tok = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
        cases = tokenizer_cases(lambda t: tok.encode(t, add_special_tokens=False).ids,
                                lambda ids: tok.decode(ids, skip_special_tokens=False),
                                TOKENIZER_TEXTS + ADDED_TOKEN_TEXTS)
        (folder / "reference.json").write_text(json.dumps({"versions": VERSIONS, "cases": cases}, ensure_ascii=False))
    folder = HERE / "tokenizers" / "sentencepiece"
    sp = sentencepiece.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
    cases = tokenizer_cases(lambda t: sp.encode(t), lambda ids: sp.decode(ids), TOKENIZER_TEXTS)
    (folder / "reference.json").write_text(json.dumps({"versions": VERSIONS, "cases": cases}, ensure_ascii=False))


def bundled():
    """The frozen bio-small decoders: their tokenizer on text and on full QA prompts, the logits of those
    prompts and their greedy answers."""
    bio = FROZEN
    long_document = (bio / "sample-document.txt").read_text(encoding="utf-8")
    long_questions = (bio / "sample-questions.txt").read_text(encoding="utf-8").splitlines()[:2]
    short = [json.loads(line) for line in (bio / "short-docs" / "heldout-qa.jsonl").read_text(encoding="utf-8").splitlines()[:2]]
    pairs = {
        "base": [(long_document, q) for q in long_questions],
        "short-docs/base": [(s["input"], s["prompt"]) for s in short],
    }
    reference = {"versions": VERSIONS, "models": []}
    for relative, questions in pairs.items():
        folder = FROZEN / relative
        tok = AutoTokenizer.from_pretrained(folder)
        model = load_decoder(folder)
        entry = {
            "model": relative,
            # The test first checks these are still the weights the reference describes.
            "weights_sha256": hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest(),
            "texts": tokenizer_cases(lambda t: tok(t)["input_ids"], lambda ids: tok.decode(ids), TOKENIZER_TEXTS + [long_document]),
            "prompts": [],
        }
        for document, question in questions:
            prompt = f"{document}\n\nQuestion: {question}\nAnswer:"
            ids = tok(prompt)["input_ids"]
            with torch.no_grad():
                logits = model(torch.tensor([ids])).logits[0]
            positions = sorted({0, len(ids) // 3, 2 * len(ids) // 3, len(ids) - 1})
            generation = greedy(model, ids, 12, 1.0)
            entry["prompts"].append({
                "prompt": prompt,
                "ids": ids,
                "positions": positions,
                "logits": [rounded(logits[p].tolist()) for p in positions],
                "generation": generation,
                "answer": tok.decode(generation["tokens"]),
            })
            print(relative, len(ids), "tokens; answer", repr(entry["prompts"][-1]["answer"]), "margin", generation["smallest_margin"])
        reference["models"].append(entry)
    (HERE / "bundled-reference.json").write_text(json.dumps(reference, ensure_ascii=False))


def with_lora(base, weights, prefix, scale, keep_layers=None):
    """A copy of the HF decoder with LoRA deltas (alpha / r) B A merged into the targeted projections, cut to
    its first keep_layers blocks."""
    model = copy.deepcopy(base)
    layers = model.model.layers
    for key, a in weights.items():
        if not key.startswith(prefix) or not key.endswith(".lora_A"):
            continue
        _, _, index, projection, _ = key.split(".")
        b = weights[key[: -len("lora_A")] + "lora_B"]
        owner = layers[int(index)].mlp if projection in ("gate_proj", "up_proj", "down_proj") else layers[int(index)].self_attn
        with torch.no_grad():
            getattr(owner, projection).weight += scale * (b.double() @ a.double())
    if keep_layers is not None:
        model.model.layers = torch.nn.ModuleList(list(layers)[:keep_layers])
        model.config.num_hidden_layers = keep_layers
    return model


def gmsa():
    """The GMSA checkpoints in bio-small/ (frozen copies of pairs once shipped) recomputed from their files with
    HF modules, step by step as the reference implementation (Twilightaaa/GMSA modeling_gmsa.py) does it: the encoder (first k base blocks with the
    encoder LoRA, then the final norm), group merging (means of `rate` states, the remainder one more),
    LSA (the checkpoint's blocks as a decoder of their own, then the base's final norm), then the decoder
    with the KEFT LoRA reading [soft tokens][question prompt] as input embeddings. GmsaSharp's windowing is
    ours, not the reference's: each window is encoded and merged on its own and LSA reads all windows' vectors."""
    bio = FROZEN
    long_document = (bio / "sample-document.txt").read_text(encoding="utf-8")
    long_question = (bio / "sample-questions.txt").read_text(encoding="utf-8").splitlines()[0]
    short = [json.loads(line) for line in (bio / "short-docs" / "heldout-qa.jsonl").read_text(encoding="utf-8").splitlines()[:2]]
    pairs = [
        ("base", "gmsa", [(long_document, long_question, 1.0)]),
        ("short-docs/base", "short-docs/gmsa", [(s["input"], s["prompt"], p) for s, p in zip(short, (1.0, 1.3))]),
    ]
    reference = {"versions": VERSIONS, "pairs": []}
    for base_folder, gmsa_folder, cases in pairs:
        tok = AutoTokenizer.from_pretrained(FROZEN / base_folder)
        base = load_decoder(FROZEN / base_folder)
        checkpoint = FROZEN / gmsa_folder
        config = json.loads((checkpoint / "gmsa_config.json").read_text())
        weights = load_file(str(checkpoint / "gmsa.safetensors"))
        enc, keft = config["encoder_lora"], config["keft_lora"]
        encoder = with_lora(base, weights, "encoder_lora.", enc["alpha"] / enc["rank"], config["encoder_layers"])
        decoder = with_lora(base, weights, "keft_lora.", keft["alpha"] / keft["rank"])
        lsa = with_lora(base, {}, "", 0, config["lsa_layers"])
        lsa.load_state_dict({"model." + k[len("lsa."):]: v.double() for k, v in weights.items() if k.startswith("lsa.")}, strict=False)
        window = config["window_size"]
        entry = {"base": base_folder, "gmsa": gmsa_folder,
                 "weights_sha256": hashlib.sha256((checkpoint / "gmsa.safetensors").read_bytes()).hexdigest(),
                 "cases": []}
        for document, question, penalty in cases:
            ids = tok(document, add_special_tokens=False)["input_ids"]
            prompt = tok(config["question_template"].replace("{question}", question), add_special_tokens=False)["input_ids"]
            for rate in config["trained_rates"]:
                with torch.no_grad():
                    merged = []
                    for start in range(0, len(ids), window):
                        states = encoder.model(input_ids=torch.tensor([ids[start:start + window]])).last_hidden_state[0]
                        full = states.shape[0] - states.shape[0] % rate
                        groups = [states[:full].reshape(-1, rate, states.shape[1]).mean(dim=1)]
                        if full < states.shape[0]:
                            groups.append(states[full:].mean(dim=0, keepdim=True))
                        merged.append(torch.cat(groups))
                    soft = lsa.model(inputs_embeds=torch.cat(merged)[None]).last_hidden_state
                    embeds = torch.cat([soft, decoder.model.embed_tokens(torch.tensor([prompt]))], dim=1)
                rows = sorted(set(range(0, soft.shape[1], 1 if len(ids) <= window else 37)) | {soft.shape[1] - 1})
                generation = greedy(decoder, [], 12, penalty, inputs_embeds=embeds)
                entry["cases"].append({
                    "document": document, "question": question, "rate": rate, "document_tokens": len(ids),
                    "prompt_ids": prompt, "soft_tokens": soft.shape[1], "rows": rows,
                    "soft_token_rows": [rounded(soft[0, r].tolist()) for r in rows],
                    "generation": generation, "answer": tok.decode(generation["tokens"]),
                })
                print(gmsa_folder, len(ids), "tokens at", rate, "x:", soft.shape[1], "soft tokens; answer",
                      repr(entry["cases"][-1]["answer"]), "margin", generation["smallest_margin"])
        reference["pairs"].append(entry)
    (HERE / "gmsa-reference.json").write_text(json.dumps(reference, ensure_ascii=False))


if __name__ == "__main__":
    print(VERSIONS)
    tokenizer_references()
    decoders()
    bundled()
    gmsa()
