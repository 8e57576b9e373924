"""Training data for the emoji UNet: Twemoji PNGs at 32x32 and the words that name them.

Images come from the npm dev dependency `emoji-datasource-twitter` (64x64 RGBA PNGs, art CC-BY 4.0
by Twitter), names and categories from `emoji-datasource`'s emoji.json. Every emoji with a Twitter
image is used, skin-tone variations included (3786 images).

Image pipeline (done once, cached as float32 in WORK_DIR/emoji32.npz):
  1. decode the 64x64 RGBA PNG (Pillow), values v / 255 as float;
  2. composite over white: rgb = a * rgb + (1 - a);
  3. 2x2 box average to 32x32 (no rounding to bytes);
  4. scale to [-1, 1]: x = 2 * rgb - 1.  Layout NCHW, channels R, G, B.

Tokenization (the TypeScript side must reproduce this exactly; see tokenize()):
  text -> Unicode NFKD -> lowercase -> split on every run of characters outside [a-z0-9]
  -> drop empty pieces -> id of each word in the vocabulary (unknown word -> UNK_ID)
  -> keep the first MAX_TOKENS ids -> right-pad with PAD_ID to MAX_TOKENS.
The empty prompt is MAX_TOKENS pads; that is the classifier-free-guidance "unconditional" input.
"""

import json
import os
import re
import unicodedata

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
EMOJI_JSON = os.path.join(REPO, "node_modules", "emoji-datasource", "emoji.json")
IMAGE_DIR = os.path.join(REPO, "node_modules", "emoji-datasource-twitter", "img", "twitter", "64")
WORK_DIR = os.environ.get("DIFFUSION_WORK_DIR", os.path.join(REPO, ".cache", "diffusion"))

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1
MAX_TOKENS = 16
MIN_WORD_COUNT = 2  # words seen fewer times than this over all texts become <unk>

SKIN_TONES = {
    "1F3FB": "light skin tone",
    "1F3FC": "medium light skin tone",
    "1F3FD": "medium skin tone",
    "1F3FE": "medium dark skin tone",
    "1F3FF": "dark skin tone",
}

_SPLIT = re.compile(r"[^a-z0-9]+")


def words(text):
    """NFKD, lowercase, split on runs outside [a-z0-9]; 'Côte d’Ivoire' -> ['cote', 'd', 'ivoire']."""
    return [w for w in _SPLIT.split(unicodedata.normalize("NFKD", text).lower()) if w]


def tokenize(text, vocab):
    """Prompt -> exactly MAX_TOKENS ids (words, truncated, right-padded with PAD_ID)."""
    ids = [vocab.get(w, UNK_ID) for w in words(text)][:MAX_TOKENS]
    return ids + [PAD_ID] * (MAX_TOKENS - len(ids))


def skin_tone_text(key):
    """'1F3FB' -> 'light skin tone'; '1F3FB-1F3FF' (couples) -> both tones, in order."""
    return " ".join(SKIN_TONES[k] for k in key.split("-"))


def load_entries():
    """One dict per image, in a fixed order (emoji.json order, base image before its skin tones).

    Fields: image (file name), name (emoji.json `name`, plus the skin tone words for variations),
    short_name (underscores and dashes become spaces), category.
    """
    with open(EMOJI_JSON, encoding="utf-8") as f:
        emoji = json.load(f)
    emoji.sort(key=lambda e: (e["sort_order"], e["unified"]))
    entries = []
    for e in emoji:
        variants = [(e["image"], "")]
        for key, v in sorted((e.get("skin_variations") or {}).items()):
            variants.append((v["image"], skin_tone_text(key)))
        for image, tone in variants:
            if not os.path.exists(os.path.join(IMAGE_DIR, image)):
                continue
            entries.append({
                "image": image,
                "name": (e["name"] + " " + tone).strip(),
                "short_name": (e["short_name"] + " " + tone).strip(),
                "category": e["category"],
            })
    return entries


def build_vocab(entries):
    """Word -> id. 0 = <pad>, 1 = <unk>, then every word seen >= MIN_WORD_COUNT times in names,
    short names and categories, sorted alphabetically (so the ids do not depend on dict order)."""
    counts = {}
    for e in entries:
        for field in ("name", "short_name", "category"):
            for w in words(e[field]):
                counts[w] = counts.get(w, 0) + 1
    kept = sorted(w for w, c in counts.items() if c >= MIN_WORD_COUNT)
    vocab = {PAD: PAD_ID, UNK: UNK_ID}
    for w in kept:
        vocab[w] = len(vocab)
    return vocab


def load_image(path):
    """64x64 RGBA PNG -> float32 [3, 32, 32] in [-1, 1] (composited over white, 2x2 box average)."""
    from PIL import Image

    with Image.open(path) as im:
        rgba = np.asarray(im.convert("RGBA"), dtype=np.float64) / 255.0
    if rgba.shape != (64, 64, 4):
        raise ValueError(f"{path}: expected 64x64 RGBA, got {rgba.shape}")
    a = rgba[..., 3:4]
    rgb = rgba[..., :3] * a + (1.0 - a)
    rgb = rgb.reshape(32, 2, 32, 2, 3).mean(axis=(1, 3))
    return (2.0 * rgb - 1.0).transpose(2, 0, 1).astype(np.float32)


def load_dataset():
    """(images float32 [N, 3, 32, 32], entries, vocab); images cached in WORK_DIR/emoji32.npz."""
    entries = load_entries()
    vocab = build_vocab(entries)
    cache = os.path.join(WORK_DIR, "emoji32.npz")
    names = np.array([e["image"] for e in entries])
    if os.path.exists(cache):
        z = np.load(cache)
        if z["names"].shape == names.shape and (z["names"] == names).all():
            return z["images"], entries, vocab
    images = np.stack([load_image(os.path.join(IMAGE_DIR, e["image"])) for e in entries])
    os.makedirs(WORK_DIR, exist_ok=True)
    np.savez(cache, images=images, names=names)
    return images, entries, vocab


def save_png(path, img):
    """float [3, H, W] in [-1, 1] -> 8-bit RGB PNG (round((x + 1) * 127.5), clamped)."""
    from PIL import Image

    u8 = np.clip(np.round((np.asarray(img, dtype=np.float64) + 1.0) * 127.5), 0, 255).astype(np.uint8)
    Image.fromarray(u8.transpose(1, 2, 0), "RGB").save(path, optimize=True)


if __name__ == "__main__":
    images, entries, vocab = load_dataset()
    print(f"{len(entries)} images {images.shape}, vocab {len(vocab)} words")
    lens = [len(words(e["name"])) + len(words(e["category"])) for e in entries]
    print("longest category+name:", max(lens), "words")
    for e in entries[:3]:
        print(e, tokenize(e["category"] + " " + e["name"], vocab))
    print("smiling face ->", tokenize("smiling face", vocab))
