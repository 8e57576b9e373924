"""Byte-level BPE tokenizer in the GPT-2 style, trained on the training documents.

What a second implementation (the TypeScript engine, llama.cpp's `gpt2` tokenizer model) must match:

* Special tokens: only `<|endoftext|>` (the last id, 4095). It is BOS, EOS and the document separator.
  When encoding with `allow_special=True` (the default) every literal occurrence of the string
  `<|endoftext|>` in the text becomes that id; the text between occurrences is encoded normally.
* Pre-tokenization: the GPT-2 regex PRETOKENIZE_PATTERN (`regex` module, \\p{L} letters, \\p{N}
  numbers) splits each piece of text into words; BPE never merges across words.
* Each word is UTF-8 encoded and every byte mapped to a printable character with GPT-2's
  `bytes_to_unicode` (so a space is 'Ġ', a newline 'Ċ'); token strings are stored in that form,
  exactly as in GPT-2 vocabularies.
* Merges are applied in GPT-2 order: repeatedly take the adjacent pair with the LOWEST rank
  (its index in the merges list) and merge every occurrence of that pair left to right
  (non-overlapping); stop when no adjacent pair has a rank. The resulting strings are looked up
  in the vocabulary.
* Ids 0..255 are the single-byte tokens in byte-value order (id b is the token for byte b), then
  the tokens created by merges, then `<|endoftext|>`. No BOS is added by default.
* Decoding: concatenate token strings, map each character back to its byte, decode UTF-8
  (invalid sequences become U+FFFD); the special token decodes to its literal text.
"""

import collections
import heapq
import json
import sys

import regex

PRETOKENIZE_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
PRETOKENIZE_RE = regex.compile(PRETOKENIZE_PATTERN)
EOT = "<|endoftext|>"


def bytes_to_unicode():
    """GPT-2's reversible map from the 256 byte values to printable unicode characters.

    Printable Latin-1 bytes map to themselves; the rest (control chars, space, 0x7f-0xa0, 0xad)
    are shifted to 256, 257, ... in byte order so no token string contains whitespace.
    """
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    mapping = {b: chr(b) for b in keep}
    shift = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + shift)
            shift += 1
    return mapping


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {c: b for b, c in BYTE_ENCODER.items()}


def pretokenize(text):
    return PRETOKENIZE_RE.findall(text)


def to_byte_string(word):
    """A pre-tokenized word as the GPT-2 byte-mapped string (one char per UTF-8 byte)."""
    return "".join(BYTE_ENCODER[b] for b in word.encode("utf-8"))


class Tokenizer:
    def __init__(self, tokens, merges, specials=(EOT,)):
        self.tokens = list(tokens)                      # id -> token string
        self.merges = [tuple(m) for m in merges]        # rank -> (left, right)
        self.token_to_id = {t: i for i, t in enumerate(self.tokens)}
        assert len(self.token_to_id) == len(self.tokens), "token strings must be unique"
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        self.specials = {s: self.token_to_id[s] for s in specials}
        self.special_ids = set(self.specials.values())
        # Split on literal special-token strings first (longest first, though there is one).
        alternatives = "|".join(regex.escape(s) for s in sorted(self.specials, key=len, reverse=True))
        self._special_re = regex.compile("(" + alternatives + ")")
        self._cache = {}

    @property
    def eot_id(self):
        return self.specials[EOT]

    def _bpe(self, word):
        """Token ids for one pre-tokenized word, merging lowest-rank pairs first."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        symbols = list(to_byte_string(word))
        while len(symbols) > 1:
            best_rank, best = None, None
            for pair in zip(symbols, symbols[1:]):
                r = self.ranks.get(pair)
                if r is not None and (best_rank is None or r < best_rank):
                    best_rank, best = r, pair
            if best is None:
                break
            merged, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == best[0] and symbols[i + 1] == best[1]:
                    merged.append(best[0] + best[1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        ids = [self.token_to_id[s] for s in symbols]
        if len(self._cache) < 200_000:
            self._cache[word] = ids
        return ids

    def encode(self, text, allow_special=True):
        pieces = self._special_re.split(text) if allow_special else [text]
        ids = []
        for piece in pieces:
            if not piece:
                continue
            if allow_special and piece in self.specials:
                ids.append(self.specials[piece])
                continue
            for word in pretokenize(piece):
                ids.extend(self._bpe(word))
        return ids

    def decode(self, ids):
        out, pending = [], bytearray()
        for i in ids:
            tok = self.tokens[i]
            if i in self.special_ids:
                out.append(pending.decode("utf-8", errors="replace"))
                pending = bytearray()
                out.append(tok)
            else:
                pending.extend(BYTE_DECODER[c] for c in tok)
        out.append(pending.decode("utf-8", errors="replace"))
        return "".join(out)

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"pattern": PRETOKENIZE_PATTERN, "tokens": self.tokens,
                       "merges": [a + " " + b for a, b in self.merges], "specials": list(self.specials)},
                      f, ensure_ascii=False)

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        assert d["pattern"] == PRETOKENIZE_PATTERN
        return cls(d["tokens"], [m.split(" ") for m in d["merges"]], d["specials"])


def train_bpe(texts, vocab_size=4096, specials=(EOT,), log=print):
    """Learn merges on word frequencies until the vocabulary (bytes + merges + specials) is full.

    Each step merges the most frequent adjacent pair (ties: smallest (left id, right id)), so the
    result is deterministic. Only words containing the merged pair are re-counted, which keeps
    training to a minute or so on ~12 MB of text.
    """
    word_freq = collections.Counter()
    for t in texts:
        for s in specials:  # special strings are never learned from text
            t = t.replace(s, " ")
        word_freq.update(pretokenize(t))
    log(f"bpe: {sum(word_freq.values())} words, {len(word_freq)} unique")

    tokens = [BYTE_ENCODER[b] for b in range(256)]
    token_to_id = {t: i for i, t in enumerate(tokens)}
    words = [[token_to_id[c] for c in to_byte_string(w)] for w in word_freq]
    freqs = list(word_freq.values())

    pair_count = collections.Counter()
    pair_words = collections.defaultdict(set)  # may hold stale word indices; they are skipped
    for wi, w in enumerate(words):
        for p in zip(w, w[1:]):
            pair_count[p] += freqs[wi]
            pair_words[p].add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)

    merges = []
    n_target = vocab_size - len(specials)
    while len(tokens) < n_target and heap:
        negc, pair = heapq.heappop(heap)
        if pair_count.get(pair, 0) != -negc or -negc <= 0:
            continue  # stale heap entry
        a, b = pair
        merged = tokens[a] + tokens[b]
        # Two different merges can spell the same string ("a"+"bc", "ab"+"c"): reuse its id.
        new_id = token_to_id.get(merged)
        if new_id is None:
            new_id = len(tokens)
            tokens.append(merged)
            token_to_id[merged] = new_id
        merges.append((tokens[a], tokens[b]))
        changed = set()
        for wi in list(pair_words[pair]):
            w = words[wi]
            if not any(x == a and y == b for x, y in zip(w, w[1:])):
                continue
            f = freqs[wi]
            for p in zip(w, w[1:]):
                pair_count[p] -= f
                changed.add(p)
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(new_id)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            words[wi] = out
            for p in zip(out, out[1:]):
                pair_count[p] += f
                pair_words[p].add(wi)
                changed.add(p)
        del pair_words[pair]
        for p in changed:
            c = pair_count[p]
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                pair_count.pop(p, None)
        if len(merges) % 500 == 0:
            log(f"bpe: {len(merges)} merges, vocab {len(tokens)}, last {merged!r} x{-negc}")
    for s in specials:
        assert s not in token_to_id, "a learned token collides with a special token"
        tokens.append(s)
    return Tokenizer(tokens, merges, specials)


if __name__ == "__main__":
    # python3 training/tokenizer_bpe.py  -> trains on the training split, writes training/tokenizer.json
    import os
    import time

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from data import load_documents, split_documents

    t0 = time.time()
    train_docs, _ = split_documents(load_documents())
    tok = train_bpe([t for _, t in train_docs])
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tokenizer.json")
    tok.save(out)
    print(f"wrote {out}: {len(tok.tokens)} tokens, {len(tok.merges)} merges, {time.time() - t0:.1f}s")
