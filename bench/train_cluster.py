"""Fits the story model's weights and scores them honestly.

    python3 bench/train_cluster.py [SHARED_DATA_DIR] [--embed MODEL_DIR] [--write]

The model (crates/courant-cluster/src/model.rs) is a logistic function of
ten features of an article against a candidate story (the last two are
embedding cosines, zero for an article without an embedding). Its training rows
come from `examples/train_rows`, which places every article of a set in its
gold story, in stream order, and writes the features of each candidate story
the clusterer judged, labelled gold or not. Articles with a body train the
`article` weights (ECB+ dev, gold = subtopic); headlines train the
`headline` weights (the UCI sample, gold = Google News story).

A logistic fit sets the odds for one candidate; joining is a choice among
candidates, so the intercept is then shifted by the offset (0 to 4) that
gives the best cross-validated B-cubed F1. Cross-validation: ECB+ in two
folds by topic (odd and even topics), UCI in two folds by time (first and
second half of the stream); weights fitted on one fold cluster the other,
with `courant cluster --model`. The figures printed as "cross-validated" are
the honest ones; "in-sample" are what bench/cluster.sh shows with the
shipped weights, fitted on the same sets.

With --embed (a model folder, `scripts/fetch-model.sh`), the sets are also
embedded with `courant embed`, and the `headline_vector` and
`article_vector` weights are fitted and scored the same way, on the sets
with their embeddings, beside the shipped plain weights.

Prints the weights as JSON; with --write it also writes them to
crates/courant-cluster/model.json, the weights the crate ships (with
--embed, the vector weights join the plain ones there). Standard library only.
"""
import collections
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from cluster_sets import prepare  # noqa: E402  (beside this script)
FEATURES = 10
PLAIN = range(8)  # the embedding features are zero without embeddings
OFFSETS = [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
L2 = 0.1  # on the weights, not the intercept


def subset(tmp, name, keep, tag):
    """Articles and gold of one fold, in stream order."""
    arts = [l for i, l in enumerate(open(f"{tmp}/{name}.jsonl")) if keep(i)]
    gold = [l for i, l in enumerate(open(f"{tmp}/{name}.gold")) if keep(i)]
    open(f"{tmp}/{name}-{tag}.jsonl", "w").writelines(arts)
    open(f"{tmp}/{name}-{tag}.gold", "w").writelines(gold)
    return f"{tmp}/{name}-{tag}"


def rows_of(path):
    out = subprocess.run([f"{ROOT}/target/release/examples/train_rows", f"{path}.jsonl", f"{path}.gold"],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines()]


def solve(a, b):
    """Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c and m[c][c] != 0:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] if m[i][i] else 0.0 for i in range(n)]


# A headline has no body: no names and no lead to weigh (the few short
# texts that count as headlines have some, which would only teach noise).
HEADLINE_FEATURES = [0, 1, 4, 5]
VECTOR_FEATURES = [8, 9]


def fit(rows, use=PLAIN):
    """L2-regularized logistic regression by Newton's method over the
    features in `use` (the others get weight 0): (bias, weights)."""
    use = list(use)
    xs = [[1.0] + [r[3 + i] for i in use] for r in rows]
    ys = [float(r[2]) for r in rows]
    k = len(use) + 1
    beta = [0.0] * k
    for _ in range(25):
        grad = [0.0] * k
        hess = [[0.0] * k for _ in range(k)]
        for x, y in zip(xs, ys):
            z = sum(b * v for b, v in zip(beta, x))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            w = p * (1.0 - p)
            for i in range(k):
                grad[i] += (y - p) * x[i]
                xi = w * x[i]
                row = hess[i]
                for j in range(i, k):
                    row[j] += xi * x[j]
        for i in range(k):
            for j in range(i):
                hess[i][j] = hess[j][i]
        for i in range(1, k):
            grad[i] -= L2 * beta[i]
            hess[i][i] += L2
        step = solve(hess, grad)
        beta = [b + s for b, s in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-6:
            break
    weights = [0.0] * FEATURES
    for i, b in zip(use, beta[1:]):
        weights[i] = b
    return beta[0], weights


def weights_json(fit, off):
    return {"bias": round(fit[0] + off, 3), "w": [round(x, 3) for x in fit[1]]}


def model_json(article, headline, offset_a, offset_h, base=None):
    """A model: plain weights, or `base` (a model) with these as its vector weights."""
    if base is None:
        return {"article": weights_json(article, offset_a), "headline": weights_json(headline, offset_h)}
    return dict(base, article_vector=weights_json(article, offset_a),
                headline_vector=weights_json(headline, offset_h))


def bcubed(gold_path, pred_lines, only=None):
    """B-cubed precision, recall and F1, over the ids in `only` if given
    (clusters still count whole: a wrong neighbour from outside counts)."""
    gold = {json.loads(l)["id"]: json.loads(l)["gold"] for l in open(gold_path)}
    pred = {}
    for l in pred_lines:
        r = json.loads(l)
        pred[str(r["id"])] = r["story"]
    ids = list(gold)
    scored = [i for i in ids if only is None or i in only]
    gc = collections.Counter(gold[i] for i in ids)
    pc = collections.Counter(pred[i] for i in ids)
    both = collections.Counter((gold[i], pred[i]) for i in ids)
    p = sum(both[(gold[i], pred[i])] / pc[pred[i]] for i in scored) / len(scored)
    r = sum(both[(gold[i], pred[i])] / gc[gold[i]] for i in scored) / len(scored)
    return p, r, 2 * p * r / (p + r)


def cluster(path, model, tmp, only=None):
    with open(f"{tmp}/model.json", "w") as f:
        json.dump(model, f)
    out = subprocess.run([f"{ROOT}/target/release/courant", "cluster", "--model", f"{tmp}/model.json", f"{path}.jsonl"],
                         check=True, capture_output=True, text=True).stdout
    return bcubed(f"{path}.gold", out.splitlines(), only)


def pooled(results):
    """B-cubed over folds of one set, weighted by their articles."""
    n = sum(k for k, _ in results)
    p = sum(k * r[0] for k, r in results) / n
    r = sum(k * r[1] for k, r in results) / n
    return p, r, 2 * p * r / (p + r)


def main():
    args = sys.argv[1:]
    embed = None
    write = "--write" in args
    if write:
        args.remove("--write")
    if "--embed" in args:
        i = args.index("--embed")
        embed = os.path.abspath(args[i + 1])
        del args[i:i + 2]
    data = args[0] if args else os.path.join(ROOT, "..", "shared", "data")
    # Two builds: `--example` would limit the first to the example alone.
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "courant"], check=True, cwd=ROOT)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "courant-cluster", "--example", "train_rows"],
                   check=True, cwd=ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        prepare(data, tmp)
        topics = [int(json.loads(l)["id"].split("_")[0]) for l in open(f"{tmp}/ecb.jsonl")]
        n_uci = sum(1 for _ in open(f"{tmp}/uci.jsonl"))
        folds = {
            "ecb": [subset(tmp, "ecb", lambda i, k=k: topics[i] % 2 == k, f"f{k}") for k in (0, 1)],
            "uci": [subset(tmp, "uci", lambda i, k=k: (i < n_uci // 2) == (k == 0), f"f{k}") for k in (0, 1)],
        }
        model, plain_f1 = train(tmp, folds, PLAIN, HEADLINE_FEATURES, None)
        if embed:
            for s in ("ecb", "uci"):
                for path in [f"{tmp}/{s}"] + folds[s]:
                    with open(f"{path}.v", "w") as out:
                        subprocess.run([f"{ROOT}/target/release/courant", "embed", "--embed", embed,
                                        f"{path}.jsonl"], check=True, stdout=out)
                    os.replace(f"{path}.v", f"{path}.jsonl")
            print("# with embeddings")
            model, vector_f1 = train(tmp, folds, list(PLAIN) + VECTOR_FEATURES,
                                     HEADLINE_FEATURES + VECTOR_FEATURES, model)
            # A set of vector weights ships only where it beats the plain
            # weights cross-validated (on ECB+ bodies it has not).
            for s, name in (("ecb", "article_vector"), ("uci", "headline_vector")):
                if round(vector_f1[s], 3) <= round(plain_f1[s], 3):
                    print(f"# {name} left out: {s} {vector_f1[s]:.3f} with it, {plain_f1[s]:.3f} without")
                    model[name] = None
        if write:
            path = os.path.join(ROOT, "crates", "courant-cluster", "model.json")
            with open(path, "w") as f:
                json.dump(model, f, indent=2)
                f.write("\n")
            print(f"# written to {path}")


def train(tmp, folds, use_a, use_h, base):
    """Fits and scores one pair of weights; `base` (a model) makes them its
    vector weights. Returns the model with them and the cross-validated
    B-cubed F1 per set."""
    sizes = {s: [sum(1 for _ in open(f"{p}.jsonl")) for p in ps] for s, ps in folds.items()}
    rows = {s: [rows_of(p) for p in ps] for s, ps in folds.items()}
    all_rows = [r for s in rows.values() for fold in s for r in fold]
    final_a = fit([r for r in all_rows if r[1] == 0], use_a)
    final_h = fit([r for r in all_rows if r[1] == 1], use_h)
    # Fold models: fitted without the fold they are scored on (the other
    # set whole). They cluster the whole set, so that a fold meets as
    # many other stories as the shipped weights do, and are scored on
    # the articles of the held-out fold alone.
    cv = {}
    for s, other in (("ecb", "uci"), ("uci", "ecb")):
        for k in (0, 1):
            fold_rows = rows[s][1 - k] + rows[other][0] + rows[other][1]
            fa = fit([r for r in fold_rows if r[1] == 0], use_a)
            fh = fit([r for r in fold_rows if r[1] == 1], use_h)
            held = {json.loads(l)["id"] for l in open(f"{folds[s][k]}.jsonl")}
            for off in OFFSETS:
                res = cluster(f"{tmp}/{s}", model_json(fa, fh, off, off, base), tmp, held)
                cv.setdefault((s, off), []).append((sizes[s][k], res))
    best = {}
    for s in ("ecb", "uci"):
        print(f"# {s}: cross-validated B-cubed F1 by offset")
        for off in OFFSETS:
            p, r, f = pooled(cv[(s, off)])
            print(f"  offset {off:.1f}: P {p:.3f} R {r:.3f} F1 {f:.3f}")
        best[s] = max(OFFSETS, key=lambda off: (round(pooled(cv[(s, off)])[2], 3), -off))
    model = model_json(final_a, final_h, best["ecb"], best["uci"], base)
    print(f"# chosen offsets: article {best['ecb']}, headline {best['uci']}")
    for s in ("ecb", "uci"):
        p, r, f = pooled(cv[(s, best[s])])
        # The other model's offset does not matter for a set of one kind only,
        # save for the few short ECB+ texts that count as headlines.
        print(f"{s} cross-validated: P {p:.3f} R {r:.3f} F1 {f:.3f}")
        p, r, f = cluster(f"{tmp}/{s}", model, tmp)
        print(f"{s} in-sample (shipped weights): P {p:.3f} R {r:.3f} F1 {f:.3f}")
    print(json.dumps(model))
    return model, {s: pooled(cv[(s, best[s])])[2] for s in ("ecb", "uci")}


if __name__ == "__main__":
    main()
