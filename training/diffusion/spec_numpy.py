"""A second implementation of the emoji UNet, in float64 numpy, written from README.md's spec only.

It reads nothing but public/models/emoji-unet/{config.json, diffusion_pytorch_model.safetensors,
vocab.json} and imports neither torch nor model.py, so agreement with the PyTorch fixtures shows that
the written spec (wiring, key names, formulas) is complete, which is what the WebGPU port works from.
check.py runs it; it is slow (a few seconds per UNet call) and meant for checking only.
"""

import json
import math
import os
import re
import sys
import unicodedata

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from safetensors_io import read_safetensors  # noqa: E402

_erf = np.vectorize(math.erf, otypes=[np.float64])


def silu(x):
    return x / (1.0 + np.exp(-x))


def gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def conv2d(x, w, b, stride=1, pad=None):
    """x [C, H, W], w [O, C, k, k], b [O]; zero padding k // 2 unless given."""
    O, C, k, _ = w.shape
    pad = k // 2 if pad is None else pad
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    H = (x.shape[1] + 2 * pad - k) // stride + 1
    W = (x.shape[2] + 2 * pad - k) // stride + 1
    cols = np.empty((C, k, k, H, W))
    for dy in range(k):
        for dx in range(k):
            cols[:, dy, dx] = xp[:, dy:dy + stride * (H - 1) + 1:stride, dx:dx + stride * (W - 1) + 1:stride]
    return (w.reshape(O, -1) @ cols.reshape(-1, H * W)).reshape(O, H, W) + b[:, None, None]


def group_norm(x, groups, gamma, beta, eps):
    C, H, W = x.shape
    g = x.reshape(groups, -1)
    mu = g.mean(axis=1, keepdims=True)
    var = ((g - mu) ** 2).mean(axis=1, keepdims=True)
    y = ((g - mu) / np.sqrt(var + eps)).reshape(C, H, W)
    return y * gamma[:, None, None] + beta[:, None, None]


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def linear(x, p, name, bias=True):
    y = x @ p[name + ".weight"].T
    return y + p[name + ".bias"] if bias else y


class SpecUNet:
    def __init__(self, model_dir):
        self.model_dir = model_dir
        with open(os.path.join(model_dir, "config.json")) as f:
            self.c = json.load(f)
        with open(os.path.join(model_dir, "vocab.json")) as f:
            self.vocab = json.load(f)
        raw, _ = read_safetensors(os.path.join(model_dir, "diffusion_pytorch_model.safetensors"))
        self.p = {k: v.astype(np.float64) for k, v in raw.items()}
        self.groups = self.c["norm_num_groups"]
        self.eps = self.c["norm_eps"]
        self.heads = self.c["attention_head_dim"]  # legacy field = number of heads
        self.tok = self.c["emoji_unet"]["tokenizer"]

    # ---- prompt
    def tokenize(self, text):
        t = unicodedata.normalize("NFKD", text).lower()
        ids = [self.vocab.get(w, self.tok["unk_id"]) for w in re.split(r"[^a-z0-9]+", t) if w]
        ids = ids[: self.tok["max_length"]]
        return ids + [self.tok["pad_id"]] * (self.tok["max_length"] - len(ids))

    def encode(self, ids):
        return self.p["text_embedding.weight"][np.asarray(ids)]  # [S, cross_attention_dim]

    # ---- blocks
    def resnet(self, x, temb, pre):
        p = self.p
        h = conv2d(silu(group_norm(x, self.groups, p[pre + "norm1.weight"], p[pre + "norm1.bias"], self.eps)),
                   p[pre + "conv1.weight"], p[pre + "conv1.bias"])
        h = h + linear(silu(temb), p, pre + "time_emb_proj")[:, None, None]
        h = conv2d(silu(group_norm(h, self.groups, p[pre + "norm2.weight"], p[pre + "norm2.bias"], self.eps)),
                   p[pre + "conv2.weight"], p[pre + "conv2.bias"])
        if pre + "conv_shortcut.weight" in p:
            x = conv2d(x, p[pre + "conv_shortcut.weight"], p[pre + "conv_shortcut.bias"])
        return x + h

    def attention(self, x, ctx, pre):
        q = linear(x, self.p, pre + "to_q", bias=False)
        k = linear(ctx, self.p, pre + "to_k", bias=False)
        v = linear(ctx, self.p, pre + "to_v", bias=False)
        d = q.shape[1] // self.heads
        out = np.empty_like(q)
        for h in range(self.heads):
            sl = slice(h * d, (h + 1) * d)
            s = q[:, sl] @ k[:, sl].T / math.sqrt(d)
            s = np.exp(s - s.max(axis=1, keepdims=True))
            out[:, sl] = (s / s.sum(axis=1, keepdims=True)) @ v[:, sl]
        return linear(out, self.p, pre + "to_out.0")

    def transformer(self, x, ctx, pre):
        p = self.p
        C, H, W = x.shape
        h = group_norm(x, self.groups, p[pre + "norm.weight"], p[pre + "norm.bias"], 1e-6)
        h = conv2d(h, p[pre + "proj_in.weight"], p[pre + "proj_in.bias"])
        t = h.reshape(h.shape[0], H * W).T  # [H*W, inner], token = y * W + x
        b = pre + "transformer_blocks.0."
        n1 = layer_norm(t, p[b + "norm1.weight"], p[b + "norm1.bias"])
        t = t + self.attention(n1, n1, b + "attn1.")  # self-attention: keys/values from the same tokens
        t = t + self.attention(layer_norm(t, p[b + "norm2.weight"], p[b + "norm2.bias"]), ctx, b + "attn2.")
        n3 = layer_norm(t, p[b + "norm3.weight"], p[b + "norm3.bias"])
        hg = linear(n3, p, b + "ff.net.0.proj")
        half = hg.shape[1] // 2
        t = t + linear(hg[:, :half] * gelu(hg[:, half:]), p, b + "ff.net.2")
        h = t.T.reshape(-1, H, W)
        return conv2d(h, p[pre + "proj_out.weight"], p[pre + "proj_out.bias"]) + x

    def time_embedding(self, t):
        c0 = self.c["block_out_channels"][0]
        half = c0 // 2
        f = np.exp(-math.log(10000.0) * np.arange(half) / (half - self.c["freq_shift"]))
        a = t * f
        sin_cos = [np.sin(a), np.cos(a)]
        e = np.concatenate(sin_cos[::-1] if self.c["flip_sin_to_cos"] else sin_cos)
        return linear(silu(linear(e, self.p, "time_embedding.linear_1")), self.p, "time_embedding.linear_2")

    # ---- network
    def forward(self, x, t, ctx, taps=None):
        """x [3, 32, 32], t number, ctx [S, cross_dim] -> model output [3, 32, 32] (v). One sample."""
        p, c = self.p, self.c
        temb = self.time_embedding(float(t))
        if taps is not None:
            taps["temb"] = temb
        h = conv2d(x, p["conv_in.weight"], p["conv_in.bias"])
        skips = [h]
        n_levels = len(c["block_out_channels"])
        for i, kind in enumerate(c["down_block_types"]):
            for j in range(c["layers_per_block"]):
                h = self.resnet(h, temb, f"down_blocks.{i}.resnets.{j}.")
                if kind == "CrossAttnDownBlock2D":
                    h = self.transformer(h, ctx, f"down_blocks.{i}.attentions.{j}.")
                skips.append(h)
            if i < n_levels - 1:
                h = conv2d(h, p[f"down_blocks.{i}.downsamplers.0.conv.weight"],
                           p[f"down_blocks.{i}.downsamplers.0.conv.bias"], stride=2, pad=1)
                skips.append(h)
        h = self.resnet(h, temb, "mid_block.resnets.0.")
        h = self.transformer(h, ctx, "mid_block.attentions.0.")
        h = self.resnet(h, temb, "mid_block.resnets.1.")
        if taps is not None:
            taps["mid_block"] = h
        for i, kind in enumerate(c["up_block_types"]):
            for j in range(c["layers_per_block"] + 1):
                h = np.concatenate([h, skips.pop()], axis=0)
                h = self.resnet(h, temb, f"up_blocks.{i}.resnets.{j}.")
                if kind == "CrossAttnUpBlock2D":
                    h = self.transformer(h, ctx, f"up_blocks.{i}.attentions.{j}.")
            if i < n_levels - 1:
                h = h.repeat(2, axis=1).repeat(2, axis=2)
                h = conv2d(h, p[f"up_blocks.{i}.upsamplers.0.conv.weight"], p[f"up_blocks.{i}.upsamplers.0.conv.bias"])
        h = silu(group_norm(h, self.groups, p["conv_norm_out.weight"], p["conv_norm_out.bias"], self.eps))
        return conv2d(h, p["conv_out.weight"], p["conv_out.bias"])


def alphas_cumprod(sc):
    """float64 alpha_bar[0 .. T-1] from scheduler_config.json."""
    n = sc["num_train_timesteps"]
    if sc["beta_schedule"] == "squaredcos_cap_v2":
        f = lambda u: math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
        betas = np.array([min(1 - f((i + 1) / n) / f(i / n), 0.999) for i in range(n)])
    elif sc["beta_schedule"] == "linear":
        betas = np.linspace(sc["beta_start"], sc["beta_end"], n)
    else:
        raise ValueError(sc["beta_schedule"])
    return np.cumprod(1.0 - betas)


def timesteps(sc, steps):
    n = sc["num_train_timesteps"]
    if sc["timestep_spacing"] == "trailing":
        return [int(round(n - k * n / steps)) - 1 for k in range(steps)]
    return [(steps - 1 - k) * (n // steps) + sc["steps_offset"] for k in range(steps)]


def ddim_sample(net, noise, prompt, steps=20, guidance=3.0):
    """noise [3, 32, 32] -> final image, per the README's sampler equations."""
    with open(os.path.join(net.model_dir, "scheduler_config.json")) as f:
        sc = json.load(f)
    ab = alphas_cumprod(sc)
    ratio = sc["num_train_timesteps"] // steps
    cond, null = net.encode(net.tokenize(prompt)), net.encode(net.tokenize(""))
    x = noise.astype(np.float64)
    for t in timesteps(sc, steps):
        o_c, o_n = net.forward(x, t, cond), net.forward(x, t, null)
        out = o_n + guidance * (o_c - o_n)
        a, a_prev = ab[t], (ab[t - ratio] if t - ratio >= 0 else 1.0)
        if sc["prediction_type"] == "v_prediction":
            x0 = math.sqrt(a) * x - math.sqrt(1 - a) * out
            eps = math.sqrt(a) * out + math.sqrt(1 - a) * x
        else:
            eps = out
            x0 = (x - math.sqrt(1 - a) * eps) / math.sqrt(a)
        if sc["clip_sample"]:
            x0 = np.clip(x0, -sc["clip_sample_range"], sc["clip_sample_range"])
        x = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps
    return x
