"""Train the emoji UNet (v-prediction, cosine schedule) on CPU, seeded, one thread.

    /usr/bin/python3 training/diffusion/train.py --steps 2000 > .cache/diffusion/train.log

Checkpoints (model, EMA, optimizer, RNG state) go to WORK_DIR/checkpoint.pt every --save-every steps;
re-running the same command resumes from it. The finished run is WORK_DIR/final.pt (EMA weights are
the ones exported). WORK_DIR defaults to .cache/diffusion (git-ignored).

Everything random (init, data order, prompt variant, prompt dropout, t, noise) comes from seeded
generators, so the same PyTorch build on one thread gives the same weights.
"""

import argparse
import copy
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import scheduler  # noqa: E402
from model import EmojiDiffusion, UNetConfig, count_params  # noqa: E402

# Prompt variants per training example, drawn independently each time an image is used.
# "null" is the all-pad prompt (classifier-free guidance dropout).
VARIANTS = [("null", 0.10), ("name", 0.30), ("category name", 0.25), ("short", 0.15),
            ("category short", 0.15), ("category", 0.05)]


def variant_ids(entries, vocab):
    """[N, len(VARIANTS), MAX_TOKENS] int64 token ids of every prompt variant of every image."""
    out = []
    for e in entries:
        texts = {"null": "", "name": e["name"], "short": e["short_name"], "category": e["category"],
                 "category name": e["category"] + " " + e["name"],
                 "category short": e["category"] + " " + e["short_name"]}
        out.append([data.tokenize(texts[v], vocab) for v, _ in VARIANTS])
    return torch.tensor(out, dtype=torch.long)


def lr_at(step, total, peak, warmup, floor=0.1):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p)))


@torch.no_grad()
def fixed_loss(model, images, ids, n=256, seed=99, batch=64):
    """v-prediction MSE on a fixed set: every 14th image, fixed t and noise, full-name prompts."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.arange(0, images.shape[0], 14)[:n]
    t = torch.randint(0, scheduler.NUM_TRAIN_TIMESTEPS, (len(idx),), generator=g)
    noise = torch.randn(len(idx), *images.shape[1:], generator=g)
    model.eval()
    total = 0.0
    for i in range(0, len(idx), batch):
        x0 = images[idx[i:i + batch]]
        nz, tt = noise[i:i + batch], t[i:i + batch]
        v = model(scheduler.add_noise(x0, nz, tt), tt, ids[idx[i:i + batch], 1])
        total += F.mse_loss(v, scheduler.v_target(x0, nz, tt), reduction="sum").item()
    model.train()
    return total / noise.numel()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--ema", type=float, default=0.998)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--max-minutes", type=float, default=0, help="stop (after saving) once exceeded; 0 = no limit")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    images_np, entries, vocab = data.load_dataset()
    images = torch.from_numpy(images_np)
    ids = variant_ids(entries, vocab)
    probs = torch.tensor([p for _, p in VARIANTS], dtype=torch.float64)
    cfg = UNetConfig(vocab_size=len(vocab), max_tokens=data.MAX_TOKENS)
    N = images.shape[0]

    torch.manual_seed(args.seed)
    model = EmojiDiffusion(cfg)
    ema = copy.deepcopy(model)
    for p in ema.parameters():
        p.requires_grad_(False)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.dim() >= 2 and name != "text_embedding.weight" else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.999))
    gen = torch.Generator().manual_seed(args.seed + 1)
    order, pos, step, history, elapsed = torch.randperm(N, generator=gen), 0, 0, [], 0.0

    ckpt_path = os.path.join(data.WORK_DIR, "checkpoint.pt")
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        if ck["args"] == vars(args) and ck.get("schedule") == scheduler.BETA_SCHEDULE + "/" + scheduler.PREDICTION_TYPE:
            model.load_state_dict(ck["model"])
            ema.load_state_dict(ck["ema"])
            opt.load_state_dict(ck["opt"])
            gen.set_state(ck["gen"])
            order, pos, step, history, elapsed = ck["order"], ck["pos"], ck["step"], ck["history"], ck["elapsed"]
            print(f"resumed at step {step} ({elapsed:.0f} s so far)", flush=True)

    def save(path):
        os.makedirs(data.WORK_DIR, exist_ok=True)
        torch.save({"args": vars(args), "schedule": scheduler.BETA_SCHEDULE + "/" + scheduler.PREDICTION_TYPE,
                    "config": cfg.to_dict(), "vocab": vocab, "model": model.state_dict(),
                    "ema": ema.state_dict(), "opt": opt.state_dict(), "gen": gen.get_state(), "order": order,
                    "pos": pos, "step": step, "history": history, "elapsed": elapsed}, path + ".tmp")
        os.replace(path + ".tmp", path)

    print(f"images {N}, vocab {len(vocab)}, params {count_params(model):,} "
          f"(unet {count_params(model.unet):,}), batch {args.batch}, steps {args.steps}", flush=True)
    t_start = time.time() - elapsed
    run_loss, run_n = 0.0, 0
    while step < args.steps:
        if pos + args.batch > N:  # new epoch: drop the ragged tail, reshuffle
            order, pos = torch.randperm(N, generator=gen), 0
        idx = order[pos:pos + args.batch]
        pos += args.batch
        variant = torch.multinomial(probs, len(idx), replacement=True, generator=gen)
        tok = ids[idx, variant]
        t = torch.randint(0, scheduler.NUM_TRAIN_TIMESTEPS, (len(idx),), generator=gen)
        noise = torch.randn(len(idx), *images.shape[1:], generator=gen)
        x_t = scheduler.add_noise(images[idx], noise, t)

        for grp in opt.param_groups:
            grp["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        loss = F.mse_loss(model(x_t, t, tok), scheduler.v_target(images[idx], noise, t))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        d = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(pm, alpha=1 - d)
        step += 1
        run_loss += loss.item()
        run_n += 1
        elapsed = time.time() - t_start

        if step % 25 == 0:
            print(f"step {step} loss {run_loss / run_n:.4f} lr {lr_at(step - 1, args.steps, args.lr, args.warmup):.2e} "
                  f"{elapsed:.0f}s", flush=True)
            history.append({"step": step, "loss": run_loss / run_n, "elapsed": round(elapsed, 1)})
            run_loss, run_n = 0.0, 0
        if step % args.eval_every == 0 or step == args.steps:
            fl, fe = fixed_loss(model, images, ids), fixed_loss(ema, images, ids)
            history[-1].update({"fixed_loss": fl, "fixed_loss_ema": fe})
            print(f"  eval step {step}: fixed-set loss {fl:.4f}, EMA {fe:.4f}", flush=True)
        if step % args.save_every == 0 or step == args.steps:
            save(ckpt_path)
        if args.max_minutes and elapsed > args.max_minutes * 60:
            save(ckpt_path)
            print(f"stopping at step {step}: over {args.max_minutes} min", flush=True)
            return

    save(os.path.join(data.WORK_DIR, "final.pt"))
    print(f"done: {step} steps in {elapsed:.0f} s", flush=True)


if __name__ == "__main__":
    main()
