"""Export the embedded model to ONNX with a KV cache, for the ONNX Runtime Web peer of the
end-to-end LLM benchmark (src/bench/e2e-llm.browser.ts).

    /usr/bin/python3 training/onnx/export_onnx.py            # -> .cache/bench-assets/

Weights: public/models/embedded-f32.gguf, read back through gguf_reader (the same float32 values as
training/checkpoint.pt, which check.py verifies; the GGUF is committed, the checkpoint is not), so
the ONNX graph and our engine's f32 run hold exactly the same numbers.

Graph (one step of T new tokens after P cached ones; T and P are dynamic):
    inputs   input_ids                 int64 [1, T]
             position_ids              int64 [1, T]       absolute positions, P .. P+T-1
             past_key_values.{i}.key   float [1, Hkv, P, hd]   (i = 0 .. n_layers-1; P may be 0)
             past_key_values.{i}.value float [1, Hkv, P, hd]
    outputs  logits                    float [1, vocab]   the LAST token's only, as our engine computes
             present.{i}.key / .value  float [1, Hkv, P+T, hd]   feed back as the next step's past

Attention masks the future from the shapes (key j is visible to query t when j <= P + t), so no
attention_mask input is needed for one unpadded sequence; position_ids feed RoPE only. GQA repeats
each K/V head for its query heads by expand + reshape, as Hugging Face's Llama export does.

Written beside it: embedded-reference.json, the 64-token benchmark prompt and the greedy tokens the
PyTorch model (full forward per token, no cache) gives after it, which the browser bench holds
both ORT and our engine against. Needs only python3-torch (1.13) and numpy: the `onnx` package is not
used; the check runs the traced module (the graph torch.onnx.export serialises) against model.py.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
ROOT = os.path.dirname(TRAINING)
sys.path.insert(0, TRAINING)
from fixtures import model_from_gguf  # noqa: E402
from model import Llama, apply_rope  # noqa: E402

GGUF = os.path.join(ROOT, "public", "models", "embedded-f32.gguf")
FIXTURE = os.path.join(TRAINING, "fixtures", "embedded.json")
OUT_DIR = os.path.join(ROOT, ".cache", "bench-assets")
PROMPT_TOKENS = 64
# Tokens the bench generates: one from the prefill, then one per decode step.
GEN_TOKENS = 33


class KvStep(nn.Module):
    """model.py's Llama run as one cached step. Reuses its modules (norms, projections, RoPE) and
    differs only where a cache needs it: K/V concatenated to the past, positions given, GQA heads
    repeated by expand + reshape (query head h reads kv head h // rep, as model.py's repeat_interleave)."""

    def __init__(self, model: Llama):
        super().__init__()
        self.m = model
        self.c = model.c

    def forward(self, input_ids, position_ids, *past):
        c, hd = self.c, self.c.head_dim
        rep = c.n_heads // c.n_kv_heads
        B, T = input_ids.shape
        x = self.m.tok_embd(input_ids)
        cos = self.m.rope_cos[position_ids].unsqueeze(1)  # [B, 1, T, hd/2]
        sin = self.m.rope_sin[position_ids].unsqueeze(1)
        presents = []
        for i, blk in enumerate(self.m.blocks):
            a = blk.attn
            h = blk.attn_norm(x)
            q = a.wq(h).view(B, T, c.n_heads, hd).transpose(1, 2)
            k = a.wk(h).view(B, T, c.n_kv_heads, hd).transpose(1, 2)
            v = a.wv(h).view(B, T, c.n_kv_heads, hd).transpose(1, 2)
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
            k = torch.cat([past[2 * i], k], dim=2)  # [B, Hkv, S, hd], S = P + T
            v = torch.cat([past[2 * i + 1], v], dim=2)
            presents += [k, v]
            S = k.shape[2]
            # [T, S]: key j is in query t's future when j > P + t, P = S - T. Built from shapes, not
            # from position_ids: with position_ids feeding both this (CPU-side) mask and the RoPE
            # gather on the GPU, ORT-Web 1.30's JSEP computed wrong attention scores.
            mask = torch.arange(S, device=x.device)[None, :] > (torch.arange(T, device=x.device) + (S - T))[:, None]
            kr = k[:, :, None].expand(B, c.n_kv_heads, rep, S, hd).reshape(B, c.n_heads, S, hd)
            vr = v[:, :, None].expand(B, c.n_kv_heads, rep, S, hd).reshape(B, c.n_heads, S, hd)
            att = (q @ kr.transpose(-2, -1)) * (1.0 / math.sqrt(hd))  # [B, H, T, S]
            att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
            y = (att @ vr).transpose(1, 2).reshape(B, T, c.n_heads * hd)
            x = x + a.wo(y)
            x = x + blk.ffn(blk.ffn_norm(x))
        logits = self.m.output(self.m.norm(x[:, -1]))
        return (logits, *presents)


def io_names(n_layers):
    past, present = [], []
    for i in range(n_layers):
        past += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        present += [f"present.{i}.key", f"present.{i}.value"]
    return ["input_ids", "position_ids", *past], ["logits", *present]


def empty_past(c, P=0):
    return [torch.zeros(1, c.n_kv_heads, P, c.head_dim) for _ in range(2 * c.n_layers)]


@torch.no_grad()
def cached_greedy(step, c, prompt, n):
    """Prefill `prompt` in one step, then one token per step feeding present -> past.
    Returns the generated ids and the logits that picked each."""
    past = empty_past(c)
    ids, logits_seen = [], []
    tokens, pos = list(prompt), 0
    for _ in range(n):
        T = len(tokens)
        out = step(torch.tensor([tokens]), torch.arange(pos, pos + T)[None, :], *past)
        logits, past = out[0][0], list(out[1:])
        nxt = int(torch.argmax(logits))
        ids.append(nxt)
        logits_seen.append(logits)
        pos += T
        tokens = [nxt]
    return ids, logits_seen


@torch.no_grad()
def full_greedy(model, prompt, n):
    seq, ids, logits_seen, margins = list(prompt), [], [], []
    for _ in range(n):
        logits = model(torch.tensor([seq]))[0, -1]
        top2 = torch.topk(logits, 2).values
        margins.append(float(top2[0] - top2[1]))
        nxt = int(torch.argmax(logits))
        ids.append(nxt)
        logits_seen.append(logits)
        seq.append(nxt)
    return ids, logits_seen, margins


def check(name, ref_ids, ref_logits, ids, logits):
    err = max(float((a - b).abs().max()) for a, b in zip(ref_logits, logits))
    scale = max(float(a.abs().max()) for a in ref_logits)
    same = ref_ids == ids
    print(f"  {name}: greedy {'identical' if same else 'DIFFERENT'} over {len(ids)} tokens; "
          f"max |logit error| {err:.2e} (logits up to {scale:.1f})")
    if not same or err > 1e-3 * max(1.0, scale):
        raise SystemExit(f"export_onnx: {name} does not match model.py")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=OUT_DIR)
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(1)

    model, _ = model_from_gguf(GGUF)
    c = model.c
    step = KvStep(model).eval()
    prompt = json.load(open(FIXTURE))["prompts"][5]["ids"][:PROMPT_TOKENS]
    assert len(prompt) == PROMPT_TOKENS

    # 1. The cached step against the full forward of model.py, eager and traced. The trace uses
    #    odd sizes (T=3 after P=5) so a size baked in as a constant would break the checks below.
    print(f"model: {c}")
    ref_ids, ref_logits, margins = full_greedy(model, prompt, GEN_TOKENS)
    ids, logits = cached_greedy(step, c, prompt, GEN_TOKENS)
    check("eager cached step", ref_ids, ref_logits, ids, logits)
    example = (torch.tensor([[1, 2, 3]]), torch.tensor([[5, 6, 7]]), *empty_past(c, 5))
    with torch.no_grad():
        traced = torch.jit.trace(step, example, check_trace=False)
    ids, logits = cached_greedy(traced, c, prompt, GEN_TOKENS)
    check("traced cached step", ref_ids, ref_logits, ids, logits)

    # 2. Export: the same trace, serialised.
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "embedded-f32.onnx")
    inputs, outputs = io_names(c.n_layers)
    dyn = {"input_ids": {1: "T"}, "position_ids": {1: "T"}}
    for n in inputs[2:]:
        dyn[n] = {2: "P"}
    for n in outputs[1:]:
        dyn[n] = {2: "S"}
    with torch.no_grad():
        torch.onnx.export(step, example, path, input_names=inputs, output_names=outputs,
                          dynamic_axes=dyn, opset_version=args.opset, do_constant_folding=True)
    print(f"{os.path.relpath(path, ROOT)}: {os.path.getsize(path):,} bytes (opset {args.opset})")

    ref = {
        "about": "Benchmark prompt (first 64 ids of fixture prompt 5, BOS first) and the greedy tokens "
                 "model.py gives after it on embedded-f32.gguf (full forward per token, float32). "
                 "Written by training/onnx/export_onnx.py.",
        "model": "public/models/embedded-f32.gguf",
        "onnx": "embedded-f32.onnx",
        "inputs": inputs,
        "outputs": outputs,
        "n_layers": c.n_layers, "n_kv_heads": c.n_kv_heads, "head_dim": c.head_dim, "vocab": c.vocab_size,
        "prompt": prompt,
        "greedy": ref_ids,
        "min_margin": round(min(margins), 5),
        "margins": [round(m, 5) for m in margins],
    }
    ref_path = os.path.join(args.out, "embedded-reference.json")
    with open(ref_path, "w") as f:
        json.dump(ref, f, indent=1)
    print(f"{os.path.relpath(ref_path, ROOT)}: {len(ref_ids)} greedy tokens, smallest top1-top2 margin {ref['min_margin']}")


if __name__ == "__main__":
    main()
