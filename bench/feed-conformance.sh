#!/usr/bin/env bash
# Feed conformance and speed (issue 26, item 6): courant against feed-rs alone, one run.
#   bench/feed-conformance.sh [SHARED_DATA_DIR]   (default ../shared/data)
# Scores both on feedparser's Expect: lines (mapping in bench/feed_conformance.py),
# lists the shared feed files courant refuses, and measures parsing MB/s of both
# over every shared feed file.
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(cd "${1:-../shared/data}/feeds" && pwd)"
out=target/bench-feeds
mkdir -p "$out"
cargo build --release -q -p courant --bin courant
cargo build --release -q -p courant-feed --example conformance
suite="$data/feedparser-tests/tests"
find "$suite" -type f \( -name '*.xml' -o -name '*.json' \) | sort > "$out/suite.txt"
xargs -a "$out/suite.txt" -d '\n' ./target/release/courant feed --jsonl > "$out/courant.jsonl" 2>/dev/null || true
xargs -a "$out/suite.txt" -d '\n' ./target/release/examples/conformance feedrs > "$out/feedrs.jsonl" 2>/dev/null
echo "# conformance on feedparser's Expect: lines (failures: $out/failures.tsv)"
python3 bench/feed_conformance.py --suite "$suite" --courant "$out/courant.jsonl" \
  --feedrs "$out/feedrs.jsonl" --failures "$out/failures.tsv"
echo "# shared feed files courant refuses ($out/refused.tsv)"
find "$data" -type f ! -name 'LICENSE*' ! -name '*.md' ! -name '*.py' ! -name '*.txt' | sort > "$out/all.txt"
xargs -a "$out/all.txt" -d '\n' ./target/release/courant feed --jsonl 2>/dev/null \
  | python3 -c '
import json, sys
n = bad = 0
with open(sys.argv[1], "w") as out:
    for line in sys.stdin:
        d = json.loads(line); n += 1
        if "error" in d:
            bad += 1; out.write(d["file"] + "\t" + d["error"].replace("\n", " ") + "\n")
print(json.dumps({"files": n, "refused": bad}))' "$out/refused.tsv" || true
echo "# speed: MB/s over every shared feed file, best of ${ROUNDS:-5} rounds"
./target/release/examples/conformance speed "${ROUNDS:-5}" "$out/all.txt"
echo "# speed: the same, over the shared feed files larger than 8 KB (per-document costs matter less)"
while read -r f; do [ "$(stat -c %s "$f")" -gt 8000 ] && echo "$f"; done < "$out/all.txt" > "$out/large.txt" || true
./target/release/examples/conformance speed "${ROUNDS:-5}" "$out/large.txt"
