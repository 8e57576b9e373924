"""Reference fixtures for the WebGPU CLIP text encoder and tokenizer (src/models/clip/).

    /usr/bin/python3 training/diffusion/clip_fixtures.py

1. training/fixtures/diffusion/clip-tokenizer/: a small byte-level BPE tokenizer in CLIP's file
   formats (vocab.json, merges.txt with its #version header, tokenizer_config.json padding with
   <|endoftext|> as SD 1.x does, tokenizer_config_pad_bang.json padding with "!" as SD 2.x and
   sd-turbo do), its merges learned here from a few prompts so that BPE merges matter, and
   cases.json: tricky prompts with the ids and pieces clip_ref.ClipTokenizer gives.
2. training/fixtures/diffusion/clip.json + clip.safetensors: one tiny random CLIPTextModel (odd
   sizes: hidden 40, 5 heads of 8, 3 layers, intermediate 72, the tokenizer's vocab, 77 positions)
   in HF naming, run as two cases that share its weights: hidden_act quick_gelu on prompts
   tokenized with the SD 1.x config, and gelu on prompts tokenized with the SD 2.x one. Reference
   last_hidden_state in float64 from the f32 weights, rounded to f32.
"""

import copy
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from clip_ref import BOS, EOS, ClipTokenizer, activation, build_tiny_clip, forward_f64, gelu_matches_torch, train_bpe  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

FIXTURE_DIR = os.path.normpath(os.path.join(HERE, "..", "fixtures", "diffusion"))
TOK_DIR = os.path.join(FIXTURE_DIR, "clip-tokenizer")
SEED = 1234
N_MERGES = 120

CORPUS = [
    "a photo of a cat sitting on a chair",
    "a painting of a dog in the style of van gogh",
    "a photograph of an astronaut riding a horse on the moon",
    "portrait of a cat wearing a hat, highly detailed, 4k",
    "a cute dog playing in the snow, photorealistic",
    "the city at night, neon lights, rain, cinematic lighting",
    "an oil painting of a mountain lake at sunset",
    "a bowl of fruit on a wooden table, still life",
    "it's a dog's life, isn't it? we'll see what they've done",
    "a castle in the clouds, fantasy art, trending on artstation",
    "a red car parked in front of a house",
    "a cat and a dog sleeping together, soft light",
    "café au lait with a croissant, naïve painting",
    "日本 cherry blossoms 🙂",
]

ADDED = {"__type": "AddedToken", "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}


def tokenizer_config(pad):
    """The fields of an SD tokenizer/tokenizer_config.json (special tokens as AddedToken objects)."""
    return {
        "add_prefix_space": False,
        "bos_token": {**ADDED, "content": BOS},
        "do_lower_case": True,
        "eos_token": {**ADDED, "content": EOS},
        "errors": "replace",
        "model_max_length": 77,
        "pad_token": pad,
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": {**ADDED, "content": EOS},
    }


CONFIGS = {"tokenizer_config.json": tokenizer_config(EOS), "tokenizer_config_pad_bang.json": tokenizer_config("!")}

PROMPTS = [
    ("plain", "a photo of a cat"),
    ("case, runs of spaces, tab, newline", "A  Photo\tof   the\nCAT"),
    ("apostrophes", "it's a dog's life, isn't it? we'll see; they've gone, I'm sure you'd 'sam"),
    ("digits one by one", "1234 apples and 3.14 pies in 1990s a1b2"),
    ("punctuation runs (! is the SD 2.x pad token)", "wow!!! really?! !(amazing)... #art @home"),
    ("latin-1 and emoji bytes", "café naïve 🙂"),
    ("NFD input composes to the same ids", "cafe\u0301 nai\u0308ve 🙂"),
    ("upper-case non-ASCII", "ÀÉÎ CAFÉ"),
    ("CJK ideographs split apart; bytes outside the vocab are unk", "日本 ΩMEGA Ωmega"),
    ("special tokens in the text", "<|startoftext|>hello<|endoftext|>world <|ENDOFTEXT|> x<|endoftext|>!"),
    ("empty", ""),
    ("only whitespace", "   \n\t  \u3000 "),
    ("controls dropped, not spaces", "zero\u200bwidth soft\u00adhyphen nul\x00x rep\ufffdx bel\x07x ff\x0cx"),
    ("line and paragraph separators split words", "line\u2028sep para\u2029sep"),
    ("exactly 75 tokens: no truncation, no padding", " ".join(["7"] * 75)),
    ("76 tokens: the last one is cut, eos kept", " ".join(["7"] * 76)),
    ("over length", "a photo of a cat on a chair, " * 12),
]

MODEL = dict(hidden_size=40, intermediate_size=72, num_attention_heads=5, num_hidden_layers=3, max_position_embeddings=77)
MODEL_CASES = [
    ("quick_gelu", "tokenizer_config.json", ["it's 3 dogs!! in the snow, a photo of a cat", ""]),
    ("gelu", "tokenizer_config_pad_bang.json", ["a painting of a dog, 1990s!"]),
]


def write_json(path, obj):
    """One top-level key per line; `cases` one case per line (readable diffs, small files)."""
    lines = []
    for k, v in obj.items():
        if k == "cases":
            inner = ",\n".join("  " + json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in v)
            lines.append(f' "{k}": [\n{inner}\n ]')
        else:
            lines.append(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def build_tokenizer():
    os.makedirs(TOK_DIR, exist_ok=True)
    alphabet = set(range(0x21, 0x7F))
    for t in CORPUS:
        alphabet |= set(t.encode("utf-8")) - {0x20}
    vocab, merges = train_bpe(CORPUS, N_MERGES, alphabet)
    with open(os.path.join(TOK_DIR, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    merges_txt = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)
    with open(os.path.join(TOK_DIR, "merges.txt"), "w", encoding="utf-8") as f:
        f.write(merges_txt)
    for name, cfg in CONFIGS.items():
        with open(os.path.join(TOK_DIR, name), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")
    return vocab, merges_txt


def tokenizer_cases(vocab, merges_txt):
    toks = {name: ClipTokenizer(vocab, merges_txt, cfg) for name, cfg in CONFIGS.items()}
    cases = []
    for about, text in PROMPTS:
        for name, tok in toks.items():
            cases.append({"about": about, "text": text, "config": name, "pieces": tok.tokenize(text), "ids": tok.encode(text)})
    # The merges must matter: some prompt's pieces include multi-character merged tokens.
    assert any(len(p) > 5 for c in cases for p in c["pieces"]), "no merges applied"
    return cases


def model_fixture(vocab, merges_txt):
    torch.manual_seed(SEED)
    model = build_tiny_clip(SEED, vocab_size=len(vocab), **MODEL)
    tensors = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    cases = []
    for act, cfg_name, prompts in MODEL_CASES:
        model.config.hidden_act = act
        for layer in model.text_model.encoder.layers:
            layer.mlp.act = activation(act)
        tok = ClipTokenizer(vocab, merges_txt, CONFIGS[cfg_name])
        ids = [tok.encode(p) for p in prompts]
        ref = forward_f64(model, ids)
        with torch.no_grad():
            f32 = model(torch.tensor(ids, dtype=torch.long))
        err = float((f32.double() - ref).abs().max())
        # What storing the weight matrices as f16 alone does (the engine's f16 option: every rank-2
        # `.weight` but the CPU-side token table), in float64, for the f16 test's tolerance.
        half = copy.deepcopy(model)
        with torch.no_grad():
            for name, p in half.named_parameters():
                if name.endswith(".weight") and p.dim() >= 2 and "token_embedding" not in name:
                    p.copy_(p.half().float())
        f16_err = float((forward_f64(half, ids) - ref).abs().max())
        tensors[f"out/{act}"] = ref.float().numpy()
        cases.append({
            "name": act,
            "config": model.config.to_hf(),
            "tokenizer_config": cfg_name,
            "prompts": prompts,
            "ids": ids,
            "output": f"out/{act}",
            "shape": list(ref.shape),
            # f32 engines land ~4e-6 from this (PyTorch f32 here; WebGPU on SwiftShader and
            # lavapipe); 5e-5 + 1e-5 |ref| leaves ~10x for other summation orders and erf
            # approximations, far below what a wrong mask (~6), scale (~3) or activation (~5e-2) moves.
            "atol": 5e-5,
            "rtol": 1e-5,
            "torch_f32_max_abs_err": float(f"{err:.3g}"),
            "f16_matrices_max_abs_err": float(f"{f16_err:.3g}"),
            "max_abs_ref": float(f"{float(ref.abs().max()):.4g}"),
        })
    return tensors, cases


def main():
    torch.set_num_threads(1)
    assert gelu_matches_torch()
    vocab, merges_txt = build_tokenizer()
    cases = tokenizer_cases(vocab, merges_txt)
    write_json(os.path.join(TOK_DIR, "cases.json"), {
        "schema": 1,
        "about": "CLIP tokenizer cases: ids = [bos] + BPE ids (at most 75) + [eos], padded to 77 with the "
                 "config's pad token; pieces = the BPE pieces before truncation. From "
                 "training/diffusion/clip_ref.py (transformers' CLIPTokenizer semantics without ftfy).",
        "vocab_size": len(vocab), "cases": cases})
    tensors, mcases = model_fixture(vocab, merges_txt)
    write_safetensors(os.path.join(FIXTURE_DIR, "clip.safetensors"), tensors, {"format": "pt"})
    write_json(os.path.join(FIXTURE_DIR, "clip.json"), {
        "schema": 1,
        "about": "A tiny random CLIPTextModel (HF names, F32, in clip.safetensors) run in PyTorch float64 from "
                 "the f32 weights: last_hidden_state [N, 77, hidden] after final_layer_norm, stored as "
                 "'out/<case>'. Both cases share the weights and differ in hidden_act and tokenizer config. "
                 "Pass: |y - ref| <= atol + rtol |ref| elementwise.",
        "file": "clip.safetensors", "tokenizer_dir": "clip-tokenizer", "cases": mcases})
    for c in mcases:
        print(f"{c['name']:10s} torch f32 err {c['torch_f32_max_abs_err']:.2e}  f16 matrices {c['f16_matrices_max_abs_err']:.2e}  max|ref| {c['max_abs_ref']}")
    total = 0
    for d in (FIXTURE_DIR, TOK_DIR):
        for fn in sorted(os.listdir(d)):
            p = os.path.join(d, fn)
            if os.path.isfile(p) and (d == TOK_DIR or fn.startswith("clip")):
                total += os.path.getsize(p)
                print(f"  {os.path.relpath(p, FIXTURE_DIR)}: {os.path.getsize(p):,} bytes")
    print(f"  total {total:,} bytes")


if __name__ == "__main__":
    main()
