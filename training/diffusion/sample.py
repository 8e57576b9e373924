"""Sample the exported model: a grid of prompts x seeds, upscaled (nearest) for viewing.

    /usr/bin/python3 training/diffusion/sample.py --out /tmp/grid.png "smiling face" "red heart" ...

Rows are prompts, columns seeds 0..n-1; DDIM eta 0 with classifier-free guidance, as in the app.
"""

import argparse
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import scheduler  # noqa: E402
from fixtures import load_shipped_model  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prompts", nargs="*", default=["smiling face", "red heart", "cat face", "pizza",
                                                   "flag", "sun", "rocket", "thumbs up"])
    ap.add_argument("--out", default=os.path.join(data.WORK_DIR, "grid.png"))
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--guidance", type=float, default=3.0)
    ap.add_argument("--scale", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, vocab = load_shipped_model()
    rows = []
    for prompt in args.prompts:
        noise = torch.cat([torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(s))
                           for s in range(args.seeds)])
        ids = torch.tensor([data.tokenize(prompt, vocab)] * args.seeds)
        null = torch.tensor([data.tokenize("", vocab)] * args.seeds)
        x = scheduler.sample(model, noise, ids, null, args.steps, args.guidance).numpy()
        rows.append(np.concatenate(list(x), axis=2))  # [3, 32, 32 * seeds]
        print(prompt, "->", [w for w in data.words(prompt)], data.tokenize(prompt, vocab)[:6], flush=True)
    grid = np.concatenate(rows, axis=1)
    grid = grid.repeat(args.scale, axis=1).repeat(args.scale, axis=2)
    data.save_png(args.out, grid)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
