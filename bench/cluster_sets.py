"""The story clustering sets as `courant cluster` input, with their gold.

    python3 bench/cluster_sets.py SHARED_DATA_DIR OUT_DIR

Writes OUT_DIR/{ecb,uci,itn}.jsonl (articles, in stream order) and .gold
(`{"id","gold"}` per line), from SHARED_DATA_DIR (../shared/data):
- ecb: ECB+ topics 1-22, full texts, gold = subtopic (no dates given);
- uci: the UCI headlines with their URLs in timestamp order, gold = Google
  News story;
- itn: one-sentence ITN blurbs in about 40 languages, in time order, gold =
  the blurb's Wikidata item and language. Weak gold (an item's group can hold
  several events years apart): a check that other languages behave, not a
  target.
Used by bench/cluster.sh and bench/train_cluster.py.
"""
import csv
import html
import json
import re
import sys


def write(out, name, rows):
    with open(f"{out}/{name}.jsonl", "w") as a, open(f"{out}/{name}.gold", "w") as g:
        for article, gold in rows:
            a.write(json.dumps(article) + "\n")
            g.write(json.dumps({"id": article["id"], "gold": gold}) + "\n")


def ecb(data):
    for line in open(f"{data}/clustering/ecbplus-dev/ecbplus_docs.jsonl"):
        d = json.loads(line)
        # No URL: only the ecbplus half has one, so it would mark the half,
        # not the story.
        yield {"id": d["doc_id"], "title": d["title"], "text": d["text"], "lang": "en"}, d["subtopic"]


def uci(data):
    path = f"{data}/clustering/uci-news-aggregator-sample/uci-news-aggregator-first-rows.csv"
    rows = sorted(csv.DictReader(open(path)), key=lambda r: int(r["TIMESTAMP"]))
    for r in rows:
        yield ({"id": r["ID"], "title": r["TITLE"], "text": "", "lang": "en", "published": int(r["TIMESTAMP"]),
                "url": r["URL"]}, r["STORY"])


def itn(data):
    corpus = json.load(open(f"{data}/demo/itn-corpus/corpus.json"))
    blurbs = sorted((int(float(ts)), q, it["lang"], html.unescape(re.sub(r"<[^>]+>", "", it["blurb"])).strip())
                    for q, items in corpus.items() for ts, it in items.items())
    for i, (ts, q, lang, text) in enumerate(blurbs):
        yield {"id": i, "title": "", "text": text, "lang": lang, "published": ts}, f"{q}-{lang}"


def prepare(data, out):
    for name, rows in (("ecb", ecb(data)), ("uci", uci(data)), ("itn", itn(data))):
        write(out, name, rows)


if __name__ == "__main__":
    prepare(sys.argv[1], sys.argv[2])
