"""Plain-PyTorch references of the two image decoders the SD pipeline uses, in diffusers naming, so
their state_dict() keys are the keys of a diffusers `vae/diffusion_pytorch_model.safetensors`.
No diffusers import: written from diffusers' sources (read for facts, not copied):

AutoencoderKL decode (models/autoencoders/autoencoder_kl.py `_decode`, vae.py `Decoder`):
    z -> post_quant_conv (1x1, if use_post_quant_conv) -> decoder.conv_in (3x3, latent -> C[-1])
      -> decoder.mid_block: resnets.0, attentions.0 (if mid_block_add_attention), resnets.1
      -> decoder.up_blocks[i], i = 0..B-1 over reversed(block_out_channels): layers_per_block + 1
         ResnetBlock2D (the first maps the previous block's channels to this one's), then
         upsamplers.0 (nearest 2x + 3x3 conv) on every block but the last
      -> conv_norm_out (GroupNorm, eps 1e-6) -> SiLU -> conv_out (3x3, C[0] -> out_channels)
    Every resnet: eps 1e-6, no time embedding, conv_shortcut (1x1, bias) when channels change.
    Mid attention (attention_processor.py `Attention` with _from_deprecated_attn_block): one head of
    size C, group_norm (norm_num_groups, eps 1e-6) inside, to_q/to_k/to_v/to_out.0 Linear with bias,
    softmax(q k^T / sqrt(C)) v, plus the residual. Older checkpoints name the same four Linears
    query/key/value/proj_attn (diffusers maps them at load: modeling_utils
    `_convert_deprecated_attention_blocks`); `rename_to_old_attention` produces that naming.
    Pipelines decode `latents / scaling_factor` (pipeline_stable_diffusion.py).

AutoencoderTiny decode (vae.py `DecoderTiny`, unet_2d_blocks.py `AutoencoderTinyBlock`):
    x = tanh(x / 3) * 3, then decoder.layers (nn.Sequential):
      conv 3x3 (latent -> C[0], bias), ReLU,
      per stage i: num_decoder_blocks[i] AutoencoderTinyBlock(C[i], C[i]); on all but the last stage
        nn.Upsample(upsampling_scaling_factor, nearest) and conv 3x3 C[i] -> C[i] WITHOUT bias;
        the last stage ends with conv 3x3 C[-1] -> out_channels WITH bias
    AutoencoderTinyBlock: fuse(conv(x) + skip(x)), conv = conv3x3, act, conv3x3, act, conv3x3 (all
    with bias), skip = Identity (in == out, always so in DecoderTiny) else 1x1 conv without bias,
    fuse = ReLU. The result is mapped from [0, 1] to [-1, 1]: x * 2 - 1 (no clamp).
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from fixtures import randomize  # noqa: E402  (norm gains near 1, biases 0.2, weights 1/sqrt(fan_in))


# ---------------------------------------------------------------- AutoencoderKL decoder

class VaeResnet(nn.Module):
    """ResnetBlock2D with temb_channels None, groups g, eps 1e-6, output_scale_factor 1."""

    def __init__(self, cin, cout, groups, eps=1e-6):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps, affine=True)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps, affine=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1, 1, 0) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        skip = x if self.conv_shortcut is None else self.conv_shortcut(x)
        return skip + h


class VaeAttention(nn.Module):
    """The mid block's single-head self-attention over all H*W pixels."""

    def __init__(self, channels, groups, eps=1e-6):
        super().__init__()
        self.group_norm = nn.GroupNorm(groups, channels, eps=eps, affine=True)
        self.to_q = nn.Linear(channels, channels, bias=True)
        self.to_k = nn.Linear(channels, channels, bias=True)
        self.to_v = nn.Linear(channels, channels, bias=True)
        self.to_out = nn.ModuleList([nn.Linear(channels, channels, bias=True)])  # to_out.1: dropout

    def forward(self, x):
        B, C, H, W = x.shape
        h = self.group_norm(x).view(B, C, H * W).transpose(1, 2)  # [B, L, C], token l = y * W + x
        q, k, v = self.to_q(h), self.to_k(h), self.to_v(h)
        p = torch.softmax(torch.matmul(q, k.transpose(1, 2)) * (C ** -0.5), dim=-1)  # [B, L, L]
        o = self.to_out[0](torch.matmul(p, v))  # [B, L, C]
        return o.transpose(1, 2).reshape(B, C, H, W) + x


class VaeUpsample(nn.Module):
    """Upsample2D(use_conv=True): nearest 2x, then a 3x3 conv with bias."""

    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class VaeMidBlock(nn.Module):
    def __init__(self, channels, groups, attention):
        super().__init__()
        self.resnets = nn.ModuleList([VaeResnet(channels, channels, groups), VaeResnet(channels, channels, groups)])
        self.attentions = nn.ModuleList([VaeAttention(channels, groups)]) if attention else None

    def forward(self, x):
        x = self.resnets[0](x)
        if self.attentions is not None:
            x = self.attentions[0](x)
        return self.resnets[1](x)


class UpDecoderBlock(nn.Module):
    def __init__(self, cin, cout, layers, groups, add_upsample):
        super().__init__()
        self.resnets = nn.ModuleList([VaeResnet(cin if i == 0 else cout, cout, groups) for i in range(layers)])
        self.upsamplers = nn.ModuleList([VaeUpsample(cout)]) if add_upsample else None

    def forward(self, x):
        for r in self.resnets:
            x = r(x)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class VaeDecoder(nn.Module):
    def __init__(self, latent_channels, out_channels, block_out_channels, layers_per_block, groups, mid_attention):
        super().__init__()
        rev = list(reversed(block_out_channels))
        self.conv_in = nn.Conv2d(latent_channels, rev[0], 3, 1, 1)
        self.mid_block = VaeMidBlock(rev[0], groups, mid_attention)
        blocks, prev = [], rev[0]
        for i, ch in enumerate(rev):
            blocks.append(UpDecoderBlock(prev, ch, layers_per_block + 1, groups, i < len(rev) - 1))
            prev = ch
        self.up_blocks = nn.ModuleList(blocks)
        self.conv_norm_out = nn.GroupNorm(groups, block_out_channels[0], eps=1e-6)
        self.conv_out = nn.Conv2d(block_out_channels[0], out_channels, 3, 1, 1)

    def forward(self, z):
        x = self.mid_block(self.conv_in(z))
        for b in self.up_blocks:
            x = b(x)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


class AutoencoderKLDecode(nn.Module):
    """The decode half of AutoencoderKL: post_quant_conv + decoder (the encoder is not built)."""

    def __init__(self, config):
        super().__init__()
        c = dict(KL_DEFAULTS, **config)
        ups = c.get("up_block_types", ["UpDecoderBlock2D"] * len(c["block_out_channels"]))
        assert c["act_fn"] == "silu" and len(ups) == len(c["block_out_channels"])
        assert all(t == "UpDecoderBlock2D" for t in ups)
        self.config = c
        lc = c["latent_channels"]
        self.post_quant_conv = nn.Conv2d(lc, lc, 1) if c["use_post_quant_conv"] else None
        self.decoder = VaeDecoder(lc, c["out_channels"], c["block_out_channels"], c["layers_per_block"],
                                  c["norm_num_groups"], c["mid_block_add_attention"])

    def forward(self, latents):
        """SD latents (what the UNet produces) -> image in about [-1, 1], as a pipeline decodes them."""
        z = latents / self.config["scaling_factor"]
        if self.post_quant_conv is not None:
            z = self.post_quant_conv(z)
        return self.decoder(z)


KL_DEFAULTS = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "block_out_channels": [64], "layers_per_block": 1,
    "norm_num_groups": 32, "act_fn": "silu", "scaling_factor": 0.18215, "use_post_quant_conv": True,
    "mid_block_add_attention": True,
}


def rename_to_old_attention(state_dict):
    """to_q/to_k/to_v/to_out.0 -> query/key/value/proj_attn (the naming of older VAE checkpoints)."""
    old = {"to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"}
    out = {}
    for k, v in state_dict.items():
        for new, o in old.items():
            tag = f".attentions.0.{new}."
            if tag in k:
                k = k.replace(tag, f".attentions.0.{o}.")
                break
        out[k] = v
    return out


# ---------------------------------------------------------------- AutoencoderTiny decoder

class TinyBlock(nn.Module):
    """AutoencoderTinyBlock with act_fn relu."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1),
                                  nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1))
        self.skip = nn.Conv2d(cin, cout, 1, bias=False) if cin != cout else nn.Identity()
        self.fuse = nn.ReLU()

    def forward(self, x):
        return self.fuse(self.conv(x) + self.skip(x))


class DecoderTiny(nn.Module):
    def __init__(self, latent_channels, out_channels, num_blocks, channels, factor):
        super().__init__()
        layers = [nn.Conv2d(latent_channels, channels[0], 3, padding=1), nn.ReLU()]
        for i, n in enumerate(num_blocks):
            last = i == len(num_blocks) - 1
            ch = channels[i]
            layers += [TinyBlock(ch, ch) for _ in range(n)]
            if not last:
                layers.append(nn.Upsample(scale_factor=factor, mode="nearest"))
            layers.append(nn.Conv2d(ch, out_channels if last else ch, 3, padding=1, bias=last))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        x = torch.tanh(x / 3) * 3
        return self.layers(x).mul(2).sub(1)


class AutoencoderTinyDecode(nn.Module):
    def __init__(self, config):
        super().__init__()
        c = dict(TINY_DEFAULTS, **config)
        assert c["act_fn"] == "relu" and c["upsample_fn"] == "nearest"
        self.config = c
        self.decoder = DecoderTiny(c["latent_channels"], c["out_channels"], c["num_decoder_blocks"],
                                   c["decoder_block_out_channels"], c["upsampling_scaling_factor"])

    def forward(self, latents):
        return self.decoder(latents / self.config["scaling_factor"])


TINY_DEFAULTS = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "encoder_block_out_channels": [64, 64, 64, 64],
    "decoder_block_out_channels": [64, 64, 64, 64], "num_encoder_blocks": [1, 3, 3, 3],
    "num_decoder_blocks": [3, 3, 3, 1], "act_fn": "relu", "upsample_fn": "nearest", "upsampling_scaling_factor": 2,
    "latent_magnitude": 3, "latent_shift": 0.5, "scaling_factor": 1.0,
}


# ---------------------------------------------------------------- random tiny models

def build_tiny_vae(seed, **config):
    """A random AutoencoderKL decode path; `config` is a diffusers vae/config.json (defaults as diffusers)."""
    g = torch.Generator().manual_seed(seed)
    return randomize(AutoencoderKLDecode(config), g).eval()


def build_tiny_taesd(seed, **config):
    """A random AutoencoderTiny decode path; `config` is a diffusers AutoencoderTiny config.json. Small
    biases and 1/sqrt(fan_in) weights: with ReLUs and identity skips that keeps activations O(1)-O(10)."""
    g = torch.Generator().manual_seed(seed)
    m = AutoencoderTinyDecode(config)
    with torch.no_grad():
        for name, p in m.named_parameters():
            if p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p[0].numel()))
    return m.eval()


if __name__ == "__main__":
    m = build_tiny_vae(0, block_out_channels=[8, 16, 24], layers_per_block=1, norm_num_groups=4)
    for k, v in m.state_dict().items():
        print(k, tuple(v.shape))
    print(m(torch.randn(2, 4, 4, 5)).shape)
    t = build_tiny_taesd(0, decoder_block_out_channels=[8, 8, 8, 8], num_decoder_blocks=[2, 1, 2, 1])
    for k, v in t.state_dict().items():
        print(k, tuple(v.shape))
    print(t(torch.randn(2, 4, 4, 5)).shape)
