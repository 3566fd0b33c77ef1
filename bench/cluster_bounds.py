"""Offline upper bounds for story clustering on the shared sets: average-
linkage clustering of the whole set at once, with the threshold that scores
best on the gold itself. Optimistic on purpose (no stream, the threshold
sees the answers): it says how far a kind of feature can go, not a method.

    python3 -m venv target/bounds-venv && target/bounds-venv/bin/pip install scikit-learn scipy
    scripts/fetch-model.sh && cargo build --release -p courant
    target/bounds-venv/bin/python bench/cluster_bounds.py [SHARED_DATA_DIR]

Embeddings come from `courant embed` (all-MiniLM-L6-v2 in models/).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist
from sklearn.feature_extraction.text import TfidfVectorizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from cluster_sets import prepare  # noqa: E402


def bcubed(gold, pred):
    gs, ps = {}, {}
    for i, (g, p) in enumerate(zip(gold, pred)):
        gs.setdefault(g, set()).add(i)
        ps.setdefault(p, set()).add(i)
    prec = rec = 0.0
    for i, (g, p) in enumerate(zip(gold, pred)):
        both = len(gs[g] & ps[p])
        prec += both / len(ps[p])
        rec += both / len(gs[g])
    prec, rec = prec / len(gold), rec / len(gold)
    return 2 * prec * rec / (prec + rec)


def best(dist, gold):
    z = linkage(dist, "average")
    return max(bcubed(gold, fcluster(z, t, "distance")) for t in np.arange(0.1, 1.2, 0.02))


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data")
    model = os.path.join(ROOT, "models", "all-MiniLM-L6-v2")
    with tempfile.TemporaryDirectory() as tmp:
        prepare(data, tmp)
        for name in ("uci", "ecb"):
            docs = [json.loads(l) for l in open(f"{tmp}/{name}.jsonl")]
            gold = {json.loads(l)["id"]: json.loads(l)["gold"] for l in open(f"{tmp}/{name}.gold")}
            g = [gold[d["id"]] for d in docs]
            text = [d["title"] + " " + d["text"] for d in docs]
            words = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(text).toarray()
            chars = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 5)).fit_transform(text).toarray()
            out = subprocess.run([f"{ROOT}/target/release/courant", "embed", "--embed", model, f"{tmp}/{name}.jsonl"],
                                 check=True, capture_output=True, text=True).stdout
            emb = np.array([json.loads(l)["vector"] for l in out.splitlines()])
            dw = np.nan_to_num(pdist(words, "cosine"), nan=1.0)
            dc = np.nan_to_num(pdist(chars, "cosine"), nan=1.0)
            de = np.clip(pdist(emb, "cosine"), 0, 2)
            for label, d in (("words", dw), ("char 3-5-grams", dc), ("embedding", de), ("half and half", (dw + de) / 2)):
                print(f"{name} {label}: B3 F1 {best(d, g):.3f}", flush=True)


if __name__ == "__main__":
    main()
