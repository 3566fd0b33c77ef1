#!/usr/bin/env bash
# Translation benchmark: every English original of the demo corpus into
# Spanish with Apertium APy (started on loopback), then the gate's precision
# and recall per flag on the shared labelled pairs and on our own.
# Figures go to BENCHMARKS.md ("Translation").
#
#   bench/translate.sh            # the demo corpus
#   GROW=20000 bench/translate.sh # the grown corpus (copies and rewrites)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/courant}
[ -x "$BIN" ] || cargo build --release --locked -p courant
db=$(mktemp -d)/bench.db
grow=()
[ -n "${GROW:-}" ] && grow=(--grow "$GROW")
"$BIN" demo --translate-bench --db "$db" "${grow[@]}" | grep -A6 '^translation benchmark'
rm -rf "$(dirname "$db")"

pairs=(bench/data/translation-pairs-own.jsonl)
shared=../shared/data/text-defects/translation-pairs.jsonl
if [ -e "$shared" ]; then
  echo "gate on $shared:"
  cargo run -q --release --locked -p courant-clean --example translation_gate -- "$shared"
else
  echo "skipped: $shared not found"
fi
echo "gate on ${pairs[*]} (our own pairs):"
cargo run -q --release --locked -p courant-clean --example translation_gate -- "${pairs[@]}"
