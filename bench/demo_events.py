"""Scores the demo's stories and events against the ITN event ids.

    python3 bench/demo_events.py DEMO_DB

The demo serves the ITN blurbs of ../shared/data/demo/itn-corpus at
/itn/{lang}/{Q-id}-{timestamp}: the Wikidata item in the URL is the blurb's
event (weak gold: one item can gather events years apart). Prints B-cubed
precision, recall and F1 of the stories (each in one language) and of the
events (stories linked across languages), across languages, then per
language with 40 or more articles the precision of its stories and events
(the share of each article's cluster, in its language, that is its event).
Standard library only.
"""

import re
import sqlite3
import sys
from collections import Counter, defaultdict


def bcubed(gold, pred, ids):
    g, p = defaultdict(set), defaultdict(set)
    for i in ids:
        g[gold[i]].add(i)
        p[pred[i]].add(i)
    prec = sum(len(g[gold[i]] & p[pred[i]]) / len(p[pred[i]]) for i in ids) / len(ids)
    rec = sum(len(g[gold[i]] & p[pred[i]]) / len(g[gold[i]]) for i in ids) / len(ids)
    return prec, rec, 2 * prec * rec / (prec + rec) if prec + rec else 0.0


def named(gold, key):
    """Each article's items: every item its blurb is listed under. The
    corpus lists a blurb once per item it links (the three laureates of one
    Nobel prize), so identical blurbs carry different ids."""
    by_blurb = defaultdict(set)
    for i, q in gold.items():
        by_blurb[key[i]].add(q)
    return {i: by_blurb[key[i]] for i in gold}


def overlap_precision(items, pred, ids):
    """B-cubed precision where two articles agree when their items overlap."""
    groups = defaultdict(list)
    for i in ids:
        groups[pred[i]].append(i)
    return sum(sum(1 for j in groups[pred[i]] if items[i] & items[j]) / len(groups[pred[i]]) for i in ids) / len(ids)


def main():
    db = sqlite3.connect(sys.argv[1])
    rows = db.execute(
        """SELECT a.id, a.url, COALESCE(s.merged_into, a.story_id), a.lang
           FROM articles a LEFT JOIN stories s ON s.id = a.story_id
           WHERE a.story_id IS NOT NULL""").fetchall()
    live = {sid: ev for sid, ev in db.execute("SELECT id, event_id FROM stories WHERE merged_into IS NULL")}
    gold, story, event, lang, blurb = {}, {}, {}, {}, {}
    for aid, url, sid, lg in rows:
        m = re.search(r"/itn/([^/]+)/(Q\d+)-(\d+)", url or "")
        if not m:
            continue
        gold[aid] = m.group(2)
        blurb[aid] = (m.group(1), m.group(3))
        story[aid] = sid
        event[aid] = live.get(sid) or sid
        lang[aid] = m.group(1)
    ids = sorted(gold)
    items = named(gold, blurb)
    print("%d ITN articles in %d languages, %d events by their ids" % (len(ids), len(set(lang.values())), len(set(gold.values()))))
    for name, pred in (("stories (one language each)", story), ("events (across languages)", event)):
        print("  %-30s B3 P %.3f R %.3f F1 %.3f   precision, items of one blurb agreeing: %.3f"
              % ((name,) + bcubed(gold, pred, ids) + (overlap_precision(items, pred, ids),)))
    print("\nper language (40+ articles): precision of stories / events within the language,"
          " by URL ids, and with the items of one blurb agreeing")
    counts = Counter(lang.values())
    for lg, n in counts.most_common():
        if n < 40:
            break
        mine = [i for i in ids if lang[i] == lg]
        out = []
        for g in (gold, None):
            for pred in (story, event):
                groups = defaultdict(list)
                for i in mine:
                    groups[pred[i]].append(i)
                if g is None:
                    out.append(overlap_precision(items, pred, mine))
                    continue
                p = sum(sum(1 for j in groups[pred[i]] if g[j] == g[i]) / len(groups[pred[i]]) for i in mine) / len(mine)
                out.append(p)
        print("  %-4s %4d  %.3f / %.3f   %.3f / %.3f" % (lg, n, *out))


if __name__ == "__main__":
    main()
