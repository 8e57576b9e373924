"""Export training/checkpoint.pt as GGUF files in public/models/ (one per weight type).

    /usr/bin/python3 training/export.py

Every 2-D weight matrix gets the file's type; the 1-D norm weights stay F32 in every file.
All matrices here have rows of 256 or 768 values, so Q4_K (256-value blocks) needs no fallback.
"""

import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import quants  # noqa: E402
from gguf_writer import GGUF_INT32, GGUF_STRING, GGUFWriter, array, boolean, f32, string, u32  # noqa: E402
from model import Config, Llama, gguf_tensors  # noqa: E402
from tokenizer_bpe import EOT, Tokenizer  # noqa: E402

MODELS_DIR = os.path.join(HERE, "..", "public", "models")

# name -> (ggml type of 2-D weights, llama.cpp LLAMA_FTYPE for general.file_type)
VARIANTS = {
    "f32": (quants.GGML_F32, 0),
    "f16": (quants.GGML_F16, 1),
    "q8_0": (quants.GGML_Q8_0, 7),
    "q4_0": (quants.GGML_Q4_0, 2),
    "q4_k": (quants.GGML_Q4_K, 14),  # every matrix Q4_K: llama.cpp calls that mix Q4_K_S
}

# Plain "User:/Assistant:" lines: the model saw no chat data, so this only frames a prompt as text.
# No bos_token here: the engine adds BOS itself (tokenizer.ggml.add_bos_token = true).
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'user' %}User: {{ message['content'] }}\n"
    "{% else %}Assistant: {{ message['content'] }}\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)


def gguf_path(variant):
    return os.path.join(MODELS_DIR, f"embedded-{variant}.gguf")


def add_metadata(w, cfg: Config, tok: Tokenizer, file_type, quantized):
    w.add("general.architecture", string("llama"))
    w.add("general.name", string("embedded-llama-5m"))
    w.add("general.description", string(
        "Tiny Llama-architecture model trained from scratch on CPU on public-domain text "
        "(Moby-Dick and U.S. State of the Union addresses); see training/README.md."))
    w.add("general.file_type", u32(file_type))
    if quantized:
        w.add("general.quantization_version", u32(2))
    w.add("llama.context_length", u32(cfg.context_length))
    w.add("llama.embedding_length", u32(cfg.dim))
    w.add("llama.block_count", u32(cfg.n_layers))
    w.add("llama.feed_forward_length", u32(cfg.ffn_dim))
    w.add("llama.attention.head_count", u32(cfg.n_heads))
    w.add("llama.attention.head_count_kv", u32(cfg.n_kv_heads))
    w.add("llama.rope.freq_base", f32(cfg.rope_theta))
    w.add("llama.rope.dimension_count", u32(cfg.head_dim))
    w.add("llama.attention.layer_norm_rms_epsilon", f32(cfg.norm_eps))
    w.add("llama.vocab_size", u32(cfg.vocab_size))

    eot = tok.eot_id
    w.add("tokenizer.ggml.model", string("gpt2"))
    w.add("tokenizer.ggml.pre", string("gpt-2"))
    w.add("tokenizer.ggml.tokens", array(GGUF_STRING, tok.tokens))
    w.add("tokenizer.ggml.token_type", array(GGUF_INT32, [3 if i in tok.special_ids else 1 for i in range(len(tok.tokens))]))
    w.add("tokenizer.ggml.merges", array(GGUF_STRING, [a + " " + b for a, b in tok.merges]))
    w.add("tokenizer.ggml.bos_token_id", u32(eot))
    w.add("tokenizer.ggml.eos_token_id", u32(eot))
    w.add("tokenizer.ggml.add_bos_token", boolean(True))  # training put <|endoftext|> before every document
    w.add("tokenizer.ggml.add_eos_token", boolean(False))
    w.add("tokenizer.chat_template", string(CHAT_TEMPLATE))
    assert tok.tokens[eot] == EOT


def export(model, cfg, tok, variant):
    weight_type, file_type = VARIANTS[variant]
    w = GGUFWriter()
    add_metadata(w, cfg, tok, file_type, quantized=weight_type not in (quants.GGML_F32, quants.GGML_F16))
    for name, p in gguf_tensors(model):
        a = p.detach().cpu().numpy().astype(np.float32)
        w.add_tensor(name, a, weight_type if a.ndim == 2 else quants.GGML_F32)
    return w.write(gguf_path(variant))


def load_checkpoint(path=os.path.join(HERE, "checkpoint.pt")):
    ck = torch.load(path, map_location="cpu")
    cfg = Config(**ck["config"])
    model = Llama(cfg)
    model.load_state_dict(ck["model"])
    return model.eval(), cfg, ck


def main():
    model, cfg, _ = load_checkpoint()
    tok = Tokenizer.load(os.path.join(HERE, "tokenizer.json"))
    assert len(tok.tokens) == cfg.vocab_size
    os.makedirs(MODELS_DIR, exist_ok=True)
    for v in VARIANTS:
        size = export(model, cfg, tok, v)
        print(f"{os.path.relpath(gguf_path(v))}: {size:,} bytes")


if __name__ == "__main__":
    main()
