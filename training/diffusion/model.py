"""A small UNet2DConditionModel in plain PyTorch, with diffusers' module names and maths.

Every module below mirrors the diffusers class of the same name (default options only), so the
state_dict keys are exactly diffusers' UNet2DConditionModel keys, e.g.
`down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight`. Only what this project uses
is implemented: "default" time-embedding norm, conv (not linear) proj_in/proj_out, GEGLU feed-forward,
one transformer layer per attention block, no attention mask, no dropout.

The prompt encoder is a learned token-embedding table (`TokenEmbedding`, key `text_embedding.weight`):
encoder_hidden_states[b, s, :] = table[ids[b, s], :], with no position embedding, no norm.

Shapes are NCHW for images, [B, S, C] for token sequences.
"""

import math
from dataclasses import asdict, dataclass, field
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class UNetConfig:
    sample_size: int = 32
    in_channels: int = 3
    out_channels: int = 3
    block_out_channels: List[int] = field(default_factory=lambda: [32, 64, 64])
    down_block_types: List[str] = field(
        default_factory=lambda: ["DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D"])
    mid_block_type: str = "UNetMidBlock2DCrossAttn"
    up_block_types: List[str] = field(
        default_factory=lambda: ["CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D"])
    layers_per_block: int = 1
    cross_attention_dim: int = 64
    attention_head_dim: int = 2  # diffusers' legacy meaning: the NUMBER of heads (see README); or one per block
    use_linear_projection: bool = False  # SD 2.x: Linear proj_in/proj_out in the transformers
    norm_num_groups: int = 8
    norm_eps: float = 1e-5
    flip_sin_to_cos: bool = True
    freq_shift: int = 0
    act_fn: str = "silu"
    downsample_padding: int = 1
    mid_block_scale_factor: float = 1.0
    # not diffusers: the prompt embedding table
    vocab_size: int = 1424
    max_tokens: int = 16

    def to_dict(self):
        return asdict(self)


def get_timestep_embedding(timesteps, dim, flip_sin_to_cos=True, downscale_freq_shift=0.0, max_period=10000.0):
    """diffusers' get_timestep_embedding (scale 1).

    f_i = exp(-ln(max_period) * i / (dim/2 - shift)), i = 0 .. dim/2 - 1
    emb = [sin(t f_0) .. sin(t f_{h-1}), cos(t f_0) .. cos(t f_{h-1})], halves swapped if flip_sin_to_cos.
    """
    half = dim // 2
    # float32 like diffusers, unless the caller passes float64 timesteps (the float64 references)
    dtype = torch.float64 if timesteps.dtype == torch.float64 else torch.float32
    exponent = -math.log(max_period) * torch.arange(half, dtype=dtype, device=timesteps.device)
    freqs = torch.exp(exponent / (half - downscale_freq_shift))
    args = timesteps[:, None].to(dtype) * freqs[None, :]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=-1)
    if flip_sin_to_cos:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    if dim % 2 == 1:
        emb = F.pad(emb, (0, 1))
    return emb


class Timesteps(nn.Module):
    def __init__(self, num_channels, flip_sin_to_cos, downscale_freq_shift):
        super().__init__()
        self.num_channels, self.flip, self.shift = num_channels, flip_sin_to_cos, downscale_freq_shift

    def forward(self, t):  # [B] -> [B, num_channels]
        return get_timestep_embedding(t, self.num_channels, self.flip, self.shift)


class TimestepEmbedding(nn.Module):
    def __init__(self, in_channels, time_embed_dim):
        super().__init__()
        self.linear_1 = nn.Linear(in_channels, time_embed_dim)
        self.linear_2 = nn.Linear(time_embed_dim, time_embed_dim)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    def __init__(self, in_channels, out_channels, temb_channels, groups, eps=1e-5):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_channels, eps=eps, affine=True)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, 1, 1)
        self.time_emb_proj = nn.Linear(temb_channels, out_channels) if temb_channels else None
        self.norm2 = nn.GroupNorm(groups, out_channels, eps=eps, affine=True)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1)
        self.conv_shortcut = nn.Conv2d(in_channels, out_channels, 1, 1, 0) if in_channels != out_channels else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return x + h  # output_scale_factor 1


class Attention(nn.Module):
    def __init__(self, query_dim, heads, dim_head, cross_attention_dim=None):
        super().__init__()
        inner = heads * dim_head
        kv_dim = cross_attention_dim or query_dim
        self.heads, self.scale = heads, dim_head ** -0.5
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(kv_dim, inner, bias=False)
        self.to_v = nn.Linear(kv_dim, inner, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(inner, query_dim)])  # to_out.1 is dropout: no weights

    def forward(self, x, context=None):
        context = x if context is None else context
        B, N, _ = x.shape
        S = context.shape[1]
        q = self.to_q(x).view(B, N, self.heads, -1).transpose(1, 2)        # [B, H, N, D]
        k = self.to_k(context).view(B, S, self.heads, -1).transpose(1, 2)  # [B, H, S, D]
        v = self.to_v(context).view(B, S, self.heads, -1).transpose(1, 2)  # [B, H, S, D]
        p = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * self.scale, dim=-1)
        o = torch.matmul(p, v).transpose(1, 2).reshape(B, N, -1)            # [B, N, H*D], heads in order
        return self.to_out[0](o)


class GEGLU(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x):
        h, gate = self.proj(x).chunk(2, dim=-1)  # first half is the value, second half the gate
        return h * F.gelu(gate)  # exact (erf) GELU


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        inner = dim * mult
        # net.0 = GEGLU, net.1 = dropout (no weights), net.2 = output projection
        self.net = nn.ModuleList([GEGLU(dim, inner), nn.Identity(), nn.Linear(inner, dim)])

    def forward(self, x):
        for m in self.net:
            x = m(x)
        return x


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, heads, dim_head, cross_attention_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn1 = Attention(dim, heads, dim_head)
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)
        self.attn2 = Attention(dim, heads, dim_head, cross_attention_dim)
        self.norm3 = nn.LayerNorm(dim, eps=1e-5)
        self.ff = FeedForward(dim)

    def forward(self, x, context):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff(self.norm3(x)) + x


class Transformer2DModel(nn.Module):
    def __init__(self, heads, dim_head, in_channels, groups, cross_attention_dim, use_linear_projection=False):
        super().__init__()
        inner = heads * dim_head
        self.linear = use_linear_projection  # SD 2.x: nn.Linear on tokens instead of 1x1 convs
        self.norm = nn.GroupNorm(groups, in_channels, eps=1e-6, affine=True)  # note: 1e-6, not norm_eps
        self.proj_in = nn.Linear(in_channels, inner) if self.linear else nn.Conv2d(in_channels, inner, 1, 1, 0)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(inner, heads, dim_head, cross_attention_dim)])
        self.proj_out = nn.Linear(inner, in_channels) if self.linear else nn.Conv2d(inner, in_channels, 1, 1, 0)

    def forward(self, x, context):
        B, C, H, W = x.shape
        h = self.norm(x)
        if self.linear:
            h = self.proj_in(h.permute(0, 2, 3, 1).reshape(B, H * W, C))
        else:
            h = self.proj_in(h)
            h = h.permute(0, 2, 3, 1).reshape(B, H * W, h.shape[1])  # token n = y * W + x
        inner = h.shape[2]
        for blk in self.transformer_blocks:
            h = blk(h, context)
        if self.linear:
            return self.proj_out(h).reshape(B, H, W, C).permute(0, 3, 1, 2) + x
        h = h.reshape(B, H, W, inner).permute(0, 3, 1, 2)
        return self.proj_out(h) + x


class Downsample2D(nn.Module):
    def __init__(self, channels, out_channels=None, padding=1):
        super().__init__()
        self.conv = nn.Conv2d(channels, out_channels or channels, 3, stride=2, padding=padding)

    def forward(self, x):
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, channels, out_channels=None):
        super().__init__()
        self.conv = nn.Conv2d(channels, out_channels or channels, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DownBlock(nn.Module):
    """DownBlock2D (with_attention False) or CrossAttnDownBlock2D."""

    def __init__(self, in_ch, out_ch, temb, layers, groups, eps, add_downsample, with_attention, heads, cross_dim, pad,
                 linear=False):
        super().__init__()
        self.resnets = nn.ModuleList(
            [ResnetBlock2D(in_ch if i == 0 else out_ch, out_ch, temb, groups, eps) for i in range(layers)])
        if with_attention:
            self.attentions = nn.ModuleList(
                [Transformer2DModel(heads, out_ch // heads, out_ch, groups, cross_dim, linear) for _ in range(layers)])
        else:
            self.attentions = None
        self.downsamplers = nn.ModuleList([Downsample2D(out_ch, out_ch, pad)]) if add_downsample else None

    def forward(self, x, temb, context):
        skips = []
        for i, resnet in enumerate(self.resnets):
            x = resnet(x, temb)
            if self.attentions is not None:
                x = self.attentions[i](x, context)
            skips.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
            skips.append(x)
        return x, skips


class UpBlock(nn.Module):
    """UpBlock2D (with_attention False) or CrossAttnUpBlock2D."""

    def __init__(self, in_ch, out_ch, prev_ch, temb, layers, groups, eps, add_upsample, with_attention, heads,
                 cross_dim, linear=False):
        super().__init__()
        resnets = []
        for i in range(layers):
            skip_ch = in_ch if i == layers - 1 else out_ch
            res_in = prev_ch if i == 0 else out_ch
            resnets.append(ResnetBlock2D(res_in + skip_ch, out_ch, temb, groups, eps))
        self.resnets = nn.ModuleList(resnets)
        if with_attention:
            self.attentions = nn.ModuleList(
                [Transformer2DModel(heads, out_ch // heads, out_ch, groups, cross_dim, linear) for _ in range(layers)])
        else:
            self.attentions = None
        self.upsamplers = nn.ModuleList([Upsample2D(out_ch, out_ch)]) if add_upsample else None

    def forward(self, x, skips, temb, context):
        for i, resnet in enumerate(self.resnets):
            x = torch.cat([x, skips.pop()], dim=1)  # [hidden, skip] along channels, latest skip first
            x = resnet(x, temb)
            if self.attentions is not None:
                x = self.attentions[i](x, context)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class UNetMidBlock2DCrossAttn(nn.Module):
    def __init__(self, ch, temb, groups, eps, heads, cross_dim, linear=False):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(ch, ch, temb, groups, eps),
                                      ResnetBlock2D(ch, ch, temb, groups, eps)])
        self.attentions = nn.ModuleList([Transformer2DModel(heads, ch // heads, ch, groups, cross_dim, linear)])

    def forward(self, x, temb, context):
        x = self.resnets[0](x, temb)
        x = self.attentions[0](x, context)
        return self.resnets[1](x, temb)


class UNet2DConditionModel(nn.Module):
    def __init__(self, c: UNetConfig):
        super().__init__()
        self.config = c
        boc = list(c.block_out_channels)
        temb = boc[0] * 4
        heads = list(c.attention_head_dim) if isinstance(c.attention_head_dim, (list, tuple)) else [c.attention_head_dim] * len(boc)
        lin = c.use_linear_projection
        g, eps = c.norm_num_groups, c.norm_eps
        self.conv_in = nn.Conv2d(c.in_channels, boc[0], 3, 1, 1)
        self.time_proj = Timesteps(boc[0], c.flip_sin_to_cos, c.freq_shift)
        self.time_embedding = TimestepEmbedding(boc[0], temb)

        self.down_blocks = nn.ModuleList()
        out_ch = boc[0]
        for i, kind in enumerate(c.down_block_types):
            in_ch, out_ch = out_ch, boc[i]
            final = i == len(boc) - 1
            self.down_blocks.append(DownBlock(in_ch, out_ch, temb, c.layers_per_block, g, eps, not final,
                                              kind == "CrossAttnDownBlock2D", heads[i], c.cross_attention_dim,
                                              c.downsample_padding, lin))
        self.mid_block = UNetMidBlock2DCrossAttn(boc[-1], temb, g, eps, heads[-1], c.cross_attention_dim, lin)

        self.up_blocks = nn.ModuleList()
        rev = list(reversed(boc))
        out_ch = rev[0]
        for i, kind in enumerate(c.up_block_types):
            prev_ch, out_ch = out_ch, rev[i]
            in_ch = rev[min(i + 1, len(boc) - 1)]
            final = i == len(boc) - 1
            self.up_blocks.append(UpBlock(in_ch, out_ch, prev_ch, temb, c.layers_per_block + 1, g, eps, not final,
                                          kind == "CrossAttnUpBlock2D", heads[len(boc) - 1 - i], c.cross_attention_dim,
                                          lin))
        self.conv_norm_out = nn.GroupNorm(g, boc[0], eps=eps)
        self.conv_out = nn.Conv2d(boc[0], c.out_channels, 3, 1, 1)

    def forward(self, sample, timestep, encoder_hidden_states):
        """sample [B, C, H, W], timestep [B] (or scalar), encoder_hidden_states [B, S, cross_dim]
        -> [B, C, H, W], the v prediction (see scheduler.py)."""
        B = sample.shape[0]
        t = torch.as_tensor(timestep, device=sample.device)
        if t.dim() == 0:
            t = t.expand(B)
        if sample.dtype == torch.float64:
            t = t.to(torch.float64)
        emb = self.time_embedding(self.time_proj(t).to(sample.dtype))  # [B, 4 * boc[0]]
        x = self.conv_in(sample)
        skips = [x]
        for blk in self.down_blocks:
            x, s = blk(x, emb, encoder_hidden_states)
            skips += s
        x = self.mid_block(x, emb, encoder_hidden_states)
        for blk in self.up_blocks:
            n = len(blk.resnets)
            mine, skips = skips[-n:], skips[:-n]
            x = blk(x, mine, emb, encoder_hidden_states)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


class TokenEmbedding(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(vocab_size, dim) * 0.5)

    def forward(self, ids):  # [B, S] int64 -> [B, S, dim]
        return self.weight[ids]


class EmojiDiffusion(nn.Module):
    """The UNet plus the prompt table. state_dict: the UNet's diffusers keys + `text_embedding.weight`."""

    def __init__(self, c: UNetConfig):
        super().__init__()
        self.config = c
        self.unet = UNet2DConditionModel(c)
        self.text_embedding = TokenEmbedding(c.vocab_size, c.cross_attention_dim)

    def flat_state_dict(self):
        sd = {k: v for k, v in self.unet.state_dict().items()}
        sd["text_embedding.weight"] = self.text_embedding.weight.detach()
        return sd

    def load_flat_state_dict(self, sd):
        sd = dict(sd)
        self.text_embedding.weight.data.copy_(sd.pop("text_embedding.weight"))
        self.unet.load_state_dict(sd, strict=True)

    def forward(self, sample, timestep, ids):
        return self.unet(sample, timestep, self.text_embedding(ids))


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


if __name__ == "__main__":
    import time

    torch.set_num_threads(1)
    torch.manual_seed(0)
    m = EmojiDiffusion(UNetConfig())
    print("params", count_params(m), "unet", count_params(m.unet))
    for k, v in list(m.flat_state_dict().items()):
        print(k, tuple(v.shape))
    x = torch.randn(64, 3, 32, 32)
    ids = torch.randint(0, 100, (64, 16))
    t = torch.randint(0, 1000, (64,))
    opt = torch.optim.AdamW(m.parameters(), 1e-3)
    for i in range(4):
        t0 = time.time()
        loss = F.mse_loss(m(x, t, ids), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        print("step", time.time() - t0)
    with torch.no_grad():
        t0 = time.time()
        m(x[:2], t[:2], ids[:2])
        print("fwd b2", time.time() - t0)
