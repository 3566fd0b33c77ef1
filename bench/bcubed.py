#!/usr/bin/env python3
"""B-cubed and pairwise precision/recall/F1 of predicted clusters against gold.

usage: bcubed.py GOLD.jsonl PRED.jsonl   (gold lines {id, gold}; pred lines {id, story})
"""
import json
import sys
from collections import defaultdict


def load(path, key):
    return {str(json.loads(l)["id"]): json.loads(l)[key] for l in open(path) if l.strip()}


def main():
    gold = load(sys.argv[1], "gold")
    pred = load(sys.argv[2], "story")
    ids = [i for i in gold if i in pred]
    g, p = defaultdict(set), defaultdict(set)
    for i in ids:
        g[gold[i]].add(i)
        p[pred[i]].add(i)
    prec = rec = 0.0
    for i in ids:
        gi, pi = g[gold[i]], p[pred[i]]
        inter = len(gi & pi)
        prec += inter / len(pi)
        rec += inter / len(gi)
    prec /= len(ids)
    rec /= len(ids)
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    # pairwise
    tp = sum(len(c & gi) * (len(c & gi) - 1) / 2 for c in p.values() for gi in g.values())
    pp = sum(len(c) * (len(c) - 1) / 2 for c in p.values())
    gp = sum(len(c) * (len(c) - 1) / 2 for c in g.values())
    pprec = tp / pp if pp else 1.0
    prec_rec = tp / gp if gp else 1.0
    pf1 = 2 * pprec * prec_rec / (pprec + prec_rec) if pprec + prec_rec else 0.0
    print(f"docs {len(ids)} gold stories {len(g)} predicted {len(p)}  "
          f"B3 P {prec:.3f} R {rec:.3f} F1 {f1:.3f}  pairwise P {pprec:.3f} R {prec_rec:.3f} F1 {pf1:.3f}")


if __name__ == "__main__":
    main()
