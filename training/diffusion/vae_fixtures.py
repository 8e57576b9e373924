"""PyTorch reference fixtures for the WebGPU image decoders (src/models/vae/):

    /usr/bin/python3 training/diffusion/vae_fixtures.py

writes training/fixtures/diffusion/vae.json + vae.safetensors: tiny random AutoencoderKL and
AutoencoderTiny decoders (vae_ref.py, diffusers naming) with odd sizes, their config.json as a
diffusers model would ship it, SD-space latents (with outliers, so TAESD's tanh clamp and the
attention's softmax see large values) and the decoded images in float64, rounded to f32. Also: for
`kl` and `taesd` the decode with every weight matrix rounded to f16 (the engine's f16 storage), and
one AutoencoderTinyBlock whose width changes (its 1x1 bias-less skip conv). Deterministic: rerunning
rewrites the same bytes.
"""

import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fixtures import FIXTURE_DIR, f32, hard_input, write_json  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402
from vae_ref import TinyBlock, build_tiny_taesd, build_tiny_vae, randomize, rename_to_old_attention  # noqa: E402

KL = "AutoencoderKL"
F16_CASES = ("kl", "taesd")
TINY = "AutoencoderTiny"

# (name, class, config.json, latent shape [N, C, h, w], latent scale, naming, about)
CASES = [
    ("kl", KL, {
        "_class_name": KL, "act_fn": "silu", "block_out_channels": [8, 12, 16], "in_channels": 3, "out_channels": 3,
        "latent_channels": 4, "layers_per_block": 1, "norm_num_groups": 4, "sample_size": 16,
        "down_block_types": ["DownEncoderBlock2D"] * 3, "up_block_types": ["UpDecoderBlock2D"] * 3,
        "scaling_factor": 0.18215,
    }, (2, 4, 4, 5), 0.8, "new",
     "3 up blocks (16 -> 12 -> 8 channels, 2 resnets each, 2 upsamplers: 4x5 -> 16x20), mid attention over "
     "20 pixels with one head of 16, groups of 4 (4, 3 and 2 channels per group), a batch of 2"),
    ("kl_old_names", KL, {
        "_class_name": KL, "act_fn": "silu", "block_out_channels": [6, 9], "in_channels": 3, "out_channels": 3,
        "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 3, "sample_size": 14,
        "down_block_types": ["DownEncoderBlock2D"] * 2, "up_block_types": ["UpDecoderBlock2D"] * 2,
        "scaling_factor": 0.13025,
    }, (1, 4, 3, 7), 1.0, "old",
     "mid attention stored as query/key/value/proj_attn (older checkpoints); 3 resnets per up block, "
     "3x7 -> 6x14, attention over 21 pixels with one head of 9"),
    ("kl_plain", KL, {
        "_class_name": KL, "act_fn": "silu", "block_out_channels": [10], "in_channels": 3, "out_channels": 3,
        "latent_channels": 4, "layers_per_block": 1, "norm_num_groups": 5, "sample_size": 5,
        "down_block_types": ["DownEncoderBlock2D"], "up_block_types": ["UpDecoderBlock2D"],
        "scaling_factor": 0.5, "use_post_quant_conv": False, "mid_block_add_attention": False,
    }, (1, 4, 5, 3), 1.0, "new",
     "no post_quant_conv and no mid attention (use_post_quant_conv / mid_block_add_attention false); one "
     "block, no upsampler: 5x3 -> 5x3"),
    ("taesd", TINY, {
        "_class_name": TINY, "act_fn": "relu", "in_channels": 3, "out_channels": 3, "latent_channels": 4,
        "encoder_block_out_channels": [8, 8, 8, 8], "decoder_block_out_channels": [8, 8, 8, 8],
        "num_encoder_blocks": [1, 3, 3, 3], "num_decoder_blocks": [2, 1, 2, 1], "upsampling_scaling_factor": 2,
        "latent_magnitude": 3, "latent_shift": 0.5, "scaling_factor": 1.0, "force_upcast": False,
    }, (2, 4, 4, 5), 4.0, "new",
     "4 stages of 8 channels (the real model has 64), 2/1/2/1 blocks, 3 upsamplers: 4x5 -> 32x40; latents "
     "up to ~30 in size so tanh(x/3)*3 saturates"),
]


def main():
    torch.set_num_threads(1)
    os.makedirs(FIXTURE_DIR, exist_ok=True)
    g = torch.Generator().manual_seed(11)
    tensors, out = {}, []
    for i, (name, cls, config, shape, scale, naming, about) in enumerate(CASES):
        build = build_tiny_vae if cls == KL else build_tiny_taesd
        model = build(100 + i, **{k: v for k, v in config.items() if not k.startswith("_")})
        latents = hard_input(shape, g, scale=scale).to(torch.float32)
        with torch.no_grad():
            ref = model.double()(latents.double())
            got32 = model.float()(latents)
        err = float((got32.double() - ref).abs().max())
        sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
        ref16 = None
        if name in F16_CASES:
            # The engine can keep weight matrices (every `.weight` of rank >= 2) as f16: the same
            # decode with exactly those rounded to half precision, in float64.
            model = model.double()
            with torch.no_grad():
                for k, v in model.named_parameters():
                    if k.endswith(".weight") and v.dim() >= 2:
                        v.copy_(v.half().double())
                ref16 = model(latents.double())
        if naming == "old":
            sd = rename_to_old_attention(sd)
        # A real vae/ file also holds the encoder: one stray tensor shows the loader filters by name.
        if cls == KL:
            sd["encoder.conv_in.weight"] = torch.randn(config["block_out_channels"][0], 3, 3, 3, generator=g)
        for k, v in sd.items():
            tensors[f"{name}/{k}"] = f32(v)
        tensors[f"in/{name}/latents"] = f32(latents)
        tensors[f"out/{name}/image"] = f32(ref)
        outputs = {"image": f"out/{name}/image"}
        shapes = {"latents": list(latents.shape), "image": list(ref.shape)}
        if ref16 is not None:
            tensors[f"out/{name}/image_f16_weights"] = f32(ref16)
            outputs["image_f16_weights"] = f"out/{name}/image_f16_weights"
            shapes["image_f16_weights"] = list(ref16.shape)
        out.append({
            "name": name, "class": cls, "about": about, "config": config, "param_prefix": f"{name}/",
            "attention_naming": naming if cls == KL and config.get("mid_block_add_attention", True) else None,
            "inputs": {"latents": f"in/{name}/latents"}, "outputs": outputs, "shapes": shapes,
            "atol": max(1e-5, float(f"{10 * err:.1e}")), "rtol": 1e-4,
            "torch_f32_max_abs_err": float(f"{err:.3g}"), "max_abs_ref": float(f"{float(ref.abs().max()):.4g}"),
        })
    # One AutoencoderTinyBlock that changes width: DecoderTiny never builds one (its skip is always the
    # identity), but the block's 1x1 bias-less skip conv is part of its definition.
    block = randomize(TinyBlock(8, 12), torch.Generator().manual_seed(200)).eval()
    x = hard_input((1, 8, 5, 7), g).to(torch.float32)
    with torch.no_grad():
        ref = block.double()(x.double())
        err = float((block.float()(x).double() - ref).abs().max())
    for k, v in block.state_dict().items():
        tensors[f"tiny_block_skip/block.{k}"] = f32(v)
    tensors["in/tiny_block_skip/x"] = f32(x)
    tensors["out/tiny_block_skip/y"] = f32(ref)
    out.append({
        "name": "tiny_block_skip", "class": "AutoencoderTinyBlock", "about": "AutoencoderTinyBlock(8, 12): "
        "relu(conv.4(relu(conv.2(relu(conv.0(x))))) + skip(x)), skip a 1x1 conv without bias; params 'block.*'",
        "config": {"in_channels": 8, "out_channels": 12, "act_fn": "relu"}, "param_prefix": "tiny_block_skip/",
        "inputs": {"x": "in/tiny_block_skip/x"}, "outputs": {"y": "out/tiny_block_skip/y"},
        "shapes": {"x": list(x.shape), "y": list(ref.shape)},
        "atol": max(1e-5, float(f"{10 * err:.1e}")), "rtol": 1e-4,
        "torch_f32_max_abs_err": float(f"{err:.3g}"), "max_abs_ref": float(f"{float(ref.abs().max()):.4g}"),
    })
    path = os.path.join(FIXTURE_DIR, "vae.safetensors")
    write_safetensors(path, tensors, {"format": "pt"})
    write_json(os.path.join(FIXTURE_DIR, "vae.json"), {
        "schema": 1,
        "about": "Tiny random image decoders (training/diffusion/vae_ref.py): AutoencoderKL's decode path "
                 "(post_quant_conv + decoder) and AutoencoderTiny's decoder, diffusers naming. Parameters are "
                 "'<case>/<diffusers key>' in vae.safetensors (F32), with the case's config.json in `config`. "
                 "`latents` are SD-space latents (what the UNet makes); `image` is the pipeline's decode of "
                 "them: the model applied to latents / scaling_factor, NCHW, about [-1, 1], unclamped. "
                 "`image_f16_weights` is the same decode with every weight matrix (`.weight` of rank >= 2) "
                 "rounded to f16, as the engine stores them with matrixType f16. "
                 "PyTorch float64 on the "
                 "stored f32 values, rounded to f32. Pass: |y - ref| <= atol + rtol * |ref| elementwise.",
        "file": "vae.safetensors", "cases": out})
    for c in out:
        print(f"{c['name']:14s} f32 err {c['torch_f32_max_abs_err']:.2e}  atol {c['atol']:.1e}  max|ref| {c['max_abs_ref']}")
    for fn in ("vae.json", "vae.safetensors"):
        print(f"  {fn}: {os.path.getsize(os.path.join(FIXTURE_DIR, fn)):,} bytes")


if __name__ == "__main__":
    main()
