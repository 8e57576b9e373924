"""A plain-PyTorch CLIP text encoder and CLIP BPE tokenizer, the references for src/models/clip/.

Model: Hugging Face `CLIPTextModel` maths and parameter names (no transformers needed), so
`state_dict()` keys are exactly those of an SD `text_encoder/model.safetensors`, e.g.
`text_model.encoder.layers.0.self_attn.q_proj.weight`:

    h = token_embedding[ids] + position_embedding[0..S-1]                     [B, S, D]
    per layer (pre-LN):  h = h + out_proj(attn(layer_norm1(h)))               causal, scale d^-1/2
                         h = h + fc2(act(fc1(layer_norm2(h))))                act: quick_gelu | gelu
    last_hidden_state = final_layer_norm(h)

quick_gelu(x) = x * sigmoid(1.702 x) (SD 1.x, OpenAI ViT-L/14); gelu is the exact erf GELU
(SD 2.x, OpenCLIP ViT-H/14). Linear weights are [out, in] as nn.Linear stores them.

Tokenizer: the semantics of transformers' CLIPTokenizer as it runs without ftfy (the usual
diffusers install), written here from its description:
  1. special tokens (bos, eos, unk, pad; so "!" too when it is the pad token, as in SD 2.x) are cut
     out of the raw text first and map straight to their ids;
  2. each remaining piece: drop NUL, U+FFFD and control/format characters (category C*, except
     \\t \\n \\r); whitespace (those three, space, category Zs) becomes a space; spaces around CJK
     ideographs; NFC; split on whitespace; lowercase each word; join with single spaces;
  3. pre-tokens: <|startoftext|> | <|endoftext|> | 's 't 're 've 'm 'll 'd | a run of letters |
     one digit | a run of other non-space symbols;
  4. each pre-token's UTF-8 bytes become printable characters (GPT-2's byte-to-unicode table),
     the last one carrying the word-end marker "</w>", and BPE merges the pair of lowest merge rank
     (the line order of merges.txt after its "#version" header; at most 48894 merges are read)
     until none applies; pieces missing from the vocab become the unk id;
  5. [bos] + ids[:max_length - 2] + [eos], padded with the pad id to max_length.
"""

import math
import unicodedata
from dataclasses import asdict, dataclass

import regex
import torch
import torch.nn as nn
import torch.nn.functional as F

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
MAX_MERGES = 49152 - 256 - 2  # CLIP reads this many merge lines and no more

# Letters in runs, digits one at a time, other non-space symbols in runs; contractions split off.
PRETOKEN = regex.compile(
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+",
    regex.IGNORECASE,
)


def byte_to_unicode():
    """{byte: printable char}: bytes that are printable Latin-1 keep their code point; the other 68
    (controls, space, NBSP, soft hyphen) map to U+0100.. in byte order. Dict order = vocab order."""
    keep = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    table = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(0x100 + extra)
            extra += 1
    return table


BYTE_CHARS = byte_to_unicode()


def _is_cjk(cp):
    return any(lo <= cp <= hi for lo, hi in (
        (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
        (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)))


def normalize_text(text):
    """Step 2 of the module docstring: cleaned, NFC, lowercased words joined by single spaces."""
    out = []
    for ch in text:
        cp = ord(ch)
        cat = unicodedata.category(ch)
        if ch in " \t\n\r" or cat == "Zs":
            out.append(" ")
        elif cp == 0 or cp == 0xFFFD or cat.startswith("C"):
            continue
        elif _is_cjk(cp):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    words = unicodedata.normalize("NFC", "".join(out)).split()
    return " ".join(w.lower() for w in words)


def pretokenize(text):
    return PRETOKEN.findall(normalize_text(text))


def word_symbols(pretoken):
    """A pre-token as BPE symbols: its bytes as characters, "</w>" on the last."""
    chars = [BYTE_CHARS[b] for b in pretoken.encode("utf-8")]
    chars[-1] += "</w>"
    return chars


def apply_merges(symbols, ranks):
    symbols = list(symbols)
    while len(symbols) > 1:
        best = None
        for i in range(len(symbols) - 1):
            r = ranks.get((symbols[i], symbols[i + 1]))
            if r is not None and (best is None or r < best[0]):
                best = (r, symbols[i], symbols[i + 1])
        if best is None:
            break
        _, a, b = best
        merged, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                merged.append(a + b)
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
    return symbols


def _content(tok):
    return tok["content"] if isinstance(tok, dict) else tok


class ClipTokenizer:
    def __init__(self, vocab, merges_txt, config=None):
        config = config or {}
        self.vocab = dict(vocab)
        lines = merges_txt.strip().split("\n")
        if not lines[0].startswith("#version"):
            raise ValueError("merges.txt must start with a #version line")
        self.ranks = {}
        for rank, line in enumerate(lines[1:1 + MAX_MERGES]):
            parts = line.split()
            if len(parts) == 2:
                self.ranks[tuple(parts)] = rank
        self.max_length = int(config.get("model_max_length", 77))
        self.bos = _content(config.get("bos_token", BOS))
        self.eos = _content(config.get("eos_token", EOS))
        self.unk = _content(config.get("unk_token", EOS))
        self.pad = _content(config.get("pad_token", EOS))
        self.specials = sorted({self.bos, self.eos, self.unk, self.pad}, key=len, reverse=True)

    def _split_specials(self, text):
        """[(is_special, piece)]: the earliest, then longest, special token cut out each time."""
        pieces, start, i = [], 0, 0
        while i < len(text):
            hit = next((s for s in self.specials if text.startswith(s, i)), None)
            if hit is None:
                i += 1
                continue
            if i > start:
                pieces.append((False, text[start:i]))
            pieces.append((True, hit))
            i += len(hit)
            start = i
        if start < len(text):
            pieces.append((False, text[start:]))
        return pieces

    def tokenize(self, text):
        """BPE pieces (strings), no bos/eos, not truncated."""
        out = []
        for special, piece in self._split_specials(text):
            if special:
                out.append(piece)
                continue
            for pre in pretokenize(piece):
                if pre in (BOS, EOS):
                    out.append(pre)
                else:
                    out.extend(apply_merges(word_symbols(pre), self.ranks))
        return out

    def token_id(self, piece):
        return self.vocab.get(piece, self.vocab[self.unk])

    def encode(self, text):
        ids = [self.token_id(p) for p in self.tokenize(text)][: self.max_length - 2]
        ids = [self.vocab[self.bos], *ids, self.vocab[self.eos]]
        return ids + [self.vocab[self.pad]] * (self.max_length - len(ids))


def train_bpe(texts, n_merges, alphabet_bytes):
    """Byte-level BPE with CLIP's word-end marker: the most frequent adjacent pair over all words
    (ties: the smallest pair in string order) is merged, n_merges times. Returns (vocab, merges):
    vocab in CLIP's order (the alphabet's byte characters in table order, the same with "</w>",
    one token per merge, then <|startoftext|> and <|endoftext|>)."""
    words = {}
    for t in texts:
        for pre in pretokenize(t):
            if pre not in (BOS, EOS):
                key = tuple(word_symbols(pre))
                words[key] = words.get(key, 0) + 1
    alphabet = [c for b, c in BYTE_CHARS.items() if b in alphabet_bytes]
    tokens = alphabet + [c + "</w>" for c in alphabet]
    merges = []
    while len(merges) < n_merges:
        counts = {}
        for w, n in words.items():
            for pair in zip(w, w[1:]):
                counts[pair] = counts.get(pair, 0) + n
        # A pair whose join is already a token would give one string two ids: never merged.
        fresh = [(n, p) for p, n in counts.items() if "".join(p) not in tokens]
        if not fresh:
            break
        best = min(fresh, key=lambda np_: (-np_[0], np_[1]))[1]
        merges.append(best)
        tokens.append("".join(best))
        ranks = {best: 0}
        words = {tuple(apply_merges(w, ranks)): n for w, n in words.items()}
    tokens += [BOS, EOS]
    return {t: i for i, t in enumerate(tokens)}, merges


# ---------------------------------------------------------------- the model

@dataclass
class ClipTextConfig:
    vocab_size: int
    hidden_size: int = 40
    intermediate_size: int = 72
    num_attention_heads: int = 5
    num_hidden_layers: int = 3
    max_position_embeddings: int = 77
    hidden_act: str = "quick_gelu"
    layer_norm_eps: float = 1e-5

    def to_hf(self):
        """The fields of an SD text_encoder/config.json."""
        return {"architectures": ["CLIPTextModel"], "model_type": "clip_text_model", **asdict(self)}


def activation(name):
    if name == "quick_gelu":
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name == "gelu":
        return lambda x: 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    raise ValueError(f"hidden_act {name}")


class CLIPAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c.num_attention_heads
        self.head_dim = c.hidden_size // c.num_attention_heads
        self.q_proj = nn.Linear(c.hidden_size, c.hidden_size)
        self.k_proj = nn.Linear(c.hidden_size, c.hidden_size)
        self.v_proj = nn.Linear(c.hidden_size, c.hidden_size)
        self.out_proj = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, x):  # [B, S, D], causal
        B, S, D = x.shape
        split = lambda t: t.view(B, S, self.heads, self.head_dim).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        scores = (q @ k.transpose(-1, -2)) * self.head_dim ** -0.5  # [B, H, S, S]
        future = torch.ones(S, S, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
        o = torch.softmax(scores, dim=-1) @ v
        return self.out_proj(o.transpose(1, 2).reshape(B, S, D))


class CLIPMLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.act = activation(c.hidden_act)
        self.fc1 = nn.Linear(c.hidden_size, c.intermediate_size)
        self.fc2 = nn.Linear(c.intermediate_size, c.hidden_size)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class CLIPEncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn = CLIPAttention(c)
        self.layer_norm1 = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.mlp = CLIPMLP(c)
        self.layer_norm2 = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, h):
        h = h + self.self_attn(self.layer_norm1(h))
        return h + self.mlp(self.layer_norm2(h))


class CLIPEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList([CLIPEncoderLayer(c) for _ in range(c.num_hidden_layers)])


class CLIPTextEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.token_embedding = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position_embedding = nn.Embedding(c.max_position_embeddings, c.hidden_size)

    def forward(self, ids):
        return self.token_embedding(ids) + self.position_embedding(torch.arange(ids.shape[1]))[None]


class CLIPTextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = CLIPTextEmbeddings(c)
        self.encoder = CLIPEncoder(c)
        self.final_layer_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, ids):
        h = self.embeddings(ids)
        for layer in self.encoder.layers:
            h = layer(h)
        return self.final_layer_norm(h)


class CLIPTextModel(nn.Module):
    """forward(ids [B, S] long) -> last_hidden_state [B, S, hidden]."""

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.text_model = CLIPTextTransformer(c)

    def forward(self, ids):
        return self.text_model(ids)


def build_tiny_clip(seed, **cfg):
    """A CLIPTextModel with random weights that make every parameter matter: LayerNorm gains near
    (not at) 1 and non-zero biases, Linear weights ~ 1/sqrt(fan_in) (q and k doubled, so attention
    is peaky and the causal mask visibly matters), non-zero biases, token and position embeddings
    of unit-ish scale with a few large entries (CLIP's hidden states have outlier channels)."""
    c = ClipTextConfig(**cfg)
    m = CLIPTextModel(c)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in m.named_parameters():
            if "layer_norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.3 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            elif "embedding" in name:
                p.copy_(0.7 * torch.randn(p.shape, generator=g))
                flat = p.view(-1)
                idx = torch.randint(0, flat.numel(), (max(1, flat.numel() // 500),), generator=g)
                flat[idx] *= 8.0
            else:
                gain = 2.0 if ("q_proj" in name or "k_proj" in name) else 1.0
                p.copy_(gain * torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
    return m


def forward_f64(model, ids):
    """last_hidden_state in float64 from the model's (f32) weights, on a float64 copy."""
    m64 = CLIPTextModel(model.config).double()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    with torch.no_grad():
        return m64(torch.tensor(ids, dtype=torch.long))


def gelu_matches_torch():
    x = torch.linspace(-6, 6, 101, dtype=torch.float64)
    return bool(torch.allclose(activation("gelu")(x), F.gelu(x), atol=1e-15))
