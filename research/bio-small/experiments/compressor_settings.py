#!/usr/bin/env python3
"""Experiment, not part of the build: which compressor settings lift GMSA accuracy on the default pair?
(Results: research/bio-small/NOTES.md, "Compressor settings checked on a GPU"; log: compressor_settings-h200-log.txt.)

Reproduces GmsaSharp's GMSA forward, training stages and QA evaluation with HuggingFace modules on a GPU, to
compare training settings quickly. Each experiment's result is appended to $OUT/results.jsonl as soon as it is
done; per-question outputs go to $OUT/outputs-<experiment>.jsonl and the log to $OUT/log.txt.

Usage (from the repository root, after compressor_settings_prepare.py; the run of the log was
    python3 research/bio-small/experiments/compressor_settings.py shipped,keft-all,ae-keft-all,ae6-keft-all,keft-all-long
  on an H200, cut off by its 540 s limit during ae6-keft-all):
    python3 research/bio-small/experiments/compressor_settings.py shipped,keft-qkv,... [--quick] [--save] [--steps-scale F]
Experiments: shipped, keft-qkv, keft-all, keft-all-long, ae-keft-all, ae6-keft-all (or "all").
--quick: 5 steps per training stage and 10 validation questions (smoke test).
Data: .explore/data/ (written by compressor_settings_prepare.py; git ignores .explore/); models: models/bio-small/base, models/bio-small/gmsa.

What mirrors which C# file:
- forward (encoder = base's first k blocks + final norm with the encoder LoRA; group merging of each
  <=512-token window on its own; one LSA pass over all windows' vectors = copied blocks + the base's frozen
  final norm; decoder with the KEFT LoRA reading [soft][prompt] as input embeddings, positions 0..):
  tests/GmsaSharp.Tests/TransformersReference/generate.py gmsa()/with_lora(),
  src/GmsaSharp/Compression/GmsaCompressor.cs (Encode, TrainingSoftTokens, CompressTokens, MergedWindows),
  GroupMerging.cs, LayerSemanticAlignment.cs, Models/DecoderStack.cs.
- LoRA (y = W x + (alpha/r) B A dropout(x); A ~ U(+-1/sqrt(in)) from a CPU generator seeded with the seed,
  drawn layer by layer, target by target; B = 0): src/GmsaSharp/Models/LoraAdapters.cs, LoraSettings.cs.
- training loop (AdamW on fp32 masters, weight decay on matrices only, warm-up then cosine to 0, clip 2.0,
  per-micro-batch loss = sum of per-sample summed CE / all predicted tokens): Training/Trainer.cs,
  TrainingOptions.cs, LearningRateSchedule.cs, MasterWeights.cs, CompressorStage.cs (BatchLoss, RateAt).
- autoencoding: Training/AutoencodeStage.cs ([soft][instruction] -> context + EOS; contexts cut into
  512-token pieces; trains encoder LoRA + LSA; decoder without adapters).
- KEFT: Training/KeftStage.cs, QaPacker.cs (runs of 8 consecutive questions per document:
  prompt(q1) ' 'a1 '\\n' prompt(q2) ' 'a2 ... EOS, loss on answers + their newline/EOS; --train-compressor).
- data order: Training/TrainingData.cs EpochSampler (same structure and SplitMix64 seeds; .NET's Random is
  not reproduced, so the exact order and rate draws differ).
- batching (ours, not the C#'s, which runs one sample at a time): windows, LSA inputs and decoder sequences of a
  batch are right-padded without an attention mask; causal attention keeps padding out of every real position and
  positions start at 0 in every row, so each sample computes exactly what it computes alone. Generation re-reads
  the whole right-padded batch each step (no KV cache).
- precision: fp32 weights (the masters) with bf16 autocast on CUDA; the C# computes in bf16 with fp32 masters.
- keft-all continues the shipped q/k/v KEFT adapters and adds fresh o/gate/up/down ones: our C# trainer refuses
  that (KeftStage.KeftParameters demands the checkpoint's own KEFT settings); it is an exploration only.
- evaluation: Evaluation/GmsaEvaluation.cs, Compression/FullPromptBaseline.cs ("{context}\\n\\n{prompt}"),
  Evaluation/QaMetrics.cs (SQuAD normalisation; Acc = a gold answer is a substring), greedy decoding of at most
  16 tokens stopping at EOS or '\\n' (gmsa eval --max-new-tokens 16 --stop $'\\n').
"""
import argparse
import contextlib
import copy
import json
import math
import os
import pathlib
import random
import re
import string
import sys
import time
import traceback

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer
from transformers import LlamaForCausalLM

ROOT = pathlib.Path(__file__).resolve().parents[3]  # research/bio-small/experiments/ -> the repository root
DATA = ROOT / ".explore" / "data"
BASE_DIR = ROOT / "models" / "bio-small" / "base"
GMSA_DIR = ROOT / "models" / "bio-small" / "gmsa"
OUT = pathlib.Path(os.environ.get("OUT") or "explore-out")

ALL = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
QKV = ["q_proj", "k_proj", "v_proj"]
RATES = [4, 8]
MAX_NEW = 16
LOG_EVERY = 50

EXPERIMENTS = {
    "shipped": dict(start="shipped", full_prompt=True),
    "keft-qkv": dict(start="shipped", keft=dict(targets=QKV, steps=1400, lr=5e-4, warmup=30, seed=2)),
    "keft-all": dict(start="shipped", keft=dict(targets=ALL, steps=1400, lr=5e-4, warmup=30, seed=2)),
    "ae-keft-all": dict(start="fresh", encoder_layers=4, ae=dict(steps=1200, lr=1e-3, warmup=30, seed=1),
                        keft=dict(targets=ALL, steps=1400, lr=1e-3, warmup=30, seed=1)),
    "ae6-keft-all": dict(start="fresh", encoder_layers=6, ae=dict(steps=1200, lr=1e-3, warmup=30, seed=1),
                         keft=dict(targets=ALL, steps=1400, lr=1e-3, warmup=30, seed=1)),
    "keft-all-long": dict(start="shipped", keft=dict(targets=ALL, steps=5000, lr=5e-4, warmup=30, seed=2)),
}
# Shared by every stage (the C# runs: --batch-size 4 --questions-per-context 8 --rates 4,8, defaults otherwise).
BATCH = 4
QUESTIONS_PER_CONTEXT = 8
WEIGHT_DECAY = 0.01
BETAS = (0.9, 0.999)
CLIP = 2.0
FRESH_LORA = dict(rank=64, alpha=64.0, dropout=0.05)  # encoder LoRA of a fresh compressor and fresh KEFT LoRA
FRESH_LSA_LAYERS = 1


def log(*parts):
    line = " ".join(str(p) for p in parts)
    print(line, flush=True)
    with open(OUT / "log.txt", "a", encoding="utf-8") as f:
        f.write(line + "\n")


# ----------------------------------------------------------------------------------------------------------
# LoRA (Models/LoraAdapters.cs): per-call adapters on the shared base projections.

_ACTIVE = [None]  # the adapter set the wrapped projections apply now (None: the plain base)


@contextlib.contextmanager
def active(lora):
    previous = _ACTIVE[0]
    _ACTIVE[0] = lora
    try:
        yield
    finally:
        _ACTIVE[0] = previous


class LoraLinear(nn.Module):
    """A base projection plus whichever adapter set is active: y = W x + scale * B A dropout(x)."""

    def __init__(self, base, layer, projection):
        super().__init__()
        self.base = base
        self.key = f"{layer}_{projection}"

    @property
    def weight(self):
        return self.base.weight

    def forward(self, x):
        y = self.base(x)
        lora = _ACTIVE[0]
        if lora is None or self.key not in lora.A:
            return y
        h = F.dropout(x, lora.dropout, lora.training) if lora.dropout > 0 else x
        return y + lora.scale * F.linear(F.linear(h, lora.A[self.key]), lora.B[self.key])


class Lora(nn.Module):
    """Adapters for blocks 0..blocks-1: A [rank, in] uniform in +-1/sqrt(in) from a CPU generator seeded with
    seed (drawn block by block, target by target), B [out, rank] zero; fp32."""

    def __init__(self, env, blocks, targets, rank, alpha, dropout, seed):
        super().__init__()
        self.blocks, self.targets = blocks, list(targets)
        self.rank, self.alpha, self.dropout = int(rank), float(alpha), float(dropout)
        self.scale = self.alpha / self.rank
        self.A = nn.ParameterDict()
        self.B = nn.ParameterDict()
        generator = torch.Generator().manual_seed(int(seed))
        for i in range(blocks):
            for t in self.targets:
                fan_in, fan_out = env.dims[t]
                bound = 1.0 / math.sqrt(fan_in)
                a = (torch.rand(self.rank, fan_in, generator=generator) * 2 - 1) * bound
                self.A[f"{i}_{t}"] = nn.Parameter(a.to(env.dev))
                self.B[f"{i}_{t}"] = nn.Parameter(torch.zeros(fan_out, self.rank, device=env.dev))

    def settings(self):
        return {"rank": self.rank, "alpha": self.alpha, "dropout": self.dropout, "targets": self.targets}

    def checkpoint_items(self, prefix):
        for i in range(self.blocks):
            for t in self.targets:
                yield f"{prefix}layers.{i}.{t}.lora_A", self.A[f"{i}_{t}"]
                yield f"{prefix}layers.{i}.{t}.lora_B", self.B[f"{i}_{t}"]

    def load(self, weights, prefix, targets):
        """Copies the checkpoint's adapters of `targets`; every stored tensor under prefix must be used."""
        used = set()
        with torch.no_grad():
            for name, p in self.checkpoint_items(prefix):
                if name.split(".")[-2] not in targets:
                    continue
                stored = weights[name]
                assert tuple(stored.shape) == tuple(p.shape), (name, stored.shape, p.shape)
                p.copy_(stored.float())
                used.add(name)
        left = [k for k in weights if k.startswith(prefix) and k not in used]
        assert not left, f"unused checkpoint tensors: {left[:5]}"


# ----------------------------------------------------------------------------------------------------------
# Environment: tokenizer, frozen base, data.

class Env:
    def __init__(self, quick):
        self.quick = quick
        self.dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        self.tok = Tokenizer.from_file(str(BASE_DIR / "tokenizer.json"))
        tok_config = json.loads((BASE_DIR / "tokenizer_config.json").read_text())
        raw_config = json.loads((BASE_DIR / "config.json").read_text())
        # HfSpecialTokenIds.cs: tokenizer_config's eos_token (config.json's eos_token_id only when none).
        eos = {self.tok.token_to_id(tok_config["eos_token"])} if tok_config.get("eos_token") else set()
        if not eos and raw_config.get("eos_token_id") is not None:
            value = raw_config["eos_token_id"]
            eos = set(value if isinstance(value, list) else [value])
        assert eos and None not in eos, eos
        self.eos_ids = eos
        self.eos = min(eos)
        self.newline = self.encode(["\n"])[0]

        try:
            base = LlamaForCausalLM.from_pretrained(str(BASE_DIR), attn_implementation="sdpa")
        except Exception as e:  # older or newer transformers without sdpa for this config
            log("sdpa load failed, using eager:", repr(e))
            base = LlamaForCausalLM.from_pretrained(str(BASE_DIR), attn_implementation="eager")
        base = base.float().to(self.dev).eval()
        base.requires_grad_(False)
        self.base = base
        self.cfg = base.config
        self.embed = base.model.embed_tokens
        assert self.cfg.tie_word_embeddings, "the logits below use the tied embedding matrix"
        h, inter = self.cfg.hidden_size, self.cfg.intermediate_size
        heads, kv = self.cfg.num_attention_heads, self.cfg.num_key_value_heads
        hd = getattr(self.cfg, "head_dim", None) or h // heads
        self.dims = {"q_proj": (h, heads * hd), "k_proj": (h, kv * hd), "v_proj": (h, kv * hd), "o_proj": (heads * hd, h),
                     "gate_proj": (h, inter), "up_proj": (h, inter), "down_proj": (inter, h)}  # (in, out)
        self.max_positions = self.cfg.max_position_embeddings
        # Unwrapped copies: LSA blocks start as copies of the base's first blocks (LayerSemanticAlignment.cs).
        self.pristine = copy.deepcopy(base.model)
        self.shell = copy.deepcopy(base.model)
        self.shell.layers = nn.ModuleList()
        for i, layer in enumerate(base.model.layers):
            for t in ("q_proj", "k_proj", "v_proj", "o_proj"):
                setattr(layer.self_attn, t, LoraLinear(getattr(layer.self_attn, t), i, t))
            for t in ("gate_proj", "up_proj", "down_proj"):
                setattr(layer.mlp, t, LoraLinear(getattr(layer.mlp, t), i, t))

        self.shipped_config = json.loads((GMSA_DIR / "gmsa_config.json").read_text())
        self.shipped_weights = load_file(str(GMSA_DIR / "gmsa.safetensors"))
        self.window = self.shipped_config["window_size"]
        self.template = self.shipped_config["question_template"]
        self.answer_prefix = self.shipped_config["answer_prefix"]
        self.instruction = self.shipped_config["autoencode_instruction"]
        assert self.shipped_config["base_hidden_size"] == h and self.shipped_config["base_layers"] == self.cfg.num_hidden_layers

        self.val = [json.loads(l) for l in open(DATA / "val200.jsonl", encoding="utf-8") if l.strip()]
        if quick:
            self.val = self.val[:10]
        self._keft_docs = None
        self._ae_contexts = None
        log(f"device {self.dev} ({torch.cuda.get_device_name(0) if self.dev.type == 'cuda' else 'cpu'}), torch {torch.__version__}, "
            f"transformers {__import__('transformers').__version__}, attention {getattr(self.cfg, '_attn_implementation', '?')}; "
            f"eos {sorted(self.eos_ids)}, newline {self.newline}; {len(self.val)} validation questions")

    def encode(self, texts):
        return [e.ids for e in self.tok.encode_batch(list(texts), add_special_tokens=False)]

    def prompt(self, question):
        return self.template.replace("{question}", question)

    def autocast(self):
        return torch.autocast("cuda", dtype=torch.bfloat16) if self.dev.type == "cuda" else contextlib.nullcontext()

    def view(self, layers):
        """A LlamaModel running `layers` then the base's final norm (shared modules, no copies)."""
        m = copy.deepcopy(self.shell)
        m.layers = nn.ModuleList(layers)
        m.embed_tokens = self.embed
        m.norm = self.base.model.norm
        m.config.num_hidden_layers = len(layers)
        return m

    def keft_docs(self):
        """[(context ids, [(prompt ids, answer ids + newline)])] per training document (KeftStage.cs, QaPacker.Encode)."""
        if self._keft_docs is None:
            t = time.time()
            docs = [json.loads(l) for l in open(DATA / "train_qa.jsonl", encoding="utf-8") if l.strip()]
            contexts = self.encode(d["input"] for d in docs)
            prompts = self.encode(self.prompt(q) for d in docs for q, _ in d["qa"])
            answers = self.encode(self.answer_prefix + a for d in docs for _, a in d["qa"])
            out, k = [], 0
            for d, ctx in zip(docs, contexts):
                items = []
                for _ in d["qa"]:
                    items.append((prompts[k], answers[k] + self.newline))
                    k += 1
                out.append((ctx, items))
            self._keft_docs = out
            log(f"tokenized {len(docs)} KEFT documents ({sum(len(c) for c in contexts) / len(contexts):.0f} context tokens on average, "
                f"max {max(len(c) for c in contexts)}) in {time.time() - t:.1f}s")
        return self._keft_docs

    def ae_contexts(self):
        if self._ae_contexts is None:
            lines = [json.loads(l) for l in open(DATA / "ae.jsonl", encoding="utf-8") if l.strip()]
            self._ae_contexts = self.encode(d["input"] for d in lines)
        return self._ae_contexts


# ----------------------------------------------------------------------------------------------------------
# The compressor (Compression/GmsaCompressor.cs).

class Gmsa:
    def __init__(self, env, encoder_layers, enc_lora, lsa_layers, keft):
        self.env = env
        self.encoder_layers = encoder_layers
        self.enc_lora = enc_lora
        self.lsa_layers = nn.ModuleList(lsa_layers)  # trainable copies
        self.keft = keft
        self.enc = env.view(list(env.base.model.layers)[:encoder_layers])
        self.lsa = env.view(list(self.lsa_layers))
        self.set_training(False)  # no adapter dropout outside the training steps

    @staticmethod
    def fresh(env, encoder_layers, seed):
        """GmsaCompressor.Create: encoder LoRA on all projections seeded with the training seed; LSA = copies of
        the base's first blocks; no KEFT adapters yet."""
        enc = Lora(env, encoder_layers, ALL, FRESH_LORA["rank"], FRESH_LORA["alpha"], FRESH_LORA["dropout"], seed)
        layers = [copy.deepcopy(env.pristine.layers[i]) for i in range(FRESH_LSA_LAYERS)]
        for layer in layers:
            layer.requires_grad_(True)
        return Gmsa(env, encoder_layers, enc, layers, None)

    @staticmethod
    def shipped(env, keft_targets=None, keft_seed=0):
        """The shipped checkpoint; keft_targets beyond its own add fresh adapters (seeded with keft_seed, drawn
        as a fresh adapter set of all keft_targets would draw them) next to the continued ones."""
        c, w = env.shipped_config, env.shipped_weights
        el, kl = c["encoder_lora"], c["keft_lora"]
        enc = Lora(env, c["encoder_layers"], el["targets"], el["rank"], el["alpha"], el["dropout"], 0)
        enc.load(w, "encoder_lora.", el["targets"])
        layers = nn.ModuleList([copy.deepcopy(env.pristine.layers[i]) for i in range(c["lsa_layers"])])
        stored = {k[len("lsa.layers."):]: v.float().to(env.dev) for k, v in w.items() if k.startswith("lsa.layers.")}
        result = layers.load_state_dict(stored, strict=False)
        assert not result.unexpected_keys, result.unexpected_keys
        assert not [k for k in result.missing_keys if k.endswith("weight")], result.missing_keys
        layers.requires_grad_(True)
        targets = list(keft_targets or kl["targets"])
        assert set(kl["targets"]) <= set(targets)
        keft = Lora(env, env.cfg.num_hidden_layers, targets, kl["rank"], kl["alpha"], kl["dropout"], keft_seed)
        keft.load(w, "keft_lora.", kl["targets"])
        return Gmsa(env, c["encoder_layers"], enc, list(layers), keft)

    def compressor_parameters(self):
        return ([("encoder_lora." + n, p) for n, p in self.enc_lora.named_parameters()]
                + [("lsa.layers." + n, p) for n, p in self.lsa_layers.named_parameters()])

    def keft_parameters(self):
        return [("keft_lora." + n, p) for n, p in self.keft.named_parameters()]

    def set_training(self, training):
        for m in (self.enc_lora, self.keft, self.lsa_layers):
            if m is not None:
                m.train(training)

    def soft_tokens(self, contexts, rates):
        """Soft tokens [m_d, hidden] of each context at its rate: windows of self.env.window tokens encoded in one
        right-padded batch (causal attention: padding after a window's end never reaches its states), each
        merged on its own, then one LSA pass over each context's concatenated vectors (right-padded batch)."""
        env = self.env
        windows, owner = [], []
        for d, ids in enumerate(contexts):
            assert len(ids) > 0
            for s in range(0, len(ids), env.window):
                windows.append(ids[s:s + env.window])
                owner.append(d)
        width = max(len(w) for w in windows)
        batch = torch.zeros(len(windows), width, dtype=torch.long)
        for i, w in enumerate(windows):
            batch[i, :len(w)] = torch.tensor(w, dtype=torch.long)
        with active(self.enc_lora):
            states = self.enc(input_ids=batch.to(env.dev), use_cache=False).last_hidden_state  # [W, width, hidden]
        merged = [[] for _ in contexts]
        for i, w in enumerate(windows):
            merged[owner[i]].append(group_merge(states[i, :len(w)].float(), rates[owner[i]]))
        per_context = [torch.cat(m, 0) for m in merged]
        padded = nn.utils.rnn.pad_sequence(per_context, batch_first=True)  # [D, M, hidden]
        with active(None):
            aligned = self.lsa(inputs_embeds=padded, use_cache=False).last_hidden_state
        return [aligned[d, :v.shape[0]] for d, v in enumerate(per_context)]

    def save(self, folder, rates):
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {n: p.detach().float().cpu().contiguous() for n, p in self.enc_lora.checkpoint_items("encoder_lora.")}
        for k, v in self.lsa_layers.state_dict().items():
            tensors["lsa.layers." + k] = v.detach().to(torch.bfloat16).cpu().contiguous()
        if self.keft is not None:
            tensors.update({n: p.detach().float().cpu().contiguous() for n, p in self.keft.checkpoint_items("keft_lora.")})
        save_file(tensors, str(folder / "gmsa.safetensors"), metadata={"format": "pt"})
        config = dict(self.env.shipped_config)
        config.update(encoder_layers=self.encoder_layers, encoder_lora=self.enc_lora.settings(), lsa_layers=len(self.lsa_layers),
                      keft_lora=self.keft.settings() if self.keft is not None else None, trained_rates=sorted(set(rates)))
        (folder / "gmsa_config.json").write_text(json.dumps(config, indent=2))


def group_merge(states, rate):
    """GroupMerging.cs for one window [L, hidden]: means of `rate` consecutive states, the remainder one more."""
    length = states.shape[0]
    full = length - length % rate
    parts = []
    if full > 0:
        parts.append(states[:full].reshape(full // rate, rate, states.shape[1]).mean(dim=1))
    if full < length:
        parts.append(states[full:].mean(dim=0, keepdim=True))
    return torch.cat(parts, 0)


def decoder_loss(env, softs, sequences, lora):
    """DecoderLoss.MarkedAfterPrefix for a batch: the decoder reads [soft][tokens[:-1]] (right-padded batch);
    token i is predicted at position m - 1 + i; summed CE over the marked tokens, and their count."""
    inputs, rows, cols, targets = [], [], [], []
    for j, (soft, (tokens, trained)) in enumerate(zip(softs, sequences)):
        ids = torch.tensor(tokens[:-1], dtype=torch.long, device=env.dev)
        inputs.append(torch.cat([soft, env.embed(ids).to(soft.dtype)], 0))
        m = soft.shape[0]
        for i, marked in enumerate(trained):
            if marked:
                rows.append(j)
                cols.append(m - 1 + i)
                targets.append(tokens[i])
    padded = nn.utils.rnn.pad_sequence(inputs, batch_first=True)
    assert padded.shape[1] <= env.max_positions
    with active(lora):
        hidden = env.base.model(inputs_embeds=padded, use_cache=False).last_hidden_state
    picked = hidden[torch.tensor(rows, device=env.dev), torch.tensor(cols, device=env.dev)]
    logits = F.linear(picked, env.embed.weight).float()
    loss = F.cross_entropy(logits, torch.tensor(targets, dtype=torch.long, device=env.dev), reduction="sum")
    return loss, len(targets)


# ----------------------------------------------------------------------------------------------------------
# Training (Training/Trainer.cs and the stages).

M64 = (1 << 64) - 1


def mix(a, b):
    """TrainingData.cs's SplitMix64 of the pair."""
    z = (a * 0x9E3779B97F4A7C15 + b + 0x6A09E667F3BCC909) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return (z ^ (z >> 31)) & 0x7FFFFFFF


class EpochSampler:
    """A fresh shuffle per epoch from (seed, epoch); Python's shuffle, not .NET's."""

    def __init__(self, count, seed):
        self.count, self.seed, self.epoch, self.order = count, seed, None, None

    def at(self, position):
        epoch = position // self.count
        if epoch != self.epoch:
            self.order = list(range(self.count))
            random.Random(mix(self.seed, epoch)).shuffle(self.order)
            self.epoch = epoch
        return self.order[position % self.count]


def rate_at(seed, position, rates):
    return rates[random.Random(mix(seed ^ 0x5EED, position)).randrange(len(rates))]


def lr_at(step, peak, warmup, total):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = 1.0 if total <= warmup else min(max((step - warmup) / (total - warmup), 0.0), 1.0)
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


def keft_samples(env):
    """KeftStage.cs + QaPacker.Join: per document, runs of QUESTIONS_PER_CONTEXT consecutive questions:
    prompt tokens (no loss), ' '+answer+newline (loss); the last newline replaced by EOS (loss)."""
    samples = []
    room_check = 0
    for ctx, items in env.keft_docs():
        room = env.max_positions - soft_count(len(ctx), env.window, min(RATES))
        for s in range(0, len(items), QUESTIONS_PER_CONTEXT):
            tokens, trained = [], []
            for p, a in items[s:s + QUESTIONS_PER_CONTEXT]:
                tokens += p
                trained += [False] * len(p)
                tokens += a
                trained += [True] * len(a)
            n = len(env.newline)
            assert tokens[-n:] == env.newline
            tokens = tokens[:-n] + [env.eos]
            trained = trained[:-n] + [True]
            room_check = max(room_check, len(tokens) - room)
            samples.append((ctx, tokens, trained))
    assert room_check <= 0, "a run exceeds the decoder's positions (the C# would split it)"
    return samples


def ae_samples(env):
    """AutoencodeStage.cs: contexts cut into window-sized pieces; [instruction] (no loss) then piece + EOS (loss)."""
    instruction = env.encode([env.instruction])[0]
    samples = []
    for ids in env.ae_contexts():
        for s in range(0, len(ids), env.window):
            piece = ids[s:s + env.window]
            if soft_count(len(piece), env.window, min(RATES)) + len(instruction) + len(piece) + 1 > env.max_positions:
                continue
            samples.append((piece, instruction + piece + [env.eos], [False] * len(instruction) + [True] * (len(piece) + 1)))
    return samples


def soft_count(tokens, window, rate):
    full, rest = divmod(tokens, window)
    return full * -(-window // rate) + (-(-rest // rate) if rest else 0)


def train(env, g, stage, samples, spec, scale, label):
    """One stage: AdamW (betas .9/.999, eps 1e-8, weight decay on >=2-D tensors), lr warm-up then cosine to 0,
    clip 2.0, batch BATCH, per-position rates and dropout seeds. Returns a summary."""
    steps = 5 if env.quick else max(1, int(round(spec["steps"] * scale)))
    warmup = min(spec["warmup"], steps)
    seed = spec["seed"]
    named = g.compressor_parameters() + (g.keft_parameters() if stage == "keft" else [])
    params = [p for _, p in named]
    for p in params:
        p.requires_grad_(True)
    matrices = [p for p in params if p.dim() >= 2]
    others = [p for p in params if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": matrices, "weight_decay": WEIGHT_DECAY}, {"params": others, "weight_decay": 0.0}],
                                  lr=spec["lr"], betas=BETAS, eps=1e-8)
    decoder_lora = g.keft if stage == "keft" else None
    sampler = EpochSampler(len(samples), seed)
    log(f"[{label}] {stage}: {steps} steps, lr {spec['lr']}, warm-up {warmup}, seed {seed}, batch {BATCH}, "
        f"{len(samples)} sequences, {sum(p.numel() for p in params):,} trainable parameters "
        f"({len(matrices)} matrices, {len(others)} vectors); decoder adapters: {decoder_lora.targets if decoder_lora else None}")
    losses, curve = [], []
    start = time.time()
    for step in range(steps):
        step_start = time.time()
        lr = lr_at(step, spec["lr"], warmup, steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        g.set_training(True)
        torch.manual_seed(seed * 1_000_003 + step)
        positions = [step * BATCH + j for j in range(BATCH)]
        picked = [samples[sampler.at(p)] for p in positions]
        rates = [rate_at(seed, p, RATES) for p in positions]
        with env.autocast():
            softs = g.soft_tokens([s[0] for s in picked], rates)
            loss_sum, count = decoder_loss(env, softs, [(s[1], s[2]) for s in picked], decoder_lora)
            loss = loss_sum / count
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        g.set_training(False)
        losses.append(loss.detach())
        done = step + 1
        if env.quick:
            log(f"[{label}] {stage} step {done}/{steps} loss {loss.item():.4f} lr {lr:.2e} {1000 * (time.time() - step_start):.0f} ms")
        if done % LOG_EVERY == 0 or done == steps or done == 10:
            window = losses[-(LOG_EVERY if done % LOG_EVERY == 0 else (done % LOG_EVERY or LOG_EVERY)):]
            mean = torch.stack(window).mean().item()
            if not math.isfinite(mean):
                raise RuntimeError(f"{stage} loss became {mean} by step {done}")
            if done % LOG_EVERY == 0 or done == steps:
                curve.append([done, round(mean, 5)])
            elapsed = time.time() - start
            log(f"[{label}] {stage} step {done}/{steps} loss {mean:.4f} lr {lr:.2e} "
                f"{elapsed:.0f}s elapsed, {elapsed / done * 1000:.0f} ms/step, eta {elapsed / done * (steps - done):.0f}s")
    for p in params:
        p.requires_grad_(False)
    tail = torch.stack(losses[-LOG_EVERY:]).mean().item()
    return {"stage": stage, "steps": steps, "lr": spec["lr"], "warmup": warmup, "seed": seed, "seconds": round(time.time() - start, 1),
            "final_loss_last50": round(tail, 5), "loss_curve": curve}


# ----------------------------------------------------------------------------------------------------------
# Evaluation (Evaluation/GmsaEvaluation.cs, QaMetrics.cs).

ARTICLES = re.compile(r"\b(a|an|the)\b")
PUNCTUATION = set(string.punctuation)


def normalize(text):
    text = "".join(c for c in text.lower() if c not in PUNCTUATION)
    return " ".join(ARTICLES.sub(" ", text).split())


def qa_scores(prediction, golds):
    p = normalize(prediction)
    gs = [normalize(gold) for gold in golds]
    gs = [gold for gold in gs if gold]
    acc = float(any(gold in p for gold in gs))
    em = float(any(gold == p for gold in gs))
    f1 = 0.0
    ptoks = p.split()
    for gold in gs:
        gtoks = gold.split()
        counts = {}
        for t in gtoks:
            counts[t] = counts.get(t, 0) + 1
        shared = 0
        for t in ptoks:
            if counts.get(t, 0) > 0:
                counts[t] -= 1
                shared += 1
        if shared:
            precision, recall = shared / len(ptoks), shared / len(gtoks)
            f1 = max(f1, 2 * precision * recall / (precision + recall))
    return acc, em, f1


@torch.no_grad()
def greedy(env, prefixes, lora, batch=64):
    """Greedy decoding of at most MAX_NEW tokens after each prefix [P, hidden], stopping at EOS or once the text
    holds '\\n' (the text is cut before it). No KV cache: each step re-reads the right-padded batch (causal
    attention keeps padding out of the real positions; positions count from 0)."""
    E = env.embed.weight
    texts = []
    for s in range(0, len(prefixes), batch):
        chunk = prefixes[s:s + batch]
        n = len(chunk)
        lens = [p.shape[0] for p in chunk]
        buf = torch.zeros(n, max(lens) + MAX_NEW, E.shape[1], device=env.dev)
        for j, p in enumerate(chunk):
            buf[j, :lens[j]] = p.float()
        generated = [[] for _ in range(n)]
        done = [False] * n
        for _ in range(MAX_NEW):
            width = max(lens)
            with env.autocast(), active(lora):
                hidden = env.base.model(inputs_embeds=buf[:, :width], use_cache=False).last_hidden_state
                last = hidden[torch.arange(n, device=env.dev), torch.tensor(lens, device=env.dev) - 1]
                logits = F.linear(last, E)
            chosen = logits.float().argmax(-1).tolist()
            for j in range(n):
                if done[j]:
                    continue
                t = chosen[j]
                if t in env.eos_ids:
                    done[j] = True
                    continue
                generated[j].append(t)
                buf[j, lens[j]] = E[t]
                lens[j] += 1
                if "\n" in env.tok.decode(generated[j]):
                    done[j] = True
            if all(done):
                break
        texts.extend(env.tok.decode(ids).split("\n", 1)[0] for ids in generated)
    return texts


def score_rows(env, method, rate, outputs):
    rows, totals = [], [0.0, 0.0, 0.0]
    for i, (v, out) in enumerate(zip(env.val, outputs)):
        golds = v["answer"] if isinstance(v["answer"], list) else [v["answer"]]
        acc, em, f1 = qa_scores(out, golds)
        totals = [totals[0] + acc, totals[1] + em, totals[2] + f1]
        rows.append({"method": method, "rate": rate, "index": i, "prompt": v["prompt"], "references": golds, "output": out,
                     "correct": acc == 1.0, "attribute": v.get("attribute")})
    n = len(outputs)
    return {"acc": round(100 * totals[0] / n, 2), "em": round(100 * totals[1] / n, 2), "f1": round(100 * totals[2] / n, 2), "n": n}, rows


@torch.no_grad()
def evaluate_gmsa(env, g):
    g.set_training(False)
    documents = list(dict.fromkeys(v["input"] for v in env.val))
    context_ids = dict(zip(documents, env.encode(documents)))
    prompts = env.encode(env.prompt(v["prompt"]) for v in env.val)
    results, rows = {}, []
    for rate in RATES:
        softs = {}
        for s in range(0, len(documents), 16):
            chunk = documents[s:s + 16]
            with env.autocast():
                for d, soft in zip(chunk, g.soft_tokens([context_ids[d] for d in chunk], [rate] * len(chunk))):
                    softs[d] = soft.float()
        prefixes = [torch.cat([softs[v["input"]], env.embed(torch.tensor(p, device=env.dev))], 0) for v, p in zip(env.val, prompts)]
        outputs = greedy(env, prefixes, g.keft)
        scores, r = score_rows(env, "gmsa", rate, outputs)
        scores["soft_tokens_mean"] = round(sum(softs[v["input"]].shape[0] for v in env.val) / len(env.val), 1)
        results[str(rate)] = scores
        rows += r
    return results, rows


@torch.no_grad()
def evaluate_full_prompt(env):
    """FullPromptBaseline.cs: context ids, then the ids of "\\n\\n" + the question prompt; the plain decoder."""
    contexts = env.encode(v["input"] for v in env.val)
    afters = env.encode("\n\n" + env.prompt(v["prompt"]) for v in env.val)
    prefixes = [env.embed(torch.tensor(c + a, device=env.dev)) for c, a in zip(contexts, afters)]
    outputs = greedy(env, prefixes, None, batch=32)
    return score_rows(env, "full prompt", None, outputs)


def agreement(rows, reference_file):
    """How many outputs equal our C# eval's, by (method, rate, index)."""
    path = DATA / reference_file
    if not path.exists():
        return None
    cs = {(r["method"], r["rate"], r["index"]): r["output"] for r in (json.loads(l) for l in open(path, encoding="utf-8") if l.strip())}
    out = {}
    for r in rows:
        key = (r["method"], r["rate"], r["index"])
        if key in cs:
            name = f"{r['method']} {r['rate'] or ''}".strip()
            same, total = out.get(name, (0, 0))
            out[name] = (same + (cs[key].strip() == r["output"].strip()), total + 1)
    return {k: f"{same}/{total} identical outputs" for k, (same, total) in out.items()}


# ----------------------------------------------------------------------------------------------------------

def run_experiment(env, name, spec, args):
    torch.manual_seed(spec.get("keft", spec.get("ae", {})).get("seed", 0))
    result = {"experiment": name, "quick": env.quick, "steps_scale": args.steps_scale, "spec": spec, "stages": []}
    if spec["start"] == "shipped":
        keft = spec.get("keft")
        g = Gmsa.shipped(env, keft["targets"] if keft else None, keft["seed"] if keft else 0)
    else:
        g = Gmsa.fresh(env, spec["encoder_layers"], spec["ae"]["seed"])
        result["stages"].append(train(env, g, "ae", ae_samples(env), spec["ae"], args.steps_scale, name))
        k = spec["keft"]
        g.keft = Lora(env, env.cfg.num_hidden_layers, k["targets"], FRESH_LORA["rank"], FRESH_LORA["alpha"], FRESH_LORA["dropout"], k["seed"])
    if "keft" in spec:
        result["stages"].append(train(env, g, "keft", keft_samples(env), spec["keft"], args.steps_scale, name))
    t = time.time()
    scores, rows = evaluate_gmsa(env, g)
    result["gmsa"] = scores
    if spec.get("full_prompt"):
        fp_scores, fp_rows = evaluate_full_prompt(env)
        result["full_prompt"] = fp_scores
        result["agreement_with_csharp"] = {**(agreement(rows, "cs_shipped_outputs.jsonl") or {}),
                                           **(agreement(fp_rows, "cs_fullprompt_outputs.jsonl") or {})}
        result["csharp_measured"] = {"gmsa 4": 69.5, "gmsa 8": 65.5, "full prompt": 88.0}
        rows += fp_rows
    result["eval_seconds"] = round(time.time() - t, 1)
    with open(OUT / f"outputs-{name}.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    if args.save and "keft" in spec:
        g.save(OUT / f"gmsa-{name}", RATES)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiments", help="comma-separated: " + ", ".join(EXPERIMENTS) + ", or all")
    parser.add_argument("--quick", action="store_true", help="5 steps per stage, 10 validation questions")
    parser.add_argument("--save", action="store_true", help="write each trained compressor to $OUT/gmsa-<name>/ (C# checkpoint names)")
    parser.add_argument("--steps-scale", type=float, default=1.0, help="multiply every stage's steps (warm-up kept)")
    args = parser.parse_args()
    names = list(EXPERIMENTS) if args.experiments == "all" else [n.strip() for n in args.experiments.split(",") if n.strip()]
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        sys.exit(f"unknown experiments {unknown}; known: {list(EXPERIMENTS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    env = Env(args.quick)
    log(f"setup {time.time() - t0:.1f}s; experiments {names}; out {OUT}")
    summary = []
    for name in names:
        t = time.time()
        log(f"=== {name} ===")
        try:
            result = run_experiment(env, name, EXPERIMENTS[name], args)
            result["seconds"] = round(time.time() - t, 1)
            if env.dev.type == "cuda":
                result["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
            with open(OUT / "results.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps(result) + "\n")
            line = f"{name}: " + ", ".join(f"{r}x Acc {s['acc']:.1f} (F1 {s['f1']:.1f})" for r, s in result["gmsa"].items())
            if "full_prompt" in result:
                line += f", full prompt Acc {result['full_prompt']['acc']:.1f}; agreement {result['agreement_with_csharp']}"
            line += f"; {result['seconds']:.0f}s"
            summary.append(line)
            log(line)
        except Exception:
            log(f"{name} FAILED after {time.time() - t:.0f}s:\n{traceback.format_exc()}")
            summary.append(f"{name}: FAILED")
            with open(OUT / "results.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps({"experiment": name, "failed": traceback.format_exc()[-2000:]}) + "\n")
        finally:
            if env.dev.type == "cuda":
                torch.cuda.empty_cache()
    log(f"=== summary ({time.time() - t0:.0f}s in all) ===")
    for line in summary:
        log(line)


if __name__ == "__main__":
    main()
