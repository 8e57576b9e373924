"""A small Llama-style decoder in PyTorch, laid out so its weights map 1:1 onto llama.cpp's GGUF `llama`.

Block: x += Wo·attn(RoPE(Wq·norm(x)), RoPE(Wk·norm(x)), Wv·norm(x));  x += Wdown·(silu(Wgate·h) * Wup·h)
with h = norm(x); RMSNorm everywhere, no biases, untied output head.

RoPE convention (important): llama.cpp runs GGUF architecture `llama` with its "normal" RoPE mode,
which rotates ADJACENT pairs (x[2i], x[2i+1]) of each head by angle pos * theta^(-2i/head_dim).
This module implements exactly that (not the rotate-half / NeoX form used by Hugging Face Llama),
so attn_q / attn_k weights are exported WITHOUT the row permutation that HF->GGUF converters apply.

GQA: query head h reads key/value head h // (n_heads / n_kv_heads), i.e. consecutive query heads
share a kv head, which is how ggml broadcasts heads in llama.cpp.
"""

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 4096
    dim: int = 256
    n_layers: int = 4
    n_heads: int = 4
    n_kv_heads: int = 2
    ffn_dim: int = 768
    context_length: int = 256
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0

    @property
    def head_dim(self):
        return self.dim // self.n_heads

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        # llama.cpp: y = x / sqrt(mean(x^2) + eps) * weight
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim, n_pos, theta, device=None):
    """cos/sin of shape [n_pos, head_dim/2]; angle(pos, i) = pos * theta^(-2i/head_dim).
    Computed in float64 then rounded once, so the tables don't depend on the float32 path."""
    inv_freq = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    ang = torch.arange(n_pos, dtype=torch.float64)[:, None] * inv_freq[None, :]
    return ang.cos().float().to(device), ang.sin().float().to(device)


def apply_rope(x, cos, sin):
    """x: [B, H, T, D]. Rotate adjacent pairs (x[2i], x[2i+1]) — llama.cpp's normal mode."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    y0 = x0 * cos - x1 * sin
    y1 = x0 * sin + x1 * cos
    return torch.stack((y0, y1), dim=-1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        hd = c.head_dim
        self.wq = nn.Linear(c.dim, c.n_heads * hd, bias=False)
        self.wk = nn.Linear(c.dim, c.n_kv_heads * hd, bias=False)
        self.wv = nn.Linear(c.dim, c.n_kv_heads * hd, bias=False)
        self.wo = nn.Linear(c.n_heads * hd, c.dim, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        c, hd = self.c, self.c.head_dim
        # Row r of Wq belongs to head r // head_dim (head_dim is the fastest index, as in ggml).
        q = self.wq(x).view(B, T, c.n_heads, hd).transpose(1, 2)
        k = self.wk(x).view(B, T, c.n_kv_heads, hd).transpose(1, 2)
        v = self.wv(x).view(B, T, c.n_kv_heads, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        rep = c.n_heads // c.n_kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, c.n_heads * hd)
        return self.wo(y)


class FeedForward(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.w_gate = nn.Linear(c.dim, c.ffn_dim, bias=False)
        self.w_up = nn.Linear(c.dim, c.ffn_dim, bias=False)
        self.w_down = nn.Linear(c.ffn_dim, c.dim, bias=False)

    def forward(self, x):
        return self.w_down(F.silu(self.w_gate(x)) * self.w_up(x))


class Block(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.attn_norm = RMSNorm(c.dim, c.norm_eps)
        self.attn = Attention(c)
        self.ffn_norm = RMSNorm(c.dim, c.norm_eps)
        self.ffn = FeedForward(c)

    def forward(self, x, cos, sin, mask):
        x = x + self.attn(self.attn_norm(x), cos, sin, mask)
        return x + self.ffn(self.ffn_norm(x))


class Llama(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.tok_embd = nn.Embedding(c.vocab_size, c.dim)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.n_layers))
        self.norm = RMSNorm(c.dim, c.norm_eps)
        self.output = nn.Linear(c.dim, c.vocab_size, bias=False)
        cos, sin = rope_tables(c.head_dim, c.context_length, c.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(self._init)
        # GPT-2-style: shrink the projections that write into the residual stream.
        for b in self.blocks:
            nn.init.normal_(b.attn.wo.weight, std=0.02 / math.sqrt(2 * c.n_layers))
            nn.init.normal_(b.ffn.w_down.weight, std=0.02 / math.sqrt(2 * c.n_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, idx):
        """idx: [B, T] token ids (T <= context_length) -> logits [B, T, vocab]."""
        T = idx.shape[1]
        assert T <= self.c.context_length
        x = self.tok_embd(idx)
        cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        mask = torch.ones(T, T, dtype=torch.bool, device=idx.device).triu(1)
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return self.output(self.norm(x))

    def num_params(self):
        return sum(p.numel() for p in self.parameters())


def gguf_tensors(model: Llama):
    """(GGUF name, torch tensor) in llama.cpp's naming; shapes stay torch order ([out, in])."""
    out = [("token_embd.weight", model.tok_embd.weight)]
    for i, b in enumerate(model.blocks):
        out += [
            (f"blk.{i}.attn_norm.weight", b.attn_norm.weight),
            (f"blk.{i}.attn_q.weight", b.attn.wq.weight),
            (f"blk.{i}.attn_k.weight", b.attn.wk.weight),
            (f"blk.{i}.attn_v.weight", b.attn.wv.weight),
            (f"blk.{i}.attn_output.weight", b.attn.wo.weight),
            (f"blk.{i}.ffn_norm.weight", b.ffn_norm.weight),
            (f"blk.{i}.ffn_gate.weight", b.ffn.w_gate.weight),
            (f"blk.{i}.ffn_up.weight", b.ffn.w_up.weight),
            (f"blk.{i}.ffn_down.weight", b.ffn.w_down.weight),
        ]
    out += [("output_norm.weight", model.norm.weight), ("output.weight", model.output.weight)]
    return out


def load_gguf_named(model: Llama, named):
    """Copy {GGUF name: numpy array in torch shape} into the model (used for dequantized weights)."""
    with torch.no_grad():
        for name, p in gguf_tensors(model):
            arr = torch.as_tensor(named[name], dtype=torch.float32).reshape(p.shape)
            p.copy_(arr)
    return model
