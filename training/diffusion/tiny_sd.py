"""A tiny random Stable Diffusion 2.x-shaped repository in diffusers layout, and its reference run.

    /usr/bin/python3 training/diffusion/tiny_sd.py

Nothing here is trained: the weights are random (seeded), the shapes are SD 2.x's kinds (CLIP text
encoder with gelu, a latent UNet with linear projections and per-block head counts, an AutoencoderKL
decoder that upsamples 8x, TAESD), only tiny. It exercises every part of the playground's SD pipeline
and the hub loader (the e2e spec serves these files with the hub's URL shape) against an independent
float64 PyTorch run of the same pipeline:

- training/fixtures/sd-tiny/: model_index.json, scheduler/, tokenizer/, text_encoder/, unet/, vae/
  (F32 safetensors, plus `.fp16` variants of the UNet as real repos ship them).
- training/fixtures/taesd-tiny/: config.json + diffusion_pytorch_model.safetensors.
- training/fixtures/diffusion/sd-tiny.json + sd-tiny.safetensors: the runs (prompt, seed, steps,
  guidance, size, sampler) with the float64 latents after each step and the decoded images.

The initial latents are the playground's seededNoise(seed) (seeded_fixture.py ports it), scaled by the
sampler's init_noise_sigma; Euler is deterministic after that, so the GPU run must reproduce it.
"""

import json
import math
import os
import shutil
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from clip_ref import ClipTokenizer, build_tiny_clip, forward_f64, train_bpe  # noqa: E402
from fixtures import randomize  # noqa: E402
from model import UNet2DConditionModel, UNetConfig  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402
from seeded_fixture import seeded_noise  # noqa: E402
from vae_ref import build_tiny_taesd, build_tiny_vae  # noqa: E402

FIX = os.path.normpath(os.path.join(HERE, "..", "fixtures"))
REPO = os.path.join(FIX, "sd-tiny")
TAESD = os.path.join(FIX, "taesd-tiny")

TEXTS = ["a photo of a red fox in the snow", "an astronaut riding a horse on the moon",
         "a watercolor painting of a lighthouse at dawn", "two cats sleeping on a sofa, 4k"]
CLIP_CFG = dict(hidden_size=24, intermediate_size=48, num_attention_heads=3, num_hidden_layers=2,
                max_position_embeddings=77, hidden_act="gelu", layer_norm_eps=1e-5)
UNET_CFG = {
    "_class_name": "UNet2DConditionModel", "sample_size": 8, "in_channels": 4, "out_channels": 4,
    "block_out_channels": [16, 32], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "mid_block_type": "UNetMidBlock2DCrossAttn",
    "layers_per_block": 1, "cross_attention_dim": 24, "attention_head_dim": [2, 4], "norm_num_groups": 8,
    "norm_eps": 1e-5, "flip_sin_to_cos": True, "freq_shift": 0, "act_fn": "silu", "use_linear_projection": True,
    "center_input_sample": False, "downsample_padding": 1, "mid_block_scale_factor": 1,
}
VAE_CFG = {"_class_name": "AutoencoderKL", "in_channels": 3, "out_channels": 3, "latent_channels": 4,
           "block_out_channels": [8, 8, 16, 16], "layers_per_block": 1, "norm_num_groups": 4, "act_fn": "silu",
           "scaling_factor": 0.18215, "sample_size": 64,
           "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4}
TAESD_CFG = {"_class_name": "AutoencoderTiny", "in_channels": 3, "out_channels": 3, "latent_channels": 4,
             "encoder_block_out_channels": [8, 8, 8, 8], "decoder_block_out_channels": [8, 8, 8, 8],
             "num_encoder_blocks": [1, 1, 1, 1], "num_decoder_blocks": [1, 1, 1, 1], "act_fn": "relu",
             "upsample_fn": "nearest", "upsampling_scaling_factor": 2, "latent_magnitude": 3, "latent_shift": 0.5,
             "scaling_factor": 1.0}
SCHED_CFG = {"_class_name": "EulerDiscreteScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "beta_start": 0.00085, "clip_sample": False, "interpolation_type": "linear", "num_train_timesteps": 1000,
             "prediction_type": "epsilon", "set_alpha_to_one": False, "steps_offset": 1,
             "timestep_spacing": "trailing", "use_karras_sigmas": False}
RUNS = [{"prompt": "a red fox in the snow", "negative_prompt": "", "seed": 7, "steps": 2, "guidance": 2.0,
         "width": 64, "height": 64, "sampler": "euler"},
        {"prompt": "an astronaut riding a horse", "negative_prompt": "", "seed": 3, "steps": 1, "guidance": 0.0,
         "width": 64, "height": 128, "sampler": "euler"}]


def dump_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def state(module):
    return {k: v.detach().numpy().astype(np.float32) for k, v in module.state_dict().items()}


def euler_sigmas(steps):
    """k-diffusion sigmas at the trailing timesteps of SCHED_CFG, float64, plus the final 0."""
    n = SCHED_CFG["num_train_timesteps"]
    betas = np.linspace(SCHED_CFG["beta_start"] ** 0.5, SCHED_CFG["beta_end"] ** 0.5, n) ** 2
    ab = np.cumprod(1.0 - betas)
    ts = [int(round(n - k * n / steps)) - 1 for k in range(steps)]
    return ts, [math.sqrt((1 - ab[t]) / ab[t]) for t in ts] + [0.0]


def main():
    torch.set_num_threads(1)
    for d in (REPO, TAESD):
        shutil.rmtree(d, ignore_errors=True)
    # Tokenizer: a small byte-level BPE with CLIP's conventions, trained on a few captions.
    vocab, merges = train_bpe(TEXTS, 60, set(range(32, 127)))
    merges_txt = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)
    tok_cfg = {"model_max_length": 77, "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
               "unk_token": "<|endoftext|>", "pad_token": "!", "do_lower_case": True}
    tok = ClipTokenizer(vocab, merges_txt, tok_cfg)
    os.makedirs(os.path.join(REPO, "tokenizer"))
    dump_json(os.path.join(REPO, "tokenizer", "vocab.json"), vocab)
    with open(os.path.join(REPO, "tokenizer", "merges.txt"), "w") as f:
        f.write(merges_txt)
    dump_json(os.path.join(REPO, "tokenizer", "tokenizer_config.json"), tok_cfg)

    clip = build_tiny_clip(11, vocab_size=len(vocab), **CLIP_CFG)
    dump_json(os.path.join(REPO, "text_encoder", "config.json"), clip.config.to_hf())
    write_safetensors(os.path.join(REPO, "text_encoder", "model.safetensors"), state(clip), {"format": "pt"})

    ucfg = UNetConfig(**{k: v for k, v in UNET_CFG.items() if k in UNetConfig.__dataclass_fields__})
    unet = randomize(UNet2DConditionModel(ucfg), torch.Generator().manual_seed(12)).eval()
    dump_json(os.path.join(REPO, "unet", "config.json"), UNET_CFG)
    write_safetensors(os.path.join(REPO, "unet", "diffusion_pytorch_model.safetensors"), state(unet), {"format": "pt"})
    write_safetensors(os.path.join(REPO, "unet", "diffusion_pytorch_model.fp16.safetensors"), state(unet), {"format": "pt"}, dtype="F16")

    vae = build_tiny_vae(13, **{k: v for k, v in VAE_CFG.items() if not k.startswith("_") and k not in ("sample_size", "down_block_types")})
    dump_json(os.path.join(REPO, "vae", "config.json"), VAE_CFG)
    write_safetensors(os.path.join(REPO, "vae", "diffusion_pytorch_model.safetensors"), state(vae), {"format": "pt"})

    taesd = build_tiny_taesd(14, **{k: v for k, v in TAESD_CFG.items() if not k.startswith("_")})
    dump_json(os.path.join(TAESD, "config.json"), TAESD_CFG)
    write_safetensors(os.path.join(TAESD, "diffusion_pytorch_model.safetensors"), state(taesd), {"format": "pt"})

    dump_json(os.path.join(REPO, "scheduler", "scheduler_config.json"), SCHED_CFG)
    dump_json(os.path.join(REPO, "model_index.json"), {
        "_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.25.0",
        "scheduler": ["diffusers", "EulerDiscreteScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"], "safety_checker": [None, None], "feature_extractor": [None, None],
        "requires_safety_checker": False})

    # The reference runs, float64 throughout.
    unet64 = UNet2DConditionModel(ucfg).double()
    unet64.load_state_dict({k: v.double() for k, v in unet.state_dict().items()})
    vae64, taesd64 = vae.double(), taesd.double()
    tensors, runs = {}, []
    for r_i, run in enumerate(RUNS):
        ids = [tok.encode(run["prompt"])]
        cfg = run["guidance"] > 1
        if cfg:
            ids.insert(0, tok.encode(run["negative_prompt"]))
        hidden = forward_f64(clip, ids)  # [B, 77, 24]
        lh, lw = run["height"] // 8, run["width"] // 8
        ts, sigmas = euler_sigmas(run["steps"])
        noise = seeded_noise(run["seed"], 4 * lh * lw).astype(np.float64).reshape(1, 4, lh, lw)
        x = torch.tensor(noise) * max(sigmas)
        key = f"run{r_i}"
        with torch.no_grad():
            for i, t in enumerate(ts):
                s = sigmas[i]
                xin = x / math.sqrt(s * s + 1)
                if cfg:
                    out = unet64(torch.cat([xin, xin]), torch.tensor([float(t)] * 2, dtype=torch.float64), hidden)
                    eps = out[0:1] + run["guidance"] * (out[1:2] - out[0:1])
                else:
                    eps = unet64(xin, torch.tensor([float(t)], dtype=torch.float64), hidden)
                x0 = x - s * eps
                x = x + (x - x0) / s * (sigmas[i + 1] - s)
                tensors[f"{key}/latents{i}"] = x[0].numpy().astype(np.float32)
            image = vae64(x)[0]
            fast = taesd64(x)[0]
        tensors[f"{key}/image"] = image.numpy().astype(np.float32)
        tensors[f"{key}/taesd"] = fast.numpy().astype(np.float32)
        runs.append({**run, "key": key, "ids": ids, "timesteps": ts, "sigmas": sigmas})
        print(f"{key}: {run['prompt']!r} {run['width']}x{run['height']} steps {ts}; image range "
              f"[{float(image.min()):.3f}, {float(image.max()):.3f}]")
    write_safetensors(os.path.join(FIX, "diffusion", "sd-tiny.safetensors"), tensors, {"format": "pt"})
    dump_json(os.path.join(FIX, "diffusion", "sd-tiny.json"), {
        "repo": "training/fixtures/sd-tiny", "taesd": "training/fixtures/taesd-tiny", "runs": runs,
        "about": "float64 PyTorch runs of the tiny random SD repo: latents after each Euler step, the VAE "
                 "decode and the TAESD decode of the final latents ([3, H, W]). Initial latents are "
                 "seededNoise(seed) x the largest sigma."})


if __name__ == "__main__":
    main()
