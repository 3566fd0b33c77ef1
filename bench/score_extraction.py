"""Scores the JSONL outputs of bench/extraction.sh, every tool by the same rules.

fundus: token-level precision/recall/F1 of the body against the gold body
(bag of tokens; CJK characters count one token each), averaged over pages, and
pooled over all tokens ("micro"). A page with no output scores 0.
trafilatura-eval: the snippet protocol of trafilatura's tests/eval_common.py:
each "with" snippet found is a true positive, each "without" snippet found a
false positive, after whitespace normalization; F1 over the pooled counts.
Metadata: title (whitespace-normalized, exact), authors (same set of names,
case-insensitive), date (same calendar day as the gold, in the gold's zone).
"""
import collections
import json
import os
import re
import sys

CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"
TOKEN = re.compile(f"[{CJK}]|[^\\W{CJK}]+")


def tokens(text):
    return collections.Counter(t.lower() for t in TOKEN.findall(text or ""))


def norm(text):
    return re.sub(r"\s+", " ", text or "").strip()


def load(path):
    with open(path, encoding="utf-8") as f:
        return {r["key"]: r for r in map(json.loads, f)}


def day(value):
    return (value or "")[:10] or None


def fundus(gold_dir, out, tool):
    gold = [json.loads(l) for l in open(os.path.join(gold_dir, "manifest.jsonl"), encoding="utf-8")]
    got = load(os.path.join(out, f"{tool}-fundus.jsonl"))
    f1s, ps, rs = [], [], []
    tp_all = got_all = gold_all = 0
    title = authors = date = 0
    n_auth = n_date = 0
    for g in gold:
        r = got.get(g["html"], {})
        gt, rt = tokens(g["body_text"]), tokens(r.get("text"))
        tp = sum((gt & rt).values())
        p = tp / sum(rt.values()) if rt else 0.0
        rc = tp / sum(gt.values()) if gt else 0.0
        ps.append(p), rs.append(rc), f1s.append(2 * p * rc / (p + rc) if p + rc else 0.0)
        tp_all += tp
        got_all += sum(rt.values())
        gold_all += sum(gt.values())
        title += norm(r.get("title")) == norm(g["title"])
        if g["authors"]:
            n_auth += 1
            authors += {a.lower().strip() for a in r.get("authors") or []} == {a.lower().strip() for a in g["authors"]}
        if g["publishing_date"]:
            n_date += 1
            date += day(r.get("published")) == day(g["publishing_date"])
    n = len(gold)
    mp, mr = tp_all / got_all if got_all else 0, tp_all / gold_all if gold_all else 0
    return {"tool": tool, "set": "fundus", "pages": n,
            "f1": round(sum(f1s) / n, 4), "precision": round(sum(ps) / n, 4), "recall": round(sum(rs) / n, 4),
            "micro_f1": round(2 * mp * mr / (mp + mr), 4) if mp + mr else 0.0,
            "title_acc": round(title / n, 4), "author_acc": round(authors / n_auth, 4),
            "date_acc": round(date / n_date, 4)}


def trafeval(gold_dir, out, tool):
    data = json.load(open(os.path.join(gold_dir, "tests", "evaldata.json"), encoding="utf-8"))
    got = load(os.path.join(out, f"{tool}-trafeval.jsonl"))
    tp = fp = fn = tn = 0
    title = author = date = n_t = n_a = n_d = 0
    for url, item in data.items():
        r = got.get(url, {})
        res = norm(r.get("text")) if "text" in r else None
        t = sum(1 for w in item["with"] if res is not None and norm(w) in res)
        f = sum(1 for w in item["without"] if res is not None and norm(w) in res)
        tp, fp, fn, tn = tp + t, fp + f, fn + len(item["with"]) - t, tn + len(item["without"]) - f
        if item.get("title"):
            n_t += 1
            title += norm(r.get("title")) == norm(item["title"])
        if item.get("author"):
            n_a += 1
            names = item["author"] if isinstance(item["author"], list) else item["author"].split(";")
            want = {a.strip().lower() for a in names if a.strip()}
            author += {a.strip().lower() for a in r.get("authors") or []} == want
        if item.get("date"):
            n_d += 1
            date += day(r.get("published")) == day(item["date"])
    p = tp / (tp + fp) if tp + fp else 0.0
    rc = tp / (tp + fn) if tp + fn else 0.0
    return {"tool": tool, "set": "trafilatura-eval", "pages": len(data),
            "f1": round(2 * p * rc / (p + rc), 4) if p + rc else 0.0,
            "precision": round(p, 4), "recall": round(rc, 4),
            "accuracy": round((tp + tn) / (tp + tn + fp + fn), 4),
            "title_acc": round(title / n_t, 4), "author_acc": round(author / n_a, 4),
            "date_acc": round(date / n_d, 4)}


def main():
    fund, traf, out = sys.argv[1:4]
    tools = sys.argv[4:] or ["courant", "trafilatura"]
    for tool in tools:
        print(json.dumps(fundus(fund, out, tool)))
    for tool in tools:
        print(json.dumps(trafeval(traf, out, tool)))


if __name__ == "__main__":
    main()
