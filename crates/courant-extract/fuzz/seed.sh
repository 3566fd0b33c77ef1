#!/usr/bin/env bash
# Seeds the fuzz corpus with shared publisher pages (never committed) and runs
# the extractor fuzz target: crates/courant-extract/fuzz/seed.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
shared="${SHARED:-../../../../shared/data/extraction}"
corpus=corpus/extract
mkdir -p "$corpus"
n=0
for f in "$shared"/fundus/tests/resources/parser/test_data/*/*.html.gz "$shared"/trafilatura-eval/tests/eval/*.html.gz; do
  [ -f "$f" ] || continue
  gzip -dc "$f" > "$corpus/seed-$n.html" 2>/dev/null || true
  n=$((n + 1))
  [ "$n" -ge "${SEEDS:-300}" ] && break
done
printf '' > "$corpus/empty.html"
printf '<frameset><frame src="a.html"><frame src="b.html"></frameset>' > "$corpus/frames.html"
printf '<html><script>var a=1;</script><script>b()</script></html>' > "$corpus/scripts.html"
printf '<div><p>broken <b><i>markup</b></i><table><p>x</td></div></span>' > "$corpus/broken.html"
printf '<meta charset="x-unknown-42"><p>caf\xe9 \xff\xfe</p>' > "$corpus/charset.html"
cd ..
exec cargo +nightly fuzz run extract --fuzz-dir fuzz "fuzz/$corpus" -- \
  -max_total_time="${1:-1800}" -timeout=10 -rss_limit_mb=2048 -max_len="${MAX_LEN:-262144}"
