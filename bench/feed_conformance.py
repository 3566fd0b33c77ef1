#!/usr/bin/env python3
"""Scores feed parsing on feedparser's `Expect:` lines (issue 26, item 6).

Reads the JSON lines of `courant feed --jsonl` and of feed-rs alone
(`conformance feedrs`, same shape), and evaluates each test file's Python
expectation against a feedparser-like view of them.

The mapping is written once, here, and applies to both parsers alike:

- An expectation is *mappable* when every name and key it reads has a place in
  courant's model (MAPPED below). Anything else (feedparser's `encoding`,
  `version`, `*_detail.type`, `itunes_*`, geo, `author` strings in
  feedparser's "name (email)" format...) makes the case unmappable; those are
  counted apart, per reason.
- `bozo` is true when the document was refused or needed repair (a warning
  that says "malformed").
- Titles are plain text in courant: both sides are compared as plain text
  (tags dropped, entities decoded, spaces collapsed).
- Summaries and content are HTML that courant shows only through its
  sanitizer. Both sides are brought to the same canonical form: the
  sanitizer's allow-list of elements and attributes, scripts and styles
  dropped with their content, unsafe URL schemes dropped, text decoded, spaces
  collapsed. So a case passes when what the reader would see (text, kept
  markup, link targets) is the same; a stricter allow-list alone never fails
  a case, and lost or wrong text, markup or URLs always do.
- Dates (`*_parsed`) are compared on year..second in UTC.
- Languages are compared on their primary subtag ("en-us" == "en").
"""

import argparse
import ast
import collections
import html
import html.parser
import json
import os
import re
import sys
from datetime import datetime, timezone

# Elements and attributes courant's sanitizer keeps (courant-extract/src/sanitize.rs:
# its tag list, ammonia's default attributes and the ones it adds).
TAGS = set(
    "a abbr b blockquote br caption cite code dd del dl dt em figcaption figure h2 h3 h4 h5 "
    "h6 hr i img ins kbd li mark ol p pre q s small strong sub sup table tbody td tfoot th "
    "thead time tr u ul".split()
)
GENERIC_ATTRS = {"lang", "title"}
TAG_ATTRS = {
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "align"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "ol": {"start"},
    "hr": {"align", "size", "width"},
    "table": {"align", "char", "charoff", "summary"},
    "tbody": {"align", "char", "charoff"},
    "thead": {"align", "char", "charoff"},
    "tfoot": {"align", "char", "charoff"},
    "tr": {"align", "char", "charoff"},
    "td": {"align", "char", "charoff", "colspan", "headers", "rowspan"},
    "th": {"align", "char", "charoff", "colspan", "headers", "rowspan", "scope"},
}
URL_ATTRS = {"href", "src", "cite"}
DROP_WITH_CONTENT = {"script", "style"}
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class Canon(html.parser.HTMLParser):
    """HTML reduced to what courant's sanitizer lets a reader see."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROP_WITH_CONTENT:
            self.skip += 1
            return
        if self.skip or tag not in TAGS:
            return
        kept = []
        for k, v in attrs:
            if k not in GENERIC_ATTRS and k not in TAG_ATTRS.get(tag, ()):
                continue
            v = (v or "").strip()
            if k in URL_ATTRS:
                low = re.sub(r"[\s\x00-\x1f]", "", v).lower()
                if ":" in low.split("/")[0] and not low.startswith(SAFE_SCHEMES):
                    continue
            kept.append((k, v))
        self.out.append(("<", tag, tuple(sorted(kept))))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in DROP_WITH_CONTENT:
            self.skip -= 1

    def handle_endtag(self, tag):
        if tag in DROP_WITH_CONTENT:
            self.skip = max(0, self.skip - 1)
        elif not self.skip and tag in TAGS and tag not in ("br", "hr", "img"):
            self.out.append((">", tag))

    def handle_data(self, data):
        if not self.skip:
            self.out.append(("t", data))


def canon_html(s):
    p = Canon()
    p.feed(s or "")
    p.close()
    out, text = [], []
    for tok in p.out:
        if tok[0] == "t":
            text.append(tok[1])
            continue
        if text:
            t = " ".join("".join(text).split())
            if t:
                out.append(("t", t))
            text = []
        out.append(tok)
    t = " ".join("".join(text).split())
    if t:
        out.append(("t", t))
    return tuple(out)


def plain(s):
    s = re.sub(r"<[^>]*>", "", s or "")
    return " ".join(html.unescape(s).split())


class Val(str):
    """A mapped value; compares by its kind's rule."""

    kind = "exact"

    def norm(self, v):
        if self.kind == "plain":
            return plain(v)
        if self.kind == "html":
            return canon_html(v)
        if self.kind == "lang":
            return (v or "").strip().lower().replace("_", "-").split("-")[0]
        if self.kind == "url":
            return (v or "").strip()
        return v

    def __eq__(self, other):
        if not isinstance(other, str):
            return False
        return self.norm(str(self)) == self.norm(other)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return str.__hash__(self)

    def __contains__(self, other):
        return plain(other) in plain(str(self))


def val(kind, v):
    if v is None:
        return None
    x = Val(v)
    x.kind = kind
    return x


class Unmapped(Exception):
    pass


class View(dict):
    """A feedparser dict over mapped values; an unmapped key is an error."""

    def __init__(self, mapped):
        super().__init__({k: v for k, v in mapped.items() if v is not None})
        self.known = set(mapped)

    def __getitem__(self, k):
        if k not in self.known:
            raise Unmapped(k)
        return super().__getitem__(k)

    def __getattr__(self, k):
        try:
            return self[k]
        except KeyError as e:
            raise AttributeError(k) from e

    def get(self, k, default=None):
        if k not in self.known:
            raise Unmapped(k)
        return super().get(k, default)

    def has_key(self, k):
        return k in self

    def __contains__(self, k):
        if k not in self.known:
            raise Unmapped(k)
        return super().__contains__(k)


def parsed_time(iso):
    if not iso:
        return None
    d = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone.utc)
    return DateTuple((d.year, d.month, d.day, d.hour, d.minute, d.second))


class DateTuple(tuple):
    def __eq__(self, other):
        return isinstance(other, tuple) and tuple(other[:6]) == tuple(self)

    def __hash__(self):
        return tuple.__hash__(self)


def detail(kind, v):
    return View({"value": val(kind, v)})


def entry_view(e):
    summary = e.get("summary") or e.get("content")
    content = e.get("content")
    authors = [View({"name": val("plain", a)}) for a in e.get("authors") or []]
    return View(
        {
            "title": val("plain", e.get("title")),
            "title_detail": detail("plain", e.get("title")),
            "link": val("url", e.get("url")),
            "id": val("exact", e.get("guid")),
            "guid": val("exact", e.get("guid")),
            "description": val("html", summary),
            "summary": val("html", summary),
            "summary_detail": detail("html", summary),
            "content": [detail("html", content)] if content else None,
            "authors": authors or None,
            "author_detail": authors[0] if authors else None,
            "published_parsed": parsed_time(e.get("published")),
            "updated_parsed": parsed_time(e.get("updated")),
            "language": val("lang", e.get("lang")),
        }
    )


def result_view(doc):
    """Names an expectation may use, from one JSON line."""
    if "error" in doc:
        # A refused document: only `bozo` can be evaluated.
        return {"bozo": True, "feed": View({k: None for k in FEED_KEYS}), "entries": []}
    feed = View(
        {
            "title": val("plain", doc.get("title")),
            "title_detail": detail("plain", doc.get("title")),
            "link": val("url", doc.get("site_url")),
            "language": val("lang", doc.get("lang")),
        }
    )
    bozo = any("malformed" in w for w in doc.get("warnings") or [])
    return {"bozo": bozo, "feed": feed, "entries": [entry_view(e) for e in doc["entries"]]}


# What an expectation may read: names, and key paths under feed / entries[i].
NAMES = {"bozo", "feed", "entries", "len", "True", "False", "None"}
FEED_KEYS = {"title", "title_detail.value", "link", "language"}
ENTRY_KEYS = {
    "title",
    "title_detail.value",
    "link",
    "id",
    "guid",
    "description",
    "summary",
    "summary_detail.value",
    "content",
    "content[].value",
    "authors",
    "authors[].name",
    "author_detail.name",
    "published_parsed",
    "updated_parsed",
    "language",
}


def key_paths(tree):
    """Every `feed...` and `entries[i]...` path the expression reads."""
    paths = []

    def chain(n):
        parts = []
        while True:
            if isinstance(n, ast.Subscript):
                s = n.slice
                if isinstance(s, ast.Constant) and isinstance(s.value, str):
                    parts.append(s.value)
                else:
                    parts.append("[]")
                n = n.value
            elif isinstance(n, ast.Attribute):
                parts.append(n.attr)
                n = n.value
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in (
                "get",
                "has_key",
            ):
                a = n.args[0] if n.args else None
                parts.append(a.value if isinstance(a, ast.Constant) else "?")
                n = n.func.value
            else:
                break
        return n, list(reversed(parts))

    seen = set()
    for n in ast.walk(tree):
        if id(n) in seen or not isinstance(n, (ast.Subscript, ast.Attribute, ast.Call)):
            continue
        root, parts = chain(n)
        if not (isinstance(root, ast.Name) and root.id in ("feed", "entries")) or not parts:
            continue
        for m in ast.walk(n):
            seen.add(id(m))
        if root.id == "entries":
            if parts[0] != "[]":
                continue
            parts = parts[1:]
        path = ".".join(parts).replace(".[]", "[]")
        paths.append((root.id, path))
    return paths


def unmapped_reason(expr):
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return "not python"
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id not in NAMES:
            return n.id
    for root, path in key_paths(tree):
        keys = FEED_KEYS if root == "feed" else ENTRY_KEYS
        if path and path not in keys:
            return f"{root}.{path}"
    return None


def expectations(root):
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if not (f.endswith(".xml") or f.endswith(".json")):
                continue
            p = os.path.join(d, f)
            text = open(p, "rb").read().decode("utf-8", "replace")
            m = re.search(r"Expect:\s*(.*?)\s*-->", text, re.S) or re.search(
                r'Expect:\s*(.*?)\s*-->"', text, re.S
            )
            if m:
                yield p, " ".join(m.group(1).split())


def score(lines, cases):
    by_file = {}
    for line in lines:
        doc = json.loads(line)
        by_file[doc["file"]] = doc
    passed, failed = 0, []
    for path, expr in cases:
        doc = by_file.get(path, {"error": "missing"})
        env = result_view(doc)
        try:
            ok = bool(eval(expr, {"__builtins__": {"len": len}}, env))
        except Unmapped as u:
            ok, why = False, f"unmapped at run time: {u}"
        except Exception as e:  # an IndexError when an entry is missing, etc.
            ok, why = False, f"{type(e).__name__}: {e}"
        else:
            why = "wrong value"
        if ok:
            passed += 1
        else:
            failed.append((path, expr, why, doc.get("error")))
    return passed, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", required=True)
    ap.add_argument("--courant", required=True, help="courant feed --jsonl output")
    ap.add_argument("--feedrs", required=True, help="conformance feedrs output")
    ap.add_argument("--failures", help="write courant's failed cases here")
    a = ap.parse_args()

    all_cases = list(expectations(a.suite))
    mappable, apart = [], collections.Counter()
    for path, expr in all_cases:
        why = unmapped_reason(expr)
        if why:
            apart[why] += 1
        else:
            mappable.append((path, expr))
    result = {"expect_lines": len(all_cases), "mappable": len(mappable)}
    for name, f in (("courant", a.courant), ("feedrs", a.feedrs)):
        passed, failed = score(open(f, encoding="utf-8"), mappable)
        per_dir = collections.Counter(os.path.relpath(p, a.suite).split("/")[-2] for p, *_ in failed)
        result[name] = {
            "passed": passed,
            "share": round(passed / max(1, len(mappable)), 4),
            "failed_by_dir": dict(per_dir.most_common()),
        }
        if name == "courant" and a.failures:
            with open(a.failures, "w", encoding="utf-8") as out:
                for p, expr, why, err in failed:
                    out.write(f"{p}\t{why}\t{err or ''}\t{expr}\n")
    result["unmappable_by_reason"] = dict(apart.most_common())
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
