"""Train the embedded model on CPU, seeded and reproducible.

    nice -n 10 /usr/bin/python3 training/train.py --steps 1000

Writes training/checkpoint.pt (weights + config + metrics) and training/RESULTS.md.
The tokenizer (training/tokenizer.json) is trained first if it is missing.
"""

import argparse
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import load_documents, split_documents  # noqa: E402
from model import Config, Llama  # noqa: E402
from tokenizer_bpe import Tokenizer, train_bpe  # noqa: E402


def token_stream(tok, docs):
    """<|endoftext|> doc <|endoftext|> doc ... <|endoftext|>: the separator doubles as BOS/EOS."""
    ids = [tok.eot_id]
    for _, text in docs:
        ids += tok.encode(text, allow_special=False)
        ids.append(tok.eot_id)
    return torch.tensor(ids, dtype=torch.long)


def batch_at(stream, offsets, T):
    x = torch.stack([stream[o:o + T] for o in offsets])
    y = torch.stack([stream[o + 1:o + T + 1] for o in offsets])
    return x, y


@torch.no_grad()
def eval_loss(model, stream, T, max_windows=96, batch=16):
    """Mean loss over fixed, evenly spaced windows (the same every call)."""
    model.eval()
    n = min(max_windows, (len(stream) - 1) // T)
    step = (len(stream) - 1 - T) // max(1, n - 1)
    offsets = [i * step for i in range(n)]
    total, count = 0.0, 0
    for i in range(0, n, batch):
        x, y = batch_at(stream, offsets[i:i + batch], T)
        logits = model(x)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
        count += y.numel()
    model.train()
    return total / count


@torch.no_grad()
def generate(model, ids, n, temperature=0.0, top_k=40, gen=None):
    ids = list(ids)
    for _ in range(n):
        logits = model(torch.tensor([ids[-model.c.context_length:]]))[0, -1]
        if temperature == 0.0:
            nxt = int(logits.argmax())
        else:
            v, i = torch.topk(logits / temperature, top_k)
            nxt = int(i[torch.multinomial(v.softmax(-1), 1, generator=gen)])
        ids.append(nxt)
    return ids


def lr_at(step, total, peak, warmup, floor=0.1):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=150)
    ap.add_argument("--out", default=os.path.join(HERE, "checkpoint.pt"))
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--measure", type=int, default=0, help="only time this many steps, save nothing")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    t_start = time.time()

    train_docs, val_docs = split_documents(load_documents())
    tok_path = os.path.join(HERE, "tokenizer.json")
    if not os.path.exists(tok_path):
        train_bpe([t for _, t in train_docs]).save(tok_path)
    tok = Tokenizer.load(tok_path)
    train_ids, val_ids = token_stream(tok, train_docs), token_stream(tok, val_docs)
    print(f"train tokens {len(train_ids)}, val tokens {len(val_ids)} ({len(train_docs)}/{len(val_docs)} docs)")

    cfg = Config(vocab_size=len(tok.tokens), n_layers=args.layers)
    T = cfg.context_length
    model = Llama(cfg)
    print(f"params {model.num_params()}")

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]  # norm weights
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    # Data order comes from its own generator, so it does not depend on anything else drawing numbers.
    data_gen = torch.Generator().manual_seed(args.seed + 1)
    steps = args.measure or args.steps
    t_train, recent, history = time.time(), [], []
    for step in range(steps):
        lr = lr_at(step, steps, args.lr, args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        offsets = torch.randint(0, len(train_ids) - T - 1, (args.batch,), generator=data_gen).tolist()
        x, y = batch_at(train_ids, offsets, T)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        recent = (recent + [loss.item()])[-50:]
        if step % 10 == 0 or step == steps - 1:
            el = time.time() - t_train
            print(f"step {step:5d} loss {loss.item():.4f} avg50 {sum(recent)/len(recent):.4f} "
                  f"lr {lr:.2e} {el:7.1f}s ({el/(step+1):.2f}s/step)", flush=True)
        if not args.measure and args.eval_every and (step + 1) % args.eval_every == 0 and step + 1 < steps:
            vl = eval_loss(model, val_ids, T, max_windows=32)
            history.append((step + 1, sum(recent) / len(recent), vl))
            print(f"  eval step {step+1}: val loss {vl:.4f}", flush=True)
    train_time = time.time() - t_train
    if args.measure:
        print(f"{steps} steps in {train_time:.1f}s")
        return

    train_loss = eval_loss(model, train_ids, T)
    val_loss = eval_loss(model, val_ids, T)
    tokens_seen = steps * args.batch * T
    print(f"final train loss {train_loss:.4f} val loss {val_loss:.4f}, {tokens_seen} tokens, {train_time:.0f}s")

    metrics = dict(train_loss=train_loss, val_loss=val_loss, last50_batch_loss=sum(recent) / len(recent),
                   tokens_seen=tokens_seen, steps=steps, train_seconds=train_time,
                   train_tokens=len(train_ids), val_tokens=len(val_ids), params=model.num_params(),
                   args=vars(args), history=history)
    torch.save({"config": cfg.to_dict(), "model": model.state_dict(), "metrics": metrics}, args.out)

    prompts = ["Call me Ishmael.", "The whale", "It is a truth", "Mr. Speaker, the state of the Union",
               "The ship", "We must"]
    gen = torch.Generator().manual_seed(args.seed + 2)
    model.eval()
    samples = []
    for p in prompts:
        ids = [tok.eot_id] + tok.encode(p)  # BOS first, as in training (each document follows a separator)
        greedy = tok.decode(generate(model, ids, 40)[len(ids):])
        sampled = tok.decode(generate(model, ids, 40, temperature=0.8, gen=gen)[len(ids):])
        samples.append((p, greedy, sampled))
        print(f"{p!r} | greedy: {greedy!r} | sampled: {sampled!r}")

    cmd = "nice -n 10 /usr/bin/python3 training/train.py " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k not in ("out", "results", "measure"))
    lines = [
        "# Training results", "",
        f"Command: `{cmd}`", "",
        f"- Config: {cfg.to_dict()}",
        f"- Parameters: {model.num_params():,}",
        f"- Data: {len(train_docs)} training / {len(val_docs)} validation documents, "
        f"{len(train_ids):,} / {len(val_ids):,} tokens",
        f"- Steps: {steps}, batch {args.batch} x {T} tokens, tokens seen: {tokens_seen:,} "
        f"({tokens_seen / len(train_ids):.2f} epochs)",
        f"- Final train loss (fixed windows): {train_loss:.4f}; last-50-batch mean: {metrics['last50_batch_loss']:.4f}",
        f"- Final validation loss: {val_loss:.4f} (perplexity {math.exp(val_loss):.1f})",
        f"- Training wall time: {train_time:.0f} s ({train_time / 60:.1f} min) on 2 CPU cores under nice, "
        f"total script time {time.time() - t_start:.0f} s",
        "", "Intermediate evaluations (step, mean train batch loss of last 50, val loss):", "",
    ] + [f"- {s}: {a:.4f} / {b:.4f}" for s, a, b in history] + [
        "", "## Samples (40 tokens; sampled = temperature 0.8, top-k 40, seeded)", "",
    ]
    for p, g, s in samples:
        lines += [f"**{p}**", "", f"- greedy: `{(p + g)!r}`", f"- sampled: `{(p + s)!r}`", ""]
    with open(args.results, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print(f"wrote {args.out} and {args.results}")


if __name__ == "__main__":
    main()
