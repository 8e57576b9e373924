"""Self-check of the exported model and the fixtures.

    /usr/bin/python3 training/diffusion/check.py [--skip-numpy-sampling]

1. diffusion_pytorch_model.safetensors is well formed (8-byte header length, header padded to a
   multiple of 8, contiguous offsets, every byte accounted for), loads strictly into the
   diffusers-named model, and equals the EMA weights of .cache/diffusion/final.pt when that exists.
2. Regenerating the fixtures from the exported files reproduces blocks.* and sampling.* bit for bit,
   and sample.png is the final image.
3. spec_numpy.py (float64 numpy from the README's spec, no torch) reproduces the UNet forward and the
   whole DDIM run of sampling.json.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import fixtures  # noqa: E402
import spec_numpy  # noqa: E402
from export import OUT_DIR, WEIGHTS  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def check_file_layout(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    header.pop("__metadata__", None)
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1], k) for k, v in header.items())
    contiguous = all(a[1] == b[0] for a, b in zip(spans, spans[1:])) and spans[0][0] == 0
    check(n % 8 == 0 and contiguous and spans[-1][1] == len(buf) - 8 - n,
          f"{os.path.basename(path)}: header {n} bytes, {len(header)} tensors, contiguous, size {len(buf):,}")


def same(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a.view(np.uint32), b.view(np.uint32))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-numpy-sampling", action="store_true", help="skip the slow 40-call numpy DDIM run")
    args = ap.parse_args()
    torch.set_num_threads(1)

    # 1. the model file
    path = os.path.join(OUT_DIR, WEIGHTS)
    check_file_layout(path)
    model, vocab = fixtures.load_shipped_model()  # strict load: every diffusers key present, none extra
    check(True, f"strict load into UNet2DConditionModel + text_embedding ({len(vocab)} words)")
    _, _, vocab_now = data.load_dataset()
    check(vocab == vocab_now, "vocab.json equals data.build_vocab()")
    final_ckpt = os.path.join(data.WORK_DIR, "final.pt")
    if os.path.exists(final_ckpt):
        ema = torch.load(final_ckpt)["ema"]
        shipped = {("unet." + k if k != "text_embedding.weight" else k): v for k, v in model.flat_state_dict().items()}
        check(set(ema) == set(shipped) and all(torch.equal(ema[k], shipped[k]) for k in ema),
              "safetensors == EMA weights of final.pt")
    else:
        print("skip EMA comparison: no", final_ckpt)

    # 2. fixtures regenerate bit for bit
    for name in ("blocks.safetensors", "sampling.safetensors"):
        check_file_layout(os.path.join(fixtures.FIXTURE_DIR, name))
    stored, _ = read_safetensors(os.path.join(fixtures.FIXTURE_DIR, "blocks.safetensors"))
    tensors, cases = fixtures.make_block_fixtures()
    check(set(stored) == set(tensors) and all(same(stored[k], tensors[k]) for k in stored),
          f"blocks.safetensors regenerates exactly ({len(stored)} tensors)")
    with open(os.path.join(fixtures.FIXTURE_DIR, "blocks.json")) as f:
        check(json.load(f)["cases"] == json.loads(json.dumps(cases)), "blocks.json regenerates exactly")

    stored, _ = read_safetensors(os.path.join(fixtures.FIXTURE_DIR, "sampling.safetensors"))
    tensors, meta, final = fixtures.make_sampling_fixtures(model, vocab)
    check(set(stored) == set(tensors) and all(same(stored[k], tensors[k]) for k in stored),
          f"sampling.safetensors regenerates exactly from the exported model ({len(stored)} tensors)")
    with open(os.path.join(fixtures.FIXTURE_DIR, "sampling.json")) as f:
        sj = json.load(f)
    check(all(sj[k] == json.loads(json.dumps(v)) for k, v in meta.items()), "sampling.json regenerates exactly")
    from PIL import Image
    with Image.open(os.path.join(OUT_DIR, "sample.png")) as im:
        png = np.asarray(im.convert("RGB")).transpose(2, 0, 1)
    want = np.clip(np.round((final.astype(np.float64) + 1) * 127.5), 0, 255)
    check(np.array_equal(png, want), "sample.png == round((final + 1) * 127.5)")
    check(sj["torch_f32_final_psnr_db"] >= 35, f"PyTorch float32 run vs float64 reference: "
          f"{sj['torch_f32_final_psnr_db']} dB")

    # 3. the written spec, in numpy
    net = spec_numpy.SpecUNet(OUT_DIR)
    check(net.tokenize(sj["prompt"]) == sj["ids"] and net.tokenize("") == sj["null_ids"], "numpy tokenizer")
    x = stored["forward/sample"][0].astype(np.float64)
    for row, ids in enumerate((sj["ids"], sj["null_ids"])):
        taps = {}
        v = net.forward(x, sj["forward"]["t"], net.encode(ids), taps)
        err = float(np.abs(v - stored["forward/v"][row]).max())
        terr = float(np.abs(taps["temb"] - stored["forward/temb"][row]).max())
        line = f"numpy spec forward row {row}: v max err {err:.2e}, temb {terr:.2e}"
        if row == 0:
            merr = float(np.abs(taps["mid_block"] - stored["forward/mid_block"][0]).max())
            line += f", mid_block {merr:.2e}"
        check(err < 1e-4 and terr < 1e-5, line)
    if not args.skip_numpy_sampling:
        img = spec_numpy.ddim_sample(net, stored["noise"][0], sj["prompt"], sj["num_inference_steps"],
                                     sj["guidance_scale"])
        p = fixtures.psnr(img, stored["final"][0])
        check(p >= 35, f"numpy spec DDIM run vs fixture final: PSNR {p:.1f} dB")

    print("all checks passed" if not failures else f"{len(failures)} FAILED")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
