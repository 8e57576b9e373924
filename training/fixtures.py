"""Reference outputs for the engine, computed by the PyTorch model on weights read back from the GGUF
files (so each variant is exactly what the engine loads, dequantized).

    /usr/bin/python3 training/fixtures.py

Writes training/fixtures/embedded.json (schema in training/README.md) and
training/fixtures/quant-blocks.json (single ggml blocks with their dequantized values).
"""

import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import quants  # noqa: E402
from export import VARIANTS, gguf_path  # noqa: E402
from gguf_reader import GGUFFile  # noqa: E402
from model import Config, Llama, load_gguf_named  # noqa: E402
from tokenizer_bpe import Tokenizer  # noqa: E402

FIXTURES_DIR = os.path.join(HERE, "fixtures")
STEPS = 32                      # greedy tokens generated per prompt
TOP5_STEPS = [0, 8, 16, 31]     # logits after this many generated tokens (0 = last prompt position)
FULL_LOGITS = (1, 0)            # (prompt index, step) whose whole logit vector is stored

PROMPTS = [
    "",  # BOS only
    "Call me Ishmael.",
    "The whale",
    "Mr. Speaker, the state of the Union is",
    "To the Senate and House of Representatives:",
    # ~100 tokens, with non-ASCII em dashes (Moby-Dick, chapter 1).
    "Call me Ishmael. Some years ago\u2014never mind how long precisely\u2014having little or no money in "
    "my purse, and nothing particular to interest me on shore, I thought I would sail about a little "
    "and see the watery part of the world. It is a way I have of driving off the spleen and "
    "regulating the circulation. Whenever I find myself growing grim about the mouth;",
]


def sig(v, digits):
    return float(f"{float(v):.{digits}g}")


def config_from_gguf(f: GGUFFile):
    m = f.metadata
    return Config(
        vocab_size=m["llama.vocab_size"], dim=m["llama.embedding_length"], n_layers=m["llama.block_count"],
        n_heads=m["llama.attention.head_count"], n_kv_heads=m["llama.attention.head_count_kv"],
        ffn_dim=m["llama.feed_forward_length"], context_length=m["llama.context_length"],
        norm_eps=m["llama.attention.layer_norm_rms_epsilon"], rope_theta=m["llama.rope.freq_base"])


def model_from_gguf(path):
    """The PyTorch model with every weight dequantized from the GGUF file at `path`."""
    f = GGUFFile(path)
    cfg = config_from_gguf(f)
    model = Llama(cfg)
    load_gguf_named(model, {name: f.tensor(name) for name in f.tensors})
    return model.eval(), f


@torch.no_grad()
def greedy_run(model, ids, steps=STEPS):
    """Greedy decode with a full forward per step. Returns generated ids and each step's logits
    (step s = logits at position len(ids)-1+s, which pick generated token s)."""
    seq, step_logits = list(ids), []
    for _ in range(steps):
        logits = model(torch.tensor([seq]))[0, -1].float().numpy()
        step_logits.append(logits)
        seq.append(int(np.argmax(logits)))
    return seq[len(ids):], step_logits


def top5(logits):
    order = np.argsort(-logits, kind="stable")[:5]
    return [int(i) for i in order], [sig(logits[i], 6) for i in order]


def prompt_ids(tok, text):
    return [tok.eot_id] + tok.encode(text)  # add_bos_token = true


def run_variant(variant, tok, prompts):
    model, f = model_from_gguf(gguf_path(variant))
    runs = []
    for pi, ids in enumerate(prompts):
        gen, step_logits = greedy_run(model, ids)
        margins = [float(np.sort(lg)[-1] - np.sort(lg)[-2]) for lg in step_logits]
        run = {"prompt": pi, "greedy": gen, "text": tok.decode(gen), "min_margin": sig(min(margins), 4),
               "top5": []}
        for s in TOP5_STEPS:
            i, v = top5(step_logits[s])
            run["top5"].append({"step": s, "position": len(ids) - 1 + s, "ids": i, "logits": v})
        runs.append(run)
        if pi == FULL_LOGITS[0]:
            lg = step_logits[FULL_LOGITS[1]]
            full = {"prompt": pi, "step": FULL_LOGITS[1], "position": len(ids) - 1 + FULL_LOGITS[1],
                    "values": [sig(v, 5) for v in lg]}
    types = sorted({quants.TYPE_NAMES[t["type"]] for t in f.tensors.values() if len(t["ne"]) == 2})
    return {"file": os.path.relpath(gguf_path(variant), os.path.join(HERE, "..")), "matrix_types": types,
            "runs": runs, "full_logits": full}


def build_embedded(tok):
    prompts = [prompt_ids(tok, p) for p in PROMPTS]
    out = {
        "schema": 1,
        "about": "Greedy continuations and logits of the embedded model computed by PyTorch (training/fixtures.py) "
                 "on weights dequantized from each GGUF file. See training/README.md.",
        "bos_id": tok.eot_id,
        "eos_id": tok.eot_id,
        "add_bos": True,
        "steps": STEPS,
        "top5_steps": TOP5_STEPS,
        "prompts": [{"text": t, "ids": ids} for t, ids in zip(PROMPTS, prompts)],
        "variants": {},
    }
    for v in VARIANTS:
        out["variants"][v] = run_variant(v, tok, prompts)
        r = out["variants"][v]["runs"][1]
        print(f"{v}: {PROMPTS[1]!r} -> {r['text']!r} (min margin {r['min_margin']})", flush=True)
    return out


# ------------------------------------------------------------------------------- quant blocks

def _block_inputs(rng, n):
    """Named float32 inputs of n values: the hard cases plus a slice of real weights."""
    normal = rng.standard_normal(n).astype(np.float32) * 0.05
    outlier = normal.copy()
    outlier[n // 3] = 3.0
    outlier[n - 5] = -7.5
    mixed = normal.copy().reshape(-1, 32) * np.geomspace(1e-3, 10, n // 32, dtype=np.float32)[:, None]
    return [
        ("normal", normal),
        ("all zeros", np.zeros(n, np.float32)),
        ("outliers", outlier),
        ("negative only", -np.abs(normal) - 0.01),
        ("positive only", np.abs(normal) + 0.01),
        ("one value", np.full(n, -0.37, np.float32)),
        ("sub-blocks of very different scale", mixed.reshape(-1)),
        ("tiny (f16 subnormal scales)", normal * np.float32(1e-5)),
    ]


def _random_block(rng, ggml_type):
    """Random bytes with finite, normal f16 scales: every bit of the packed fields exercised."""
    per, size = quants.BLOCK[ggml_type]
    b = rng.integers(0, 256, size, dtype=np.uint8)
    n_scales = 2 if ggml_type == quants.GGML_Q4_K else 1
    b[0:2 * n_scales] = np.frombuffer(np.array(rng.uniform(0.001, 0.1, n_scales), dtype="<f2").tobytes(), np.uint8)
    return b


def build_quant_blocks(real_weights):
    rng = np.random.default_rng(4)
    out = []
    for t in (quants.GGML_Q8_0, quants.GGML_Q4_0, quants.GGML_Q4_K):
        per = quants.BLOCK[t][0]
        cases = _block_inputs(rng, per) + [("real weights (blk.0.attn_q)", real_weights[:per])]
        blocks = [(name, quants.quantize(t, x)) for name, x in cases]
        blocks += [("random bytes", _random_block(rng, t)), ("random bytes", _random_block(rng, t))]
        for name, raw in blocks:
            values = quants.dequantize(t, raw, per)
            assert np.all(np.isfinite(values)), name
            out.append({"type": quants.TYPE_NAMES[t], "case": name, "bytes": raw.tobytes().hex(),
                        "values": [float(v) for v in values], "atol": 0})
    return out


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    os.makedirs(FIXTURES_DIR, exist_ok=True)
    tok = Tokenizer.load(os.path.join(HERE, "tokenizer.json"))

    real = GGUFFile(gguf_path("f32")).tensor("blk.0.attn_q.weight").reshape(-1)
    blocks = build_quant_blocks(real)
    with open(os.path.join(FIXTURES_DIR, "quant-blocks.json"), "w") as f:
        json.dump(blocks, f, separators=(",", ":"))
    print(f"quant-blocks.json: {len(blocks)} blocks")

    emb = build_embedded(tok)
    path = os.path.join(FIXTURES_DIR, "embedded.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(emb, f, separators=(",", ":"), ensure_ascii=False)
    print(f"{os.path.relpath(path)}: {os.path.getsize(path):,} bytes")


if __name__ == "__main__":
    main()
