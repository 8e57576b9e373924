"""PyTorch reference fixtures for the WebGPU UNet, in training/fixtures/diffusion/.

    /usr/bin/python3 training/diffusion/fixtures.py

1. blocks.json + blocks.safetensors: tiny random configs of every block type, diffusers naming,
   with inputs and float64 reference outputs (rounded to f32).
2. sampling.json + sampling.safetensors: the shipped model (read back from
   public/models/emoji-unet/diffusion_pytorch_model.safetensors) sampling "smiling face" with DDIM,
   plus one full UNet forward with a few intermediates. Reference in float64; the same run in
   float32 PyTorch is measured against it (PSNR) to show what an f32 engine can reach.
Also writes public/models/emoji-unet/sample.png (the final image).
"""

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import scheduler  # noqa: E402
from export import DEFAULT_GUIDANCE, DEFAULT_STEPS, OUT_DIR, WEIGHTS  # noqa: E402
from model import (Attention, Downsample2D, EmojiDiffusion, FeedForward, ResnetBlock2D, TimestepEmbedding,  # noqa: E402
                   Transformer2DModel, UNetConfig, Upsample2D, get_timestep_embedding)
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

FIXTURE_DIR = os.path.normpath(os.path.join(HERE, "..", "fixtures", "diffusion"))
PROMPT = "smiling face"
SEED = 42
RECORD_STEPS = [0, 4, 9, 14]  # x_prev saved after these (0-based) steps; after the last: `final`
FORWARD_STEP = 10  # the single-forward check uses the sample entering this step (t = 499)


def f32(t):
    return t.detach().to(torch.float32).numpy()


def psnr(a, b):
    """Images in [-1, 1], mapped to [0, 1]; peak 1."""
    mse = float(np.mean(((np.asarray(a, np.float64) - np.asarray(b, np.float64)) / 2.0) ** 2))
    return float("inf") if mse == 0 else 10.0 * math.log10(1.0 / mse)


def write_json(path, obj):
    """One top-level key per line, each value compact; `cases` one case per line."""
    lines = []
    for k, v in obj.items():
        if k == "cases":
            inner = ",\n".join("  " + json.dumps(c) for c in v)
            lines.append(f' "{k}": [\n{inner}\n ]')
        else:
            lines.append(f" {json.dumps(k)}: {json.dumps(v)}")
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


# ---------------------------------------------------------------- block fixtures

def randomize(module, g):
    """Random weights that make every parameter matter: norm gains near 1 (not exactly 1), biases
    non-zero, matrices ~ 1/sqrt(fan_in)."""
    for name, p in module.named_parameters():
        with torch.no_grad():
            if p.dim() == 1 and name.endswith("weight"):  # GroupNorm / LayerNorm gain
                p.copy_(1.0 + 0.3 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))
    return module


def hard_input(shape, g, offset=0.0, scale=1.0, outliers=3):
    """Normal values, a per-channel offset pattern (dim 1), and a few large outliers."""
    x = scale * torch.randn(shape, generator=g)
    if len(shape) >= 2:
        ch = torch.linspace(-1.0, 1.0, shape[1]).view(1, shape[1], *([1] * (len(shape) - 2)))
        x = x + 0.5 * ch
    x = x + offset
    flat = x.view(-1)
    idx = torch.randint(0, flat.numel(), (outliers,), generator=g)
    flat[idx] = flat[idx] * 8.0
    return x


class GroupNormSiLU(nn.Module):
    def __init__(self, groups, channels, eps):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels, eps=eps)

    def forward(self, x):
        return F.silu(self.norm(x))


def block_cases(g):
    """(name, op, config, module or None, inputs dict, fn(module, inputs) -> outputs dict, about)."""
    cases = []

    def add(name, op, config, module, inputs, fn, about):
        cases.append((name, op, config, module, inputs, fn, about))

    cfg = {"in_channels": 6, "out_channels": 10, "temb_channels": 12, "groups": 2, "eps": 1e-5}
    m = randomize(ResnetBlock2D(6, 10, 12, 2, 1e-5), g)
    add("resnet_shortcut", "ResnetBlock2D", cfg, m,
        {"x": hard_input((2, 6, 7, 9), g), "temb": torch.randn(2, 12, generator=g)},
        lambda m, i: {"y": m(i["x"], i["temb"])},
        "in != out, so conv_shortcut (1x1) is present; time_emb_proj adds silu(temb) @ W^T + b per channel")

    cfg = {"in_channels": 8, "out_channels": 8, "temb_channels": 12, "groups": 2, "eps": 1e-5}
    m = randomize(ResnetBlock2D(8, 8, 12, 2, 1e-5), g)
    add("resnet", "ResnetBlock2D", cfg, m,
        {"x": hard_input((2, 8, 6, 5), g, offset=2.0), "temb": torch.randn(2, 12, generator=g)},
        lambda m, i: {"y": m(i["x"], i["temb"])},
        "in == out: identity skip, no conv_shortcut")

    cfg = {"num_attention_heads": 3, "attention_head_dim": 6, "in_channels": 18, "norm_num_groups": 3,
           "cross_attention_dim": 10, "norm_eps": 1e-6, "layer_norm_eps": 1e-5, "ff_mult": 4, "activation_fn": "geglu"}
    m = randomize(Transformer2DModel(3, 6, 18, 3, 10), g)
    add("transformer", "Transformer2DModel", cfg, m,
        {"x": hard_input((2, 18, 5, 7), g), "encoder_hidden_states": torch.randn(2, 5, 10, generator=g)},
        lambda m, i: {"y": m(i["x"], i["encoder_hidden_states"])},
        "GroupNorm(eps 1e-6) -> proj_in 1x1 -> tokens n = y*W + x -> self-attn, cross-attn, GEGLU FF "
        "(each pre-LayerNorm, residual) -> proj_out 1x1 -> + input. 3 heads of 6, 35 tokens, 5 context tokens")

    cfg = {"query_dim": 18, "heads": 3, "dim_head": 6}
    m = randomize(Attention(18, 3, 6), g)
    add("attention_self", "Attention", cfg, m, {"x": torch.randn(2, 35, 18, generator=g) * 1.5},
        lambda m, i: {"y": m(i["x"])}, "softmax(q k^T / sqrt(6)) v per head; to_out.0 has a bias, q/k/v do not")

    cfg = {"query_dim": 18, "heads": 3, "dim_head": 6, "cross_attention_dim": 10}
    m = randomize(Attention(18, 3, 6, 10), g)
    add("attention_cross", "Attention", cfg, m,
        {"x": torch.randn(2, 35, 18, generator=g), "encoder_hidden_states": torch.randn(2, 5, 10, generator=g)},
        lambda m, i: {"y": m(i["x"], i["encoder_hidden_states"])}, "keys/values from a 5-token context of width 10")

    cfg = {"dim": 10, "mult": 4, "activation_fn": "geglu"}
    m = randomize(FeedForward(10), g)
    add("feed_forward", "FeedForward", cfg, m, {"x": torch.randn(2, 9, 10, generator=g) * 2.0},
        lambda m, i: {"y": m(i["x"])},
        "net.0.proj: 10 -> 80, split into value [:40] and gate [40:], value * gelu_erf(gate), net.2: 40 -> 10")

    cfg = {"channels": 6, "out_channels": 5, "stride": 2, "padding": 1}
    m = randomize(Downsample2D(6, 5, 1), g)
    add("downsample", "Downsample2D", cfg, m, {"x": hard_input((2, 6, 7, 9), g)},
        lambda m, i: {"y": m(i["x"])}, "3x3 conv, stride 2, zero padding 1: 7x9 -> 4x5")

    cfg = {"channels": 6, "out_channels": 5}
    m = randomize(Upsample2D(6, 5), g)
    add("upsample", "Upsample2D", cfg, m, {"x": hard_input((1, 6, 5, 7), g)},
        lambda m, i: {"y": m(i["x"])}, "nearest 2x (out[y][x] = in[y//2][x//2]) then 3x3 conv pad 1: 5x7 -> 10x14")

    cfg = {"groups": 5, "channels": 20, "eps": 1e-5}
    m = randomize(GroupNormSiLU(5, 20, 1e-5), g)
    add("group_norm_silu", "GroupNorm+SiLU", cfg, m, {"x": hard_input((2, 20, 5, 3), g, offset=30.0, scale=0.5)},
        lambda m, i: {"norm": m.norm(i["x"]), "y": m(i["x"])},
        "input offset by 30 with std 0.5: a one-pass E[x^2]-E[x]^2 variance in f32 loses digits here. "
        "Biased variance over (channels/groups) x H x W per sample and group")

    cfg = {"groups": 3, "channels": 18, "eps": 1e-6}
    m = randomize(GroupNormSiLU(3, 18, 1e-6), g)
    add("group_norm_eps6", "GroupNorm", cfg, m, {"x": 0.003 * torch.randn(1, 18, 5, 7, generator=g)},
        lambda m, i: {"y": m.norm(i["x"])},
        "tiny-variance input where eps 1e-6 vs 1e-5 matters (Transformer2DModel norm)")

    cfg = {"normalized_shape": 36, "eps": 1e-5}
    m = randomize(nn.LayerNorm(36, eps=1e-5), g)
    add("layer_norm", "LayerNorm", cfg, m, {"x": hard_input((2, 11, 36), g, offset=-12.0)},
        lambda m, i: {"y": m(i["x"])}, "over the last dimension, biased variance; input offset by -12")

    tvals = torch.tensor([0, 1, 7, 49, 499, 999], dtype=torch.long)
    add("timestep_proj", "Timesteps", {"num_channels": 32, "flip_sin_to_cos": True, "downscale_freq_shift": 0,
                                       "max_period": 10000}, None, {"t": tvals.to(torch.float32)},
        lambda m, i: {"y": get_timestep_embedding(i["t"], 32, True, 0)},
        "the model's time_proj: [cos(t f_i), sin(t f_i)], f_i = exp(-ln(10000) i / 16), i < 16")

    cfg = {"in_channels": 10, "time_embed_dim": 24, "act_fn": "silu"}
    m = randomize(TimestepEmbedding(10, 24), g)
    add("time_embedding", "TimestepEmbedding", cfg, m, {"t": torch.tensor([0.0, 3.0, 250.0, 999.0])},
        lambda m, i: {"t_emb": get_timestep_embedding(i["t"], 10, True, 0),
                      "y": m(get_timestep_embedding(i["t"], 10, True, 0))},
        "time_proj with 10 channels (flip_sin_to_cos, shift 0), then linear_1 -> SiLU -> linear_2")

    for name, (cin, cout, k, s, p, hw) in {
        "conv3x3_s1": (5, 7, 3, 1, 1, (9, 11)),
        "conv3x3_s2": (5, 6, 3, 2, 1, (9, 11)),
        "conv1x1": (7, 3, 1, 1, 0, (5, 7)),
    }.items():
        conv = randomize(nn.Conv2d(cin, cout, k, s, p), g)
        add(name, "Conv2d", {"in_channels": cin, "out_channels": cout, "kernel_size": k, "stride": s, "padding": p},
            conv, {"x": hard_input((1, cin) + hw, g)}, lambda m, i: {"y": m(i["x"])},
            f"weight [out, in, {k}, {k}] (OIHW), bias [out]; zero padding {p}")

    cfg = {"num_attention_heads": 2, "attention_head_dim": 5, "in_channels": 12, "norm_num_groups": 3,
           "cross_attention_dim": 7, "norm_eps": 1e-6, "layer_norm_eps": 1e-5, "ff_mult": 4, "activation_fn": "geglu",
           "use_linear_projection": True}
    m = randomize(Transformer2DModel(2, 5, 12, 3, 7, use_linear_projection=True), g)
    add("transformer_linear", "Transformer2DModel", cfg, m,
        {"x": hard_input((2, 12, 3, 5), g), "encoder_hidden_states": torch.randn(2, 4, 7, generator=g)},
        lambda m, i: {"y": m(i["x"], i["encoder_hidden_states"])},
        "SD 2.x: use_linear_projection, proj_in/proj_out are Linear [out, in] on tokens after the GroupNorm; "
        "inner (10) differs from the channels (12)")
    return cases


def make_block_fixtures():
    g = torch.Generator().manual_seed(7)
    tensors, out_cases = {}, []
    for name, op, config, module, inputs, fn, about in block_cases(g):
        params = {}
        if module is not None:
            params = {k: v.detach().clone() for k, v in module.state_dict().items()}
        # f32 values are the truth: the f64 reference starts from exactly the stored f32 numbers.
        inputs = {k: v.to(torch.float32) for k, v in inputs.items()}
        with torch.no_grad():
            m64 = module.double() if module is not None else None
            ref = fn(m64, {k: v.double() for k, v in inputs.items()})
            m32 = module.float() if module is not None else None
            got32 = fn(m32, inputs)
        err = max(float((got32[k].double() - ref[k]).abs().max()) for k in ref)
        scale = max(float(ref[k].abs().max()) for k in ref)
        atol = max(1e-5, float(f"{10 * err:.1e}")) if name != "timestep_proj" else 2e-4
        entry = {"name": name, "op": op, "about": about, "config": config,
                 "params": sorted(f"{name}.{k}" for k in params),
                 "inputs": {k: f"in/{name}/{k}" for k in inputs},
                 "outputs": {k: f"out/{name}/{k}" for k in ref},
                 "shapes": {k: list(v.shape) for k, v in list(inputs.items()) + list(ref.items())},
                 "atol": atol, "rtol": 1e-4, "torch_f32_max_abs_err": float(f"{err:.3g}"),
                 "max_abs_ref": float(f"{scale:.4g}")}
        out_cases.append(entry)
        for k, v in params.items():
            tensors[f"{name}.{k}"] = f32(v)
        for k, v in inputs.items():
            tensors[f"in/{name}/{k}"] = f32(v)
        for k, v in ref.items():
            tensors[f"out/{name}/{k}"] = f32(v)
    return tensors, out_cases


# ---------------------------------------------------------------- trained-model fixtures

def load_shipped_model():
    """The model exactly as the app gets it: config.json + the safetensors file."""
    with open(os.path.join(OUT_DIR, "config.json")) as f:
        cj = json.load(f)
    sd, _ = read_safetensors(os.path.join(OUT_DIR, WEIGHTS))
    keys = ["sample_size", "in_channels", "out_channels", "block_out_channels", "down_block_types", "mid_block_type",
            "up_block_types", "layers_per_block", "cross_attention_dim", "attention_head_dim", "norm_num_groups",
            "norm_eps", "flip_sin_to_cos", "freq_shift", "act_fn", "downsample_padding", "mid_block_scale_factor"]
    cfg = UNetConfig(**{k: cj[k] for k in keys}, vocab_size=sd["text_embedding.weight"].shape[0],
                     max_tokens=cj["emoji_unet"]["tokenizer"]["max_length"])
    model = EmojiDiffusion(cfg)
    model.load_flat_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    model.eval()
    with open(os.path.join(OUT_DIR, "vocab.json")) as f:
        vocab = json.load(f)
    return model, vocab


def run_sampling(model, dtype, noise, ids, null_ids):
    model = model.to(dtype)
    record = []
    final = scheduler.sample(model, noise.to(dtype), ids, null_ids, DEFAULT_STEPS, DEFAULT_GUIDANCE, record)
    return final, record


def make_sampling_fixtures(model, vocab):
    ids = torch.tensor([data.tokenize(PROMPT, vocab)])
    null_ids = torch.tensor([data.tokenize("", vocab)])
    noise = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(SEED))
    final64, rec64 = run_sampling(model, torch.float64, noise, ids, null_ids)
    final32, rec32 = run_sampling(model, torch.float32, noise, ids, null_ids)
    tensors = {"noise": f32(noise), "final": f32(final64)}
    for k in RECORD_STEPS:
        tensors[f"steps/{k}/x_prev"] = f32(rec64[k]["x_prev"])
    tensors["steps/0/x0"] = f32(rec64[0]["x0"])
    tensors["steps/0/v_cond"] = f32(rec64[0]["v_cond"])
    tensors["steps/0/v_null"] = f32(rec64[0]["v_null"])
    per_step_psnr = [round(psnr(f32(a["x_prev"]), f32(b["x_prev"])), 2) for a, b in zip(rec32, rec64)]

    # one forward: the f32-rounded sample entering step FORWARD_STEP, cond + null in one batch of 2
    x_one = torch.from_numpy(f32(rec64[FORWARD_STEP - 1]["x_prev"]))  # [1, 3, 32, 32]
    x_in = x_one.repeat(2, 1, 1, 1)
    t_fwd = rec64[FORWARD_STEP]["t"]
    both = torch.cat([ids, null_ids])
    acts = {}
    model = model.double()
    hooks = [model.unet.time_embedding.register_forward_hook(lambda m, i, o: acts.__setitem__("temb", o)),
             model.unet.mid_block.register_forward_hook(lambda m, i, o: acts.__setitem__("mid_block", o))]
    with torch.no_grad():
        ehs = model.text_embedding(both)
        v = model(x_in.double(), torch.full((2,), t_fwd, dtype=torch.long), both)
        for h in hooks:
            h.remove()
        v32 = model.float()(x_in, torch.full((2,), t_fwd, dtype=torch.long), both)
    tensors.update({"forward/sample": f32(x_one), "forward/encoder_hidden_states": f32(ehs), "forward/v": f32(v),
                    "forward/temb": f32(acts["temb"]), "forward/mid_block": f32(acts["mid_block"][:1])})
    fwd_err = float((v32.double() - v).abs().max())

    steps = scheduler.ddim_timesteps(DEFAULT_STEPS)
    ratio = scheduler.NUM_TRAIN_TIMESTEPS // DEFAULT_STEPS
    meta = {
        "prompt": PROMPT,
        "ids": ids[0].tolist(),
        "null_ids": null_ids[0].tolist(),
        "seed": SEED,
        "noise_note": "torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(42)); stored as `noise`",
        "beta_schedule": scheduler.BETA_SCHEDULE,
        "prediction_type": scheduler.PREDICTION_TYPE,
        "timestep_spacing": scheduler.TIMESTEP_SPACING,
        "num_inference_steps": DEFAULT_STEPS,
        "guidance_scale": DEFAULT_GUIDANCE,
        "timesteps": steps,
        "prev_timesteps": [t - ratio for t in steps],
        "alpha_bar": [float(scheduler.ALPHAS_CUMPROD[t]) for t in steps],
        "alpha_bar_prev": [float(scheduler.ALPHAS_CUMPROD[t - ratio]) if t - ratio >= 0 else 1.0 for t in steps],
        "recorded_steps": RECORD_STEPS,
        "torch_f32_final_psnr_db": round(psnr(f32(final32), f32(final64)), 2),
        "torch_f32_psnr_db_per_step": per_step_psnr,
        "psnr_threshold_db": 35.0,
        "forward": {"t": t_fwd, "ids_rows": ["ids", "null_ids"], "atol": max(1e-4, float(f"{10 * fwd_err:.1e}")),
                    "rtol": 1e-3, "torch_f32_max_abs_err": float(f"{fwd_err:.3g}"),
                    "max_abs_ref": float(f"{float(v.abs().max()):.4g}")},
    }
    return tensors, meta, f32(final64)[0]


def main():
    torch.set_num_threads(1)
    os.makedirs(FIXTURE_DIR, exist_ok=True)

    tensors, cases = make_block_fixtures()
    write_safetensors(os.path.join(FIXTURE_DIR, "blocks.safetensors"), tensors, {"format": "pt"})
    write_json(os.path.join(FIXTURE_DIR, "blocks.json"), {
        "schema": 1,
        "about": "Tiny random diffusers blocks. Tensors live in blocks.safetensors (F32): parameters as "
                 "'<case>.<diffusers key>', inputs 'in/<case>/<name>', outputs 'out/<case>/<name>'. "
                 "Outputs are PyTorch float64 on the stored f32 inputs and weights, rounded to f32. "
                 "Pass: |y - ref| <= atol + rtol * |ref| elementwise. Layouts: images NCHW, "
                 "token sequences [B, S, C], Linear weight [out, in], Conv2d weight [out, in, kh, kw].",
        "file": "blocks.safetensors", "cases": cases})
    for c in cases:
        print(f"{c['name']:18s} f32 err {c['torch_f32_max_abs_err']:.2e}  atol {c['atol']:.1e}  "
              f"max|ref| {c['max_abs_ref']}")

    if "--blocks-only" in sys.argv:
        return
    model, vocab = load_shipped_model()
    tensors, meta, final = make_sampling_fixtures(model, vocab)
    write_safetensors(os.path.join(FIXTURE_DIR, "sampling.safetensors"), tensors, {"format": "pt"})
    write_json(os.path.join(FIXTURE_DIR, "sampling.json"), {
        "schema": 1,
        "about": "The shipped emoji UNet (public/models/emoji-unet) sampling one prompt with DDIM eta 0 and "
                 "classifier-free guidance, computed in PyTorch float64 from the f32 weights and noise; "
                 "tensors in sampling.safetensors (F32). See training/diffusion/README.md.",
        "file": "sampling.safetensors", "model": "public/models/emoji-unet", **meta})
    data.save_png(os.path.join(OUT_DIR, "sample.png"), final)
    print(f"sampling: f32 torch vs f64 PSNR {meta['torch_f32_final_psnr_db']} dB; "
          f"forward f32 err {meta['forward']['torch_f32_max_abs_err']:.2e}")
    for fn in sorted(os.listdir(FIXTURE_DIR)):
        print(f"  {fn}: {os.path.getsize(os.path.join(FIXTURE_DIR, fn)):,} bytes")


if __name__ == "__main__":
    main()
