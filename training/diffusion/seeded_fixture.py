"""The playground's own seeded run of the emoji model, computed independently in float64 numpy.

    /usr/bin/python3 training/diffusion/seeded_fixture.py

The image tab draws its initial noise with `seededNoise(seed)` (src/models/unet/emoji.ts: mulberry32
uniforms, Box-Muller pairs, stored as float32). This script reproduces that noise bit for bit, runs the
README's DDIM sampler with classifier-free guidance on spec_numpy.SpecUNet (the float64 spec of the
shipped model), and writes what the browser must show:

- training/fixtures/diffusion/seeded.json: prompt, seed, steps, guidance, the first noise values
  (a unit test holds seededNoise to them) and the PSNR bar.
- training/fixtures/diffusion/seeded-<slug>.png: the final image as RGBA bytes, rounded the way
  toRgba() rounds ((x + 1) / 2 * 255, half up, clamped).
"""

import json
import math
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from spec_numpy import SpecUNet, ddim_sample  # noqa: E402

MODEL_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "public", "models", "emoji-unet"))
FIXTURE_DIR = os.path.normpath(os.path.join(HERE, "..", "fixtures", "diffusion"))
# The e2e spec types this prompt with 3 steps and keeps the tab's default guidance and seed.
RUNS = [{"prompt": "red heart", "seed": 42, "steps": 3, "guidance": 3.0}]
MASK = 0xFFFFFFFF


def imul(a, b):
    """JavaScript's Math.imul: the low 32 bits of the product, as unsigned here."""
    return (a * b) & MASK


def mulberry32(seed):
    a = seed & MASK

    def nxt():
        nonlocal a
        a = (a + 0x6D2B79F5) & MASK
        t = a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & MASK
        t &= MASK
        return ((t ^ (t >> 14)) & MASK) / 4294967296.0

    return nxt


def seeded_noise(seed, n):
    """seededNoise(seed, n): Box-Muller pairs over mulberry32, float32."""
    r = mulberry32(seed)
    out = np.zeros(n, dtype=np.float32)
    for i in range(0, n, 2):
        u1 = max(r(), 1e-12)
        u2 = r()
        m = math.sqrt(-2.0 * math.log(u1))
        out[i] = m * math.cos(2 * math.pi * u2)
        if i + 1 < n:
            out[i + 1] = m * math.sin(2 * math.pi * u2)
    return out


def to_rgba(x):
    """[3, H, W] in [-1, 1] -> [H, W, 4] uint8, as toRgba()."""
    v = np.floor((x + 1) / 2 * 255 + 0.5)
    rgb = np.clip(v, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    alpha = np.full(rgb.shape[:2] + (1,), 255, dtype=np.uint8)
    return np.concatenate([rgb, alpha], axis=2)


def main():
    net = SpecUNet(MODEL_DIR)
    size = net.c["sample_size"]
    chans = net.c["in_channels"]
    entries = []
    for run in RUNS:
        noise = seeded_noise(run["seed"], chans * size * size)
        x = ddim_sample(net, noise.reshape(chans, size, size), run["prompt"], steps=run["steps"], guidance=run["guidance"])
        slug = run["prompt"].replace(" ", "-")
        png = f"seeded-{slug}.png"
        Image.fromarray(to_rgba(x), "RGBA").save(os.path.join(FIXTURE_DIR, png))
        entries.append({**run, "image": png, "noise_head": [float(v) for v in noise[:8]], "min_psnr_db": 35})
        print(f"{run['prompt']!r} seed {run['seed']} {run['steps']} steps -> {png}")
    with open(os.path.join(FIXTURE_DIR, "seeded.json"), "w") as f:
        json.dump({"model": "public/models/emoji-unet", "runs": entries}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
