"""Self-check of the exported models and fixtures, using only this folder's reader and dequantizers.

    /usr/bin/python3 training/check.py

For every public/models/embedded-*.gguf: metadata keys and value types, tokenizer identical to
training/tokenizer.json, tensor names / shapes / types, a byte-exact writer round trip (parse, write
again, compare), quantized bytes identical to quantizing the F32 file again, quantization error
bounds; then the greedy continuations and logits in training/fixtures/embedded.json recomputed from
each file, and training/fixtures/quant-blocks.json re-dequantized. Exits non-zero on any failure.
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
from fixtures import FIXTURES_DIR, greedy_run, model_from_gguf, prompt_ids  # noqa: E402
from gguf_reader import GGUFFile  # noqa: E402
from gguf_writer import (GGUF_ARRAY, GGUF_BOOL, GGUF_FLOAT32, GGUF_INT32, GGUF_STRING,  # noqa: E402
                         GGUF_UINT32, GGUFWriter)
from tokenizer_bpe import Tokenizer  # noqa: E402

REQUIRED = {
    "general.architecture": GGUF_STRING, "general.name": GGUF_STRING, "general.alignment": GGUF_UINT32,
    "llama.context_length": GGUF_UINT32, "llama.embedding_length": GGUF_UINT32, "llama.block_count": GGUF_UINT32,
    "llama.feed_forward_length": GGUF_UINT32, "llama.attention.head_count": GGUF_UINT32,
    "llama.attention.head_count_kv": GGUF_UINT32, "llama.rope.freq_base": GGUF_FLOAT32,
    "llama.attention.layer_norm_rms_epsilon": GGUF_FLOAT32, "llama.rope.dimension_count": GGUF_UINT32,
    "llama.vocab_size": GGUF_UINT32, "tokenizer.ggml.model": GGUF_STRING, "tokenizer.ggml.pre": GGUF_STRING,
    "tokenizer.ggml.tokens": (GGUF_ARRAY, GGUF_STRING), "tokenizer.ggml.token_type": (GGUF_ARRAY, GGUF_INT32),
    "tokenizer.ggml.merges": (GGUF_ARRAY, GGUF_STRING), "tokenizer.ggml.bos_token_id": GGUF_UINT32,
    "tokenizer.ggml.eos_token_id": GGUF_UINT32, "tokenizer.ggml.add_bos_token": GGUF_BOOL,
    "tokenizer.chat_template": GGUF_STRING,
}
# Bound on RMS(dequantized - f32) / RMS(f32) per matrix.
MAX_REL_RMS = {quants.GGML_F16: 1e-3, quants.GGML_Q8_0: 0.01, quants.GGML_Q4_0: 0.15, quants.GGML_Q4_K: 0.12}
LOGIT_ATOL = 2e-3  # PyTorch CPU reductions may differ slightly between runs with other thread counts

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg)


def expected_tensors(m):
    names = ["token_embd.weight"]
    for i in range(m["llama.block_count"]):
        names += [f"blk.{i}.{t}.weight" for t in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                                  "ffn_norm", "ffn_gate", "ffn_up", "ffn_down")]
    return names + ["output_norm.weight", "output.weight"]


def rewrite(f: GGUFFile):
    """Serialize the parsed file again with the writer: must give the same bytes."""
    w = GGUFWriter(alignment=f.alignment)
    w.kv = {}
    for k, v in f.metadata.items():
        t = f.metadata_types[k]
        w.add(k, (GGUF_ARRAY, (t[1], v)) if isinstance(t, tuple) else (t, v))
    for name, t in f.tensors.items():
        w.add_raw_tensor(name, t["ne"], t["type"], f.raw(name))
    return w.to_bytes()


def check_file(variant, tok, ref):
    path = gguf_path(variant)
    f = GGUFFile(path)
    m = f.metadata
    for k, t in REQUIRED.items():
        check(f.metadata_types.get(k) == t, f"{variant}: {k} has type {f.metadata_types.get(k)}, want {t}")
    check(m["general.architecture"] == "llama" and m["general.alignment"] == 32, f"{variant}: general.*")
    check(m["tokenizer.ggml.tokens"] == tok.tokens, f"{variant}: tokens differ from tokenizer.json")
    check(m["tokenizer.ggml.merges"] == [a + " " + b for a, b in tok.merges], f"{variant}: merges differ")
    check(m["tokenizer.ggml.token_type"] == [3 if i == tok.eot_id else 1 for i in range(len(tok.tokens))],
          f"{variant}: token types")
    check(m["tokenizer.ggml.bos_token_id"] == tok.eot_id == m["tokenizer.ggml.eos_token_id"], f"{variant}: bos/eos")
    check(m["llama.vocab_size"] == len(tok.tokens), f"{variant}: vocab size")
    check(m["llama.rope.dimension_count"] * m["llama.attention.head_count"] == m["llama.embedding_length"],
          f"{variant}: rope dims")
    check(list(f.tensors) == expected_tensors(m), f"{variant}: tensor names/order {list(f.tensors)[:4]}...")
    check(rewrite(f) == f.buf, f"{variant}: writer round trip is not byte-exact")

    want_type = VARIANTS[variant][0]
    worst = 0.0
    for name, t in f.tensors.items():
        is_matrix = len(t["ne"]) == 2
        check(t["type"] == (want_type if is_matrix else quants.GGML_F32),
              f"{variant}: {name} is {quants.TYPE_NAMES[t['type']]}")
        x = f.tensor(name)
        check(bool(np.all(np.isfinite(x))), f"{variant}: {name} has non-finite values")
        r = ref.tensor(name)
        check(x.shape == r.shape, f"{variant}: {name} shape {x.shape} vs {r.shape}")
        if variant != "f32":
            again = quants.quantize(t["type"], r).tobytes()
            check(again == f.raw(name), f"{variant}: {name} bytes differ from quantizing the F32 weights again")
        rel = float(np.sqrt(np.mean((x - r) ** 2)) / max(np.sqrt(np.mean(r ** 2)), 1e-30))
        if is_matrix:
            worst = max(worst, rel)
        else:
            check(rel == 0, f"{variant}: norm {name} is not exact")
    if want_type in MAX_REL_RMS:
        check(worst <= MAX_REL_RMS[want_type], f"{variant}: relative RMS error {worst:.4f} too large")
    print(f"{variant}: {os.path.getsize(path):,} bytes, {len(f.tensors)} tensors, {len(m)} keys, "
          f"worst matrix rel. RMS error {worst:.4f}")


def check_fixture(tok):
    with open(os.path.join(FIXTURES_DIR, "embedded.json"), encoding="utf-8") as fh:
        fx = json.load(fh)
    for p in fx["prompts"]:
        check(prompt_ids(tok, p["text"]) == p["ids"], f"fixture prompt ids changed for {p['text'][:30]!r}")
    for variant, vx in fx["variants"].items():
        model, _ = model_from_gguf(gguf_path(variant))
        worst = 0.0
        for run in vx["runs"]:
            ids = fx["prompts"][run["prompt"]]["ids"]
            gen, step_logits = greedy_run(model, ids, fx["steps"])
            check(gen == run["greedy"], f"{variant}: prompt {run['prompt']}: greedy ids differ")
            check(tok.decode(gen) == run["text"], f"{variant}: prompt {run['prompt']}: text differs")
            for t5 in run["top5"]:
                lg = step_logits[t5["step"]]
                check(t5["position"] == len(ids) - 1 + t5["step"], f"{variant}: top5 position")
                check(list(np.argsort(-lg, kind="stable")[:5]) == t5["ids"], f"{variant}: top5 ids at step {t5['step']}")
                worst = max(worst, float(np.max(np.abs(lg[t5["ids"]] - np.array(t5["logits"])))))
            if run["prompt"] == vx["full_logits"]["prompt"]:
                full = np.array(vx["full_logits"]["values"])
                check(full.shape == (len(tok.tokens),), f"{variant}: full logits length {full.shape}")
                worst = max(worst, float(np.max(np.abs(step_logits[vx["full_logits"]["step"]] - full))))
        check(worst <= LOGIT_ATOL, f"{variant}: logits differ from the fixture by {worst}")
        print(f"{variant}: {len(vx['runs'])} greedy runs match; max logit difference {worst:.2e} "
              f"(fixture rounding included)")


def check_quant_blocks():
    with open(os.path.join(FIXTURES_DIR, "quant-blocks.json")) as fh:
        blocks = json.load(fh)
    types = {v: k for k, v in quants.TYPE_NAMES.items()}
    for i, b in enumerate(blocks):
        raw = bytes.fromhex(b["bytes"])
        t = types[b["type"]]
        check(len(raw) == quants.BLOCK[t][1], f"quant-blocks {i}: {len(raw)} bytes")
        y = quants.dequantize(t, raw, quants.BLOCK[t][0])
        check(y.tolist() == b["values"], f"quant-blocks {i} ({b['type']}, {b['case']}): values differ")
    print(f"quant-blocks.json: {len(blocks)} blocks re-dequantize exactly")


def main():
    torch.set_num_threads(1)
    tok = Tokenizer.load(os.path.join(HERE, "tokenizer.json"))
    ref = GGUFFile(gguf_path("f32"))
    ck_path = os.path.join(HERE, "checkpoint.pt")
    if os.path.exists(ck_path):
        state = torch.load(ck_path, map_location="cpu")["model"]
        from model import gguf_tensors, Llama, Config  # noqa: E402
        model = Llama(Config(**torch.load(ck_path, map_location="cpu")["config"]))
        model.load_state_dict(state)
        same = all(np.array_equal(p.detach().numpy(), ref.tensor(n)) for n, p in gguf_tensors(model))
        check(same, "embedded-f32.gguf differs from checkpoint.pt")
        print("checkpoint.pt == embedded-f32.gguf" if same else "checkpoint.pt != embedded-f32.gguf")
    for v in VARIANTS:
        check_file(v, tok, ref)
    check_quant_blocks()
    check_fixture(tok)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
