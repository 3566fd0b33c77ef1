"""trafilatura side of bench/extraction.sh: same pages, same output format and
the same timing rule as crates/courant-extract/examples/bench.rs (every page in
memory as bytes, one thread, best of N passes of the extraction loop)."""
import gzip
import json
import os
import sys
import time

import trafilatura

# The settings of trafilatura's own evaluation (tests/eval_common.py).
OPTS = dict(include_comments=False, include_tables=True, include_formatting=False)


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def fundus(d):
    pages = []
    with open(os.path.join(d, "manifest.jsonl"), encoding="utf-8") as f:
        for line in f:
            v = json.loads(line)
            pages.append((v["html"], v["url"], read(os.path.join(d, v["html"]))))
    return pages


def trafeval(d):
    tests = os.path.join(d, "tests")
    data = json.load(open(os.path.join(tests, "evaldata.json"), encoding="utf-8"))
    pages = []
    for url in sorted(data):
        for sub in ("cache", "eval"):
            p = os.path.join(tests, sub, data[url]["file"] + ".gz")
            if os.path.isfile(p):
                pages.append((url, url, read(p)))
                break
        else:
            raise SystemExit(f"{data[url]['file']} not found")
    return pages


def extract(html, url):
    out = trafilatura.extract(html, url=url, output_format="json", with_metadata=True, **OPTS)
    return json.loads(out) if out else None


def run(name, pages, out, passes):
    with open(os.path.join(out, f"trafilatura-{name}.jsonl"), "w", encoding="utf-8") as w:
        for key, url, html in pages:
            try:
                r = extract(html, url)
            except Exception as e:  # a crash is a miss, as in trafilatura's own evaluation
                r = None
                err = repr(e)
            if r is None:
                w.write(json.dumps({"key": key, "error": "no output"}) + "\n")
                continue
            authors = [a.strip() for a in (r.get("author") or "").split(";") if a.strip()]
            w.write(json.dumps({"key": key, "title": r.get("title"), "authors": authors,
                                "published": r.get("date"), "text": r.get("text") or ""}) + "\n")
    best = float("inf")
    for _ in range(passes):
        t = time.perf_counter()
        for key, url, html in pages:
            try:
                extract(html, url)
            except Exception:
                pass
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"tool": "trafilatura", "version": trafilatura.__version__, "set": name,
                      "pages": len(pages), "seconds": round(best, 3),
                      "pages_per_s": round(len(pages) / best, 1)}), flush=True)


def main():
    fund, traf, out = sys.argv[1:4]
    passes = int(os.environ.get("TRAFILATURA_PASSES", "1"))
    os.makedirs(out, exist_ok=True)
    run("fundus", fundus(fund), out, passes)
    run("trafeval", trafeval(traf), out, passes)


if __name__ == "__main__":
    main()
