"""Export the trained EMA weights to public/models/emoji-unet/.

    /usr/bin/python3 training/diffusion/export.py [--checkpoint .cache/diffusion/final.pt]

Writes diffusion_pytorch_model.safetensors (F32: the UNet's diffusers keys + text_embedding.weight),
config.json (diffusers UNet2DConditionModel keys + an "emoji_unet" section), scheduler_config.json
(diffusers DDIMScheduler keys) and vocab.json (word -> id).
"""

import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import scheduler  # noqa: E402
from model import EmojiDiffusion, UNetConfig  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "public", "models", "emoji-unet"))
WEIGHTS = "diffusion_pytorch_model.safetensors"

DEFAULT_STEPS = 20
DEFAULT_GUIDANCE = 3.0


def unet_config_json(cfg: UNetConfig, vocab_size, train_info):
    c = cfg.to_dict()
    return {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": "0.25.0",
        "sample_size": c["sample_size"],
        "in_channels": c["in_channels"],
        "out_channels": c["out_channels"],
        "center_input_sample": False,
        "flip_sin_to_cos": c["flip_sin_to_cos"],
        "freq_shift": c["freq_shift"],
        "down_block_types": c["down_block_types"],
        "mid_block_type": c["mid_block_type"],
        "up_block_types": c["up_block_types"],
        "only_cross_attention": False,
        "block_out_channels": c["block_out_channels"],
        "layers_per_block": c["layers_per_block"],
        "downsample_padding": c["downsample_padding"],
        "mid_block_scale_factor": c["mid_block_scale_factor"],
        "act_fn": c["act_fn"],
        "norm_num_groups": c["norm_num_groups"],
        "norm_eps": c["norm_eps"],
        "cross_attention_dim": c["cross_attention_dim"],
        "transformer_layers_per_block": 1,
        "attention_head_dim": c["attention_head_dim"],
        "num_attention_heads": None,
        "dual_cross_attention": False,
        "use_linear_projection": False,
        "class_embed_type": None,
        "upcast_attention": False,
        "resnet_time_scale_shift": "default",
        "time_embedding_type": "positional",
        "conv_in_kernel": 3,
        "conv_out_kernel": 3,
        "emoji_unet": {
            "about": "Pixel-space emoji UNet (no VAE) trained in training/diffusion/ on 32x32 Twemoji "
                     "(CC-BY 4.0, Twitter). attention_head_dim is diffusers' legacy field: it is the NUMBER "
                     "of heads (head dim = channels / attention_head_dim).",
            "prediction_type": scheduler.PREDICTION_TYPE,
            "sample_range": [-1.0, 1.0],
            "sample_layout": "NCHW, RGB, x = 2 * rgb - 1 with rgb in [0, 1], composited over white",
            "text_embedding": {
                "tensor": "text_embedding.weight",
                "shape": [vocab_size, c["cross_attention_dim"]],
                "rule": "encoder_hidden_states[s] = text_embedding.weight[ids[s]] (no position embedding, no norm)",
            },
            "tokenizer": {
                "vocab": "vocab.json",
                "normalize": "NFKD",
                "lowercase": True,
                "split": "[^a-z0-9]+",
                "max_length": data.MAX_TOKENS,
                "pad_id": data.PAD_ID,
                "unk_id": data.UNK_ID,
                "padding": "right, to max_length; longer prompts are truncated to the first max_length words",
                "unconditional": "all max_length ids = pad_id (the empty prompt)",
            },
            "sampler_defaults": {"scheduler": "DDIM eta 0 (scheduler_config.json)",
                                 "num_inference_steps": DEFAULT_STEPS, "guidance_scale": DEFAULT_GUIDANCE},
            "training": train_info,
        },
    }


def scheduler_config_json():
    return {
        "_class_name": "DDIMScheduler",
        "_diffusers_version": "0.25.0",
        "num_train_timesteps": scheduler.NUM_TRAIN_TIMESTEPS,
        "beta_start": 0.0001,
        "beta_end": 0.02,
        "beta_schedule": scheduler.BETA_SCHEDULE,
        "trained_betas": None,
        "clip_sample": True,
        "clip_sample_range": 1.0,
        "set_alpha_to_one": True,
        "steps_offset": 0,
        "prediction_type": scheduler.PREDICTION_TYPE,
        "thresholding": False,
        "timestep_spacing": scheduler.TIMESTEP_SPACING,
        "rescale_betas_zero_snr": False,
    }


def load_checkpoint(path):
    ck = torch.load(path)
    cfg = UNetConfig(**ck["config"])
    model = EmojiDiffusion(cfg)
    model.load_state_dict(ck["ema"])
    return model, ck


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(data.WORK_DIR, "final.pt"))
    args = ap.parse_args()
    model, ck = load_checkpoint(args.checkpoint)
    vocab = ck["vocab"]
    _, entries, vocab_now = data.load_dataset()
    if vocab_now != vocab:
        raise SystemExit("vocabulary in the checkpoint differs from data.build_vocab(): stale checkpoint?")

    last = ck["history"][-1] if ck["history"] else {}
    train_info = {"steps": ck["step"], "batch": ck["args"]["batch"], "seed": ck["args"]["seed"],
                  "images": len(entries), "weights": "EMA", "final_loss": round(last.get("loss", float("nan")), 5),
                  "seconds": round(ck["elapsed"])}
    os.makedirs(OUT_DIR, exist_ok=True)
    sd = {k: v.detach().float().numpy() for k, v in model.flat_state_dict().items()}
    write_safetensors(os.path.join(OUT_DIR, WEIGHTS), sd, {"format": "pt"})
    with open(os.path.join(OUT_DIR, "config.json"), "w") as f:
        json.dump(unet_config_json(model.config, len(vocab), train_info), f, indent=2)
        f.write("\n")
    with open(os.path.join(OUT_DIR, "scheduler_config.json"), "w") as f:
        json.dump(scheduler_config_json(), f, indent=2)
        f.write("\n")
    with open(os.path.join(OUT_DIR, "vocab.json"), "w") as f:
        json.dump(vocab, f, indent=0, ensure_ascii=True)
        f.write("\n")
    n = sum(v.size for v in sd.values())
    print(f"wrote {OUT_DIR}: {len(sd)} tensors, {n:,} floats "
          f"({os.path.getsize(os.path.join(OUT_DIR, WEIGHTS)):,} bytes)")


if __name__ == "__main__":
    main()
